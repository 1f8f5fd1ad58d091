#!/usr/bin/env bash
# Real server 6: Python's socketserver.ForkingTCPServer runs preloaded
# and serves 50 clients that are all connected at the same time (50
# threads of another preloaded process, held at a barrier until every
# one has connected).  Each connection is handled in its own forked child
# (the parent closes its copy of the accepted socket at once): every
# client must get the sha256 of its request line from a distinct child
# pid, never from the server process itself.  Then 5 more client
# processes of 10 connections each, one after the other, to check that
# the children's exits left the server healthy.  (The server's backlog
# is 64: with the default 5, 50 simultaneous connects would wait for SYN
# retransmissions on Linux.)
# Nothing listens on the port in the kernel.
. "$(dirname "$0")/lib.bash"

command -v ss >/dev/null || fail "ss (iproute2) is not installed"
P=$(free_kernel_port) || fail "no free kernel port"

srv=$IT_DIR/server.out
bg "$srv" "$IT_NET" "$PY" "$it_here/apps.py" forking-server 127.0.0.1 "$P"
spid=$BG_PID
wait_line "$srv" '^ready ' "$spid"
server_pid=$(awk '$1 == "ready" {print $3}' "$srv")

ss -Hltn >"$IT_DIR/ss" 2>&1 || fail "ss -ltn failed"
kernel_has_port "$P" "$IT_DIR/ss" && { show "$IT_DIR/ss"; fail "ss -ltn shows a kernel listener on port $P"; }

cli=$IT_DIR/clients.out
sim "$IT_NET" "$PY" "$it_here/apps.py" forking-clients 127.0.0.1 "$P" 50 "$server_pid" >"$cli" 2>&1 ||
    { show "$cli" "$srv"; fail "50 simultaneous clients: $(rcstr $?)"; }
grep -qx "correct 50 of 50" "$cli" || { show "$cli"; fail "not every client got a correct answer"; }
grep -qx "distinct-pids 50" "$cli" || { show "$cli"; fail "the 50 clients were not served by 50 different children"; }
grep -qx "server-pid-answered 0" "$cli" || { show "$cli"; fail "the server process answered itself instead of a child"; }

for r in 1 2 3 4 5; do
    f=$IT_DIR/round$r.out
    sim "$IT_NET" "$PY" "$it_here/apps.py" forking-clients 127.0.0.1 "$P" 10 "$server_pid" >"$f" 2>&1 ||
        { show "$f" "$srv"; fail "round $r of 10 clients: $(rcstr $?)"; }
done
kill -0 "$spid" 2>/dev/null || { show "$srv"; fail "the server died"; }
grep -Eq 'Traceback|Error' "$srv" && { show "$srv"; fail "the server reported an error"; }
check_arena
echo "port $P: ForkingTCPServer served 50 simultaneous clients from 50 children, then 5 x 10 more"
echo ok
