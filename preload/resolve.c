/* Name lookups for the hosts of the network (core/hosts.h): getaddrinfo,
 * gethostbyname (and _r, 2, 2_r), gethostbyaddr and getnameinfo answer
 * for a host's name (NAME or NAME.simnet) and its addresses from the
 * network's host table; every other name or address goes to the real C
 * library as before.  The answers are built by the real getaddrinfo from
 * the host's addresses as numbers, so services, socket types, flags and
 * freeaddrinfo are the C library's own. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/net.h"
#include "preload/ifaces.h"
#include "preload/init.h"
#include "preload/real.h"
#include "preload/trap.h"

static sn_arena *hosts_net(void)
{
    sn_arena *a = sn_net();
    return a && sn_net_nhosts(a) > 1 ? a : NULL;
}

/* The host called `name` (not an address), or -1. */
static int host_named(sn_arena **ap, const char *name)
{
    uint8_t ip[16];
    if (!name || !*name || inet_pton(AF_INET, name, ip) == 1 ||
        inet_pton(AF_INET6, name, ip) == 1)
        return -1;
    sn_arena *a = hosts_net();
    *ap = a;
    return a ? sn_net_host_lookup(a, name) : -1;
}

static bool is_v4(const uint8_t ip[16])
{
    static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};
    return memcmp(ip, mapped, 12) == 0;
}

/* The host's addresses of family af, as numbers (IPv4 ones v4-mapped
 * for AF_INET6 when `mapped` and it has no IPv6 one): how many. */
static int addrs_text(const sn_host *x, int af, bool mapped, char out[][INET6_ADDRSTRLEN])
{
    int n = 0;
    for (uint32_t j = 0; j < x->naddr; j++)
        if (is_v4(x->addr[j]) == (af == AF_INET))
            inet_ntop(af, af == AF_INET ? x->addr[j] + 12 : x->addr[j], out[n++],
                      INET6_ADDRSTRLEN);
    for (uint32_t j = 0; n == 0 && mapped && af == AF_INET6 && j < x->naddr; j++)
        if (is_v4(x->addr[j]))
            inet_ntop(AF_INET6, x->addr[j], out[n++], INET6_ADDRSTRLEN);
    return n;
}

/* AI_ADDRCONFIG on a named host, for a name the C library answers:
 * glibc asks the kernel (netlink, from inside the library where no
 * preload sees it) which families have an address other than loopback;
 * the answer must be the host's (both, with the default addresses), not
 * the machine's, which inside `unshare -n` has none and would make an
 * AF_INET lookup of `localhost` fail.  glibc's rule, with the host's
 * addresses: a family with none gives EAI_NONAME; AF_UNSPEC is narrowed
 * to the one family there is.  Then the real lookup runs without the
 * flag.  -1: not on a named host or no AI_ADDRCONFIG (the real lookup as
 * asked); 0: go on with *h; or EAI_NONAME. */
