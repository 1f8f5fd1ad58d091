/* Waiting and waking across processes.
 *
 * Each socket has a sequence word, bumped by whoever changes something a
 * waiter could be waiting for (data in, room freed, a connection, a close).
 * A waiter reads seq (sn_wait_prepare), re-checks its condition, spins a
 * little, then sets the word's sleeper bit and sleeps in FUTEX_WAIT on
 * it.  The futex is not FUTEX_PRIVATE: the word is in a MAP_SHARED file,
 * so the kernel keys it by (inode, offset) and any process can wake it.
 * A waker bumps the count and calls FUTEX_WAKE (all) only when it finds
 * the sleeper bit, which it clears: one system call per sleep, not per
 * change.  Because the bit is in the word the futex compares, a sleeper
 * either sees the word change or is asleep when the waker looks.
 *
 * Restart semantics come from the kernel itself: an untimed FUTEX_WAIT is
 * restarted after a SA_RESTART handler and fails with EINTR otherwise; a
 * timed one always fails with EINTR.  That is exactly Linux's rule for a
 * blocking recv without and with SO_RCVTIMEO.
 */
#ifndef SN_WAIT_H
#define SN_WAIT_H

#include <stdint.h>
#include <time.h>

#include "core/arena.h"

/* The seq to sleep on: read it before looking at the condition. */
uint32_t sn_wait_prepare(sn_arena *a, int s);
/* Sleep until seq moves away from `seq` or the CLOCK_MONOTONIC deadline
 * passes (NULL: none).  0, -ETIMEDOUT or -EINTR. */
int      sn_wait(sn_arena *a, int s, uint32_t seq, const struct timespec *deadline);
/* Something changed on socket s: bump seq, wake futex sleepers, ring its
 * doorbells.  `ev` says which kind (edge-triggered epoll reports an edge
 * per new event of the kind it waits for). */
#define SN_EV_IN  1
#define SN_EV_OUT 2
void     sn_wake_ev(sn_arena *a, int s, int ev);
static inline void sn_wake(sn_arena *a, int s) { sn_wake_ev(a, s, SN_EV_IN | SN_EV_OUT); }
/* As sn_wait, and also wake when one of the processes `procs` dies
 * (core/procs.h).  Returns 1 when a watched process may have died (the
 * caller collects it and retries), else as sn_wait. */
int      sn_wait_watch(sn_arena *a, int s, uint32_t seq, const int *procs,
                       int n, const struct timespec *deadline);
#define SN_WATCH_MAX 32

#endif
