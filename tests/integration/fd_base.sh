#!/usr/bin/env bash
# Scenario 7: with SIMNET_FD_BASE=200 every simulated socket of a Python
# program (created, accepted, TCP and UDP) has fileno() >= 200 and works;
# files and AF_UNIX sockets keep their ordinary low numbers.  Control:
# without SIMNET_FD_BASE the same program's sockets are below 200.
. "$(dirname "$0")/lib.bash"

with=$IT_DIR/with.out without=$IT_DIR/without.out
SIMNET_FD_BASE=200 sim "$IT_NET" "$PY" "$it_here/fd_base.py" >"$with" 2>&1 ||
    { show "$with"; fail "program failed with SIMNET_FD_BASE=200: $(rcstr $?)"; }
sim "$IT_NET" "$PY" "$it_here/fd_base.py" >"$without" 2>&1 ||
    { show "$without"; fail "program failed without SIMNET_FD_BASE: $(rcstr $?)"; }

fd_of() { awk -v k="$2" '$1 == k {print $2}' "$1"; }
for f in "$with" "$without"; do
    grep -qx works "$f" || { show "$f"; fail "simulated sockets did not work ($(basename "$f"))"; }
    [ "$(wc -l <"$f")" -eq 7 ] || { show "$f"; fail "unexpected output ($(basename "$f"))"; }
done
for k in listener client accepted udp6; do
    v=$(fd_of "$with" "$k")
    [ -n "$v" ] && [ "$v" -ge 200 ] || { show "$with"; fail "SIMNET_FD_BASE=200: $k socket has fd '$v' < 200"; }
    v=$(fd_of "$without" "$k")
    [ -n "$v" ] && [ "$v" -lt 200 ] || { show "$without"; fail "control: $k socket has fd '$v' >= 200 without SIMNET_FD_BASE"; }
done
for k in file unix; do
    v=$(fd_of "$with" "$k")
    [ -n "$v" ] && [ "$v" -lt 200 ] || { show "$with"; fail "SIMNET_FD_BASE moved a non-simulated fd ($k: '$v')"; }
done
check_arena
echo "SIMNET_FD_BASE=200: simulated fds $(fd_of "$with" listener) $(fd_of "$with" client) $(fd_of "$with" accepted) $(fd_of "$with" udp6); without: $(fd_of "$without" listener) ..."
echo ok
