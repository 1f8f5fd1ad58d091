#!/usr/bin/env bash
# Scenario 8: an invalid SIMNET_NETWORK ("../x" and a few others) gives
# one line "libsimnet: ..." on stderr, socket(AF_INET/AF_INET6, TCP/UDP)
# fails with ENETDOWN, AF_UNIX still works, the program exits normally,
# and no arena file is created anywhere near SIMNET_DIR.  The same for the
# other unusable networks README names: a SIMNET_DIR that is not a
# directory, and an arena file that is not one of ours (left untouched).
# Control: a valid network, same program, creates its sockets.
. "$(dirname "$0")/lib.bash"

long=$(printf 'n%.0s' $(seq 1 65))
mkdir "$IT_DIR/net" "$IT_DIR/log" || fail "mkdir"

# check_bad DIR NAME WHAT-THE-LINE-MUST-MENTION
check_bad() {
    local dir=$1 name=$2 re=$3 o=$IT_DIR/log/out e=$IT_DIR/log/err rc
    timeout --foreground -k 1 10 env LD_PRELOAD="$SIMNET_LIB" SIMNET_DIR="$dir" \
        SIMNET_NETWORK="$name" "$PY" "$it_here/bad_network.py" >"$o" 2>"$e"
    rc=$?
    local what="SIMNET_DIR=$(basename "$dir") SIMNET_NETWORK='$name'"
    [ "$rc" -eq 0 ] || { show "$o" "$e"; fail "$what: program $(rcstr $rc)"; }
    [ "$(wc -l <"$e")" -eq 1 ] || { show "$e"; fail "$what: stderr is not exactly one line"; }
    grep -Eq "^libsimnet: .*$re" "$e" ||
        { show "$e"; fail "$what: stderr line is not a libsimnet error mentioning /$re/"; }
    for s in "inet stream" "inet dgram" "inet6 stream" "inet6 dgram"; do
        grep -qx "$s ENETDOWN" "$o" || { show "$o"; fail "$what: socket($s) did not fail with ENETDOWN"; }
    done
    grep -qx "unix ok" "$o" || { show "$o"; fail "$what: AF_UNIX socketpair broken"; }
    [ "$(wc -l <"$o")" -eq 5 ] || { show "$o"; fail "$what: unexpected output"; }
    echo "$what: $(cat "$e")"
}

for name in "../x" "-x" ".x" "a/b" "a b" "$long"; do
    check_bad "$IT_DIR/net" "$name" SIMNET_NETWORK
done
# No arena was created: not in SIMNET_DIR ($IT_DIR/net), not next to it
# (where "../x" would put one).
left=$(ls -A "$IT_DIR/net")
[ -z "$left" ] || fail "files appeared in SIMNET_DIR: $left"
[ "$(ls -A "$IT_DIR" | tr "\n" " ")" = "log net " ] || fail "files appeared next to SIMNET_DIR: $(ls -A "$IT_DIR")"

# SIMNET_DIR is a regular file.
: >"$IT_DIR/notadir"
check_bad "$IT_DIR/notadir" "$IT_NET" "$(basename "$IT_DIR")/notadir"

# An arena file that is not ours: refused, and not overwritten.
head -c 65536 /dev/urandom >"$IT_DIR/net/foreign.arena"
chmod 600 "$IT_DIR/net/foreign.arena"
before=$(sha256sum <"$IT_DIR/net/foreign.arena")
check_bad "$IT_DIR/net" foreign "arena"
[ "$(sha256sum <"$IT_DIR/net/foreign.arena")" = "$before" ] ||
    fail "the foreign arena file was modified"

# Control: a valid name works with the same program (sockets are created).
o=$IT_DIR/log/out
sim "$IT_NET" "$PY" "$it_here/bad_network.py" >"$o" 2>&1 || { show "$o"; fail "control run failed: $(rcstr $?)"; }
[ "$(grep -c 'created fd' "$o")" -eq 4 ] || { show "$o"; fail "control: valid network did not create sockets"; }
check_arena
echo ok
