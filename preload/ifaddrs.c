/* The interfaces of a named host (core/hosts.h): getifaddrs, if_nameindex,
 * if_nametoindex and if_indextoname show a loopback "lo" (127.0.0.1/8,
 * ::1/128) and one interface "eth0" carrying the host's addresses, so
 * servers that pick their address from the interface list see the host.
 * On the default host the kernel's answer stands. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "core/net.h"
#include "preload/ifaces.h"
#include "preload/init.h"
#include "preload/real.h"
#include "preload/ret.h"

#define ETH SN_IF_ETH

const sn_host *sn_if_host(void)
{
    if (!*sn_host_name())
        return NULL;
    sn_arena *a = sn_net();
    if (!a || a->proc < 0)
        return NULL;
    int h = sn_net_proc_host(a, a->proc);
    return h > 0 ? sn_net_host(a, h) : NULL;
}

void sn_if_mac(const sn_host *x, unsigned char mac[6])
{
    uint32_t k = (uint32_t)(x - sn_net_host(sn_net(), 0));
    const unsigned char m[6] = {0x02, 0x73, 0x6e, (unsigned char)(k >> 16),
                                (unsigned char)(k >> 8), (unsigned char)k};
    memcpy(mac, m, 6);
}

/* One entry and its three addresses, laid out in one block (glibc's
 * freeifaddrs frees the first entry's block only). */
typedef struct entry {
    struct ifaddrs ifa;
    struct sockaddr_storage addr, mask, broad;
} entry;

static void set_entry(entry *e, const char *name, unsigned flags, const uint8_t ip[16],
                      int prefix)
{
    bool v4 = ip[10] == 0xff && ip[11] == 0xff && !memcmp(ip, "\0\0\0\0\0\0\0\0\0\0", 10);
    e->ifa.ifa_name = (char *)name;
    e->ifa.ifa_flags = flags;
    e->ifa.ifa_addr = (struct sockaddr *)&e->addr;
    e->ifa.ifa_netmask = (struct sockaddr *)&e->mask;
    if (v4) {
        struct sockaddr_in *a = (void *)&e->addr, *m = (void *)&e->mask, *b = (void *)&e->broad;
        a->sin_family = m->sin_family = AF_INET;
        memcpy(&a->sin_addr, ip + 12, 4);
        m->sin_addr.s_addr = htonl(prefix ? ~0u << (32 - prefix) : 0);
        if (flags & IFF_BROADCAST) {
            b->sin_family = AF_INET;
            b->sin_addr.s_addr = a->sin_addr.s_addr | ~m->sin_addr.s_addr;
            e->ifa.ifa_broadaddr = (struct sockaddr *)b;
        }
        return;
    }
    struct sockaddr_in6 *a = (void *)&e->addr, *m = (void *)&e->mask;
    a->sin6_family = m->sin6_family = AF_INET6;
    memcpy(&a->sin6_addr, ip, 16);
    for (int i = 0; i < prefix / 8; i++)
        m->sin6_addr.s6_addr[i] = 0xff;
}

/* Netmask of a host address: /16 for the default block, /24 for another
 * IPv4 one, /64 for IPv6. */
int sn_if_prefix(const uint8_t ip[16])
{
    if (ip[10] == 0xff && ip[11] == 0xff)
        return ip[12] == 127 && ip[13] == 100 ? 16 : 24;
    return 64;
}

int getifaddrs(struct ifaddrs **ifap)
{
    const sn_host *x = sn_if_host();
    if (!x)
        return REAL(getifaddrs)(ifap);
    uint32_t n = 2 + x->naddr;
    size_t names = sizeof "lo" + sizeof ETH;
    entry *e = calloc(1, n * sizeof *e + names);
    if (!e)
        return (int)sn_ret(-ENOMEM);
    char *lo = (char *)(e + n), *eth = lo + sizeof "lo";
    memcpy(lo, "lo", sizeof "lo");
    memcpy(eth, ETH, sizeof ETH);
    const uint8_t lo4[16] = {[10] = 0xff, [11] = 0xff, [12] = 127, [15] = 1};
    const uint8_t lo6[16] = {[15] = 1};
    unsigned lf = SN_IF_LO_FLAGS, ef = SN_IF_ETH_FLAGS;
    /* glibc's order: every IPv4 address, then every IPv6 one. */
    uint32_t k = 0;
    set_entry(&e[k++], lo, lf, lo4, 8);
    for (uint32_t j = 0; j < x->naddr; j++)
        if (x->addr[j][10] == 0xff)
            set_entry(&e[k++], eth, ef, x->addr[j], sn_if_prefix(x->addr[j]));
    set_entry(&e[k++], lo, lf, lo6, 128);
    for (uint32_t j = 0; j < x->naddr; j++)
        if (x->addr[j][10] != 0xff)
            set_entry(&e[k++], eth, ef, x->addr[j], sn_if_prefix(x->addr[j]));
    for (uint32_t i = 0; i + 1 < n; i++)
        e[i].ifa.ifa_next = &e[i + 1].ifa;
    *ifap = &e[0].ifa;
    return 0;
}

struct if_nameindex *if_nameindex(void)
{
    if (!sn_if_host())
        return REAL(if_nameindex)();
    /* glibc's if_freenameindex frees each name, then the array. */
    struct if_nameindex *v = calloc(3, sizeof *v);
    if (!v || !(v[0].if_name = strdup("lo")) || !(v[1].if_name = strdup(ETH))) {
        if (v)
            free(v[0].if_name);
        free(v);
        sn_ret(-ENOBUFS);
        return NULL;
    }
    v[0].if_index = 1;
    v[1].if_index = 2;
    return v;
}

unsigned int if_nametoindex(const char *name)
{
    if (!sn_if_host())
        return REAL(if_nametoindex)(name);
    if (strcmp(name, "lo") == 0)
        return 1;
    if (strcmp(name, ETH) == 0)
        return 2;
    sn_ret(-ENODEV);
    return 0;
}

char *if_indextoname(unsigned int index, char name[IF_NAMESIZE])
{
    if (!sn_if_host())
        return REAL(if_indextoname)(index, name);
    if (index == 1 || index == 2)
        return strcpy(name, index == 1 ? "lo" : ETH);
    sn_ret(-ENXIO);
    return NULL;
}
