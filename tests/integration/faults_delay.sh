#!/usr/bin/env bash
# Delay and rate between hosts (tests/integration/faults.py has the
# programs), with generous bounds for shared machines:
#  - 50 ms each way: connect takes one round trip, and each one-byte
#    round trip takes >= 100 ms and < 300 ms, whether the client blocks
#    in recv, in poll or in epoll_wait, and it spends little CPU waiting
#    (nobody spins);
#  - 4 MiB through a 1 MiB/s link takes >= 3.5 s (and arrives intact);
#  - `simnet link` lists the link, `--clear` takes the delay away.
. "$(dirname "$0")/lib.bash"

. "$it_here/faults_lib.bash"
sn link app db --delay 50ms --both || fail "simnet link --delay failed"
sn link | grep -q '^app -> db delay 50ms$' || fail "simnet link lists: $(sn link)"

port=7100
for mode in block poll epoll; do
    on "$IT_DIR/echo-$mode.out" db echo $port; e=$BG_PID
    wait_line "$IT_DIR/echo-$mode.out" '^listening' "$e"
    on "$IT_DIR/rtt-$mode.out" app rtt db $port $mode 10; r=$BG_PID
    wait_line "$IT_DIR/rtt-$mode.out" '^connect' "$r" 15
    read -r _ conn _ lo hi _ cpu <"$IT_DIR/rtt-$mode.out"
    [ "$conn" -ge 100 ] && [ "$conn" -lt 300 ] || fail "$mode: connect took $conn ms with 50 ms each way"
    [ "$lo" -ge 100 ] && [ "$hi" -lt 300 ] || fail "$mode: round trips $lo..$hi ms with 50 ms each way"
    [ "$cpu" -lt 300 ] || fail "$mode: $cpu ms of CPU for 10 round trips of 100 ms: spinning?"
    port=$((port + 1))
done

sn link app db --clear --both
sn link app db --rate 1mibps
on "$IT_DIR/sink.out" db sink $port; s=$BG_PID
wait_line "$IT_DIR/sink.out" '^listening' "$s"
on "$IT_DIR/bulk.out" app bulk db $port $((4 << 20)); b=$BG_PID
wait_line "$IT_DIR/bulk.out" '^bulk' "$b" 15
wait_line "$IT_DIR/sink.out" '^done' "$s" 5
t=$(awk '/^bulk/ {print $4}' "$IT_DIR/bulk.out")
awk -v t="$t" 'BEGIN { exit !(t >= 3.5 && t < 12) }' || fail "4 MiB at 1 MiB/s took $t s"
grep -q "^done $((4 << 20)) " "$IT_DIR/sink.out" || { show "$IT_DIR/sink.out"; fail "bytes lost under a rate"; }

sn link app db --clear
sn link | grep -q 'no faults' || fail "after --clear: $(sn link)"
echo ok
