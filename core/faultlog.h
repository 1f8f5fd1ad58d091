/* What faults do, told as it happens (SIMNET_DEBUG): a datagram lost or
 * duplicated on a link, stream bytes or a connect held by a partition
 * (once per hold of a connection, not per send) and let go at heal, a
 * connection cut by a link's limit-data, reset by `simnet reset` or
 * timed out under a hold, a connect refused by a link.
 *
 * Core writes no log itself: it hands each event, as one line of text
 * and the rule that caused it, to the hook the process put in its
 * arena (sn_arena.on_fault; preload/init.c sets it when SIMNET_DEBUG is
 * on, the inspector for `simnet heal` and `reset`).  With no hook the
 * cost is one test of a process-local pointer, on fault paths only:
 * the data path with no fault never comes here. */
#ifndef SN_FAULTLOG_H
#define SN_FAULTLOG_H

#include <stdint.h>

#include "core/addr.h"
#include "core/arena.h"
#include "core/sock.h"

enum sn_fault_event {
    SN_FE_LOST,          /* a datagram dropped: cut or lost */
    SN_FE_DUP,           /* a datagram delivered twice */
    SN_FE_HELD,          /* stream bytes held from now on */
    SN_FE_CONN_HELD,     /* a connect held (no answer to its SYN) */
    SN_FE_RELEASED,      /* held bytes go on (heal) */
    SN_FE_CONN_RELEASED, /* a held connect goes on (heal) */
    SN_FE_REFUSED,       /* a connect refused by the link */
    SN_FE_LIMIT,         /* a connection cut after limit-data */
    SN_FE_RESET,         /* a connection reset (`simnet reset`) */
    SN_FE_TIMEDOUT,      /* held past TCP_USER_TIMEOUT: ETIMEDOUT */
};

/* Event `ev` on traffic from address `from` (host src) to `to` (host
 * dst) of socket k's protocol, `bytes` long (0: none said).  src and dst
 * may be ends (core/links.h: a port above the host), so that the rule
 * named is the one a rule per port made. */
void sn_faultlog_note(sn_arena *a, enum sn_fault_event ev, const sn_sock *k,
                      const sn_addr *from, const sn_addr *to, int src, int dst,
                      uint64_t bytes);
/* k's connection (or held connect) timed out under a partition: the
 * line names the way that is cut and its rule -- k's own, or the way
 * back when only that one is.  Call when sn_faultlog_on. */
void sn_faultlog_timed_out(sn_arena *a, const sn_sock *k);
static inline bool sn_faultlog_on(sn_arena *a)
{
    return __builtin_expect(a->on_fault != NULL, 0);
}
static inline void sn_faultlog(sn_arena *a, enum sn_fault_event ev, const sn_sock *k,
                               const sn_addr *from, const sn_addr *to, int src,
                               int dst, uint64_t bytes)
{
    if (sn_faultlog_on(a))
        sn_faultlog_note(a, ev, k, from, to, src, dst, bytes);
}

#endif
