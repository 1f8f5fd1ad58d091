/* The datagram path: each message is a record in the receiver's ring,
 * carrying its source and destination addresses; a message is never split
 * and is dropped whole when it does not fit, as on Linux loopback. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "core/heap.h"
#include "core/nameserver.h"
#include "core/hosts.h"
#include "core/links.h"
#include "core/ports.h"
#include "core/dgram.h"
#include "core/faults.h"
#include "core/faultlog.h"
#include "core/opts.h"
#include "core/repair.h"
#include "core/sockwait.h"
#include "core/tap.h"
#include "core/capture.h"

#define MAX_V4_PAYLOAD 65507   /* 65535 - IPv4 header - UDP header */
#define MAX_V6_PAYLOAD 65527   /* 65535 - UDP header (jumbograms aside) */
#define MIN_DGRAM_RING (128u << 10)
#define MAX_DGRAM_RING (4u << 20)

typedef struct rec_hdr {
    uint32_t len;          /* payload bytes */
    uint8_t  ttl, tos;     /* TTL / hop limit, TOS / traffic class */
    uint16_t pad;
    sn_addr  from, to;
} rec_hdr;

static uint32_t rec_size(uint32_t len)
{
    return (uint32_t)sizeof(rec_hdr) + ((len + 7u) & ~7u);
}

static uint32_t dgram_ring_size(const sn_sock *rcv)
{
    uint32_t cap = MIN_DGRAM_RING;
    while (cap < (uint32_t)rcv->rcvbuf && cap < MAX_DGRAM_RING)
        cap <<= 1;
    return cap;
}

/* Where a datagram goes.  Linux's families rules for sendto: an IPv4
 * socket takes AF_UNSPEC as AF_INET; an IPv6 socket takes AF_INET (sent as
 * IPv4 unless IPV6_V6ONLY) and AF_UNSPEC as "no address". */
static int dgram_dest(sn_arena *a, sn_sock *k, sn_msg *m, sn_addr *dst)
{
    const struct sockaddr *sa = m->name;
    int fam = AF_UNSPEC, pfam = k->family;
    if (sa) {
        if (m->namelen < sizeof(sa_family_t))
            return -EINVAL;
        fam = sa->sa_family;
        if (k->family == AF_INET6 && fam == AF_UNSPEC)
            sa = NULL;
    }
    if (!sa) {
        if (k->state != SN_CONNECTED)
            return -EDESTADDRREQ;
        *dst = k->peer;
        /* IPv6 hands an IPv4 peer to udp_sendmsg as an address, whose
         * port 0 is refused */
        if (k->family == AF_INET6 && sn_addr_is_v4(dst) && dst->port == 0)
            return -EINVAL;
        return 0;
    }
    struct sockaddr_storage ss;
    if (k->family == AF_INET && fam == AF_UNSPEC) {
        memcpy(&ss, sa, m->namelen < sizeof ss ? m->namelen : sizeof ss);
        ss.ss_family = AF_INET;
        sa = (const struct sockaddr *)&ss;
    } else if (k->family == AF_INET6 && fam == AF_INET) {
        if (atomic_load(&k->opt) & SN_O_V6ONLY)
            return -ENETUNREACH;
        pfam = AF_INET;
    } else if (k->family == AF_INET6 && fam != AF_INET6) {
        return -EINVAL;
    }
    int r = sn_addr_parse(pfam, sa, m->namelen, false, dst);
    if (r < 0)
        return r;
    if (k->family == AF_INET6 && sn_addr_is_v4(dst) &&
        (atomic_load(&k->opt) & SN_O_V6ONLY))
        return -ENETUNREACH;
    if (dst->port == 0)
        return -EINVAL;
    /* From an IPv4 address (bound v4-mapped) there is no IPv6 route;
     * "::" means this host: 127.0.0.1 for such a socket. */
    if (k->family == AF_INET6 && !sn_addr_is_v4(dst) &&
        sn_addr_is_v4(&k->local) && !sn_addr_is_any(&k->local)) {
        static const uint8_t lo4[16] = {[10] = 0xff, [11] = 0xff, [12] = 127, [15] = 1};
        if (!sn_addr_is_any(dst))
            return -EAFNOSUPPORT;
        memcpy(dst->ip, lo4, sizeof lo4);
    }
    /* 255.255.255.255 and loopback's 127.255.255.255 are broadcasts. */
    static const uint8_t bcast[4] = {255, 255, 255, 255};
    bool limited = sn_addr_is_v4(dst) && memcmp(dst->ip + 12, bcast, 4) == 0;
    bool lo_bcast = sn_addr_is_v4(dst) && dst->ip[12] == 127 &&
                    memcmp(dst->ip + 13, bcast, 3) == 0;
    if ((limited || lo_bcast) && !(atomic_load(&k->opt) & SN_O_BROADCAST))
        return -EACCES;
    sn_addr_resolve_any(dst);
    /* Another host's address, or beyond the network: only the network's
     * nameserver answers. */
    return sn_hosts_owner(a, k->host, dst) >= 0 || sn_nameserver_addr(k, dst)
           ? 0 : -ENETUNREACH;
}

