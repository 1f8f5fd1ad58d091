/* Control messages of datagram sockets.
 *
 * recvmsg: IP_PKTINFO, IP_TTL (an int), IP_TOS (one byte) for IPv4
 * datagrams; IPV6_PKTINFO, IPV6_HOPLIMIT, IPV6_TCLASS (ints) for IPv6.
 * A dual-stack socket gets IPV6_PKTINFO for every datagram, then the IP
 * ones for IPv4 datagrams or the IPv6 ones for IPv6 datagrams (Linux's
 * udpv6_recvmsg).  Each is written as Linux's put_cmsg does: when it does
 * not fit, MSG_CTRUNC, and as much of it as fits (header first) still
 * goes out; the next one starts CMSG_SPACE further, or at the end.
 *
 * sendmsg: a datagram that leaves as IPv4 reads IP_PKTINFO, IP_TTL
 * (1-255), IP_TOS (an int or a byte, 0-255) and, on an IPv6 socket,
 * IPV6_PKTINFO with a mapped address; other IPv6 messages are ignored and
 * an unknown IP one is EINVAL (ip_cmsg_send).  One that leaves as IPv6
 * reads IPV6_PKTINFO, IPV6_HOPLIMIT and IPV6_TCLASS (ints, -1-255; a
 * traffic class of -1 goes out as 255, as on Linux), ignores IP ones,
 * and an unknown IPv6 one is EINVAL (ip6_datagram_send_ctl).
 * SOL_SOCKET messages are ignored. */
#include "preload/cmsg.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "preload/init.h"
#include "preload/uaccess.h"

#ifndef IP_PROTOCOL
#define IP_PROTOCOL 52          /* linux/in.h */
#endif
#ifndef IPV6_FLOWINFO
#define IPV6_FLOWINFO 11        /* linux/in6.h */
#endif

/* ---- recvmsg ---- */

static void put_cmsg(struct msghdr *msg, size_t *used, int level, int type,
                     const void *data, size_t dlen)
{
    size_t room = msg->msg_controllen - *used;
    if (!msg->msg_control || room < sizeof(struct cmsghdr)) {
        msg->msg_flags |= MSG_CTRUNC;
        return;
    }
    size_t len = CMSG_LEN(dlen);
    if (room < len) {
        msg->msg_flags |= MSG_CTRUNC;
        len = room;
    }
    struct cmsghdr h = {.cmsg_len = len, .cmsg_level = level, .cmsg_type = type};
    char *p = (char *)msg->msg_control + *used;
    memcpy(p, &h, sizeof h);
    memcpy(p + sizeof h, data, len - sizeof h);
    size_t space = CMSG_SPACE(dlen);
    *used += space < room ? space : room;
}

static void put_int(struct msghdr *msg, size_t *used, int level, int type, int v)
{
    put_cmsg(msg, used, level, type, &v, sizeof v);
}

/* Loopback's interface index is 1. */
static void recv_v4(const sn_msg *m, uint32_t opt, struct msghdr *msg, size_t *used)
{
    if (opt & SN_O_PKTINFO) {
        struct in_pktinfo pi = {.ipi_ifindex = 1};
        memcpy(&pi.ipi_spec_dst, m->to.ip + 12, 4);
        memcpy(&pi.ipi_addr, m->to.ip + 12, 4);
        put_cmsg(msg, used, IPPROTO_IP, IP_PKTINFO, &pi, sizeof pi);
    }
    if (opt & SN_O_RECVTTL)
        put_int(msg, used, IPPROTO_IP, IP_TTL, m->ttl);
    if (opt & SN_O_RECVTOS)
        put_cmsg(msg, used, IPPROTO_IP, IP_TOS, &m->tos, 1);
}

void sn_cmsg_recv(int s, const sn_msg *m, struct msghdr *msg)
{
    sn_arena *a = sn_net();
    uint32_t opt = sn_sock_opts(a, s);
    size_t used = 0;
    if (sn_sock_type(a, s) == SOCK_DGRAM) {
        if (sn_sock_family(a, s) == AF_INET6 && (opt & SN_O_RECVPKTINFO6)) {
            struct in6_pktinfo pi = {.ipi6_ifindex = 1};
            memcpy(&pi.ipi6_addr, m->to.ip, 16);
            put_cmsg(msg, &used, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof pi);
        }
        if (sn_addr_is_v4(&m->to)) {
            recv_v4(m, opt, msg, &used);
        } else {
            if (opt & SN_O_RECVHOPS)
                put_int(msg, &used, IPPROTO_IPV6, IPV6_HOPLIMIT, m->ttl);
            if (opt & SN_O_RECVTCLASS)
                put_int(msg, &used, IPPROTO_IPV6, IPV6_TCLASS, m->tos);
        }
    }
    msg->msg_controllen = used;
}

/* ---- sendmsg ---- */

static int cmsg_int(const struct cmsghdr *c, int *v)
{
    if (c->cmsg_len != CMSG_LEN(sizeof(int)))
        return -EINVAL;
    memcpy(v, CMSG_DATA(c), sizeof *v);
    return 0;
}

static void set_src_v4(sn_msg *m, const void *ip4)
{
    memset(&m->src, 0, sizeof m->src);
    m->src.ip[10] = m->src.ip[11] = 0xff;
    memcpy(m->src.ip + 12, ip4, 4);
    m->has_src = !sn_addr_is_any(&m->src);
}

