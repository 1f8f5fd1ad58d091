# libsimnet — see README.md.  `make` builds build/libsimnet.so, `make test`
# runs every test (unit tests of core/, differential probes, integration).

CC      ?= cc
BUILD   := build
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Werror -Wno-unused-parameter
BASE    := -std=gnu11 -D_GNU_SOURCE -fPIC -pthread $(WARN) -I.
LDLIBS  := -ldl -pthread

CORE_SRC    := $(wildcard core/*.c)
PRELOAD_SRC := $(wildcard preload/*.c)
CORE_OBJ    := $(CORE_SRC:%.c=$(BUILD)/%.o)
PRELOAD_OBJ := $(PRELOAD_SRC:%.c=$(BUILD)/%.o)

TEST_SRC  := $(wildcard tests/test_*.c)
TEST_BIN  := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
PROBE_SRC := $(wildcard tests/probes/*.c)
PROBE_BIN := $(PROBE_SRC:tests/probes/%.c=$(BUILD)/probes/%)

LIB := $(BUILD)/libsimnet.so
INSPECT := $(BUILD)/simnet-inspect

all: $(LIB) $(INSPECT)

# The exported symbol list is generated from preload/symbols.h, the one
# list of interposed functions: the .so exports exactly those names.
$(BUILD)/exports.map: preload/exports.map.in preload/symbols.h
	@mkdir -p $(@D)
	$(CC) -E -P -I. -x c $< -o $@

$(BUILD)/%.o: %.c $(wildcard core/*.h preload/*.h) Makefile
	@mkdir -p $(@D)
	$(CC) $(BASE) -fvisibility=hidden $(CFLAGS) -c $< -o $@

$(LIB): $(CORE_OBJ) $(PRELOAD_OBJ) $(BUILD)/exports.map
	$(CC) -shared -o $@ $(CORE_OBJ) $(PRELOAD_OBJ) \
	    -Wl,--version-script=$(BUILD)/exports.map $(LDLIBS)

# The launcher's helper that reads arenas (scripts/simnet ls).
$(INSPECT): scripts/inspect.c scripts/inspect_links.c $(BUILD)/libsimcore.a
	$(CC) $(BASE) $(CFLAGS) scripts/inspect.c scripts/inspect_links.c -o $@ \
	    $(BUILD)/libsimcore.a $(LDLIBS)

# Unit tests link core/ directly (no preload); integration tests use the
# library only through probe programs run with LD_PRELOAD in the child.
# Made afresh: `ar r` would keep members of sources since removed.
$(BUILD)/libsimcore.a: $(CORE_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/tests/%: tests/%.c tests/harness.c $(wildcard tests/*.h) $(BUILD)/libsimcore.a
	@mkdir -p $(@D)
	$(CC) $(BASE) $(CFLAGS) $< tests/harness.c -o $@ $(BUILD)/libsimcore.a -lcriterion $(LDLIBS)

$(BUILD)/probes/%: tests/probes/%.c tests/probes/probe.h
	@mkdir -p $(@D)
	$(CC) $(BASE) $(CFLAGS) -D_FORTIFY_SOURCE=2 $< -o $@ $(LDLIBS)

# Benchmarks: kernel loopback vs libsimnet, interleaved, medians; the
# table goes to build/bench/results.md (scripts/bench --help).
BENCH_SRC := $(wildcard tests/bench/*.c)
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)

$(BUILD)/bench/%: tests/bench/%.c tests/bench/bench.h
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -D_GNU_SOURCE -O2 -g -pthread $(WARN) $< -o $@

bench: $(LIB) $(BENCH_BIN)
	scripts/bench $(BENCH_ARGS)

# First the layer check (core/LAYERS: no module of core/ uses one above
# it), from the objects just built; then the Criterion suites.
test: $(LIB) $(INSPECT) $(TEST_BIN) $(PROBE_BIN)
	@scripts/check-layers $(BUILD)
	@scripts/run-tests $(TEST_BIN)

# Install: the launcher in bin/, the library and its inspector in
# lib/simnet/ (where the launcher looks), man pages.
PREFIX  ?= /usr/local
DESTDIR ?=
LIBDIR  := $(DESTDIR)$(PREFIX)/lib/simnet
BINDIR  := $(DESTDIR)$(PREFIX)/bin
MANDIR  := $(DESTDIR)$(PREFIX)/share/man

install: $(LIB) $(INSPECT)
	install -d $(LIBDIR) $(BINDIR) $(MANDIR)/man1 $(MANDIR)/man7
	install -m 0755 $(LIB) $(INSPECT) $(LIBDIR)/
	install -m 0755 scripts/simnet $(BINDIR)/simnet
	install -m 0644 docs/simnet.1 $(MANDIR)/man1/simnet.1
	install -m 0644 docs/libsimnet.7 $(MANDIR)/man7/libsimnet.7

uninstall:
	rm -f $(LIBDIR)/libsimnet.so $(LIBDIR)/simnet-inspect $(BINDIR)/simnet \
	    $(MANDIR)/man1/simnet.1 $(MANDIR)/man7/libsimnet.7
	-rmdir $(LIBDIR) 2>/dev/null

clean:
	rm -rf $(BUILD)

.PHONY: all test clean install uninstall bench
.SECONDARY:
