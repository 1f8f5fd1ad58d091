#!/usr/bin/env bash
# Toxiproxy's faults on links, per pair of hosts and per port
# (tests/integration/faults_toxics.py has the programs):
#  - --port P --refuse: a connect to port P of db is refused, one to
#    another port of db goes through; listed with the port; --clear
#    --port P takes that rule away;
#  - --port on datagrams: 100% loss on one port, the other delivers;
#  - --slicer 100/50: reads of at most 150 bytes, the 64 KiB intact;
#    MSG_WAITALL still gets all 64 KiB in one call; with a delay of
#    10 ms per slice, 20 slices take >= 180 ms, and an edge-triggered
#    epoll reader gets an event for each;
#  - --slow-close 500ms: the EOF comes >= 500 ms after the close (and
#    not much later), the bytes before it intact, whether the reader
#    blocks in recv, in poll or in epoll_wait (edge-triggered too, one
#    read per event: the EOF is an edge of its own); after shutdown(SHUT_WR)
#    as after close; an end that shut its own side first stays in
#    FIN_WAIT2 meanwhile (poll: POLLOUT, no POLLHUP);
#  - bad values: one line, status 2.
. "$(dirname "$0")/lib.bash"

. "$it_here/faults_lib.bash"
PROG=$it_here/faults_toxics.py
sn link app db --clear || fail "simnet link --clear on new hosts failed"

# ---- refuse on one port ----
on "$IT_DIR/l1.out" db drain 7100; l1=$BG_PID
on "$IT_DIR/l2.out" db drain 7101; l2=$BG_PID
wait_line "$IT_DIR/l1.out" '^listening' "$l1"
wait_line "$IT_DIR/l2.out" '^listening' "$l2"
sn link app db --port 7100 --refuse || fail "simnet link --port --refuse failed"
sn link | grep -q '^app -> db port 7100 refuse$' || fail "listed as: $(sn link)"
try() { "$SIMNET" run -n "$IT_NET" --host app -- "$PY" "$PROG" try_connect db "$1" 2>&1; }
r=$(try 7100)
[ "$r" = "connect failed ECONNREFUSED" ] || fail "a connect to the refused port: '$r'"
r=$(try 7101)
[ "$r" = "connect ok" ] || fail "a connect to another port of db: '$r'"
sn link app db --port 7100 --clear || fail "simnet link --port --clear failed"
[ "$(sn link)" = "no faults" ] || fail "after --clear --port: $(sn link)"
on "$IT_DIR/l3.out" db drain 7102; l3=$BG_PID
wait_line "$IT_DIR/l3.out" '^listening' "$l3"
r=$(try 7102)
[ "$r" = "connect ok" ] || fail "a connect after --clear --port: '$r'"

# ---- datagrams: the rule of one port ----
sn link app db --port 7201 --loss 100% || fail "simnet link --port --loss failed"
on "$IT_DIR/u1.out" db udp_sink 7201 0.3 "$IT_DIR/go1"; u1=$BG_PID
on "$IT_DIR/u2.out" db udp_sink 7202 0.3 "$IT_DIR/go1"; u2=$BG_PID
wait_line "$IT_DIR/u1.out" '^listening' "$u1"
wait_line "$IT_DIR/u2.out" '^listening' "$u2"
"$SIMNET" run -n "$IT_NET" --host app -- "$PY" "$PROG" udp_source db 7201 5 >/dev/null
"$SIMNET" run -n "$IT_NET" --host app -- "$PY" "$PROG" udp_source db 7202 5 >/dev/null
touch "$IT_DIR/go1"
wait_line "$IT_DIR/u1.out" '^got' "$u1" 8
wait_line "$IT_DIR/u2.out" '^got' "$u2" 8
grep -q '^got 0' "$IT_DIR/u1.out" || { show "$IT_DIR/u1.out"; fail "datagrams to the lossy port arrived"; }
grep -q '^got 5 ' "$IT_DIR/u2.out" || { show "$IT_DIR/u2.out"; fail "datagrams to another port were lost"; }
sn link app db --port 7201 --clear

# ---- slicer ----
sn link app db --slicer 100/50 || fail "simnet link --slicer failed"
sn link | grep -q '^app -> db slicer 100/50/0ms$' || fail "--slicer listed as: $(sn link)"
on "$IT_DIR/s1.out" db slice_read 7300 plain; s1=$BG_PID
wait_line "$IT_DIR/s1.out" '^listening' "$s1"
on "$IT_DIR/c1.out" app send_close db 7300 65536 close; c1=$BG_PID
wait_line "$IT_DIR/s1.out" '^reads' "$s1" 15
wait_line "$IT_DIR/c1.out" '^closed' "$c1" 5
read -r _ count most len sha _ < <(grep '^reads' "$IT_DIR/s1.out")
want=$(awk '/^sent/ {print $2, $3}' "$IT_DIR/c1.out")
[ "$len $sha" = "$want" ] || fail "sliced: got '$len $sha', sent '$want'"
[ "$most" -le 150 ] && [ "$count" -ge 437 ] || fail "--slicer 100/50: $count reads, the largest $most bytes"
on "$IT_DIR/s2.out" db slice_read 7301 waitall; s2=$BG_PID
wait_line "$IT_DIR/s2.out" '^listening' "$s2"
on "$IT_DIR/c2.out" app send_close db 7301 65536 close; c2=$BG_PID
wait_line "$IT_DIR/s2.out" '^waitall' "$s2" 15
want=$(awk '/^sent/ {print $2, $3}' "$IT_DIR/c2.out")
[ "$(cut -d' ' -f2,3 "$IT_DIR/s2.out" | tail -1)" = "$want" ] ||
    { show "$IT_DIR/s2.out"; fail "MSG_WAITALL through the slicer"; }
