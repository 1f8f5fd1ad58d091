/* Waiting on a socket, and telling its waiters that it changed: the
 * socket's sequence word (core/wait.h), the alive words of the processes
 * whose death would end the wait (core/procs.h), its doorbells
 * (core/sockbell.h).  The waiting side is in core/net.h (preload waits). */
#ifndef SN_SOCKWAIT_H
#define SN_SOCKWAIT_H

#include "core/arena.h"

/* Something changed on socket s: bump seq, wake sleepers, ring its
 * doorbells.  `ev` says which kind (edge-triggered epoll reports an edge
 * per new event of the kind it waits for). */
#define SN_EV_IN  1
#define SN_EV_OUT 2
void sn_wake_ev(sn_arena *a, int s, int ev);
static inline void sn_wake(sn_arena *a, int s) { sn_wake_ev(a, s, SN_EV_IN | SN_EV_OUT); }

#endif
