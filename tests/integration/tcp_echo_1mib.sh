#!/usr/bin/env bash
# Scenario 1: a blocking Python TCP echo server and a client, two separate
# preloaded processes, exchange 1 MiB of random bytes intact (sha256 on
# both sides), over 127.0.0.1 and again over ::1.
. "$(dirname "$0")/lib.bash"

PORT=8080
NBYTES=1048576

for host in 127.0.0.1 ::1; do
    tag=${host//[:.]/_}
    srv=$IT_DIR/server$tag.out cli=$IT_DIR/client$tag.out
    bg "$srv" "$IT_NET" "$PY" "$PEERS" tcp-echo-server "$host" "$PORT"
    spid=$BG_PID
    wait_line "$srv" '^ready ' "$spid"
    bg "$cli" "$IT_NET" "$PY" "$PEERS" tcp-bulk-client "$host" "$PORT" "$NBYTES"
    cpid=$BG_PID
    wait_exit "$cpid"; crc=$?
    wait_exit "$spid"; src=$?
    [ "$crc" -eq 0 ] || { show "$srv" "$cli"; fail "$host: client $(rcstr $crc)"; }
    [ "$src" -eq 0 ] || { show "$srv" "$cli"; fail "$host: server $(rcstr $src)"; }

    sent=$(awk '$1 == "client-sent" {print $2, $3}' "$cli")
    got=$(awk '$1 == "client-received" {print $2, $3}' "$cli")
    srvgot=$(awk '$1 == "server-received" {print $2, $3}' "$srv")
    [ "${sent%% *}" = "$NBYTES" ] || { show "$cli"; fail "$host: client did not send $NBYTES bytes"; }
    [ "$srvgot" = "$sent" ] || { show "$srv" "$cli"; fail "$host: server received '$srvgot', client sent '$sent'"; }
    [ "$got" = "$sent" ] || { show "$srv" "$cli"; fail "$host: client got back '$got', sent '$sent'"; }
    grep -qx "peer $host" "$srv" || { show "$srv"; fail "$host: server saw the wrong peer address"; }
    grep -qx "local $host peer $host" "$cli" || { show "$cli"; fail "$host: client's socket names are wrong"; }
    echo "$host: 1 MiB echoed, sha256 ${sent#* }"
done
check_arena
echo ok
