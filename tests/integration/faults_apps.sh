#!/usr/bin/env bash
# Real programs under faults between hosts, with generous bounds for
# shared machines:
#  - redis: a replica on host cache (--replicaof db) of a primary on host
#    db falls behind while db and cache are partitioned (keys written to
#    db meanwhile are on db, not on cache, and its offset lags db's), and
#    after heal catches up within 10 s with the same data;
#  - redis-cli --latency from app to db with 20 ms each way: >= 35 ms;
#  - iperf3 from app to db through an 8 mbit link (both ways) reports a
#    received rate between 5 and 9.5 Mbit/s.
. "$(dirname "$0")/lib.bash"

for p in redis-server redis-cli iperf3; do
    command -v "$p" >/dev/null || fail "$p is not installed (packages redis-server, redis-tools, iperf3)"
done
SIMNET=$(cd "$it_here/../.." && pwd)/scripts/simnet
export SIMNET_DIR=$IT_DIR
it_keep "$IT_NET"
sn() { "$SIMNET" "$1" -n "$IT_NET" "${@:2}"; }
on() { local h=$1; shift; timeout -k 1 10 "$SIMNET" run -n "$IT_NET" --host "$h" -- "$@"; }
# long OUT HOST ARGS...: ARGS on HOST in the background, bounded to 60 s
# (the whole scenario, longer than bg's bound under load).
long() {
    local out=$1 h=$2
    shift 2
    : >"$out"
    timeout --foreground -k 1 60 "$SIMNET" run -n "$IT_NET" --host "$h" -- "$@" >"$out" 2>&1 &
    BG_PID=$!
    it_pids+=("$BG_PID")
}
redis() {   # OUT HOST ARGS...: a redis-server in the background
    local out=$1 h=$2
    shift 2
    long "$out" "$h" redis-server --port 6379 --protected-mode no --save '' \
        --appendonly no --dir "$IT_DIR" --logfile '' --daemonize no "$@"
    wait_line "$out" 'Ready to accept connections' "$BG_PID" 10
}
# cli HOST ARGS...: redis-cli from app to HOST's redis, one line, no CR.
cli() { local h=$1; shift; on app redis-cli -h "$h" -p 6379 "$@" 2>&1 | tr -d '\r'; }
# writes FROM TO: SET k:FROM..k:TO on db, one SET each, by a script
# (`simnet run` gives its program no stdin to pipe commands into).
writes() {
    local r
    r=$(cli db EVAL "for i = tonumber(ARGV[1]), tonumber(ARGV[2]) do
        redis.call('SET', 'k:' .. i, 'v-' .. i .. '-' .. ARGV[3]) end
        return 'done'" 0 "$1" "$2" "$RANDOM")
    [ "$r" = done ] || fail "SET k:$1..k:$2 on db: '$r'"
}
# keys HOST: the values of k:1..k:40 on HOST, one line.
keys() { cli "$1" MGET $(seq -f 'k:%g' 1 40) | tr '\n' ' '; }
offset() { cli "$1" INFO replication | awk -F: "/^$2:/ {print \$2}"; }

# ---- a redis replica falls behind under a partition, catches up ----
redis "$IT_DIR/db.out" db
dbp=$BG_PID
redis "$IT_DIR/cache.out" cache --replicaof db 6379
cachep=$BG_PID
up=""
for _ in $(seq 1 100); do
    cli cache INFO replication | grep -q '^master_link_status:up' && { up=1; break; }
    sleep 0.1
done
[ -n "$up" ] || { show "$IT_DIR/cache.out"; fail "the replica on cache never linked to db"; }

writes 1 20
n=""
for _ in $(seq 1 100); do
    n=$(cli cache DBSIZE)
    [ "$n" = 20 ] && break
    sleep 0.05
done
[ "$n" = 20 ] || fail "the replica has $n keys of db's 20 before the partition"

sn partition db cache || fail "simnet partition db cache failed"
writes 21 40
sleep 1
n=$(cli db DBSIZE)
[ "$n" = 40 ] || fail "db has $n keys, expected 40"
n=$(cli cache DBSIZE)
[ "$n" = 20 ] || fail "the replica has $n keys under a partition, expected the 20 from before"
r=$(cli cache GET k:30)
[ -z "$r" ] || fail "the replica has k:30 ('$r'), written to db under the partition"
mo=$(offset db master_repl_offset)
so=$(offset cache slave_repl_offset)
[ -n "$mo" ] && [ -n "$so" ] && [ "$so" -lt "$mo" ] ||
    fail "under the partition the replica's offset is '$so', db's '$mo'"

sn heal db cache || fail "simnet heal db cache failed"
t0=$(date +%s%N)
want=$(keys db)
got=""
for _ in $(seq 1 200); do
    got=$(keys cache)
    [ "$got" = "$want" ] && break
    sleep 0.05
done
[ "$got" = "$want" ] || fail "after heal the replica has '$got', db '$want'"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
grep -q '^master_link_status:up' <<<"$(cli cache INFO replication)" ||
    fail "the replica's link to db is not up after heal"
# db's offset also moves with its own PINGs to the replica (every 10 s):
# the replica's reaches it again soon.
same=""
for _ in $(seq 1 50); do
    so=$(offset cache slave_repl_offset)
    mo=$(offset db master_repl_offset)
    [ -n "$so" ] && [ "$so" = "$mo" ] && { same=1; break; }
    sleep 0.1
done
[ -n "$same" ] || fail "after heal the replica's offset is '$so', db's '$mo'"

# ---- redis-cli --latency on a delayed link ----
sn link app db --both --delay 20ms || fail "simnet link --delay failed"
lat=$(on app redis-cli -h db -p 6379 --latency --raw 2>&1)
read -r lmin lmax lavg _ <<<"$lat"
awk -v m="$lmin" -v a="$lavg" 'BEGIN { exit !(m >= 35 && a < 300) }' ||
    fail "redis-cli --latency with 20 ms each way: '$lat' (min max avg samples)"
sn link app db --both --clear
kill -TERM "$dbp" "$cachep"

# ---- iperf3 through a rate-limited link ----
sn link app db --both --rate 8mbit || fail "simnet link --rate failed"
long "$IT_DIR/iperf-s.out" db iperf3 -s -1 -p 5201 --forceflush
sp=$BG_PID
wait_line "$IT_DIR/iperf-s.out" 'Server listening' "$sp" 10
on app iperf3 -c db -p 5201 -t 2 -J >"$IT_DIR/iperf-c.json" 2>"$IT_DIR/iperf-c.err" ||
    { show "$IT_DIR/iperf-c.json" "$IT_DIR/iperf-c.err" "$IT_DIR/iperf-s.out"; fail "iperf3 client failed"; }
bps=$("$PY" -c 'import json, sys; print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]))' \
    "$IT_DIR/iperf-c.json" 2>&1) || { show "$IT_DIR/iperf-c.json"; fail "iperf3's report: $bps"; }
[ "$bps" -ge 5000000 ] && [ "$bps" -le 9500000 ] ||
    { show "$IT_DIR/iperf-c.json"; fail "iperf3 through an 8 mbit link received $bps bit/s"; }
wait_exit "$sp" || { show "$IT_DIR/iperf-s.out"; fail "iperf3 server $(rcstr $?)"; }
sn link app db --both --clear
check_arena
echo "replica caught up $ms ms after heal; latency $lmin..$lmax ms (20 ms each way); iperf3 $((bps / 1000)) kbit/s through 8 mbit"
echo ok
