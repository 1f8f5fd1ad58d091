#!/usr/bin/env bash
# Live capture: `simnet capture -n NET -w -` attached to a running network
# feeds `tshark -r -` while a program sends datagrams (to a closed port:
# each is followed by its ICMP error, which tshark leaves out here); --port keeps only
# that port's; SIGINT ends the capture with status 0 and tshark reads a
# whole file.  A second capture of the same network is refused while
# the first runs; a network that does not exist is one line, status 2.
. "$(dirname "$0")/lib.bash"
. "$it_here/pcap_lib.bash"

P=7777
out=$IT_DIR/tshark.out
it_keep "$IT_NET"
# the drainer writes to tshark through a pipe; both bounded
( timeout -k 1 20 "$SIMNET" capture -n "$IT_NET" -w - --port $P 2>"$IT_DIR/cap.err" |
      timeout -k 1 25 tshark -l -r - -Y 'udp && !icmp' -T fields -e udp.dstport -e udp.length >"$out" 2>"$IT_DIR/tshark.err" ) &
pipe=$!
it_pids+=("$pipe")
# the capture is attached once its drainer shows in the network
for _ in $(seq 100); do
    pgrep -f "simnet-capture -w - --port $P $IT_DIR $IT_NET" >/dev/null && break
    sleep 0.05
done
cap=$(pgrep -f "simnet-capture -w - --port $P $IT_DIR $IT_NET" | head -1)
[ -n "$cap" ] || { show "$IT_DIR/cap.err"; fail "simnet capture did not start"; }
sleep 0.3
"$SIMNET" capture -n "$IT_NET" -w "$IT_DIR/second.pcap" >"$IT_DIR/second.out" 2>&1 &&
    fail "a second capture of the same network was not refused"
grep -q "another capture is attached" "$IT_DIR/second.out" || { show "$IT_DIR/second.out"; fail "second capture: wrong message"; }
"$SIMNET" capture -n no-such-net >"$IT_DIR/none.out" 2>&1
[ $? = 2 ] && [ "$(wc -l <"$IT_DIR/none.out")" = 1 ] || { show "$IT_DIR/none.out"; fail "capture of a missing network: not one line and status 2"; }

sim "$IT_NET" "$PY" "$PCAP_PY" traffic 127.0.0.1 $P 1 >"$IT_DIR/t1" || fail "traffic $(rcstr $?)"
sim "$IT_NET" "$PY" "$PCAP_PY" traffic 127.0.0.1 $((P + 1)) 0.2 >/dev/null || fail "traffic $(rcstr $?)"
# tshark has seen packets while the capture still runs
for _ in $(seq 60); do [ -s "$out" ] && break; sleep 0.05; done
[ -s "$out" ] || fail "tshark printed nothing while the capture ran"
kill -0 "$cap" 2>/dev/null || fail "the capture ended by itself"
kill -INT "$cap"
wait "$pipe"; rc=$?
[ "$rc" = 0 ] || { show "$IT_DIR/cap.err" "$IT_DIR/tshark.err"; fail "capture | tshark: $(rcstr $rc)"; }
sent=$(sed -n 's/^sent //p' "$IT_DIR/t1")
got=$(grep -c "^$P	" "$out")
[ "$got" = "$sent" ] || { show "$IT_DIR/cap.err"; fail "tshark read $got datagrams to port $P, $sent were sent"; }
grep -qv "^$P	" "$out" && fail "--port $P let other ports through"
echo "$got datagrams read live by tshark"
echo ok
