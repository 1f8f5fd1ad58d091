/* The doorbells attached to a socket (up to SN_SOCK_BELLS): sn_wake rings
 * every one -- only one of the EPOLLEXCLUSIVE ones, in turn -- and queues
 * the socket on each queued (epoll) bell once until its owner takes it.
 * Attach, detach and pop are in core/net.h (preload calls them). */
#ifndef SN_SOCKBELL_H
#define SN_SOCKBELL_H

#include "core/arena.h"

/* Ring what socket s has attached (called by sn_wake). */
void sn_bells_ring_sock(sn_arena *a, int s);
/* Control-plane lock held: free every bell of process `proc` (a dead
 * one, or an image replaced by execve) and take its entries off every
 * socket. */
void sn_bells_reap_all(sn_arena *a, int proc);
/* Control-plane lock held: take the entries of freed bells off socket s;
 * the owners of the others, not this process (up to max), into owners:
 * the caller reaps those that are gone.  Their number. */
int  sn_bells_stale(sn_arena *a, int s, int *owners, int max);

#endif