/* Write record h (need bytes) `at` bytes past t's ring's `in` (modulo
 * 2^32), header then payload. */
static void put_record(sn_arena *a, sn_sock *t, const rec_hdr *h, sn_msg *m, uint32_t at)
{
    uint8_t *buf = a->heap + t->rx.off;
    sn_ring_put(&t->rx, buf, h, sizeof *h, at);
    sn_iovc c;
    sn_iovc_init(&c, m->iov, m->iovcnt);
    sn_ring_put_iov(&t->rx, buf, &c, h->len, at + (uint32_t)sizeof *h);
}

/* netem's reorder: the record goes at once, ahead of the records still
 * on their way, which move one record's size on to make room (with their
 * stamps).  Readers are kept out while bytes move: rx_cons, taken after
 * rx_prod as everywhere.  Records already due stay ahead of it. */
static void enqueue_ahead(sn_arena *a, sn_sock *t, const rec_hdr *h, sn_msg *m,
                          uint32_t need)
{
    sn_lock(&t->rx_cons);
    uint32_t used = sn_ring_used(&t->rx);
    uint32_t late = used - sn_faults_visible(a, t, used);
    uint32_t in = atomic_load_explicit(&t->rx.in, memory_order_relaxed);
    sn_ring_shift(&t->rx, a->heap + t->rx.off, used - late, late, need);
    put_record(a, t, h, m, 0u - late);
    sn_faults_shift(a, t, in - late, late, need);
    sn_ring_publish(&t->rx, need);
    sn_unlock(&t->rx_cons);
}

/* Append one record to t's ring, if it fits.  rx_prod is held. */
static void enqueue(sn_arena *a, int src, sn_sock *t, const rec_hdr *h, sn_msg *m)
{
    if (!t->rx.cap && sn_ring_alloc(a, &t->rx, dgram_ring_size(t)) < 0)
        return;
    uint32_t need = rec_size(h->len);
    if (sn_ring_space(&t->rx) < need)
        return;                         /* receive queue full: dropped */
    if (sn_ring_writable(a, &t->rx, need) < need)
        return;                         /* no room for its memory: the same */
    bool faults = sn_links_any(a);
    if (faults && sn_links_reorder(a, src, sn_sock_end(t))) {
        enqueue_ahead(a, t, h, m, need);
    } else {
        put_record(a, t, h, m, 0);
        if (faults)
            sn_faults_stamp(a, src, t, need, false);   /* delay, rate */
        sn_ring_publish(&t->rx, need);  /* header, payload, padding at once */
    }
    t->bytes_rx += h->len;
}

/* The capture's copy of a datagram (and of the ICMP error it met). */
static void tap(sn_arena *a, const rec_hdr *h, const sn_msg *m, bool unreach)
{
    sn_iovc c;
    sn_iovc_init(&c, m->iov, m->iovcnt);
    sn_tap_dgram(a, &h->from, &h->to, h->ttl, h->tos, &c, h->len, unreach);
}

/* The last route a thread's datagram took: where a datagram from socket
 * `sender` to `dst` went, and the source address it carried.  Valid while
 * the network's dgram_gen is unchanged (nothing that decides delivery
 * moved) and the target slot's generation is the same (not closed and
 * reused); both are checked under the target's rx_prod, which closing
 * takes before it frees the slot.  So a hit delivers exactly where the
 * port table would, without taking the control-plane lock. */
typedef struct dgram_route {
    uint64_t token;             /* which network (hdr->token) */
    int32_t  sender;
    uint32_t sender_gen;
    uint32_t dgram_gen;
    int32_t  target;
    uint32_t target_gen;
    sn_addr  dst, from;
} dgram_route;

static __thread dgram_route last_route = {.sender = -1};

