/* Route netlink on a named host: what `ip addr`, `ip link` and other
 * programs that ask the kernel for its interfaces over netlink (through
 * libc's socket calls) see is the host's "lo" and "eth0" (ifaces.h), as
 * getifaddrs shows them.
 *
 * socket(AF_NETLINK, *, NETLINK_ROUTE) on a named host gives one end of
 * an AF_UNIX datagram socketpair; the library keeps the other.  A
 * request sent on it is answered at once into that pair, so the
 * program's recv/recvmsg/poll/epoll work on the reply as on the kernel's:
 * RTM_GETLINK (dump, or one link by index or name) and RTM_GETADDR
 * dumps are answered from the host table; requests that change
 * something get EPERM, every other request EOPNOTSUPP (routes,
 * neighbours: not simulated).  bind, getsockname, setsockopt(SOL_NETLINK)
 * and the source address of what is received are netlink's.
 *
 * Not covered: glibc's own netlink requests (getaddrinfo's AI_ADDRCONFIG
 * check, made inside libc: resolve.c answers that flag itself), raw
 * system calls (Go's net.Interfaces), a dup of the socket, and
 * notifications (multicast groups: none ever arrive).  On the default
 * host, and for other netlink protocols, the kernel answers. */
/* net/if.h before the kernel's headers: it tells linux/if.h what it
 * defines already. */
#include <net/if.h>
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_arp.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <pthread.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "preload/ifaces.h"
#include "preload/netlink.h"
#include "preload/real.h"
#include "preload/ret.h"
#include "preload/uaccess.h"

#define NL_MAX 16
int sn_nl_open;
static struct { int fd, peer; } nl[NL_MAX];
static pthread_mutex_t nl_lock = PTHREAD_MUTEX_INITIALIZER;

static int slot_of(int fd)
{
    for (int i = 0; i < NL_MAX; i++)
        if (nl[i].peer > 0 && nl[i].fd == fd)
            return i;
    return -1;
}

/* On the pass-through path of every send, recv and close while a stand-in
 * is open: no lock.  An entry's fd is written before its peer is
 * published (release) and the peer cleared before the entry is reused. */
bool sn_nl_find(int fd)
{
    for (int i = 0; i < NL_MAX; i++)
        if (__atomic_load_n(&nl[i].peer, __ATOMIC_ACQUIRE) > 0 &&
            __atomic_load_n(&nl[i].fd, __ATOMIC_RELAXED) == fd)
            return true;
    return false;
}

int sn_nl_socket(int domain, int type, int protocol, bool *mine)
{
    *mine = false;
    if (domain != AF_NETLINK || protocol != NETLINK_ROUTE || !sn_if_host())
        return -1;
    *mine = true;
    int sv[2], base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (base != SOCK_RAW && base != SOCK_DGRAM)
        return (int)sn_ret(-ESOCKTNOSUPPORT);
    if (socketpair(AF_UNIX, SOCK_DGRAM | (type & (SOCK_NONBLOCK | SOCK_CLOEXEC)), 0, sv))
        return -1;
    pthread_mutex_lock(&nl_lock);
    int i;
    for (i = 0; i < NL_MAX && nl[i].peer > 0; i++)
        ;
    if (i < NL_MAX) {
        __atomic_store_n(&nl[i].fd, sv[0], __ATOMIC_RELAXED);
        __atomic_store_n(&nl[i].peer, sv[1], __ATOMIC_RELEASE);
        __atomic_add_fetch(&sn_nl_open, 1, __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&nl_lock);
    if (i == NL_MAX) {
        REAL(close)(sv[0]);
        REAL(close)(sv[1]);
        return (int)sn_ret(-ENOBUFS);
    }
    return sv[0];
}

int sn_nl_close(int fd)
{
    pthread_mutex_lock(&nl_lock);
    int i = slot_of(fd), peer = i >= 0 ? nl[i].peer : -1;
    if (i >= 0) {
        __atomic_store_n(&nl[i].peer, 0, __ATOMIC_RELEASE);
        __atomic_sub_fetch(&sn_nl_open, 1, __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&nl_lock);
    if (peer > 0)
        REAL(close)(peer);
    return REAL(close)(fd);
}

int sn_nl_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    struct sockaddr_nl a;
    if (len < sizeof a)
        return (int)sn_ret(-EINVAL);
    if (sn_uaccess(addr, sizeof a, false) < 0)
        return (int)sn_ret(-EFAULT);
    memcpy(&a, addr, sizeof a);
    if (a.nl_family != AF_NETLINK)
        return (int)sn_ret(-EINVAL);
    /* Multicast groups need CAP_NET_ADMIN for some, and no notification
     * would ever come: accepted and silent, as a quiet network. */
    return 0;
}

int sn_nl_getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
    struct sockaddr_nl a = {.nl_family = AF_NETLINK, .nl_pid = (unsigned)getpid()};
    if (sn_uaccess(len, sizeof *len, true) < 0)
        return (int)sn_ret(-EFAULT);
    socklen_t n = *len < sizeof a ? *len : sizeof a;
    if (n && sn_uaccess(addr, n, true) < 0)
        return (int)sn_ret(-EFAULT);
    memcpy(addr, &a, n);
    *len = sizeof a;
    return 0;
}

