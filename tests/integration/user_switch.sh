#!/usr/bin/env bash
# Programs started through a change of user from a process in the
# network stay in it: a preloaded `setpriv --reuid=nobody --regid=nogroup
# --clear-groups`, `runuser -u nobody --` (through a shell that forks:
# the network passes a fork and two execs) and `su -s python3 nobody -c`
# each run a python3 server that first makes a socket as nobody.  The
# network's directory (0700) and arena (0600) stay root's, so nobody could
# not open it by path.  A root client echoes 256 KiB through each (sha256
# on both sides); the port is not in the kernel's tables.  A nobody
# process that was never in the network (setpriv not preloaded) still
# cannot join it.  Needs root: skipped, with a message, otherwise.
. "$(dirname "$0")/lib.bash"

if [ "$(id -u)" -ne 0 ]; then
    echo "not root: changes of user cannot be tested (skipped)"
    echo ok
    exit 0
fi
for p in setpriv runuser su ss; do
    command -v "$p" >/dev/null || fail "$p is not installed (packages util-linux, iproute2)"
done
cd /                                # a working directory nobody may enter
NBYTES=262144
SERVER='
import hashlib, os, socket, sys
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", int(sys.argv[1])))
ls.listen()
print("ready", sys.argv[1], os.getpid(), os.getuid(), flush=True)
c, _ = ls.accept()
h, n = hashlib.sha256(), 0
while True:
    d = c.recv(65536)
    if not d:
        break
    h.update(d)
    n += len(d)
    c.sendall(d)
c.close()
print("served", n, h.hexdigest(), flush=True)'

# run_as NAME PORT CMD...: CMD (preloaded, in the network) starts the
# server as nobody; a root client echoes NBYTES through it.
run_as() {
    local name=$1 port=$2
    shift 2
    local srv=$IT_DIR/$name.out cli=$IT_DIR/$name-client.out
    bg "$srv" "$IT_NET" "$@"
    local spid=$BG_PID
    wait_line "$srv" '^ready ' "$spid"
    local pid uid
    read -r _ _ pid uid < <(grep '^ready ' "$srv")
    [ "$uid" = 65534 ] || { show "$srv"; fail "$name: the server runs as uid $uid"; }
    [ "$(awk '$1 == "Uid:" {print $2, $3}' "/proc/$pid/status" 2>/dev/null)" = "65534 65534" ] ||
        fail "$name: process $pid does not run as nobody"
    ss -Hltn >"$IT_DIR/ss" 2>&1 || fail "ss -ltn failed"
    kernel_has_port "$port" "$IT_DIR/ss" && { show "$IT_DIR/ss"; fail "$name: ss -ltn shows port $port"; }
    bg "$cli" "$IT_NET" "$PY" "$PEERS" tcp-bulk-client 127.0.0.1 "$port" "$NBYTES"
    local cpid=$BG_PID crc src
    wait_exit "$cpid"; crc=$?
    wait_exit "$spid"; src=$?
    [ "$crc" -eq 0 ] || { show "$cli" "$srv"; fail "$name: root client $(rcstr $crc)"; }
    [ "$src" -eq 0 ] || { show "$cli" "$srv"; fail "$name: nobody's server $(rcstr $src)"; }
    local sent got
    sent=$(awk '$1 == "client-sent" {print $2, $3}' "$cli")
    got=$(awk '$1 == "served" {print $2, $3}' "$srv")
    [ "${sent%% *}" = "$NBYTES" ] && [ "$got" = "$sent" ] ||
        { show "$cli" "$srv"; fail "$name: sent '$sent', the server got '$got'"; }
}

run_as setpriv 7501 setpriv --reuid=nobody --regid=nogroup --clear-groups "$PY" -c "$SERVER" 7501
run_as runuser 7502 runuser -u nobody -- /bin/sh -c '"$0" -c "$1" "$2"; :' "$PY" "$SERVER" 7502
run_as su 7503 su -s "$PY" -c "$SERVER" nobody 7503

# Never in the network: setpriv itself runs without the preload.
out=$(timeout 10 setpriv --reuid=nobody --regid=nogroup --clear-groups env LD_PRELOAD="$SIMNET_LIB" \
      SIMNET_DIR="$IT_DIR" SIMNET_NETWORK="$IT_NET" "$PY" -c '
import socket, errno
try:
    socket.socket()
    print("joined")
except OSError as e:
    print("socket:", errno.errorcode[e.errno])' 2>&1)
printf '%s\n' "$out" | grep -qx 'socket: ENETDOWN' || fail "nobody joined a private network: $out"

[ "$(stat -c '%a %U' "$IT_DIR/$IT_NET.arena")" = "600 root" ] || fail "arena mode or owner changed"
check_arena
echo "setpriv, runuser (through sh) and su: nobody's server served root's client ${NBYTES} bytes; an outsider stays out"
echo ok
