#include "core/ports.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "core/clock.h"
#include "core/hosts.h"
#include "core/sock.h"

/* Which table of bind chains a socket's port lives in. */
static int space_of(int type, int protocol)
{
    if (type == SOCK_STREAM)
        return 0;
    return protocol == IPPROTO_UDPLITE ? 2 : 1;
}

static int32_t *chain(sn_arena *a, int space, uint16_t port)
{
    return &a->ports[space * 65536 + port];
}

static int32_t *chain_of(sn_arena *a, const sn_sock *k, uint16_t port)
{
    return chain(a, space_of(k->type, k->protocol), port);
}

/* Does socket k, bound to its local address, receive for address x of
 * host `host` (core/hosts.h: the host x reaches)?  One chain per port
 * holds every host's sockets; a socket answers only for its own host.
 * An AF_INET6 socket on :: covers IPv4 too unless IPV6_V6ONLY. */
static bool covers(const sn_sock *k, int host, const sn_addr *x)
{
    const sn_addr *l = &k->local;
    if (k->host != host)
        return false;
    bool lv4 = sn_addr_is_v4(l), xv4 = sn_addr_is_v4(x);
    if (sn_addr_is_any(l)) {
        if (k->family == AF_INET)
            return xv4;
        if (lv4)                       /* ::ffff:0.0.0.0 on a v6 socket */
            return xv4;
        return !xv4 || !(atomic_load(&k->opt) & SN_O_V6ONLY);
    }
    return sn_addr_same_ip(l, x);
}

/* Do two bindings of the same port claim a common address?  Never on
 * two hosts: a host binds only its own addresses (conn.c). */
static bool overlap(const sn_sock *x, const sn_sock *y)
{
    if (x->host != y->host)
        return false;
    int h = x->host;
    if (sn_addr_is_any(&x->local) && sn_addr_is_any(&y->local)) {
        /* Both wildcards: they meet on IPv4 or on IPv6. */
        bool x4 = covers(x, h, &(sn_addr){.ip = {[10] = 0xff, [11] = 0xff}});
        bool y4 = covers(y, h, &(sn_addr){.ip = {[10] = 0xff, [11] = 0xff}});
        bool x6 = x->family == AF_INET6 && !sn_addr_is_v4(&x->local);
        bool y6 = y->family == AF_INET6 && !sn_addr_is_v4(&y->local);
        return (x4 && y4) || (x6 && y6);
    }
    if (sn_addr_is_any(&x->local))
        return covers(x, h, &y->local);
    if (sn_addr_is_any(&y->local))
        return covers(y, h, &x->local);
    return sn_addr_same_ip(&x->local, &y->local);
}

static bool may_share(const sn_sock *old, const sn_sock *new_)
{
    uint32_t o = atomic_load(&old->opt), n = atomic_load(&new_->opt);
    if ((o & SN_O_REUSEPORT) && (n & SN_O_REUSEPORT))
        return true;
    /* Linux looks at the other socket only: it must not be listening. */
    if ((o & SN_O_REUSEADDR) && (n & SN_O_REUSEADDR))
        return new_->type == SOCK_DGRAM || old->state != SN_LISTEN;
    return false;
}

#define TIME_WAIT_NS (60LL * 1000000000LL)  /* Linux's TCP_TIMEWAIT_LEN */

void sn_ports_timewait(sn_arena *a, int s)
{
    sn_sock *k = sn_sock_at(a, s);
    sn_timewait *t = &a->timewait[a->hdr->tw_next++ % SN_TIMEWAIT_SLOTS];
    t->local = k->local;
    t->reuse = (atomic_load(&k->opt) & SN_O_REUSEADDR) != 0;
    t->host = k->host;
    t->expiry_ns = sn_mono_ns() + TIME_WAIT_NS;
}

/* Does a TIME_WAIT endpoint keep socket k (about to bind `port`) out? */
static bool timewait_conflicts(sn_arena *a, const sn_sock *k, uint16_t port)
{
    int64_t now = 0;
    for (int i = 0; i < SN_TIMEWAIT_SLOTS; i++) {
        sn_timewait *t = &a->timewait[i];
        if (!t->expiry_ns || t->local.port != port)
            continue;
        if (!now)
            now = sn_mono_ns();
        if (t->expiry_ns <= now) {
            t->expiry_ns = 0;
            continue;
        }
        sn_sock tw = {.family = AF_INET6, .type = SOCK_STREAM, .local = t->local,
                      .host = t->host};
        if (sn_addr_is_v4(&t->local))
            tw.family = AF_INET;
        if (overlap(&tw, k) && !(t->reuse && (atomic_load(&k->opt) & SN_O_REUSEADDR)))
            return true;
    }
    return false;
}

