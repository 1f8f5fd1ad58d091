#!/usr/bin/env bash
# Scenario 3: while a simulated server listens on TCP and UDP port P and a
# simulated client holds a connection to it, the kernel knows nothing:
# `ss -ltnu` shows no socket on P and `ss -tan` no connection on it.
# Control, so that the check can fail: the same programs WITHOUT the
# preload on port Q, at the same time, must show up in the same ss output
# (in the isolated pass, where the kernel's loopback is down, only the
# control listener: a plain client cannot connect there).
. "$(dirname "$0")/lib.bash"

command -v ss >/dev/null || fail "ss (iproute2) is not installed"
P=$(free_kernel_port) || fail "no free kernel port"
Q=$(free_kernel_port) || fail "no free kernel port"
[ "$P" != "$Q" ] || Q=$((P + 1))

# simulated server + client on P
bg "$IT_DIR/sim-server.out" "$IT_NET" "$PY" "$PEERS" banner-server 127.0.0.1 "$P" SIM 1
simsrv=$BG_PID
# kernel server + client on Q (control)
bg "$IT_DIR/kern-server.out" - "$PY" "$PEERS" banner-server 127.0.0.1 "$Q" KERNEL 1
kernsrv=$BG_PID
wait_line "$IT_DIR/sim-server.out" '^ready ' "$simsrv"
wait_line "$IT_DIR/kern-server.out" '^ready ' "$kernsrv"

bg "$IT_DIR/sim-client.out" "$IT_NET" "$PY" "$PEERS" banner-client 127.0.0.1 "$P" "$IT_DIR/release"
simcli=$BG_PID
kerncli=
if ! isolated; then
    bg "$IT_DIR/kern-client.out" - "$PY" "$PEERS" banner-client 127.0.0.1 "$Q" "$IT_DIR/release"
    kerncli=$BG_PID
fi
wait_line "$IT_DIR/sim-client.out" '^holding ' "$simcli"
[ -z "$kerncli" ] || wait_line "$IT_DIR/kern-client.out" '^holding ' "$kerncli"
grep -qx "banner SIM" "$IT_DIR/sim-client.out" ||
    { show "$IT_DIR/sim-client.out"; fail "simulated client did not reach the simulated server"; }

# Both connections are established and both listeners listen: look.
ss -ltnu >"$IT_DIR/ss-ltnu" 2>&1 || fail "ss -ltnu failed"
ss -tan >"$IT_DIR/ss-tan" 2>&1 || fail "ss -tan failed"

kernel_has_port "$Q" "$IT_DIR/ss-ltnu" ||
    { show "$IT_DIR/ss-ltnu"; fail "control: ss -ltnu does not show the kernel listener on $Q"; }
[ "$(grep -Ec ":$Q( |\$)" "$IT_DIR/ss-ltnu")" -ge 2 ] ||
    { show "$IT_DIR/ss-ltnu"; fail "control: ss -ltnu does not show both TCP and UDP on $Q"; }
[ -z "$kerncli" ] || grep -E "^ESTAB .*:$Q( |\$)" "$IT_DIR/ss-tan" >/dev/null ||
    { show "$IT_DIR/ss-tan"; fail "control: ss -tan does not show the kernel connection on $Q"; }

if kernel_has_port "$P" "$IT_DIR/ss-ltnu"; then
    show "$IT_DIR/ss-ltnu"
    fail "ss -ltnu shows a kernel socket on the simulated port $P"
fi
if kernel_has_port "$P" "$IT_DIR/ss-tan"; then
    show "$IT_DIR/ss-tan"
    fail "ss -tan shows a kernel connection on the simulated port $P"
fi

touch "$IT_DIR/release"
wait_exit "$simcli" || { show "$IT_DIR/sim-client.out"; fail "simulated client failed: $(rcstr $?)"; }
[ -z "$kerncli" ] || wait_exit "$kerncli" || { show "$IT_DIR/kern-client.out"; fail "kernel client failed: $(rcstr $?)"; }
grep -qx "reply SIM:echo:bye" "$IT_DIR/sim-client.out" ||
    { show "$IT_DIR/sim-client.out"; fail "simulated exchange incomplete"; }
echo "port $P: nothing in ss while simulated; control port $Q: listener, UDP and connection seen"
check_arena
echo ok
