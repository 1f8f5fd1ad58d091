#!/usr/bin/env bash
# Sharing a network between users: only when asked.  A root server and a
# client running as nobody, started separately, with SIMNET_SHARED=1 talk
# to each other; without it the nobody process cannot open the network
# (one libsimnet line, ENETDOWN) and the arena stays private (mode 0600).
. "$(dirname "$0")/lib.bash"

command -v setpriv >/dev/null || fail "setpriv is not installed (package util-linux)"
[ "$(id -u)" = 0 ] || { echo "not root: nothing to test"; echo ok; exit 0; }
dir=$IT_DIR/shared              # its subdirectories are made by the library
mkdir -p "$dir"
chmod 755 "$IT_DIR" "$dir"      # nobody may walk down to them
# bgdir OUT DIR CMD...: like bg, in network $IT_NET under directory DIR.
bgdir() {
    local out=$1 d=$2
    shift 2
    timeout --foreground -k 1 20 env LD_PRELOAD="$SIMNET_LIB" SIMNET_DIR="$d" \
        SIMNET_NETWORK="$IT_NET" "$@" >"$out" 2>&1 &
    BG_PID=$!
    it_pids+=("$BG_PID")
}

# Private (the default): the arena is 0600 and nobody is kept out.
bgdir "$IT_DIR/priv.out" "$dir/private" "$PY" "$PEERS" tcp-echo-server 127.0.0.1 0
ppid=$BG_PID
wait_line "$IT_DIR/priv.out" '^ready' "$ppid"
mode=$(stat -c %a "$dir/private/$IT_NET.arena")
[ "$mode" = 600 ] || fail "a private arena has mode $mode, expected 600"
out=$(SIMNET_DIR=$dir/private timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups env LD_PRELOAD="$SIMNET_LIB" \
      SIMNET_NETWORK="$IT_NET" "$PY" -c '
import socket, errno
try:
    socket.socket()
except OSError as e:
    print("socket:", errno.errorcode[e.errno])' 2>&1)
printf '%s\n' "$out" | grep -q '^socket: ENETDOWN$' ||
    fail "nobody joined a private network: $out"
[ "$(printf '%s\n' "$out" | grep -c '^libsimnet:')" = 1 ] || fail "expected one libsimnet line: $out"
kill "$ppid" 2>/dev/null

# Shared on request.
export SIMNET_SHARED=1
bgdir "$IT_DIR/srv.out" "$dir/open" "$PY" "$PEERS" tcp-echo-server 127.0.0.1 0
spid=$BG_PID
wait_line "$IT_DIR/srv.out" '^ready' "$spid"
port=$(awk '/^ready/ {print $2}' "$IT_DIR/srv.out")
mode=$(stat -c %a "$dir/open/$IT_NET.arena")
[ "$mode" = 666 ] || fail "a shared arena has mode $mode, expected 666"
out=$(SIMNET_DIR=$dir/open timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups env LD_PRELOAD="$SIMNET_LIB" \
      SIMNET_NETWORK="$IT_NET" SIMNET_SHARED=1 "$PY" -c '
import socket, sys, os
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
c.sendall(b"from uid %d" % os.getuid()); c.shutdown(socket.SHUT_WR)
print(c.recv(100).decode())' "$port" 2>&1)
[ "$out" = "from uid 65534" ] || fail "nobody's client got '$out' from root's server"
echo "SIMNET_SHARED=1: root server and nobody client share a network; private by default"
echo ok