/* A datagram leaving as IPv4 (Linux's ip_cmsg_send). */
static int send_v4(const struct cmsghdr *c, sn_msg *m, bool allow6)
{
    int v;
    if (allow6 && c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
        struct in6_pktinfo pi;
        if (c->cmsg_len < CMSG_LEN(sizeof pi))
            return -EINVAL;
        memcpy(&pi, CMSG_DATA(c), sizeof pi);
        if (!IN6_IS_ADDR_V4MAPPED(&pi.ipi6_addr))
            return -EINVAL;
        set_src_v4(m, pi.ipi6_addr.s6_addr + 12);
        return 0;
    }
    if (c->cmsg_level != IPPROTO_IP)
        return 0;
    switch (c->cmsg_type) {
    case IP_PKTINFO: {
        struct in_pktinfo pi;
        if (c->cmsg_len != CMSG_LEN(sizeof pi))
            return -EINVAL;
        memcpy(&pi, CMSG_DATA(c), sizeof pi);
        set_src_v4(m, &pi.ipi_spec_dst);
        return 0;
    }
    case IP_TTL:
        if (cmsg_int(c, &v) < 0 || v < 1 || v > 255)
            return -EINVAL;
        m->has_ttl = true;
        m->ttl = (uint8_t)v;
        return 0;
    case IP_TOS:
        if (c->cmsg_len == CMSG_LEN(1))
            v = *CMSG_DATA(c);
        else if (cmsg_int(c, &v) < 0)
            return -EINVAL;
        if (v < 0 || v > 255)
            return -EINVAL;
        m->has_tos = true;
        m->tos = (uint8_t)v;
        return 0;
    case IP_RETOPTS:                    /* IP options: no routers to read them */
        return 0;
    case IP_PROTOCOL:
        return cmsg_int(c, &v) < 0 || v < 1 || v > 255 ? -EINVAL : 0;
    default:
        return -EINVAL;
    }
}

/* A datagram leaving as IPv6 (Linux's ip6_datagram_send_ctl). */
static int send_v6(const struct cmsghdr *c, sn_msg *m)
{
    int v;
    if (c->cmsg_level != IPPROTO_IPV6)
        return 0;
    switch (c->cmsg_type) {
    case IPV6_PKTINFO:
    case IPV6_2292PKTINFO: {
        struct in6_pktinfo pi;
        if (c->cmsg_len < CMSG_LEN(sizeof pi))
            return -EINVAL;
        memcpy(&pi, CMSG_DATA(c), sizeof pi);
        memset(&m->src, 0, sizeof m->src);
        memcpy(m->src.ip, &pi.ipi6_addr, 16);
        m->has_src = !sn_addr_is_any(&m->src);
        return 0;
    }
    case IPV6_HOPLIMIT:
    case IPV6_2292HOPLIMIT:
        if (cmsg_int(c, &v) < 0 || v < -1 || v > 255)
            return -EINVAL;
        m->has_ttl = v >= 0;            /* -1: the socket's */
        m->ttl = (uint8_t)v;
        return 0;
    case IPV6_TCLASS:
        if (cmsg_int(c, &v) < 0 || v < -1 || v > 255)
            return -EINVAL;
        m->has_tos = true;              /* -1 too: Linux sends 255 */
        m->tos = (uint8_t)v;
        return 0;
    case IPV6_FLOWINFO:
        return c->cmsg_len < CMSG_LEN(sizeof(uint32_t)) ? -EINVAL : 0;
    case IPV6_DONTFRAG:
        return cmsg_int(c, &v);
    case IPV6_2292HOPOPTS: case IPV6_HOPOPTS: case IPV6_2292DSTOPTS:
    case IPV6_DSTOPTS: case IPV6_RTHDRDSTOPTS: case IPV6_2292RTHDR:
    case IPV6_RTHDR:
        return 0;                       /* extension headers: nobody reads them */
    default:
        return -EINVAL;
    }
}

/* Does the datagram leave as IPv4?  From the destination given, else the
 * connected peer. */
static bool leaves_v4(int s, const sn_msg *m)
{
    if (sn_sock_family(sn_net(), s) == AF_INET)
        return true;
    if (m->name && m->name->sa_family == AF_INET)
        return true;
    if (m->name && m->name->sa_family == AF_INET6 &&
        m->namelen >= sizeof(struct sockaddr_in6))
        return IN6_IS_ADDR_V4MAPPED(&((const struct sockaddr_in6 *)m->name)->sin6_addr);
    return sn_sock_peer_v4(sn_net(), s);
}

int sn_cmsg_send(int s, const struct msghdr *msg, sn_msg *m)
{
    if (!msg->msg_controllen)
        return 0;
    if (sn_uaccess(msg->msg_control, msg->msg_controllen, false) < 0)
        return -EFAULT;
    bool v4 = leaves_v4(s, m);
    bool dual = sn_sock_family(sn_net(), s) == AF_INET6;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c;
         c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
        size_t off = (size_t)((char *)c - (char *)msg->msg_control);
        if (c->cmsg_len < sizeof *c || c->cmsg_len > msg->msg_controllen - off)
            return -EINVAL;
        if (c->cmsg_level == SOL_SOCKET)
            continue;
        int r = v4 ? send_v4(c, m, dual) : send_v6(c, m);
        if (r < 0)
            return r;
    }
    if (m->has_src && !sn_net_addr_mine(sn_net(), &m->src))
        return -EINVAL;
    return 0;
}
