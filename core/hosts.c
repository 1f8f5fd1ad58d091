#include "core/hosts.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static uint32_t nhosts(sn_arena *a)
{
    return __atomic_load_n(&a->hdr->nhosts, __ATOMIC_ACQUIRE);
}

static uint32_t naddr(const sn_host *h)
{
    return __atomic_load_n(&h->naddr, __ATOMIC_ACQUIRE);
}

static bool has(const sn_host *h, const sn_addr *x)
{
    for (uint32_t j = 0, m = naddr(h); j < m; j++)
        if (memcmp(h->addr[j], x->ip, 16) == 0)
            return true;
    return false;
}

static const char *bad_label(const char *p, size_t n)
{
    if (n == 0)
        return "an empty label";
    if (n > 63)
        return "a label longer than 63";
    if (p[0] == '-' || p[n - 1] == '-')
        return "a label starting or ending with '-'";
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)p[i]) && p[i] != '-')
            return "a character other than letters, digits, '-' and '.'";
    return NULL;
}

const char *sn_hosts_bad_name(const char *name)
{
    size_t len = strlen(name);
    if (len == 0)
        return "empty";
    if (len >= SN_HOST_NAME)
        return "longer than 63 characters";
    if (strspn(name, "0123456789.") == len)
        return "only digits and dots (reads as an address)";
    for (const char *p = name;;) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        const char *why = bad_label(p, n);
        if (why)
            return why;
        if (!dot)
            return NULL;
        p = dot + 1;
    }
}

int sn_hosts_find(sn_arena *a, const char *name)
{
    uint32_t n = nhosts(a);
    for (uint32_t i = 1; i < n; i++)
        if (strcasecmp(a->hosts[i].name, name) == 0)
            return (int)i;
    return -1;
}

int sn_hosts_lookup(sn_arena *a, const char *name)
{
    if (nhosts(a) <= 1)
        return -1;
    char n[SN_HOST_NAME + sizeof SN_HOSTS_DOMAIN + 2];
    size_t len = strlen(name);
    if (len == 0 || len >= sizeof n)
        return -1;
    memcpy(n, name, len + 1);
    if (n[len - 1] == '.')
        n[--len] = 0;
    size_t d = sizeof SN_HOSTS_DOMAIN - 1;
    if (len > d + 1 && n[len - d - 1] == '.' && strcasecmp(n + len - d, SN_HOSTS_DOMAIN) == 0)
        n[len - d - 1] = 0;
    return sn_hosts_find(a, n);
}

int sn_hosts_addr_owner(sn_arena *a, const sn_addr *x)
{
    uint32_t n = nhosts(a);
    for (uint32_t i = 0; i < n; i++) {
        if (has(&a->hosts[i], x))
            return (int)i;
    }
    return -1;
}

int sn_hosts_owner(sn_arena *a, int from, const sn_addr *x)
{
    if (sn_addr_is_any(x))
        return from;
    /* Without named hosts (the common case) no address is a host's. */
    int o = nhosts(a) > 1 ? sn_hosts_addr_owner(a, x) : -1;
    if (o >= 0)
        return o;
    return sn_addr_is_local(x) ? from : -1;
}

void sn_hosts_source_for(sn_arena *a, int h, const sn_addr *dst, sn_addr *src)
{
    int o = nhosts(a) > 1 ? sn_hosts_addr_owner(a, dst) : -1;
    if (o < 0) {                    /* its loopback (or nowhere) */
        sn_addr_source_for(dst, src);
        return;
    }
    memset(src, 0, sizeof *src);
    if (o == h) {
        memcpy(src->ip, dst->ip, 16);
        return;
    }
    const sn_host *me = &a->hosts[h];
    bool v4 = sn_addr_is_v4(dst);
    for (uint32_t j = 0, m = naddr(me); j < m; j++) {
        memcpy(src->ip, me->addr[j], 16);
        if (sn_addr_is_v4(src) == v4)
            return;
    }
    sn_addr_source_for(dst, src);
}