sn link app db --slicer 1000/0/10ms || fail "simnet link --slicer with a delay failed"
on "$IT_DIR/s3.out" db slice_read 7302 plain; s3=$BG_PID
wait_line "$IT_DIR/s3.out" '^listening' "$s3"
on "$IT_DIR/c3.out" app send_close db 7302 20000 close; c3=$BG_PID
wait_line "$IT_DIR/s3.out" '^reads' "$s3" 15
read -r _ count most len _ _ secs < <(grep '^reads' "$IT_DIR/s3.out")
[ "$count" = 20 ] && [ "$most" = 1000 ] && [ "$len" = 20000 ] ||
    { show "$IT_DIR/s3.out"; fail "--slicer 1000/0/10ms"; }
awk -v s="$secs" 'BEGIN { exit !(s >= 0.18 && s < 2) }' || fail "20 slices 10 ms apart took $secs s"
# a reader that reads once per edge-triggered event: each slice is an edge
on "$IT_DIR/s4.out" db slice_read 7303 et; s4=$BG_PID
wait_line "$IT_DIR/s4.out" '^listening' "$s4"
on "$IT_DIR/c4.out" app send_close db 7303 20000 close; c4=$BG_PID
wait_line "$IT_DIR/s4.out" '^reads' "$s4" 15
read -r _ count most len _ < <(grep '^reads' "$IT_DIR/s4.out")
[ "$count" = 20 ] && [ "$most" = 1000 ] && [ "$len" = 20000 ] ||
    { show "$IT_DIR/s4.out"; fail "--slicer 1000/0/10ms, edge-triggered epoll"; }
sn link app db --clear

# ---- slow close ----
sn link app db --slow-close 500ms || fail "simnet link --slow-close failed"
sn link | grep -q '^app -> db slow-close 500ms$' || fail "--slow-close listed as: $(sn link)"
port=7400
for mode in block poll epoll et; do
    for how in close shutdown; do
        on "$IT_DIR/e-$mode-$how.out" db eof_at $port $mode; e=$BG_PID
        wait_line "$IT_DIR/e-$mode-$how.out" '^listening' "$e"
        on "$IT_DIR/k-$mode-$how.out" app send_close db $port 10000 $how; k=$BG_PID
        wait_line "$IT_DIR/e-$mode-$how.out" '^eof' "$e" 10
        wait_line "$IT_DIR/k-$mode-$how.out" '^closed' "$k" 5
        read -r _ len sha t_eof < <(grep '^eof' "$IT_DIR/e-$mode-$how.out")
        t_close=$(awk '/^closed/ {print $2}' "$IT_DIR/k-$mode-$how.out")
        want=$(awk '/^sent/ {print $2, $3}' "$IT_DIR/k-$mode-$how.out")
        [ "$len $sha" = "$want" ] || fail "$mode/$how: got '$len $sha' before the EOF, sent '$want'"
        awk -v a="$t_close" -v b="$t_eof" 'BEGIN { exit !(b - a >= 0.5 && b - a < 2) }' ||
            fail "$mode/$how: the EOF came $t_eof, the close was at $t_close (slow close 500 ms)"
        port=$((port + 1))
    done
done
# FIN_WAIT2 under a slow close: db shut its side, app closes; until app's
# FIN is due db's poll says POLLOUT only, then POLLIN|POLLOUT|POLLHUP|POLLRDHUP
on "$IT_DIR/fw.out" db fin_wait2 $port; fw=$BG_PID
wait_line "$IT_DIR/fw.out" '^listening' "$fw"
on "$IT_DIR/rc.out" app read_close db $port; rc=$BG_PID
wait_line "$IT_DIR/fw.out" '^late' "$fw" 10
grep -q '^early 0x4$' "$IT_DIR/fw.out" && grep -q '^late 0x2015$' "$IT_DIR/fw.out" ||
    { show "$IT_DIR/fw.out"; fail "FIN_WAIT2 under a slow close: poll masks"; }
sn link app db --clear

# ---- bad values ----
for bad in "--port 0 --refuse" "--port 70000 --refuse" "--slicer 10/10" "--slicer x" \
           "--slicer 10/2/5 ms" "--slow-close 5 ms" "--slow-close -1s" "--port 80"; do
    # shellcheck disable=SC2086
    err=$(sn link app db $bad 2>&1); rc=$?
    [ "$rc" = 2 ] && [ "$(wc -l <<<"$err")" = 1 ] || fail "link app db $bad: status $rc, '$err'"
done
echo ok
