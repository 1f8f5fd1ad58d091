#!/usr/bin/env bash
# The trap is installed lazily (preload/trap.c, docs/design.md "When the
# filter goes in"): a program that makes no inet socket and looks up no
# name runs without a seccomp filter (Seccomp: 0 in /proc/self/status);
# the first simulated socket, getaddrinfo, res_query, or a raw
# syscall(SYS_socket) as the very first network action installs it
# (Seccomp: 2), and that raw socket is caught (simulated: placed in the
# trap's fd range); a Go program has it from its first instruction;
# a thread started before the install has it too (TSYNC) and its own
# inline socket instruction is caught;
# SIMNET_TRAP=always installs at start, SIMNET_TRAP=off never; a child
# exec'd after the install inherits it.
. "$(dirname "$0")/lib.bash"
root=$(cd "$it_here/../.." && pwd)
prog=$IT_DIR/trap_lazy
cc -O1 -pthread -o "$prog" "$it_here/trap_lazy.c" -lresolv 2>"$IT_DIR/cc.err" ||
    { show "$IT_DIR/cc.err"; fail "cannot build trap_lazy.c"; }

expect() {   # name, expected output (lines joined by ;), command...
    local name=$1 want=$2
    shift 2
    local out=$IT_DIR/$name.out
    "$@" >"$out" 2>&1
    local got
    got=$(paste -sd ';' "$out")
    [ "$got" = "$want" ] || { show "$out"; fail "$name: got '$got', want '$want'"; }
}

expect none   "start 0;end 0"                 sim "$IT_NET" "$prog" none
expect fdopen "start 0;fdopen ok;end 0"       sim "$IT_NET" "$prog" fdopen
expect gai    "start 0;gai ok;end 2"          sim "$IT_NET" "$prog" gai
expect sock   "start 0;sock ok;end 2"         sim "$IT_NET" "$prog" sock
expect raw    "start 0;raw ok caught;end 2"   sim "$IT_NET" "$prog" raw
expect resq   "start 0;resq done;end 2"       sim "$IT_NET" "$prog" resq
expect always "start 2;end 2"                 sim "$IT_NET" env SIMNET_TRAP=always "$prog" none
expect on1    "start 2;end 2"                 sim "$IT_NET" env SIMNET_TRAP=1 "$prog" none
expect off    "start 0;raw ok kernel;end 0"   sim "$IT_NET" env SIMNET_TRAP=off "$prog" raw
expect thread "start 0;thread 2 caught;end 2"  sim "$IT_NET" "$prog" thread
expect exec   "start 0;mid 2;start 2;end 2"   sim "$IT_NET" "$prog" exec

gobin=$root/build/go/trap_status
[ -x "$gobin" ] || fail "build/go/trap_status is not built (make go; package golang-go)"
expect go     "start 2"                       sim "$IT_NET" "$gobin"
# The control: on the kernel nothing has a filter.
expect kernel "start 0;sock ok;end 0"         "$prog" sock
check_arena
echo "none, fdopen: no filter; gai, socket, raw socket (caught), res_query: filter; Go: from start"
echo ok
