/* Socket slots: allocation from the socket table and its free list.
 * Control-plane lock held. */
#ifndef SN_SLOTS_H
#define SN_SLOTS_H

#include "core/sock.h"

/* A fresh slot (fields from `state` on zeroed, links -1), or -ENOBUFS. */
int  sn_slot_alloc(sn_arena *a);
/* Give the slot back: its ring freed (under both ring locks, so a sender
 * holding rx_prod never writes freed memory), its generation bumped. */
void sn_slot_free(sn_arena *a, int s);

#endif