static int addrconfig(const struct addrinfo *hints, struct addrinfo *h)
{
    if (!hints || !(hints->ai_flags & AI_ADDRCONFIG))
        return -1;
    const sn_host *x = sn_if_host();
    if (!x)
        return -1;
    bool v4 = false, v6 = false;
    for (uint32_t j = 0; j < x->naddr; j++)
        *(is_v4(x->addr[j]) ? &v4 : &v6) = true;
    *h = *hints;
    h->ai_flags &= ~AI_ADDRCONFIG;
    if (h->ai_family == AF_UNSPEC && v4 != v6)
        h->ai_family = v4 ? AF_INET : AF_INET6;
    else if ((h->ai_family == AF_INET && !v4) || (h->ai_family == AF_INET6 && !v6))
        return EAI_NONAME;
    return 0;
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res)
{
    sn_trap_need();          /* glibc's resolver makes its own sockets */
    sn_arena *a = NULL;
    int h = host_named(&a, node);
    int fam = hints ? hints->ai_family : AF_UNSPEC;
    if (h < 0 || (fam != AF_UNSPEC && fam != AF_INET && fam != AF_INET6)) {
        struct addrinfo ac;
        int e = node ? addrconfig(hints, &ac) : -1;
        if (e != 0 && e != -1)      /* EAI_ errors are negative */
            return e;
        return REAL(getaddrinfo)(node, service, e == 0 ? &ac : hints, res);
    }
    int flags = hints ? hints->ai_flags : 0;
    if (flags & AI_NUMERICHOST)
        return EAI_NONAME;
    const sn_host *x = sn_net_host(a, h);
    struct addrinfo *head = NULL, **tail = &head;
    int err = EAI_NODATA;
    /* IPv4 first: what a client taking the first answer expects of a
     * name with both (and glibc's order for 127/8 against a ULA). */
    const int order[2] = {AF_INET, AF_INET6};
    for (int f = 0; f < 2; f++) {
        if (fam != AF_UNSPEC && fam != order[f])
            continue;
        char txt[SN_HOST_ADDRS][INET6_ADDRSTRLEN];
        int n = addrs_text(x, order[f], (flags & AI_V4MAPPED) && fam == AF_INET6, txt);
        for (int j = 0; j < n; j++) {
            struct addrinfo hh = {0}, *r;
            if (hints)
                hh = *hints;
            hh.ai_family = order[f];
            hh.ai_flags = (flags & ~(AI_CANONNAME | AI_ADDRCONFIG | AI_V4MAPPED | AI_ALL)) |
                          AI_NUMERICHOST;
            hh.ai_canonname = NULL, hh.ai_addr = NULL, hh.ai_next = NULL;
            int e = REAL(getaddrinfo)(txt[j], service, &hh, &r);
            if (e) {
                err = e;
                continue;
            }
            *tail = r;
            while (*tail)
                tail = &(*tail)->ai_next;
        }
    }
    if (!head)
        return err;
    /* freeaddrinfo frees ai_canonname on its own (glibc). */
    if ((flags & AI_CANONNAME) && !(head->ai_canonname = strdup(x->name))) {
        freeaddrinfo(head);
        return EAI_MEMORY;
    }
    *res = head;
    return 0;
}

/* A hostent for host h in buf: its name, no alias, and its addresses of
 * family af (or only `only`, 4 or 16 bytes, when given).  0, ERANGE, or
 * -1 when it has none of that family. */
static int fill_hostent(const sn_host *x, int af, const void *only, struct hostent *he,
                        char *buf, size_t len)
{
    size_t alen = af == AF_INET ? 4 : 16, n = 0;
    const uint8_t *list[SN_HOST_ADDRS];
    for (uint32_t j = 0; !only && j < x->naddr; j++)
        if (is_v4(x->addr[j]) == (af == AF_INET))
            list[n++] = af == AF_INET ? x->addr[j] + 12 : x->addr[j];
    if (only)
        list[n++] = only;
    if (n == 0)
        return -1;
    size_t ptrs = (n + 2) * sizeof(char *), name = strlen(x->name) + 1;
    uintptr_t pad = (sizeof(char *) - (uintptr_t)buf % sizeof(char *)) % sizeof(char *);
    if (len < pad + ptrs + n * alen + name)
        return ERANGE;
    char **p = (char **)(void *)(buf + pad), *data = buf + pad + ptrs;
    p[0] = NULL;                                   /* h_aliases */
    for (size_t i = 0; i < n; i++) {
        p[1 + i] = memcpy(data + i * alen, list[i], alen);
    }
    p[1 + n] = NULL;
    he->h_name = memcpy(data + n * alen, x->name, name);
    he->h_aliases = p;
    he->h_addrtype = af;
    he->h_length = (int)alen;
    he->h_addr_list = p + 1;
    return 0;
}

int gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf,
                     size_t buflen, struct hostent **result, int *h_errnop)
{
    sn_trap_need();          /* glibc's resolver makes its own sockets */
    sn_arena *a = NULL;
    int h = host_named(&a, name);
    if (h < 0 || (af != AF_INET && af != AF_INET6))
        return REAL(gethostbyname2_r)(name, af, ret, buf, buflen, result, h_errnop);
    int r = fill_hostent(sn_net_host(a, h), af, NULL, ret, buf, buflen);
    *result = r == 0 ? ret : NULL;
    *h_errnop = r == 0 ? 0 : r == ERANGE ? NETDB_INTERNAL : NO_DATA;
    return r > 0 ? r : 0;
}

