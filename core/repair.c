/* After a death inside the control-plane lock (see repair.h).
 *
 * Every update of the tables below happens under the lock, so when its
 * owner died the only damage is that owner's half-done update: a slot
 * taken but never set up, a server end made but not yet queued (or popped
 * by an accept that never took it), a holder bit without its count, a
 * chain or free list half-linked.  Rather than replay each step, rebuild
 * what can be derived from the sockets themselves.  Rare, and O(sockets). */
#include "core/repair.h"

#include "core/lifetime.h"
#include "core/lqueue.h"
#include "core/ports.h"
#include "core/sock.h"

static uint32_t count_holders(const sn_sock *k)
{
    uint32_t n = 0;
    for (int i = 0; i < SN_MAX_PROCS / 8; i++)
        n += (uint32_t)__builtin_popcount(k->holders[i]);
    return n;
}

static bool valid_listener(sn_arena *a, int l)
{
    return l >= 0 && (uint32_t)l < a->hdr->sock_hwm &&
           sn_sock_at(a, l)->state == SN_LISTEN;
}

/* Listener queues, from each socket's `listener` field (in slot order:
 * the accept order of pending connections is not kept). */
static void requeue_all(sn_arena *a)
{
    uint32_t hwm = a->hdr->sock_hwm;
    for (uint32_t s = 0; s < hwm; s++) {
        sn_sock *k = sn_sock_at(a, (int)s);
        if (k->state == SN_LISTEN) {
            k->acc_head = k->acc_tail = k->syn_head = k->syn_tail = -1;
            k->acc_len = 0;
        }
    }
    for (uint32_t s = 0; s < hwm; s++) {
        sn_sock *k = sn_sock_at(a, (int)s);
        if (k->state == SN_FREE || k->listener < 0)
            continue;
        if (!valid_listener(a, k->listener)) {
            k->listener = -1;
            if (k->state == SN_CONNECTING)
                sn_sock_refuse(a, (int)s);
            continue;
        }
        sn_sock *L = sn_sock_at(a, k->listener);
        if (k->state == SN_CONNECTING) {
            sn_q_push(a, &L->syn_head, &L->syn_tail, (int)s);
        } else if (k->nref == 0) {
            sn_q_push(a, &L->acc_head, &L->acc_tail, (int)s);
            L->acc_len++;
        } else {
            k->listener = -1;       /* accepted: the accept died after */
        }
    }
}

void sn_repair(sn_arena *a)
{
    sn_hdr *h = a->hdr;
    uint32_t hwm = h->sock_hwm;
    for (uint32_t s = 0; s < hwm; s++) {
        sn_sock *k = sn_sock_at(a, (int)s);
        if (k->state != SN_FREE)
            k->nref = count_holders(k);
    }
    sn_ports_rebuild(a);
    requeue_all(a);
    /* Held by nobody, in no queue, in no message: nobody can ever close
     * it. */
    for (uint32_t s = 0; s < hwm; s++) {
        sn_sock *k = sn_sock_at(a, (int)s);
        if (k->state != SN_FREE && k->nref == 0 && !k->inflight && k->listener < 0)
            sn_sock_destroy(a, (int)s);
    }
    h->sock_free = -1;
    h->nsocks = 0;
    for (uint32_t s = hwm; s-- > 0;) {
        sn_sock *k = sn_sock_at(a, (int)s);
        if (k->state == SN_FREE) {
            k->next = h->sock_free;
            h->sock_free = (int32_t)s;
        } else {
            h->nsocks++;
        }
    }
}
