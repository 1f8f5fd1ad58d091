/* Holders of a socket (see holders.h). */
#include "core/holders.h"

#include "core/lifetime.h"
#include "core/net.h"
#include "core/repair.h"

void sn_sock_set_holder(sn_sock *k, int proc)
{
    uint8_t bit = (uint8_t)(1u << (proc % 8));
    if (!(k->holders[proc / 8] & bit)) {
        k->holders[proc / 8] |= bit;
        k->nref++;
    }
}

void sn_sock_drop_holder(sn_arena *a, int s, int proc)
{
    sn_sock *k = sn_sock_at(a, s);
    uint8_t bit = (uint8_t)(1u << (proc % 8));
    if (k->state == SN_FREE || !(k->holders[proc / 8] & bit))
        return;
    k->holders[proc / 8] &= (uint8_t)~bit;
    /* A copy in flight in an SCM_RIGHTS message keeps it alive: its
     * receiver will hold it (a message never received leaks it). */
    if (--k->nref == 0 && !k->inflight)
        sn_sock_destroy(a, s);
}

int sn_sock_holders_of(sn_arena *a, const sn_sock *k, int *procs, int max)
{
    int n = 0;
    for (int i = 0; i < SN_MAX_PROCS / 8 && n < max; i++) {
        uint8_t b = k->holders[i];
        for (int j = 0; b && j < 8 && n < max; j++, b >>= 1)
            if ((b & 1) && i * 8 + j != a->proc)
                procs[n++] = i * 8 + j;
    }
    return n;
}

/* ---- operations for preload (they take the lock) ---- */

void sn_sock_hold(sn_arena *a, int s)
{
    sn_ctl_lock(a);
    if (sn_sock_at(a, s)->state != SN_FREE)
        sn_sock_set_holder(sn_sock_at(a, s), a->proc);
    sn_ctl_unlock(a);
}

void sn_sock_release(sn_arena *a, int s)
{
    sn_ctl_lock(a);
    sn_sock_drop_holder(a, s, a->proc);
    sn_ctl_unlock(a);
}

static void recv_copy(sn_sock *k)
{
    if (k->state != SN_FREE && k->inflight)
        k->inflight--;
}

void sn_sock_send_copy(sn_arena *a, int s)
{
    sn_ctl_lock(a);
    if (sn_sock_at(a, s)->state != SN_FREE)
        sn_sock_at(a, s)->inflight++;
    sn_ctl_unlock(a);
}

void sn_sock_recv_copy(sn_arena *a, int s)
{
    sn_ctl_lock(a);
    recv_copy(sn_sock_at(a, s));
    sn_ctl_unlock(a);
}

int sn_sock_adopt(sn_arena *a, uint64_t dev, uint64_t ino)
{
    sn_ctl_lock(a);
    int s = sn_sock_find_ident(a, dev, ino);
    if (s >= 0) {
        sn_sock_set_holder(sn_sock_at(a, s), a->proc);
        recv_copy(sn_sock_at(a, s));
    }
    sn_ctl_unlock(a);
    return s;
}

void sn_sock_hold_each(sn_arena *a, int proc, const uint32_t *refs, int n)
{
    sn_ctl_lock(a);
    for (int s = 0; s < n; s++)
        if (refs[s] && sn_sock_at(a, s)->state != SN_FREE)
            sn_sock_set_holder(sn_sock_at(a, s), proc);
    sn_ctl_unlock(a);
}

void sn_sock_sync_holds(sn_arena *a, const uint32_t *refs, int n)
{
    int me = a->proc;
    sn_ctl_lock(a);
    for (uint32_t s = 0; s < a->hdr->sock_hwm && (int)s < n; s++) {
        sn_sock *k = sn_sock_at(a, (int)s);
        if (k->state == SN_FREE)
            continue;
        bool held = sn_sock_held_by(k, me);
        if (refs[s] && !held)
            sn_sock_set_holder(k, me);
        else if (!refs[s] && held)
            sn_sock_drop_holder(a, (int)s, me);
    }
    sn_ctl_unlock(a);
}

int sn_sock_watch(sn_arena *a, int s, int *procs, int max)
{
    sn_sock *k = sn_sock_at(a, s);
    if (k->type != SOCK_STREAM)
        return 0;
    if (k->state == SN_CONNECTING && k->listener >= 0)
        return sn_sock_holders_of(a, sn_sock_at(a, k->listener), procs, max);
    sn_sock *p = sn_sock_peer(a, k, NULL);
    if (!p)
        return 0;
    /* Not accepted yet: its fate is the listener's. */
    if (p->nref == 0 && p->listener >= 0)
        return sn_sock_holders_of(a, sn_sock_at(a, p->listener), procs, max);
    return sn_sock_holders_of(a, p, procs, max);
}
