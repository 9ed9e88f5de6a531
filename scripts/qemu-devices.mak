# Devices for the project's x86_64-softmmu build (configure --without-default-devices):
# the i440fx "pc" board with its serial port, isa-debug-exit/isa-debugcon for the bare-metal
# tests, and nothing else.
CONFIG_I440FX=y
CONFIG_ISA_DEBUG=y
