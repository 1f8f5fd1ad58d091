/* Socket slots (see slots.h), and the socket's identity for preload. */
#include "core/slots.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "core/heap.h"
#include "core/net.h"
#include "core/sockwait.h"

int sn_slot_alloc(sn_arena *a)
{
    sn_hdr *h = a->hdr;
    int s;
    if (h->sock_free >= 0) {
        s = h->sock_free;
        h->sock_free = a->socks[s].next;
    } else if (h->sock_hwm < SN_MAX_SOCKS) {
        /* A new slot's memory is reserved first (a chunk at a time): with
         * no room in the file system, socket() fails with ENOBUFS, as
         * Linux's does when it cannot allocate a sock. */
        if (sn_arena_reserve_socks(a, h->sock_hwm) < 0)
            return -ENOBUFS;
        s = (int)h->sock_hwm++;
        sn_sock *k = sn_sock_at(a, s);
        sn_lock_init(&k->rx_prod);
        sn_lock_init(&k->rx_cons);
    } else {
        return -ENOBUFS;
    }
    sn_sock *k = sn_sock_at(a, s);
    memset(&k->state, 0, sizeof *k - offsetof(sn_sock, state));
    k->next = k->acc_head = k->acc_tail = k->syn_head = k->syn_tail = -1;
    k->qnext = k->listener = -1;
    k->peer_ref = -1;
    h->nsocks++;
    return s;
}

void sn_slot_free(sn_arena *a, int s)
{
    sn_sock *k = sn_sock_at(a, s);
    sn_lock(&k->rx_prod);
    sn_lock(&k->rx_cons);
    if (k->rx.off)
        sn_heap_free(a, k->rx.off, k->rx.cap, k->rx.room);
    if (k->timed)                       /* delay stamps (core/faults.h) */
        sn_heap_free(a, k->st_off, SN_STAMP_BLOCK, k->st_room);
    atomic_store(&k->timed, 0);
    memset(&k->rx, 0, sizeof k->rx);
    k->state = SN_FREE;
    k->gen++;
    sn_unlock(&k->rx_cons);
    sn_unlock(&k->rx_prod);
    k->next = a->hdr->sock_free;
    a->hdr->sock_free = s;
    a->hdr->nsocks--;
    sn_wake(a, s);
}

void sn_sock_set_ident(sn_arena *a, int s, uint64_t dev, uint64_t ino)
{
    sn_sock *k = sn_sock_at(a, s);
    k->dev = dev;
    k->ino = ino;
}

int sn_sock_find_ident(sn_arena *a, uint64_t dev, uint64_t ino)
{
    uint32_t hwm = a->hdr->sock_hwm;
    for (uint32_t s = 0; s < hwm; s++) {
        sn_sock *k = sn_sock_at(a, (int)s);
        if (k->state != SN_FREE && k->ino == ino && k->dev == dev)
            return (int)s;
    }
    return -1;
}
