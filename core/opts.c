/* setsockopt.  Three kinds of option:
 *  - options that change behaviour here (buffer sizes, timeouts, reuse,
 *    linger, v6only, pktinfo), kept in fields and flags of the socket;
 *  - read-only facts (SO_TYPE, SO_ERROR, TCP_INFO...): optget.c;
 *  - options Linux accepts and reads back but that mean nothing without
 *    wires (TCP_KEEPIDLE, IP_TOS, ...): the table in optab.c gives their
 *    default and valid values; values live in the socket's xopt store.
 *
 * Linux's order of checks, kept here: the level picks a handler (the
 * socket's protocol for its own level, else its family's: an IPv4 socket
 * knows only IPPROTO_IP, an IPv6 one IPPROTO_IPV6 and IPPROTO_IP), any
 * other level is ENOPROTOOPT; then SOL_SOCKET, TCP and UDP refuse a value
 * shorter than an int (EINVAL) whatever the name, IPPROTO_IP reads a
 * shorter one as a byte (none: 0), IPPROTO_IPV6 checks length per option;
 * then an unknown name is ENOPROTOOPT; then the value's range. */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/time.h>

#include "core/net.h"
#include "core/optab.h"
#include "core/opts.h"
#include "core/sock.h"

#define SOCK_MIN_SNDBUF 4608   /* 2 * (2048 + sizeof(struct sk_buff)) */
#define SOCK_MIN_RCVBUF 2304

int sn_opt_route(const sn_sock *k, int level, bool get)
{
    switch (level) {
    case SOL_SOCKET:
    case IPPROTO_IP:   return 0;
    case IPPROTO_TCP:  if (k->type == SOCK_STREAM) return 0; break;
    case IPPROTO_UDP:
    case IPPROTO_UDPLITE: if (k->type == SOCK_DGRAM) return 0; break;
    case IPPROTO_IPV6: if (k->family == AF_INET6) return 0; break;
    }
    /* ip_getsockopt answers a foreign level with EOPNOTSUPP; the IPv6
     * handler and every setsockopt with ENOPROTOOPT. */
    return get && k->family == AF_INET ? -EOPNOTSUPP : -ENOPROTOOPT;
}

sn_xopt *sn_xopt_slot(sn_sock *k, int level, int name, bool create)
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

int sn_xopt_value(const sn_sock *k, int level, int name, int def)
{
    for (int i = 0; i < SN_XOPTS; i++)
        if (k->xopt[i].level == level && k->xopt[i].name == name)
            return k->xopt[i].val;
    return def;
}

static int xopt_store(sn_sock *k, int level, int name, int v)
{
    sn_xopt *x = sn_xopt_slot(k, level, name, true);
    if (!x)
        return -ENOBUFS;
    x->val = v;
    return 0;
}

/* Boolean options kept as SN_O_* bits. */
uint32_t sn_opt_flag(const sn_sock *k, int level, int name)
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

/* UDP-Lite's coverage options, at level IPPROTO_UDP or IPPROTO_UDPLITE:
 * a coverage below 8 (the header) becomes 8, above 65535 is 65535, 0 is
 * the whole datagram.  A UDP socket cannot set them (ENOPROTOOPT). */
