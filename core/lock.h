/* Process-shared, robust locks living in the arena, and the critical
 * sections signals must not interrupt.
 *
 * Every lock in shared memory is a pthread mutex with PTHREAD_PROCESS_SHARED
 * and PTHREAD_MUTEX_ROBUST: a process killed while holding one must not wedge
 * the network.  sn_lock() hides EOWNERDEAD: the state it protects is made of
 * fields each written with a single store, so the next owner marks the mutex
 * consistent and goes on.
 *
 * Lock order (never take them in the other direction):
 *   arena->lock  ->  sock->rx_prod / sock->rx_cons  ->  arena->heap_lock
 */
#ifndef SN_LOCK_H
#define SN_LOCK_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdatomic.h>

typedef pthread_mutex_t sn_lock_t;

void sn_lock_init(sn_lock_t *l);
void sn_lock(sn_lock_t *l);      /* a critical section: counts in sn_crit */
bool sn_lock_recover(sn_lock_t *l);   /* sn_lock; true if the owner had died */
void sn_unlock(sn_lock_t *l);
void sn_lock_forever(sn_lock_t *l);   /* held for a lifetime: not counted */

/* Critical sections and signal handlers.  POSIX lets a signal handler call
 * socket(), send(), recv(), close() and the rest; if the handler
 * interrupted its own thread inside the library, it would wait forever for
 * a lock that thread holds, or find state half-written.  So every section
 * that holds a lock, or updates per-thread state in several stores, counts
 * itself in sn_crit.  The library's signal trampoline (preload/signals.c)
 * runs a program's handler at once when sn_crit is 0 and otherwise holds the
 * signal back, sets sn_crit_pending, and sn_crit_leave() lets it go when the
 * count falls back to 0 (through sn_crit_flush).  Both are per thread: a handler
 * runs on the thread it interrupted, and the count costs no atomic. */
#define SN_TLS __thread __attribute__((tls_model("initial-exec")))
extern SN_TLS unsigned               sn_crit;
extern SN_TLS volatile sig_atomic_t  sn_crit_pending;
/* Defined by preload/signals.c; weak, so the core's unit tests (which
 * link no trampoline and so never hold a signal back) leave it NULL.  A
 * symbol, not a pointer set at start-up: a signal may be held back before
 * any constructor of ours has run. */
void sn_crit_flush(void) __attribute__((weak));

static inline void sn_crit_enter(void)
{
    sn_crit++;
    atomic_signal_fence(memory_order_seq_cst);
}

static inline void sn_crit_leave(void)
{
    atomic_signal_fence(memory_order_seq_cst);
    if (--sn_crit == 0 && sn_crit_pending && sn_crit_flush)
        sn_crit_flush();
}

/* The same for the library's process-local pthread mutexes. */
static inline void sn_plock(pthread_mutex_t *m)
{
    sn_crit_enter();
    pthread_mutex_lock(m);
}

static inline void sn_punlock(pthread_mutex_t *m)
{
    pthread_mutex_unlock(m);
    sn_crit_leave();
}

#endif
