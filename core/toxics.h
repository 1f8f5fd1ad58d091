/* Toxiproxy's slicer and slow close on sockets, for core/faults.c: the
 * reader's side of them (core/links.h has the rules).
 *
 * The slicer is done where bytes are read: the sender names the rule that
 * slices what the receiving socket reads (sn_toxics_mark), and a read
 * sees at most the rest of the current slice, a new one opening (its size
 * drawn from the rule's generator) when the last was read to its end and
 * the rule's delay has passed.  A slow close stores in the peer the time
 * its FIN may be seen (core/lifetime.c, sn_sock_fin_delay); until then
 * recv and poll treat the FIN as not there.  The fields are sn_sock's
 * slice_* and fin_due, read only when the socket is `faulty`. */
#ifndef SN_TOXICS_H
#define SN_TOXICS_H

#include <stdatomic.h>
#include <stdbool.h>

#include "core/arena.h"
#include "core/links.h"
#include "core/sock.h"

/* What k reads is sliced: a read gets a slice, whatever SO_RCVLOWAT or
 * MSG_PEEK|MSG_WAITALL ask (they would wait for more than it shows). */
static inline bool sn_toxics_sliced(const sn_sock *k)
{
    return sn_sock_faulty(k) &&
           atomic_load_explicit(&k->slice_rule, memory_order_relaxed) != 0;
}

/* Stream data from k to p (p's rx_prod held, some link has a fault): p
 * reads by the rule that slices it, if any. */
void sn_toxics_mark(sn_arena *a, sn_sock *k, sn_sock *p);
/* Before a read (rx_cons held, slice_rule set): the next slice opens if
 * it is due (its size drawn from the rule's generator); a rule cleared
 * or gone stops slicing k. */
void sn_toxics_open(sn_arena *a, sn_sock *k);
/* Of `used` bytes from ring index `out` of k (slice_rule set), those its
 * slice lets be read at `now`.  Only looks (poll and epoll call it with
 * no lock): sn_toxics_open opens slices. */
uint32_t sn_toxics_visible(sn_arena *a, sn_sock *k, uint32_t out, uint32_t used,
                           int64_t now);
/* After a read (rx_cons held): a slice read to its end closes. */
void sn_toxics_read(sn_arena *a, sn_sock *k, int64_t now);
/* When a wait on k must look again for these faults (a slow close's FIN,
 * the next slice): a time after `now`, or 0. */
int64_t sn_toxics_due(sn_sock *k, int64_t now);
/* A slow close's FIN is still hidden at `now`. */
static inline bool sn_toxics_fin_pending(sn_sock *k, int64_t now)
{
    return atomic_load_explicit(&k->fin_due, memory_order_relaxed) > now;
}
/* A slow close's FIN became due (fin_due set): it makes its input event. */
void sn_toxics_fin_arrives(sn_arena *a, int s, int64_t now);

/* After a stream read from socket s (no lock held): with a slicer, more
 * bytes in the ring (or a FIN behind them) make an input event, as the
 * next segment would on Linux: an edge-triggered epoll reports the next
 * slice, and a wait looks again (until that slice is due); so does a
 * slow close's FIN not yet due. */
void sn_toxics_after_read_slow(sn_arena *a, int s);
static inline void sn_toxics_after_read(sn_arena *a, int s)
{
    if (sn_sock_faulty(sn_sock_at(a, s)))
        sn_toxics_after_read_slow(a, s);
}

#endif
