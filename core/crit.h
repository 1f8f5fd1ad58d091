/* Critical sections, and THE ONE UPCALL from core to preload.
 *
 * POSIX lets a signal handler call socket(), send(), recv(), close() and
 * the rest; if the handler interrupted its own thread inside the library,
 * it would wait forever for a lock that thread holds, or find state
 * half-written.  So every section that holds a lock, or updates
 * per-thread state in several stores, counts itself in sn_crit.  The
 * library's signal trampoline (preload/signals.c) runs a program's handler
 * at once when sn_crit is 0 and otherwise holds the signal back, sets
 * sn_crit_pending, and sn_crit_leave() lets it go when the count falls back
 * to 0, by calling sn_crit_flush.  Both are per thread: a handler runs on
 * the thread it interrupted, and the count costs no atomic.
 *
 * sn_crit_flush is defined by preload/signals.c: core calling it is the
 * only place where core uses preload, and scripts/check-layers allows it
 * by name (core/LAYERS).  It is a weak symbol, so the core's unit tests
 * (which link no trampoline and so never hold a signal back) leave it
 * NULL; a symbol, not a pointer set at start-up, because a signal may be
 * held back before any constructor of ours has run. */
#ifndef SN_CRIT_H
#define SN_CRIT_H

#include <signal.h>
#include <stdatomic.h>

#define SN_TLS __thread __attribute__((tls_model("initial-exec")))
extern SN_TLS unsigned               sn_crit;
extern SN_TLS volatile sig_atomic_t  sn_crit_pending;

void sn_crit_flush(void) __attribute__((weak));     /* the upcall */

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

#endif
