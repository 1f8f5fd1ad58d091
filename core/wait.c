/* Sequence words: spin, sleep, wake (see wait.h). */
#include "core/wait.h"

#include <errno.h>

#include "core/clock.h"
#include "core/futex.h"

/* How long to spin before sleeping: on two cores a peer often answers
 * within a microsecond or two, cheaper than a futex sleep and wake-up.
 * Bounded in time, not rounds (a pause lasts 10 to 140 cycles depending
 * on the CPU), and short: when both ends share one CPU every spin is time
 * taken from the peer. */
#define SPIN_NS 3000

static bool moved(uint32_t now, uint32_t seq)
{
    return ((now ^ seq) & ~SN_SEQ_SLEEPER) != 0;
}

static bool spin_for(_Atomic uint32_t *word, uint32_t seq)
{
    int64_t t0 = sn_mono_ns();
    for (int i = 1;; i++) {
        if (moved(atomic_load_explicit(word, memory_order_acquire), seq))
            return true;
        sn_cpu_relax();
        if ((i & 15) == 0) {
            if (sn_mono_ns() - t0 > SPIN_NS)
                return false;
        }
    }
}

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

/* About to sleep on *seq: set the sleeper bit so that the next waker
 * wakes.  False if seq moved since `seen` was read (do not sleep: look
 * again); else *val is the value to sleep on. */
static bool mark_sleeper(_Atomic uint32_t *seq, uint32_t seen, uint32_t *val)
{
    uint32_t v = atomic_fetch_or(seq, SN_SEQ_SLEEPER);
    *val = v | SN_SEQ_SLEEPER;
    return !moved(v, seen);
}

int sn_seq_wait(_Atomic uint32_t *seq, uint32_t seen, bool spin,
                const struct timespec *deadline)
{
    uint32_t val;
    if (spin && spin_until_moved(seq, seen))
        return 0;
    if (!mark_sleeper(seq, seen, &val))
        return 0;
    long r = sn_os_wait(seq, val, deadline);
    if (r == 0 || r == -EAGAIN)         /* woken, or seq already moved */
        return 0;
    return r == -ETIMEDOUT ? -ETIMEDOUT : -EINTR;
}

int sn_seq_wait_watch(_Atomic uint32_t *seq, uint32_t seen, bool spin,
                      _Atomic uint32_t *const *words, const uint32_t *vals,
                      int n, const struct timespec *deadline)
{
    _Atomic uint32_t *w[SN_WATCH_MAX + 1];
    uint32_t v[SN_WATCH_MAX + 1];
    if (n > SN_WATCH_MAX)
        n = SN_WATCH_MAX;
    for (int i = 0; i < n; i++) {
        w[i + 1] = words[i];
        v[i + 1] = vals[i];
    }
    if (spin && spin_until_moved(seq, seen))
        return 0;
    if (!mark_sleeper(seq, seen, &v[0]))
        return 0;
    w[0] = seq;
    long r = sn_os_wait_any(w, v, (unsigned)n + 1, deadline);
    if (r == 0)
        return 0;
    if (r > 0) {
        /* The kernel woke only us; pass it on to the others. */
        sn_os_wake_all(w[r]);
        return 1;
    }
    if (r == -EAGAIN)
        return moved(atomic_load(seq), seen) ? 0 : 1;
    if (r == -ENOSYS)                   /* old kernel: plain wait */
        return sn_seq_wait(seq, seen, spin, deadline);
    return r == -ETIMEDOUT ? -ETIMEDOUT : -EINTR;
}
