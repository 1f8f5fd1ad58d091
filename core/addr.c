#include "core/addr.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

static const uint8_t v4mapped_prefix[12] = {0,0,0,0,0,0,0,0,0,0,0xff,0xff};

static void set_v4(sn_addr *a, const void *ip4)
{
    memcpy(a->ip, v4mapped_prefix, 12);
    memcpy(a->ip + 12, ip4, 4);
}

int sn_addr_parse(int family, const struct sockaddr *sa, socklen_t len,
                  bool bind, sn_addr *out)
{
    memset(out, 0, sizeof *out);
    if (family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        if (len < sizeof *in)
            return -EINVAL;
        if (in->sin_family != AF_INET) {
            /* Linux lets bind() take AF_UNSPEC for INADDR_ANY only. */
            if (!(bind && in->sin_family == AF_UNSPEC &&
                  in->sin_addr.s_addr == htonl(INADDR_ANY)))
                return -EAFNOSUPPORT;
        }
        set_v4(out, &in->sin_addr);
        out->port = ntohs(in->sin_port);
        return 0;
    }
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
    if (len < 24)       /* SIN6_LEN_RFC2133: sockaddr_in6 without scope id */
        return -EINVAL;
    if (in6->sin6_family != AF_INET6)
        return -EAFNOSUPPORT;
    memcpy(out->ip, &in6->sin6_addr, 16);
    out->port = ntohs(in6->sin6_port);
    out->flowinfo = in6->sin6_flowinfo;
    if (len >= sizeof *in6)
        out->scope_id = in6->sin6_scope_id;
    return 0;
}

socklen_t sn_addr_format(int family, const sn_addr *a,
                         struct sockaddr_storage *out)
{
    memset(out, 0, sizeof *out);
    if (family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)out;
        in->sin_family = AF_INET;
        in->sin_port = htons(a->port);
        memcpy(&in->sin_addr, a->ip + 12, 4);
        return sizeof *in;
    }
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(a->port);
    memcpy(&in6->sin6_addr, a->ip, 16);
    in6->sin6_flowinfo = a->flowinfo;
    in6->sin6_scope_id = a->scope_id;
    return sizeof *in6;
}

void sn_addr_any(int family, sn_addr *out)
{
    static const uint8_t zero4[4];
    memset(out, 0, sizeof *out);
    if (family == AF_INET)
        set_v4(out, zero4);
}

bool sn_addr_is_v4(const sn_addr *a)
{
    return memcmp(a->ip, v4mapped_prefix, 12) == 0;
}

bool sn_addr_is_any(const sn_addr *a)
{
    static const uint8_t zero[16];
    if (sn_addr_is_v4(a))
        return memcmp(a->ip + 12, zero, 4) == 0;
    return memcmp(a->ip, zero, 16) == 0;
}

bool sn_addr_is_local(const sn_addr *a)
{
    static const uint8_t v6loop[16] = {[15] = 1};
    if (sn_addr_is_any(a))
        return true;
    if (sn_addr_is_v4(a))
        return a->ip[12] == 127;
    return memcmp(a->ip, v6loop, 16) == 0;
}

bool sn_addr_same_ip(const sn_addr *a, const sn_addr *b)
{
    return memcmp(a->ip, b->ip, 16) == 0;
}

bool sn_addr_equal(const sn_addr *a, const sn_addr *b)
{
    return a->port == b->port && sn_addr_same_ip(a, b);
}

void sn_addr_source_for(const sn_addr *dst, sn_addr *src)
{
    static const uint8_t lo4[4] = {127, 0, 0, 1};
    memset(src, 0, sizeof *src);
    if (sn_addr_is_v4(dst))
        set_v4(src, lo4);
    else
        src->ip[15] = 1;
}

void sn_addr_resolve_any(sn_addr *dst)
{
    if (sn_addr_is_any(dst)) {
        sn_addr here;
        sn_addr_source_for(dst, &here);
        here.port = dst->port;
        *dst = here;
    }
}
