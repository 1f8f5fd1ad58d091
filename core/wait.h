/* Waiting and waking on a sequence word, across processes.  A leaf over
 * the OS's word waits (core/futex.h); a socket's word and what it watches
 * are core/sockwait.h's.
 *
 * The word is bumped by whoever changes something a waiter could be
 * waiting for.  Bit 0 (SN_SEQ_SLEEPER) says a thread may sleep on it; the
 * other bits count changes.  A waiter reads the word, re-checks its
 * condition, spins a little, then sets the sleeper bit and sleeps on the
 * word.  A waker bumps the count and wakes (all) only when it finds the
 * bit, which it clears: one system call per sleep, not per change.  The
 * bit lives in the word the kernel compares, so a sleeper either sees the
 * word change or is asleep when the waker looks (a flag kept in another
 * word could be cleared by a waker whose change the sleeper had already
 * seen, and the next change would then wake nobody).
 *
 * Restart semantics come from the kernel itself: an untimed wait is
 * restarted after a SA_RESTART handler and fails with EINTR otherwise; a
 * timed one always fails with EINTR.  That is exactly Linux's rule for a
 * blocking recv without and with SO_RCVTIMEO. */
#ifndef SN_WAIT_H
#define SN_WAIT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "core/futex.h"

#define SN_SEQ_SLEEPER 1u
#define SN_SEQ_STEP    2u
#define SN_WATCH_MAX   32

/* Sleep until *seq moves away from `seen` or the CLOCK_MONOTONIC deadline
 * passes (NULL: none); spin first when `spin` (the waker may run on
 * another CPU).  0, -ETIMEDOUT or -EINTR. */
int  sn_seq_wait(_Atomic uint32_t *seq, uint32_t seen, bool spin,
                 const struct timespec *deadline);
/* As sn_seq_wait, and also wake when one of the n words (<= SN_WATCH_MAX)
 * moves from its value.  1 when one of them woke us (or may have), else
 * as sn_seq_wait. */
int  sn_seq_wait_watch(_Atomic uint32_t *seq, uint32_t seen, bool spin,
                       _Atomic uint32_t *const *words, const uint32_t *vals,
                       int n, const struct timespec *deadline);
/* A change: bump the count, wake the sleepers if the bit says any.
 * Inline: every send and receive calls it. */
static inline void sn_seq_bump(_Atomic uint32_t *seq)
{
    uint32_t old = atomic_fetch_add(seq, SN_SEQ_STEP);
    /* Someone marked the word: clear the mark and wake every sleeper.
     * One who goes back to sleep marks it again, so a burst of sends to
     * a sleeping reader costs one wake, not one per send.  A thread that
     * marks the word between our add and our clear sleeps on a value the
     * clear changes: its wait returns at once. */
    if (old & SN_SEQ_SLEEPER) {
        atomic_fetch_and(seq, ~SN_SEQ_SLEEPER);
        sn_os_wake_all(seq);
    }
}

#endif
