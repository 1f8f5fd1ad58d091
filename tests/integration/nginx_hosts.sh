#!/usr/bin/env bash
# Named hosts, real programs, reached by name: `python3 -m http.server
# 8080` on host api, nginx on host web with `proxy_pass http://api:8080`
# (resolved by nginx's getaddrinfo at start-up), curl on host app fetching
# http://web/ by name.  Checks: the body is api's file, api saw web's
# address as its client, nginx saw app's; nothing listens in the kernel.
. "$(dirname "$0")/lib.bash"

for p in nginx curl ss; do
    command -v "$p" >/dev/null || fail "$p is not installed (packages nginx-light, curl, iproute2)"
done
SIMNET=$(cd "$it_here/../.." && pwd)/scripts/simnet
export SIMNET_DIR=$IT_DIR
it_keep "$IT_NET"
addr_of() { "$SIMNET" hosts -n "$IT_NET" | awk -v h="$1" '$2 == h && $1 ~ /^[0-9.]+$/ {print $1}'; }
W=$IT_DIR/www
mkdir -p "$W/html" "$W/logs" "$W/tmp" || fail "mkdir"
token="api-file-$RANDOM-$(date +%s%N)"
echo "$token" >"$W/html/index.txt"
chmod 0711 "$IT_DIR"
chmod -R a+rX "$W"
ss -Hltn >"$IT_DIR/ss.before" 2>&1

api=$IT_DIR/api.out
bg "$api" - "$SIMNET" run -n "$IT_NET" --host api -- "$PY" -u -m http.server 8080 --directory "$W/html"
apid=$BG_PID
wait_line "$api" 'Serving HTTP' "$apid"

cat >"$W/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $W/nginx.pid;
error_log $W/logs/error.log info;
events { worker_connections 64; }
http {
    access_log $W/logs/access.log;
    client_body_temp_path $W/tmp/body;
    proxy_temp_path $W/tmp/proxy;
    fastcgi_temp_path $W/tmp/fastcgi;
    uwsgi_temp_path $W/tmp/uwsgi;
    scgi_temp_path $W/tmp/scgi;
    server {
        listen 80;
        location / { proxy_pass http://api:8080; }
    }
}
CONF
out=$IT_DIR/nginx.out
bg "$out" - "$SIMNET" run -n "$IT_NET" --host web -- nginx -c "$W/nginx.conf" -p "$W" -e "$W/logs/error.log"
npid=$BG_PID
wait_line "$W/logs/error.log" 'start worker process' "$npid"

body=$(timeout 10 "$SIMNET" run -n "$IT_NET" --host app -- curl -sS --max-time 5 http://web/index.txt 2>&1)
[ "$body" = "$token" ] || { show "$W/logs/error.log" "$api"; fail "curl http://web/index.txt on app got '$body'"; }
web=$(addr_of web) app=$(addr_of app)
grep -Eq "^(::ffff:)?$web - .*GET /index.txt" "$api" || { show "$api"; fail "api did not see web ($web) as its client"; }
grep -q "^$app - .*GET /index.txt" "$W/logs/access.log" ||
    { show "$W/logs/access.log"; fail "nginx did not see app ($app) as its client"; }
ss -Hltn >"$IT_DIR/ss.after" 2>&1
if diff "$IT_DIR/ss.before" "$IT_DIR/ss.after" | grep -Eq '^>.*:(80|8080) '; then
    show "$IT_DIR/ss.after"; fail "the kernel has a new listener on 80 or 8080"
fi
kill -QUIT "$(cat "$W/nginx.pid")" 2>/dev/null
check_arena
echo "app -> web ($web) -> api:8080 by name: body ok; clients seen as $app and $web; not in ss"
echo ok
