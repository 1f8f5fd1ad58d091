#!/usr/bin/env bash
# Real programs: iperf3 server and client, preloaded, separate processes.
# A 1-second TCP test and a UDP test must complete and report transfers;
# the server's port is absent from the kernel's tables meanwhile.
. "$(dirname "$0")/lib.bash"

for p in iperf3 ss; do
    command -v "$p" >/dev/null || fail "$p is not installed (packages iperf3, iproute2)"
done
P=$(free_kernel_port) || fail "no free kernel port"

srv=$IT_DIR/iperf3-server.out
# One test per server run (-1), two runs: TCP then UDP.
for mode in tcp udp; do
    bg "$srv.$mode" "$IT_NET" iperf3 -s -1 -p "$P" --forceflush
    spid=$BG_PID
    wait_line "$srv.$mode" 'Server listening' "$spid"
    if [ "$mode" = tcp ]; then
        ss -Hltn >"$IT_DIR/ss" 2>&1 || fail "ss -ltn failed"
        kernel_has_port "$P" "$IT_DIR/ss" && { show "$IT_DIR/ss"; fail "ss -ltn shows iperf3's port $P"; }
        args=(-t 1)
    else
        args=(-u -b 50M -t 1)
    fi
    out=$IT_DIR/iperf3-client.$mode
    sim "$IT_NET" iperf3 -c 127.0.0.1 -p "$P" "${args[@]}" >"$out" 2>&1 ||
        { show "$out" "$srv.$mode"; fail "iperf3 $mode client $(rcstr $?)"; }
    grep -Eq 'receiver$' "$out" || { show "$out"; fail "iperf3 $mode printed no receiver summary"; }
    # A transfer of at least one kilobyte, in whatever unit iperf3 chose.
    grep -E 'receiver$' "$out" | grep -Eq '[0-9.]+ (K|M|G)Bytes' ||
        { show "$out"; fail "iperf3 $mode moved no data"; }
    wait_exit "$spid" || { show "$srv.$mode"; fail "iperf3 $mode server $(rcstr $?)"; }
done
check_arena "$IT_NET"
echo "port $P: iperf3 TCP and UDP tests ran through the simulated network; not in ss"
echo ok