/* The cached target for this datagram, its rx_prod held, or NULL. */
static sn_sock *route_hit(sn_arena *a, int s, const sn_addr *dst, rec_hdr *h)
{
    dgram_route *r = &last_route;
    if (r->sender != s || r->token != a->hdr->token ||
        r->sender_gen != sn_sock_at(a, s)->gen ||
        memcmp(&r->dst, dst, sizeof *dst) != 0 ||
        atomic_load(&a->hdr->dgram_gen) != r->dgram_gen)
        return NULL;
    sn_sock *T = sn_sock_at(a, r->target);
    sn_lock(&T->rx_prod);
    /* Looked at again under rx_prod: the slot cannot be freed now. */
    if (T->gen != r->target_gen || atomic_load(&a->hdr->dgram_gen) != r->dgram_gen) {
        sn_unlock(&T->rx_prod);
        return NULL;
    }
    h->from = r->from;
    return T;
}

static void route_remember(sn_arena *a, int s, const sn_addr *dst,
                           const sn_addr *from, int t)
{
    dgram_route *r = &last_route;
    r->token = a->hdr->token;
    r->sender = s;
    r->sender_gen = sn_sock_at(a, s)->gen;
    r->dgram_gen = atomic_load(&a->hdr->dgram_gen);
    r->target = t;
    r->target_gen = sn_sock_at(a, t)->gen;
    r->dst = *dst;
    r->from = *from;
}

/* Find the target in the port table (control-plane lock) and return it with its
 * rx_prod held; NULL when nobody is there. */
static sn_sock *route_lookup(sn_arena *a, int s, const sn_addr *dst,
                             const sn_msg *m, rec_hdr *h)
{
    sn_sock *k = sn_sock_at(a, s);
    sn_ctl_lock(a);
    h->from = k->local;
    if (m->has_src && sn_addr_is_any(&h->from))
        h->from = m->src;               /* IP_PKTINFO / IPV6_PKTINFO on send */
    if (sn_addr_is_any(&h->from))
        sn_hosts_source_for(a, k->host, dst, &h->from);
    h->from.port = k->local.port;
    /* A v4 datagram from a dual-stack socket still leaves as IPv4. */
    int t = sn_ports_dgram_target(a, k->protocol, sn_hosts_owner(a, k->host, dst),
                                  dst, &h->from);
    if (t < 0) {
        /* Nobody there: dropped.  On loopback the ICMP "port
         * unreachable" comes back at once, and a connected socket
         * reports it as ECONNREFUSED on its next call.  Port 53: the
         * network's nameserver takes it (sn_dgram_send). */
        bool ns = sn_nameserver_addr(k, dst);
        if (k->state == SN_CONNECTED && !ns)
            sn_sock_set_error(k, ECONNREFUSED);
        if (sn_cap_on(a) && k->protocol == IPPROTO_UDP)
            tap(a, h, m, !ns);          /* a query: answered, not refused */
        sn_ctl_unlock(a);
        return NULL;
    }
    /* A source asked for by pktinfo is this datagram's only. */
    if (!m->has_src)
        route_remember(a, s, dst, &h->from, t);
    sn_sock *T = sn_sock_at(a, t);
    sn_lock(&T->rx_prod);               /* order: ctl -> rx_prod */
    sn_ctl_unlock(a);
    return T;
}

/* A query nobody else receives, answered by the network's nameserver
 * (core/nameserver.h): the reply is queued into the sender's own queue
 * like any datagram, from the address the query went to and to the one it
 * came from.  A query longer than our buffer is judged by its header
 * alone (FORMERR, or nothing for a response). */
static void answer_dns(sn_arena *a, int s, const rec_hdr *q, sn_msg *m)
{
    uint8_t query[SN_DNS_UDP_MAX], reply[SN_DNS_UDP_MAX];
    sn_iovc c;
    sn_iovc_init(&c, m->iov, m->iovcnt);
    size_t n = sn_iovc_read(&c, query, q->len <= sizeof query ? q->len : SN_DNS_HDR);
    size_t r = sn_nameserver_answer(a, query, n, reply, sizeof reply);
    if (!r)
        return;
    struct iovec v = {reply, r};
    sn_msg rm = {.iov = &v, .iovcnt = 1};
    rec_hdr h = {.len = (uint32_t)r, .from = q->to, .to = q->from,
                 .ttl = 64, .tos = 0};
    sn_sock *k = sn_sock_at(a, s);
    if (sn_cap_on(a))
        tap(a, &h, &rm, false);         /* the answer, after its query */
    sn_lock(&k->rx_prod);
    enqueue(a, k->host, k, &h, &rm);   /* from the host itself: no link */
    sn_unlock(&k->rx_prod);
    sn_wake_ev(a, s, SN_EV_IN);
}

