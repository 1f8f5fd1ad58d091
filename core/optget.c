/* getsockopt, in Linux's order: a negative length is EINVAL; the level
 * picks a handler (opts.c: sn_opt_route); the handler writes at most the
 * length asked for.  How much it writes is the handler's: SOL_SOCKET,
 * TCP, UDP and IPv6 write min(len, 4) bytes of an int; IPPROTO_IP writes
 * a single byte when asked for less than an int and the value fits in
 * one (do_ip_getsockopt). */
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
#include "core/tcp_info.h"

static socklen_t put_bytes(void *val, socklen_t len, const void *src, socklen_t size)
{
    socklen_t n = len < size ? len : size;
    memcpy(val, src, n);
    return n;
}

static socklen_t put_int(void *val, socklen_t len, int v)
{
    return put_bytes(val, len, &v, sizeof v);
}

static socklen_t put_level_int(int level, void *val, socklen_t len, int v)
{
    if (level == IPPROTO_IP && len > 0 && len < sizeof(int) && v >= 0 && v <= 255) {
        *(unsigned char *)val = (unsigned char)v;
        return 1;
    }
    return put_int(val, len, v);
}

static socklen_t put_timeout(void *val, socklen_t len, int64_t ns, bool new_fmt)
{
    if (new_fmt) {
        int64_t tv[2] = {ns / 1000000000LL, (ns % 1000000000LL) / 1000};
        return put_bytes(val, len, tv, sizeof tv);
    }
    struct timeval tv = {.tv_sec = ns / 1000000000LL,
                         .tv_usec = (ns % 1000000000LL) / 1000};
    return put_bytes(val, len, &tv, sizeof tv);
}

/* SO_TIMESTAMP*: on when the receive flag is, in the format asked for
 * (SO_TIMESTAMP reads 0 once SO_TIMESTAMPNS is on). */
static int get_timestamp(const sn_sock *k, int name)
{
    int f = sn_xopt_value(k, SOL_SOCKET, SO_TIMESTAMP_OLD, 0);
    bool want_new = name == SO_TIMESTAMP_NEW || name == SO_TIMESTAMPNS_NEW;
    bool want_ns = name == SO_TIMESTAMPNS_OLD || name == SO_TIMESTAMPNS_NEW;
    if (!!(f & SN_TS_NEW) != want_new)
        return 0;
    return want_ns ? !!(f & SN_TS_RCVNS) : (f & SN_TS_RCV) && !(f & SN_TS_RCVNS);
}

/* Options of SOL_SOCKET that are not a plain stored value; 1: none. */
static int get_socket(sn_arena *a, int s, int name, void *val, socklen_t *len)
{
    sn_sock *k = sn_sock_at(a, s);
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
    case SO_RCVTIMEO_OLD:
    case SO_RCVTIMEO_NEW:
        *len = put_timeout(val, *len, k->rcvtimeo_ns, name == SO_RCVTIMEO_NEW);
        return 0;
    case SO_SNDTIMEO_OLD:
    case SO_SNDTIMEO_NEW:
        *len = put_timeout(val, *len, k->sndtimeo_ns, name == SO_SNDTIMEO_NEW);
        return 0;
    case SO_LINGER: {
        struct linger lg = {!!(atomic_load(&k->opt) & SN_O_LINGER), k->linger};
        *len = put_bytes(val, *len, &lg, sizeof lg);
        return 0;
    }
    case SO_TIMESTAMP_OLD:
    case SO_TIMESTAMP_NEW:
    case SO_TIMESTAMPNS_OLD:
    case SO_TIMESTAMPNS_NEW:
        *len = put_int(val, *len, get_timestamp(k, name));
        return 0;
    case SO_TIMESTAMPING_OLD:
    case SO_TIMESTAMPING_NEW: {   /* struct so_timestamping: flags, bind_phc */
        int ts[2] = {sn_xopt_value(k, SOL_SOCKET, SO_TIMESTAMPING_OLD, 0), 0};
        *len = put_bytes(val, *len, ts, sizeof ts);
        return 0;
    }
    case SO_PEERNAME: {
        struct sockaddr_storage ss;
        int n = sn_sock_name(a, s, true, &ss);
        if (n < 0)
            return n;
        if (*len > (socklen_t)n)
            return -EINVAL;              /* Linux: longer than the address */
        memcpy(val, &ss, *len);
        return 0;
    }
    case SO_COOKIE: {      /* a socket's lasting number: slot and reuse */
        if (*len < sizeof(uint64_t))
            return -EINVAL;
        uint64_t c = ((uint64_t)k->gen << 32 | (uint32_t)s) + 1;
        *len = put_bytes(val, *len, &c, sizeof c);
        return 0;
    }
    case SO_NETNS_COOKIE: {
        if (*len != sizeof(uint64_t))
            return -EINVAL;
        uint64_t c = 1;                  /* the initial namespace's */
        memcpy(val, &c, sizeof c);
        return 0;
    }
    case SO_MAX_PACING_RATE: {           /* unlimited: ~0 in 8 or 4 bytes */
        uint64_t r = ~0ULL;
        *len = put_bytes(val, *len, &r, *len >= sizeof r ? sizeof r : sizeof(int));
        return 0;
    }
    }
    return 1;
}

/* Options of the IP levels that are facts of the connection; 1: none. */
static int get_ip(sn_arena *a, int s, int level, int name, void *val, socklen_t *len)
{
    sn_sock *k = sn_sock_at(a, s);
    bool conn = k->state == SN_CONNECTED;
    if (level == IPPROTO_IP && name == IP_MTU) {
        if (!conn)
            return -ENOTCONN;
        *len = put_int(val, *len, 65536);
        return 0;
    }
    if (level != IPPROTO_IPV6)
        return 1;
    switch (name) {
    case IPV6_ADDRFORM:
    case IPV6_MTU:
        if (!conn)
            return -ENOTCONN;
        *len = put_int(val, *len, name == IPV6_MTU ? 65536 : AF_INET6);
        return 0;
    case IPV6_PATHMTU: {                 /* struct ip6_mtuinfo */
        struct ip6_mtuinfo mi;
        if (*len < sizeof mi)
            return -EINVAL;
        if (!conn)
            return -ENOTCONN;
        memset(&mi, 0, sizeof mi);
        mi.ip6m_addr.sin6_family = AF_INET6;
        memcpy(&mi.ip6m_addr.sin6_addr, k->peer.ip, 16);
        mi.ip6m_mtu = 65536;
        *len = put_bytes(val, *len, &mi, sizeof mi);
        return 0;
    }
    case 48 /* MCAST_MSFILTER */:
        /* the group named in the caller's struct is never joined */
        return *len < 144 ? -EINVAL : -EADDRNOTAVAIL;
    case IPV6_ADDR_PREFERENCES: {
        int p = sn_xopt_value(k, IPPROTO_IPV6, IPV6_ADDR_PREFERENCES, 0);
        int v = (p & 0x1) ? 0x1 : (p & 0x2) ? 0x2 : 0x100;   /* TMP, PUBLIC */
        v |= (p & 0x4) ? 0x4 : 0x400;                        /* COA, HOME */
        *len = put_int(val, *len, v);
        return 0;
    }
    }
    return 1;
}

/* Linux's retrans_to_secs, the inverse of secs_to_retrans (opts.c). */
static int retrans_to_secs(int retrans)
{
    int period = 0, timeout = 1;
    if (retrans > 0) {
        period = timeout;
        while (--retrans) {
            timeout = timeout * 2 > 120 ? 120 : timeout * 2;
            period += timeout;
        }
    }
    return period;
}

static int get_table(sn_arena *a, const sn_sock *k, int level, int name,
                     void *val, socklen_t *len)
{
    const sn_optdef *d = sn_optdef_find(level, name, k->type);
    if (!d)
        return -ENOPROTOOPT;
    switch (d->get) {
    case SN_OG_INT:
        break;
    case SN_OG_EMPTY:
        *len = 0;
        return 0;
    case SN_OG_ZEROS: {
        static const char zeros[64];
        *len = put_bytes(val, *len, zeros, (socklen_t)d->size);
        return 0;
    }
    case SN_OG_ERR:
        return -d->gerr;
    default:
        return -ENOPROTOOPT;
    }
    int v = sn_xopt_value(k, level, name, d->def);
    if (level == IPPROTO_IP && name == IP_TTL && v == -1)
        v = a->hdr->lim.ip_ttl;          /* -1 means "the host's default" */
    if (level == IPPROTO_IPV6 && name == IPV6_UNICAST_HOPS && v == -1)
        v = a->hdr->lim.ipv6_hops;
    if (level == IPPROTO_TCP && name == TCP_LINGER2 && v >= 0)
        v = v ? v : 60;                  /* 0: net.ipv4.tcp_fin_timeout */
    if (level == IPPROTO_TCP && name == TCP_DEFER_ACCEPT)
        v = retrans_to_secs(v);
    *len = put_level_int(level, val, *len, v);
    return 0;
}

int sn_sock_getopt(sn_arena *a, int s, int level, int name,
                   void *val, socklen_t *len)
{
    sn_sock *k = sn_sock_at(a, s);
    if ((int)*len < 0)
        return -EINVAL;
    int r = sn_opt_route(k, level, true);
    if (r < 0)
        return r;
    uint32_t f = sn_opt_flag(k, level, name);
    if (f) {
        *len = put_level_int(level, val, *len, !!(atomic_load(&k->opt) & f));
        return 0;
    }
    if (level == SOL_SOCKET && (r = get_socket(a, s, name, val, len)) <= 0)
        return r;
    if ((level == IPPROTO_UDP || level == IPPROTO_UDPLITE) &&
        (name == UDPLITE_SEND_CSCOV || name == UDPLITE_RECV_CSCOV)) {
        *len = put_int(val, *len, name == UDPLITE_SEND_CSCOV ? k->cscov_send
                                                             : k->cscov_recv);
        return 0;
    }
    if (level == IPPROTO_TCP && name == TCP_INFO)
        return sn_tcp_info(a, k, val, len);
    if (level == IPPROTO_TCP && name == TCP_CONGESTION) {
        static const char cc[16] = "cubic";
        *len = put_bytes(val, *len, cc, sizeof cc);
        return 0;
    }
    if (level == IPPROTO_TCP && name == TCP_FASTOPEN_KEY) {
        int key[4];
        sn_xopt *x = sn_xopt_slot(k, IPPROTO_TCP, SN_FASTOPEN_KEY_WORD(0), false);
        for (int i = 0; i < 4; i++)
            key[i] = sn_xopt_value(k, IPPROTO_TCP, SN_FASTOPEN_KEY_WORD(i), 0);
        *len = x ? put_bytes(val, *len, key, sizeof key) : 0;   /* no key yet */
        return 0;
    }
    if ((r = get_ip(a, s, level, name, val, len)) <= 0)
        return r;
    return get_table(a, k, level, name, val, len);
}
