/* Socket options.  Three kinds:
 *  - options that change behaviour here (buffer sizes, timeouts, reuse,
 *    linger, v6only, pktinfo), kept in fields of the socket;
 *  - read-only facts (SO_TYPE, SO_ERROR, TCP_INFO in tcp_info.c, ...);
 *  - options Linux accepts and reads back but that mean nothing without
 *    wires (TCP_KEEPIDLE, IP_TOS, ...): the `plain` table gives their
 *    default and valid range, values live in the socket's xopt store.
 * Anything else gets ENOPROTOOPT, as Linux gives for an unknown option. */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/time.h>

#include "core/net.h"
#include "core/opts.h"
#include "core/sock.h"
#include "core/tcp_info.h"

#define SOCK_MIN_SNDBUF 4608   /* 2 * (2048 + sizeof(struct sk_buff)) */
#define SOCK_MIN_RCVBUF 2304

#ifndef SO_RCVTIMEO_NEW
#define SO_RCVTIMEO_NEW 66
#define SO_SNDTIMEO_NEW 67
#endif

enum { ANY = 0, STREAM = SOCK_STREAM, DGRAM = SOCK_DGRAM };

typedef struct plain_opt {
    int16_t level, name;
    int8_t  type;          /* ANY, STREAM or DGRAM sockets only */
    int32_t def, lo, hi;   /* default, accepted range */
} plain_opt;

static const plain_opt plain[] = {
    {SOL_SOCKET, SO_PRIORITY, ANY, 0, 0, INT_MAX},
    {SOL_SOCKET, SO_TIMESTAMP, ANY, 0, INT_MIN, INT_MAX},
    {SOL_SOCKET, SO_TIMESTAMPNS, ANY, 0, INT_MIN, INT_MAX},
    {SOL_SOCKET, SO_DONTROUTE, ANY, 0, INT_MIN, INT_MAX},
    {SOL_SOCKET, SO_MARK, ANY, 0, INT_MIN, INT_MAX},
    {SOL_SOCKET, SO_BUSY_POLL, ANY, 0, 0, INT_MAX},
    {SOL_SOCKET, SO_ZEROCOPY, ANY, 0, INT_MIN, INT_MAX},
    {IPPROTO_TCP, TCP_KEEPIDLE, STREAM, 7200, 1, 32767},
    {IPPROTO_TCP, TCP_KEEPINTVL, STREAM, 75, 1, 32767},
    {IPPROTO_TCP, TCP_KEEPCNT, STREAM, 9, 1, 127},
    {IPPROTO_TCP, TCP_MAXSEG, STREAM, 536, 0, 65535},
    {IPPROTO_TCP, TCP_DEFER_ACCEPT, STREAM, 0, INT_MIN, INT_MAX},
    {IPPROTO_TCP, TCP_FASTOPEN, STREAM, 0, 0, INT_MAX},
    {IPPROTO_TCP, TCP_USER_TIMEOUT, STREAM, 0, 0, INT_MAX},
    {IPPROTO_TCP, TCP_SYNCNT, STREAM, 6, 1, 255},
    {IPPROTO_TCP, TCP_LINGER2, STREAM, 60, INT_MIN, INT_MAX},
    {IPPROTO_TCP, TCP_WINDOW_CLAMP, STREAM, 0, 0, INT_MAX},
    {IPPROTO_TCP, TCP_NOTSENT_LOWAT, STREAM, -1, INT_MIN, INT_MAX},
    {IPPROTO_IP, IP_TOS, ANY, 0, INT_MIN, INT_MAX},
    {IPPROTO_IP, IP_TTL, ANY, -1, -1, 255},          /* -1: the host's */
    {IPPROTO_IP, IP_RECVERR, ANY, 0, INT_MIN, INT_MAX},
    {IPPROTO_IP, IP_MTU_DISCOVER, ANY, 1, 0, 5},
    {IPPROTO_IP, IP_FREEBIND, ANY, 0, INT_MIN, INT_MAX},
    {IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, ANY, 0, INT_MIN, INT_MAX},
    {IPPROTO_IP, IP_MULTICAST_TTL, DGRAM, 1, -1, 255},
    {IPPROTO_IP, IP_MULTICAST_LOOP, DGRAM, 1, INT_MIN, INT_MAX},
    {IPPROTO_IPV6, IPV6_TCLASS, ANY, 0, -1, 255},
    {IPPROTO_IPV6, IPV6_UNICAST_HOPS, ANY, -1, -1, 255},
    {IPPROTO_IPV6, IPV6_MULTICAST_HOPS, DGRAM, 1, -1, 255},
    {IPPROTO_IPV6, IPV6_MULTICAST_LOOP, DGRAM, 1, INT_MIN, INT_MAX},
    {IPPROTO_IPV6, IPV6_RECVERR, ANY, 0, INT_MIN, INT_MAX},
    {IPPROTO_IPV6, IPV6_MTU_DISCOVER, ANY, 1, 0, 5},
};