int sn_nl_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
    if (level == SOL_NETLINK)
        return 0;       /* EXT_ACK, GET_STRICT_CHK, CAP_ACK...: no effect here */
    return REAL(setsockopt)(fd, level, name, val, len);
}

/* ---- replies ---- */

typedef struct reply {
    char buf[4096];
    size_t len;
    const struct nlmsghdr *req;
} reply;

static struct nlmsghdr *msg_start(reply *r, int type, int flags, const void *hdr, size_t hl)
{
    struct nlmsghdr *h = (void *)(r->buf + r->len);
    memset(h, 0, NLMSG_SPACE(hl));
    h->nlmsg_type = (unsigned short)type;
    h->nlmsg_flags = (unsigned short)flags;
    h->nlmsg_seq = r->req->nlmsg_seq;
    h->nlmsg_pid = (unsigned)getpid();
    h->nlmsg_len = (unsigned)NLMSG_LENGTH(hl);
    memcpy(NLMSG_DATA(h), hdr, hl);
    return h;
}

static void attr(struct nlmsghdr *h, int type, const void *v, size_t n)
{
    struct rtattr *a = (void *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));
    a->rta_type = (unsigned short)type;
    a->rta_len = (unsigned short)RTA_LENGTH(n);
    memcpy(RTA_DATA(a), v, n);
    memset((char *)RTA_DATA(a) + n, 0, RTA_SPACE(n) - RTA_LENGTH(n));
    h->nlmsg_len = (unsigned)(NLMSG_ALIGN(h->nlmsg_len) + RTA_SPACE(n));
}

static void msg_end(reply *r, struct nlmsghdr *h)
{
    r->len += NLMSG_ALIGN(h->nlmsg_len);
}

static void put_u32(struct nlmsghdr *h, int type, uint32_t v) { attr(h, type, &v, 4); }

static void link_msg(reply *r, const sn_host *x, int i, int flags)
{
    bool lo = i == 1;
    struct ifinfomsg m = {.ifi_family = AF_UNSPEC, .ifi_index = i,
                          .ifi_type = lo ? ARPHRD_LOOPBACK : ARPHRD_ETHER,
                          .ifi_flags = (lo ? SN_IF_LO_FLAGS : SN_IF_ETH_FLAGS) | IFF_LOWER_UP};
    struct nlmsghdr *h = msg_start(r, RTM_NEWLINK, flags, &m, sizeof m);
    const char *name = lo ? "lo" : SN_IF_ETH;
    attr(h, IFLA_IFNAME, name, strlen(name) + 1);
    put_u32(h, IFLA_TXQLEN, 1000);
    unsigned char oper = lo ? IF_OPER_UNKNOWN : IF_OPER_UP;
    attr(h, IFLA_OPERSTATE, &oper, 1);
    put_u32(h, IFLA_MTU, lo ? 65536 : 1500);
    attr(h, IFLA_QDISC, "noqueue", sizeof "noqueue");
    unsigned char mac[6] = {0}, bc[6] = {0};
    if (!lo) {
        sn_if_mac(x, mac);
        memset(bc, 0xff, 6);
    }
    attr(h, IFLA_ADDRESS, mac, 6);
    attr(h, IFLA_BROADCAST, bc, 6);
    msg_end(r, h);
}

