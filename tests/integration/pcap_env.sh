#!/usr/bin/env bash
# SIMNET_PCAP=FILE with the bare preload: the first process of the network
# starts the drainer; two programs run one after the other (the network
# made twice) end up in one file, which tshark reads whole once the
# drainer left; the drainer leaves no process or network behind.
. "$(dirname "$0")/lib.bash"
. "$it_here/pcap_lib.bash"

F=$IT_DIR/env.pcap
O=$IT_DIR/x
IT_NO_KEEP=1 sim "$IT_NET" env SIMNET_PCAP="$F" "$PY" "$PCAP_PY" udp 127.0.0.1 "$O.u" >"$IT_DIR/1.out" 2>&1 ||
    { show "$IT_DIR/1.out"; fail "udp under SIMNET_PCAP: $(rcstr $?)"; }
# the drainer ends ~0.2 s after the network's last process
for _ in $(seq 100); do [ -e "$IT_DIR/$IT_NET.arena" ] || break; sleep 0.05; done
[ -e "$IT_DIR/$IT_NET.arena" ] && fail "the network stayed after its programs and drainer"
IT_NO_KEEP=1 sim "$IT_NET" env SIMNET_PCAP="$F" "$PY" "$PCAP_PY" tcp 127.0.0.1 "$O.t" >"$IT_DIR/2.out" 2>&1 ||
    { show "$IT_DIR/2.out"; fail "tcp under SIMNET_PCAP: $(rcstr $?)"; }
for _ in $(seq 100); do [ -e "$IT_DIR/$IT_NET.arena" ] || break; sleep 0.05; done
[ -e "$IT_DIR/$IT_NET.arena" ] && fail "the network stayed after its programs and drainer"
pgrep -f "simnet-capture .*$IT_NET" >/dev/null && fail "a drainer is still running"

pcap_sane "$F"
[ "$(pcap_count "$F" 'udp && !icmp')" = "$(wc -l <"$O.u.udp")" ] || fail "not every datagram is in the file once"
"$PY" "$PCAP_PY" follow "$F" "0:$O.t.c2s:$O.t.s2c" >"$IT_DIR/follow.out" 2>&1 ||
    { show "$IT_DIR/follow.out"; fail "the second program's connection is not in the file as sent"; }
echo "two programs, one after the other, in one file"
echo ok
