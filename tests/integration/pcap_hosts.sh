#!/usr/bin/env bash
# A per-host capture: `simnet capture --host NAME` keeps the packets to or
# from that host's addresses.  Host db answers a datagram from host app;
# host web talks to itself on its own loopback.  The capture of db holds
# the exchange with app (both ways, with the hosts' addresses) and
# nothing of web's loopback; an unknown host is one line and status 2.
# Under faults a capture holds what left the sender: a datagram lost or
# cut by the link is in it, a duplicated one once.
. "$(dirname "$0")/lib.bash"
. "$it_here/pcap_lib.bash"

out=$IT_DIR/db.pcap
it_keep "$IT_NET"
udp_echo='
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 9999))
print("ready", flush=True)
d, a = s.recvfrom(100)
s.sendto(d, a)'
bg "$IT_DIR/db.out" "$IT_NET" env SIMNET_HOST=db "$PY" -c "$udp_echo"
srv=$BG_PID
wait_line "$IT_DIR/db.out" ready "$srv"
timeout -k 1 20 "$SIMNET" capture -n "$IT_NET" --host db -w "$out" 2>"$IT_DIR/cap.err" &
cap=$!
it_pids+=("$cap")
for _ in $(seq 100); do
    pgrep -f "simnet-capture -w $out" >/dev/null && break
    sleep 0.05
done
pgrep -f "simnet-capture -w $out" >/dev/null || { show "$IT_DIR/cap.err"; fail "simnet capture did not start"; }
"$SIMNET" capture -n "$IT_NET" --host nosuch -w "$IT_DIR/none.pcap" >"$IT_DIR/none.out" 2>&1
[ $? = 2 ] && [ "$(wc -l <"$IT_DIR/none.out")" = 1 ] || { show "$IT_DIR/none.out"; fail "capture --host of an unknown host: not one line and status 2"; }
sim "$IT_NET" env SIMNET_HOST=web "$PY" -c '
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", 0))
u.sendto(b"local", ("127.0.0.1", 9))' || fail "web's datagram $(rcstr $?)"
sim "$IT_NET" env SIMNET_HOST=app "$PY" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(b"hello db", ("db", 9999))
print(s.recvfrom(100)[0].decode())' >"$IT_DIR/app.out" || fail "app's exchange $(rcstr $?)"
grep -qx "hello db" "$IT_DIR/app.out" || { show "$IT_DIR/app.out"; fail "app got no answer from db"; }
wait_exit "$srv"
kill -INT "$cap"
wait "$cap" || { show "$IT_DIR/cap.err"; fail "capture did not end with status 0"; }
db=$("$SIMNET" hosts -n "$IT_NET" | awk '$2 == "db" && $1 !~ /:/ { print $1 }')
app=$("$SIMNET" hosts -n "$IT_NET" | awk '$2 == "app" && $1 !~ /:/ { print $1 }')
[ -n "$db" ] && [ -n "$app" ] || fail "simnet hosts lists no IPv4 address for db or app"
tshark -r "$out" -T fields -e ip.src -e ip.dst -e udp.length >"$IT_DIR/pkts" 2>"$IT_DIR/tshark.err" ||
    { show "$IT_DIR/tshark.err"; fail "tshark cannot read the capture"; }
printf '%s\t%s\t16\n%s\t%s\t16\n' "$app" "$db" "$db" "$app" >"$IT_DIR/want"
diff "$IT_DIR/want" "$IT_DIR/pkts" || fail "the capture of db is not exactly the exchange with app"

# A capture records what left the sender, whatever the link then does to
# it: 4 datagrams are 4 packets, lost (--loss 100%), cut (a partition) or
# delivered twice (--duplicate 100%), as the receiver gets 0, 0 and 8.
four='
import socket
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
r.bind(("127.0.0.1", 9998))
r.settimeout(0.3)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(4):
    s.sendto(b"d%d" % i, ("127.0.0.1", 9998))
n = 0
try:
    while True:
        r.recv(100)
        n += 1
except socket.timeout:
    pass
print("got", n)'
for f in "loss:--link:default default --loss 100%:0" "cut:--partition:default default:0" \
         "dup:--link:default default --duplicate 100%:8"; do
    IFS=: read -r tag opt spec want <<<"$f"
    got=$("$SIMNET" run --pcap "$IT_DIR/$tag.pcap" "$opt" "$spec" -- "$PY" -c "$four" 2>&1) ||
        fail "$tag: $got"
    [ "$got" = "got $want" ] || fail "$tag ($opt '$spec'): the receiver says '$got', not 'got $want'"
    pcap_sane "$IT_DIR/$tag.pcap"
    n=$(pcap_count "$IT_DIR/$tag.pcap" 'udp.dstport == 9998')
    [ "$n" = 4 ] || fail "$tag ($opt '$spec'): $n packets captured of the 4 datagrams sent"
done
echo ok