static int64_t now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return t.tv_sec;
}

bool sn_hosts_fresh(sn_arena *a)
{
    int64_t t = __atomic_load_n(&a->hdr->hosts_touched, __ATOMIC_RELAXED);
    return t && now_s() - t < SN_HOSTS_FRESH_S && now_s() >= t;
}

/* Addresses no host may have: wildcards, loopback's own, multicast,
 * broadcast. */
static bool host_addr_ok(const sn_addr *x)
{
    static const uint8_t lo4[4] = {127, 0, 0, 1}, ones[4] = {255, 255, 255, 255};
    static const uint8_t lo6[16] = {[15] = 1};
    if (sn_addr_is_any(x))
        return false;
    if (sn_addr_is_v4(x))
        return memcmp(x->ip + 12, lo4, 4) != 0 && memcmp(x->ip + 12, ones, 4) != 0 &&
               (x->ip[12] & 0xf0) != 0xe0;
    return memcmp(x->ip, lo6, 16) != 0 && x->ip[0] != 0xff;
}

static void fmt(const sn_addr *x, char *out, size_t n)
{
    if (sn_addr_is_v4(x))
        inet_ntop(AF_INET, x->ip + 12, out, (socklen_t)n);
    else
        inet_ntop(AF_INET6, x->ip, out, (socklen_t)n);
}

static int add_addr(sn_arena *a, int h, const sn_addr *x, char *err, size_t errlen)
{
    char s[64];
    fmt(x, s, sizeof s);
    if (!host_addr_ok(x)) {
        snprintf(err, errlen, "%s cannot be a host's address", s);
        return -EINVAL;
    }
    if (has(&a->hosts[h], x))
        return 0;
    int o = sn_hosts_addr_owner(a, x);
    if (o >= 0) {
        snprintf(err, errlen, "address %s is %s%s's already", s, o ? "host " : "the default host",
                 a->hosts[o].name);
        return -EADDRINUSE;
    }
    sn_host *me = &a->hosts[h];
    if (me->naddr >= SN_HOST_ADDRS) {
        snprintf(err, errlen, "host %s has %d addresses already", me->name, SN_HOST_ADDRS);
        return -ENOSPC;
    }
    memcpy(me->addr[me->naddr], x->ip, 16);
    __atomic_store_n(&me->naddr, me->naddr + 1, __ATOMIC_RELEASE);
    /* Datagram routes cached by senders may now be stale (core/dgram.c). */
    atomic_fetch_add(&a->hdr->dgram_gen, 1);
    return 0;
}

/* The next default address of a family not yet anyone's. */
static void next_auto(sn_arena *a, bool v4, sn_addr *x)
{
    do {
        uint32_t n = ++a->hdr->host_auto[v4 ? 0 : 1];
        memset(x, 0, sizeof *x);
        if (v4) {
            const uint8_t ip[16] = {[10] = 0xff, [11] = 0xff, [12] = 127, [13] = 100,
                                    [14] = (uint8_t)(n >> 8), [15] = (uint8_t)n};
            memcpy(x->ip, ip, 16);
        } else {
            const uint8_t ip[16] = {0xfd, 0x73, 0x00, 0x6e, [14] = (uint8_t)(n >> 8),
                                    [15] = (uint8_t)n};
            memcpy(x->ip, ip, 16);
        }
    } while (sn_hosts_addr_owner(a, x) >= 0 || !host_addr_ok(x));
}

/* The first named host: the default host gets its addresses, so that
 * what its processes send to other hosts comes from an address that
 * leads back to it. */
static void address_default_host(sn_arena *a)
{
    sn_host *d = &a->hosts[0];
    if (d->naddr)
        return;
    const uint8_t v4[16] = {[10] = 0xff, [11] = 0xff, [12] = 127, [13] = 100,
                            [14] = 255, [15] = 254};
    const uint8_t v6[16] = {0xfd, 0x73, 0x00, 0x6e, [14] = 0xff, [15] = 0xfe};
    memcpy(d->addr[0], v4, 16);
    memcpy(d->addr[1], v6, 16);
    __atomic_store_n(&d->naddr, 2, __ATOMIC_RELEASE);
}

