#!/usr/bin/env bash
# IPv6 and dual-stack listeners reached over IPv4, as real programs use
# them: python3 -m http.server bound to :: (dual-stack) answers curl over
# 127.0.0.1 and over [::1]; a server bound to ::1 answers [::1] and refuses
# 127.0.0.1.
. "$(dirname "$0")/lib.bash"

command -v curl >/dev/null || fail "curl is not installed"
P=$(free_kernel_port) || fail "no free kernel port"
mkdir -p "$IT_DIR/www"
echo "dual-stack answer" >"$IT_DIR/www/index.html"

bg "$IT_DIR/any.out" "$IT_NET" "$PY" -m http.server "$P" --bind :: --directory "$IT_DIR/www"
apid=$BG_PID
get() { sim "$IT_NET" curl -sS -g --max-time 5 "$1"; }
n=0
until r=$(get "http://127.0.0.1:$P/index.html" 2>&1) && [ "$r" = "dual-stack answer" ]; do
    kill -0 "$apid" 2>/dev/null || { show "$IT_DIR/any.out"; fail "http.server on :: exited"; }
    n=$((n + 1)); [ "$n" -lt 100 ] || fail "no answer over IPv4 from the :: listener: $r"
    sleep 0.05
done
r=$(get "http://[::1]:$P/index.html" 2>&1)
[ "$r" = "dual-stack answer" ] || fail "the :: listener over [::1] answered '$r'"
# The server saw the IPv4 client as a mapped address.
grep -q '::ffff:127.0.0.1' "$IT_DIR/any.out" || { show "$IT_DIR/any.out"; fail "no ::ffff:127.0.0.1 client in the server log"; }
kill "$apid" 2>/dev/null; wait "$apid" 2>/dev/null

P2=$(free_kernel_port) || fail "no free kernel port"
bg "$IT_DIR/v6.out" "$IT_NET" "$PY" -m http.server "$P2" --bind ::1 --directory "$IT_DIR/www"
vpid=$BG_PID
n=0
until r=$(get "http://[::1]:$P2/index.html" 2>&1) && [ "$r" = "dual-stack answer" ]; do
    kill -0 "$vpid" 2>/dev/null || { show "$IT_DIR/v6.out"; fail "http.server on ::1 exited"; }
    n=$((n + 1)); [ "$n" -lt 100 ] || fail "no answer from the ::1 listener: $r"
    sleep 0.05
done
r=$(get "http://127.0.0.1:$P2/index.html" 2>&1) && fail "a ::1-only listener answered over 127.0.0.1: $r"
case $r in *"Connection refused"*|*"Couldn't connect"*) ;; *) fail "127.0.0.1 to a ::1 listener: '$r', expected refused" ;; esac
echo "ports $P, $P2: dual-stack :: reached over IPv4 and IPv6, ::1 only over IPv6"
echo ok
