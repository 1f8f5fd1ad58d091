/* The links of a network: rules for the traffic from one host to another
 * (core/layout.h's sn_link), the faults they put on it, and the seeded
 * generator that makes every random choice reproducible.
 *
 * A rule names a source and a destination host, either of which may be
 * SN_LINK_ANY.  Traffic from host s to host d obeys every rule that
 * matches it: it is cut when any of them is partitioned; its loss comes
 * from the most specific rule that sets one (exact, then (s, *), then
 * (*, d), then (*, *)), and so does that rule's generator.  Loss,
 * duplication, the jitter and reorder follow netem's random models:
 * correlations, distributions, gap (core/netem.h).
 *
 * Nothing here runs while hdr->faults is 0: the data path tests that one
 * word first (sn_links_any).  The table is written under the
 * control-plane lock; the data path reads it with relaxed loads (a rule
 * changing under a send applies to the next one) and takes a rule's own
 * lock to draw from its generator, so that the same seed and the same
 * order of sends on a link give the same drops. */
#ifndef SN_LINKS_H
#define SN_LINKS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

static inline bool sn_links_any(sn_arena *a)
{
    return __builtin_expect(
        atomic_load_explicit(&a->hdr->faults, memory_order_relaxed) != 0, 0);
}

/* A rule may name a port: it then holds only for traffic whose port at
 * either end is that one (a connection to a server listening on it, or
 * from a client bound to it), and ranks above the same pair of hosts
 * without a port.  The functions below take the ends of the traffic as
 * "ends": a host index with, where the caller knows it, a port in the
 * bits above (sn_links_end); a plain host index is an end with no port,
 * which only rules without a port match.  So every caller keeps its
 * shape, and a caller with no port to give needs no change. */
static inline int sn_links_end(int host, uint16_t port)
{
    return (int)((uint32_t)port << 16 | (uint16_t)host);
}
static inline uint16_t sn_links_end_port(int end)
{
    return (uint16_t)((uint32_t)end >> 16);
}

/* The generator: splitmix64, one state word per rule. */
uint64_t sn_links_rand(uint64_t *state);
/* The state a rule (src, dst) starts from under `seed` (dst an end:
 * the rule's port counts). */
uint64_t sn_links_seed_of(uint64_t seed, int src, int dst);

/* The rule for exactly (src, dst), made if missing (lock held): its
 * index, or -ENOSPC.  dst's port (sn_links_end) is the rule's port. */
int  sn_links_entry(sn_arena *a, int src, int dst);
/* Count the rules with a fault into hdr->faults and free empty ones
 * (lock held). */
void sn_links_recount(sn_arena *a);
/* Traffic from host src to host dst is cut. */
bool sn_links_cut(sn_arena *a, int src, int dst);
/* A datagram from src to dst is lost: cut, or drawn by the loss of the
 * rule that sets it (random, or Gilbert-Elliott's model). */
bool sn_links_drop(sn_arena *a, int src, int dst);
/* When len bytes sent now (CLOCK_MONOTONIC ns) from src to dst are due
 * at the other end: the rate of the most specific rule with a delay,
 * jitter or rate (its token bucket), then its delay give or take its
 * jitter; for a stream also the loss of the most specific rule with
 * one, as retransmission timeouts.  0 when no rule delays it. */
int64_t sn_links_due(sn_arena *a, int src, int dst, uint32_t len, bool stream,
                     int64_t now);
/* New connections from src to dst are refused (a rule that matches
 * says so, as any partition cuts). */
bool sn_links_refused(sn_arena *a, int src, int dst);
/* The bytes a connection from src to dst may send that way before the
 * link cuts it with a reset: the limit of the most specific rule that
 * sets one, 0 none. */
uint64_t sn_links_limit(sn_arena *a, int src, int dst);
/* A datagram from src to dst is delivered twice (drawn by the
 * duplication of the most specific rule that sets one). */
bool sn_links_dup(sn_arena *a, int src, int dst);
/* Token bucket of a rule with a rate: the time len bytes sent at `now` have all left the link,
 * which is busy until then. */
int64_t sn_links_rate_due(sn_link *l, int64_t now, uint32_t len);
/* Which rule made a choice, for SIMNET_DEBUG's line (core/faultlog.h):
 * the index of a rule for (src, dst) that cuts (SN_RULE_CUT), drops a
 * datagram (SN_RULE_DROP: a cut, else the loss), duplicates, refuses or
 * limits, as the functions above pick it; -1 none (it changed since). */
enum { SN_RULE_CUT, SN_RULE_DROP, SN_RULE_DUP, SN_RULE_REFUSE, SN_RULE_LIMIT };
int sn_links_rule(sn_arena *a, int src, int dst, int what);
/* netem's reorder (core/netem.h): a datagram from src to dst goes at
 * once, ahead of those still delayed, by the chance, correlation and
 * gap of the rule that delays it (the most specific with a delay,
 * jitter or rate).  Never asked for a stream. */
bool sn_links_reorder(sn_arena *a, int src, int dst);
/* Rule l's netem fields: none (lock held); set from c's (sn_net_link_set,
 * `clear` first; lock held). */
struct sn_link_set;
void sn_links_netem_reset(sn_link *l);
void sn_links_netem_set(sn_link *l, const struct sn_link_set *c);
/* A stream from src to dst is read in slices: the most specific rule
 * with a slicer, or NULL. */
sn_link *sn_links_slicer(sn_arena *a, int src, int dst);
/* The size of rule l's next slice, drawn from its slicer's own
 * generator (l's lock held): when readers open slices moves no other
 * draw of the rule. */
uint32_t sn_links_slice(sn_link *l);
/* How long after it was sent a FIN from src reaches dst: the slow close
 * of the most specific rule that sets one, 0 none. */
int64_t sn_links_slow_close(sn_arena *a, int src, int dst);
/* Sweeps spare the network a moment (lock held). */
void sn_links_touch(sn_arena *a);
/* The seed every link's generator starts from (lock held). */
void sn_links_set_seed(sn_arena *a, uint64_t seed);

#endif
