#!/usr/bin/env bash
# Lifecycle 9: a preloaded root process that has created no socket yet
# drops to nobody (os.setgroups([]), os.setgid, os.setuid(65534)), then
# listens and serves a client run by root in another process (1 MiB echo,
# sha256 on both sides), then connects out to a server run by root.  The
# network's directory and arena stay root's (mode 0700 / 0600), as they
# are for any root-started service that drops privileges.  Needs root
# (CI runs as root): skipped, with a message, otherwise.
. "$(dirname "$0")/lib.bash"

if [ "$(id -u)" -ne 0 ]; then
    echo "not root: setuid cannot be tested (skipped)"
    echo ok
    exit 0
fi
NOBODY=65534 NBYTES=1048576 P=7400 R=7401
srv=$IT_DIR/server.out cli=$IT_DIR/client.out rsrv=$IT_DIR/root-server.out

# root's own server, for the outgoing connection at the end
bg "$rsrv" "$IT_NET" "$PY" "$PEERS" banner-server 127.0.0.1 "$R" ROOT
rpid=$BG_PID
wait_line "$rsrv" '^ready ' "$rpid"

bg "$srv" "$IT_NET" "$PY" "$it_here/lifecycle.py" setuid-server 127.0.0.1 "$P" "$NOBODY" "$R"
spid=$BG_PID
wait_line "$srv" '^(ready |listen-error)' "$spid"
grep -qx "uid $NOBODY $NOBODY gid $NOBODY $NOBODY" "$srv" || { show "$srv"; fail "the server did not become nobody"; }
grep -q '^listen-error' "$srv" && { show "$srv"; fail "after setuid($NOBODY) the server cannot listen: $(sed -n 's/^listen-error //p' "$srv")"; }
pypid=$(awk '$1 == "ready" {print $3}' "$srv")
[ "$(awk '$1 == "Uid:" {print $2, $3}' "/proc/$pypid/status" 2>/dev/null)" = "$NOBODY $NOBODY" ] ||
    fail "process $pypid does not run as uid $NOBODY"

bg "$cli" "$IT_NET" "$PY" "$PEERS" tcp-bulk-client 127.0.0.1 "$P" "$NBYTES"
cpid=$BG_PID
wait_exit "$cpid"; crc=$?
wait_exit "$spid"; src=$?
[ "$crc" -eq 0 ] || { show "$cli" "$srv"; fail "root client $(rcstr $crc)"; }
[ "$src" -eq 0 ] || { show "$cli" "$srv"; fail "nobody server $(rcstr $src)"; }
sent=$(awk '$1 == "client-sent" {print $2, $3}' "$cli")
got=$(awk '$1 == "client-received" {print $2, $3}' "$cli")
srvgot=$(awk '$1 == "served" {print $2, $3}' "$srv")
[ "${sent%% *}" = "$NBYTES" ] && [ "$got" = "$sent" ] && [ "$srvgot" = "$sent" ] ||
    { show "$cli" "$srv"; fail "1 MiB echo: sent '$sent', server got '$srvgot', client got back '$got'"; }
grep -qx "outgoing ROOT ROOT:echo:from-nobody" "$srv" ||
    { show "$srv" "$rsrv"; fail "nobody's connection to root's server failed"; }
wait_line "$rsrv" '^served 1$' "$rpid" 2
[ "$(stat -c %a "$IT_DIR/$IT_NET.arena")" = 600 ] || fail "arena mode changed"
check_arena
echo "uid $NOBODY after start: listened, served root's client 1 MiB, connected to root's server"
echo ok
