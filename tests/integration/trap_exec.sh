#!/usr/bin/env bash
# The trap across exec (preload/trap_exec.c).  (a) A preloaded shell runs
# a static program: the program runs without the library, the exec says
# so on stderr in one line, the program's own output comes, and its
# first inet socket call ends it with SIGSYS (on the kernel, the control,
# it gets a socket).  (b) A preloaded `env -i` runs Python with no
# LD_PRELOAD and no SIMNET_NETWORK: the exec puts both back, so its
# listener is simulated and a preloaded client in the same network
# reaches it.  (c) The same Python raw-syscall socket in a child of a
# SIMNET_TRAP=0 process: nothing is caught (the control for "off").
. "$(dirname "$0")/lib.bash"

cat >"$IT_DIR/static.c" <<'C'
#include <stdio.h>
#include <sys/socket.h>
int main(void)
{
    printf("started\n");
    fflush(stdout);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    printf("socket %s\n", s >= 0 ? "ok" : "failed");
    return 0;
}
C
cc -static -O1 -o "$IT_DIR/static" "$IT_DIR/static.c" 2>"$IT_DIR/cc.err" ||
    { show "$IT_DIR/cc.err"; fail "cannot build a static program (libc.a missing?)"; }

# (a)
out=$IT_DIR/static.out
sim "$IT_NET" /bin/sh -c "\"$IT_DIR/static\"; echo status \$?" >"$out" 2>&1
grep -qx started "$out" || { show "$out"; fail "static program did not start"; }
grep -q "runs without the library (a static executable)" "$out" ||
    { show "$out"; fail "no line on stderr about the static program"; }
[ "$(grep -c 'runs without the library' "$out")" = 1 ] || { show "$out"; fail "not one line"; }
grep -qx "status $((128 + 31))" "$out" || { show "$out"; fail "static program's socket call was not stopped with SIGSYS"; }
grep -q "socket ok" "$out" && { show "$out"; fail "static program got a kernel socket"; }
if ! isolated; then
    "$IT_DIR/static" >"$IT_DIR/static-kernel.out" 2>&1
    grep -qx "socket ok" "$IT_DIR/static-kernel.out" ||
        { show "$IT_DIR/static-kernel.out"; fail "control: static program has no socket on the kernel"; }
fi

# (b)
P=$((7500 + RANDOM % 400))
srv=$IT_DIR/server.out cli=$IT_DIR/client.out
bg "$srv" "$IT_NET" env -i PATH=/usr/bin:/bin "$PY" -c '
import socket, sys
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", int(sys.argv[1]))); l.listen(1)
print("ready", flush=True)
c, _ = l.accept(); c.sendall(c.recv(64).upper()); c.close()
' "$P"
spid=$BG_PID
wait_line "$srv" '^ready' "$spid"
sim "$IT_NET" "$PY" -c '
import socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
c.sendall(b"mended"); print(c.recv(64).decode())
' "$P" >"$cli" 2>&1 || { show "$cli" "$srv"; fail "client of the env -i server failed: $(rcstr $?)"; }
grep -qx MENDED "$cli" || { show "$cli" "$srv"; fail "env -i server not reached in the simulated network"; }
wait "$spid" 2>/dev/null

# (c)
off=$IT_DIR/off.out
SIMNET_TRAP=0 sim "$IT_NET" "$PY" -c '
import ctypes, socket
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.syscall(41, socket.AF_INET, socket.SOCK_DGRAM, 0)
print("raw socket", "kernel" if fd >= 0 and fd < 512 else fd)
' >"$off" 2>&1
grep -qx "raw socket kernel" "$off" || { show "$off"; fail "SIMNET_TRAP=0: a raw socket call was caught"; }
check_arena
echo "static: $(grep -c . "$out") lines, SIGSYS; env -i: mended; SIMNET_TRAP=0: raw socket from the kernel"
echo ok
