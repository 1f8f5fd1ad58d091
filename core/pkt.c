/* Synthesized packet headers (see pkt.h).  Fields are written byte by
 * byte, big-endian, so nothing depends on the host's order. */
#include "core/pkt.h"

#include <netinet/in.h>
#include <string.h>

#include "core/cksum.h"

static void be16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void be32(uint8_t *p, uint32_t v)
{
    be16(p, v >> 16);
    be16(p + 2, v);
}

static uint32_t ip4_header(uint8_t *o, const sn_pkt *p, uint32_t total)
{
    memset(o, 0, 20);
    o[0] = 0x45;
    o[1] = p->tos;
    be16(o + 2, total);
    be16(o + 4, p->ident);
    if (p->proto == IPPROTO_TCP)
        o[6] = 0x40;                    /* don't fragment, as Linux's TCP */
    o[8] = p->ttl;
    o[9] = p->proto;
    memcpy(o + 12, p->src.ip + 12, 4);
    memcpy(o + 16, p->dst.ip + 12, 4);
    size_t done = 0;
    be16(o + 10, sn_cksum_fold(sn_cksum_add(0, o, 20, &done)));
    return 20;
}

static uint32_t ip6_header(uint8_t *o, const sn_pkt *p, uint32_t plen, uint8_t next)
{
    be32(o, 0x60000000u | (uint32_t)p->tos << 20);
    be16(o + 4, plen);
    o[6] = next;
    o[7] = p->ttl;
    memcpy(o + 8, p->src.ip, 16);
    memcpy(o + 24, p->dst.ip, 16);
    return 40;
}

/* The transport header's length, options included. */
static uint32_t l4_len(const sn_pkt *p)
{
    if (p->proto == IPPROTO_TCP)
        return (p->flags & SN_TCP_SYN) ? 28 : 20;
    return 8;                           /* UDP, ICMP */
}

static void tcp_header(uint8_t *t, const sn_pkt *p, uint32_t hl)
{
    memset(t, 0, hl);
    be16(t, p->src.port);
    be16(t + 2, p->dst.port);
    be32(t + 4, p->seq);
    be32(t + 8, (p->flags & SN_TCP_ACK) ? p->ack : 0);
    t[12] = (uint8_t)(hl / 4) << 4;
    t[13] = p->flags;
    /* window: 65535 scaled by 2^7 once the handshake offered scaling,
     * room for what a loopback receiver takes */
    be16(t + 14, 65535);
    if (p->flags & SN_TCP_URG)
        be16(t + 18, p->urp);
    if (hl == 28) {                     /* SYN: MSS, NOP, window scale 7 */
        t[20] = 2; t[21] = 4; be16(t + 22, SN_PKT_MSS);
        t[24] = 1; t[25] = 3; t[26] = 3; t[27] = 7;
    }
}

static uint32_t pseudo_sum(const sn_pkt *p, bool v4, uint32_t len, uint8_t next)
{
    uint8_t b[40];
    size_t done = 0;
    if (v4) {
        memcpy(b, p->src.ip + 12, 4);
        memcpy(b + 4, p->dst.ip + 12, 4);
        b[8] = 0;
        b[9] = next;
        be16(b + 10, len);
        return sn_cksum_add(0, b, 12, &done);
    }
    memcpy(b, p->src.ip, 16);
    memcpy(b + 16, p->dst.ip, 16);
    be32(b + 32, len);
    b[36] = b[37] = b[38] = 0;
    b[39] = next;
    return sn_cksum_add(0, b, 40, &done);
}

uint32_t sn_pkt_build(uint8_t *out, const sn_pkt *p, const sn_iovc *payload,
                      uint32_t plen)
{
    bool v4 = sn_addr_is_v4(&p->src) && sn_addr_is_v4(&p->dst);
    uint8_t next = p->proto;
    if (!v4 && next == IPPROTO_ICMP)
        next = IPPROTO_ICMPV6;
    uint32_t hl = l4_len(p), l4 = hl + plen;
    uint32_t iph = v4 ? ip4_header(out, p, 20 + l4) : ip6_header(out, p, l4, next);
    uint8_t *t = out + iph;
    if (p->proto == IPPROTO_TCP) {
        tcp_header(t, p, hl);
    } else if (p->proto == IPPROTO_UDP) {
        be16(t, p->src.port);
        be16(t + 2, p->dst.port);
        be16(t + 4, l4);
        be16(t + 6, 0);
    } else {                            /* port unreachable */
        memset(t, 0, 8);
        t[0] = v4 ? 3 : 1;
        t[1] = v4 ? 3 : 4;
    }
    size_t done = 0;
    /* ICMPv4's checksum covers the message alone; the rest add a
     * pseudo-header of addresses, protocol and length */
    uint32_t sum = (v4 && next == IPPROTO_ICMP) ? 0 : pseudo_sum(p, v4, l4, next);
    sum = sn_cksum_add(sum, t, hl, &done);
    sn_iovc c = *payload;
    sum = sn_cksum_iov(sum, &c, plen, &done);
    uint16_t ck = sn_cksum_fold(sum);
    if (p->proto == IPPROTO_UDP && ck == 0)
        ck = 0xffff;                    /* 0 would mean "no checksum" */
    be16(t + (p->proto == IPPROTO_TCP ? 16 : p->proto == IPPROTO_UDP ? 6 : 2), ck);
    return iph + hl;
}
