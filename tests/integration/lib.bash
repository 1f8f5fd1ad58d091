# lib.bash — sourced by every tests/integration/*.sh scenario.
#
# A scenario runs real, separate processes: a driver (this bash script,
# never preloaded) starts servers and clients with LD_PRELOAD=$SIMNET_LIB
# set only for them.  Each scenario gets its own SIMNET_DIR under /dev/shm
# and its own network name, bounds every process with `timeout`, kills only
# the pids it started, removes its directory, and ends with one line: "ok",
# or "FAIL: <reason>" and a non-zero exit.
#
# Input: SIMNET_LIB, the absolute path to build/libsimnet.so (set by
# tests/test_integration.c; defaults to the build in this repository).

set -u

it_name=$(basename "$0" .sh)
it_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PEERS=$it_here/peers.py

if [ -z "${SIMNET_LIB:-}" ]; then
    SIMNET_LIB=$(cd "$it_here/../.." && pwd)/build/libsimnet.so
fi
case $SIMNET_LIB in
/*) ;;
*) echo "FAIL: SIMNET_LIB must be an absolute path, got '$SIMNET_LIB'"; exit 2 ;;
esac
[ -r "$SIMNET_LIB" ] || { echo "FAIL: library not built: $SIMNET_LIB"; exit 2; }

# The system interpreter, not a version-manager shim (a shell script that
# would itself run preloaded and slow every start).
PY=${SIMNET_PYTHON:-}
if [ -z "$PY" ]; then
    if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=$(command -v python3); fi
fi
[ -n "$PY" ] && [ -x "$PY" ] || { echo "FAIL: python3 not found"; exit 2; }

# Nothing inherited from whoever started us may leak into the programs.
unset LD_PRELOAD SIMNET_NETWORK SIMNET_DIR SIMNET_FD_BASE

IT_DIR=$(mktemp -d /dev/shm/simnet-it.XXXXXX 2>/dev/null) ||
    IT_DIR=$(mktemp -d /tmp/simnet-it.XXXXXX) ||
    { echo "FAIL: mktemp -d"; exit 2; }
IT_NET=it-$it_name-$$-$RANDOM
it_pids=()

it_cleanup() {
    local p
    # `timeout` forwards TERM to its program and, with -k, KILLs it 1 s
    # later; then make sure with KILL, by pid, only for pids we started.
    # (--foreground keeps them in our process group, so whoever runs us
    # can also kill the whole group if we are stuck.)
    for p in "${it_pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${it_pids[@]}"; do
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 "$p" 2>/dev/null || break
            sleep 0.05
        done
        kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    rm -rf "$IT_DIR"
}
trap it_cleanup EXIT

fail() {
    echo "FAIL: $*"
    exit 1
}

# Show files, indented, for a failure message.  Keeps $? (so that
# `cmd || { show f; fail "... $(rcstr $?)"; }` reports cmd's status).
show() {
    local rc=$? f
    for f in "$@"; do
        echo "---- $(basename "$f"):"
        sed 's/^/    /' "$f" 2>/dev/null
    done
    return $rc
}

# rcstr STATUS: a status of a program run under `timeout`, in words.
rcstr() {
    case $1 in
    0) echo "exit 0" ;;
    124) echo "timed out" ;;
    *) if [ "$1" -gt 128 ]; then
           echo "killed by SIG$(kill -l $(($1 - 128)) 2>/dev/null || echo $(($1 - 128)))"
       else
           echo "exit $1"
       fi ;;
    esac
}

# A network goes away with its last process (docs/user-guide.md).  The
# scenarios' networks are kept instead (as `simnet run --keep` does),
# made and marked at their first use by sim or bg, so that check_arena
# can still tell afterwards that the programs joined them; IT_DIR goes
# at the end.  (network_cleanup.sh, which tests the removal itself, sets
# IT_NO_KEEP=1.)
IT_INSPECT=$(cd "$it_here/../.." && pwd)/build/simnet-inspect
declare -A it_kept=()
it_keep() {
    local net=$1
    [ "$net" = - ] || [ -n "${it_kept[$net]:-}" ] || [ -n "${IT_NO_KEEP:-}" ] && return 0
    [[ "$net" =~ ^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$ ]] || return 0   # bad_network's
    it_kept[$net]=1
    [ -x "$IT_INSPECT" ] || fail "build/simnet-inspect is not built (make)"
    "$IT_INSPECT" keep "$IT_DIR" "$net" || fail "cannot make network $net"
}

# sim NET CMD...: run CMD in the foreground, preloaded, in network NET,
# bounded to 10 s.  Only CMD is preloaded, not `timeout` (env sets the
# variables after timeout has started): other SIMNET_* variables set by
# the caller pass through.
sim() {
    local net=$1
    shift
    it_keep "$net"
    timeout --foreground -k 1 10 env LD_PRELOAD="$SIMNET_LIB" SIMNET_DIR="$IT_DIR" \
        SIMNET_NETWORK="$net" "$@"
}

# bg OUTFILE NET CMD...: start CMD in the background, preloaded in network
# NET (or on the kernel if NET is "-"), stdout+stderr to OUTFILE, bounded
# to BG_SECS seconds (default 20).  Sets $BG_PID (the `timeout` process) and records it.
bg() {
    local out=$1 net=$2
    shift 2
    it_keep "$net"
    # Empty the file here, not in the background redirection: a
    # wait_line that runs first would find the previous run's lines.
    : >"$out"
    if [ "$net" = - ]; then
        timeout --foreground -k 1 "${BG_SECS:-20}" "$@" >"$out" 2>&1 &
    else
        timeout --foreground -k 1 "${BG_SECS:-20}" env LD_PRELOAD="$SIMNET_LIB" SIMNET_DIR="$IT_DIR" \
            SIMNET_NETWORK="$net" "$@" >"$out" 2>&1 &
    fi
    BG_PID=$!
    it_pids+=("$BG_PID")
}

# wait_line FILE REGEX PID [SECONDS]: wait until a line of FILE matches
# REGEX (grep -E); fail if PID exits first or after SECONDS (default 5).
wait_line() {
    local file=$1 re=$2 pid=$3 secs=${4:-5}
    local n=$((secs * 50))
    while [ "$n" -gt 0 ]; do
        grep -Eq -- "$re" "$file" 2>/dev/null && return 0
        if ! kill -0 "$pid" 2>/dev/null; then
            grep -Eq -- "$re" "$file" 2>/dev/null && return 0
            show "$file"
            fail "process $pid exited before printing /$re/ in $(basename "$file")"
        fi
        sleep 0.02
        n=$((n - 1))
    done
    show "$file"
    fail "no line /$re/ in $(basename "$file") after ${secs}s"
}

# wait_exit PID: exit status of a background process we started.
wait_exit() {
    wait "$1" 2>/dev/null
}

# isolated: true in the isolated pass of scripts/run-tests (a network
# namespace whose loopback is down).  A plain client there is not refused
# but finds no route; checks that use the kernel's network as a control
# say which answer they expect through these.
isolated() { [ "${SIMNET_ISOLATED:-0}" = 1 ]; }
plain_refusal() { if isolated; then echo "Network is unreachable"; else echo "Connection refused"; fi; }
plain_refusal_errno() { if isolated; then echo ENETUNREACH; else echo ECONNREFUSED; fi; }

# A TCP/UDP port that nothing in the kernel uses right now, below the
# ephemeral range (so the kernel will not hand it out meanwhile).
free_kernel_port() {
    local p i
    for i in $(seq 1 50); do
        p=$((20000 + RANDOM % 10000))
        if ! ss -Htuan 2>/dev/null | grep -Eq ":$p( |\$)"; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

# kernel_has_port PORT FILE...: does any line of these ss outputs mention
# PORT (as a local or a peer port)?
kernel_has_port() {
    local p=$1
    shift
    grep -Eq ":$p( |\$)" "$@"
}

# check_arena [NET]: the preloaded programs really joined network NET
# (default $IT_NET): its (kept) arena file in our SIMNET_DIR had
# processes attach to it.
check_arena() {
    local net=${1:-$IT_NET} n
    [ -f "$IT_DIR/$net.arena" ] ||
        fail "no arena $net.arena in SIMNET_DIR: the programs did not run simulated"
    n=$("$IT_INSPECT" joined "$IT_DIR" "$net" 2>&1) ||
        fail "cannot read $net.arena: $n"
    [ "$n" -gt 0 ] || fail "no process joined $net: the programs did not run simulated"
}
