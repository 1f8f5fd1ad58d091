/* Toxiproxy's slicer and slow close on sockets (core/toxics.h). */
#include "core/toxics.h"

#include "core/clock.h"
#include "core/lock.h"
#include "core/ring.h"
#include "core/sockwait.h"

/* The rule k's slice_rule names, if it still slices: NULL once cleared,
 * or freed and its entry given to another rule (its generation moved
 * on), whose slicing must not apply to bytes sent before it. */
static sn_link *slice_link(sn_arena *a, uint32_t rule)
{
    if (!rule)
        return NULL;
    sn_link *l = &a->links[(rule & 0xFFFF) - 1];
    if (!__atomic_load_n(&l->used, __ATOMIC_ACQUIRE) ||
        __atomic_load_n(&l->gen, __ATOMIC_RELAXED) != (uint16_t)(rule >> 16) ||
        !__atomic_load_n(&l->slice_size, __ATOMIC_RELAXED))
        return NULL;
    return l;
}

void sn_toxics_mark(sn_arena *a, sn_sock *k, sn_sock *p)
{
    sn_link *l = sn_links_slicer(a, sn_sock_end(k), sn_sock_end(p));
    uint32_t rule = l ? (uint32_t)__atomic_load_n(&l->gen, __ATOMIC_RELAXED) << 16 |
                            (uint32_t)(l - a->links + 1)
                      : 0;
    if (rule == atomic_load_explicit(&p->slice_rule, memory_order_relaxed))
        return;
    if (rule)
        atomic_store_explicit(&p->faulty, 1, memory_order_relaxed);
    atomic_store_explicit(&p->slice_rule, rule, memory_order_release);
}

void sn_toxics_open(sn_arena *a, sn_sock *k)
{
    uint32_t rule = atomic_load_explicit(&k->slice_rule, memory_order_acquire);
    sn_link *l = slice_link(a, rule);
    if (!l) {
        /* The rule was cleared (or its entry reused): unless the sender
         * marked another one meanwhile, nothing slices k any more. */
        atomic_compare_exchange_strong(&k->slice_rule, &rule, 0);
        atomic_store(&k->slice_open, 0);
        atomic_store(&k->slice_next, 0);
        return;
    }
    if (atomic_load_explicit(&k->slice_open, memory_order_relaxed))
        return;
    int64_t now = sn_mono_ns();
    if (atomic_load_explicit(&k->slice_next, memory_order_relaxed) > now)
        return;                         /* the next slice is not there yet */
    uint32_t out = atomic_load_explicit(&k->rx.out, memory_order_relaxed);
    sn_lock(&l->lock);                  /* the rule's generator */
    uint32_t size = sn_links_slice(l);
    sn_unlock(&l->lock);
    atomic_store_explicit(&k->slice_end, out + size, memory_order_relaxed);
    atomic_store_explicit(&k->slice_open, 1, memory_order_release);
}

/* A look, written nowhere: poll and epoll call it with no lock, and
 * only the reader (under rx_cons) opens a slice.  A slice not open yet
 * but due shows the least a slice can be; the read that opens it gets
 * its drawn size. */
uint32_t sn_toxics_visible(sn_arena *a, sn_sock *k, uint32_t out, uint32_t used,
                           int64_t now)
{
    sn_link *l = slice_link(a, atomic_load_explicit(&k->slice_rule, memory_order_acquire));
    if (!l)
        return used;                    /* cleared: the next read says so */
    uint32_t vis;
    if (atomic_load_explicit(&k->slice_open, memory_order_acquire)) {
        vis = atomic_load_explicit(&k->slice_end, memory_order_relaxed) - out;
    } else if (atomic_load_explicit(&k->slice_next, memory_order_relaxed) > now) {
        vis = 0;                        /* the next slice is not there yet */
    } else {
        uint32_t size = __atomic_load_n(&l->slice_size, __ATOMIC_RELAXED);
        uint32_t var = __atomic_load_n(&l->slice_var, __ATOMIC_RELAXED);
        vis = size > var ? size - var : 1;
    }
    return vis < used ? vis : used;
}

/* The next slice opens its rule's delay after this one was read. */
void sn_toxics_read(sn_arena *a, sn_sock *k, int64_t now)
{
    uint32_t out = atomic_load_explicit(&k->rx.out, memory_order_relaxed);
    uint32_t end = atomic_load_explicit(&k->slice_end, memory_order_relaxed);
    if (!atomic_load(&k->slice_open) || (int32_t)(end - out) > 0)
        return;
    sn_link *l = slice_link(a, atomic_load(&k->slice_rule));
    int64_t delay = l ? __atomic_load_n(&l->slice_delay_ns, __ATOMIC_RELAXED) : 0;
    atomic_store(&k->slice_next, delay ? now + delay : 0);
    atomic_store_explicit(&k->slice_open, 0, memory_order_release);
}

void sn_toxics_after_read_slow(sn_arena *a, int s)
{
    sn_sock *k = sn_sock_at(a, s);
    /* the FIN too, when the last slice is read: it came long before,
     * its event was taken by an earlier report; and a slow close's FIN
     * not yet due, so that epoll looks again when it is
     * (sn_toxics_fin_arrives) */
    if ((atomic_load_explicit(&k->slice_rule, memory_order_relaxed) &&
         (sn_ring_used(&k->rx) || (atomic_load(&k->shut) & SN_PEER_FIN))) ||
        atomic_load_explicit(&k->fin_due, memory_order_relaxed))
        sn_wake_ev(a, s, SN_EV_IN);
}

int64_t sn_toxics_due(sn_sock *k, int64_t now)
{
    int64_t t[2] = {atomic_load_explicit(&k->fin_due, memory_order_relaxed),
                    atomic_load_explicit(&k->slice_rule, memory_order_relaxed)
                        ? atomic_load_explicit(&k->slice_next, memory_order_relaxed) : 0};
    int64_t due = 0;
    for (int i = 0; i < 2; i++)
        if (t[i] > now && (!due || t[i] < due))
            due = t[i];
    return due;
}

/* A slow close's FIN is due: it makes an input event then, as it would
 * arriving on Linux (its own event, at the close, may have been taken by
 * a report of the bytes before it: an edge-triggered epoll needs this
 * one). */
void sn_toxics_fin_arrives(sn_arena *a, int s, int64_t now)
{
    sn_sock *k = sn_sock_at(a, s);
    int64_t due = atomic_load(&k->fin_due);
    if (due && due <= now && atomic_compare_exchange_strong(&k->fin_due, &due, 0))
        sn_wake_ev(a, s, SN_EV_IN);
}
