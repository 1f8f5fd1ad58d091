#!/usr/bin/env bash
# What SIMNET_DEBUG says about faults, and faults set at start
# (tests/integration/faults.py has the programs):
#  - a datagram lost on a link: one line per datagram, with the link and
#    the rule ("app -> db loss 100%");
#  - a partition holding a 1 MiB transfer: one "held" line for the
#    connection however many sends it takes, and `simnet heal` (run with
#    SIMNET_DEBUG) says what it released;
#  - `simnet reset` says which connection it reset; a refused connect;
#  - nothing of the kind without SIMNET_DEBUG;
#  - simnet run --link / --partition / --faults FILE: in force before the
#    command's first send (a connect over 50 ms each way takes a round
#    trip); a bad line of a faults file: FILE:LINE, status 2, nothing run.
. "$(dirname "$0")/lib.bash"

. "$it_here/faults_lib.bash"
sn link app db --clear || fail "simnet link --clear on new hosts failed"
log=$IT_DIR/debug.log
# dbg OUT HOST ARGS...: `on`, traced into $log
dbg() {
    local o=$1 h=$2
    shift 2
    bg "$o" - env SIMNET_DEBUG="$log" "$SIMNET" run -n "$IT_NET" --host "$h" -- "$PY" "$PROG" "$@"
}

# ---- a lost datagram: one line each, with the rule ----
sn link app db --loss 100%
on "$IT_DIR/u.out" db udp_sink 7200 0.3 "$IT_DIR/go1"; u=$BG_PID
wait_line "$IT_DIR/u.out" '^listening' "$u"
dbg "$IT_DIR/s.out" app udp_source db 7200 3; s=$BG_PID
wait_line "$IT_DIR/s.out" '^sent' "$s" 8
touch "$IT_DIR/go1"
wait_line "$IT_DIR/u.out" '^got' "$u" 8
grep -q '^got 0' "$IT_DIR/u.out" || { show "$IT_DIR/u.out"; fail "datagrams crossed a 100% loss"; }
n=$(grep -Ec '^libsimnet\[[0-9]+\]: fault: udp [0-9.]+:[0-9]+ -> [0-9.]+:7200 \(1 bytes\) lost on app -> db \(rule: app -> db loss 100%\)$' "$log")
[ "$n" = 3 ] || { show "$log"; fail "3 lost datagrams gave $n lines"; }
sn link app db --clear

# ---- a hold: one line per connection; heal says what it released ----
: >"$log"
on "$IT_DIR/sink.out" db sink 7201; sk=$BG_PID
wait_line "$IT_DIR/sink.out" '^listening' "$sk"
dbg "$IT_DIR/source.out" app source db 7201 "$IT_DIR/go2"; src=$BG_PID
wait_line "$IT_DIR/source.out" '^phase1' "$src"
sn partition app db
touch "$IT_DIR/go2"
sleep 1
n=$(grep -Ec 'fault: tcp [0-9.]+:[0-9]+ -> [0-9.]+:7201 \([0-9]+ bytes\) held on app -> db \(rule: app -> db partition\)$' "$log")
[ "$n" = 1 ] || { show "$log"; fail "a held 1 MiB transfer gave $n held lines, not 1"; }
SIMNET_DEBUG=1 sn heal app db 2>"$IT_DIR/heal.err" || fail "simnet heal failed"
grep -Eq '^simnet\[[0-9]+\]: fault: tcp [0-9.]+:[0-9]+ -> [0-9.]+:7201 released on app -> db$' "$IT_DIR/heal.err" ||
    { show "$IT_DIR/heal.err"; fail "simnet heal with SIMNET_DEBUG did not say what it released"; }
wait_line "$IT_DIR/sink.out" '^done' "$sk" 10
wait_line "$IT_DIR/source.out" '^sent' "$src" 5

# ---- reset and refusal ----
on "$IT_DIR/r1.out" db hold 7202; r1=$BG_PID
wait_line "$IT_DIR/r1.out" '^listening' "$r1"
on "$IT_DIR/r2.out" app wait_reset db 7202; r2=$BG_PID
wait_line "$IT_DIR/r2.out" '^connected' "$r2"
wait_line "$IT_DIR/r1.out" '^accepted' "$r1"
SIMNET_DEBUG=1 sn reset app db 2>"$IT_DIR/reset.err" || fail "simnet reset failed"
grep -Eq '^simnet\[[0-9]+\]: fault: tcp [0-9.]+:[0-9]+ <-> [0-9.]+:[0-9]+ reset on (app <-> db|db <-> app)$' "$IT_DIR/reset.err" ||
    { show "$IT_DIR/reset.err"; fail "simnet reset with SIMNET_DEBUG did not say what it reset"; }
