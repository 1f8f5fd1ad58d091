/* prctl, syscall, setrlimit, setrlimit64, prlimit, prlimit64: the ways a
 * program sandboxes itself that would take away what the library needs.
 *
 * Seccomp.  A filter is checked against every system call the process
 * makes, the library's included: those go through libc like the
 * program's, so no filter can tell them apart, and one written for the
 * program alone kills it at the library's first call of its own
 * (OpenSSH's pre-authentication child dies on the library's
 * process_vm_readv, socket, sendto...).  So under the library no filter
 * is installed: prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER or _STRICT) and
 * the seccomp system call's SECCOMP_SET_MODE_FILTER and _STRICT fail with
 * EINVAL, what a kernel built without CONFIG_SECCOMP_FILTER answers to a
 * filter; programs are written to expect it (sshd logs it and goes on
 * without its sandbox).  This holds in every process the library is
 * loaded into: each has a network (SIMNET_NETWORK, else "default") that
 * a later call may start.  PR_SET_NO_NEW_PRIVS and the queries pass.
 * The seccomp system call has no libc function: it is made through
 * syscall(3) (libseccomp), which is wrapped for that number; one
 * made with the program's own instruction is refused by the trap's
 * filter itself (trap.h), or not seen when the trap is off.  syscall(3)
 * also runs the socket numbers on a simulated socket libc made (below).
 *
 * The fd limit.  Lowering RLIMIT_NOFILE leaves open fds open but lets no
 * new one be made (sshd's child keeps 1), and the library makes its fds
 * lazily: the thread's doorbell at its first poll, the process's
 * ringing socket at its first wake-up of another.  So they are made
 * before the limit goes down (those of the calling thread: another
 * thread's first poll after it finds no fd and looks at its sockets
 * every 200 ms, see poll.c).  Pidfds for peers that die are made per
 * wait; a wait that cannot have one watches with that timer too. */
#include <errno.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/net.h"
#include "preload/doorbell.h"
#include "preload/fdtab.h"
#include "preload/init.h"
#include "preload/real.h"
#include "preload/ret.h"
#include "preload/trap.h"
#include "preload/uaccess.h"

/* ---- seccomp ---- */

static long refuse_seccomp(const char *how)
{
    if (__builtin_expect(sn_debug_fd >= 0, 0)) {
        char line[200];
        int n = snprintf(line, sizeof line,
                         "libsimnet[%d]: %s: a seccomp filter would stop the library's own "
                         "system calls; refused with EINVAL\n",
                         (int)getpid(), how);
        if (n > 0)
            REAL(syscall)(SYS_write, sn_debug_fd, line,
                          (size_t)(n < (int)sizeof line ? n : (int)sizeof line - 1));
    }
    return sn_ret(-EINVAL);
}

/* prctl takes up to four more arguments, read as the kernel reads them. */
int prctl(int option, ...)
{
    va_list ap;
    va_start(ap, option);
    unsigned long a2 = va_arg(ap, unsigned long), a3 = va_arg(ap, unsigned long),
                  a4 = va_arg(ap, unsigned long), a5 = va_arg(ap, unsigned long);
    va_end(ap);
    if (option == PR_SET_SECCOMP && (a2 == SECCOMP_MODE_FILTER || a2 == SECCOMP_MODE_STRICT))
        return (int)refuse_seccomp(a2 == SECCOMP_MODE_FILTER
                                       ? "prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER)"
                                       : "prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT)");
    return REAL(prctl)(option, a2, a3, a4, a5);
}

/* A socket call made with syscall(3) on a simulated socket that libc
 * made, so at a number outside the trap's ranges (libuv's sendmmsg and
 * recvmmsg on the socket it made with socket(): dig, host): run as the
 * trap runs a caught call.  Other numbers, and other fds, go on
 * to the kernel as before (where the filter still sees them). */
static bool on_simulated(long nr, long fd)
{
    switch (nr) {
    case SYS_sendmmsg: case SYS_recvmmsg: case SYS_sendmsg: case SYS_recvmsg:
    case SYS_sendto: case SYS_recvfrom: case SYS_connect: case SYS_bind:
    case SYS_accept: case SYS_accept4: case SYS_listen: case SYS_shutdown:
    case SYS_getsockname: case SYS_getpeername: case SYS_getsockopt:
    case SYS_setsockopt:
        /* In the ranges the filter catches it, and places what accept
         * makes: left to it. */
        return fd >= 0 && fd <= 0x7fffffff && sn_trap_on() && !sn_trap_in_range((int)fd) &&
               sn_fd_slot((int)fd) >= 0;
    }
    return false;
}

