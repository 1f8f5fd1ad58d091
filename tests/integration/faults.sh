#!/usr/bin/env bash
# Faults between hosts, changed live with the launcher while the programs
# run (tests/integration/faults.py has the programs):
#  - a partition stalls a 1 MiB transfer; heal completes it, every byte
#    intact (same length and SHA-256 at both ends);
#  - TCP_USER_TIMEOUT 1 s under a partition: ETIMEDOUT after about 1 s;
#  - a connect under a partition neither completes nor is refused in 1 s,
#    and completes after heal;
#  - a one-way partition cuts datagrams one way only;
#  - reset: ECONNRESET at both ends;
#  - curl --max-time 1 times out (status 28) under a partition from a
#    python http.server, and fetches the page after heal;
#  - 30% UDP loss with a seed drops the same datagrams in two runs, and
#    other ones with another seed; --duplicate; --loss gemodel listed;
#  - --refuse: a new connection across the link is refused, one made
#    before goes on intact; --limit-data: a 1 MiB send is cut with a
#    reset at both ends after exactly the limit (the send returns 100000,
#    the next one ECONNRESET, then EPIPE);
#  - bad values: one line, status 2; unimplemented options refused.
. "$(dirname "$0")/lib.bash"

. "$it_here/faults_lib.bash"
# Make the hosts in a known order (their addresses and the links' seeds
# follow it).
sn link app db --clear || fail "simnet link --clear on new hosts failed"

# ---- a partition stalls a transfer, heal completes it ----
on "$IT_DIR/sink.out" db sink 7000; sink=$BG_PID
wait_line "$IT_DIR/sink.out" '^listening' "$sink"
on "$IT_DIR/source.out" app source db 7000 "$IT_DIR/go1"; src=$BG_PID
wait_line "$IT_DIR/source.out" '^phase1' "$src"
sn partition app db || fail "simnet partition failed"
sn link | grep -q 'app -> db partition' || fail "simnet link does not list the partition: $(sn link)"
touch "$IT_DIR/go1"
sleep 1.5
grep -q '^done' "$IT_DIR/sink.out" && { show "$IT_DIR/sink.out"; fail "the transfer went through a partition"; }
sn heal app db || fail "simnet heal failed"
wait_line "$IT_DIR/sink.out" '^done' "$sink" 10
wait_line "$IT_DIR/source.out" '^sent' "$src" 5
got=$(awk '/^done/ {print $2, $3}' "$IT_DIR/sink.out")
want=$(awk '/^sent/ {print $2, $3}' "$IT_DIR/source.out")
[ "$got" = "$want" ] || fail "after heal the sink got '$got', the source sent '$want'"

# ---- TCP_USER_TIMEOUT under a partition ----
on "$IT_DIR/hold.out" db hold 7001; hold=$BG_PID
wait_line "$IT_DIR/hold.out" '^listening' "$hold"
on "$IT_DIR/stall.out" app stall db 7001 "$IT_DIR/go2"; st=$BG_PID
wait_line "$IT_DIR/stall.out" '^ready' "$st"
sn partition app db
touch "$IT_DIR/go2"
wait_line "$IT_DIR/stall.out" '^recv' "$st" 8
grep -Eq '^recv failed ETIMEDOUT after (0\.[89]|[1-4]\.[0-9]) s' "$IT_DIR/stall.out" ||
    { show "$IT_DIR/stall.out"; fail "TCP_USER_TIMEOUT 1 s under a partition"; }
sn heal

# ---- a connect under a partition waits, then completes ----
on "$IT_DIR/hold2.out" db hold 7002; hold2=$BG_PID
wait_line "$IT_DIR/hold2.out" '^listening' "$hold2"
sn partition app db
on "$IT_DIR/conn.out" app connect db 7002 "$IT_DIR/go3"; cn=$BG_PID
wait_line "$IT_DIR/conn.out" '^after 1 s' "$cn" 5
grep -q '^after 1 s: timeout' "$IT_DIR/conn.out" || { show "$IT_DIR/conn.out"; fail "a connect under a partition did not wait"; }
sn heal
touch "$IT_DIR/go3"
wait_line "$IT_DIR/conn.out" '^after heal' "$cn" 5
grep -q '^after heal: ready, SO_ERROR 0' "$IT_DIR/conn.out" || { show "$IT_DIR/conn.out"; fail "the connect did not complete after heal"; }
wait_line "$IT_DIR/hold2.out" '^accepted' "$hold2" 5