static const plain_opt *find_plain(int level, int name, int type)
{
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        if (plain[i].level == level && plain[i].name == name)
            return plain[i].type == ANY || plain[i].type == type ? &plain[i] : NULL;
    return NULL;
}

static sn_xopt *xopt_slot(sn_sock *k, int level, int name, bool create)
{
    for (int i = 0; i < SN_XOPTS; i++)
        if (k->xopt[i].level == level && k->xopt[i].name == name)
            return &k->xopt[i];
    if (create)
        for (int i = 0; i < SN_XOPTS; i++)
            if (k->xopt[i].level == 0 && k->xopt[i].name == 0) {
                k->xopt[i].level = (int16_t)level;
                k->xopt[i].name = (int16_t)name;
                return &k->xopt[i];
            }
    return NULL;
}

/* Boolean options kept as SN_O_* bits. */
static uint32_t flag_of(const sn_sock *k, int level, int name)
{
    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_REUSEADDR: return SN_O_REUSEADDR;
        case SO_REUSEPORT: return SN_O_REUSEPORT;
        case SO_KEEPALIVE: return SN_O_KEEPALIVE;
        case SO_BROADCAST: return SN_O_BROADCAST;
        case SO_OOBINLINE: return SN_O_OOBINLINE;
        }
    } else if (level == IPPROTO_TCP && k->type == SOCK_STREAM) {
        switch (name) {
        case TCP_NODELAY: return SN_O_NODELAY;
        case TCP_CORK:    return SN_O_CORK;
        case TCP_QUICKACK: return SN_O_QUICKACK;
        }
    } else if (level == IPPROTO_IP) {
        if (name == IP_PKTINFO) return SN_O_PKTINFO;
        if (name == IP_RECVTTL) return SN_O_RECVTTL;
        if (name == IP_RECVTOS) return SN_O_RECVTOS;
    } else if (level == IPPROTO_IPV6 && k->family == AF_INET6) {
        if (name == IPV6_RECVPKTINFO) return SN_O_RECVPKTINFO6;
        if (name == IPV6_V6ONLY) return SN_O_V6ONLY;
        if (name == IPV6_RECVHOPLIMIT) return SN_O_RECVHOPS;
        if (name == IPV6_RECVTCLASS) return SN_O_RECVTCLASS;
    }
    return 0;
}

static bool level_ok(const sn_sock *k, int level)
{
    switch (level) {
    case SOL_SOCKET:
    case IPPROTO_IP:   return true;   /* v6 sockets take IP options too */
    case IPPROTO_TCP:  return k->type == SOCK_STREAM;
    case IPPROTO_IPV6: return k->family == AF_INET6;
    case IPPROTO_UDP:
    case IPPROTO_UDPLITE: return k->type == SOCK_DGRAM;  /* either, on both */
    default:           return false;
    }
}

