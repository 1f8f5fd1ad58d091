# libsimnet — see README.md.  `make` builds build/libsimnet.so, `make test`
# runs every test (unit tests of core/, differential probes, integration).

CC      ?= cc
BUILD   := build
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Werror -Wno-unused-parameter
BASE    := -std=gnu11 -D_GNU_SOURCE -fPIC -pthread $(WARN) -I.
LDLIBS  := -ldl -pthread -lm

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
CAPTURE := $(BUILD)/simnet-capture

all: $(LIB) $(INSPECT) $(CAPTURE)

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

# The launcher's drainer of capture rings (simnet run --pcap, capture).
$(CAPTURE): scripts/capture.c $(BUILD)/libsimcore.a
	$(CC) $(BASE) $(CFLAGS) $< -o $@ $(BUILD)/libsimcore.a $(LDLIBS)

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
# glibc's own DNS message parser (ns_initparse) checks our replies.
$(BUILD)/probes/dns_send: LDLIBS += -lresolv
$(BUILD)/probes/host_names: LDLIBS += -lresolv

# A static program for the launcher's refusal (libc.a: libc6-dev).
$(BUILD)/static_hello: tests/integration/static_hello.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 $(WARN) -static $< -o $@

# The wake-up stress program of tests/integration/faults_wake.sh.
$(BUILD)/due_wake: tests/integration/due_wake.c
	@mkdir -p $(@D)
	$(CC) $(BASE) $(CFLAGS) $< -o $@ $(LDLIBS)

# Go programs (tests/go/NAME/main.go, each its own main package, stdlib
# only), built offline with Debian's golang-go.  cgo stays on, so they are
# linked dynamically as Go programs usually are (a static one cannot load
# the library).  bench_echo is the bench's, built as build/bench/go_echo.
GO      ?= go
GO_ENV  := GOENV=off GOFLAGS=-mod=mod GOPROXY=off GO111MODULE=on CGO_ENABLED=1 \
           GOCACHE=$(abspath $(BUILD))/go-cache GOPATH=$(abspath $(BUILD))/gopath
GO_SRC  := $(filter-out tests/go/bench_echo/main.go,$(wildcard tests/go/*/main.go))
GO_BIN  := $(GO_SRC:tests/go/%/main.go=$(BUILD)/go/%)
GO_MAKE = @command -v $(GO) >/dev/null || \
	    { echo "make: the Go test programs need 'go' (Debian package golang-go)" >&2; exit 1; }; \
	echo "go build $(1) -> $@"; mkdir -p $(@D) && cd tests/go && $(GO_ENV) $(GO) build -o $(abspath $@) ./$(1)

$(BUILD)/go/%: tests/go/%/main.go tests/go/go.mod tests/go/internal/probe/probe.go
	$(call GO_MAKE,$*)

$(BUILD)/bench/go_echo: tests/go/bench_echo/main.go tests/go/go.mod
	$(call GO_MAKE,bench_echo)

go: $(GO_BIN)

# Benchmarks: kernel loopback vs libsimnet, interleaved, medians; the
# table goes to build/bench/results.md (scripts/bench --help).
BENCH_SRC := $(wildcard tests/bench/*.c)
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)

$(BUILD)/bench/%: tests/bench/%.c tests/bench/bench.h
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -D_GNU_SOURCE -O2 -g -pthread $(WARN) $< -o $@

bench: $(LIB) $(BENCH_BIN) $(BUILD)/bench/go_echo
	scripts/bench $(BENCH_ARGS)

# First the layer check (core/LAYERS: no module of core/ uses one above
# it), from the objects just built; then the Criterion suites.
test: $(LIB) $(INSPECT) $(CAPTURE) $(TEST_BIN) $(PROBE_BIN) $(GO_BIN) $(BUILD)/bench/go_echo $(BUILD)/static_hello $(BUILD)/due_wake
	@scripts/check-layers $(BUILD)
	@scripts/run-tests $(TEST_BIN)

# Install: the launcher in bin/, the library and its inspector in
# lib/simnet/ (where the launcher looks), man pages.
PREFIX  ?= /usr/local
DESTDIR ?=
LIBDIR  := $(DESTDIR)$(PREFIX)/lib/simnet
BINDIR  := $(DESTDIR)$(PREFIX)/bin
MANDIR  := $(DESTDIR)$(PREFIX)/share/man

install: $(LIB) $(INSPECT) $(CAPTURE)
	install -d $(LIBDIR) $(BINDIR) $(MANDIR)/man1 $(MANDIR)/man7
	install -m 0755 $(LIB) $(INSPECT) $(CAPTURE) $(LIBDIR)/
	install -m 0755 scripts/simnet $(BINDIR)/simnet
	install -m 0644 docs/simnet.1 $(MANDIR)/man1/simnet.1
	install -m 0644 docs/libsimnet.7 $(MANDIR)/man7/libsimnet.7

uninstall:
	rm -f $(LIBDIR)/libsimnet.so $(LIBDIR)/simnet-inspect $(LIBDIR)/simnet-capture $(BINDIR)/simnet \
	    $(MANDIR)/man1/simnet.1 $(MANDIR)/man7/libsimnet.7
	-rmdir $(LIBDIR) 2>/dev/null

clean:
	rm -rf $(BUILD)

.PHONY: all test clean install uninstall bench go
.SECONDARY:
