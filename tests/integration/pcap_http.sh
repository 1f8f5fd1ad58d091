#!/usr/bin/env bash
# Capture of real programs: under `simnet run --pcap`, python3 -m
# http.server serves a page to curl; tshark's http dissector finds the
# GET request and the 200 response in the file, TCP follows the page.
. "$(dirname "$0")/lib.bash"
. "$it_here/pcap_lib.bash"
command -v curl >/dev/null || fail "curl is not installed"

D=$IT_DIR/site
mkdir "$D" || fail "mkdir"
echo "hello from a captured http.server $RANDOM" >"$D/page.txt"
F=$IT_DIR/http.pcap
P=8000
timeout -k 1 30 "$SIMNET" run --pcap "$F" -- sh -c "
    '$PY' -m http.server $P --bind 127.0.0.1 --directory '$D' >'$IT_DIR/server.out' 2>&1 &
    srv=\$!
    for i in \$(seq 100); do
        curl -sS --max-time 5 -o '$IT_DIR/page.got' http://127.0.0.1:$P/page.txt 2>/dev/null && break
        sleep 0.05
    done
    kill \$srv; wait \$srv 2>/dev/null; exit 0" >"$IT_DIR/run.out" 2>&1 ||
    { show "$IT_DIR/run.out"; fail "simnet run --pcap: $(rcstr $?)"; }
cmp -s "$IT_DIR/page.got" "$D/page.txt" || { show "$IT_DIR/run.out" "$IT_DIR/server.out"; fail "curl did not get the page"; }

pcap_sane "$F"
"${TSHARK[@]}" -r "$F" -Y http >"$IT_DIR/http" 2>/dev/null
grep -q 'GET /page.txt HTTP/1.1' "$IT_DIR/http" || { show "$IT_DIR/http"; fail "tshark -Y http shows no GET request"; }
grep -q 'HTTP/1.0 200 OK' "$IT_DIR/http" || { show "$IT_DIR/http"; fail "tshark -Y http shows no 200 response"; }
# curl's first tries may have met a closed port: follow the answered one
n=$("${TSHARK[@]}" -r "$F" -Y 'http.response.code == 200' -T fields -e tcp.stream 2>/dev/null | head -1)
[ -n "$n" ] || fail "no connection with a 200 response"
"${TSHARK[@]}" -r "$F" -q -z "follow,tcp,ascii,$n" 2>/dev/null | grep -qF "$(cat "$D/page.txt")" ||
    fail "following the connection does not give the page"
echo "GET and 200 in the capture, page followed"
echo ok
