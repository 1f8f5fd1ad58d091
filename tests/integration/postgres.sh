#!/usr/bin/env bash
# Real server: PostgreSQL started the way a packaged service is, by root
# through `setpriv --reuid=postgres`, under the simnet launcher (`simnet
# run -n NET`): initdb, then the postmaster, which creates its first
# socket only after the uid change and forks a backend per connection.
# Preloaded psql (as root, in the same network) creates a table, inserts
# and reads rows back over TCP 127.0.0.1; pgbench -i loads its tables and
# pgbench -c 2 -t 50 runs 100 transactions, checked in pgbench's report
# and in the tables.  Also: the postmaster runs as postgres, the network
# stays root's private one (no SIMNET_SHARED, arena mode 0600), nothing
# listens on the port in the kernel (ss -ltn), a plain psql is refused,
# and the server shuts down cleanly on SIGINT.  Needs root (CI runs as
# root): skipped, with a message, otherwise.
. "$(dirname "$0")/lib.bash"

if [ "$(id -u)" -ne 0 ]; then
    echo "not root: postgres cannot be started as user postgres (skipped)"
    echo ok
    exit 0
fi
pgbin=
for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/postgres" ] && [ -x "$d/psql" ] && [ -x "$d/pgbench" ] && pgbin=$d
done
[ -n "$pgbin" ] || fail "initdb, postgres, psql, pgbench not found in /usr/lib/postgresql/*/bin (packages postgresql, postgresql-contrib)"
for p in setpriv ss; do
    command -v "$p" >/dev/null || fail "$p is not installed (packages util-linux, iproute2)"
done
pguid=$(id -u postgres 2>/dev/null) || fail "no user postgres (package postgresql creates it)"
SIMNET=$(cd "$it_here/../.." && pwd)/scripts/simnet
P=$(free_kernel_port) || fail "no free kernel port"

# The server runs as postgres: it owns its data and socket directories
# and may pass through (not list) the test directory.
data=$IT_DIR/data sock=$IT_DIR/sock log=$IT_DIR/postgres.out
mkdir -p "$data" "$sock" || fail "mkdir"
chown postgres:postgres "$data" "$sock" || fail "chown to postgres"
chmod 0711 "$IT_DIR"
cd "$IT_DIR" || fail "cd"       # a cwd that postgres may enter

asuser=(setpriv --reuid=postgres --regid=postgres --init-groups)
# snrun CMD...: CMD through the launcher, in network $IT_NET, bounded.
snrun() {
    timeout --foreground -k 1 10 env SIMNET_DIR="$IT_DIR" "$SIMNET" run -n "$IT_NET" -- "$@"
}

# initdb makes no socket: started through the launcher all the same, as
# a packaged service's set-up is.  --no-sync and fsync=off: nothing of
# this cluster needs to reach a disk.
snrun "${asuser[@]}" "$pgbin/initdb" -D "$data" -U postgres -A trust --no-sync \
    --locale=C -E UTF8 --no-instructions >"$IT_DIR/initdb.out" 2>&1 ||
    { show "$IT_DIR/initdb.out"; fail "initdb as postgres $(rcstr $?)"; }

pm=                             # the postmaster's pid, once known
pg_stop() {
    [ -n "$pm" ] && kill -0 "$pm" 2>/dev/null || return 0
    kill -INT "$pm" 2>/dev/null         # fast shutdown
    for _ in $(seq 1 100); do kill -0 "$pm" 2>/dev/null || return 0; sleep 0.02; done
    kill -QUIT "$pm" 2>/dev/null        # immediate shutdown
    sleep 0.2
    kill -KILL "$pm" 2>/dev/null
}
trap 'pg_stop; it_cleanup' EXIT

: >"$log"
timeout --foreground -k 1 20 env SIMNET_DIR="$IT_DIR" "$SIMNET" run -n "$IT_NET" -- \
    "${asuser[@]}" "$pgbin/postgres" -D "$data" -p "$P" -k "$sock" \
    -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
    -c full_page_writes=off -c shared_buffers=16MB -c max_connections=20 \
    -c logging_collector=off >"$log" 2>&1 &
spid=$!
it_pids+=("$spid")
wait_line "$log" 'database system is ready to accept connections|FATAL|could not create' "$spid" 10
pm=$(head -n 1 "$data/postmaster.pid" 2>/dev/null)
grep -Eq 'FATAL|could not create' "$log" && { show "$log"; fail "postgres as user postgres did not start listening"; }
grep -q "listening on IPv4 address \"127.0.0.1\", port $P" "$log" ||
    { show "$log"; fail "postgres does not say it listens on 127.0.0.1:$P"; }
[ -n "$pm" ] && [ "$(awk '$1 == "Uid:" {print $2, $3}' "/proc/$pm/status" 2>/dev/null)" = "$pguid $pguid" ] ||
    { show "$log"; fail "postmaster '$pm' does not run as postgres (uid $pguid)"; }

