#!/usr/bin/env bash
# Scenario 2: UDP echo of 1-, 1000- and 65507-byte datagrams between two
# separate preloaded Python processes; every reply must equal what was sent
# and come from the server's address and port.  IPv4 (65507 is its largest
# datagram), then the same over ::1.
. "$(dirname "$0")/lib.bash"

PORT=5353
SIZES="1 1000 65507"

for host in 127.0.0.1 ::1; do
    tag=${host//[:.]/_}
    srv=$IT_DIR/server$tag.out cli=$IT_DIR/client$tag.out
    bg "$srv" "$IT_NET" "$PY" "$PEERS" udp-echo-server "$host" "$PORT"
    spid=$BG_PID
    wait_line "$srv" '^ready ' "$spid"
    # shellcheck disable=SC2086
    bg "$cli" "$IT_NET" "$PY" "$PEERS" udp-client "$host" "$PORT" $SIZES
    cpid=$BG_PID
    wait_exit "$cpid"; crc=$?
    wait_exit "$spid"; src=$?
    [ "$crc" -eq 0 ] || { show "$srv" "$cli"; fail "$host: client $(rcstr $crc)"; }
    [ "$src" -eq 0 ] || { show "$srv" "$cli"; fail "$host: server $(rcstr $src)"; }
    for n in $SIZES; do
        grep -qx "size $n sent $n got $n from $host $PORT ok" "$cli" ||
            { show "$srv" "$cli"; fail "$host: $n-byte datagram not echoed intact"; }
        grep -qx "echo $n from $host" "$srv" ||
            { show "$srv"; fail "$host: server did not see a $n-byte datagram from $host"; }
    done
    grep -qx "quit from $host" "$srv" || { show "$srv"; fail "$host: server did not get quit"; }
    echo "$host: datagrams of $SIZES bytes echoed intact"
done
check_arena
echo ok
