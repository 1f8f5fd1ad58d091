#!/usr/bin/env bash
# Lifecycle 8: a preloaded server that closes every descriptor it did not
# keep, after it has made its sockets (as daemons and spawners do): the
# library's own descriptors go too.  Two programs: (a) moves its listener
# to fd 1500 and calls os.closerange(3, 1024) (close_range); (b) calls
# os.close() on every fd from 3 to 1023 but the listener's.  Each first
# makes a scratch listener, accepts a scratch connection from another
# process and waits on it with poll and epoll (so the library has
# doorbells and pidfds of its own open).  After the closing: the scratch client sees EOF (its accepted
# socket really closed), the scratch port binds again (its listener really
# closed), a new socket connects and talks, and the kept listener serves
# a client 1 MiB (echo, sha256 on both sides), found with poll (accept)
# and epoll (first bytes).
. "$(dirname "$0")/lib.bash"

NBYTES=1048576
for mode in closerange close-loop; do
    P=$((7100 + RANDOM % 100)) Q=$((7300 + RANDOM % 100))
    srv=$IT_DIR/server-$mode.out hold=$IT_DIR/hold-$mode.out cli=$IT_DIR/client-$mode.out
    bg "$srv" "$IT_NET" "$PY" "$it_here/lifecycle.py" closing-server 127.0.0.1 "$P" "$Q" "$mode"
    spid=$BG_PID
    wait_line "$srv" '^ready ' "$spid"
    bg "$hold" "$IT_NET" "$PY" "$it_here/lifecycle.py" hold-client 127.0.0.1 "$Q"
    hpid=$BG_PID
    n=0
    until grep -qx closed "$srv"; do
        kill -0 "$spid" 2>/dev/null && [ $n -lt 250 ] || { show "$srv" "$hold"; fail "$mode: the server did not get to close its descriptors"; }
        sleep 0.02
        n=$((n + 1))
    done
    wait_line "$hold" '^woke ' "$hpid" 2
    grep -qx "woke eof" "$hold" || { show "$hold" "$srv"; fail "$mode: the scratch client saw '$(sed -n 's/^woke //p' "$hold")', expected EOF once its accepted socket was closed"; }
    wait_exit "$hpid" || { show "$hold"; fail "$mode: scratch client $(rcstr $?)"; }

    bg "$cli" "$IT_NET" "$PY" "$PEERS" tcp-bulk-client 127.0.0.1 "$P" "$NBYTES"
    cpid=$BG_PID
    wait_exit "$cpid"; crc=$?
    wait_exit "$spid"; src=$?
    [ "$crc" -eq 0 ] || { show "$cli" "$srv"; fail "$mode: client $(rcstr $crc)"; }
    [ "$src" -eq 0 ] || { show "$cli" "$srv"; fail "$mode: server $(rcstr $src)"; }
    grep -qx "waits-before \[\] \[\]" "$srv" || { show "$srv"; fail "$mode: poll/epoll on the idle scratch connection reported events"; }
    grep -Eqx "poll-listener \[\([0-9]+, 1\)\]" "$srv" || { show "$srv"; fail "$mode: poll on the kept listener did not report the client (POLLIN)"; }
    grep -qx "epoll-conn \[1\]" "$srv" || { show "$srv"; fail "$mode: epoll on the accepted connection did not report EPOLLIN"; }
    grep -qx "scratch-rebind ok" "$srv" || { show "$srv"; fail "$mode: the scratch port could not be bound again after the closing"; }
    grep -qx "new-socket ok" "$srv" || { show "$srv"; fail "$mode: a socket made after the closing did not work"; }
    grep -qx "listener-fd $([ $mode = closerange ] && echo 1500 || echo '[0-9]*') family-ok 1" "$srv" ||
        { show "$srv"; fail "$mode: the kept listener is not a TCP socket of the right family"; }
    # Only 0, 1, 2 and the listener survived (fds >= 1024 inherited from
    # whoever runs us would be left by both programs, rightly: ignored).
    after=$(sed -n 's/^fds-after //p' "$srv" | tr , '\n' | awk '$1 < 1024 || $1 == 1500' | paste -sd,)
    lfd=$(awk '$1 == "listener-fd" {print $2}' "$srv")
    [ "$after" = "0,1,2,$lfd" ] || { show "$srv"; fail "$mode: fds left after the closing: $after (expected 0,1,2,$lfd)"; }
    sent=$(awk '$1 == "client-sent" {print $2, $3}' "$cli")
    got=$(awk '$1 == "client-received" {print $2, $3}' "$cli")
    srvgot=$(awk '$1 == "served" {print $2, $3}' "$srv")
    [ "${sent%% *}" = "$NBYTES" ] && [ "$got" = "$sent" ] && [ "$srvgot" = "$sent" ] ||
        { show "$cli" "$srv"; fail "$mode: 1 MiB echo: sent '$sent', server got '$srvgot', client got back '$got'"; }
    echo "$mode: fds before $(sed -n 's/^fds-before //p' "$srv") -> after $after; scratch EOF + rebind, new socket, 1 MiB served"
done
check_arena
echo ok
