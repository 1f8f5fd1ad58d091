#!/usr/bin/env bash
# Real server: memcached -u nobody, started as root under the preload.  It
# changes user (setgroups, setgid, setuid) before its first socket, so the
# network must be pinned before that: the arena stays root's (directory
# 0700, file 0600), which nobody could not open by path.  A root client
# in the network stores values of 1 byte to 512 KiB, reads each back and
# all at once, and deletes one.  Checks: the values byte for byte, the
# server's own counters, memcached runs as nobody, nothing listens on the
# port in the kernel (ss -ltn), and a client without the preload is
# refused.  Needs root (CI runs as root): skipped, with a message,
# otherwise.
. "$(dirname "$0")/lib.bash"

if [ "$(id -u)" -ne 0 ]; then
    echo "not root: memcached -u cannot be tested (skipped)"
    echo ok
    exit 0
fi
for p in memcached ss; do
    command -v "$p" >/dev/null || fail "$p is not installed (packages memcached, iproute2)"
done
P=$(free_kernel_port) || fail "no free kernel port"
srv=$IT_DIR/memcached.out cli=$IT_DIR/client.out

# -U 0: no UDP port; -t 2: two worker threads.  From /, a working
# directory nobody may enter.
cd /
bg "$srv" "$IT_NET" memcached -u nobody -l 127.0.0.1 -p "$P" -U 0 -t 2 -m 64
spid=$BG_PID

bg "$cli" "$IT_NET" "$PY" "$it_here/apps.py" memcache-client 127.0.0.1 "$P" 20
cpid=$BG_PID
wait_exit "$cpid"; crc=$?
[ "$crc" -eq 0 ] || { show "$cli" "$srv"; fail "memcache client $(rcstr $crc)"; }
grep -qx 'mismatches 0' "$cli" || { show "$cli"; fail "values read back differ"; }
grep -qx 'delete DELETED then-get miss' "$cli" || { show "$cli"; fail "delete did not take"; }
mpid=$(awk '$1 == "server-pid" {print $2}' "$cli")
sets=$(awk '$1 == "server-pid" {print $4}' "$cli")
hits=$(awk '$1 == "server-pid" {print $6}' "$cli")
[ "$sets" = 20 ] && [ "$hits" = 40 ] ||
    { show "$cli"; fail "memcached counted $sets sets and $hits hits, expected 20 and 40"; }
[ "$(awk '$1 == "Uid:" {print $2, $3}' "/proc/$mpid/status" 2>/dev/null)" = "65534 65534" ] ||
    fail "memcached (pid $mpid) does not run as nobody"

# The kernel has no listener on P, and a plain client cannot reach it.
ss -Hltn >"$IT_DIR/ss" 2>&1 || fail "ss -ltn failed"
kernel_has_port "$P" "$IT_DIR/ss" && { show "$IT_DIR/ss"; fail "ss -ltn shows a kernel listener on memcached's port $P"; }
r=$(timeout 10 "$PY" -c '
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    print("connected")
except OSError as e:
    print(e.strerror)' "$P" 2>&1)
[ "$r" = "$(plain_refusal)" ] || fail "a client without the preload got '$r' from port $P, expected $(plain_refusal)"

[ "$(stat -c '%a %U' "$IT_DIR/$IT_NET.arena")" = "600 root" ] || fail "arena mode or owner changed"
[ "$(stat -c '%a' "$IT_DIR")" = 700 ] || fail "the network's directory is not private"
kill "$mpid"
wait_exit "$spid"
check_arena
echo "port $P: memcached as nobody stored and returned $(awk '$1 == "stored" {print $2 " values, " $4 " bytes"}' "$cli"); not in ss"
echo ok
