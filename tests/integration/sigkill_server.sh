#!/usr/bin/env bash
# Scenario 9: a server is killed with SIGKILL while its client (another
# process) is blocked in recv().  The client must wake within 1 s of the
# kill, and the port must be bindable again (by a third process, with
# SO_REUSEADDR as servers set it) within 1 s of the kill, while the client
# still holds its end of the connection.  Two rounds, with Linux's exact
# outcome: (a) nothing unread in the server: EOF; (b) the client had sent
# bytes the server never read: the kill resets the connection, ECONNRESET.
# Control: before the kill the same bind fails with EADDRINUSE.
. "$(dirname "$0")/lib.bash"

round() {
    local r=$1 port=$2 unread=$3 expect=$4
    local srv=$IT_DIR/server-$r.out cli=$IT_DIR/client-$r.out reb=$IT_DIR/rebind-$r.out
    local trig=$IT_DIR/killed-$r hold=$IT_DIR/release-$r

    bg "$srv" "$IT_NET" "$PY" "$PEERS" hello-server 127.0.0.1 "$port"
    local spid=$BG_PID
    # It will die of a signal: no job-status message from bash about it.
    disown "$spid"
    wait_line "$srv" '^ready ' "$spid"
    local pypid
    pypid=$(awk '$1 == "ready" {print $3}' "$srv")
    [ -n "$pypid" ] && kill -0 "$pypid" 2>/dev/null || fail "($r) no server pid"

    bg "$cli" "$IT_NET" "$PY" "$PEERS" blocked-client 127.0.0.1 "$port" "$unread" "$hold"
    local cpid=$BG_PID
    wait_line "$cli" '^blocking$' "$cpid"
    wait_line "$srv" '^sent-hello$' "$spid"
    grep -qx "got hello" "$cli" || { show "$cli"; fail "($r) client did not get the greeting"; }

    bg "$reb" "$IT_NET" "$PY" "$PEERS" rebind 127.0.0.1 "$port" "$trig" 1
    local rpid=$BG_PID
    wait_line "$reb" '^armed$' "$rpid"
    grep -qx "before EADDRINUSE" "$reb" ||
        { show "$reb"; fail "($r) control: binding the port of a live listener did not fail with EADDRINUSE"; }

    # Let the client get past any spinning into a real sleep in recv().
    sleep 0.3
    grep -q '^woke' "$cli" && { show "$cli"; fail "($r) client returned from recv before the kill"; }

    local t0
    t0=$(date +%s%N)
    # The python server itself (pid printed by it; a child of our timeout).
    kill -KILL "$pypid" || fail "($r) could not kill server $pypid"
    echo "$t0" >"$trig.tmp" && mv "$trig.tmp" "$trig"
    local n=0
    while kill -0 "$pypid" 2>/dev/null && [ $n -lt 100 ]; do sleep 0.01; n=$((n + 1)); done
    kill -0 "$pypid" 2>/dev/null && fail "($r) server $pypid survived SIGKILL"

    # Give the client 3 s to wake (then report how late it was).
    wait_line "$cli" '^woke ' "$cpid" 3
    local what t1 ms
    what=$(awk '$1 == "woke" {$1 = ""; $NF = ""; print; exit}' "$cli" | sed 's/^ *//; s/ *$//')
    t1=$(awk '$1 == "woke" {print $NF; exit}' "$cli")
    ms=$(( (t1 - t0) / 1000000 ))
    case $what in
    eof | "error ECONNRESET") ;;
    *) show "$cli"; fail "($r) client's blocked recv returned '$what', expected EOF or ECONNRESET" ;;
    esac
    [ "$ms" -lt 1000 ] || { show "$cli"; fail "($r) client woke $ms ms after the kill (limit 1000 ms)"; }
    [ "$what" = "$expect" ] ||
        { show "$cli"; fail "($r) client's recv returned '$what'; Linux gives '$expect' here"; }

    wait_exit "$rpid"
    local rrc=$?
    [ "$rrc" -eq 0 ] || { show "$reb"; fail "($r) port $port could not be bound again within 1 s of the kill"; }
    local t2 rms
    t2=$(awk '$1 == "rebound-ns" {print $2}' "$reb")
    rms=$(( (t2 - t0) / 1000000 ))
    [ "$rms" -lt 1000 ] || { show "$reb"; fail "($r) port bound again only $rms ms after the kill"; }

    touch "$hold"
    wait_exit "$cpid" || { show "$cli"; fail "($r) client exited non-zero"; }
    echo "($r) client blocked in recv woke with '$what' $ms ms after SIGKILL; port $port bound again after $rms ms"
}

round a 9000 0 eof
round b 9001 1 "error ECONNRESET"
check_arena
echo ok
