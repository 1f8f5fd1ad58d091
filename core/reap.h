/* Processes that are gone: releasing what they held (their sockets,
 * their bells) and freeing their entries.  Control-plane lock held. */
#ifndef SN_REAP_H
#define SN_REAP_H

#include <stdbool.h>

#include "core/arena.h"

/* Release every socket held by entry i, its bells, and free it. */
void sn_reap_proc(sn_arena *a, int i);
/* Reap entry i if its process is gone; true if it was. */
bool sn_reap_if_gone(sn_arena *a, int i);
/* Reap every process that is gone. */
void sn_reap_sweep(sn_arena *a);
/* An entry for a new process: a free one, else one whose process is gone
 * (reaped first).  -EMFILE when full. */
int  sn_reap_entry(sn_arena *a);

#endif
