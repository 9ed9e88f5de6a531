# Devices for the project's x86_64-softmmu build (configure --without-default-devices):
# the i440fx "pc" board with its serial port, isa-debug-exit/isa-debugcon for the bare-metal
# tests, and nothing else.
CONFIG_I440FX=y
CONFIG_ISA_DEBUG=y
# virtio-9p over virtio-pci: the host's files in the guest for 'make run' and 'make boot'
# (configure --enable-virtfs).
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_9P=y
