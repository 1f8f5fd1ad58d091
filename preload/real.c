#include "preload/real.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/sys_linux.h"
#include "preload/ret.h"

sn_real_table sn_real;

/* Each real function is looked up the first time it is needed: a process
 * that never touches epoll does not pay dlsym for it at start-up.
 * Racing threads write the same value: harmless. */
static void *lookup(const char *name)
{
    void *p = dlsym(RTLD_NEXT, name);
    if (!p) {
        static const char msg[] = "libsimnet: cannot find a libc function it wraps\n";
        syscall(SYS_write, 2, msg, sizeof msg - 1);   /* not our write() */
        abort();
    }
    return p;
}

/* An entry is written once from NULL (compare-and-swap): a lookup that
 * loses to sn_real_gate(), made while other threads run, never puts
 * libc's function back over the gate's. */
#define X(ret, name, params)                                                   \
    __typeof__(sn_real.name) sn_real_get_##name(void)                          \
    {                                                                          \
        __typeof__(sn_real.name) p = __atomic_load_n(&sn_real.name, __ATOMIC_ACQUIRE); \
        if (!p) {                                                              \
            __typeof__(sn_real.name) none = NULL;                              \
            p = (__typeof__(sn_real.name))lookup(#name);                       \
            if (!__atomic_compare_exchange_n(&sn_real.name, &none, p, false,   \
                                             __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) \
                p = none;                                                      \
        }                                                                      \
        return p;                                                              \
    }
SN_SYMBOLS(X)
#undef X

/* ---- under the trap (trap.h) ----
 * The library's own calls of the numbers the filter catches must not be
 * caught: libc's functions make them from libc's code, which the filter
 * cannot tell from the program's.  So once the trap is on, the table's
 * entries for those numbers are these, which make the call through the
 * gate.  The read/write family stays libc's: the library calls it only
 * on fds of the program's (pass-through), where a catch is harmless.
 * The waits keep what libc's versions are: cancellation points. */

static long gate(long n, long a, long b, long c, long d, long e, long f)
{
    return sn_ret(sn_raw_syscall6(n, a, b, c, d, e, f));
}

static long gate_wait(long n, long a, long b, long c, long d, long e, long f)
{
    int old;
    pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old);
    long r = sn_raw_syscall6(n, a, b, c, d, e, f);
    pthread_setcanceltype(old, NULL);
    return sn_ret(r);
}

#define L(x) ((long)(x))
#define NSIG_BYTES 8

static int g_close(int fd) { return (int)gate(SYS_close, fd, 0, 0, 0, 0, 0); }
static int g_dup(int fd) { return (int)gate(SYS_dup, fd, 0, 0, 0, 0, 0); }
static int g_dup2(int fd, int nfd) { return (int)gate(SYS_dup2, fd, nfd, 0, 0, 0, 0); }
static int g_dup3(int fd, int nfd, int fl) { return (int)gate(SYS_dup3, fd, nfd, fl, 0, 0, 0); }

static int g_fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    long arg = va_arg(ap, long);
    va_end(ap);
    return (int)gate(SYS_fcntl, fd, cmd, arg, 0, 0, 0);
}

static int g_ioctl(int fd, unsigned long req, ...)
{
    va_list ap;
    va_start(ap, req);
    long arg = va_arg(ap, long);
    va_end(ap);
    return (int)gate(SYS_ioctl, fd, L(req), arg, 0, 0, 0);
}

static int g_poll(struct pollfd *f, nfds_t n, int tmo)
{
    return (int)gate_wait(SYS_poll, L(f), L(n), tmo, 0, 0, 0);
}

/* libc leaves the caller's timeout alone; the kernel writes what is left. */
static int g_ppoll(struct pollfd *f, nfds_t n, const struct timespec *t, const sigset_t *m)
{
    struct timespec c, *tp = t ? (c = *t, &c) : NULL;
    return (int)gate_wait(SYS_ppoll, L(f), L(n), L(tp), L(m), NSIG_BYTES, 0);
}

static int g_select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *t)
{
    return (int)gate_wait(SYS_select, n, L(r), L(w), L(e), L(t), 0);
}

static int g_pselect(int n, fd_set *r, fd_set *w, fd_set *e, const struct timespec *t,
                     const sigset_t *m)
{
    struct timespec c, *tp = t ? (c = *t, &c) : NULL;
    struct { const sigset_t *ss; size_t len; } d = {m, NSIG_BYTES};
    return (int)gate_wait(SYS_pselect6, n, L(r), L(w), L(e), L(tp), L(&d));
}

static int g_epoll_create(int size) { return (int)gate(SYS_epoll_create, size, 0, 0, 0, 0, 0); }
static int g_epoll_create1(int fl) { return (int)gate(SYS_epoll_create1, fl, 0, 0, 0, 0, 0); }

static int g_epoll_ctl(int ep, int op, int fd, struct epoll_event *ev)
{
    return (int)gate(SYS_epoll_ctl, ep, op, fd, L(ev), 0, 0);
}

static int g_epoll_wait(int ep, struct epoll_event *ev, int max, int tmo)
{
    return (int)gate_wait(SYS_epoll_wait, ep, L(ev), max, tmo, 0, 0);
}

static int g_epoll_pwait(int ep, struct epoll_event *ev, int max, int tmo, const sigset_t *m)
{
    return (int)gate_wait(SYS_epoll_pwait, ep, L(ev), max, tmo, L(m), NSIG_BYTES);
}

static int g_epoll_pwait2(int ep, struct epoll_event *ev, int max, const struct timespec *t,
                          const sigset_t *m)
{
    return (int)gate_wait(SYS_epoll_pwait2, ep, L(ev), max, L(t), L(m), NSIG_BYTES);
}

static ssize_t g_recv(int fd, void *buf, size_t len, int flags)
{
    return gate_wait(SYS_recvfrom, fd, L(buf), L(len), flags, 0, 0);
}

/* Made while other threads may be calling through the table (a deferred
 * trap): each entry is one atomic store. */
#define G(name, fn) __atomic_store_n(&sn_real.name, fn, __ATOMIC_RELEASE)

void sn_real_gate(void)
{
    G(close, g_close);
    G(dup, g_dup);
    G(dup2, g_dup2);
    G(dup3, g_dup3);
    G(fcntl, g_fcntl);
    G(fcntl64, g_fcntl);
    G(ioctl, g_ioctl);
    G(poll, g_poll);
    G(ppoll, g_ppoll);
    G(select, g_select);
    G(pselect, g_pselect);
    G(epoll_create, g_epoll_create);
    G(epoll_create1, g_epoll_create1);
    G(epoll_ctl, g_epoll_ctl);
    G(epoll_wait, g_epoll_wait);
    G(epoll_pwait, g_epoll_pwait);
    G(epoll_pwait2, g_epoll_pwait2);
    G(recv, g_recv);
}