/* A new entry for `name` with addrs, then defaults for missing families. */
static int make(sn_arena *a, const char *name, const sn_addr *addrs, int n,
                char *err, size_t errlen)
{
    sn_hdr *hd = a->hdr;
    if (hd->nhosts >= SN_MAX_HOSTS) {
        snprintf(err, errlen, "too many hosts in the network (%d)", SN_MAX_HOSTS - 1);
        return -ENOSPC;
    }
    address_default_host(a);
    int h = (int)hd->nhosts;
    sn_host *me = &a->hosts[h];
    memset(me, 0, sizeof *me);
    snprintf(me->name, sizeof me->name, "%s", name);
    bool v4 = false, v6 = false;
    for (int i = 0; i < n; i++) {
        int r = add_addr(a, h, &addrs[i], err, errlen);
        if (r < 0) {
            memset(me, 0, sizeof *me);      /* never published */
            return r;
        }
        v4 |= sn_addr_is_v4(&addrs[i]);
        v6 |= !sn_addr_is_v4(&addrs[i]);
    }
    sn_addr x;
    /* A host whose given addresses fill its entry gets no defaults. */
    if (!v4 && me->naddr < SN_HOST_ADDRS) {
        next_auto(a, true, &x);
        add_addr(a, h, &x, err, errlen);
    }
    if (!v6 && me->naddr < SN_HOST_ADDRS) {
        next_auto(a, false, &x);
        add_addr(a, h, &x, err, errlen);
    }
    __atomic_store_n(&hd->nhosts, hd->nhosts + 1, __ATOMIC_RELEASE);
    return h;
}

int sn_hosts_add(sn_arena *a, const char *name, const sn_addr *addrs, int n,
                 char *err, size_t errlen)
{
    const char *why = sn_hosts_bad_name(name);
    if (why) {
        snprintf(err, errlen, "invalid host name '%.64s': %s", name, why);
        return -EINVAL;
    }
    __atomic_store_n(&a->hdr->hosts_touched, now_s(), __ATOMIC_RELAXED);
    int h = sn_hosts_find(a, name);
    if (h < 0)
        return make(a, name, addrs, n, err, errlen);
    for (int i = 0; i < n; i++) {
        int r = add_addr(a, h, &addrs[i], err, errlen);
        if (r < 0)
            return r;
    }
    return h;
}

int sn_hosts_parse_addrs(const char *list, sn_addr *out, int max, char *err,
                         size_t errlen)
{
    int n = 0;
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ", ");
        if (len == 0) {
            p++;
            continue;
        }
        char one[INET6_ADDRSTRLEN + 1];
        uint8_t ip[16];
        snprintf(one, sizeof one, "%.*s", (int)(len < sizeof one - 1 ? len : sizeof one - 1), p);
        memset(&out[n < max ? n : 0], 0, sizeof *out);
        if (n >= max) {
            snprintf(err, errlen, "more than %d addresses for one host", max);
            return -EINVAL;
        } else if (len < sizeof one && inet_pton(AF_INET, one, ip) == 1) {
            const uint8_t pre[12] = {[10] = 0xff, [11] = 0xff};
            memcpy(out[n].ip, pre, 12);
            memcpy(out[n].ip + 12, ip, 4);
        } else if (len < sizeof one && inet_pton(AF_INET6, one, ip) == 1) {
            memcpy(out[n].ip, ip, 16);
        } else {
            snprintf(err, errlen, "invalid address '%.*s': not IPv4 or IPv6",
                     (int)(len < 64 ? len : 64), p);
            return -EINVAL;
        }
        n++;
        p += len;
    }
    return n;
}