# psql QUERY...: preloaded psql as root over TCP, unaligned, stop on error.
q() {
    sim "$IT_NET" "$pgbin/psql" -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$P" -U postgres -d postgres "$@"
}

tag="t$RANDOM$(date +%N)"
r=$(q -c 'create table simnet_t (id int primary key, word text)' \
      -c "insert into simnet_t select i, '$tag-' || i from generate_series(1, 500) i" \
      -c "insert into simnet_t values (1000, 'last $tag')" 2>&1) ||
    { show "$log"; fail "psql create/insert failed: $r"; }
r=$(q -c "select count(*), sum(id), max(word) from simnet_t where word like '$tag-%'" 2>&1)
[ "$r" = "500|125250|$tag-99" ] || fail "select over the inserted rows answered '$r', expected '500|125250|$tag-99'"
r=$(q -c 'select word from simnet_t where id = 1000' 2>&1)
[ "$r" = "last $tag" ] || fail "select of row 1000 answered '$r', expected 'last $tag'"
# The backend served it over TCP 127.0.0.1, not the Unix socket.
r=$(q -c 'select inet_server_addr(), inet_server_port(), inet_client_addr()' 2>&1)
[ "$r" = "127.0.0.1|$P|127.0.0.1" ] || fail "the connection is '$r', expected TCP 127.0.0.1:$P from 127.0.0.1"

# The kernel has no listener on P, and a plain client cannot reach it.
ss -Hltn >"$IT_DIR/ss" 2>&1 || fail "ss -ltn failed"
kernel_has_port "$P" "$IT_DIR/ss" && { show "$IT_DIR/ss"; fail "ss -ltn shows a kernel listener on postgres' port $P"; }
r=$(timeout 10 "$pgbin/psql" -X -At -h 127.0.0.1 -p "$P" -U postgres -c 'select 1' 2>&1)
# (In an isolated pass, a network namespace whose loopback is down, the
# plain client finds no route instead: lib.bash's plain_refusal says
# which, where it exists.)
refusal=$(plain_refusal 2>/dev/null) || refusal="Connection refused"
case $r in
*"$refusal"*) ;;
*) fail "psql without the preload got '$r' from port $P, expected $refusal" ;;
esac

# netstate: the network's sockets as `simnet ls` sees them (queued bytes
# each way, pids), for a failure while the server runs.
netstate() {
    SIMNET_DIR=$IT_DIR "$SIMNET" ls -n "$IT_NET" >"$IT_DIR/net.txt" 2>&1
    show "$IT_DIR/net.txt"
}

bench=$IT_DIR/pgbench.out
sim "$IT_NET" "$pgbin/pgbench" -h 127.0.0.1 -p "$P" -U postgres -i -q postgres >"$bench" 2>&1 ||
    { rc=$?; netstate; show "$bench" "$log"; fail "pgbench -i $(rcstr $rc)"; }
grep -q '^done in ' "$bench" || { show "$bench"; fail "pgbench -i did not finish"; }
r=$(q -c 'select count(*) from pgbench_accounts' 2>&1)
[ "$r" = 100000 ] || fail "pgbench_accounts holds '$r' rows, expected 100000"
sim "$IT_NET" "$pgbin/pgbench" -h 127.0.0.1 -p "$P" -U postgres -c 2 -t 50 postgres >"$bench" 2>&1 ||
    { rc=$?; netstate; show "$bench" "$log"; fail "pgbench -c 2 -t 50 $(rcstr $rc)"; }
grep -q '^number of transactions actually processed: 100/100$' "$bench" ||
    { show "$bench"; fail "pgbench did not process 100/100 transactions"; }
grep -q '^number of failed transactions: 0 ' "$bench" || { show "$bench"; fail "pgbench reports failed transactions"; }
tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$bench")
[ -n "$tps" ] || { show "$bench"; fail "pgbench printed no tps"; }
# Each TPC-B transaction inserts one history row.
r=$(q -c 'select count(*) from pgbench_history' 2>&1)
[ "$r" = 100 ] || fail "pgbench_history holds '$r' rows, expected 100"

# Still root's private network: no one had to share it.
check_arena
mode=$(stat -c %a "$IT_DIR/$IT_NET.arena")
[ "$mode" = 600 ] || fail "the arena has mode $mode, expected 600 (private)"

kill -INT "$pm" || fail "cannot signal the postmaster"
wait_exit "$spid"; rc=$?
[ "$rc" -eq 0 ] || { show "$log"; fail "postgres (through the launcher) $(rcstr $rc) after SIGINT"; }
grep -q 'database system is shut down' "$log" || { show "$log"; fail "postgres did not shut down cleanly"; }
pm=
echo "port $P: postmaster uid $pguid, 502 rows written and read back, pgbench 100/100 transactions ($tps tps); not in ss"
echo ok
