#!/usr/bin/env bash
# daemon(3): a process makes a listener, daemonizes (its parent exits at
# once), and the daemon serves a client from another process; its socket
# survives the parent's exit.  Python calls libc's daemon through ctypes.
. "$(dirname "$0")/lib.bash"

out=$IT_DIR/daemon.out
sim "$IT_NET" "$PY" -c '
import ctypes, socket, sys, os, time
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen()
print("ready", l.getsockname()[1], flush=True)
if ctypes.CDLL(None, use_errno=True).daemon(1, 1) != 0:
    sys.exit("daemon failed")
c, _ = l.accept()
c.sendall(b"served by daemon %d" % os.getpid()); c.close()
' >"$out" 2>&1 || { show "$out"; fail "the daemonizing process $(rcstr $?)"; }
port=$(awk '/^ready/ {print $2}' "$out")
[ -n "$port" ] || { show "$out"; fail "no port"; }
r=$(sim "$IT_NET" "$PY" -c '
import socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
print(c.recv(100).decode())' "$port" 2>&1) || fail "client: $r"
[[ "$r" == "served by daemon "* ]] || fail "client got '$r'"
dpid=${r##* }
# The daemon exits after one client; wait for it (it is ours, by pid).
for _ in $(seq 50); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
echo "daemon $dpid served port $port after its parent exited"
echo ok
