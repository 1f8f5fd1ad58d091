/* The interface ioctls (SIOCGIFCONF, SIOCGIFADDR, SIOCGIFFLAGS,
 * SIOCGIFINDEX, SIOCGIFNAME...) on a simulated socket of a named host:
 * answered from the host table, as getifaddrs answers (ifaces.h), so
 * that a server picking its address from the interface list sees its
 * host's, also inside a network namespace whose kernel has none.  The
 * requests that change an interface fail with EPERM: a simulated
 * host's interfaces are fixed (and the kernel's are not ours to touch).
 * On the default host, and on other sockets, the kernel answers. */
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>

#include "preload/ifaces.h"
#include "preload/uaccess.h"

static bool is_v4(const uint8_t ip[16])
{
    static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};
    return memcmp(ip, mapped, 12) == 0;
}

/* Interface index of a name (1 lo, 2 eth0), or 0. */
static int index_of(const char name[IFNAMSIZ])
{
    if (strncmp(name, "lo", IFNAMSIZ) == 0)
        return 1;
    if (strncmp(name, SN_IF_ETH, IFNAMSIZ) == 0)
        return 2;
    return 0;
}

/* The first IPv4 address of interface i (its prefix in *prefix), or
 * false when it has none (eth0 of a host given only IPv6 ones). */
static bool v4_of(const sn_host *x, int i, uint32_t *addr, int *prefix)
{
    if (i == 1) {
        *addr = htonl(INADDR_LOOPBACK), *prefix = 8;
        return true;
    }
    for (uint32_t j = 0; j < x->naddr; j++)
        if (is_v4(x->addr[j])) {
            memcpy(addr, x->addr[j] + 12, 4);
            *prefix = sn_if_prefix(x->addr[j]);
            return true;
        }
    return false;
}

static void put_in(struct sockaddr *sa, uint32_t addr)
{
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr.s_addr = addr};
    memcpy(sa, &in, sizeof in);
}

/* One ifreq per IPv4 address (Linux lists only those), as many as fit;
 * without a buffer, the length all of them need. */
static int ifconf(const sn_host *x, struct ifconf *c)
{
    if (sn_uaccess(c, sizeof *c, true) < 0)
        return -EFAULT;
    int n = 1;
    for (uint32_t j = 0; j < x->naddr; j++)
        n += is_v4(x->addr[j]);
    if (!c->ifc_buf) {
        c->ifc_len = n * (int)sizeof(struct ifreq);
        return 0;
    }
    int room = c->ifc_len < 0 ? 0 : c->ifc_len / (int)sizeof(struct ifreq), k = 0;
    if (room > n)
        room = n;
    if (room && sn_uaccess(c->ifc_req, (size_t)room * sizeof(struct ifreq), true) < 0)
        return -EFAULT;
    for (int j = -1; j < (int)x->naddr && k < room; j++) {
        if (j >= 0 && !is_v4(x->addr[j]))
            continue;
        struct ifreq *r = &c->ifc_req[k++];
        memset(r, 0, sizeof *r);
        uint32_t a = htonl(INADDR_LOOPBACK);
        if (j >= 0)
            memcpy(&a, x->addr[j] + 12, 4);
        strcpy(r->ifr_name, j < 0 ? "lo" : SN_IF_ETH);
        put_in(&r->ifr_addr, a);
    }
    c->ifc_len = k * (int)sizeof(struct ifreq);
    return 0;
}

/* The address requests: address, netmask, broadcast (0.0.0.0 on lo, as
 * Linux gives for an interface without one). */
static int addr_req(const sn_host *x, unsigned long req, int i, struct ifreq *r)
{
    uint32_t a;
    int p;
    if (!v4_of(x, i, &a, &p))
        return -EADDRNOTAVAIL;
    uint32_t m = htonl(p ? ~0u << (32 - p) : 0);
    if (req == SIOCGIFNETMASK)
        a = m;
    else if (req == SIOCGIFBRDADDR)
        a = i == 1 ? 0 : (a | ~m);
    put_in(&r->ifr_addr, a);
    return 0;
}

static int get_req(const sn_host *x, unsigned long req, struct ifreq *r)
{
    if (sn_uaccess(r, sizeof *r, true) < 0)
        return -EFAULT;
    if (req == SIOCGIFNAME) {
        if (r->ifr_ifindex != 1 && r->ifr_ifindex != 2)
            return -ENODEV;
        memset(r->ifr_name, 0, IFNAMSIZ);
        strcpy(r->ifr_name, r->ifr_ifindex == 1 ? "lo" : SN_IF_ETH);
        return 0;
    }
    int i = index_of(r->ifr_name);
    if (!i)
        return -ENODEV;
    switch (req) {
    case SIOCGIFADDR: case SIOCGIFNETMASK: case SIOCGIFBRDADDR:
        return addr_req(x, req, i, r);
    case SIOCGIFFLAGS:
        r->ifr_flags = (short)(i == 1 ? SN_IF_LO_FLAGS : SN_IF_ETH_FLAGS);
        return 0;
    case SIOCGIFINDEX:
        r->ifr_ifindex = i;
        return 0;
    case SIOCGIFMTU:
        r->ifr_mtu = i == 1 ? 65536 : 1500;
        return 0;
    case SIOCGIFMETRIC:
        r->ifr_metric = 0;
        return 0;
    case SIOCGIFTXQLEN:
        r->ifr_qlen = 1000;
        return 0;
    case SIOCGIFHWADDR: {
        memset(&r->ifr_hwaddr, 0, sizeof r->ifr_hwaddr);     /* lo: zeros */
        r->ifr_hwaddr.sa_family = i == 1 ? ARPHRD_LOOPBACK : ARPHRD_ETHER;
        if (i == 2)
            sn_if_mac(x, (unsigned char *)r->ifr_hwaddr.sa_data);
        return 0;
    }
    }
    return -ENOTTY;
}

/* The requests that change an interface or a route. */
static bool sets(unsigned long req)
{
    switch (req) {
    case SIOCSIFFLAGS: case SIOCSIFADDR: case SIOCSIFNETMASK: case SIOCSIFBRDADDR:
    case SIOCSIFDSTADDR: case SIOCSIFMTU: case SIOCSIFHWADDR: case SIOCSIFNAME:
    case SIOCSIFMETRIC: case SIOCSIFTXQLEN: case SIOCDIFADDR: case SIOCADDRT:
    case SIOCDELRT:
        return true;
    }
    return false;
}

int sn_ifreq(unsigned long req, void *arg)
{
    switch (req) {
    case SIOCGIFCONF: case SIOCGIFNAME: case SIOCGIFADDR: case SIOCGIFNETMASK:
    case SIOCGIFBRDADDR: case SIOCGIFFLAGS: case SIOCGIFINDEX: case SIOCGIFMTU:
    case SIOCGIFMETRIC: case SIOCGIFTXQLEN: case SIOCGIFHWADDR:
        break;
    default:
        if (!sets(req))
            return 1;
    }
    const sn_host *x = sn_if_host();
    if (!x)
        return 1;
    if (sets(req))          /* Linux checks CAP_NET_ADMIN before the name */
        return -EPERM;
    if (req == SIOCGIFCONF)
        return ifconf(x, arg);
    return get_req(x, req, arg);
}