# ---- one-way partition ----
sn partition app db --oneway
on "$IT_DIR/u1.out" db udp_sink 7003 0.3 "$IT_DIR/go4"; u1=$BG_PID
wait_line "$IT_DIR/u1.out" '^listening' "$u1"
on "$IT_DIR/u2.out" app udp_sink 7003 0.3 "$IT_DIR/go4"; u2=$BG_PID
wait_line "$IT_DIR/u2.out" '^listening' "$u2"
on "$IT_DIR/s1.out" app udp_source db 7003 5; s1=$BG_PID
on "$IT_DIR/s2.out" db udp_source app 7003 5; s2=$BG_PID
wait_line "$IT_DIR/s1.out" '^sent' "$s1" 8
wait_line "$IT_DIR/s2.out" '^sent' "$s2" 8
touch "$IT_DIR/go4"
wait_line "$IT_DIR/u1.out" '^got' "$u1" 8
wait_line "$IT_DIR/u2.out" '^got' "$u2" 8
grep -q '^got 0' "$IT_DIR/u1.out" || { show "$IT_DIR/u1.out"; fail "datagrams crossed app -> db, cut one way"; }
grep -q '^got 5 ' "$IT_DIR/u2.out" || { show "$IT_DIR/u2.out"; fail "datagrams db -> app lost, only app -> db is cut"; }
sn heal

# ---- duplication, and Gilbert-Elliott loss as listed ----
sn link app db --duplicate 100% || fail "simnet link --duplicate failed"
on "$IT_DIR/d1.out" db udp_sink 7006 0.3 "$IT_DIR/go5"; d1=$BG_PID
wait_line "$IT_DIR/d1.out" '^listening' "$d1"
on "$IT_DIR/d2.out" app udp_source db 7006 5; d2=$BG_PID
wait_line "$IT_DIR/d2.out" '^sent' "$d2" 8
touch "$IT_DIR/go5"
wait_line "$IT_DIR/d1.out" '^got' "$d1" 8
grep -q '^got 10 0 0 1 1 2 2 3 3 4 4$' "$IT_DIR/d1.out" || { show "$IT_DIR/d1.out"; fail "--duplicate 100%"; }
sn link app db --loss gemodel 1% 20% || fail "simnet link --loss gemodel failed"
sn link | grep -q '^app -> db loss gemodel 1% 20% 100% 0% duplicate 100%$' || fail "gemodel listed as: $(sn link)"
sn link app db --clear

# ---- refuse: new connections only; limit-data ----
on "$IT_DIR/rs.out" db sink 7007; rs=$BG_PID
wait_line "$IT_DIR/rs.out" '^listening' "$rs"
on "$IT_DIR/rsrc.out" app source db 7007 "$IT_DIR/go6"; rsrc=$BG_PID
wait_line "$IT_DIR/rsrc.out" '^phase1' "$rsrc"
sn link app db --refuse || fail "simnet link --refuse failed"
sn link | grep -q '^app -> db refuse$' || fail "--refuse listed as: $(sn link)"
r=$("$SIMNET" run -n "$IT_NET" --host app -- "$PY" "$PROG" try_connect db 7007 2>&1)
[ "$r" = "connect failed ECONNREFUSED" ] || fail "a connect across --refuse: '$r'"
touch "$IT_DIR/go6"
wait_line "$IT_DIR/rs.out" '^done' "$rs" 10
wait_line "$IT_DIR/rsrc.out" '^sent' "$rsrc" 5
got=$(awk '/^done/ {print $2, $3}' "$IT_DIR/rs.out")
want=$(awk '/^sent/ {print $2, $3}' "$IT_DIR/rsrc.out")
[ "$got" = "$want" ] || fail "a connection made before --refuse: the sink got '$got' of '$want'"
sn link app db --no-refuse --limit-data 100000 || fail "simnet link --limit-data failed"
sn link | grep -q '^app -> db limit-data 100000$' || fail "--limit-data listed as: $(sn link)"
on "$IT_DIR/dr.out" db drain 7008; dr=$BG_PID
wait_line "$IT_DIR/dr.out" '^listening' "$dr"
r=$("$SIMNET" run -n "$IT_NET" --host app -- "$PY" "$PROG" flood db 7008 1048576 2>&1)
# A blocking send cut midway returns what passed; the next one fails
# with ECONNRESET, once, then EPIPE (as Linux after a reset).
[ "$r" = "flood 100000 ECONNRESET EPIPE" ] || fail "1 MiB through --limit-data 100000: '$r'"
wait_line "$IT_DIR/dr.out" '^drained' "$dr" 5
grep -q '^drained 100000 ECONNRESET$' "$IT_DIR/dr.out" || { show "$IT_DIR/dr.out"; fail "--limit-data 100000 at the receiver"; }
sn link app db --clear

