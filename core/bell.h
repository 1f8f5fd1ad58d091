/* Doorbells: waking a process that sleeps in the kernel (poll, select,
 * epoll_wait) when a simulated socket changes.
 *
 * A doorbell is an AF_UNIX datagram socket bound to an abstract name made
 * of the network's token and the bell's id; any process of the network can
 * ring it by sending one byte there.  The waiter puts its bell's fd in the
 * set it hands to the kernel, and attaches the bell to the simulated
 * sockets it waits for (up to SN_SOCK_BELLS per socket).  sn_wake() rings
 * every bell attached to the socket -- only one of the EPOLLEXCLUSIVE
 * ones -- and nothing when none is attached.
 *
 * `pending` makes a ring cost one system call per sleep, not per event:
 * a ringer sends only when it flips pending from 0 to 1; the owner drains
 * the fd, then clears pending, then looks at its sockets again.
 */
#ifndef SN_BELL_H
#define SN_BELL_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "core/arena.h"

/* id > 0, or -ENOSPC.  `queued`: the bell also records which attached
 * sockets changed (epoll), so a waiter looks at those only. */
int  sn_bell_alloc(sn_arena *a, bool queued);
void sn_bell_free(sn_arena *a, int id);
/* The abstract address the owner binds its bell socket to: token, id and
 * the id's allocation count (a child may still hold the socket of the
 * id's previous owner, bound to the previous name). */
socklen_t sn_bell_name(sn_arena *a, int id, struct sockaddr_un *out);
void sn_bell_ring(sn_arena *a, int id);
/* This process's socket for ringing (a->bell_tx), made if missing:
 * 0 or -errno. */
int  sn_bell_tx_open(sn_arena *a);
void sn_bell_rearm(sn_arena *a, int id);     /* after draining the fd */
/* Attach to / detach from socket s.  -ENOSPC when s has no free place. */
int  sn_bell_attach(sn_arena *a, int s, int id, bool exclusive);
void sn_bell_detach(sn_arena *a, int s, int id);
/* Next changed socket from a queued bell: slot, -1 when empty, -2 when
 * the queue overflowed (look at every socket).  The socket's "queued" mark
 * is cleared first, so a change after this call queues it again. */
int  sn_bell_pop(sn_arena *a, int id);
/* Ring what socket s has attached (called by sn_wake). */
void sn_bells_ring_sock(sn_arena *a, int s);
/* Arena lock held: free every bell owned by process `proc`. */
void sn_bells_reap(sn_arena *a, int proc);

#endif
