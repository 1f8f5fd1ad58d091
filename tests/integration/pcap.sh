#!/usr/bin/env bash
# Capture (simnet run --pcap): TCP exchanges of random bytes both ways
# over 127.0.0.1 and ::1 (half-close, then FIN each way) and one ended by a
# reset (SO_LINGER 0), UDP datagrams and one to a closed port.  tshark
# reads the file as real traffic: follow,tcp,raw gives each side's bytes
# exactly, conv,tcp lists the three connections, each datagram appears
# once with its size and addresses, the closed port is answered by ICMP,
# and no packet is malformed or has a bad checksum.
. "$(dirname "$0")/lib.bash"
. "$it_here/pcap_lib.bash"

F=$IT_DIR/run.pcap
O=$IT_DIR/x
timeout -k 1 30 "$SIMNET" run --pcap "$F" -- sh -c "
    '$PY' '$PCAP_PY' tcp 127.0.0.1 '$O.t4' &&
    '$PY' '$PCAP_PY' tcp ::1 '$O.t6' &&
    '$PY' '$PCAP_PY' tcp 127.0.0.1 '$O.tr' reset &&
    '$PY' '$PCAP_PY' udp 127.0.0.1 '$O.u4' &&
    '$PY' '$PCAP_PY' udp ::1 '$O.u6'" >"$IT_DIR/run.out" 2>&1 ||
    { show "$IT_DIR/run.out"; fail "simnet run --pcap: $(rcstr $?)"; }
[ -s "$F" ] || fail "simnet run --pcap wrote nothing"
ls "$IT_DIR"/*.arena >/dev/null 2>&1 && fail "simnet run --pcap left its network behind"

pcap_sane "$F"
for s in 0:t4 1:t6 2:tr; do
    n=${s%%:*} t=${s#*:}
    "$PY" "$PCAP_PY" follow "$F" "$n" "$O.$t.c2s" "$O.$t.s2c" >"$IT_DIR/follow.out" 2>&1 ||
        { show "$IT_DIR/follow.out"; fail "follow,tcp,raw,$n ($t) does not give the bytes sent"; }
done

# Handshakes, one FIN each way in the two closed ones, a reset in the third:
# per stream, counts of SYN, SYN-ACK, FIN and RST.
"${TSHARK[@]}" -r "$F" -Y tcp -T fields -e tcp.stream -e tcp.flags.syn -e tcp.flags.ack \
    -e tcp.flags.fin -e tcp.flags.reset 2>/dev/null |
    awk '{ for (i = 2; i <= 5; i++) b[i] = ($i == "1" || $i == "True"); s = $1
           syn[s] += b[2] && !b[3]; synack[s] += b[2] && b[3]; fin[s] += b[4]; rst[s] += b[5] }
         END { for (s in syn) print s, syn[s], synack[s], fin[s], rst[s] }' | sort >"$IT_DIR/flags"
printf '0 1 1 2 0\n1 1 1 2 0\n2 1 1 0 1\n' | diff - "$IT_DIR/flags" >"$IT_DIR/flags.diff" ||
    { show "$IT_DIR/flags.diff"; fail "SYN, SYN-ACK, FIN, RST per stream are not as expected (stream syn synack fin rst)"; }

"${TSHARK[@]}" -r "$F" -q -z conv,tcp >"$IT_DIR/conv" 2>/dev/null
[ "$(grep -c '<->' "$IT_DIR/conv")" = 3 ] || { show "$IT_DIR/conv"; fail "conv,tcp does not list 3 connections"; }
grep -Eq '^127\.0\.0\.1:[0-9]+ +<-> 127\.0\.0\.1:[0-9]+ ' "$IT_DIR/conv" &&
    grep -Eq '^::1:[0-9]+ +<-> ::1:[0-9]+ ' "$IT_DIR/conv" ||
    { show "$IT_DIR/conv"; fail "conv,tcp lacks the IPv4 or IPv6 endpoints"; }

# Each datagram once, with its addresses, ports and size.
"${TSHARK[@]}" -r "$F" -Y 'udp && !icmp && !icmpv6' -T fields -E separator=' ' \
    -e ip.src -e ipv6.src -e udp.srcport -e ip.dst -e ipv6.dst -e udp.dstport \
    -e udp.length 2>/dev/null | tr -s ' ' | awk '{ $NF = $NF - 8; print }' >"$IT_DIR/udp.seen"
sort "$O.u4.udp" "$O.u6.udp" >"$IT_DIR/udp.want"
sort "$IT_DIR/udp.seen" | diff "$IT_DIR/udp.want" - >"$IT_DIR/udp.diff" ||
    { show "$IT_DIR/udp.diff"; fail "the datagrams captured are not those sent (once each)"; }
[ "$(pcap_count "$F" 'icmp.type == 3 && icmp.code == 3')" = 1 ] || fail "no ICMP port unreachable (IPv4)"
[ "$(pcap_count "$F" 'icmpv6.type == 1 && icmpv6.code == 4')" = 1 ] || fail "no ICMPv6 port unreachable"
echo "3 connections and $(wc -l <"$IT_DIR/udp.want") datagrams as sent; checksums good"
echo ok
