#include "core/wait.h"

#include <errno.h>

#include <sched.h>
#include <string.h>

#include "core/bell.h"
#include "core/procs.h"
#include "core/sys_linux.h"
#include "core/sock.h"

/* How long to spin before sleeping: on two cores a peer often answers
 * within a microsecond or two, cheaper than a futex sleep and wake-up.
 * Bounded in time, not rounds (a pause lasts 10 to 140 cycles depending
 * on the CPU), and short: when both ends share one CPU every spin is time
 * taken from the peer. */
#define SPIN_NS 3000

static bool spin_for(_Atomic uint32_t *word, uint32_t seq);

/* Spinning pays only when the peer runs on another CPU at the same time.
 * When spins keep failing (both ends share a CPU, or the peer is slow)
 * this thread stops spinning, and tries again now and then. */
static __thread unsigned spin_failures, spin_skipped;

static bool spin_until_moved(_Atomic uint32_t *word, uint32_t seq)
{
    if (spin_failures >= 8 && ++spin_skipped % 16 != 0)
        return atomic_load_explicit(word, memory_order_acquire) != seq;
    bool moved = spin_for(word, seq);
    spin_failures = moved ? 0 : spin_failures + 1;
    return moved;
}

static bool spin_for(_Atomic uint32_t *word, uint32_t seq)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 1;; i++) {
        if (atomic_load_explicit(word, memory_order_acquire) != seq)
            return true;
        sn_cpu_relax();
        if ((i & 15) == 0) {
            clock_gettime(CLOCK_MONOTONIC, &t);
            if ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) > SPIN_NS)
                return false;
        }
    }
}

uint32_t sn_wait_prepare(sn_arena *a, int s)
{
    sn_sock *k = sn_sock_at(a, s);
    atomic_fetch_add(&k->nwait, 1);
    return atomic_load(&k->seq);
}

void sn_wait_done(sn_arena *a, int s)
{
    atomic_fetch_sub(&sn_sock_at(a, s)->nwait, 1);
}

/* Our peer last ran on this very CPU: it cannot answer while we spin. */
static bool peer_here(sn_arena *a, sn_sock *k)
{
    sn_sock *p = sn_sock_peer(a, k, NULL);
    return p && atomic_load_explicit(&p->cpu, memory_order_relaxed) == sched_getcpu();
}

int sn_wait(sn_arena *a, int s, uint32_t seq, const struct timespec *deadline)
{
    sn_sock *k = sn_sock_at(a, s);
    if (!peer_here(a, k) && spin_until_moved(&k->seq, seq))
        return 0;
    long r = sn_futex_wait(&k->seq, seq, deadline);
    if (r == 0 || r == -EAGAIN)         /* woken, or seq already moved */
        return 0;
    return r == -ETIMEDOUT ? -ETIMEDOUT : -EINTR;
}

int sn_wait_watch(sn_arena *a, int s, uint32_t seq, const int *procs,
                  int n, const struct timespec *deadline)
{
    sn_sock *k = sn_sock_at(a, s);
    struct futex_waitv w[SN_WATCH_MAX + 1];
    memset(w, 0, sizeof w);
    w[0].uaddr = (uintptr_t)&k->seq;
    w[0].val = seq;
    w[0].flags = FUTEX2_SIZE_U32;
    if (n > SN_WATCH_MAX)
        n = SN_WATCH_MAX;
    for (int i = 0; i < n; i++) {
        _Atomic uint32_t *word = sn_proc_word(a, procs[i]);
        uint32_t v = atomic_load(word);
        if (sn_proc_word_dead(v))
            return 1;
        /* The kernel wakes a waiter at the owner's death only when the
         * word says someone waits. */
        if (!(v & FUTEX_WAITERS))
            v = atomic_fetch_or(word, FUTEX_WAITERS) | FUTEX_WAITERS;
        if (sn_proc_word_dead(v))
            return 1;
        w[i + 1].uaddr = (uintptr_t)word;
        w[i + 1].val = v;
        w[i + 1].flags = FUTEX2_SIZE_U32;
    }
    if (!peer_here(a, k) && spin_until_moved(&k->seq, seq))
        return 0;
    long r = sn_futex_waitv(w, (unsigned)n + 1, deadline);
    if (r == 0)
        return 0;
    if (r > 0) {
        /* The kernel woke only us; pass it on to the others. */
        sn_futex_wake_all((_Atomic uint32_t *)(uintptr_t)w[r].uaddr);
        return 1;
    }
    if (r == -EAGAIN)
        return atomic_load(&k->seq) != seq ? 0 : 1;
    if (r == -ENOSYS)                   /* old kernel: plain wait */
        return sn_wait(a, s, seq, deadline);
    return r == -ETIMEDOUT ? -ETIMEDOUT : -EINTR;
}

void sn_wake_ev(sn_arena *a, int s, int ev)
{
    sn_sock *k = sn_sock_at(a, s);
    if (ev & SN_EV_IN)
        atomic_fetch_add(&k->ev_in, 1);
    if (ev & SN_EV_OUT)
        atomic_fetch_add(&k->ev_out, 1);
    atomic_fetch_add(&k->seq, 1);
    if (atomic_load(&k->nwait))
        sn_futex_wake_all(&k->seq);
    if (atomic_load(&k->nbells))
        sn_bells_ring_sock(a, s);
}
