/* Robust process-shared locks (see lock.h). */
#include "core/lock.h"

#include <errno.h>

void sn_lock_init(sn_lock_t *l)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(l, &a);
    pthread_mutexattr_destroy(&a);
}

static bool take(sn_lock_t *l)
{
    /* EOWNERDEAD: the previous owner died inside its critical section.  We
     * now own the lock; declare it usable again rather than leave every
     * later caller with ENOTRECOVERABLE. */
    if (pthread_mutex_lock(l) != EOWNERDEAD)
        return false;
    pthread_mutex_consistent(l);
    return true;
}

void sn_lock(sn_lock_t *l)
{
    sn_lock_recover(l);
}

bool sn_lock_recover(sn_lock_t *l)
{
    sn_crit_enter();   /* before the lock: a signal in between must wait */
    return take(l);
}

void sn_unlock(sn_lock_t *l)
{
    pthread_mutex_unlock(l);
    sn_crit_leave();
}

void sn_lock_forever(sn_lock_t *l)
{
    take(l);
}

void sn_unlock_forever(sn_lock_t *l)
{
    pthread_mutex_unlock(l);
}