static int set_timeout(int64_t *ns, const void *val, socklen_t len, bool new_fmt)
{
    int64_t sec, usec;
    if (new_fmt) {                       /* struct __kernel_sock_timeval */
        if (len < 16)
            return -EINVAL;
        memcpy(&sec, val, 8);
        memcpy(&usec, (const char *)val + 8, 8);
    } else {
        struct timeval tv;
        if (len < sizeof tv)
            return -EINVAL;
        memcpy(&tv, val, sizeof tv);
        sec = tv.tv_sec;
        usec = tv.tv_usec;
    }
    if (usec < 0 || usec >= 1000000)
        return -EDOM;
    if (sec < 0)                         /* Linux: a negative time is "now" */
        *ns = 1;
    else if (sec == 0 && usec == 0)
        *ns = 0;                         /* no timeout */
    else
        *ns = sec * 1000000000LL + usec * 1000;
    return 0;
}

/* SO_SNDBUF / SO_RCVBUF as Linux stores them: the value read as
 * unsigned, capped at the sysctl maximum (not for the *FORCE variants),
 * doubled, at least the minimum. */
static int32_t buf_size(int v, int32_t max, int32_t min)
{
    uint32_t u = (uint32_t)v;
    if (u > (uint32_t)max)
        u = (uint32_t)max;
    if (u > INT_MAX / 2)
        u = INT_MAX / 2;
    return (int32_t)u * 2 < min ? min : (int32_t)u * 2;
}

#ifndef UDPLITE_SEND_CSCOV
#define UDPLITE_SEND_CSCOV 10
#define UDPLITE_RECV_CSCOV 11
#endif

/* UDP-Lite's coverage options, at level IPPROTO_UDP or IPPROTO_UDPLITE:
 * a coverage below 8 (the header) becomes 8, above 65535 is 65535, 0 is
 * the whole datagram.  A UDP socket reads them as 0 and cannot set them;
 * other UDP options are not simulated (UDP_CORK would hold data back). */
static int set_udp_opt(sn_sock *k, int name, const void *val, socklen_t len)
{
    if (name != UDPLITE_SEND_CSCOV && name != UDPLITE_RECV_CSCOV)
        return -ENOPROTOOPT;
    if (len < sizeof(int))
        return -EINVAL;
    if (k->protocol != IPPROTO_UDPLITE)
        return -ENOPROTOOPT;
    int v;
    memcpy(&v, val, sizeof v);
    if (v != 0 && v < 8)
        v = 8;
    else if (v > 65535)
        v = 65535;
    if (name == UDPLITE_SEND_CSCOV) {
        k->cscov_send = (uint16_t)v;
        k->cscov_set |= SN_CSCOV_SEND;
    } else {
        k->cscov_recv = (uint16_t)v;
        k->cscov_set |= SN_CSCOV_RECV;
    }
    return 0;
}