static void addr_msg(reply *r, const uint8_t ip[16], int index, int prefix)
{
    static const uint8_t pre[12] = {[10] = 0xff, [11] = 0xff};
    bool v4 = memcmp(ip, pre, 12) == 0, lo = index == 1;
    struct ifaddrmsg m = {.ifa_family = v4 ? AF_INET : AF_INET6,
                          .ifa_prefixlen = (unsigned char)prefix,
                          .ifa_flags = IFA_F_PERMANENT | (v4 || lo ? 0 : IFA_F_NODAD),
                          .ifa_scope = lo ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE,
                          .ifa_index = (unsigned)index};
    struct nlmsghdr *h = msg_start(r, RTM_NEWADDR, NLM_F_MULTI, &m, sizeof m);
    const uint8_t *a = v4 ? ip + 12 : ip;
    size_t n = v4 ? 4 : 16;
    attr(h, IFA_ADDRESS, a, n);
    if (v4) {
        attr(h, IFA_LOCAL, a, n);
        if (!lo) {
            uint32_t b, mask = htonl(prefix ? ~0u << (32 - prefix) : 0);
            memcpy(&b, a, 4);
            b |= ~mask;
            attr(h, IFA_BROADCAST, &b, 4);
        }
        const char *label = lo ? "lo" : SN_IF_ETH;
        attr(h, IFA_LABEL, label, strlen(label) + 1);
    }
    put_u32(h, IFA_FLAGS, m.ifa_flags);
    struct ifa_cacheinfo ci = {.ifa_prefered = ~0u, .ifa_valid = ~0u};
    attr(h, IFA_CACHEINFO, &ci, sizeof ci);
    msg_end(r, h);
}

static void addrs(reply *r, const sn_host *x, int family)
{
    static const uint8_t lo4[16] = {[10] = 0xff, [11] = 0xff, [12] = 127, [15] = 1};
    static const uint8_t lo6[16] = {[15] = 1};
    for (int v6 = 0; v6 < 2; v6++) {            /* the kernel: IPv4, then IPv6 */
        if (family && family != (v6 ? AF_INET6 : AF_INET))
            continue;
        addr_msg(r, v6 ? lo6 : lo4, 1, v6 ? 128 : 8);
        for (uint32_t j = 0; j < x->naddr; j++)
            if ((x->addr[j][10] != 0xff) == v6)
                addr_msg(r, x->addr[j], 2, sn_if_prefix(x->addr[j]));
    }
}

static void done(reply *r)
{
    int zero = 0;
    msg_end(r, msg_start(r, NLMSG_DONE, NLM_F_MULTI, &zero, sizeof zero));
}

static void error(reply *r, int err)
{
    struct nlmsgerr e = {.error = err, .msg = *r->req};
    msg_end(r, msg_start(r, NLMSG_ERROR, err ? 0 : NLM_F_CAPPED, &e, sizeof e));
}

/* The link a non-dump RTM_GETLINK names: by index, else IFLA_IFNAME. */
static int link_asked(const struct nlmsghdr *q)
{
    const struct ifinfomsg *m = NLMSG_DATA(q);
    if (m->ifi_index)
        return m->ifi_index == 1 || m->ifi_index == 2 ? m->ifi_index : 0;
    int left = (int)q->nlmsg_len - (int)NLMSG_LENGTH(sizeof *m);
    for (const struct rtattr *a = IFLA_RTA(m); RTA_OK(a, left); a = RTA_NEXT(a, left))
        if (a->rta_type == IFLA_IFNAME) {
            const char *n = RTA_DATA(a);
            size_t l = RTA_PAYLOAD(a);
            if (strnlen(n, l) == 2 && !strncmp(n, "lo", 2))
                return 1;
            if (strnlen(n, l) == strlen(SN_IF_ETH) && !strncmp(n, SN_IF_ETH, l < 5 ? l : 5))
                return 2;
        }
    return 0;
}

