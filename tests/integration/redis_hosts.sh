#!/usr/bin/env bash
# Named hosts with real programs, each host its own `simnet run --host`:
# a redis primary on host db, a replica on host cache (--replicaof db, by
# name: the library answers getaddrinfo for the network's hosts), a client
# on host app writing to db and reading the value back from cache, by
# name and by address (read from `simnet hosts`); a third redis on app's own
# 127.0.0.1:6379, private to app (db's and cache's loopbacks do not see
# it, and app's loopback does not see theirs).  Nothing appears in the
# kernel's tables; `simnet ls` shows the hosts and their processes;
# `hostname` and Python's socket.gethostname() on each host say its name;
# `getent hosts` finds a host by name and by address, and Python's
# getaddrinfo("db", 6379) gives db's addresses; if_nameindex() shows lo
# and eth0.
. "$(dirname "$0")/lib.bash"

for p in redis-server redis-cli ss; do
    command -v "$p" >/dev/null || fail "$p is not installed (packages redis-server, redis-tools, iproute2)"
done
SIMNET=$(cd "$it_here/../.." && pwd)/scripts/simnet
export SIMNET_DIR=$IT_DIR
it_keep "$IT_NET"
on() { local h=$1; shift; timeout -k 1 10 "$SIMNET" run -n "$IT_NET" --host "$h" -- "$@"; }
redis() {   # OUT HOST ARGS...: a redis-server in the background
    local out=$1 h=$2; shift 2
    bg "$out" - "$SIMNET" run -n "$IT_NET" --host "$h" -- redis-server --port 6379 \
        --protected-mode no --save '' --appendonly no --dir "$IT_DIR" --logfile '' \
        --daemonize no "$@"
    wait_line "$out" 'Ready to accept connections' "$BG_PID"
}
ss -Hltn >"$IT_DIR/ss.before" 2>&1

redis "$IT_DIR/db.out" db
dbp=$BG_PID
db=$("$SIMNET" hosts -n "$IT_NET" | awk '$2 == "db" && $1 ~ /^[0-9.]+$/ {print $1}')
[ -n "$db" ] || fail "simnet hosts shows no IPv4 address for db: $("$SIMNET" hosts -n "$IT_NET")"
redis "$IT_DIR/cache.out" cache --replicaof db 6379
cachep=$BG_PID
cache=$("$SIMNET" hosts -n "$IT_NET" | awk '$2 == "cache" && $1 ~ /^[0-9.]+$/ {print $1}')
[ "$cache" != "$db" ] && [ -n "$cache" ] || fail "cache's address '$cache' (db's $db)"

up=""
for _ in $(seq 1 100); do
    r=$(on app redis-cli -h "$cache" -p 6379 INFO replication 2>&1 | tr -d '\r')
    grep -q '^master_link_status:up' <<<"$r" && { up=1; break; }
    sleep 0.1
done
[ -n "$up" ] || { show "$IT_DIR/cache.out"; fail "replica on cache never linked to db ($db): $r"; }

val="v-$RANDOM-$(date +%s%N)"
r=$(on app redis-cli -h "$db" -p 6379 SET hosts:key "$val" 2>&1)
[ "$r" = OK ] || fail "SET on db from app answered '$r'"
got=""
for _ in $(seq 1 100); do
    got=$(on app redis-cli -h cache -p 6379 GET hosts:key 2>&1)
    [ "$got" = "$val" ] && break
    sleep 0.05
done
[ "$got" = "$val" ] || fail "GET on cache from app answered '$got', expected '$val'"
# The replica knows its primary by db's address, and db saw cache's.
r=$(on app redis-cli -h "$db" -p 6379 INFO replication 2>&1 | tr -d '\r')
grep -q "^slave0:ip=$cache,port=6379" <<<"$r" || fail "db lists its replica as: $(grep slave0 <<<"$r")"

# Each host's 127.0.0.1:6379 is its own.
r=$(on app redis-cli -h 127.0.0.1 -p 6379 PING 2>&1)
grep -q 'Connection refused' <<<"$r" || fail "app's loopback answered '$r' with nothing listening there"
redis "$IT_DIR/app.out" app --bind 127.0.0.1
appp=$BG_PID
r=$(on app redis-cli -h 127.0.0.1 -p 6379 SET hosts:key app-own 2>&1)
[ "$r" = OK ] || fail "SET on app's own loopback answered '$r'"
r=$(on db redis-cli -h 127.0.0.1 -p 6379 GET hosts:key 2>&1)
[ "$r" = "$val" ] || fail "db's loopback answered '$r', expected db's value"
r=$(on cache redis-cli -h 127.0.0.1 -p 6379 GET hosts:key 2>&1)
[ "$r" = "$val" ] || fail "cache's loopback answered '$r', expected the replicated value"
r=$(on app redis-cli -h 127.0.0.1 -p 6379 GET hosts:key 2>&1)
[ "$r" = app-own ] || fail "app's loopback answered '$r', expected its own value"
r=$(on cache redis-cli -h "$(awk '$2 == "app" && $1 ~ /^[0-9.]+$/ {print $1}' < <("$SIMNET" hosts -n "$IT_NET"))" -p 6379 PING 2>&1)
grep -q 'Connection refused' <<<"$r" || fail "app's redis on 127.0.0.1 was reached by address from cache: '$r'"

for h in db cache app; do
    r=$(on "$h" hostname)
    [ "$r" = "$h" ] || fail "hostname on $h says '$r'"
    r=$(on "$h" "$PY" -c 'import socket; print(socket.gethostname())')
    [ "$r" = "$h" ] || fail "socket.gethostname() on $h says '$r'"
done
r=$(on app getent hosts db 2>&1)
grep -Eq "^[0-9a-f.:]+ +db\$" <<<"$r" || fail "getent hosts db on app: '$r'"
r=$(on app getent hosts "$cache" 2>&1)
[ "$(echo $r)" = "$cache cache" ] || fail "getent hosts $cache on app: '$r'"
r=$(on app getent ahostsv4 db.simnet 2>&1 | awk 'NR == 1 {print $1}')
[ "$r" = "$db" ] || fail "getent ahostsv4 db.simnet on app: '$r', expected $db"
r=$(on app "$PY" -c 'import socket; print(sorted({a[4][0] for a in socket.getaddrinfo("db", 6379)}))' 2>&1)
case $r in *"'$db'"*) ;; *) fail "getaddrinfo(db) on app: $r" ;; esac
r=$(on app "$PY" -c 'import socket; print(socket.if_nameindex())' 2>&1)
[ "$r" = "[(1, 'lo'), (2, 'eth0')]" ] || fail "if_nameindex() on app: $r"
ls=$("$SIMNET" ls -n "$IT_NET")
for h in db cache app; do
    grep -Eq "^$h +[0-9.]+" <<<"$ls" || { echo "$ls"; fail "simnet ls shows no host $h"; }
done

ss -Hltn >"$IT_DIR/ss.after" 2>&1
if diff "$IT_DIR/ss.before" "$IT_DIR/ss.after" | grep -q '^>.*:6379 '; then
    show "$IT_DIR/ss.after"; fail "the kernel has a new listener on 6379"
fi
for p in "$dbp" "$cachep" "$appp"; do kill -TERM "$p"; done
check_arena
echo "db $db -> replica cache $cache (by name), read back from app; three private 127.0.0.1:6379; names and hostname; not in ss"
echo ok
