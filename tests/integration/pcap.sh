#!/usr/bin/env bash
# Capture (simnet run --pcap): TCP exchanges of random bytes both ways
# over 127.0.0.1 and ::1 (half-close, then FIN each way) and one ended by a
# reset (SO_LINGER 0), a refused connect, a write after the peer closed,
# UDP datagrams and one to a closed port.  tshark
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
    '$PY' '$PCAP_PY' edge 127.0.0.1 &&
    '$PY' '$PCAP_PY' udp 127.0.0.1 '$O.u4' &&
    '$PY' '$PCAP_PY' udp ::1 '$O.u6'" >"$IT_DIR/run.out" 2>&1 ||
    { show "$IT_DIR/run.out"; fail "simnet run --pcap: $(rcstr $?)"; }
[ -s "$F" ] || fail "simnet run --pcap wrote nothing"
ls "$IT_DIR"/*.arena >/dev/null 2>&1 && fail "simnet run --pcap left its network behind"

pcap_sane "$F"
# one tshark run follows the three streams and lists the conversations
"$PY" "$PCAP_PY" follow "$F" "0:$O.t4.c2s:$O.t4.s2c" "1:$O.t6.c2s:$O.t6.s2c" \
    "2:$O.tr.c2s:$O.tr.s2c" >"$IT_DIR/follow.out" 2>&1 ||
    { show "$IT_DIR/follow.out"; fail "follow,tcp,raw does not give the bytes sent"; }
[ "$(grep -c '<->' "$IT_DIR/follow.out")" = 5 ] || { show "$IT_DIR/follow.out"; fail "conv,tcp does not list 5 conversations"; }
grep -Eq '^127\.0\.0\.1:[0-9]+ +<-> 127\.0\.0\.1:[0-9]+ ' "$IT_DIR/follow.out" &&
    grep -Eq '^::1:[0-9]+ +<-> ::1:[0-9]+ ' "$IT_DIR/follow.out" ||
    { show "$IT_DIR/follow.out"; fail "conv,tcp lacks the IPv4 or IPv6 endpoints"; }

# One more run for the rest, a line per packet: TCP stream and flags,
# addresses (the outer header's), UDP ports and length (an ICMP error's
# are those of the datagram it quotes), ICMP type and code.
"${TSHARK[@]}" -r "$F" -T fields -E occurrence=f -E separator=/t -e tcp.stream \
    -e tcp.flags.syn -e tcp.flags.ack -e tcp.flags.fin -e tcp.flags.reset \
    -e ip.src -e ipv6.src -e udp.srcport -e ip.dst -e ipv6.dst -e udp.dstport \
    -e udp.length -e icmp.type -e icmp.code -e icmpv6.type -e icmpv6.code \
    >"$IT_DIR/fields" 2>/dev/null || fail "tshark -T fields failed"

# Handshakes, one FIN each way in the two closed ones, a reset in the
# third; a refused connect (SYN, RST-ACK); a write after the peer's close
# (its FIN, then its reset): per stream, counts of SYN, SYN-ACK, FIN, RST.
awk -F'\t' '$1 != "" { for (i = 2; i <= 5; i++) b[i] = ($i == "1" || $i == "True"); s = $1
        syn[s] += b[2] && !b[3]; synack[s] += b[2] && b[3]; fin[s] += b[4]; rst[s] += b[5] }
    END { for (s in syn) print s, syn[s], synack[s], fin[s], rst[s] }' "$IT_DIR/fields" |
    sort >"$IT_DIR/flags"
printf '0 1 1 2 0\n1 1 1 2 0\n2 1 1 0 1\n3 1 0 0 1\n4 1 1 1 1\n' | diff - "$IT_DIR/flags" >"$IT_DIR/flags.diff" ||
    { show "$IT_DIR/flags.diff"; fail "SYN, SYN-ACK, FIN, RST per stream are not as expected (stream syn synack fin rst)"; }

# Each datagram once, with its addresses, ports and size.
awk -F'\t' '$8 != "" && $13 $15 == "" { print $6 $7, $8, $9 $10, $11, $12 - 8 }' "$IT_DIR/fields" |
    sort >"$IT_DIR/udp.seen"
sort "$O.u4.udp" "$O.u6.udp" | diff - "$IT_DIR/udp.seen" >"$IT_DIR/udp.diff" ||
    { show "$IT_DIR/udp.diff"; fail "the datagrams captured are not those sent (once each)"; }
[ "$(awk -F'\t' '$13 == 3 && $14 == 3' "$IT_DIR/fields" | wc -l)" = 1 ] || fail "not one ICMP port unreachable (IPv4)"
[ "$(awk -F'\t' '$15 == 1 && $16 == 4' "$IT_DIR/fields" | wc -l)" = 1 ] || fail "not one ICMPv6 port unreachable"
echo "5 TCP conversations and $(wc -l <"$IT_DIR/udp.seen") datagrams as sent; checksums good"
echo ok
