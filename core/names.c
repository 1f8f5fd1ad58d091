/* The network's names.  Until hosts have names of their own, the only
 * one is `localhost`, which every resolver and /etc/hosts agree on. */
#include <errno.h>
#include <string.h>

#include "core/hosts.h"
#include "core/names.h"

static const uint8_t lo4[16] = {[10] = 0xff, [11] = 0xff, [12] = 127, [15] = 1};
static const uint8_t lo6[16] = {[15] = 1};

int sn_names_addrs(sn_arena *a, const char *name, uint8_t ips[][16], int max)
{
    int n = 0;
    if (strcmp(name, "localhost") == 0) {
        if (n < max)
            memcpy(ips[n++], lo4, 16);
        if (n < max)
            memcpy(ips[n++], lo6, 16);
        return n;
    }
    /* A named host (NAME or NAME.simnet): its host addresses. */
    int h = sn_hosts_lookup(a, name);
    if (h <= 0)                         /* the default host has no name */
        return -ENOENT;
    const sn_host *H = &a->hosts[h];
    uint32_t k = __atomic_load_n(&H->naddr, __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; i < k && n < max; i++)
        memcpy(ips[n++], H->addr[i], 16);
    return n;
}

int sn_names_host(sn_arena *a, const uint8_t ip[16], char *out, size_t cap)
{
    const char *name = NULL;
    if (memcmp(ip, lo4, 16) == 0 || memcmp(ip, lo6, 16) == 0) {
        name = "localhost";
    } else {
        sn_addr x = {0};
        memcpy(x.ip, ip, 16);
        int h = sn_hosts_addr_owner(a, &x);
        if (h > 0)                      /* the default host has no name */
            name = a->hosts[h].name;
    }
    if (!name)
        return -ENOENT;
    size_t len = strlen(name);
    if (cap < len + 1)
        return -ENAMETOOLONG;
    memcpy(out, name, len + 1);
    return (int)len;
}
