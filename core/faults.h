/* What the faults of core/links.h do to sockets: a partition holds the
 * bytes a stream sends (they are in the receiver's ring but not visible
 * until the link heals), holds new connections (they neither complete
 * nor are refused) and starts the clocks after which TCP gives up
 * (core/timeouts.h: held data, held connects, idle connections whose
 * link is cut); a reset ends the connections between two hosts.
 * Datagram loss is core/links.h's alone (the datagram is not written).
 *
 * The data path pays for none of it while no link has a fault: a sender
 * tests hdr->faults (sn_links_any) and its socket's `faulty` byte, a
 * reader that byte. */
#ifndef SN_FAULTS_H
#define SN_FAULTS_H

#include <stdatomic.h>
#include <stdbool.h>

#include "core/arena.h"
#include "core/sock.h"

/* Stream data from k into p's ring, p's rx_prod held, some link has a
 * fault: if the link from k's host to p's is cut, what is written from
 * now on stays hidden; if a rule slices it, p reads by that rule. */
void sn_faults_stream_send(sn_arena *a, sn_sock *k, sn_sock *p);

/* Stream data or a datagram record of n bytes from k (on host `src`)
 * about to be published in p's ring, p's rx_prod held, some link has a
 * fault: a link with a delay, jitter, rate (or, for a stream, loss)
 * stamps it with the time it is due. */
void sn_faults_stamp(sn_arena *a, int src, sn_sock *p, uint32_t n, bool stream);

/* Stream data of n bytes from k to its peer p (p's rx_prod held, some
 * link has a fault): how many may pass before the link's limit-data
 * (counted from the start of the connection); *cut is set when the
 * connection is to be cut after them (sn_faults_cut). */
uint32_t sn_faults_limit(sn_arena *a, sn_sock *k, sn_sock *p, uint32_t n, bool *cut);
/* Cut connected stream socket s and its peer with a reset: both ends
 * get ECONNRESET, after reading what was sent before (takes the
 * control-plane lock). */
void sn_faults_cut(sn_arena *a, int s);
/* A reset reached socket s (lock held): ECONNRESET, closed, its waiters
 * woken (sn_faults_cut, sn_net_reset). */
void sn_faults_reset_end(sn_arena *a, int s);

/* Of the `used` bytes in k's ring, those a reader may see: not past a
 * partition's mark, nor past the start of a stamp not yet due, nor past
 * the end of the slice being read (Toxiproxy's slicer: opened here when
 * due, its size drawn from the rule that slices what k reads).  Load
 * `used` (the ring's `in`) before calling: a sender marks the ring held
 * or stamps it before it publishes bytes past the mark. */
uint32_t sn_faults_visible_slow(sn_arena *a, sn_sock *k, uint32_t used);
static inline uint32_t sn_faults_visible(sn_arena *a, sn_sock *k, uint32_t used)
{
    /* A sender sets `faulty` before it publishes what it marks: seen
     * here, after the acquire load of the ring's `in`. */
    return sn_sock_faulty(k) ? sn_faults_visible_slow(a, k, used) : used;
}
/* Records were written ahead of the len bytes at ring index `at` (netem's
 * reorder, core/dgram.c), which moved `by` bytes on: their stamps move
 * with them.  Both rx_prod and rx_cons held.  A reader that looks
 * without a lock (poll: is anything visible?) may see the stamps moved
 * before the ring's `in` is, or neither: either way it finds something
 * visible only when something is (the new record, once published). */
void sn_faults_shift(sn_arena *a, sn_sock *k, uint32_t at, uint32_t len, uint32_t by);
/* A FIN in k's shut word is not there yet: a slow close delays it, or
 * bytes before it are not yet due (k is faulty). */
bool sn_faults_fin_hidden(sn_arena *a, sn_sock *k);
/* After a read (rx_cons held): stamps that are due are let go, a slice
 * read to its end closes (the next opens after the slicer's delay). */
void sn_faults_read_slow(sn_arena *a, sn_sock *k);
static inline void sn_faults_read(sn_arena *a, sn_sock *k)
{
    if (sn_sock_faulty(k))
        sn_faults_read_slow(a, k);
}

/* s's clock (core/timeouts.h) has run out: a connection ends with
 * ETIMEDOUT (Linux gives up on its retransmissions or keepalive probes),
 * a held connect fails with it (sn_conn_check_held).  Also: a slow
 * close's FIN that became due makes its input event. */
void sn_faults_check_stall(sn_arena *a, int s);
static inline void sn_faults_check(sn_arena *a, int s)
{
    if (sn_sock_faulty(sn_sock_at(a, s)))
        sn_faults_check_stall(a, s);
}

#endif
