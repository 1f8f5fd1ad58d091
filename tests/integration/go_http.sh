#!/usr/bin/env bash
# A Go net/http server (build/go/http_server, Debian's golang-go, cgo on:
# dynamically linked, its system calls made without libc) under `simnet
# run`, fetched by curl under `simnet run` in the same network: a small
# page and 1 MiB (sha256), then /quit ends the server with status 0.
# Nothing listens on the port in the kernel (ss -ltn) and a curl without
# the library does not reach it.  Needs the trap of calls that bypass
# libc (issue 12): without it the Go server binds a real kernel port.
. "$(dirname "$0")/lib.bash"

root=$(cd "$it_here/../.." && pwd)
SIMNET=$root/scripts/simnet
srvbin=$root/build/go/http_server
[ -x "$srvbin" ] || fail "build/go/http_server is not built (make go; package golang-go)"
for p in curl ss sha256sum; do
    command -v "$p" >/dev/null || fail "$p is not installed (packages curl, iproute2, coreutils)"
done
P=$(free_kernel_port) || fail "no free kernel port"
it_keep "$IT_NET"          # kept: check_arena looks at it afterwards
snrun() { timeout --foreground -k 1 10 env SIMNET_DIR="$IT_DIR" "$SIMNET" run -n "$IT_NET" -- "$@"; }

srv=$IT_DIR/server.out
: >"$srv"
timeout --foreground -k 1 20 env SIMNET_DIR="$IT_DIR" "$SIMNET" run -n "$IT_NET" -- \
    "$srvbin" "127.0.0.1:$P" >"$srv" 2>&1 &
spid=$!
it_pids+=("$spid")
wait_line "$srv" "^listening on 127.0.0.1:$P\$" "$spid"

# The port is not the kernel's: before anything else, so that a leak is
# named as such.
ss -Hltn >"$IT_DIR/ss" 2>&1 || fail "ss -ltn failed"
kernel_has_port "$P" "$IT_DIR/ss" &&
    { show "$IT_DIR/ss"; fail "ss -ltn shows a kernel listener on the Go server's port $P: its listen escaped the library"; }

r=$(snrun curl -sS --fail --max-time 10 "http://127.0.0.1:$P/hello" 2>&1) ||
    fail "curl /hello $(rcstr $?): $r"
[[ "$r" == "hello from Go, you are curl/"* ]] || fail "curl /hello answered '$r'"
n=1048576
snrun curl -sS --fail --max-time 10 -o "$IT_DIR/big" "http://127.0.0.1:$P/bytes?n=$n" ||
    fail "curl /bytes $(rcstr $?)"
want=$(yes go | tr -d '\n' | head -c "$n" | sha256sum)
got=$(sha256sum <"$IT_DIR/big")
[ "$got" = "$want" ] || fail "1 MiB from the Go server differs ($(stat -c %s "$IT_DIR/big") bytes)"

r=$(timeout 10 curl -sS --max-time 5 "http://127.0.0.1:$P/hello" 2>&1) &&
    fail "a curl without the library reached the Go server on port $P: '$r'"
case $r in
*"$(plain_refusal)"*|*"Couldn't connect"*) ;;
*) fail "a curl without the library got '$r', expected a refusal" ;;
esac

r=$(snrun curl -sS --fail --max-time 10 "http://127.0.0.1:$P/quit" 2>&1) || fail "curl /quit $(rcstr $?): $r"
wait_exit "$spid"; rc=$?
[ "$rc" -eq 0 ] || { show "$srv"; fail "the Go server $(rcstr $rc) after /quit"; }
check_arena
echo "Go net/http on port $P under simnet run: curl /hello and 1 MiB; not in ss"
echo ok
