/* Process-shared, robust locks living in the arena; every lock is a
 * critical section (core/crit.h).
 *
 * Every lock in shared memory is a pthread mutex with PTHREAD_PROCESS_SHARED
 * and PTHREAD_MUTEX_ROBUST: a process killed while holding one must not wedge
 * the network.  sn_lock() hides EOWNERDEAD: the state it protects is made of
 * fields each written with a single store, so the next owner marks the mutex
 * consistent and goes on.
 *
 * Lock order (never take them in the other direction):
 *   hdr->lock (the control-plane lock, core/repair.h)  ->
 *   sock->rx_prod / sock->rx_cons  ->  hdr->heap_lock, bell->qlock
 */
#ifndef SN_LOCK_H
#define SN_LOCK_H

#include <pthread.h>
#include <stdbool.h>

#include "core/crit.h"

typedef pthread_mutex_t sn_lock_t;

void sn_lock_init(sn_lock_t *l);
void sn_lock(sn_lock_t *l);      /* a critical section: counts in sn_crit */
bool sn_lock_recover(sn_lock_t *l);   /* sn_lock; true if the owner had died */
void sn_unlock(sn_lock_t *l);
void sn_lock_forever(sn_lock_t *l);   /* held for a lifetime: not counted */
void sn_unlock_forever(sn_lock_t *l);

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
