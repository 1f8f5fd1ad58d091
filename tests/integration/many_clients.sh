#!/usr/bin/env bash
# Scenario 6: one server process (a thread per connection) serves 32
# client threads of another process at once, each doing 50 length-prefixed
# request/response exchanges of varying size; every answer (sha256 of the
# request + the request reversed) must be correct.
. "$(dirname "$0")/lib.bash"

PORT=7000 THREADS=32 REQS=50
srv=$IT_DIR/server.out cli=$IT_DIR/client.out

bg "$srv" "$IT_NET" "$PY" "$PEERS" thread-server 127.0.0.1 "$PORT"
spid=$BG_PID
wait_line "$srv" '^ready ' "$spid"

bg "$cli" "$IT_NET" "$PY" "$PEERS" thread-client 127.0.0.1 "$PORT" "$THREADS" "$REQS"
cpid=$BG_PID
wait_exit "$cpid"; rc=$?
[ "$rc" -eq 0 ] || { show "$cli" "$srv"; fail "client $(rcstr $rc)"; }
grep -qx "correct $((THREADS * REQS)) of $((THREADS * REQS))" "$cli" ||
    { show "$cli"; fail "not every answer was correct"; }
# The server saw every connection end and counted every request.
wait_line "$srv" "^done-connections $THREADS requests $((THREADS * REQS))\$" "$spid" 3
check_arena
echo "$THREADS threads x $REQS exchanges: all $((THREADS * REQS)) answers correct"
echo ok
