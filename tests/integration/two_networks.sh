#!/usr/bin/env bash
# Scenario 5: two networks (different SIMNET_NETWORK, same SIMNET_DIR)
# both listen on the same port at the same time; each client reaches only
# its own network's server (server-specific banner), a third network with
# no server gets ECONNREFUSED, and each server served only its own clients.
. "$(dirname "$0")/lib.bash"

PORT=8080
NA=$IT_NET-A NB=$IT_NET-B NC=$IT_NET-C
out() { echo "$IT_DIR/$1.out"; }

bg "$(out server-A)" "$NA" "$PY" "$PEERS" banner-server 127.0.0.1 "$PORT" banner-of-A
sa=$BG_PID
bg "$(out server-B)" "$NB" "$PY" "$PEERS" banner-server 127.0.0.1 "$PORT" banner-of-B
sb=$BG_PID
wait_line "$(out server-A)" '^ready ' "$sa"
wait_line "$(out server-B)" '^ready ' "$sb"

# Alternate clients A, B, A, B, A: each must get its own banner.
nA=0 nB=0
for who in A B A B A; do
    f=$(out "client-$who-$nA$nB")
    sim "$IT_NET-$who" "$PY" "$PEERS" banner-client 127.0.0.1 "$PORT" >"$f" 2>&1 ||
        { show "$f"; fail "client in network $who failed: $(rcstr $?)"; }
    grep -qx "banner banner-of-$who" "$f" ||
        { show "$f"; fail "client in network $who did not get banner-of-$who"; }
    grep -qx "reply banner-of-$who:echo:bye" "$f" ||
        { show "$f"; fail "client in network $who: wrong reply"; }
    if [ "$who" = A ]; then nA=$((nA + 1)); else nB=$((nB + 1)); fi
done

f=$(out client-C)
sim "$NC" "$PY" "$PEERS" banner-client 127.0.0.1 "$PORT" >"$f" 2>&1 ||
    { show "$f"; fail "client in network C failed: $(rcstr $?)"; }
grep -qx "connect-error ECONNREFUSED" "$f" ||
    { show "$f"; fail "network C (no server) was not refused"; }

wait_line "$(out server-A)" "^served $nA\$" "$sa" 2
wait_line "$(out server-B)" "^served $nB\$" "$sb" 2
grep -q "^served $((nA + 1))\$" "$(out server-A)" && fail "server A served a client of another network"
grep -q "^served $((nB + 1))\$" "$(out server-B)" && fail "server B served a client of another network"

for n in "$NA" "$NB" "$NC"; do check_arena "$n"; done
echo "port $PORT in two networks at once: $nA clients reached A, $nB reached B, C refused"
echo ok
