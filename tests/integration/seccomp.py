# seccomp.py MODE: install a seccomp filter that kills the process on
# socket(2), once through prctl(PR_SET_SECCOMP) and once through the
# seccomp system call (as libseccomp does), each in a forked child; print
# what each call answered and what the child could do after it.
# MODE "kernel": run without the library (the filter works: the child is
# killed by SIGSYS at its socket call).  MODE "simnet": under the library
# (refused with EINVAL; the child goes on and talks TCP to itself).
import ctypes, os, platform, signal, socket, struct, sys

NR = {"x86_64": (41, 317), "aarch64": (198, 277)}.get(platform.machine())
if NR is None:
    print("skip: no syscall numbers for", platform.machine()); sys.exit(0)
NR_SOCKET, NR_SECCOMP = NR
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, PR_GET_SECCOMP = 38, 22, 21
SECCOMP_MODE_FILTER, SECCOMP_SET_MODE_FILTER = 2, 1

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
# load nr; socket? kill the process : allow
ins = [(0x20, 0, 0, 0), (0x15, 0, 1, NR_SOCKET), (0x06, 0, 0, 0x80000000),
       (0x06, 0, 0, 0x7fff0000)]
code = b"".join(struct.pack("HBBI", *i) for i in ins)
buf = ctypes.create_string_buffer(code)
prog = struct.pack("HxxxxxxQ", len(ins), ctypes.addressof(buf))
pbuf = ctypes.create_string_buffer(prog)

def child(how):
    r = libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    if r != 0:
        print(how, "no_new_privs failed", flush=True); os._exit(3)
    if how == "prctl":
        r = libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, pbuf, 0, 0)
    else:
        r = libc.syscall(NR_SECCOMP, SECCOMP_SET_MODE_FILTER, 0, pbuf)
    e = ctypes.get_errno()
    print("%s: ret=%d errno=%s" % (how, r, os.strerror(e) if r else "-"), flush=True)
    print("%s: PR_GET_SECCOMP=%d" % (how, libc.prctl(PR_GET_SECCOMP, 0, 0, 0, 0)), flush=True)
    l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen()
    c = socket.create_connection(l.getsockname()); s, _ = l.accept()
    c.sendall(b"ping"); print(how, "after the filter: TCP got", s.recv(4).decode(), flush=True)
    os._exit(0)

for how in ("prctl", "seccomp"):
    pid = os.fork()
    if pid == 0:
        child(how)
    _, st = os.waitpid(pid, 0)
    if os.WIFSIGNALED(st):
        print(how, "child killed by", signal.Signals(os.WTERMSIG(st)).name, flush=True)
    else:
        print(how, "child exit", os.WEXITSTATUS(st), flush=True)