/* Six arguments, as glibc's own syscall() passes on whatever the caller
 * gave (reading unused ones is harmless: registers and the caller's
 * stack). */
long syscall(long number, ...)
{
    va_list ap;
    va_start(ap, number);
    long a1 = va_arg(ap, long), a2 = va_arg(ap, long), a3 = va_arg(ap, long),
         a4 = va_arg(ap, long), a5 = va_arg(ap, long), a6 = va_arg(ap, long);
    va_end(ap);
    if (number == SYS_seccomp &&
        (a1 == SECCOMP_SET_MODE_FILTER || a1 == SECCOMP_SET_MODE_STRICT))
        return refuse_seccomp(a1 == SECCOMP_SET_MODE_FILTER
                                  ? "seccomp(SECCOMP_SET_MODE_FILTER)"
                                  : "seccomp(SECCOMP_SET_MODE_STRICT)");
    if (on_simulated(number, a1)) {
        const long a[6] = {a1, a2, a3, a4, a5, a6};
        return sn_ret(sn_trap_call(number, a));
    }
    /* A deferred trap goes in before an inet socket made raw (the only
     * way such a call gets an fd to use raw afterwards) or an exec (as
     * the interposed execve).  Not for any number: futex, gettid and
     * getrandom through syscall() are common and never network. */
    if (number == SYS_socket && (a1 == AF_INET || a1 == AF_INET6))
        sn_trap_need();
    else if (number == SYS_execve)
        sn_trap_exec_need(-1, (const char *)a1, false, (char *const *)a3);
    else if (number == SYS_execveat)
        sn_trap_exec_need(-1, NULL, false, (char *const *)a4);
    return REAL(syscall)(number, a1, a2, a3, a4, a5, a6);
}

/* ---- RLIMIT_NOFILE ---- */

/* Before a change of the fd limit to `l` (a struct rlimit or, the same
 * on 64-bit Linux, rlimit64): if it goes down in a process the library
 * runs in, make what needs an fd now.  A bad pointer is left for the
 * kernel to answer (EFAULT). */
static void before_nofile(const struct rlimit *l)
{
    struct rlimit now;
    if (!sn_started() || !sn_net() || sn_uaccess(l, sizeof *l, false) < 0 ||
        getrlimit(RLIMIT_NOFILE, &now) < 0 || l->rlim_cur >= now.rlim_cur)
        return;
    int saved = errno;
    sn_thread_doorbell();
    sn_bell_tx_open(sn_net());
    errno = saved;
}

/* A limit on the size of files written (sshd's child: 0) would turn our
 * next trace line to a file into SIGXFSZ, which kills the process. */
static void before_fsize(const struct rlimit *l)
{
    struct stat st;
    if (sn_debug_fd < 0 || sn_uaccess(l, sizeof *l, false) < 0 ||
        l->rlim_cur == RLIM_INFINITY)
        return;
    int saved = errno;
    if (fstat(sn_debug_fd, &st) == 0 && S_ISREG(st.st_mode))
        sn_trace_stop("the program limits the size of files (RLIMIT_FSIZE)");
    errno = saved;
}

static void before_limit(int res, const struct rlimit *l)
{
    if (res == RLIMIT_NOFILE)
        before_nofile(l);
    else if (res == RLIMIT_FSIZE)
        before_fsize(l);
}

_Static_assert(sizeof(struct rlimit) == sizeof(struct rlimit64), "rlimit is rlimit64");

int setrlimit(__rlimit_resource_t res, const struct rlimit *l)
{
    before_limit(res, l);
    return REAL(setrlimit)(res, l);
}

int setrlimit64(__rlimit_resource_t res, const struct rlimit64 *l)
{
    before_limit(res, (const struct rlimit *)l);
    return REAL(setrlimit64)(res, l);
}

/* pid 0 is the caller; another process's limit is its own business. */
int prlimit(pid_t pid, __rlimit_resource_t res, const struct rlimit *l, struct rlimit *old)
{
    if (l && (pid == 0 || pid == getpid()))
        before_limit(res, l);
    return REAL(prlimit)(pid, res, l, old);
}

int prlimit64(pid_t pid, __rlimit_resource_t res, const struct rlimit64 *l,
              struct rlimit64 *old)
{
    if (l && (pid == 0 || pid == getpid()))
        before_limit(res, (const struct rlimit *)l);
    return REAL(prlimit64)(pid, res, l, old);
}
