/* poll, ppoll, __poll_chk, select, pselect over any mix of real and
 * simulated fds.
 *
 * Simulated fds are answered by core (sn_sock_poll); the kernel gets the
 * real fds plus this thread's doorbell, attached to every simulated socket
 * of the set, plus a pidfd for each process holding a peer (its death ends
 * the connection).  The kernel wait returns when anything happens, and the
 * loop looks again; nothing here sleeps on a timer of its own, except
 * where a lowered fd limit left no fd for a pidfd or the doorbell
 * (UNWATCHED_NS; preload/sandbox.c).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <time.h>

#include "core/net.h"
#include "preload/doorbell.h"
#include "preload/epoll.h"
#include "preload/fdtab.h"
#include "preload/init.h"
#include "preload/real.h"
#include "preload/ret.h"
#include "preload/uaccess.h"

/* pollfd arrays up to this size live on the stack: poll and select are
 * async-signal-safe, malloc is not (2 KiB of stack). */
#define SN_POLL_STACK 256

extern void __chk_fail(void) __attribute__((noreturn));

/* glibc declares poll's array write-only (access attribute), but poll
 * reads the events it is given; gcc would warn about reading it. */
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#define EXTRA_MAX (1 + 16)   /* the doorbell and up to 16 pidfds */

static bool any_simulated(const struct pollfd *fds, nfds_t n)
{
    bool sim = false;
    for (nfds_t i = 0; i < n; i++) {
        if (sn_fd_slot(fds[i].fd) >= 0)
            sim = true;
        else if (sn_epoll_is(fds[i].fd))
            sn_epoll_nested(fds[i].fd);
    }
    return sim;
}

/* Answer the simulated entries; count those with something to say. */
static int poll_sim(sn_arena *a, struct pollfd *fds, nfds_t n)
{
    int ready = 0;
    for (nfds_t i = 0; i < n; i++) {
        int s = sn_fd_slot(fds[i].fd);
        if (s < 0)
            continue;
        fds[i].revents = (short)(sn_sock_poll(a, s) &
                                 (fds[i].events | POLLERR | POLLHUP));
        ready += fds[i].revents != 0;
    }
    return ready;
}

/* Attach (on) or detach the bell to every simulated fd of the set; on:
 * false when a socket had no place left for it (SN_SOCK_BELLS waits on
 * it already), whose changes will not ring us. */
static bool attach_all(sn_arena *a, struct pollfd *fds, nfds_t n, int id, bool on)
{
    bool all = true;
    for (nfds_t i = 0; i < n; i++) {
        int s = sn_fd_slot(fds[i].fd);
        if (s < 0)
            continue;
        if (on) {
            sn_reap_bell_owners(a, s);
            all &= sn_bell_attach(a, s, id, false) == 0;
        } else {
            sn_bell_detach(a, s, id);
        }
    }
    return all;
}

