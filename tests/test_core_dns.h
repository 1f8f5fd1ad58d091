/* Hand-built DNS messages for the tests of core/dns.c and
 * core/nameserver.c.  Static inline, as test_core_util.h. */
#ifndef TEST_CORE_DNS_H
#define TEST_CORE_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/dns.h"

static inline size_t td_put16(uint8_t *p, size_t n, uint16_t v)
{
    p[n] = (uint8_t)(v >> 8);
    p[n + 1] = (uint8_t)v;
    return n + 2;
}

static inline uint16_t td_get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* Header with the given counts. */
static inline size_t td_header(uint8_t *p, uint16_t id, uint16_t flags,
                               uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar)
{
    size_t n = td_put16(p, 0, id);
    n = td_put16(p, n, flags);
    n = td_put16(p, n, qd);
    n = td_put16(p, n, an);
    n = td_put16(p, n, ns);
    return td_put16(p, n, ar);
}

/* A dotted name in wire form at p + n (no checks: tests make odd ones). */
static inline size_t td_name(uint8_t *p, size_t n, const char *name)
{
    while (*name) {
        const char *dot = strchr(name, '.');
        size_t l = dot ? (size_t)(dot - name) : strlen(name);
        p[n++] = (uint8_t)l;
        memcpy(p + n, name, l);
        n += l;
        name += l + (dot ? 1 : 0);
    }
    p[n++] = 0;
    return n;
}

/* An OPT record: payload size, version, DO bit. */
static inline size_t td_opt(uint8_t *p, size_t n, uint16_t size, uint8_t version,
                            bool dnssec_ok)
{
    p[n++] = 0;
    n = td_put16(p, n, SN_DNS_OPT);
    n = td_put16(p, n, size);
    p[n++] = 0;                 /* extended rcode */
    p[n++] = version;
    n = td_put16(p, n, dnssec_ok ? 0x8000 : 0);
    return td_put16(p, n, 0);
}

/* A standard query (RD set) for name/type, class IN; with an OPT when
 * edns. */
static inline size_t td_query(uint8_t *p, uint16_t id, const char *name,
                              uint16_t type, bool edns)
{
    size_t n = td_header(p, id, 0x0100, 1, 0, 0, edns ? 1 : 0);
    n = td_name(p, n, name);
    n = td_put16(p, n, type);
    n = td_put16(p, n, SN_DNS_IN);
    return edns ? td_opt(p, n, 4096, 0, false) : n;
}

static inline int td_rcode(const uint8_t *r) { return r[3] & 0xF; }
static inline int td_ancount(const uint8_t *r) { return td_get16(r + 6); }
static inline int td_arcount(const uint8_t *r) { return td_get16(r + 10); }

#endif
