/* The doorbell table: how a process sleeping in the kernel (poll, select,
 * epoll_wait) learns that a simulated socket changed.  A leaf over the
 * arena; which bells a socket rings is core/sockbell.h's.
 *
 * A doorbell is a kernel object bound to a name made of the network's
 * token and the bell's id (core/belltx.h); any process of the network can
 * ring it.  The waiter puts its bell's fd in the set it hands to the
 * kernel, and attaches the bell to the simulated sockets it waits for.
 *
 * `pending` makes a ring cost one system call per sleep, not per event:
 * it holds the time the bell was rung (ms, never 0) until the owner
 * drains it; a ringer sends only when it takes the flag from 0 (or from a
 * time older than 100 ms, or from a taker whose alive word reads dead:
 * a ringer killed between flag and send must not silence the bell).  The owner drains the fd, then clears
 * pending, then looks at its sockets again.
 *
 * A queued bell (epoll) also records which sockets changed, so that its
 * waiter looks at those only; the queue has its own leaf lock. */
#ifndef SN_BELL_H
#define SN_BELL_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "core/arena.h"

/* Control-plane lock held: a free bell for this process, id > 0, or
 * -ENOSPC; free it again. */
int  sn_bell_take(sn_arena *a, bool queued);
void sn_bell_put(sn_arena *a, int id);
/* Control-plane lock held: free every bell owned by process `proc`. */
void sn_bells_reap(sn_arena *a, int proc);
/* The address the owner binds its bell to: token, id and the id's
 * allocation count (a child may still hold the socket of the id's
 * previous owner, bound to the previous name). */
socklen_t sn_bell_name(sn_arena *a, int id, struct sockaddr_un *out);
void sn_bell_ring(sn_arena *a, int id);
/* This process's socket for ringing (a->bell_tx), made if missing:
 * 0 or -errno. */
int  sn_bell_tx_open(sn_arena *a);
void sn_bell_rearm(sn_arena *a, int id);     /* after draining the fd */
/* Queued bells, with the bell's queue lock held (sn_bell_qlock): record
 * socket slot s, false when the queue is full (it is then marked
 * overflowed); take the next one: slot, or -1 when empty; take the
 * overflow mark.  The caller keeps a per-socket mark "queued" and changes
 * it under the same lock (core/sockbell.c). */
static inline void sn_bell_qlock(sn_arena *a, int id)
{
    sn_lock(&a->bells[id - 1].qlock);
}
static inline void sn_bell_qunlock(sn_arena *a, int id)
{
    sn_unlock(&a->bells[id - 1].qlock);
}
bool sn_bell_push(sn_arena *a, int id, int s);
int  sn_bell_next(sn_arena *a, int id);
bool sn_bell_take_overflow(sn_arena *a, int id);
/* Without the lock: nothing queued and no overflow (a racy look; the
 * ring that follows a push corrects it). */
static inline bool sn_bell_idle(sn_arena *a, int id)
{
    sn_bell *b = &a->bells[id - 1];
    return __atomic_load_n(&b->qlen, __ATOMIC_SEQ_CST) == 0 && !atomic_load(&b->overflow);
}

#endif
