#!/usr/bin/env bash
# Lifecycle 10: an inetd-style server.  A preloaded Python server accepts
# each connection and runs `cat` (subprocess.Popen, close_fds) with the
# socket as its stdin and stdout, closing its own copy at once; cat, a
# fresh program after execve (preloaded through the environment), must
# recognise fds 0 and 1 as the simulated socket and echo until EOF.
# 10 clients at once, 256 KiB each (half-close, read until EOF, sha256),
# then one more alone.  Every cat exits 0.
. "$(dirname "$0")/lib.bash"

command -v cat >/dev/null || fail "cat not found"
P=7500 N=10 NBYTES=262144
srv=$IT_DIR/server.out
bg "$srv" "$IT_NET" "$PY" "$it_here/lifecycle.py" inetd-server 127.0.0.1 "$P" $((N + 1))
spid=$BG_PID
wait_line "$srv" '^ready ' "$spid"

check_client() {
    local f=$1 what=$2 sent got
    sent=$(awk '$1 == "client-sent" {print $2, $3}' "$f")
    got=$(awk '$1 == "client-received" {print $2, $3}' "$f")
    [ "${sent%% *}" = "$NBYTES" ] && [ "$got" = "$sent" ] ||
        { show "$f" "$srv"; fail "$what: sent '$sent', got back '$got'"; }
}

cpids=()
for i in $(seq 1 $N); do
    bg "$IT_DIR/client$i.out" "$IT_NET" "$PY" "$PEERS" tcp-bulk-client 127.0.0.1 "$P" "$NBYTES"
    cpids+=("$BG_PID")
done
for i in $(seq 1 $N); do
    wait_exit "${cpids[$((i - 1))]}" || { show "$IT_DIR/client$i.out" "$srv"; fail "client $i $(rcstr $?)"; }
    check_client "$IT_DIR/client$i.out" "client $i"
done
f=$IT_DIR/client-last.out
sim "$IT_NET" "$PY" "$PEERS" tcp-bulk-client 127.0.0.1 "$P" "$NBYTES" >"$f" 2>&1 ||
    { show "$f" "$srv"; fail "last client $(rcstr $?)"; }
check_client "$f" "last client"

wait_exit "$spid"; rc=$?
[ "$rc" -eq 0 ] || { show "$srv"; fail "inetd server $(rcstr $rc)"; }
[ "$(grep -c '^spawned ' "$srv")" -eq $((N + 1)) ] || { show "$srv"; fail "expected $((N + 1)) cats"; }
[ "$(grep -Ec '^cat-exit [0-9]+ 0$' "$srv")" -eq $((N + 1)) ] || { show "$srv"; fail "not every cat exited 0"; }
check_arena
echo "$((N + 1)) connections served by cat after execve, $NBYTES bytes each echoed intact"
echo ok