/* pidfds of the processes our simulated sockets' peers live in. */
static int add_watch(sn_arena *a, struct pollfd *fds, nfds_t n,
                     struct pollfd *extra, int *procs, int nextra, bool *unwatched)
{
    int k = 0;
    for (nfds_t i = 0; i < n && k < nextra; i++) {
        int s = sn_fd_slot(fds[i].fd), w[SN_WATCH_MAX];
        if (s < 0)
            continue;
        int m = sn_sock_watch(a, s, w, SN_WATCH_MAX);
        for (int j = 0; j < m && k < nextra; j++) {
            bool dup = false;
            for (int x = 0; x < k; x++)
                dup |= procs[x] == w[j];
            if (dup)
                continue;
            int pfd = sn_proc_pidfd(w[j]);
            if (pfd < 0) {
                /* Gone already: bury it.  Or alive, and no fd to be had
                 * (a lowered fd limit): watch it with a timer. */
                if (!sn_sock_collect(a, &w[j], 1))
                    *unwatched = true;
                continue;
            }
            procs[k] = w[j];
            extra[k] = (struct pollfd){.fd = pfd, .events = POLLIN};
            k++;
        }
    }
    return k;
}

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* A wait no longer than until time alone changes one of the simulated
 * sockets (a fault's timer, core/net.h sn_sock_due_since), counted from
 * `seen`, when poll_sim looked at them (0: the clock was not read, as no
 * socket had met a fault before the look; core/net.h
 * sn_sock_may_be_due). */
static int64_t due_cap(sn_arena *a, const struct pollfd *fds, nfds_t n, int64_t left,
                       int64_t seen)
{
    for (nfds_t i = 0; i < n; i++) {
        int slot = sn_fd_slot(fds[i].fd);
        int64_t due = slot >= 0 ? sn_sock_due_since(a, slot, seen) : 0;
        if (due) {
            int64_t in = due - now_ns();
            in = in < 0 ? 0 : in + 1000000;   /* just past it */
            if (left < 0 || in < left)
                left = in;
        }
    }
    return left;
}

/* A timespec timeout in nanoseconds (-1: none); -EFAULT, -EINVAL. */
static int timeout_ns(const struct timespec *tmo, int64_t *ns)
{
    *ns = -1;
    if (!tmo)
        return 0;
    if (sn_uaccess(tmo, sizeof *tmo, false) < 0)
        return -EFAULT;
    if (tmo->tv_sec < 0 || tmo->tv_nsec < 0 || tmo->tv_nsec >= 1000000000L)
        return -EINVAL;
    *ns = tmo->tv_sec * 1000000000LL + tmo->tv_nsec;
    return 0;
}

/* How often a sleep with a peer process it cannot watch (no pidfd, or
 * no doorbell) wakes to look whether the peer died. */
#define UNWATCHED_NS (200 * 1000000LL)

/* The kernel refuses a poll of more entries than the fd limit (EINVAL),
 * and the entries we add may push the program's poll over a limit it
 * lowered (sshd's sandboxed child keeps 1).  Then ask about the entries
 * that name an fd only (real fds, then the doorbell, then pidfds, in
 * order), as many as the limit allows; a pidfd left out sets *unwatched.
 * `n`: the program's own entries. */
static int kernel_ppoll(struct pollfd *k, nfds_t nk, nfds_t n, const struct timespec *tsp,
                        const sigset_t *mask, bool *unwatched)
{
    int r = REAL(ppoll)(k, nk, tsp, mask);
    if (r >= 0 || errno != EINVAL || nk == n)
        return r;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= nk || rl.rlim_cur < n) {
        errno = EINVAL;             /* not the limit, or the program's own */
        return -1;
    }
    struct pollfd cbuf[SN_POLL_STACK], *c = cbuf;
    nfds_t posbuf[SN_POLL_STACK], *pos = posbuf, cap = (nfds_t)rl.rlim_cur, nc = 0;
    if (cap > SN_POLL_STACK) {
        c = malloc(cap * sizeof *c);
        pos = malloc(cap * sizeof *pos);
    }
    if (!c || !pos) {
        r = -1;
        errno = ENOMEM;
        goto out;
    }
    for (nfds_t i = 0; i < nk; i++) {
        if (k[i].fd < 0)
            continue;
        if (nc == cap) {
            *unwatched = true;      /* only pidfds come this late */
            break;
        }
        pos[nc] = i;
        c[nc++] = k[i];
    }
    struct timespec capped = {0, UNWATCHED_NS};
    if (*unwatched && (!tsp || tsp->tv_sec > 0 || tsp->tv_nsec > UNWATCHED_NS))
        tsp = &capped;
    r = REAL(ppoll)(c, nc, tsp, mask);
    for (nfds_t j = 0; r >= 0 && j < nc; j++)
        k[pos[j]].revents = c[j].revents;
out:
    if (c != cbuf)
        free(c);
    if (pos != posbuf)
        free(pos);
    return r;
}