/* UDP-Lite: a datagram covers part of itself when the sender's coverage
 * (counting the 8-byte header) is set and below its length; a receiver
 * that set a minimum coverage drops one that covers less, or any partial
 * one if its minimum is 0 (Linux's udp_queue_rcv_one_skb). */
static bool coverage_ok(const sn_sock *snd, const sn_sock *rcv, size_t len)
{
    bool partial = (snd->cscov_set & SN_CSCOV_SEND) && snd->cscov_send > 0 &&
                   snd->cscov_send < len + 8;
    if (!partial || !(rcv->cscov_set & SN_CSCOV_RECV))
        return true;
    return rcv->cscov_recv != 0 && snd->cscov_send >= rcv->cscov_recv;
}

/* Linux binds a port before it even looks at the destination.  A socket
 * already in the port table needs no lock to know it: only this socket's
 * own bind, connect or close takes it out. */
static int dgram_autobind(sn_arena *a, int s)
{
    if (__atomic_load_n(&sn_sock_at(a, s)->in_chain, __ATOMIC_ACQUIRE))
        return 0;
    sn_ctl_lock(a);
    int r = sn_sock_autobind(a, s, NULL);
    sn_ctl_unlock(a);
    return r;
}

/* An IPv6 socket's datagram goes the IPv4 way (udp_sendmsg): to a
 * sockaddr_in, to a v4-mapped sockaddr_in6, or without an address to an
 * IPv4 peer. */
static bool v4_bound(const sn_sock *k, const sn_msg *m)
{
    static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};
    const struct sockaddr *sa = m->name;
    if (sa && m->namelen >= sizeof(sa_family_t) && sa->sa_family != AF_UNSPEC) {
        if (sa->sa_family == AF_INET)
            return true;
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        return sa->sa_family == AF_INET6 && m->namelen >= 24 &&
               memcmp(&in6->sin6_addr, mapped, 12) == 0;
    }
    return k->state == SN_CONNECTED && sn_addr_is_v4(&k->peer);
}

ssize_t sn_dgram_send(sn_arena *a, int s, sn_msg *m, int flags)
{
    sn_sock *k = sn_sock_at(a, s);
    size_t len = sn_iov_total(m->iov, m->iovcnt);
    /* UDP has no urgent data: udp_sendmsg refuses MSG_OOB first thing
     * (after the size, and after inet_send_prepare bound a port), while
     * IPv6 UDP ignores the flag, unless the datagram goes to an IPv4
     * peer through udp_sendmsg (below). */
    int r = dgram_autobind(a, s);      /* inet_send_prepare: first */
    if (r < 0)
        return r;
    if ((flags & MSG_OOB) && k->family == AF_INET)
        return len > 0xFFFF ? -EMSGSIZE : -EOPNOTSUPP;
    /* udpv6_sendmsg hands an IPv4 destination to udp_sendmsg before
     * reading it (an IPv6-only socket has no IPv4 route) */
    if ((flags & MSG_OOB) && k->family == AF_INET6 && v4_bound(k, m))
        return (atomic_load(&k->opt) & SN_O_V6ONLY) ? -ENETUNREACH
             : len > 0xFFFF ? -EMSGSIZE : -EOPNOTSUPP;
    sn_addr dst;
    r = dgram_dest(a, k, m, &dst);
    if (r < 0)
        return r;
    if ((flags & MSG_OOB) && sn_addr_is_v4(&dst))
        return len > 0xFFFF ? -EMSGSIZE : -EOPNOTSUPP;
    if (len > (sn_addr_is_v4(&dst) ? MAX_V4_PAYLOAD : MAX_V6_PAYLOAD))
        return -EMSGSIZE;
    if (atomic_load(&k->shut) & SN_SHUT_WR)
        return -EPIPE;
    /* A pending error (an earlier datagram's ICMP) is reported here, once. */
    int e = atomic_exchange(&k->so_error, 0);
    if (e)
        return -e;
    bool v4 = sn_addr_is_v4(&dst);
    rec_hdr h = {.len = (uint32_t)len, .to = dst,
                 .ttl = m->has_ttl ? m->ttl : sn_sock_ttl(a, k, v4),
                 .tos = m->has_tos ? m->tos : sn_sock_tos(k, v4)};
    sn_sock *T = m->has_src ? NULL : route_hit(a, s, &dst, &h);
    if (!T)
        T = route_lookup(a, s, &dst, m, &h);
    if (!T && sn_nameserver_addr(k, &dst)) {
        k->bytes_tx += len;
        answer_dns(a, s, &h, m);
    }
    if (!T)
        return (ssize_t)len;
    int src = sn_sock_end(k);     /* rules by port */
    int there = sn_sock_end(T);
    /* The capture sees what left the sender, whatever the link then does
     * to it: lost, cut or duplicated, it is recorded once (docs/design.md). */
    if (sn_cap_on(a) && k->protocol == IPPROTO_UDP)
        tap(a, &h, m, false);           /* before the receiver can answer */
    if (sn_links_any(a) && sn_links_drop(a, src, there)) {
        sn_unlock(&T->rx_prod);         /* cut or lost on the link */
        k->bytes_tx += len;
        sn_faultlog(a, SN_FE_LOST, k, &h.from, &h.to, src, there, len);
        return (ssize_t)len;
    }
    if (T->protocol == IPPROTO_UDPLITE && !coverage_ok(k, T, len)) {
        sn_unlock(&T->rx_prod);         /* dropped by the receiver */
        return (ssize_t)len;
    }
    /* Once, or twice when the link duplicates it. */
    int copies = 1 + (sn_links_any(a) && sn_links_dup(a, src, there));
    for (int i = 0; i < copies; i++)
        enqueue(a, src, T, &h, m);
    sn_unlock(&T->rx_prod);
    if (__builtin_expect(copies > 1, 0))
        sn_faultlog(a, SN_FE_DUP, k, &h.from, &h.to, src, there, len);
    k->bytes_tx += len;
    sn_wake_ev(a, (int)(T - a->socks), SN_EV_IN);
    return (ssize_t)len;
}

