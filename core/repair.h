/* The control-plane lock (hdr->lock), and the repair its next owner runs
 * when an owner died inside it.
 *
 * Under it: the socket table (slots, free list, holders), port chains,
 * listener queues, peer links, process entries, the bell table, TIME_WAIT.
 * Not under it: the data path (rx_prod / rx_cons), the heap (its own leaf
 * lock), a bell's queue (its own leaf lock), sequence words and the
 * readiness counters (atomics).  Preload never takes it: it calls the
 * operations of core/net.h, which do. */
#ifndef SN_REPAIR_H
#define SN_REPAIR_H

#include "core/arena.h"

/* Make the tables whole again after an owner of the lock died half-way
 * through an update (repair.c).  Lock held. */
void sn_repair(sn_arena *a);

static inline void sn_ctl_lock(sn_arena *a)
{
    if (__builtin_expect(sn_lock_recover(&a->hdr->lock), 0))
        sn_repair(a);
}

static inline void sn_ctl_unlock(sn_arena *a) { sn_unlock(&a->hdr->lock); }

#endif