wait_line "$IT_DIR/r2.out" '^recv' "$r2" 5
sn link app db --refuse
: >"$log"
r=$(SIMNET_DEBUG="$log" "$SIMNET" run -n "$IT_NET" --host app -- "$PY" "$PROG" try_connect db 7202 2>&1)
[ "$r" = "connect failed ECONNREFUSED" ] || fail "a connect across --refuse: '$r'"
grep -Eq 'fault: tcp [0-9.]+:[0-9]+ -> [0-9.]+:7202 connect refused on app -> db \(rule: app -> db refuse\)$' "$log" ||
    { show "$log"; fail "no line for a connect the link refused"; }
# Without SIMNET_DEBUG: not a word.
r=$("$SIMNET" run -n "$IT_NET" --host app -- "$PY" "$PROG" try_connect db 7202 2>&1)
[ "$r" = "connect failed ECONNREFUSED" ] || fail "without SIMNET_DEBUG: '$r'"
sn link app db --clear

# ---- faults at start: --link, --partition, --faults ----
on "$IT_DIR/echo.out" db echo 7203; e=$BG_PID
wait_line "$IT_DIR/echo.out" '^listening' "$e"
"$SIMNET" run -n "$IT_NET" --link 'app db --delay 50ms --both' --host app -- \
    "$PY" "$PROG" rtt db 7203 block 2 >"$IT_DIR/rtt.out" || fail "simnet run --link: $(rcstr $?)"
read -r _ conn _ lo _ <"$IT_DIR/rtt.out"
[ "$conn" -ge 100 ] && [ "$conn" -lt 300 ] && [ "$lo" -ge 100 ] ||
    { show "$IT_DIR/rtt.out"; fail "run --link 'app db --delay 50ms --both': connect $conn ms, round trip $lo ms"; }
sn link app db --clear --both
cat >"$IT_DIR/topo" <<'TOPO'
# the topology of a test
link app db --delay 20ms --loss 1%   # one way

partition app cache --oneway
link * db --rate 1mbit
TOPO
# In force for the command (fresh network, listed from inside it).
"$SIMNET" run --faults "$IT_DIR/topo" --partition 'cache web' -- "$SIMNET" link >"$IT_DIR/links.out" ||
    fail "simnet run --faults: $(rcstr $?)"
printf '%s\n' 'app -> db delay 20ms loss 1%' 'app -> cache partition' '* -> db rate 1mbit' \
    'cache -> web partition' 'web -> cache partition' >"$IT_DIR/links.want"
diff <(sort "$IT_DIR/links.want") <(sort "$IT_DIR/links.out") || fail "the faults at start, listed (above)"
printf 'link app db --delay 20ms\n\n# x\nlink app db --delay 5 ms\n' >"$IT_DIR/bad"
err=$("$SIMNET" run --faults "$IT_DIR/bad" -- touch "$IT_DIR/started" 2>&1); rc=$?
[ "$rc" = 2 ] && [ "$(wc -l <<<"$err")" = 1 ] && grep -q "^simnet: $IT_DIR/bad:4: " <<<"$err" ||
    fail "a bad line 4: status $rc, '$err'"
[ ! -e "$IT_DIR/started" ] || fail "the command ran after a bad faults file"
printf 'heal app db\n' >"$IT_DIR/bad2"
err=$("$SIMNET" run --faults "$IT_DIR/bad2" -- true 2>&1); rc=$?
[ "$rc" = 2 ] && grep -q "bad2:1: unknown command 'heal'" <<<"$err" || fail "a heal line: status $rc, '$err'"
err=$("$SIMNET" run --link 'app db --jitter x' -- true 2>&1); rc=$?
[ "$rc" = 2 ] && [ "$(wc -l <<<"$err")" = 1 ] || fail "--link with a bad value: status $rc, '$err'"
err=$("$SIMNET" run --faults "$IT_DIR/nosuch" -- true 2>&1); rc=$?
[ "$rc" = 2 ] || fail "--faults of a missing file: status $rc, '$err'"
echo ok