/* One request, its answer into the pair (as datagrams: the data, then
 * NLMSG_DONE or the error, as the kernel sends a dump). */
static void answer(int peer, const sn_host *x, const struct nlmsghdr *q)
{
    reply r = {.req = q};
    bool dump = (q->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
    int t = q->nlmsg_type;
    if (t == RTM_GETLINK && q->nlmsg_len >= NLMSG_LENGTH(sizeof(struct ifinfomsg))) {
        if (dump) {
            link_msg(&r, x, 1, NLM_F_MULTI);
            link_msg(&r, x, 2, NLM_F_MULTI);
        } else {
            int i = link_asked(q);
            if (i)
                link_msg(&r, x, i, 0);
            else
                error(&r, -ENODEV);
        }
    } else if (t == RTM_GETADDR && dump && q->nlmsg_len >= NLMSG_LENGTH(1)) {
        addrs(&r, x, ((const struct ifaddrmsg *)NLMSG_DATA(q))->ifa_family);
    } else if (t >= RTM_BASE && t < RTM_MAX && (t & 3) != 2) {
        error(&r, -EPERM);          /* RTM_NEW*, DEL*, SET*: a fixed host */
    } else {
        error(&r, -EOPNOTSUPP);
    }
    if (r.len)
        REAL(send)(peer, r.buf, r.len, MSG_DONTWAIT);
    if (dump && (t == RTM_GETLINK || t == RTM_GETADDR)) {
        r.len = 0;
        done(&r);
        REAL(send)(peer, r.buf, r.len, MSG_DONTWAIT);
    } else if (!dump && r.len && (q->nlmsg_flags & NLM_F_ACK) && t == RTM_GETLINK &&
               ((struct nlmsghdr *)r.buf)->nlmsg_type != NLMSG_ERROR) {
        r.len = 0;
        error(&r, 0);
        REAL(send)(peer, r.buf, r.len, MSG_DONTWAIT);
    }
}

ssize_t sn_nl_send(int fd, const struct iovec *iov, int iovcnt, int flags)
{
    char buf[8192];
    size_t n = 0;
    for (int i = 0; i < iovcnt; i++) {
        if (sn_uaccess(iov[i].iov_base, iov[i].iov_len, false) < 0)
            return sn_ret(-EFAULT);
        size_t k = iov[i].iov_len < sizeof buf - n ? iov[i].iov_len : sizeof buf - n;
        memcpy(buf + n, iov[i].iov_base, k);
        n += k;
        if (k < iov[i].iov_len)
            return sn_ret(-EMSGSIZE);
    }
    pthread_mutex_lock(&nl_lock);
    int s = slot_of(fd), peer = s >= 0 ? nl[s].peer : -1;
    pthread_mutex_unlock(&nl_lock);
    const sn_host *x = sn_if_host();
    if (peer < 0 || !x)
        return sn_ret(-EBADF);
    int left = (int)n;
    for (const struct nlmsghdr *q = (void *)buf; NLMSG_OK(q, left); q = NLMSG_NEXT(q, left))
        if (q->nlmsg_flags & NLM_F_REQUEST)
            answer(peer, x, q);
    (void)flags;
    return (ssize_t)n;
}

ssize_t sn_nl_recvmsg(int fd, struct msghdr *msg, int flags)
{
    void *name = msg->msg_name;
    socklen_t len = msg->msg_namelen;
    msg->msg_name = NULL, msg->msg_namelen = 0;
    ssize_t r = REAL(recvmsg)(fd, msg, flags);
    msg->msg_name = name, msg->msg_namelen = len;
    if (r >= 0 && name) {
        struct sockaddr_nl a = {.nl_family = AF_NETLINK};
        memcpy(name, &a, len < sizeof a ? len : sizeof a);
        msg->msg_namelen = sizeof a;
    }
    return r;
}
