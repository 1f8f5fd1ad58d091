/* Waiting on a socket and waking it (see sockwait.h). */
#include "core/sockwait.h"

#include "core/futex.h"
#include "core/net.h"
#include "core/procs.h"
#include "core/sock.h"
#include "core/sockbell.h"
#include "core/wait.h"

uint32_t sn_wait_prepare(sn_arena *a, int s)
{
    return atomic_load(&sn_sock_at(a, s)->seq);
}

/* Our peer last ran on this very CPU: it cannot answer while we spin. */
static bool peer_here(sn_arena *a, sn_sock *k)
{
    sn_sock *p = sn_sock_peer(a, k, NULL);
    return p && atomic_load_explicit(&p->cpu, memory_order_relaxed) == sn_os_cpu();
}

int sn_wait(sn_arena *a, int s, uint32_t seq, const struct timespec *deadline)
{
    sn_sock *k = sn_sock_at(a, s);
    return sn_seq_wait(&k->seq, seq, !peer_here(a, k), deadline);
}

int sn_wait_watch(sn_arena *a, int s, uint32_t seq, const int *procs,
                  int n, const struct timespec *deadline)
{
    sn_sock *k = sn_sock_at(a, s);
    _Atomic uint32_t *words[SN_WATCH_MAX];
    uint32_t vals[SN_WATCH_MAX];
    if (n > SN_WATCH_MAX)
        n = SN_WATCH_MAX;
    for (int i = 0; i < n; i++)
        if (!sn_proc_watch(a, procs[i], &words[i], &vals[i]))
            return 1;               /* looks dead already: collect it */
    return sn_seq_wait_watch(&k->seq, seq, !peer_here(a, k), words, vals, n,
                             deadline);
}

void sn_wake_ev(sn_arena *a, int s, int ev)
{
    sn_sock *k = sn_sock_at(a, s);
    if (ev & SN_EV_IN)
        atomic_fetch_add(&k->ev_in, 1);
    if (ev & SN_EV_OUT)
        atomic_fetch_add(&k->ev_out, 1);
    sn_seq_bump(&k->seq);
    if (atomic_load(&k->nbells))
        sn_bells_ring_sock(a, s);
}
