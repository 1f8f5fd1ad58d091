/* The network's nameserver: it knows the names of core/names.c and says
 * "no such name" (NXDOMAIN, no SOA) for every other, at once.  Answers
 * are the network's own, so it acts as the recursive resolver of
 * resolv.conf would: RA set, AA not. */
#include <netinet/in.h>
#include <string.h>

#include "core/names.h"
#include "core/nameserver.h"

bool sn_nameserver_addr(const sn_sock *k, const sn_addr *dst)
{
    static const uint8_t bcast[4] = {255, 255, 255, 255};
    if (dst->port != SN_DNS_PORT || sn_addr_is_any(dst) ||
        k->protocol == IPPROTO_UDPLITE)
        return false;
    if (sn_addr_is_v4(dst))
        return (dst->ip[12] & 0xf0) != 0xe0 && memcmp(dst->ip + 12, bcast, 4) != 0;
    return dst->ip[0] != 0xff;
}

static bool mapped_v4(const uint8_t ip[16])
{
    static const uint8_t pre[12] = {[10] = 0xff, [11] = 0xff};
    return memcmp(ip, pre, 12) == 0;
}

/* A, AAAA (or both for ANY) of a name; NXDOMAIN when there is no such
 * name, NOERROR without answers (NODATA) when it has none of that type. */
static size_t answer_addrs(sn_arena *a, const sn_dns_query *q, const char *name,
                           uint8_t *out, size_t cap)
{
    uint8_t ips[SN_NAMES_MAX_ADDRS][16];
    int n = sn_names_addrs(a, name, ips, SN_NAMES_MAX_ADDRS);
    if (n < 0)
        return sn_dns_reply(q, SN_DNS_NXDOMAIN, NULL, 0, out, cap);
    bool any = q->qtype == SN_DNS_ANY;
    sn_dns_rr rr[SN_NAMES_MAX_ADDRS];
    int k = 0;
    for (int i = 0; i < n; i++) {
        bool v4 = mapped_v4(ips[i]);
        if (v4 && (any || q->qtype == SN_DNS_A))
            rr[k++] = (sn_dns_rr){SN_DNS_A, ips[i] + 12, 4};
        else if (!v4 && (any || q->qtype == SN_DNS_AAAA))
            rr[k++] = (sn_dns_rr){SN_DNS_AAAA, ips[i], 16};
    }
    return sn_dns_reply(q, SN_DNS_NOERROR, rr, k, out, cap);
}

/* PTR of a reverse name (in-addr.arpa, ip6.arpa) the network knows. */
static size_t answer_ptr(sn_arena *a, const sn_dns_query *q, const uint8_t ip[16],
                         uint8_t *out, size_t cap)
{
    char host[SN_DNS_NAME_MAX + 1];
    uint8_t wire[SN_DNS_NAME_MAX];
    int wl = -1;
    if (sn_names_host(a, ip, host, sizeof host) >= 0)
        wl = sn_dns_name_wire(host, wire);
    if (wl < 0)
        return sn_dns_reply(q, SN_DNS_NXDOMAIN, NULL, 0, out, cap);
    if (q->qtype != SN_DNS_PTR && q->qtype != SN_DNS_ANY)
        return sn_dns_reply(q, SN_DNS_NOERROR, NULL, 0, out, cap);
    sn_dns_rr rr = {SN_DNS_PTR, wire, (uint16_t)wl};
    return sn_dns_reply(q, SN_DNS_NOERROR, &rr, 1, out, cap);
}

size_t sn_nameserver_answer(sn_arena *a, const uint8_t *query, size_t len,
                            uint8_t *out, size_t cap)
{
    sn_dns_query q;
    if (sn_dns_parse(query, len, &q) < 0)
        return 0;
    if (q.rcode != SN_DNS_NOERROR)
        return sn_dns_reply(&q, q.rcode, NULL, 0, out, cap);
    /* Only the Internet class; zone transfers are refused, as a resolver
     * refuses them. */
    if ((q.qclass != SN_DNS_IN && q.qclass != SN_DNS_CLASS_ANY) ||
        q.qtype == SN_DNS_AXFR || q.qtype == SN_DNS_IXFR)
        return sn_dns_reply(&q, SN_DNS_REFUSED, NULL, 0, out, cap);
    char name[SN_DNS_TEXT_MAX];
    sn_dns_qname_text(&q, name);
    uint8_t ip[16];
    if (sn_dns_reverse_addr(name, ip))
        return answer_ptr(a, &q, ip, out, cap);
    return answer_addrs(a, &q, name, out, cap);
}
