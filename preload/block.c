#include "preload/block.h"

#include <errno.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

#include "core/net.h"
#include "preload/init.h"

bool sn_nonblocking(int slot, int msg_flags)
{
    return (msg_flags & MSG_DONTWAIT) || sn_sock_nonblock(sn_net(), slot);
}

/* A peer that died without closing: bury it, so that this call sees the
 * EOF or reset its death means.  True if something was buried. */
static bool collect_peers(sn_arena *a, int slot)
{
    int procs[SN_WATCH_MAX];
    int n = sn_sock_watch(a, slot, procs, SN_WATCH_MAX);
    return n > 0 && sn_sock_collect(a, procs, n);
}

/* The blocking calls we stand in for (recv, accept, connect...) are
 * cancellation points; our futex sleep is not one.  So the sleep runs
 * with asynchronous cancellation.  A thread cancelled in it leaves the
 * sleeper bit set in the socket's seq word (core/wait.h), which costs a
 * waker one spare FUTEX_WAKE. */
static int sleep_cancellable(sn_arena *a, int slot, uint32_t seq,
                             const int *procs, int n, const struct timespec *dl)
{
    int w, old;
    pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old);
    w = n ? sn_wait_watch(a, slot, seq, procs, n, dl) : sn_wait(a, slot, seq, dl);
    pthread_setcanceltype(old, NULL);
    return w;
}

ssize_t sn_block(int slot, bool nonblock, int64_t timeout_ns,
                 sn_try_fn try, void *ctx)
{
    ssize_t r = try(slot, ctx);
    if (r != -EAGAIN)
        return r;
    sn_arena *a = sn_net();
    if (nonblock) {
        if (collect_peers(a, slot))
            r = try(slot, ctx);
        return r;
    }
    sn_net_keep_alive(a);
    pthread_testcancel();
    struct timespec deadline, *dl = NULL;
    if (timeout_ns > 0) {
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        int64_t ns = deadline.tv_nsec + timeout_ns;
        deadline.tv_sec += ns / 1000000000;
        deadline.tv_nsec = ns % 1000000000;
        dl = &deadline;
    }
    for (;;) {
        /* Read seq first, then look again: a change made after the look
         * moves seq, so the sleep below cannot miss it. */
        uint32_t seq = sn_wait_prepare(a, slot);
        /* The clock only for a socket that met a fault (core/net.h
         * sn_sock_may_be_due; 0 is no later than the try). */
        struct timespec seen = {0, 0};
        if (sn_sock_may_be_due(a, slot))
            clock_gettime(CLOCK_MONOTONIC, &seen);
        r = try(slot, ctx);
        if (r != -EAGAIN)
            return r;
        int procs[SN_WATCH_MAX];
        int n = sn_sock_watch(a, slot, procs, SN_WATCH_MAX);
        /* Time alone may change the socket (a fault's timer): sleep no
         * longer than that, then look again.  Counted from before the
         * try: data it found not due may be due by now, and nothing else
         * would wake us for it. */
        struct timespec due_ts, *wdl = dl;
        int64_t due = sn_sock_due_since(a, slot, (int64_t)seen.tv_sec * 1000000000 + seen.tv_nsec);
        if (due && (!dl || due < (int64_t)dl->tv_sec * 1000000000 + dl->tv_nsec)) {
            due_ts.tv_sec = due / 1000000000;
            due_ts.tv_nsec = due % 1000000000;
            wdl = &due_ts;
        }
        int w = sleep_cancellable(a, slot, seq, procs, n, wdl);
        if (w == 1)
            sn_sock_collect(a, procs, n);
        else if (w == -ETIMEDOUT && wdl != dl)
            continue;
        else if (w == -ETIMEDOUT)
            return -EAGAIN;
        else if (w < 0)
            return w;
    }
}
