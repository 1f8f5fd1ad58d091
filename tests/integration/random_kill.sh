#!/usr/bin/env bash
# Lifecycle 7: 200 rounds of SIGKILL at random moments.  Each round a
# preloaded driver forks a fresh event-loop echo server and 1-3 clients
# exchanging random data (checked), sleeps a random 0-20 ms and SIGKILLs
# one of them at random (so sometimes inside a library call holding a
# lock, sometimes before the client has connected).  Then: whoever had a
# connection with the dead process sees EOF or ECONNRESET (EPIPE /
# ECONNREFUSED for a client whose server died) within 1 s; the other
# clients are undisturbed; while the server lives its port is in use
# (EADDRINUSE, the control), and once it is gone (killed, or stopped
# after the round) a fresh bind with SO_REUSEADDR succeeds within 1 s.
# The whole loop must take less than 20 s.  At the end `simnet ls -n`
# must show no socket left over from the ~600 processes, dead or exited.
# The seed is random and printed; SIMNET_SEED=N replays a run.
. "$(dirname "$0")/lib.bash"

root=$(cd "$it_here/../.." && pwd)
[ -x "$root/build/simnet-inspect" ] || fail "build/simnet-inspect is not built (make)"
PORT=9100 ROUNDS=200
SEED=${SIMNET_SEED:-$RANDOM$RANDOM}
echo "seed $SEED"

out=$IT_DIR/driver.out
SIMNET_INSPECT=$root/build/simnet-inspect \
    bg "$out" "$IT_NET" "$PY" "$it_here/lifecycle.py" random-kill "$PORT" "$ROUNDS" "$SEED" 19
dpid=$BG_PID
wait_exit "$dpid"; rc=$?
[ "$rc" -eq 0 ] || { show "$out"; fail "random-kill driver $(rcstr $rc) (seed $SEED)"; }
grep -q '^rounds 200 ' "$out" || { show "$out"; fail "the driver did not complete 200 rounds"; }
cat "$out"

# A kill that never hit a connected process would test nothing.
seen=$(awk '$1 == "deaths-seen" {print $2}' "$out")
[ "${seen:-0}" -ge 100 ] || fail "only ${seen:-0} of 200 kills hit a process with a connection"
total=$(awk '$1 == "deaths-seen" {print $NF}' "$out")
awk -v t="$total" 'BEGIN {exit !(t < 20)}' || fail "the loop took $total s (limit 20 s)"

# Nothing left behind: every socket listed must belong to a live process.
ls_out=$IT_DIR/ls.out
SIMNET_DIR=$IT_DIR timeout 10 "$root/scripts/simnet" ls -n "$IT_NET" >"$ls_out" 2>&1 ||
    { show "$ls_out"; fail "simnet ls -n failed"; }
head -n 1 "$ls_out" | grep -q '^Netid' || { show "$ls_out"; fail "simnet ls -n printed no header"; }
left=0
while read -r _ _ _ _ _ _ pids; do
    for p in ${pids//,/ }; do
        if ! kill -0 "$p" 2>/dev/null; then
            left=$((left + 1))
            break
        fi
    done
done < <(tail -n +2 "$ls_out")
[ "$left" -eq 0 ] || { show "$ls_out"; fail "$left socket(s) left in the network by dead processes"; }
[ "$(wc -l <"$ls_out")" -eq 1 ] || { show "$ls_out"; fail "sockets left in the network after every process exited"; }
check_arena
echo ok
