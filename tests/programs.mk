# Rules for guest programs (tests/guest, tests/bench): static x86-64 binaries built with -muintr.
# Handlers that carry __attribute__((interrupt)) must be general-regs-only and not
# shrink-wrapped (see tests/guest/uintr-test.h, UINTR_HANDLER).
CC ?= gcc
CFLAGS ?= -O2 -g -Wall -Wextra -Wno-unused-parameter
CFLAGS += -static -muintr -pthread
OUT ?= .

SRCS := $(wildcard *.c)
BINS := $(addprefix $(OUT)/,$(SRCS:.c=))

all: $(BINS)

$(OUT)/%: %.c $(wildcard *.h) $(wildcard ../guest/*.h)
	$(CC) $(CFLAGS) -I../guest -o $@ $< $(LDLIBS)

clean:
	rm -f $(BINS)

.PHONY: all clean
