#!/usr/bin/env bash
# Lifecycle 11: SCM_RIGHTS to an unrelated process.  Process A (preloaded)
# accepts connections and sends each accepted socket over an AF_UNIX
# socket to process B (preloaded, started separately: not A's child),
# closing its own copy at once, then exits after the last one.  B
# receives the first socket only once A has exited (the driver tells it
# through a file), so all of them are in flight, held by no process, for
# a while (checked), and
# serves every client: 1 MiB echo each, 6 clients at once, sha256 on
# both sides, peer address and port as the client sees them.
. "$(dirname "$0")/lib.bash"

P=7600 N=6 NBYTES=1048576
sock=$IT_DIR/pass.sock
rcv=$IT_DIR/receiver.out snd=$IT_DIR/sender.out
go=$IT_DIR/go
bg "$rcv" "$IT_NET" "$PY" "$it_here/lifecycle.py" scm-receiver "$sock" "$N" "$go"
rpid=$BG_PID
wait_line "$rcv" '^ready-unix ' "$rpid"
bg "$snd" "$IT_NET" "$PY" "$it_here/lifecycle.py" scm-sender 127.0.0.1 "$P" "$sock" "$N"
spid=$BG_PID
wait_line "$snd" '^ready ' "$spid"
apid=$(awk '$1 == "ready" {print $3}' "$snd")
bpid=$(awk '$1 == "ready-unix" {print $2}' "$rcv")
[ "$(awk '$1 == "PPid:" {print $2}' "/proc/$bpid/status")" != "$apid" ] || fail "B is A's child"

cpids=()
for i in $(seq 1 $N); do
    bg "$IT_DIR/client$i.out" "$IT_NET" "$PY" "$PEERS" tcp-bulk-client 127.0.0.1 "$P" "$NBYTES"
    cpids+=("$BG_PID")
done
wait_exit "$spid" || { show "$snd"; fail "sender A $(rcstr $?)"; }
grep -q '^sender-done ' "$snd" || { show "$snd"; fail "A did not pass every socket"; }
touch "$go"
for i in $(seq 1 $N); do
    f=$IT_DIR/client$i.out
    wait_exit "${cpids[$((i - 1))]}" || { show "$f" "$rcv" "$snd"; fail "client $i $(rcstr $?)"; }
    sent=$(awk '$1 == "client-sent" {print $2, $3}' "$f")
    got=$(awk '$1 == "client-received" {print $2, $3}' "$f")
    [ "${sent%% *}" = "$NBYTES" ] && [ "$got" = "$sent" ] || { show "$f"; fail "client $i: sent '$sent', got back '$got'"; }
done
wait_exit "$rpid" || { show "$rcv"; fail "receiver B $(rcstr $?)"; }
for i in $(seq 1 $N); do
    f=$IT_DIR/client$i.out
    sent=$(awk '$1 == "client-sent" {print $2, $3}' "$f")
    grep -q "^served [0-9]* 127.0.0.1 True $sent\$" "$rcv" ||
        { show "$rcv" "$f"; fail "B has no record of serving client $i's bytes with the right peer address"; }
done
# The sockets were in flight, held by no process, for a while.
t_done=$(awk '$1 == "sender-done" {print $2}' "$snd")
t_first=$(awk '$1 == "first-received" {print $2}' "$rcv")
[ -n "$t_done" ] && [ -n "$t_first" ] && [ "$t_done" -lt "$t_first" ] ||
    { show "$snd" "$rcv"; fail "B received the first socket before A had finished (the in-flight case was not tested)"; }
inflight=$(( (t_first - t_done) / 1000000 ))
[ "$(grep -c '^received [0-9]* fd [0-9]* family-ok 1$' "$rcv")" -eq "$N" ] || { show "$rcv"; fail "B did not receive $N TCP sockets"; }
check_arena
echo "$N accepted sockets passed A -> B (A closed each at once and was done ${inflight} ms before B took the first), B served 1 MiB to each"
echo ok
