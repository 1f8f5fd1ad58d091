#!/usr/bin/env bash
# Real server 2: nginx, a master and 2 worker processes (forked after the
# listener is made; the workers drop root for nobody, as packaged nginx
# does), epoll, sendfile on.  Preloaded curl fetches a small file and a
# 1 MiB file, one after the other on one keep-alive connection and then
# 8 at a time; every body must equal the file byte for byte.  Also: the
# workers really answered with sendfile() on simulated sockets
# (SIMNET_DEBUG trace), nothing listens on the port in the kernel, a
# plain curl is refused, and nginx stops cleanly on SIGQUIT.
. "$(dirname "$0")/lib.bash"

for p in nginx curl ss cmp; do
    command -v "$p" >/dev/null || fail "$p is not installed (packages nginx-light, curl, iproute2)"
done
P=$(free_kernel_port) || fail "no free kernel port"
W=$IT_DIR/www
mkdir -p "$W/html" "$W/logs" "$W/tmp" || fail "mkdir"
echo "small file $RANDOM $(date +%s%N)" >"$W/html/small.txt"
head -c 1048576 /dev/urandom >"$W/html/big.bin"
# The workers run as nobody: they must be able to reach the files.
chmod 0711 "$IT_DIR"
chmod -R a+rX "$W"

cat >"$W/nginx.conf" <<CONF
worker_processes 2;
daemon off;
master_process on;
pid $W/nginx.pid;
error_log $W/logs/error.log info;
events { worker_connections 128; }
http {
    log_format withpid '\$pid \$status \$body_bytes_sent \$request_uri';
    access_log $W/logs/access.log withpid;
    client_body_temp_path $W/tmp/body;
    proxy_temp_path $W/tmp/proxy;
    fastcgi_temp_path $W/tmp/fastcgi;
    uwsgi_temp_path $W/tmp/uwsgi;
    scgi_temp_path $W/tmp/scgi;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 10;
    types { text/plain txt; application/octet-stream bin; }
    server {
        listen 127.0.0.1:$P;
        root $W/html;
    }
}
CONF

trace=$IT_DIR/trace
out=$IT_DIR/nginx.out
SIMNET_DEBUG=$trace bg "$out" "$IT_NET" nginx -c "$W/nginx.conf" -p "$W" -e "$W/logs/error.log"
npid=$BG_PID
wait_line "$W/logs/error.log" 'start worker process' "$npid"
for _ in $(seq 1 100); do
    [ -s "$W/nginx.pid" ] && [ "$(grep -c 'start worker process' "$W/logs/error.log")" -ge 2 ] && break
    sleep 0.02
done
master=$(cat "$W/nginx.pid" 2>/dev/null)
[ -n "$master" ] && kill -0 "$master" 2>/dev/null || { show "$W/logs/error.log" "$out"; fail "nginx master is not running"; }
workers=$(pgrep -P "$master" | tr '\n' ' ')
[ "$(wc -w <<<"$workers")" -eq 2 ] || { show "$W/logs/error.log"; fail "expected 2 nginx workers, found '$workers'"; }
for w in $workers; do
    [ "$(stat -c %U "/proc/$w")" = nobody ] || fail "worker $w does not run as nobody"
done

url=http://127.0.0.1:$P
fetch() { sim "$IT_NET" curl -sS --fail --max-time 10 "$@"; }

# 1. small then big on one connection (keep-alive), 2. both again fresh.
fetch -o "$IT_DIR/s1" "$url/small.txt" -o "$IT_DIR/b1" "$url/big.bin" 2>"$IT_DIR/curl.err" ||
    { show "$IT_DIR/curl.err" "$W/logs/error.log"; fail "curl (keep-alive pair) $(rcstr $?)"; }
cmp "$IT_DIR/s1" "$W/html/small.txt" || fail "small.txt differs (keep-alive pair)"
cmp "$IT_DIR/b1" "$W/html/big.bin" || fail "big.bin differs (keep-alive pair)"
# The second request really reused the connection: curl -w num_connects.
n=$(fetch -o /dev/null -o /dev/null -w '%{num_connects} ' "$url/small.txt" "$url/big.bin" 2>&1) ||
    fail "curl (num_connects) failed: $n"
[ "$n" = "1 0 " ] || fail "keep-alive: curl made '$n' connections for two requests, expected '1 0 '"

# 3. 8 big fetches at once, each compared.
pids=()
for i in 1 2 3 4 5 6 7 8; do
    fetch -o "$IT_DIR/b-par$i" "$url/big.bin" 2>"$IT_DIR/curl-par$i.err" &
    pids+=($!)
done
for i in 1 2 3 4 5 6 7 8; do
    wait "${pids[$((i - 1))]}" || { show "$IT_DIR/curl-par$i.err"; fail "parallel curl $i failed"; }
    cmp "$IT_DIR/b-par$i" "$W/html/big.bin" || fail "parallel fetch $i of big.bin differs"
done
fetch -o "$IT_DIR/s2" "$url/small.txt" || fail "curl small.txt $(rcstr $?)"
cmp "$IT_DIR/s2" "$W/html/small.txt" || fail "small.txt differs"
code=$(fetch -o /dev/null -w '%{http_code}' "$url/absent" 2>/dev/null)
[ "$code" = 404 ] || fail "missing file answered HTTP '$code', expected 404"

# The kernel knows nothing of port P; a plain curl is refused.
ss -Hltn >"$IT_DIR/ss" 2>&1 || fail "ss -ltn failed"
kernel_has_port "$P" "$IT_DIR/ss" && { show "$IT_DIR/ss"; fail "ss -ltn shows a kernel listener on nginx' port $P"; }
timeout 10 curl -sS -o /dev/null "$url/small.txt" 2>"$IT_DIR/plain.err" &&
    fail "a curl without the preload reached nginx on port $P"
grep -q 'Failed to connect\|Connection refused\|Couldn.t connect' "$IT_DIR/plain.err" ||
    { show "$IT_DIR/plain.err"; fail "plain curl: unexpected error"; }

# The workers sent the files with sendfile() on simulated sockets.
worker_re=$(tr ' ' '|' <<<"${workers% }")
grep -Eq "^libsimnet\[($worker_re)\]: sendfile(64)?\([0-9]+\) = [1-9][0-9]*\$" "$trace" ||
    { grep sendfile "$trace" | head -5; fail "no successful sendfile() on a simulated socket by a worker in the trace"; }
nsf=$(grep -Ec "sendfile(64)?\([0-9]+\) = [1-9]" "$trace")

# Every request is in the access log with a 200 and the full size (nginx
# writes the line after the response: give it a moment).
for _ in $(seq 1 100); do
    [ "$(wc -l <"$W/logs/access.log")" -ge 14 ] && break
    sleep 0.02
done
nbig=$(grep -c " 200 1048576 /big.bin\$" "$W/logs/access.log")
[ "$nbig" -eq 10 ] || { show "$W/logs/access.log"; fail "access log has $nbig full big.bin answers, expected 10"; }
by=$(awk '{print $1}' "$W/logs/access.log" | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}')

kill -QUIT "$master"
wait_exit "$npid"; rc=$?
[ "$rc" -eq 0 ] || { show "$W/logs/error.log"; fail "nginx $(rcstr $rc) after SIGQUIT"; }
grep -Eq '\[(alert|crit|emerg)\]' "$W/logs/error.log" && { show "$W/logs/error.log"; fail "nginx logged alerts"; }
check_arena
echo "port $P: 2 workers (${workers% }), 11 bodies compared byte for byte, $nsf sendfile calls; requests per worker pid: $by"
echo ok
