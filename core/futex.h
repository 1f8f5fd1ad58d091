/* OS interface: waiting and waking on a 32-bit word in shared memory.
 *
 * The word may be in a MAP_SHARED file mapped by several processes; a
 * waker in any of them wakes a sleeper in any other.  Linux: futex and
 * futex_waitv (core/futex_linux.c).  A macOS port supplies the same
 * functions over __ulock_wait2/__ulock_wake with UL_COMPARE_AND_WAIT_SHARED
 * (or os_sync_wait_on_address); it has no wait on several words, so
 * sn_os_wait_any answers -ENOSYS there and callers fall back to one word.
 *
 * None of these touches errno. */
#ifndef SN_FUTEX_H
#define SN_FUTEX_H

#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

/* Sleep while *word == val, until the absolute CLOCK_MONOTONIC deadline
 * (NULL: forever).  0 (woken), -EAGAIN (the word already differed),
 * -ETIMEDOUT or -EINTR.  An untimed wait is restarted by the kernel after
 * an SA_RESTART handler; a timed one always ends with -EINTR. */
long sn_os_wait(_Atomic uint32_t *word, uint32_t val,
                const struct timespec *deadline);
/* Sleep while every words[i] == vals[i] (n <= 33).  The index of the word
 * that woke us, or -errno as sn_os_wait; -ENOSYS where the system cannot
 * wait on several words. */
long sn_os_wait_any(_Atomic uint32_t *const *words, const uint32_t *vals,
                    unsigned n, const struct timespec *deadline);
void sn_os_wake_all(_Atomic uint32_t *word);

/* The CPU this thread runs on, or -1 (for the spin-or-sleep choice).
 * Inline: the data path records it on every send and receive. */
static inline int sn_os_cpu(void)
{
#ifdef __linux__
    return sched_getcpu();
#else
    return -1;
#endif
}

static inline void sn_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

#endif
