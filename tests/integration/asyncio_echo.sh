#!/usr/bin/env bash
# Real server 4: an asyncio echo server (asyncio.start_server: epoll,
# non-blocking sockets, accept on readiness) and an asyncio client in a
# separate process, both preloaded.  The client opens 8 connections at
# once from one event loop (non-blocking connect, EINPROGRESS), echoes 3
# lines each, then 256 KiB of random bytes with write_eof (half-close)
# and reads the echo until EOF; everything must come back intact.  Over
# 127.0.0.1, then ::1.  Nothing listens on the port in the kernel.
. "$(dirname "$0")/lib.bash"

command -v ss >/dev/null || fail "ss (iproute2) is not installed"
P=$(free_kernel_port) || fail "no free kernel port"
NCONN=8 NBYTES=262144

for host in 127.0.0.1 ::1; do
    tag=${host//[:.]/_}
    srv=$IT_DIR/server$tag.out cli=$IT_DIR/client$tag.out
    bg "$srv" "$IT_NET" "$PY" "$it_here/apps.py" asyncio-echo-server "$host" "$P" "$NCONN"
    spid=$BG_PID
    wait_line "$srv" '^ready ' "$spid"

    ss -Hltn >"$IT_DIR/ss" 2>&1 || fail "ss -ltn failed"
    kernel_has_port "$P" "$IT_DIR/ss" && { show "$IT_DIR/ss"; fail "ss -ltn shows a kernel listener on port $P"; }

    bg "$cli" "$IT_NET" "$PY" "$it_here/apps.py" asyncio-echo-client "$host" "$P" "$NCONN" "$NBYTES"
    cpid=$BG_PID
    wait_exit "$cpid"; crc=$?
    wait_exit "$spid"; src=$?
    [ "$crc" -eq 0 ] || { show "$cli" "$srv"; fail "$host: client $(rcstr $crc)"; }
    [ "$src" -eq 0 ] || { show "$cli" "$srv"; fail "$host: server $(rcstr $src)"; }
    grep -qx "correct $NCONN of $NCONN" "$cli" || { show "$cli"; fail "$host: not every connection echoed intact"; }
    grep -qx "served $NCONN" "$srv" || { show "$srv"; fail "$host: server did not see $NCONN connections end"; }
    # 3 lines of "conn I line K\n" (14 bytes each: I, K < 10) + NBYTES.
    n=$(awk -v want=$((NBYTES + 3 * 14)) '$1 == "conn-echoed" && $2 == want' "$srv" | wc -l)
    [ "$n" -eq "$NCONN" ] || { show "$srv"; fail "$host: server echoed the full amount on $n of $NCONN connections"; }
    echo "$host: $NCONN asyncio connections x $NBYTES bytes echoed intact"
done
check_arena
echo ok
