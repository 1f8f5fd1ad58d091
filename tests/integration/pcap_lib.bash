# pcap_lib.bash — sourced by the capture scenarios (pcap*.sh) after
# lib.bash: the launcher, tshark, and the checks every capture passes.

command -v tshark >/dev/null || fail "tshark is not installed (package tshark)"
repo=$(cd "$it_here/../.." && pwd)
SIMNET=$repo/scripts/simnet
PCAP_PY=$it_here/pcap.py
export SIMNET_DIR=$IT_DIR
# tshark warns when run as root, and may not find a home to write to
export HOME=$IT_DIR
TSHARK=(timeout -k 1 20 tshark -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE
        -o udp.check_checksum:TRUE)
# The tests' datagrams carry random bytes to random ports: tshark's
# heuristic dissectors would sometimes read them as RTCP, STUN... and
# warn.  Those protocols are turned off (DNS, which the network answers,
# stays on).
while read -r _ proto _; do
    [ "$proto" = dns ] || TSHARK+=(--disable-protocol "$proto")
done < <(tshark -G heuristic-decodes 2>/dev/null | awk '$1 == "udp" && $3 == "T"')

# pcap_sane FILE: tshark reads it with no malformed packet, no bad or
# unverified checksum and no expert warning but the resets themselves.
pcap_sane() {
    local f=$1 out=$IT_DIR/sane.out bad
    "${TSHARK[@]}" -r "$f" -T fields -E separator=/t -e frame.number -e _ws.malformed \
        -e _ws.expert.severity -e ip.checksum.status -e tcp.checksum.status \
        -e udp.checksum.status -e icmp.checksum.status -e icmpv6.checksum.status \
        -e _ws.expert.message >"$out" 2>"$IT_DIR/sane.err" ||
        { show "$IT_DIR/sane.err"; fail "tshark cannot read $(basename "$f")"; }
    [ -s "$out" ] || fail "$(basename "$f") holds no packet"
    # checksum status: 1 good, 0 bad, 2 unverified; severity 6291456 is a
    # warning, 8388608 an error
    bad=$(awk -F'\t' '{
        if ($2 != "") { print; next }
        for (i = 4; i <= 8; i++) if ($i ~ /(^|,)[02](,|$)/) { print; next }
        if ($3 ~ /8388608/ || ($3 ~ /6291456/ && $9 !~ /Connection reset/)) print
    }' "$out")
    [ -z "$bad" ] || { echo "$bad"; fail "$(basename "$f"): malformed, bad checksum or warning (above)"; }
}

# pcap_count FILE FILTER: how many packets match the display filter.
pcap_count() {
    "${TSHARK[@]}" -r "$1" -Y "$2" 2>/dev/null | wc -l
}