# ---- reset ----
on "$IT_DIR/r1.out" db hold 7004; r1=$BG_PID
wait_line "$IT_DIR/r1.out" '^listening' "$r1"
on "$IT_DIR/r2.out" app wait_reset db 7004; r2=$BG_PID
wait_line "$IT_DIR/r2.out" '^connected' "$r2"
wait_line "$IT_DIR/r1.out" '^accepted' "$r1"
sleep 0.2                               # both in recv
sn reset app db || fail "simnet reset failed"
wait_line "$IT_DIR/r1.out" '^recv' "$r1" 5
wait_line "$IT_DIR/r2.out" '^recv' "$r2" 5
grep -q 'ECONNRESET' "$IT_DIR/r1.out" && grep -q 'ECONNRESET' "$IT_DIR/r2.out" ||
    { show "$IT_DIR/r1.out" "$IT_DIR/r2.out"; fail "reset: not ECONNRESET at both ends"; }

# ---- a real client: curl --max-time fails under a partition, works
# after heal; the server is python's http.server on host web ----
command -v curl >/dev/null || fail "curl is not installed"
echo hello-from-web >"$IT_DIR/index.txt"
bg "$IT_DIR/web.out" - "$SIMNET" run -n "$IT_NET" --host web -- "$PY" -m http.server 8080 \
    --bind 0.0.0.0 --directory "$IT_DIR"
