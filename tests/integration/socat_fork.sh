#!/usr/bin/env bash
# Real server 5: `socat TCP-LISTEN:P,reuseaddr,fork EXEC:cat` runs
# preloaded: socat accepts, forks a child per connection, and that child
# runs cat behind a socketpair, shuttling with select().  Clients, each
# sending 1 MiB of random bytes and checking what comes back (sha256 /
# cmp): 3 Python clients at once (half-close, read until EOF), then a
# preloaded socat client fed from a file.  Nothing listens on the port
# in the kernel, and a plain client is refused.
. "$(dirname "$0")/lib.bash"

for p in socat ss cmp; do
    command -v "$p" >/dev/null || fail "$p is not installed (packages socat, iproute2)"
done
P=$(free_kernel_port) || fail "no free kernel port"
NBYTES=1048576

srv=$IT_DIR/socat-server.out
bg "$srv" "$IT_NET" socat -d TCP-LISTEN:"$P",reuseaddr,fork EXEC:cat
spid=$BG_PID
# socat prints nothing when it listens: wait until a client gets through.
n=0
until sim "$IT_NET" "$PY" -c '
import socket, sys
s = socket.socket()
try:
    s.connect(("127.0.0.1", int(sys.argv[1])))
except ConnectionRefusedError:
    sys.exit(3)
s.sendall(b"ping\n"); s.shutdown(socket.SHUT_WR)
sys.exit(0 if s.recv(100) == b"ping\n" else 1)' "$P" 2>"$IT_DIR/probe.err"; do
    rc=$?
    [ "$rc" -eq 3 ] || { show "$IT_DIR/probe.err" "$srv"; fail "first connection to socat: $(rcstr $rc)"; }
    kill -0 "$spid" 2>/dev/null || { show "$srv"; fail "socat exited"; }
    n=$((n + 1))
    [ "$n" -lt 250 ] || { show "$srv"; fail "socat did not listen within 5 s"; }
    sleep 0.02
done

ss -Hltn >"$IT_DIR/ss" 2>&1 || fail "ss -ltn failed"
kernel_has_port "$P" "$IT_DIR/ss" && { show "$IT_DIR/ss"; fail "ss -ltn shows a kernel listener on socat's port $P"; }
timeout 10 "$PY" "$PEERS" banner-client 127.0.0.1 "$P" >"$IT_DIR/plain.out" 2>&1
grep -qx "connect-error $(plain_refusal_errno)" "$IT_DIR/plain.out" ||
    { show "$IT_DIR/plain.out"; fail "a client without the preload was not refused on port $P"; }

# 3 Python clients at once.
cpids=()
for i in 1 2 3; do
    bg "$IT_DIR/client$i.out" "$IT_NET" "$PY" "$PEERS" tcp-bulk-client 127.0.0.1 "$P" "$NBYTES"
    cpids+=("$BG_PID")
done
for i in 1 2 3; do
    f=$IT_DIR/client$i.out
    wait_exit "${cpids[$((i - 1))]}" || { show "$f" "$srv"; fail "python client $i $(rcstr $?)"; }
    sent=$(awk '$1 == "client-sent" {print $2, $3}' "$f")
    got=$(awk '$1 == "client-received" {print $2, $3}' "$f")
    [ "${sent%% *}" = "$NBYTES" ] && [ "$got" = "$sent" ] ||
        { show "$f"; fail "python client $i: sent '$sent', got back '$got'"; }
done

# A socat client: stdin from a file, half-close at its end, wait (-t) for
# the other direction's EOF.
head -c "$NBYTES" /dev/urandom >"$IT_DIR/data"
sim "$IT_NET" socat -t 5 - TCP:127.0.0.1:"$P" <"$IT_DIR/data" >"$IT_DIR/data.back" 2>"$IT_DIR/socat-client.err" ||
    { show "$IT_DIR/socat-client.err"; fail "socat client $(rcstr $?)"; }
cmp "$IT_DIR/data" "$IT_DIR/data.back" || fail "socat client: 1 MiB came back different ($(stat -c %s "$IT_DIR/data.back") bytes)"

kill -0 "$spid" 2>/dev/null || { show "$srv"; fail "the socat server died"; }
grep -Ei ' E |error' "$srv" && { show "$srv"; fail "socat server logged errors"; }
check_arena
echo "port $P: socat fork+EXEC:cat echoed 1 MiB to 3 python clients at once and to a socat client; not in ss"
echo ok
