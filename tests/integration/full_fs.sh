#!/usr/bin/env bash
# Memory 1: the network's arena on a small tmpfs (SIMNET_DIR).  Running out
# of room there gives errnos, never a signal, and loses no byte:
#  - on 256 KiB the arena cannot even be made: a program gets one clear
#    line on stderr and ENETDOWN from socket(), not SIGBUS;
#  - remounted at 4 MiB (what the user guide tells to do), a client opens
#    200 connections to a server of another process and sends 200 KB on
#    each (a ring is 256 KiB: far more than fits).  Every call either
#    moves data or fails with ENOBUFS/ENOMEM; every byte a send() reported
#    sent arrives on the right connection (length and sha256 per
#    connection, compared with what the server read); the client's
#    SIMNET_DEBUG log says once per failure what found no room;
#  - once those connections are closed, 8 new ones send 200 KB each with
#    no error: the memory came back;
#  - without SIMNET_DIR, a small XDG_RUNTIME_DIR is passed over for the
#    next default place, by the library and the launcher alike.
# Mounting needs root (CI runs as root): skipped, with a message, otherwise
# (and where even root may not mount).
. "$(dirname "$0")/lib.bash"

if [ "$(id -u)" -ne 0 ]; then
    echo "not root: cannot mount a small tmpfs (skipped)"
    echo ok
    exit 0
fi
FS=$IT_DIR/fs P=7610 NCONN=200 NBYTES=200000
ROOM=$it_here/room.py
mkdir "$FS" || fail "mkdir $FS"
if ! mount -t tmpfs -o size=256k simnet-it "$FS"; then
    echo "root, but cannot mount a tmpfs here (a container without CAP_SYS_ADMIN?): skipped"
    echo ok
    exit 0
fi
xnet=$IT_NET-xdg
fs_cleanup() {
    it_cleanup 2>/dev/null          # kills our processes; the mount stays
    umount "$FS" && rm -rf "$IT_DIR"
    rm -f "/dev/shm/simnet-$(id -u)/$xnet.arena" "/tmp/simnet-$(id -u)/$xnet.arena"
}
trap fs_cleanup EXIT

# Runs the rest preloaded, in our network on the small file system.
fs_env=(env LD_PRELOAD="$SIMNET_LIB" SIMNET_DIR="$FS" SIMNET_NETWORK="$IT_NET")

# 1. No room for the arena itself.
tiny=$IT_DIR/tiny.out
timeout --foreground -k 1 10 "${fs_env[@]}" "$PY" -c '
import errno, socket
try:
    socket.socket()
    print("socket-ok")
except OSError as e:
    print("socket-error", errno.errorcode[e.errno])
' >"$tiny" 2>&1
rc=$?
[ "$rc" -eq 0 ] || { show "$tiny"; fail "program on a 256 KiB file system: $(rcstr $rc)"; }
grep -qx "socket-error ENETDOWN" "$tiny" || { show "$tiny"; fail "socket() on a 256 KiB file system did not fail with ENETDOWN"; }
[ "$(grep -c '^libsimnet: no room for network .*: its file system is full' "$tiny")" = 1 ] ||
    { show "$tiny"; fail "no one-line error about the full file system"; }

# 1b. The default place: a 256 KiB XDG_RUNTIME_DIR is not roomy (the
#     library and scripts/simnet want 256 MiB in all).
#     The program stays until simnet ls has looked: the network goes with
#     its last process.
made=$IT_DIR/made.out
timeout --foreground -k 1 10 env XDG_RUNTIME_DIR="$FS" SIMNET_NETWORK="$xnet" \
    LD_PRELOAD="$SIMNET_LIB" "$PY" -c 'import socket, sys; s = socket.socket(); print("made", flush=True); sys.stdin.read()' \
    >"$made" 2>&1 < <(sleep 5) &
mpid=$!
it_pids+=("$mpid")
wait_line "$made" '^made$' "$mpid"
[ ! -e "$FS/simnet" ] || fail "the library put its network in a 256 KiB XDG_RUNTIME_DIR"
XDG_RUNTIME_DIR=$FS "$it_here/../../scripts/simnet" ls -n "$xnet" >"$tiny" 2>&1 ||
    { show "$tiny"; fail "scripts/simnet looks for the network elsewhere than the library put it"; }
