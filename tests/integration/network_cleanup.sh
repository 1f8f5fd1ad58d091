#!/usr/bin/env bash
# Networks leave nothing behind: the arena file of a network named with
# SIMNET_NETWORK is gone once its last process has exited (normally; a
# forked child that outlives its parent removes it); after a SIGKILL
# (no exit handler) the file stays until the documented clean-up: the
# next network made in the directory sweeps it (so does simnet ls).
# `simnet run --keep` leaves its network; `simnet rm` refuses (status 1,
# one line) while a process is in it and removes it once unused.
. "$(dirname "$0")/lib.bash"
IT_NO_KEEP=1                        # sim and bg: networks as users get them

root=$(cd "$it_here/../.." && pwd)
simnet=$root/scripts/simnet
arena() { echo "$IT_DIR/$1.arena"; }
SERVE='import os, socket, sys, time
l = socket.socket(); l.bind(("127.0.0.1", 7000)); l.listen()
print("ready", os.getpid(), flush=True); time.sleep(float(sys.argv[1]))'
# kill_server OUT: SIGKILL the python of a bg server (not its `timeout`).
kill_server() {
    local p; p=$(awk '$1 == "ready" {print $2}' "$1")
    kill -KILL "$p"; wait_exit "$BG_PID"
}

# 1. Normal exit: a server and a client; the file exists while they run.
bg "$IT_DIR/srv1.out" net1 "$PY" -c "$SERVE" 0.5
wait_line "$IT_DIR/srv1.out" '^ready' "$BG_PID"
[ -f "$(arena net1)" ] || fail "no arena while the server runs"
sim net1 "$PY" -c 'import socket; socket.create_connection(("127.0.0.1", 7000)).close()' ||
    fail "client could not connect"
[ -f "$(arena net1)" ] || fail "the client's exit removed the network of a live server"
wait_exit "$BG_PID"
[ -f "$(arena net1)" ] && fail "net1.arena left after every process exited normally"

# 2. A forked child outlives its parent: the last one out removes it.
sim net2 "$PY" -c 'import os, socket, time
l = socket.socket(); l.bind(("127.0.0.1", 7000)); l.listen()
if os.fork() == 0:
    time.sleep(0.3)' || fail "fork case failed"
[ -f "$(arena net2)" ] || fail "the parent removed the network while its child lived"
for _ in $(seq 50); do [ -f "$(arena net2)" ] || break; sleep 0.02; done
[ -f "$(arena net2)" ] && fail "net2.arena left after the forked child exited"

# 3. SIGKILL: no exit handler runs; the next network made here sweeps it.
bg "$IT_DIR/srv3.out" net3 "$PY" -c "$SERVE" 10
wait_line "$IT_DIR/srv3.out" '^ready' "$BG_PID"
kill_server "$IT_DIR/srv3.out"
[ -f "$(arena net3)" ] || fail "net3.arena vanished by itself (this test expects the sweep to remove it)"
sim net4 "$PY" -c 'import os, socket; socket.socket()
print("\n".join(sorted(os.listdir(os.environ["SIMNET_DIR"]))))' >"$IT_DIR/net4.out" ||
    fail "net4 failed"
grep -qx net3.arena "$IT_DIR/net4.out" && { show "$IT_DIR/net4.out"; fail "a new network did not sweep the killed one's arena"; }
[ -f "$(arena net3)" ] && fail "net3.arena left after the sweep"
[ -f "$(arena net4)" ] && fail "net4.arena left after its process exited"
# ... and simnet ls sweeps too.
bg "$IT_DIR/srv5.out" net5 "$PY" -c "$SERVE" 10
wait_line "$IT_DIR/srv5.out" '^ready' "$BG_PID"
kill_server "$IT_DIR/srv5.out"
SIMNET_DIR=$IT_DIR "$simnet" ls >/dev/null || fail "simnet ls failed"
[ -f "$(arena net5)" ] && fail "simnet ls did not remove the killed network's arena"

# 4. simnet run --keep keeps; simnet rm refuses while in use, then removes.
SIMNET_DIR=$IT_DIR "$simnet" run -n kept --keep -- "$PY" -c 'import socket; socket.socket().bind(("127.0.0.1", 9))' ||
    fail "simnet run --keep failed"
[ -f "$(arena kept)" ] || fail "simnet run --keep did not keep its network"
sim net6 "$PY" -c 'import socket; socket.socket()' || fail "net6 failed"
[ -f "$(arena kept)" ] || fail "the sweep removed a kept network"
SIMNET_DIR=$IT_DIR "$simnet" ls | grep -q '^kept ' || fail "simnet ls does not list the kept network"
bg "$IT_DIR/srv7.out" kept "$PY" -c "$SERVE" 10
spid=$BG_PID
wait_line "$IT_DIR/srv7.out" '^ready' "$spid"
out=$(SIMNET_DIR=$IT_DIR "$simnet" rm kept 2>&1); rc=$?
[ "$rc" = 1 ] || fail "simnet rm of a network in use: status $rc, expected 1 ($out)"
[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && [[ "$out" == "simnet: network 'kept' is in use"* ]] ||
    fail "simnet rm of a network in use: expected one line, got: $out"
[ -f "$(arena kept)" ] || fail "simnet rm removed a network in use"
kill -TERM "$spid"; wait_exit "$spid"
[ -f "$(arena kept)" ] || fail "the last process out removed a kept network"
SIMNET_DIR=$IT_DIR "$simnet" rm kept || fail "simnet rm of an unused network failed"
[ -f "$(arena kept)" ] && fail "simnet rm did not remove the network"
out=$(SIMNET_DIR=$IT_DIR "$simnet" rm kept 2>&1); rc=$?
[ "$rc" = 2 ] || fail "simnet rm of a missing network: status $rc, expected 2"
left=$(cd "$IT_DIR" && ls ./*.arena 2>/dev/null)
[ -z "$left" ] || fail "arenas left behind: $left"
echo "exit, fork, SIGKILL + sweep (new network, simnet ls), run --keep, rm: nothing left"
echo ok
