/* A socket's doorbells (see sockbell.h). */
#include "core/sockbell.h"

#include <errno.h>

#include "core/bell.h"
#include "core/net.h"
#include "core/sock.h"

/* A socket's bell entry: id << 2 | exclusive << 1 | queued-mark. */
#define ENTRY_ID(v)   ((int)((v) >> 2))
#define ENTRY_EXCL    2u
#define ENTRY_QUEUED  1u

int sn_bell_attach(sn_arena *a, int s, int id, bool exclusive)
{
    sn_sock *k = sn_sock_at(a, s);
    uint32_t v = ((uint32_t)id << 2) | (exclusive ? ENTRY_EXCL : 0u);
    for (int i = 0; i < SN_SOCK_BELLS; i++) {
        uint32_t zero = 0;
        if (atomic_compare_exchange_strong(&k->bells[i], &zero, v)) {
            atomic_fetch_add(&k->nbells, 1);
            return 0;
        }
    }
    return -ENOSPC;
}

void sn_bell_detach(sn_arena *a, int s, int id)
{
    sn_sock *k = sn_sock_at(a, s);
    for (int i = 0; i < SN_SOCK_BELLS; i++) {
        uint32_t v = atomic_load(&k->bells[i]);
        while (v && ENTRY_ID(v) == id) {
            if (atomic_compare_exchange_weak(&k->bells[i], &v, 0)) {
                atomic_fetch_sub(&k->nbells, 1);
                return;
            }
        }
    }
}

/* The queued mark of an entry says "this socket is in the bell's
 * queue".  It changes only under the bell's queue lock: set after the
 * push, cleared when the owner takes the socket.  A process killed
 * anywhere in between leaves the socket queued without the mark (queued
 * again, once more, at the next change), never marked without being
 * queued, which would keep it out of the queue for good.  Clear the marks
 * of bell `id` on k. */
static void unmark(sn_sock *k, int id)
{
    for (int i = 0; i < SN_SOCK_BELLS; i++) {
        uint32_t v = atomic_load(&k->bells[i]);
        while (ENTRY_ID(v) == id && (v & ENTRY_QUEUED) &&
               !atomic_compare_exchange_weak(&k->bells[i], &v, v & ~ENTRY_QUEUED))
            ;
    }
}

int sn_bell_pop(sn_arena *a, int id)
{
    /* Nothing queued: no lock.  A push under way as we look is followed
     * by its ring, which wakes the owner to look again. */
    if (sn_bell_idle(a, id))
        return -1;
    sn_bell_qlock(a, id);
    int s = sn_bell_next(a, id);
    if (sn_bell_take_overflow(a, id)) {
        /* Changes were lost: the owner looks at every socket.  Those
         * still queued are looked at then, so they leave the queue. */
        for (; s >= 0; s = sn_bell_next(a, id))
            unmark(sn_sock_at(a, s), id);
        s = -2;
    } else if (s >= 0) {
        /* The mark goes before the owner looks: a change after this call
         * queues s again. */
        unmark(sn_sock_at(a, s), id);
    }
    sn_bell_qunlock(a, id);
    return s;
}

/* Queue socket s on the bell of its entry e, once until the owner takes
 * it.  (A socket may carry a second entry of the same id: one left by a
 * dead owner whose id was given out again.  Each entry has its mark.) */
static void queue_once(sn_arena *a, int s, int e, int id)
{
    sn_sock *k = sn_sock_at(a, s);
    sn_bell_qlock(a, id);
    uint32_t v = atomic_load(&k->bells[e]);
    if (ENTRY_ID(v) == id && !(v & ENTRY_QUEUED) && sn_bell_push(a, id, s))
        while (ENTRY_ID(v) == id && !(v & ENTRY_QUEUED) &&
               !atomic_compare_exchange_weak(&k->bells[e], &v, v | ENTRY_QUEUED))
            ;
    sn_bell_qunlock(a, id);
}

void sn_bells_ring_sock(sn_arena *a, int s)
{
    sn_sock *k = sn_sock_at(a, s);
    int excl[SN_SOCK_BELLS];
    int nexcl = 0;
    for (int i = 0; i < SN_SOCK_BELLS; i++) {
        uint32_t v = atomic_load(&k->bells[i]);
        if (!v)
            continue;
        int id = ENTRY_ID(v);
        /* Queue the socket once per bell until the owner takes it.  A
         * look without the lock first: marked, it is queued already; an
         * overflowed queue has the owner look at everything (it clears
         * the flag before it looks, and our change is made already). */
        if (a->bells[id - 1].queued && !(v & ENTRY_QUEUED) &&
            !atomic_load(&a->bells[id - 1].overflow))
            queue_once(a, s, i, id);
        if (v & ENTRY_EXCL)
            excl[nexcl++] = id;
        else
            sn_bell_ring(a, id);
    }
    /* EPOLLEXCLUSIVE: one waiter of the group is enough; take turns. */
    if (nexcl)
        sn_bell_ring(a, excl[k->excl_rr++ % (uint32_t)nexcl]);
}

void sn_bells_reap_all(sn_arena *a, int proc)
{
    /* The bell ids proc owns (1..SN_MAX_BELLS), as bits. */
    uint8_t gone[SN_MAX_BELLS / 8 + 1] = {0};
    bool any = false;
    for (uint32_t i = 0; i < a->hdr->bell_hwm; i++)
        if (a->bells[i].owner == proc) {
            gone[(i + 1) / 8] |= (uint8_t)(1u << ((i + 1) % 8));
            any = true;
        }
    sn_bells_reap(a, proc);
    if (!any)
        return;
    /* Their entries on sockets would otherwise stay for the sockets'
     * lives: SN_SOCK_BELLS of them and a socket can be watched by nobody
     * else (a listener shared by workers that die and are replaced). */
    for (uint32_t s = 0; s < a->hdr->sock_hwm; s++) {
        sn_sock *k = sn_sock_at(a, (int)s);
        if (k->state == SN_FREE || !atomic_load(&k->nbells))
            continue;
        for (int e = 0; e < SN_SOCK_BELLS; e++) {
            uint32_t v = atomic_load(&k->bells[e]);
            int id = ENTRY_ID(v);
            if (v && id <= SN_MAX_BELLS && (gone[id / 8] >> (id % 8) & 1) &&
                atomic_compare_exchange_strong(&k->bells[e], &v, 0))
                atomic_fetch_sub(&k->nbells, 1);
        }
    }
}

int sn_bells_stale(sn_arena *a, int s, int *owners, int max)
{
    sn_sock *k = sn_sock_at(a, s);
    int n = 0;
    for (int e = 0; e < SN_SOCK_BELLS; e++) {
        uint32_t v = atomic_load(&k->bells[e]);
        int id = ENTRY_ID(v);
        if (!v || id < 1 || id > SN_MAX_BELLS)
            continue;
        int owner = a->bells[id - 1].owner;
        if (owner < 0) {                /* freed: nobody waits on it */
            if (atomic_compare_exchange_strong(&k->bells[e], &v, 0))
                atomic_fetch_sub(&k->nbells, 1);
        } else if (owner != a->proc && n < max) {
            owners[n++] = owner;
        }
    }
    return n;
}