static bool port_conflicts(sn_arena *a, int s, uint16_t port, bool ephemeral)
{
    sn_sock *k = sn_sock_at(a, s);
    for (int32_t i = *chain_of(a, k, port); i >= 0; i = a->socks[i].next) {
        sn_sock *o = sn_sock_at(a, i);
        if (i == s || !overlap(o, k))
            continue;
        /* An ephemeral port is never shared, whatever the options. */
        if (ephemeral || !may_share(o, k))
            return true;
    }
    return false;
}

/* bind() also respects TIME_WAIT (connect's ephemeral ports do not). */
static bool bind_conflicts(sn_arena *a, int s, uint16_t port, bool ephemeral,
                           bool for_connect)
{
    sn_sock *k = sn_sock_at(a, s);
    if (port_conflicts(a, s, port, ephemeral))
        return true;
    return k->type == SOCK_STREAM && !for_connect && timewait_conflicts(a, k, port);
}

static void link_port(sn_arena *a, int s, uint16_t port)
{
    sn_sock *k = sn_sock_at(a, s);
    int32_t *head = chain_of(a, k, port);
    k->local.port = port;
    k->next = *head;
    *head = s;
    if (k->type == SOCK_DGRAM)
        sn_ports_dgram_changed(a);
}

void sn_ports_adopt_accepted(sn_arena *a, int l)
{
    const sn_sock *L = sn_sock_at(a, l);
    uint16_t port = L->local.port;
    /* Accepted sockets are the stream sockets that were connected without
     * ever entering a chain (a client's connect binds it).  One pass over
     * the table when a listener closes; those of a sibling listener still
     * open (SO_REUSEPORT) may join too: they hold the same port. */
    for (uint32_t i = 0; i < a->hdr->sock_hwm; i++) {
        sn_sock *k = sn_sock_at(a, (int)i);
        if ((int)i == l || k->state == SN_FREE || k->type != SOCK_STREAM ||
            k->in_chain || !k->was_connected || k->local.port != port)
            continue;
        link_port(a, (int)i, port);
        k->in_chain = 1;
    }
}

int sn_ports_bind(sn_arena *a, int s, sn_addr *want, bool for_connect)
{
    sn_sock *k = sn_sock_at(a, s);
    sn_hdr *h = a->hdr;
    uint16_t saved = want->port;
    k->local = *want;
    if (want->port != 0) {
        if (bind_conflicts(a, s, want->port, false, for_connect)) {
            memset(&k->local, 0, sizeof k->local);
            return -EADDRINUSE;
        }
        link_port(a, s, want->port);
        return 0;
    }
    /* Ephemeral: walk the range from the hint, wrapping around, and take
     * the first port no overlapping socket uses. */
    uint32_t lo = (uint32_t)h->lim.port_lo, hi = (uint32_t)h->lim.port_hi;
    uint32_t n = hi - lo + 1, *next = &h->port_next[k->type == SOCK_STREAM ? 0 : 1];
    for (uint32_t i = 0; i < n; i++) {
        uint32_t p = lo + ((*next - lo + i) % n);
        if (!bind_conflicts(a, s, (uint16_t)p, true, for_connect)) {
            *next = p + 1 > hi ? lo : p + 1;
            link_port(a, s, (uint16_t)p);
            want->port = (uint16_t)p;
            return 0;
        }
    }
    want->port = saved;
    memset(&k->local, 0, sizeof k->local);
    return -EADDRINUSE;
}

void sn_ports_rebuild(sn_arena *a)
{
    memset(a->ports, 0xff, SN_PORT_SPACES * 65536 * sizeof *a->ports);   /* all -1 */
    for (uint32_t s = 0; s < a->hdr->sock_hwm; s++) {
        sn_sock *k = sn_sock_at(a, (int)s);
        if (k->state != SN_FREE && k->in_chain)
            link_port(a, (int)s, k->local.port);
    }
    sn_ports_dgram_changed(a);   /* routes cached before may be stale */
}

void sn_ports_unbind(sn_arena *a, int s)
{
    sn_sock *k = sn_sock_at(a, s);
    int32_t *p = chain_of(a, k, k->local.port);
    while (*p >= 0 && *p != s)
        p = &a->socks[*p].next;
    if (*p == s)
        *p = k->next;
    k->next = -1;
    if (k->type == SOCK_DGRAM)
        sn_ports_dgram_changed(a);
}

