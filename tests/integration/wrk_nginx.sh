#!/usr/bin/env bash
# Real programs: nginx (master, 2 workers, epoll) under load from wrk
# (threads, epoll, non-blocking connects), both preloaded.  Every request
# must succeed with status 200; nothing listens on the port in the kernel.
. "$(dirname "$0")/lib.bash"

for p in nginx wrk ss; do
    command -v "$p" >/dev/null || fail "$p is not installed (packages nginx-light, wrk, iproute2)"
done
P=$(free_kernel_port) || fail "no free kernel port"
mkdir -p "$IT_DIR/www" "$IT_DIR/logs"
# nginx workers drop to nobody after start: the files must be readable
# to them (the network itself they keep, as it is mapped already).
chmod 755 "$IT_DIR" "$IT_DIR/www"
echo "hello from nginx in a simulated network" >"$IT_DIR/www/index.html"
cat >"$IT_DIR/nginx.conf" <<CONF
daemon off;
master_process on;
worker_processes 2;
pid $IT_DIR/nginx.pid;
error_log $IT_DIR/logs/error.log notice;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $IT_DIR/body; proxy_temp_path $IT_DIR/proxy;
    fastcgi_temp_path $IT_DIR/fcgi; uwsgi_temp_path $IT_DIR/uwsgi; scgi_temp_path $IT_DIR/scgi;
    server { listen 127.0.0.1:$P; root $IT_DIR/www; }
}
CONF
bg "$IT_DIR/nginx.out" "$IT_NET" nginx -c "$IT_DIR/nginx.conf" -p "$IT_DIR"
npid=$BG_PID
n=0
until sim "$IT_NET" curl -sf --max-time 2 -o /dev/null "http://127.0.0.1:$P/"; do
    kill -0 "$npid" 2>/dev/null || { show "$IT_DIR/nginx.out" "$IT_DIR/logs/error.log"; fail "nginx exited"; }
    n=$((n + 1)); [ "$n" -lt 100 ] || { show "$IT_DIR/nginx.out" "$IT_DIR/logs/error.log"; fail "nginx did not answer within 5 s"; }
    sleep 0.05
done
ss -Hltn >"$IT_DIR/ss" 2>&1 || fail "ss -ltn failed"
kernel_has_port "$P" "$IT_DIR/ss" && { show "$IT_DIR/ss"; fail "ss -ltn shows nginx's port $P"; }

out=$IT_DIR/wrk.out
sim "$IT_NET" wrk -t 2 -c 16 -d 2s "http://127.0.0.1:$P/index.html" >"$out" 2>&1 ||
    { show "$out"; fail "wrk $(rcstr $?)"; }
reqs=$(awk '/requests in/ {print $1}' "$out")
[ -n "$reqs" ] && [ "$reqs" -gt 100 ] || { show "$out"; fail "wrk made only '$reqs' requests"; }
# wrk reports failures as "Non-2xx or 3xx responses" and "Socket errors".
grep -Eq 'Non-2xx|Socket errors' "$out" && { show "$out"; fail "wrk saw failed requests"; }
kill "$npid" 2>/dev/null
echo "port $P: wrk made $reqs requests to nginx, all answered"
echo ok
