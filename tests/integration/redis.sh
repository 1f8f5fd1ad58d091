#!/usr/bin/env bash
# Real server 1: redis-server (event loop on epoll, non-blocking accept,
# writev replies) runs preloaded; preloaded redis-cli SET/GET a value and
# redis-benchmark runs 2000 SETs and 2000 GETs over 50 parallel
# connections.  Checks: the replies, the benchmark's per-test results and
# the server's own command count; nothing listens on the port in the
# kernel (ss -ltn), and a client without the preload is refused.
. "$(dirname "$0")/lib.bash"

for p in redis-server redis-cli redis-benchmark ss; do
    command -v "$p" >/dev/null || fail "$p is not installed (packages redis-server, redis-tools, iproute2)"
done
P=$(free_kernel_port) || fail "no free kernel port"
srv=$IT_DIR/redis.out

# --save '' and --appendonly no: no files; --dir: anything it writes
# anyway stays in our directory.
bg "$srv" "$IT_NET" redis-server --save '' --appendonly no --port "$P" \
    --bind 127.0.0.1 --dir "$IT_DIR" --logfile '' --daemonize no
spid=$BG_PID
wait_line "$srv" 'Ready to accept connections' "$spid"

cli() { sim "$IT_NET" redis-cli -h 127.0.0.1 -p "$P" "$@"; }

val="v-$RANDOM-$(date +%s%N)"
r=$(cli SET simnet:key "$val" 2>&1) || fail "redis-cli SET failed: $r"
[ "$r" = OK ] || fail "SET answered '$r', expected OK"
r=$(cli GET simnet:key 2>&1) || fail "redis-cli GET failed: $r"
[ "$r" = "$val" ] || fail "GET answered '$r', expected '$val'"
r=$(cli GET simnet:absent 2>&1)
[ -z "$r" ] || fail "GET of a missing key answered '$r', expected nothing"

# The kernel has no listener on P, and a plain client cannot reach it.
ss -Hltn >"$IT_DIR/ss" 2>&1 || fail "ss -ltn failed"
kernel_has_port "$P" "$IT_DIR/ss" && { show "$IT_DIR/ss"; fail "ss -ltn shows a kernel listener on redis' port $P"; }
r=$(timeout 10 redis-cli -h 127.0.0.1 -p "$P" PING 2>&1)
case $r in
*"$(plain_refusal)"*) ;;
*) fail "redis-cli without the preload got '$r' from port $P, expected $(plain_refusal)" ;;
esac

bench=$IT_DIR/bench.out
sim "$IT_NET" redis-benchmark -h 127.0.0.1 -p "$P" -n 2000 -q -t set,get >"$bench" 2>&1 ||
    { show "$bench"; fail "redis-benchmark $(rcstr $?)"; }
# -q prints progress lines separated by \r, then "SET: N requests per second".
tr '\r' '\n' <"$bench" >"$bench.lines"
for t in SET GET; do
    grep -Eq "^$t: [0-9.]+ requests per second" "$bench.lines" ||
        { show "$bench.lines"; fail "redis-benchmark printed no result for $t"; }
done
grep -Eiq 'error|refused|reset' "$bench.lines" && { show "$bench.lines"; fail "redis-benchmark reported an error"; }

# The server saw every request: 3 from redis-cli, 4000 from the benchmark
# (plus its CONFIG GET handshakes), and the benchmark's key holds its
# 3-byte value.
r=$(cli GET key:__rand_int__ 2>&1)
[ ${#r} -eq 3 ] || fail "the benchmark's key holds '$r', expected its 3-byte payload"
stats=$(cli INFO stats 2>&1 | tr -d '\r')
ncmd=$(sed -n 's/^total_commands_processed://p' <<<"$stats")
nconn=$(sed -n 's/^total_connections_received://p' <<<"$stats")
[ -n "$ncmd" ] && [ "$ncmd" -ge 4003 ] || fail "server processed '$ncmd' commands, expected >= 4003"
[ -n "$nconn" ] && [ "$nconn" -ge 100 ] || fail "server received '$nconn' connections, expected >= 100 (50 per benchmark test)"
r=$(cli GET simnet:key 2>&1)
[ "$r" = "$val" ] || fail "after the benchmark GET answered '$r'"

r=$(cli SHUTDOWN NOSAVE 2>&1)
wait_exit "$spid"; rc=$?
[ "$rc" -eq 0 ] || { show "$srv"; fail "redis-server $(rcstr $rc) after SHUTDOWN NOSAVE"; }
check_arena
echo "port $P: SET/GET ok, benchmark $(grep -E '^(SET|GET): [0-9]' "$bench.lines" | sed 's/,.*//' | tr '\n' ' '); $ncmd commands, $nconn connections; not in ss"
echo ok