kill "$mpid" 2>/dev/null; wait "$mpid" 2>/dev/null

# 2. Room for some connections, not for all.
mount -o remount,size=4m "$FS" || fail "cannot remount $FS at 4 MiB"
srv=$IT_DIR/server.out cli=$IT_DIR/client.out log=$IT_DIR/client.debug
bg "$srv" - "${fs_env[@]}" "$PY" "$ROOM" server 127.0.0.1 "$P"
spid=$BG_PID
wait_line "$srv" '^ready ' "$spid"
timeout --foreground -k 1 20 "${fs_env[@]}" SIMNET_DEBUG="$log" \
    "$PY" "$ROOM" client 127.0.0.1 "$P" "$NCONN" "$NBYTES" >"$cli" 2>&1
rc=$?
[ "$rc" -eq 0 ] || { show "$cli"; fail "client $(rcstr $rc)"; }
wait_exit "$spid"; rc=$?
[ "$rc" -eq 0 ] || { show "$srv"; fail "server $(rcstr $rc)"; }
grep -q '^bad-error' "$cli" && { show "$cli"; fail "a call failed with another errno than ENOBUFS/ENOMEM"; }
grep -q '^recv-error' "$srv" && { show "$srv"; fail "the server's recv failed"; }
nerr=$(grep -c '^error ' "$cli")
bytes=$(awk '$1 == "conn" {n += $3} END {print n + 0}' "$cli")
[ "$nerr" -ge 1 ] && [ "$bytes" -ge 1000000 ] ||
    { show "$cli"; fail "expected data through and then calls finding no room: $bytes bytes, $nerr errors"; }
nconn=$(grep -c '^conn ' "$cli")
grep -qx "done $nconn" "$srv" || { show "$srv"; fail "the server did not see the client's $nconn connections end"; }
grep '^conn ' "$cli" | sort >"$IT_DIR/sent"
grep '^conn ' "$srv" | sort >"$IT_DIR/got"
cmp -s "$IT_DIR/sent" "$IT_DIR/got" ||
    { diff "$IT_DIR/sent" "$IT_DIR/got" | head -20; fail "what the client sent (port, bytes, sha256) is not what the server read"; }
# Each call that failed for want of room has the line saying so just
# before its own.
nsaid=$(awk '/ = -1 ENO(BUFS|MEM) / && prev ~ /^libsimnet\[[0-9]+\]: no room for .* in the file system of .*: it is full/ {n++}
             {prev = $0} END {print n + 0}' "$log")
[ "$nsaid" -eq "$nerr" ] ||
    { grep -v ') = [0-9]' "$log" | head -20; fail "$nerr calls found no room, but the debug log says so before $nsaid"; }

# 3. The memory of closed connections is used again.
bg "$srv" - "${fs_env[@]}" "$PY" "$ROOM" server 127.0.0.1 "$P"
spid=$BG_PID
wait_line "$srv" '^ready ' "$spid"
[ -f "$FS/$IT_NET.arena" ] || fail "no arena on the small file system"
timeout --foreground -k 1 20 "${fs_env[@]}" "$PY" "$ROOM" client 127.0.0.1 "$P" 8 "$NBYTES" >"$cli" 2>&1
rc=$?
[ "$rc" -eq 0 ] || { show "$cli"; fail "second client $(rcstr $rc)"; }
wait_exit "$spid"
grep -qx 'sent-all 8 failed 0 bad 0' "$cli" || { show "$cli"; fail "after the first connections closed, 8 new ones did not all get through"; }
cmp -s <(grep '^conn ' "$cli" | sort) <(grep '^conn ' "$srv" | sort) ||
    { show "$cli" "$srv"; fail "second round: what was sent is not what arrived"; }
echo "4 MiB: $NCONN connections x $NBYTES: $bytes bytes sent and arrived intact, $nerr calls got ENOBUFS/ENOMEM; then 8 x $NBYTES with no error"
echo ok