/* The heart of poll: `timeout_ns` < 0 waits forever. */
static int sim_poll(struct pollfd *fds, nfds_t n, int64_t timeout_ns,
                    const sigset_t *mask)
{
    sn_arena *a = sn_net();
    if (sn_uaccess(fds, n * sizeof *fds, true) < 0)
        return -EFAULT;
    sn_doorbell *bell = sn_thread_doorbell();
    /* The kernel's copy: real fds in place, simulated ones as -1 (which
     * the kernel skips), then the doorbell and the pidfds. */
    size_t total = n + EXTRA_MAX;
    struct pollfd stackbuf[SN_POLL_STACK], *k = total <= SN_POLL_STACK ? stackbuf : malloc(total * sizeof *k);
    if (!k)
        return -ENOMEM;
    int64_t now = timeout_ns < 0 ? 0 : now_ns();
    int64_t deadline = timeout_ns < 0 ? -1 : now + timeout_ns;
    /* A caller that never sleeps (always something ready, or a timeout
     * of 0) would never hear a pidfd: it looks for the dead now and then. */
    sn_net_keep_alive(a);           /* our word must not read dead */
    sn_reap_now_and_then(a, now);
    int result = 0, procs[EXTRA_MAX];
    bool attached = false, unrung = false;
    for (;;) {
        bool timed = false;         /* a simulated socket met a fault */
        for (nfds_t i = 0; i < n; i++) {
            k[i] = fds[i];
            k[i].revents = 0;
            int slot = sn_fd_slot(fds[i].fd);
            if (slot >= 0) {
                k[i].fd = -1;
                timed = timed || sn_sock_may_be_due(a, slot);
            }
        }
        int64_t seen = timed ? now_ns() : 0;
        int ready = poll_sim(a, fds, n);
        int64_t left = deadline < 0 ? -1 : deadline - now_ns();
        if (left < 0 && deadline >= 0)
            left = 0;
        bool sleep = ready == 0 && left != 0;
        if (sleep && bell && !attached) {
            unrung = !attach_all(a, fds, n, bell->id, true);
            attached = true;
            sn_doorbell_drain(bell, false);
            continue;               /* look again now that changes ring */
        }
        nfds_t nk = n;
        int nw = 0, nreal = 0;
        /* No doorbell (no fd for one), or a socket with no place for
         * it: nothing rings, look again often. */
        bool unwatched = !bell || unrung;
        for (nfds_t i = 0; i < n; i++)
            nreal += k[i].fd >= 0;
        if (sleep) {
            if (bell)
                k[nk++] = (struct pollfd){.fd = bell->fd, .events = POLLIN};
            nw = add_watch(a, fds, n, k + nk, procs, EXTRA_MAX - 1, &unwatched);
            nk += (nfds_t)nw;
        }
        if (!sleep)
            left = 0;
        bool capped = false;
        if (sleep) {
            int64_t was = left;
            left = due_cap(a, fds, n, left, seen);
            capped = left != was;
        }
        if (sleep && unwatched && (left < 0 || left > UNWATCHED_NS))
            left = UNWATCHED_NS;
        struct timespec ts, *tsp = NULL;
        if (left >= 0) {
            ts.tv_sec = left / 1000000000LL;
            ts.tv_nsec = left % 1000000000LL;
            tsp = &ts;
        }
        /* Not sleeping and no real fd: nothing to ask the kernel. */
        int r = sleep || nreal ? kernel_ppoll(k, nk, n, tsp, sleep ? mask : NULL, &unwatched) : 0;
        if (r < 0) {
            /* A signal during a look that did not sleep: the kernel
             * answers with what is ready and leaves EINTR for when
             * nothing is (no real fd was, or it would not say EINTR). */
            if (errno != EINTR || sleep || ready == 0) {
                result = -errno;
                break;
            }
            for (nfds_t i = 0; i < n; i++)
                k[i].revents = 0;
        }
        bool again = false;
        if (sleep) {
            nfds_t w0 = n + (bell != NULL);
            if (bell && k[n].revents) {
                sn_doorbell_drain(bell, true);
                again = true;
            }
            for (int j = 0; j < nw; j++)
                if (k[w0 + j].revents) {
                    sn_sock_collect(a, &procs[j], 1);
                    again = true;
                }
            /* Woken by our own timer: whoever we could not watch may have
             * died (sn_sock_watch names them again next round). */
            if ((unwatched || capped) && r == 0)
                again = true;
        }
        int real_ready = 0;
        for (nfds_t i = 0; i < n; i++)
            if (sn_fd_slot(fds[i].fd) < 0) {
                fds[i].revents = k[i].revents;
                real_ready += k[i].revents != 0;
            }
        if (again && real_ready == 0)
            continue;
        result = real_ready + poll_sim(a, fds, n);
        break;
    }
    if (attached)
        attach_all(a, fds, n, bell->id, false);
    if (k != stackbuf)
        free(k);
    return result;
}

int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *tmo,
          const sigset_t *mask)
{
    if (!any_simulated(fds, n) || !sn_net())
        return REAL(ppoll)(fds, n, tmo, mask);
    int64_t ns;
    int r = timeout_ns(tmo, &ns);
    if (r < 0)
        return (int)SN_RET(-1, r);
    return (int)SN_RET(-1, sim_poll(fds, n, ns, mask));
}

int poll(struct pollfd *fds, nfds_t n, int timeout)
{
    if (!any_simulated(fds, n) || !sn_net())
        return REAL(poll)(fds, n, timeout);
    return (int)SN_RET(-1, sim_poll(fds, n, timeout < 0 ? -1 : timeout * 1000000LL, NULL));
}

int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen)
{
    if (fdslen / sizeof *fds < n)
        __chk_fail();
    return poll(fds, n, timeout);
}

int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *tmo,
                const sigset_t *mask, size_t fdslen)
{
    if (fdslen / sizeof *fds < n)
        __chk_fail();
    return ppoll(fds, n, tmo, mask);
}

/* ---- select, through poll ---- */

