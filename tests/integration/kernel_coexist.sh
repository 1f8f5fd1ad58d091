#!/usr/bin/env bash
# Scenario 4: a KERNEL listener on 127.0.0.1:P (started without the
# preload) is not reachable from a preloaded client (ECONNREFUSED); a
# preloaded listener then binds the same P and coexists with it: preloaded
# clients reach the simulated one, plain clients still the kernel one, and
# the kernel server never sees a simulated client.
. "$(dirname "$0")/lib.bash"

if isolated; then
    echo "isolated pass: no kernel loopback to coexist with (skipped)"
    echo ok
    exit 0
fi
P=$(free_kernel_port) || fail "no free kernel port"
out() { echo "$IT_DIR/$1.out"; }

bg "$(out kern-server)" - "$PY" "$PEERS" banner-server 127.0.0.1 "$P" KERNEL
kernsrv=$BG_PID
wait_line "$(out kern-server)" '^ready ' "$kernsrv"

# 1. preloaded client, only a kernel listener: refused
sim "$IT_NET" "$PY" "$PEERS" banner-client 127.0.0.1 "$P" >"$(out sim-client1)" 2>&1 ||
    { show "$(out sim-client1)"; fail "preloaded client 1 failed: $(rcstr $?)"; }
grep -qx "connect-error ECONNREFUSED" "$(out sim-client1)" ||
    { show "$(out sim-client1)"; fail "preloaded connect to a kernel-only port was not refused"; }

# 2. control: a plain client reaches the kernel listener
timeout 10 "$PY" "$PEERS" banner-client 127.0.0.1 "$P" >"$(out kern-client1)" 2>&1 ||
    { show "$(out kern-client1)"; fail "kernel client 1 failed: $(rcstr $?)"; }
grep -qx "banner KERNEL" "$(out kern-client1)" ||
    { show "$(out kern-client1)"; fail "control: plain client did not reach the kernel listener"; }

# 3. a preloaded listener on the same port, while the kernel one listens
bg "$(out sim-server)" "$IT_NET" "$PY" "$PEERS" banner-server 127.0.0.1 "$P" SIM
simsrv=$BG_PID
wait_line "$(out sim-server)" '^ready ' "$simsrv"

sim "$IT_NET" "$PY" "$PEERS" banner-client 127.0.0.1 "$P" >"$(out sim-client2)" 2>&1 ||
    { show "$(out sim-client2)"; fail "preloaded client 2 failed: $(rcstr $?)"; }
grep -qx "banner SIM" "$(out sim-client2)" ||
    { show "$(out sim-client2)"; fail "preloaded client did not reach the preloaded listener"; }
grep -qx "reply SIM:echo:bye" "$(out sim-client2)" ||
    { show "$(out sim-client2)"; fail "preloaded exchange incomplete"; }

timeout 10 "$PY" "$PEERS" banner-client 127.0.0.1 "$P" >"$(out kern-client2)" 2>&1 ||
    { show "$(out kern-client2)"; fail "kernel client 2 failed: $(rcstr $?)"; }
grep -qx "banner KERNEL" "$(out kern-client2)" ||
    { show "$(out kern-client2)"; fail "plain client no longer reaches the kernel listener"; }

# The kernel server served exactly the two plain clients.
wait_line "$(out kern-server)" '^served 2$' "$kernsrv" 2
grep -q '^served 3$' "$(out kern-server)" &&
    { show "$(out kern-server)"; fail "the kernel server served a simulated client"; }
wait_line "$(out sim-server)" '^served 1$' "$simsrv" 2
grep -q '^ready ' "$(out sim-server)" && ! grep -qi error "$(out sim-server)" ||
    { show "$(out sim-server)"; fail "simulated server reported an error"; }

echo "port $P: kernel listener unreachable from inside (ECONNREFUSED); both listeners served their own clients"
check_arena
echo ok