web=$BG_PID
got=""
for _ in $(seq 1 50); do
    got=$("$SIMNET" run -n "$IT_NET" --host app -- curl -sS --max-time 5 http://web:8080/index.txt 2>&1) && break
    sleep 0.1
done
[ "$got" = hello-from-web ] || { show "$IT_DIR/web.out"; fail "curl from app to web: '$got'"; }
sn partition app web
t0=$(date +%s%N)
"$SIMNET" run -n "$IT_NET" --host app -- curl -sS --max-time 1 http://web:8080/index.txt >"$IT_DIR/curl.out" 2>&1
rc=$?
t1=$(date +%s%N)
[ "$rc" = 28 ] || { show "$IT_DIR/curl.out"; fail "curl under a partition: status $rc, not 28 (timeout)"; }
[ $(( (t1 - t0) / 1000000 )) -ge 900 ] || fail "curl under a partition gave up after $(( (t1 - t0) / 1000000 )) ms"
sn heal app web
got=$("$SIMNET" run -n "$IT_NET" --host app -- curl -sS --max-time 5 http://web:8080/index.txt 2>&1)
[ "$got" = hello-from-web ] || fail "curl after heal: '$got'"

# ---- seeded UDP loss ----
# udp_run NET SEED: the datagram numbers db received of 300 sent by app
# through a link with 30% loss, in a fresh network under SEED.
udp_run() {
    local net=$1 seed=$2
    it_keep "$net"
    "$SIMNET" link -n "$net" app db --loss 30% || fail "simnet link --loss failed"
    "$SIMNET" run -n "$net" --seed "$seed" -- true || fail "simnet run --seed failed"
    bg "$IT_DIR/$net.sink" - "$SIMNET" run -n "$net" --host db -- "$PY" "$PROG" udp_sink 7005 0.3 \
        "$IT_DIR/$net.go"
    local p=$BG_PID
    wait_line "$IT_DIR/$net.sink" '^listening' "$p"
    "$SIMNET" run -n "$net" --host app -- "$PY" "$PROG" udp_source db 7005 300 >/dev/null ||
        fail "udp_source failed"
    touch "$IT_DIR/$net.go"
    wait_line "$IT_DIR/$net.sink" '^got' "$p" 8
    grep '^got' "$IT_DIR/$net.sink"
}
a=$(udp_run "$IT_NET-u1" 7)
b=$(udp_run "$IT_NET-u2" 7)
c=$(udp_run "$IT_NET-u3" 8)
n=$(awk '{print $2}' <<<"$a")
[ "$n" -ge 150 ] && [ "$n" -le 250 ] || fail "30% loss delivered $n of 300"
[ "$a" = "$b" ] || fail "the same seed dropped other datagrams: '$a' / '$b'"
[ "$a" != "$c" ] || fail "two seeds dropped the same datagrams"
"$SIMNET" ls -n "$IT_NET-u1" | grep -q '^Seed 7$' || fail "simnet ls does not show the seed"
# simnet run -v says the seed it used: the given one, or the one it chose
err=$("$SIMNET" run -n "$IT_NET-u1" -v -- true 2>&1)
grep -q "network $IT_NET-u1, seed 7\$" <<<"$err" || fail "run -v said '$err'"
err=$("$SIMNET" run -v -- true 2>&1)
grep -Eq '^simnet: network run-[^,]+, seed [0-9]+$' <<<"$err" || fail "run -v (fresh) said '$err'"

# ---- bad values ----
err=$(sn link app db --loss 30 2>&1); rc=$?
[ "$rc" = 2 ] && [ "$(wc -l <<<"$err")" = 1 ] || fail "--loss 30 (no %): status $rc, '$err'"
err=$(sn link app db --delay 5 ms 2>&1); rc=$?
[ "$rc" = 2 ] && [ "$(wc -l <<<"$err")" = 1 ] || fail "--delay 5 ms: status $rc, '$err'"
err=$(sn link app db --limit-data 1k 2>&1); rc=$?
[ "$rc" = 2 ] && [ "$(wc -l <<<"$err")" = 1 ] || fail "--limit-data 1k: status $rc, '$err'"
err=$(sn link app db --corrupt 5% 2>&1); rc=$?
[ "$rc" = 2 ] && grep -q 'not implemented' <<<"$err" || fail "--corrupt accepted (status $rc): '$err'"
err=$("$SIMNET" run --seed x -- true 2>&1); rc=$?
[ "$rc" = 2 ] || fail "--seed x: status $rc, '$err'"
err=$(sn link app db --delay 1ms --frobnicate 2>&1); rc=$?
[ "$rc" = 2 ] && grep -q "unknown option '--frobnicate'" <<<"$err" || fail "--frobnicate last: status $rc, '$err'"
err=$(sn link app db --loss state 1% 2>&1); rc=$?
[ "$rc" = 2 ] && grep -q 'not implemented' <<<"$err" || fail "--loss state: status $rc, '$err'"
# A network that does not exist is a typo: an error, and not made.
err=$("$SIMNET" link -n "$IT_NET-typo" app db --delay 1ms 2>&1); rc=$?
[ "$rc" = 2 ] && grep -q "no network '$IT_NET-typo'" <<<"$err" || fail "link on a missing network: status $rc, '$err'"
[ ! -e "$IT_DIR/$IT_NET-typo.arena" ] || fail "link -n made the missing network"
# --rate 0 takes the rate away; the rest of the rule stays.
sn link app db --rate 1mbit --loss 1% || fail "--rate 1mbit"
sn link app db --rate 0 || fail "--rate 0 refused"
got=$(sn link | grep '^app -> db')
grep -q 'loss 1%' <<<"$got" && ! grep -q rate <<<"$got" || fail "after --rate 0: '$got'"
sn link app db --clear
echo ok