int gethostbyname_r(const char *name, struct hostent *ret, char *buf, size_t buflen,
                    struct hostent **result, int *h_errnop)
{
    sn_trap_need();          /* glibc's resolver makes its own sockets */
    return gethostbyname2_r(name, AF_INET, ret, buf, buflen, result, h_errnop);
}

static __thread struct hostent he_static;
static __thread char he_buf[512];

struct hostent *gethostbyname2(const char *name, int af)
{
    sn_trap_need();          /* glibc's resolver makes its own sockets */
    sn_arena *a = NULL;
    int h = host_named(&a, name);
    if (h < 0 || (af != AF_INET && af != AF_INET6))
        return REAL(gethostbyname2)(name, af);
    if (fill_hostent(sn_net_host(a, h), af, NULL, &he_static, he_buf, sizeof he_buf) != 0) {
        h_errno = NO_DATA;
        return NULL;
    }
    return &he_static;
}

struct hostent *gethostbyname(const char *name)
{
    sn_trap_need();          /* glibc's resolver makes its own sockets */
    return gethostbyname2(name, AF_INET);
}

/* The host that has address addr (len bytes of family type), or -1. */
static int host_at(sn_arena **ap, const void *addr, size_t len, int type)
{
    sn_addr x = {0};
    if (!addr || (type == AF_INET && len >= 4)) {
        if (!addr)
            return -1;
        x.ip[10] = x.ip[11] = 0xff;
        memcpy(x.ip + 12, addr, 4);
    } else if (type == AF_INET6 && len >= 16) {
        memcpy(x.ip, addr, 16);
    } else {
        return -1;
    }
    sn_arena *a = hosts_net();
    *ap = a;
    int h = a ? sn_net_host_of(a, &x) : -1;
    return h > 0 ? h : -1;          /* the default host has no name */
}

struct hostent *gethostbyaddr(const void *addr, socklen_t len, int type)
{
    sn_trap_need();          /* glibc's resolver makes its own sockets */
    sn_arena *a = NULL;
    int h = host_at(&a, addr, len, type);
    if (h < 0)
        return REAL(gethostbyaddr)(addr, len, type);
    fill_hostent(sn_net_host(a, h), type, addr, &he_static, he_buf, sizeof he_buf);
    return &he_static;
}

int gethostbyaddr_r(const void *addr, socklen_t len, int type, struct hostent *ret,
                    char *buf, size_t buflen, struct hostent **result, int *h_errnop)
{
    sn_trap_need();          /* glibc's resolver makes its own sockets */
    sn_arena *a = NULL;
    int h = host_at(&a, addr, len, type);
    if (h < 0)
        return REAL(gethostbyaddr_r)(addr, len, type, ret, buf, buflen, result, h_errnop);
    int r = fill_hostent(sn_net_host(a, h), type, addr, ret, buf, buflen);
    *result = r == 0 ? ret : NULL;
    *h_errnop = r == 0 ? 0 : NETDB_INTERNAL;
    return r;
}

int getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen,
                char *serv, socklen_t servlen, int flags)
{
    sn_trap_need();          /* glibc's resolver makes its own sockets */
    sn_arena *a = NULL;
    int h = -1;
    if (host && hostlen && !(flags & NI_NUMERICHOST) && sa) {
        if (sa->sa_family == AF_INET && salen >= sizeof(struct sockaddr_in))
            h = host_at(&a, &((const struct sockaddr_in *)sa)->sin_addr, 4, AF_INET);
        else if (sa->sa_family == AF_INET6 && salen >= sizeof(struct sockaddr_in6))
            h = host_at(&a, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16, AF_INET6);
    }
    if (h < 0)
        return REAL(getnameinfo)(sa, salen, host, hostlen, serv, servlen, flags);
    const char *name = sn_net_host(a, h)->name;
    if (strlen(name) >= hostlen)
        return EAI_OVERFLOW;
    if (serv && servlen) {
        int e = REAL(getnameinfo)(sa, salen, NULL, 0, serv, servlen, flags);
        if (e)
            return e;
    }
    strcpy(host, name);
    return 0;
}