int sn_ports_can_listen(sn_arena *a, int s)
{
    sn_sock *k = sn_sock_at(a, s);
    uint8_t saved = k->state;
    k->state = SN_LISTEN;           /* judge the pair as it would become */
    bool bad = port_conflicts(a, s, k->local.port, false);
    k->state = saved;
    return bad ? -EADDRINUSE : 0;
}

/* How well socket k matches a connection or datagram from src to dst:
 * -1 not at all; more specific is better (exact address over wildcard, a
 * connected UDP socket over an unconnected one). */
static int match(const sn_sock *k, int host, const sn_addr *dst,
                 const sn_addr *src)
{
    if (!covers(k, host, dst))
        return -1;
    int score = sn_addr_is_any(&k->local) ? 1 : 2;
    if (k->type == SOCK_STREAM)
        return k->state == SN_LISTEN ? score : -1;
    if (k->state == SN_CONNECTED) {
        /* A connected socket takes only its peer's datagrams. */
        if (!sn_addr_equal(&k->peer, src))
            return -1;
        score += 4;
    }
    return score;
}

/* The best-matching sockets bound to dst's port (an SO_REUSEPORT group
 * when several tie); returns how many, at most 64. */
static int best_matches(sn_arena *a, int space, int host, const sn_addr *dst,
                        const sn_addr *src, int pick[64])
{
    int best = 0, ties = 0;
    for (int32_t i = *chain(a, space, dst->port); i >= 0; i = a->socks[i].next) {
        int score = match(sn_sock_at(a, i), host, dst, src);
        if (score > best) {
            best = score;
            ties = 0;
        }
        if (score == best && score > 0 && ties < 64)
            pick[ties++] = i;
    }
    return ties;
}

int sn_ports_listener(sn_arena *a, int host, const sn_addr *dst)
{
    int pick[64];
    int ties = best_matches(a, space_of(SOCK_STREAM, IPPROTO_TCP), host, dst, NULL, pick);
    if (ties == 0)
        return -1;
    /* An SO_REUSEPORT group: spread new connections over its members. */
    return pick[ties > 1 ? a->hdr->rr++ % (uint32_t)ties : 0];
}

int sn_ports_dgram_target(sn_arena *a, int protocol, int host,
                          const sn_addr *dst, const sn_addr *src)
{
    int pick[64];
    int ties = best_matches(a, space_of(SOCK_DGRAM, protocol), host, dst, src, pick);
    if (ties == 0)
        return -1;
    /* SO_REUSEPORT: one flow (source) always lands on the same member. */
    uint32_t hash = (uint32_t)src->port * 2654435761u ^ src->ip[15];
    return pick[hash % (uint32_t)ties];
}

void sn_ports_dgram_changed(sn_arena *a)
{
    atomic_fetch_add(&a->hdr->dgram_gen, 1);
}

/* ---- a socket's own binding ---- */

int sn_sock_bind_locked(sn_arena *a, int s, sn_addr *want, bool for_connect)
{
    sn_sock *k = sn_sock_at(a, s);
    int r = sn_ports_bind(a, s, want, for_connect);
    if (r == 0) {
        k->in_chain = 1;
        if (k->state == SN_NEW || k->state == SN_CLOSED)
            k->state = SN_BOUND;
    }
    return r;
}

int sn_sock_autobind(sn_arena *a, int s, const sn_addr *dst)
{
    sn_sock *k = sn_sock_at(a, s);
    if (k->in_chain)
        return 0;
    sn_addr want = k->local;            /* the wildcard of its family */
    if (dst)
        sn_hosts_source_for(a, k->host, dst, &want);
    want.port = 0;
    int r = sn_sock_bind_locked(a, s, &want, dst != NULL);
    /* Linux: bind() ran out of ports is EADDRINUSE, connect() is
     * EADDRNOTAVAIL. */
    return r == -EADDRINUSE && dst ? -EADDRNOTAVAIL : r;
}

/* Linux: a port not locked by the user's bind() is released, an address
 * not chosen by the user is forgotten.  TCP keeps showing the released
 * port in getsockname (Linux clears the bind, not the socket's source
 * port); UDP shows 0. */
void sn_sock_release_implicit(sn_arena *a, int s)
{
    sn_sock *k = sn_sock_at(a, s);
    uint32_t o = atomic_load(&k->opt);
    uint16_t port = k->local.port;
    if (!(o & SN_O_BOUND_PORT) && k->in_chain) {
        sn_ports_unbind(a, s);
        k->in_chain = 0;
        if (k->type == SOCK_DGRAM)
            port = 0;
        if (k->state == SN_BOUND)
            k->state = SN_NEW;
    }
    if (!(o & SN_O_BOUND_ADDR))
        sn_addr_any(k->family, &k->local);
    k->local.port = port;
}
