#include "core/wait.h"

#include <errno.h>

#include "core/sys_linux.h"
#include "core/sock.h"

/* How long to spin before sleeping: on two cores a peer often answers
 * within a few microseconds, cheaper than a futex sleep and wake-up. */
#define SPIN_ROUNDS 200

uint32_t sn_wait_prepare(sn_arena *a, int s)
{
    sn_sock *k = sn_sock_at(a, s);
    atomic_fetch_add(&k->nwait, 1);
    return atomic_load(&k->seq);
}

void sn_wait_done(sn_arena *a, int s)
{
    atomic_fetch_sub(&sn_sock_at(a, s)->nwait, 1);
}

int sn_wait(sn_arena *a, int s, uint32_t seq, const struct timespec *deadline)
{
    sn_sock *k = sn_sock_at(a, s);
    for (int i = 0; i < SPIN_ROUNDS; i++) {
        if (atomic_load_explicit(&k->seq, memory_order_acquire) != seq)
            return 0;
        sn_cpu_relax();
    }
    long r = sn_futex_wait(&k->seq, seq, deadline);
    if (r == 0 || r == -EAGAIN)         /* woken, or seq already moved */
        return 0;
    return r == -ETIMEDOUT ? -ETIMEDOUT : -EINTR;
}

void sn_wake(sn_arena *a, int s)
{
    sn_sock *k = sn_sock_at(a, s);
    atomic_fetch_add(&k->seq, 1);
    if (atomic_load(&k->nwait))
        sn_futex_wake_all(&k->seq);
}
