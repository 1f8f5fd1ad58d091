#!/usr/bin/env bash
# Scenario 35: the defaults a network copies from the host when it is
# created.  In a private network namespace (unshare -n: loopback only,
# its own sysctls) with net.ipv4.ip_default_ttl=77,
# net.ipv6.conf.all.hop_limit=55 and net.ipv6.conf.lo.hop_limit=33, the
# dgram_cmsg probe prints the same on the kernel and under the library,
# and the values it prints are those (so the defaults were not simply
# Linux's usual 64).  Needs CAP_SYS_ADMIN for the namespace (root, not
# in a restricted container): skipped, with a message, otherwise.
. "$(dirname "$0")/lib.bash"

if ! why=$(unshare -n true 2>&1); then
    echo "unshare -n not permitted here ($why): skipped"
    echo ok
    exit 0
fi

probe=$(cd "$it_here/../.." && pwd)/build/probes/dgram_cmsg
[ -x "$probe" ] || fail "probe not built: $probe"
mkdir "$IT_DIR/log" || fail "mkdir"
k=$IT_DIR/log/kernel s=$IT_DIR/log/simnet

timeout --foreground -k 1 30 unshare -n env LIB="$SIMNET_LIB" DIR="$IT_DIR" \
    NET="$IT_NET" PROBE="$probe" K="$k" S="$s" sh -c '
    ip link set lo up &&
        sysctl -qw net.ipv4.ip_default_ttl=77 net.ipv6.conf.all.hop_limit=55 \
            net.ipv6.conf.lo.hop_limit=33 || exit 3
    "$PROBE" >"$K" 2>&1 || exit 4
    env LD_PRELOAD="$LIB" SIMNET_DIR="$DIR" SIMNET_NETWORK="$NET" "$PROBE" >"$S" 2>&1 || exit 5
' >"$IT_DIR/log/sh" 2>&1
rc=$?
[ "$rc" -eq 0 ] || { show "$IT_DIR/log/sh" "$k" "$s"; fail "namespace run: $(rcstr $rc) (3: set-up, 4: kernel probe, 5: simnet probe)"; }
cmp -s "$k" "$s" || { diff -u "$k" "$s" | head -40; fail "simnet differs from the kernel"; }
grep -q "IP_TTL default: 77" "$k" || { show "$k"; fail "ip_default_ttl 77 not in effect"; }
grep -q "IPV6_UNICAST_HOPS: 55" "$k" || { show "$k"; fail "all.hop_limit 55 not in effect"; }
grep -q "level=41 type=52 len=20 int=33" "$k" || { show "$k"; fail "lo.hop_limit 33 not in effect"; }
echo "ok"
