#!/usr/bin/env bash
# Lifecycle: 500 rounds of killing a forking server at random moments
# (fork_kill.py), SIGTERM and SIGKILL alternately, often while it is
# inside fork() with the child's process entry reserved and holding the
# listener.  After each kill the port must be free again (a bind
# succeeds) within 2 s; the whole loop must take less than 20 s.  The
# seed is random and printed; SIMNET_SEED=N replays a run.
. "$(dirname "$0")/lib.bash"

ROUNDS=500
SEED=${SIMNET_SEED:-$RANDOM$RANDOM}
echo "seed $SEED"
P=$(free_kernel_port) || fail "no free kernel port"
out=$IT_DIR/driver.out
bg "$out" "$IT_NET" "$PY" "$it_here/fork_kill.py" "$ROUNDS" "$P" "$SEED" 19
wait_exit "$BG_PID"; rc=$?
[ "$rc" -eq 0 ] || { show "$out"; fail "fork-kill driver $(rcstr $rc) (seed $SEED)"; }
grep -qx "rounds $ROUNDS" "$out" || { show "$out"; fail "the driver did not complete $ROUNDS rounds"; }
cat "$out"
n=$(awk '$1 == "with-clients" {print $2}' "$out")
[ "${n:-0}" -ge $((ROUNDS / 2)) ] || fail "only ${n:-0} of $ROUNDS rounds had clients connecting while the server was killed"
echo ok