int sn_sock_setopt(sn_arena *a, int s, int level, int name,
                   const void *val, socklen_t len)
{
    sn_sock *k = sn_sock_at(a, s);
    const sn_limits *l = &a->hdr->lim;
    if (!level_ok(k, level))
        return -ENOPROTOOPT;
    if (level == IPPROTO_UDP || level == IPPROTO_UDPLITE)
        return set_udp_opt(k, name, val, len);
    if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_RCVTIMEO_NEW))
        return set_timeout(&k->rcvtimeo_ns, val, len, name == SO_RCVTIMEO_NEW);
    if (level == SOL_SOCKET && (name == SO_SNDTIMEO || name == SO_SNDTIMEO_NEW))
        return set_timeout(&k->sndtimeo_ns, val, len, name == SO_SNDTIMEO_NEW);
    if (level == SOL_SOCKET && name == SO_LINGER) {
        struct linger lg;
        if (len < sizeof lg)
            return -EINVAL;
        memcpy(&lg, val, sizeof lg);
        if (lg.l_onoff)
            atomic_fetch_or(&k->opt, SN_O_LINGER);
        else
            atomic_fetch_and(&k->opt, ~(uint32_t)SN_O_LINGER);
        k->linger = lg.l_linger;
        return 0;
    }
    if (level == IPPROTO_TCP && name == TCP_CONGESTION)
        return len > 0 && strncmp(val, "cubic", len) == 0 ? 0 : -ENOENT;
    int v;
    if (len >= sizeof(int))
        memcpy(&v, val, sizeof v);
    else if (level == IPPROTO_IP && len >= 1)
        v = *(const unsigned char *)val;     /* IP options take a char too */
    else
        return -EINVAL;
    uint32_t f = flag_of(k, level, name);
    if (f == SN_O_V6ONLY && k->in_chain)
        return -EINVAL;                      /* too late once bound */
    if (f) {
        if (v)
            atomic_fetch_or(&k->opt, f);
        else
            atomic_fetch_and(&k->opt, ~f);
        return 0;
    }
    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_SNDBUF:
        case SO_SNDBUFFORCE:
            k->sndbuf = buf_size(v, name == SO_SNDBUF ? l->wmem_max : INT_MAX,
                                 SOCK_MIN_SNDBUF);
            return 0;
        case SO_RCVBUF:
        case SO_RCVBUFFORCE:
            k->rcvbuf = buf_size(v, name == SO_RCVBUF ? l->rmem_max : INT_MAX,
                                 SOCK_MIN_RCVBUF);
            return 0;
        case SO_RCVLOWAT:
            k->rcvlowat = v < 0 ? INT_MAX : (v == 0 ? 1 : v);
            return 0;
        }
    }
    const plain_opt *p = find_plain(level, name, k->type);
    if (!p)
        return -ENOPROTOOPT;
    if (v < p->lo || v > p->hi || (level == IPPROTO_IP && name == IP_TTL && v == 0))
        return -EINVAL;       /* a TTL is 1..255, or -1 for the default */
    /* Linux keeps a TOS or traffic class in a byte; TCP keeps the ECN
     * bits to itself; a traffic class of -1 is 0. */
    if ((level == IPPROTO_IP && name == IP_TOS) ||
        (level == IPPROTO_IPV6 && name == IPV6_TCLASS)) {
        v = v == -1 && name == IPV6_TCLASS ? 0 : v & 0xff;
        if (k->type == SOCK_STREAM)
            v &= ~3;
    }
    sn_xopt *x = xopt_slot(k, level, name, true);
    if (!x)
        return -ENOBUFS;
    x->val = v;
    return 0;
}

static int xopt_value(const sn_sock *k, int level, int name, int def)
{
    for (int i = 0; i < SN_XOPTS; i++)
        if (k->xopt[i].level == level && k->xopt[i].name == name)
            return k->xopt[i].val;
    return def;
}

uint8_t sn_sock_ttl(sn_arena *a, const sn_sock *k, bool v4)
{
    int v = v4 ? xopt_value(k, IPPROTO_IP, IP_TTL, -1)
               : xopt_value(k, IPPROTO_IPV6, IPV6_UNICAST_HOPS, -1);
    if (v < 0)
        v = v4 ? a->hdr->lim.ip_ttl : a->hdr->lim.ipv6_hops_lo;
    return (uint8_t)v;
}

uint8_t sn_sock_tos(const sn_sock *k, bool v4)
{
    return (uint8_t)(v4 ? xopt_value(k, IPPROTO_IP, IP_TOS, 0)
                        : xopt_value(k, IPPROTO_IPV6, IPV6_TCLASS, 0));
}

static socklen_t put_int(void *val, socklen_t len, int v)
{
    socklen_t n = len < sizeof v ? len : sizeof v;
    memcpy(val, &v, n);
    return n;
}

static socklen_t put_timeout(void *val, socklen_t len, int64_t ns, bool new_fmt)
{
    if (new_fmt) {
        int64_t tv[2] = {ns / 1000000000LL, (ns % 1000000000LL) / 1000};
        socklen_t n = len < sizeof tv ? len : sizeof tv;
        memcpy(val, tv, n);
        return n;
    }
    struct timeval tv = {.tv_sec = ns / 1000000000LL,
                         .tv_usec = (ns % 1000000000LL) / 1000};
    socklen_t n = len < sizeof tv ? len : sizeof tv;
    memcpy(val, &tv, n);
    return n;
}

