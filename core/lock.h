/* Process-shared, robust locks living in the arena.
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

typedef pthread_mutex_t sn_lock_t;

void sn_lock_init(sn_lock_t *l);
void sn_lock(sn_lock_t *l);
void sn_unlock(sn_lock_t *l);

#endif
