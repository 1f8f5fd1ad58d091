#!/usr/bin/env bash
# Real server 3: `python3 -m http.server --bind ::` (ThreadingHTTPServer,
# dual-stack: IPV6_V6ONLY cleared on "::") runs preloaded.  Preloaded curl
# (over 127.0.0.1 and [::1]) and Python's urllib fetch a small file and
# a 1 MiB file, compared byte for byte, and the directory listing.  The
# server's log must show the peers as Linux names them on a dual-stack
# socket (::ffff:127.0.0.1 and ::1); nothing listens on the port in the
# kernel, and a plain curl is refused.
. "$(dirname "$0")/lib.bash"

for p in curl ss cmp; do
    command -v "$p" >/dev/null || fail "$p is not installed (packages curl, iproute2)"
done
P=$(free_kernel_port) || fail "no free kernel port"
D=$IT_DIR/site
mkdir "$D" || fail "mkdir"
echo "hello from http.server $RANDOM" >"$D/small.txt"
head -c 1048576 /dev/urandom >"$D/big.bin"
big_sha=$(sha256sum "$D/big.bin" | cut -d' ' -f1)
small_sha=$(sha256sum "$D/small.txt" | cut -d' ' -f1)

srv=$IT_DIR/server.out
PYTHONUNBUFFERED=1 bg "$srv" "$IT_NET" "$PY" -m http.server "$P" --bind :: --directory "$D"
spid=$BG_PID
wait_line "$srv" "^Serving HTTP on .* port $P" "$spid"

fetch() { sim "$IT_NET" curl -sS --fail --max-time 10 "$@"; }
for host in 127.0.0.1 '[::1]'; do
    tag=${host//[^0-9]/}
    fetch -o "$IT_DIR/small$tag" "http://$host:$P/small.txt" || fail "curl $host small.txt $(rcstr $?)"
    fetch -o "$IT_DIR/big$tag" "http://$host:$P/big.bin" || fail "curl $host big.bin $(rcstr $?)"
    cmp "$IT_DIR/small$tag" "$D/small.txt" || fail "curl $host: small.txt differs"
    cmp "$IT_DIR/big$tag" "$D/big.bin" || fail "curl $host: big.bin differs"
    fetch -o "$IT_DIR/index$tag" "http://$host:$P/" || fail "curl $host / $(rcstr $?)"
    grep -q 'href="big.bin"' "$IT_DIR/index$tag" && grep -q 'href="small.txt"' "$IT_DIR/index$tag" ||
        { show "$IT_DIR/index$tag"; fail "curl $host: directory listing lacks the files"; }
done

for host in 127.0.0.1 '[::1]'; do
    for f in "small.txt $small_sha" "big.bin $big_sha"; do
        set -- $f
        o=$IT_DIR/urllib.out
        sim "$IT_NET" "$PY" "$it_here/apps.py" http-fetch "http://$host:$P/$1" "$2" >"$o" 2>&1 ||
            { show "$o"; fail "urllib $host $1: $(rcstr $?)"; }
        grep -q "^status 200 len $(stat -c %s "$D/$1") sha256 $2\$" "$o" || { show "$o"; fail "urllib $host $1: wrong answer"; }
    done
done

ss -Hltn >"$IT_DIR/ss" 2>&1 || fail "ss -ltn failed"
kernel_has_port "$P" "$IT_DIR/ss" && { show "$IT_DIR/ss"; fail "ss -ltn shows a kernel listener on http.server's port $P"; }
timeout 10 curl -sS -o /dev/null "http://127.0.0.1:$P/small.txt" 2>/dev/null &&
    fail "a curl without the preload reached http.server on port $P"

# 10 requests, peers named as on Linux's dual-stack socket.
n4=$(grep -c '^::ffff:127\.0\.0\.1 - - .*"GET .* 200 ' "$srv")
n6=$(grep -c '^::1 - - .*"GET .* 200 ' "$srv")
[ "$n4" -eq 5 ] && [ "$n6" -eq 5 ] ||
    { show "$srv"; fail "server logged $n4 requests from ::ffff:127.0.0.1 and $n6 from ::1, expected 5 and 5"; }
grep -Eq 'Traceback|Exception|error' "$srv" && { show "$srv"; fail "http.server reported an error"; }
check_arena
echo "port $P (dual-stack ::): curl and urllib over 127.0.0.1 and ::1, 1 MiB intact; not in ss"
echo ok
