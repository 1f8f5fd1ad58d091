#!/usr/bin/env bash
# `simnet run` and static executables: a statically linked program
# (build/static_hello, gcc -static) cannot load the library, so the
# launcher refuses it with one line on stderr and status 2, named by path
# or found through PATH; --allow-static runs it (its output and status
# pass through), and its first inet socket is stopped (SIGSYS, the trap),
# never the kernel's.  A dynamic C program, a dynamic Go program, the dynamic
# loader given a program, and a shell script still run.
. "$(dirname "$0")/lib.bash"

root=$(cd "$it_here/../.." && pwd)
SIMNET=$root/scripts/simnet
static=$root/build/static_hello
[ -x "$static" ] || fail "build/static_hello is not built (make test builds it; needs libc6-dev's libc.a)"
export SIMNET_DIR=$IT_DIR
snrun() { timeout --foreground -k 1 10 "$SIMNET" run "$@"; }

# refused ARGS...: snrun refuses with status 2, one stderr line, no stdout.
refused() {
    snrun "$@" >"$IT_DIR/out" 2>"$IT_DIR/err"
    local rc=$?
    [ "$rc" -eq 2 ] || { show "$IT_DIR/out" "$IT_DIR/err"; fail "simnet run $* gave $(rcstr $rc), expected exit 2"; }
    [ ! -s "$IT_DIR/out" ] || { show "$IT_DIR/out"; fail "simnet run $*: the static program ran"; }
    [ "$(wc -l <"$IT_DIR/err")" -eq 1 ] && grep -q 'statically linked.*--allow-static' "$IT_DIR/err" ||
        { show "$IT_DIR/err"; fail "simnet run $*: not one line about static linking and --allow-static"; }
}
refused "$static"
refused -n "it-static-$$" -- "$static" a b
mkdir "$IT_DIR/bin" && cp "$static" "$IT_DIR/bin/static-hello" || fail "cp"
PATH=$IT_DIR/bin:$PATH refused static-hello
line=$(cat "$IT_DIR/err")

# (stderr has the library's line saying the program runs without it.)
r=$(snrun --allow-static "$static" x y 2>"$IT_DIR/err"); rc=$?
[ "$rc" -eq 7 ] && [ "$r" = "static hello, 2 argument(s)" ] ||
    { show "$IT_DIR/err"; fail "simnet run --allow-static gave $(rcstr $rc) and '$r', expected exit 7 and its greeting"; }
r=$(PATH=$IT_DIR/bin:$PATH snrun -n "it-static-$$" --allow-static -- static-hello 2>"$IT_DIR/err") ||
    { show "$IT_DIR/err"; fail "--allow-static through PATH: $(rcstr $?): $r"; }
# Run anyway, it is still inside the network: the trap's filter, inherited
# from the preloaded shell the launcher starts it through, stops its
# first inet socket (SIGSYS) before the kernel makes one.
r=$(snrun --allow-static "$static" socket 2>"$IT_DIR/err"); rc=$?
[ "$rc" -eq $((128 + 31)) ] && [ -z "$r" ] ||
    { show "$IT_DIR/err"; fail "a static program's socket under --allow-static: $(rcstr $rc), '$r' (expected SIGSYS before it returns)"; }
grep -q 'runs without the library' "$IT_DIR/err" ||
    { show "$IT_DIR/err"; fail "no line on stderr explains the SIGSYS"; }

# Still run: dynamic programs, the loader itself, scripts.
r=$(snrun printf dyn 2>&1) && [ "$r" = dyn ] || fail "a dynamic program (printf) did not run: '$r'"
if [ -x "$root/build/go/lookup" ]; then
    r=$(snrun "$root/build/go/lookup" 2>&1) && grep -q '^done$' <<<"$r" ||
        fail "a dynamic Go program did not run: '$r'"
fi
ld=$(readelf -l /bin/true 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
if [ -n "$ld" ] && [ -x "$ld" ]; then
    snrun "$ld" /bin/true 2>"$IT_DIR/err" || { show "$IT_DIR/err"; fail "the dynamic loader $ld running /bin/true was refused"; }
fi
printf '#!/bin/sh\necho "script $1"\nexit 5\n' >"$IT_DIR/bin/script" && chmod +x "$IT_DIR/bin/script"
r=$(PATH=$IT_DIR/bin:$PATH snrun script one 2>&1); rc=$?
[ "$rc" -eq 5 ] && [ "$r" = "script one" ] || fail "a shell script gave $(rcstr $rc) and '$r'"
echo "refused: $line"
echo ok