static int getopt_socket(sn_sock *k, int name, void *val, socklen_t *len)
{
    switch (name) {
    case SO_TYPE:       *len = put_int(val, *len, k->type); return 0;
    case SO_PROTOCOL:   *len = put_int(val, *len, k->protocol); return 0;
    case SO_DOMAIN:     *len = put_int(val, *len, k->family); return 0;
    case SO_ERROR:
        *len = put_int(val, *len, atomic_exchange(&k->so_error, 0));
        return 0;
    case SO_ACCEPTCONN: *len = put_int(val, *len, k->state == SN_LISTEN); return 0;
    case SO_SNDBUF:     *len = put_int(val, *len, k->sndbuf); return 0;
    case SO_RCVBUF:     *len = put_int(val, *len, k->rcvbuf); return 0;
    case SO_RCVLOWAT:   *len = put_int(val, *len, k->rcvlowat); return 0;
    case SO_SNDLOWAT:   *len = put_int(val, *len, 1); return 0;
    /* Never bound to a device: Linux answers an empty name (sshd asks). */
    case SO_BINDTODEVICE: *len = 0; return 0;
    case SO_RCVTIMEO:
    case SO_RCVTIMEO_NEW:
        *len = put_timeout(val, *len, k->rcvtimeo_ns, name == SO_RCVTIMEO_NEW);
        return 0;
    case SO_SNDTIMEO:
    case SO_SNDTIMEO_NEW:
        *len = put_timeout(val, *len, k->sndtimeo_ns, name == SO_SNDTIMEO_NEW);
        return 0;
    case SO_LINGER: {
        struct linger lg = {!!(atomic_load(&k->opt) & SN_O_LINGER), k->linger};
        socklen_t n = *len < sizeof lg ? *len : sizeof lg;
        memcpy(val, &lg, n);
        *len = n;
        return 0;
    }
    }
    return -ENOPROTOOPT;
}

int sn_sock_getopt(sn_arena *a, int s, int level, int name,
                   void *val, socklen_t *len)
{
    sn_sock *k = sn_sock_at(a, s);
    if ((int)*len < 0)
        return -EINVAL;
    if (!level_ok(k, level))
        return -EOPNOTSUPP;   /* Linux: ENOPROTOOPT to set, EOPNOTSUPP to get */
    uint32_t f = flag_of(k, level, name);
    if (f) {
        *len = put_int(val, *len, !!(atomic_load(&k->opt) & f));
        return 0;
    }
    if (level == SOL_SOCKET && getopt_socket(k, name, val, len) == 0)
        return 0;
    if (level == IPPROTO_UDP || level == IPPROTO_UDPLITE) {
        if (name != UDPLITE_SEND_CSCOV && name != UDPLITE_RECV_CSCOV)
            return -ENOPROTOOPT;
        *len = put_int(val, *len, name == UDPLITE_SEND_CSCOV ? k->cscov_send
                                                             : k->cscov_recv);
        return 0;
    }
    if (level == IPPROTO_TCP && name == TCP_INFO)
        return sn_tcp_info(a, k, val, len);
    if (level == IPPROTO_TCP && name == TCP_CONGESTION) {
        static const char cc[16] = "cubic";
        socklen_t n = *len < sizeof cc ? *len : sizeof cc;
        memcpy(val, cc, n);
        *len = n;
        return 0;
    }
    if (level == IPPROTO_IP && name == IP_MTU) {
        if (k->state != SN_CONNECTED)
            return -ENOTCONN;
        *len = put_int(val, *len, 65536);
        return 0;
    }
    const plain_opt *p = find_plain(level, name, k->type);
    if (!p)
        return -ENOPROTOOPT;
    sn_xopt *x = xopt_slot(k, level, name, false);
    int v = x ? x->val : p->def;
    if (level == IPPROTO_IP && name == IP_TTL && v == -1)
        v = a->hdr->lim.ip_ttl;          /* -1 means "the host's default" */
    if (level == IPPROTO_IPV6 && name == IPV6_UNICAST_HOPS && v == -1)
        v = a->hdr->lim.ipv6_hops;
    *len = put_int(val, *len, v);
    return 0;
}

void sn_sock_set_nonblock(sn_arena *a, int s, bool on)
{
    sn_sock *k = sn_sock_at(a, s);
    if (on)
        atomic_fetch_or(&k->opt, SN_O_NONBLOCK);
    else
        atomic_fetch_and(&k->opt, ~(uint32_t)SN_O_NONBLOCK);
}
