# lib.bash for the faults scenarios: the launcher, their Python programs,
# and running those on a host of this scenario's network.
SIMNET=$(cd "$it_here/../.." && pwd)/scripts/simnet
PROG=$it_here/faults.py
export SIMNET_DIR=$IT_DIR
it_keep "$IT_NET"
# on OUT HOST ARGS...: faults.py ARGS on HOST, in the background
on() {
    local o=$1 h=$2
    shift 2
    bg "$o" - "$SIMNET" run -n "$IT_NET" --host "$h" -- "$PY" "$PROG" "$@"
}
# sn CMD ARGS...: simnet CMD on this scenario's network
sn() { "$SIMNET" "$1" -n "$IT_NET" "${@:2}"; }
