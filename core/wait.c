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

/* The sequence word: bit 0 says a thread may sleep on it, the other bits
 * count changes.  The flag lives in the futex word itself, so that the
 * kernel's "is the word still what the sleeper expects" also covers the
 * flag: a flag kept in another word could be cleared by a waker whose
 * change the sleeper had already seen, and the next change would then
 * wake nobody. */
#define SEQ_SLEEPER 1u
#define SEQ_STEP    2u

static bool moved(uint32_t now, uint32_t seq)
{
    return ((now ^ seq) & ~SEQ_SLEEPER) != 0;
}

static bool spin_for(_Atomic uint32_t *word, uint32_t seq);

/* Spinning pays only when the peer runs on another CPU at the same time.
 * When spins keep failing (both ends share a CPU, or the peer is slow)
 * this thread stops spinning, and tries again now and then. */
static __thread unsigned spin_failures, spin_skipped;

static bool spin_until_moved(_Atomic uint32_t *word, uint32_t seq)
{
    if (spin_failures >= 8 && ++spin_skipped % 16 != 0)
        return moved(atomic_load_explicit(word, memory_order_acquire), seq);
    bool m = spin_for(word, seq);
    spin_failures = m ? 0 : spin_failures + 1;
    return m;
}

static bool spin_for(_Atomic uint32_t *word, uint32_t seq)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 1;; i++) {
        if (moved(atomic_load_explicit(word, memory_order_acquire), seq))
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
    return atomic_load(&sn_sock_at(a, s)->seq);
}

/* About to sleep on k->seq: set the sleeper bit so that the next waker
 * calls FUTEX_WAKE.  False if seq moved since `seq` was read (do not
 * sleep: look again); else *val is the value to hand the futex. */
static bool mark_sleeper(sn_sock *k, uint32_t seq, uint32_t *val)
{
    uint32_t v = atomic_fetch_or(&k->seq, SEQ_SLEEPER);
    *val = v | SEQ_SLEEPER;
    return !moved(v, seq);
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
    uint32_t val;
    if (!peer_here(a, k) && spin_until_moved(&k->seq, seq))
        return 0;
    if (!mark_sleeper(k, seq, &val))
        return 0;
    long r = sn_futex_wait(&k->seq, val, deadline);
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
    uint32_t val;
    if (!mark_sleeper(k, seq, &val))
        return 0;
    w[0].val = val;
    long r = sn_futex_waitv(w, (unsigned)n + 1, deadline);
    if (r == 0)
        return 0;
    if (r > 0) {
        /* The kernel woke only us; pass it on to the others. */
        sn_futex_wake_all((_Atomic uint32_t *)(uintptr_t)w[r].uaddr);
        return 1;
    }
    if (r == -EAGAIN)
        return moved(atomic_load(&k->seq), seq) ? 0 : 1;
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
    uint32_t old = atomic_fetch_add(&k->seq, SEQ_STEP);
    /* Someone marked the word: clear the mark and wake every sleeper.
     * One who goes back to sleep marks it again, so a burst of sends to
     * a sleeping reader costs one FUTEX_WAKE, not one per send.  A thread
     * that marks the word between our add and our clear sleeps on a value
     * the clear changes: its futex call returns at once. */
    if (old & SEQ_SLEEPER) {
        atomic_fetch_and(&k->seq, ~SEQ_SLEEPER);
        sn_futex_wake_all(&k->seq);
    }
    if (atomic_load(&k->nbells))
        sn_bells_ring_sock(a, s);
}