static int set_cscov(sn_sock *k, int name, int v)
{
    if (k->protocol != IPPROTO_UDPLITE)
        return -ENOPROTOOPT;
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

/* The value as the level's handler reads it; -EINVAL if too short. */
static int read_value(int level, const void *val, socklen_t len, int *v)
{
    if (len >= sizeof(int)) {
        memcpy(v, val, sizeof *v);
        return 0;
    }
    if (level == IPPROTO_IP) {           /* a char will do, or nothing */
        *v = len >= 1 ? *(const unsigned char *)val : 0;
        return 0;
    }
    *v = 0;
    return level == IPPROTO_IPV6 ? 0 : -EINVAL;
}

/* SO_TIMESTAMP, SO_TIMESTAMPNS and their _NEW twins share Linux's three
 * socket flags, kept together in one store entry. */
static int set_timestamp(sn_sock *k, int name, int v)
{
    bool ns = name == SO_TIMESTAMPNS_OLD || name == SO_TIMESTAMPNS_NEW;
    bool new_fmt = name == SO_TIMESTAMP_NEW || name == SO_TIMESTAMPNS_NEW;
    int f = v ? SN_TS_RCV | (ns ? SN_TS_RCVNS : 0) | (new_fmt ? SN_TS_NEW : 0) : 0;
    if (!v)     /* off: the format flag stays as it was */
        f = sn_xopt_value(k, SOL_SOCKET, SO_TIMESTAMP_OLD, 0) & SN_TS_NEW;
    return xopt_store(k, SOL_SOCKET, SO_TIMESTAMP_OLD, f);
}

#define TS_OPT_ID     (1 << 7)
#define TS_OPT_ID_TCP (1 << 16)
#define TS_MASK       ((1 << 19) - 1)

/* SO_TIMESTAMPING: flags Linux knows; an ID on TCP needs a connection. */
static int set_timestamping(sn_sock *k, int v)
{
    if (v & ~TS_MASK)
        return -EINVAL;
    if ((v & TS_OPT_ID_TCP) && !(v & TS_OPT_ID))
        return -EINVAL;
    if ((v & TS_OPT_ID) && k->type == SOCK_STREAM &&
        (k->state != SN_CONNECTED && k->state != SN_CONNECTING))
        return -EINVAL;
    return xopt_store(k, SOL_SOCKET, SO_TIMESTAMPING_OLD, v);
}

static int set_socket(sn_arena *a, sn_sock *k, int name, const void *val,
                      socklen_t len, int *vp)
{
    int v = *vp;
    const sn_limits *l = &a->hdr->lim;
    switch (name) {
    case SO_RCVTIMEO_OLD:
    case SO_RCVTIMEO_NEW:
        return set_timeout(&k->rcvtimeo_ns, val, len, name == SO_RCVTIMEO_NEW);
    case SO_SNDTIMEO_OLD:
    case SO_SNDTIMEO_NEW:
        return set_timeout(&k->sndtimeo_ns, val, len, name == SO_SNDTIMEO_NEW);
    case SO_LINGER: {
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
    case SO_TIMESTAMP_OLD:
    case SO_TIMESTAMP_NEW:
    case SO_TIMESTAMPNS_OLD:
    case SO_TIMESTAMPNS_NEW:
        return set_timestamp(k, name, v);
    case SO_TIMESTAMPING_OLD:
    case SO_TIMESTAMPING_NEW:
        return set_timestamping(k, v);
    case SO_RESERVE_MEM:
        return v < 0 ? -EINVAL : -EOPNOTSUPP;  /* needs a memory cgroup */
    case SO_TXREHASH:
        if (k->type == SOCK_STREAM && v == -1)
            *vp = 1;                           /* net.core.txrehash */
        break;
    }
    return 1;   /* not special: the table decides */
}

/* Linux's secs_to_retrans: TCP_DEFER_ACCEPT keeps a count of SYN-ACK
 * retransmissions (initial timeout 1 s, doubling, at most 120 s). */
static int secs_to_retrans(int seconds)
{
    int res = 0, timeout = 1, period = 1;
    if (seconds > 0) {
        res = 1;
        while (seconds > period && res < 255) {
            res++;
            timeout = timeout * 2 > 120 ? 120 : timeout * 2;
            period += timeout;
        }
    }
    return res;
}

/* Options whose stored form is not the value given; 1: not one. */
static int set_converted(sn_sock *k, int level, int name, int *v, int somaxconn)
{
    if (level == IPPROTO_IP && name == IP_TTL && *v == 0)
        return -EINVAL;                    /* 1..255, or -1: the default */
    if (level == IPPROTO_IP && name == IP_TOS) {
        *v &= 0xff;                        /* TCP keeps the ECN bits */
        if (k->type == SOCK_STREAM)
            *v &= ~3;
    }
    if (level == IPPROTO_IPV6 && name == IPV6_TCLASS) {
        *v = *v == -1 ? 0 : *v;            /* TCP keeps the ECN bits */
        if (k->type == SOCK_STREAM)
            *v &= ~3;
    }
    if ((level == IPPROTO_IP && name == IP_MULTICAST_TTL) ||
        (level == IPPROTO_IPV6 && name == IPV6_MULTICAST_HOPS))
        *v = *v == -1 ? 1 : *v;
    if (level == IPPROTO_TCP && name == TCP_LINGER2) {
        *v = *v < 0 ? -1 : *v > 120 ? 120 : *v;   /* tcp_fin_timeout max */
        return xopt_store(k, level, name, *v);
    }
    if (level == IPPROTO_TCP && name == TCP_FASTOPEN && *v > somaxconn)
        *v = somaxconn;                    /* the queue is capped as listen's */
    if (level == IPPROTO_TCP && name == TCP_DEFER_ACCEPT)
        return xopt_store(k, level, name, secs_to_retrans(*v));
    return 1;
}

/* TCP_FASTOPEN_KEY: a 16-byte key (32 with a backup key, whose second
 * half is not kept), stored as four ints. */
static int set_fastopen_key(sn_sock *k, const void *val, socklen_t len)
{
    if (len != 16 && len != 32)
        return -EINVAL;
    for (int i = 0; i < 4; i++) {
        int w;
        memcpy(&w, (const char *)val + 4 * i, sizeof w);
        int r = xopt_store(k, IPPROTO_TCP, SN_FASTOPEN_KEY_WORD(i), w);
        if (r < 0)
            return r;
    }
    return 0;
}

/* IPV6_ADDR_PREFERENCES: Linux's three groups of source preferences,
 * each at most one choice (srcprefs as Linux keeps them). */
#define PREF_TMP 0x1
#define PREF_PUBLIC 0x2
#define PREF_COA 0x4
#define PREF_CGA 0x8
#define PREF_PUBTMP_DEFAULT 0x100
#define PREF_HOME 0x400
#define PREF_NONCGA 0x800

static int set_addr_prefs(sn_sock *k, int v)
{
    unsigned pref = 0, mask = ~0u;
    switch (v & (PREF_PUBLIC | PREF_TMP | PREF_PUBTMP_DEFAULT)) {
    case PREF_PUBLIC:
    case PREF_TMP:
        pref |= (unsigned)v & (PREF_PUBLIC | PREF_TMP);
        mask &= ~(unsigned)(PREF_PUBLIC | PREF_TMP);
        break;
    case PREF_PUBTMP_DEFAULT:
        mask &= ~(unsigned)(PREF_PUBLIC | PREF_TMP);
        break;
    case 0: break;
    default: return -EINVAL;
    }
    switch (v & (PREF_HOME | PREF_COA)) {
    case PREF_HOME: mask &= ~(unsigned)PREF_COA; break;
    case PREF_COA: pref |= PREF_COA; break;
    case 0: break;
    default: return -EINVAL;
    }
    if ((v & (PREF_CGA | PREF_NONCGA)) == (PREF_CGA | PREF_NONCGA))
        return -EINVAL;
    unsigned old = (unsigned)sn_xopt_value(k, IPPROTO_IPV6, IPV6_ADDR_PREFERENCES, 0);
    return xopt_store(k, IPPROTO_IPV6, IPV6_ADDR_PREFERENCES, (int)((old & mask) | pref));
}

static int set_ipv6(sn_sock *k, int name, socklen_t len, int v)
{
    if (name == IPV6_ADDR_PREFERENCES)
        return len < sizeof(int) ? -EINVAL : set_addr_prefs(k, v);
    if (name == IPV6_UNICAST_IF) {         /* an index, in network order */
        if (len != sizeof(int))
            return -EINVAL;
        /* 0 is none, 1 is lo; other interfaces are not simulated */
        return ntohl((uint32_t)v) <= 1 ? 0 : -EADDRNOTAVAIL;
    }
    if (name == IPV6_MTU) {
        if (len < sizeof(int) || (v && v < 1280))
            return -EINVAL;                /* 0, or at least IPv6's minimum */
        return 0;                          /* a connection on lo keeps 65536 */
    }
    return 1;
}

static int set_table(sn_sock *k, int level, int name, socklen_t len, int v,
                     int somaxconn)
{
    const sn_optdef *d = sn_optdef_find(level, name, k->type);
    if (!d || d->set == SN_OS_NONE)
        return -ENOPROTOOPT;
    if (len < d->minlen)
        return -EINVAL;
    switch (d->set) {
    case SN_OS_ERR:
        return -d->serr;
    case SN_OS_ACCEPT:
        if ((d->lo || d->hi) && (v < d->lo || v > d->hi))
            return -EINVAL;
        return 0;
    case SN_OS_BOOL:
        v = !!v;
        break;
    case SN_OS_RANGE:
        if (v < d->lo || v > d->hi)
            return -EINVAL;
        break;
    default:
        return -ENOPROTOOPT;
    }
    int r = set_converted(k, level, name, &v, somaxconn);
    return r <= 0 ? r : xopt_store(k, level, name, v);
}

int sn_sock_setopt(sn_arena *a, int s, int level, int name,
                   const void *val, socklen_t len)
{
    sn_sock *k = sn_sock_at(a, s);
    int r = sn_opt_route(k, level, false);
    if (r < 0)
        return r;
    if (level == IPPROTO_TCP && name == TCP_CONGESTION)
        return len > 0 && strncmp(val, "cubic", len) == 0 ? 0 : -ENOENT;
    if (level == IPPROTO_TCP && name == TCP_FASTOPEN_KEY)
        return set_fastopen_key(k, val, len);
    int v;
    if ((r = read_value(level, val, len, &v)) < 0)
        return r;
    if (level == SOL_SOCKET && (r = set_socket(a, k, name, val, len, &v)) <= 0)
        return r;
    if ((level == IPPROTO_UDP || level == IPPROTO_UDPLITE) &&
        (name == UDPLITE_SEND_CSCOV || name == UDPLITE_RECV_CSCOV))
        return set_cscov(k, name, v);
    if (level == IPPROTO_IPV6 && (r = set_ipv6(k, name, len, v)) <= 0)
        return r;
    uint32_t f = sn_opt_flag(k, level, name);
    if (f) {
        if (level == IPPROTO_IPV6 && len < sizeof(int))
            return -EINVAL;
        if (f == SN_O_V6ONLY && k->in_chain)
            return -EINVAL;                  /* too late once bound */
        if (v)
            atomic_fetch_or(&k->opt, f);
        else
            atomic_fetch_and(&k->opt, ~f);
        return 0;
    }
    return set_table(k, level, name, len, v, a->hdr->lim.somaxconn);
}

uint8_t sn_sock_ttl(sn_arena *a, const sn_sock *k, bool v4)
{
    int v = v4 ? sn_xopt_value(k, IPPROTO_IP, IP_TTL, -1)
               : sn_xopt_value(k, IPPROTO_IPV6, IPV6_UNICAST_HOPS, -1);
    if (v < 0)
        v = v4 ? a->hdr->lim.ip_ttl : a->hdr->lim.ipv6_hops_lo;
    return (uint8_t)v;
}

uint8_t sn_sock_tos(const sn_sock *k, bool v4)
{
    return (uint8_t)(v4 ? sn_xopt_value(k, IPPROTO_IP, IP_TOS, 0)
                        : sn_xopt_value(k, IPPROTO_IPV6, IPV6_TCLASS, 0));
}

void sn_sock_set_nonblock(sn_arena *a, int s, bool on)
{
    sn_sock *k = sn_sock_at(a, s);
    if (on)
        atomic_fetch_or(&k->opt, SN_O_NONBLOCK);
    else
        atomic_fetch_and(&k->opt, ~(uint32_t)SN_O_NONBLOCK);
}
