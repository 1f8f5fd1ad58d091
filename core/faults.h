/* What the faults of core/links.h do to sockets: a partition holds the
 * bytes a stream sends (they are in the receiver's ring but not visible
 * until the link heals), holds new connections (they neither complete
 * nor are refused), and TCP_USER_TIMEOUT ends a connection whose data
 * stayed held that long; a reset ends the connections between two hosts.
 * Datagram loss is core/links.h's alone (the datagram is not written).
 *
 * The data path pays for none of it while no link has a fault: a sender
 * tests hdr->faults (sn_links_any), a reader its socket's `held` byte. */
#ifndef SN_FAULTS_H
#define SN_FAULTS_H

#include <stdatomic.h>
#include <stdbool.h>

#include "core/arena.h"
#include "core/sock.h"

/* Stream data from k into p's ring, p's rx_prod held, some link has a
 * fault: if the link from k's host to p's is cut, what is written from
 * now on stays hidden. */
void sn_faults_stream_send(sn_arena *a, sn_sock *k, sn_sock *p);

/* Stream data or a datagram record of n bytes from k (on host `src`)
 * about to be published in p's ring, p's rx_prod held, some link has a
 * fault: a link with a delay, jitter, rate (or, for a stream, loss)
 * stamps it with the time it is due. */
void sn_faults_stamp(sn_arena *a, int src, sn_sock *p, uint32_t n, bool stream);

/* Of the `used` bytes in k's ring, those a reader may see: not past a
 * partition's mark, nor past the start of a stamp not yet due.  Load
 * `used` (the ring's `in`) before calling: a sender marks the ring held
 * or stamps it before it publishes bytes past the mark. */
uint32_t sn_faults_visible_slow(sn_arena *a, sn_sock *k, uint32_t used);
static inline uint32_t sn_faults_visible(sn_arena *a, sn_sock *k, uint32_t used)
{
    if (__builtin_expect(!atomic_load_explicit(&k->held, memory_order_acquire) &&
                         !atomic_load_explicit(&k->timed, memory_order_acquire), 1))
        return used;
    return sn_faults_visible_slow(a, k, used);
}
static inline bool sn_faults_held(sn_sock *k)
{
    return __builtin_expect(atomic_load_explicit(&k->held, memory_order_acquire) ||
                            atomic_load_explicit(&k->timed, memory_order_acquire), 0);
}
/* After a read (rx_cons held): stamps that are due are let go. */
void sn_faults_read(sn_arena *a, sn_sock *k);

/* k's data has been held for its TCP_USER_TIMEOUT: the connection ends
 * with ETIMEDOUT (Linux gives up on its retransmissions).  Cheap to call
 * when k->stall_ns is 0. */
void sn_faults_check_stall(sn_arena *a, int s);

#endif