/* Linux's select sets: readable covers hang-up and error, writable covers
 * error, "exceptional" is priority data. */
#define SEL_IN  (POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR)
#define SEL_OUT (POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR)
#define SEL_EX  (POLLPRI)

static bool sets_have_sim(int n, fd_set *r, fd_set *w, fd_set *e)
{
    bool sim = false;
    for (int fd = 0; fd < n; fd++) {
        if (!((r && FD_ISSET(fd, r)) || (w && FD_ISSET(fd, w)) || (e && FD_ISSET(fd, e))))
            continue;
        if (sn_fd_slot(fd) >= 0)
            sim = true;
        else if (sn_epoll_is(fd))
            sn_epoll_nested(fd);
    }
    return sim;
}

static int sim_select(int n, fd_set *r, fd_set *w, fd_set *e, int64_t ns,
                      const sigset_t *mask)
{
    if ((r && sn_uaccess(r, sizeof *r, true) < 0) ||
        (w && sn_uaccess(w, sizeof *w, true) < 0) ||
        (e && sn_uaccess(e, sizeof *e, true) < 0))
        return -EFAULT;
    /* On the stack when it fits: select is async-signal-safe, malloc is
     * not. */
    size_t want = 0;
    for (int fd = 0; fd < n; fd++)
        want += (r && FD_ISSET(fd, r)) || (w && FD_ISSET(fd, w)) ||
                (e && FD_ISSET(fd, e));
    struct pollfd stackbuf[SN_POLL_STACK];
    struct pollfd *p = want <= SN_POLL_STACK ? stackbuf : malloc(want * sizeof *p);
    if (!p)
        return -ENOMEM;
    nfds_t np = 0;
    for (int fd = 0; fd < n; fd++) {
        short ev = (short)((r && FD_ISSET(fd, r) ? POLLIN : 0) |
                           (w && FD_ISSET(fd, w) ? POLLOUT : 0) |
                           (e && FD_ISSET(fd, e) ? POLLPRI : 0));
        if (ev)
            p[np++] = (struct pollfd){.fd = fd, .events = ev};
    }
    int res = sim_poll(p, np, ns, mask);
    if (res >= 0) {
        res = 0;
        for (nfds_t i = 0; i < np; i++)
            if (p[i].revents & POLLNVAL)
                res = -EBADF;          /* select says EBADF, poll says NVAL */
    }
    if (res >= 0) {
        if (r) FD_ZERO(r);
        if (w) FD_ZERO(w);
        if (e) FD_ZERO(e);
        for (nfds_t i = 0; i < np; i++) {
            short rv = p[i].revents, ev = p[i].events;
            if ((ev & POLLIN) && (rv & SEL_IN)) { FD_SET(p[i].fd, r); res++; }
            if ((ev & POLLOUT) && (rv & SEL_OUT)) { FD_SET(p[i].fd, w); res++; }
            if ((ev & POLLPRI) && (rv & SEL_EX)) { FD_SET(p[i].fd, e); res++; }
        }
    }
    if (p != stackbuf)
        free(p);
    return res;
}

int select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv)
{
    if (n < 0 || n > FD_SETSIZE || !sn_net() || !sets_have_sim(n, r, w, e))
        return REAL(select)(n, r, w, e, tv);
    int64_t ns = -1, start = now_ns();
    if (tv) {
        if (sn_uaccess(tv, sizeof *tv, true) < 0)
            return (int)SN_RET(-1, -EFAULT);
        if (tv->tv_sec < 0 || tv->tv_usec < 0)
            return (int)SN_RET(-1, -EINVAL);
        ns = tv->tv_sec * 1000000000LL + tv->tv_usec * 1000LL;
    }
    int res = sim_select(n, r, w, e, ns, NULL);
    if (tv) {
        /* Linux writes back the time that was left. */
        int64_t left = ns - (now_ns() - start);
        if (left < 0)
            left = 0;
        tv->tv_sec = left / 1000000000LL;
        tv->tv_usec = (left % 1000000000LL) / 1000;
    }
    return (int)SN_RET(-1, res);
}

int pselect(int n, fd_set *r, fd_set *w, fd_set *e, const struct timespec *tmo,
            const sigset_t *mask)
{
    if (n < 0 || n > FD_SETSIZE || !sn_net() || !sets_have_sim(n, r, w, e))
        return REAL(pselect)(n, r, w, e, tmo, mask);
    int64_t ns;
    int tr = timeout_ns(tmo, &ns);
    if (tr < 0)
        return (int)SN_RET(-1, tr);
    return (int)SN_RET(-1, sim_select(n, r, w, e, ns, mask));
}