ssize_t sn_dgram_recv(sn_arena *a, int s, sn_msg *m, int flags)
{
    sn_sock *k = sn_sock_at(a, s);
    size_t want = sn_iov_total(m->iov, m->iovcnt);
    sn_lock(&k->rx_cons);
    if (!sn_faults_visible(a, k, sn_ring_used(&k->rx))) {
        sn_unlock(&k->rx_cons);
        int e = atomic_exchange(&k->so_error, 0);
        if (e)
            return -e;
        /* Shut for reading: a blocking read returns 0, a non-blocking
         * one still says EAGAIN (Linux). */
        if ((atomic_load(&k->shut) & SN_SHUT_RD) && !(flags & MSG_DONTWAIT))
            return 0;
        return -EAGAIN;
    }
    rec_hdr h;
    const uint8_t *buf = a->heap + k->rx.off;
    sn_ring_get(&k->rx, buf, 0, &h, sizeof h);
    uint32_t n = want < h.len ? (uint32_t)want : h.len;
    sn_iovc c;
    sn_iovc_init(&c, m->iov, m->iovcnt);
    sn_ring_get_iov(&k->rx, buf, sizeof h, &c, n);
    if (!(flags & MSG_PEEK)) {
        sn_ring_consume(&k->rx, rec_size(h.len));
        sn_faults_read(a, k);
    }
    sn_unlock(&k->rx_cons);
    m->from = h.from;
    m->to = h.to;
    m->full_len = h.len;
    m->truncated = n < h.len;
    m->ttl = h.ttl;
    m->tos = h.tos;
    /* Linux notes each datagram's arrival for SIOCGSTAMP as it is read */
    if (!(atomic_load(&k->opt) & SN_O_STAMPED))
        atomic_fetch_or(&k->opt, SN_O_STAMPED);
    return (flags & MSG_TRUNC) ? (ssize_t)h.len : (ssize_t)n;
}

int sn_dgram_next_len(sn_arena *a, int s)
{
    sn_sock *k = sn_sock_at(a, s);
    sn_lock(&k->rx_cons);
    uint32_t len = 0;
    if (sn_faults_visible(a, k, sn_ring_used(&k->rx))) {
        rec_hdr h;
        sn_ring_get(&k->rx, a->heap + k->rx.off, 0, &h, sizeof h);
        len = h.len;
    }
    sn_unlock(&k->rx_cons);
    return (int)len;
}
