/* TCP and UDP as a capture shows them (see tap.h). */
#include "core/tap.h"

#include <netinet/in.h>
#include <string.h>

#include "core/capture.h"
#include "core/clock.h"
#include "core/pkt.h"

static void emit(sn_arena *a, sn_pkt *p, const sn_iovc *c, uint32_t n)
{
    static const struct iovec none = {0};
    sn_iovc empty;
    if (!c) {
        sn_iovc_init(&empty, &none, 0);
        c = &empty;
    }
    uint8_t hdr[SN_PKT_HDR_MAX];
    if (sn_addr_is_v4(&p->src) && sn_addr_is_v4(&p->dst))
        p->ident = sn_cap_ident(a);
    uint32_t hl = sn_pkt_build(hdr, p, c, n);
    sn_cap_append(a, hdr, hl, c, n);
}

static uint8_t hops(sn_arena *a, const sn_addr *x)
{
    return (uint8_t)(sn_addr_is_v4(x) ? a->hdr->lim.ip_ttl : a->hdr->lim.ipv6_hops_lo);
}

/* A segment from k (or, reversed, from its peer to k); `fin`: whether k
 * has sent its FIN. */
static void segment(sn_arena *a, sn_sock *k, bool rev, uint8_t flags, bool fin)
{
    uint32_t sh = atomic_load(&k->shut);
    uint32_t mine = k->isn + 1 + (uint32_t)k->bytes_tx + fin;
    uint32_t theirs = k->peer_isn + 1 + atomic_load(&k->rx.in) + !!(sh & SN_PEER_FIN);
    sn_pkt p = {.src = rev ? k->peer : k->local, .dst = rev ? k->local : k->peer,
                .proto = IPPROTO_TCP, .flags = flags,
                .seq = rev ? theirs : mine, .ack = rev ? mine : theirs};
    p.ttl = hops(a, &p.dst);
    emit(a, &p, NULL, 0);
}

/* RFC 6528's choice: a hash of the connection's addresses and a secret
 * (the network's token), plus a clock ticking every 64 ns, so that a
 * 4-tuple used again starts somewhere else. */
static uint32_t choose_isn(sn_arena *a, const sn_addr *src, const sn_addr *dst)
{
    uint64_t h = a->hdr->token ^ 0x9e3779b97f4a7c15ull;
    const sn_addr *x[2] = {src, dst};
    for (int i = 0; i < 2; i++) {
        uint64_t w[3];
        memcpy(w, x[i]->ip, 16);
        w[2] = x[i]->port;
        for (int j = 0; j < 3; j++) {
            h ^= w[j];
            h *= 0xff51afd7ed558ccdull;
            h ^= h >> 33;
        }
    }
    return (uint32_t)(h ^ (h >> 32)) + (uint32_t)((uint64_t)sn_mono_ns() >> 6);
}

void sn_tap_connect(sn_arena *a, sn_sock *C, sn_sock *S)
{
    C->isn = S->peer_isn = choose_isn(a, &C->local, &C->peer);
    S->isn = C->peer_isn = choose_isn(a, &S->local, &S->peer);
    sn_pkt p = {.src = C->local, .dst = C->peer, .proto = IPPROTO_TCP,
                .flags = SN_TCP_SYN, .seq = C->isn};
    p.ttl = hops(a, &p.dst);
    emit(a, &p, NULL, 0);
    sn_pkt q = {.src = S->local, .dst = S->peer, .proto = IPPROTO_TCP, .ttl = p.ttl,
                .flags = SN_TCP_SYN | SN_TCP_ACK, .seq = S->isn, .ack = C->isn + 1};
    emit(a, &q, NULL, 0);
    p.flags = SN_TCP_ACK;
    p.seq = C->isn + 1;
    p.ack = S->isn + 1;
    emit(a, &p, NULL, 0);
}

void sn_tap_refused(sn_arena *a, sn_sock *k, const sn_addr *dst)
{
    uint32_t isn = choose_isn(a, &k->local, dst);
    sn_pkt p = {.src = k->local, .dst = *dst, .proto = IPPROTO_TCP,
                .flags = SN_TCP_SYN, .seq = isn};
    p.ttl = hops(a, dst);
    emit(a, &p, NULL, 0);
    sn_pkt q = {.src = *dst, .dst = k->local, .proto = IPPROTO_TCP, .ttl = p.ttl,
                .flags = SN_TCP_RST | SN_TCP_ACK, .seq = 0, .ack = isn + 1};
    emit(a, &q, NULL, 0);
}

void sn_tap_data(sn_arena *a, sn_sock *k, uint32_t at, const sn_iovc *c,
                 uint32_t n, bool urgent)
{
    uint32_t sh = atomic_load(&k->shut);
    sn_pkt p = {.src = k->local, .dst = k->peer, .proto = IPPROTO_TCP,
                .ack = k->peer_isn + 1 + atomic_load(&k->rx.in) + !!(sh & SN_PEER_FIN)};
    p.ttl = hops(a, &p.dst);
    sn_iovc cur = *c;
    for (uint32_t done = 0; done < n;) {
        uint32_t len = n - done < SN_PKT_MSS ? n - done : SN_PKT_MSS;
        p.seq = k->isn + 1 + at + done;
        /* PSH on the last segment of a write, as Linux sets it */
        p.flags = SN_TCP_ACK | (done + len == n ? SN_TCP_PSH : 0);
        /* Linux's urgent pointer: the byte after the urgent one */
        if (urgent && done + len == n) {
            p.flags |= SN_TCP_URG;
            p.urp = (uint16_t)len;
        }
        emit(a, &p, &cur, len);
        sn_iovc_skip(&cur, len);
        done += len;
    }
}

void sn_tap_fin(sn_arena *a, sn_sock *k)
{
    segment(a, k, false, SN_TCP_FIN | SN_TCP_ACK, false);
    segment(a, k, true, SN_TCP_ACK, true);     /* acknowledges the FIN */
}

void sn_tap_rst(sn_arena *a, sn_sock *k, int peer)
{
    bool fin = atomic_load(&k->shut) & SN_SHUT_WR;
    segment(a, k, peer != 0, SN_TCP_RST | SN_TCP_ACK, fin);
}

void sn_tap_dgram(sn_arena *a, const sn_addr *from, const sn_addr *to,
                  uint8_t ttl, uint8_t tos, const sn_iovc *c, uint32_t len,
                  int unreach)
{
    sn_pkt p = {.src = *from, .dst = *to, .proto = IPPROTO_UDP, .ttl = ttl, .tos = tos};
    emit(a, &p, c, len);
    if (!unreach)
        return;
    /* The quoted datagram: its headers and as much of it as keeps the
     * error within 576 bytes (IPv4) or 1280 (IPv6), as Linux does. */
    bool v4 = sn_addr_is_v4(from);
    uint8_t inner[SN_PKT_HDR_MAX];
    uint32_t hl = sn_pkt_build(inner, &p, c, len);
    uint8_t body[1280];
    uint32_t keep = (v4 ? 576 - 28 : 1280 - 48) - hl;
    if (keep > len)
        keep = len;
    sn_iovc cur = *c;
    sn_iovc_read(&cur, body, keep);
    struct iovec q[2] = {{inner, hl}, {body, keep}};
    sn_iovc quoted;
    sn_iovc_init(&quoted, q, 2);
    sn_pkt e = {.src = *to, .dst = *from, .proto = IPPROTO_ICMP, .ttl = hops(a, from)};
    emit(a, &e, &quoted, hl + keep);
}
