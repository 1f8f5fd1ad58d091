/* simnet-inspect: the part of the `simnet` launcher that reads arenas.
 *
 *   simnet-inspect ls DIR              live networks in DIR
 *   simnet-inspect show DIR NAME       sockets of one network, like ss
 *   simnet-inspect gc DIR [SECONDS]    remove networks nobody uses (older
 *                                      than SECONDS, default 60), unless kept
 *   simnet-inspect rm DIR NAME         remove one, kept or not, unless in use
 *                                      (status 1 then, 2 on an error)
 *   simnet-inspect keep DIR NAME       make it (if missing) and mark it kept
 *   simnet-inspect joined DIR NAME     how many process entries it ever
 *                                      used (tests: did programs join it?)
 *   simnet-inspect host DIR NAME HOST ADDRS
 *                                      make network and host if missing,
 *                                      with ADDRS (comma-separated) added
 *   simnet-inspect hosts DIR NAME      its hosts as /etc/hosts lines
 *   link, partition, heal, reset, seed: scripts/inspect_links.c
 *
 * It maps arenas without attaching to them and reads without locks: a
 * snapshot that may be a moment old, never a change.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/net.h"

int inspect_links(int argc, char **argv);    /* inspect_links.c */
void inspect_print_links(sn_arena *a);

static const char *state_name(const sn_sock *k)
{
    uint32_t sh = atomic_load(&k->shut);
    switch (k->state) {
    case SN_NEW:        return "UNCONN";
    case SN_BOUND:      return k->type == SOCK_DGRAM ? "UNCONN" : "BOUND";
    case SN_LISTEN:     return "LISTEN";
    case SN_CONNECTING: return "SYN-SENT";
    case SN_CONNECTED:
        if (k->type == SOCK_DGRAM)  return "ESTAB";
        if ((sh & SN_SHUT_WR) && (sh & SN_PEER_FIN)) return "LAST-ACK";
        if (sh & SN_SHUT_WR)        return "FIN-WAIT-2";
        if (sh & SN_PEER_FIN)       return "CLOSE-WAIT";
        return "ESTAB";
    case SN_CLOSED:     return "CLOSE";
    default:            return "?";
    }
}

static void format(const sn_sock *k, const sn_addr *x, char *out, size_t n)
{
    char ip[INET6_ADDRSTRLEN];
    if (k->family == AF_INET || sn_addr_is_v4(x)) {
        inet_ntop(AF_INET, x->ip + 12, ip, sizeof ip);
        snprintf(out, n, "%s:%u", ip, x->port);
    } else {
        inet_ntop(AF_INET6, x->ip, ip, sizeof ip);
        snprintf(out, n, "[%s]:%u", ip, x->port);
    }
}

static const char *host_name(sn_arena *a, int h)
{
    return h == 0 ? "-" : sn_net_host(a, h)->name;
}

static int open_arena(sn_arena *a, const char *dir, const char *name, bool quiet)
{
    char path[4096], err[256];
    snprintf(path, sizeof path, "%s/%s.arena", dir, name);
    int r = sn_net_open(a, path, 0, 0, err, sizeof err);
    /* ls: an empty file is a network pinned by a process that has not
     * used it yet (preload/identity.c), nothing wrong. */
    if (r < 0 && !(quiet && r == -ENOENT))
        fprintf(stderr, "simnet: %s\n", err);
    return r;
}

static int live_procs(sn_arena *a)
{
    int n = 0;
    for (uint32_t i = 0; i < sn_net_proc_hwm(a); i++)
        if (sn_net_proc_pid(a, (int)i) > 0 && sn_net_proc_alive(a, (int)i))
            n++;
    return n;
}

static int cmd_ls(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT)
            return 0;               /* no network was ever made here */
        fprintf(stderr, "simnet: cannot read %s: %s\n", dir, strerror(errno));
        return 1;
    }
    printf("%-40s %6s %8s %6s %20s\n", "NETWORK", "PROCS", "SOCKETS", "FAULTS", "SEED");
    for (struct dirent *e; (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (n <= 6 || strcmp(e->d_name + n - 6, ".arena") != 0)
            continue;
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(n - 6), e->d_name);
        sn_arena a;
        if (open_arena(&a, dir, name, true) < 0)
            continue;
        int live = live_procs(&a);
        if (live || sn_net_kept(&a))
            printf("%-40s %6d %8u %6u %20llu\n", name, live, a.hdr->nsocks,
                   a.hdr->faults, (unsigned long long)sn_net_seed(&a));
        sn_arena_close(&a);
    }
    closedir(d);
    return 0;
}

static void addr_text(const uint8_t ip[16], char *out, size_t n)
{
    static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};
    if (memcmp(ip, mapped, 12) == 0)
        inet_ntop(AF_INET, ip + 12, out, (socklen_t)n);
    else
        inet_ntop(AF_INET6, ip, out, (socklen_t)n);
}

/* `simnet ls -n`: each named host, its addresses and live processes (the
 * default host's too when it has any and named hosts exist). */
static void print_hosts_procs(sn_arena *a)
{
    uint32_t nh = sn_net_nhosts(a);
    if (nh <= 1)
        return;
    printf("%-24s %-40s %s\n", "Host", "Addresses", "Pids");
    for (uint32_t h = 0; h < nh; h++) {
        char addrs[256] = "", pids[256] = "";
        size_t ua = 0, up = 0;
        const sn_host *x = sn_net_host(a, (int)h);
        for (uint32_t j = 0; j < x->naddr && ua < sizeof addrs - 48; j++) {
            char t[INET6_ADDRSTRLEN];
            addr_text(x->addr[j], t, sizeof t);
            ua += (size_t)snprintf(addrs + ua, sizeof addrs - ua, "%s%s", ua ? "," : "", t);
        }
        for (uint32_t i = 0; i < sn_net_proc_hwm(a) && up < sizeof pids - 16; i++)
            if (sn_net_proc_pid(a, (int)i) > 0 && sn_net_proc_alive(a, (int)i) &&
                sn_net_proc_host(a, (int)i) == (int)h)
                up += (size_t)snprintf(pids + up, sizeof pids - up, "%s%d", up ? "," : "",
                                       sn_net_proc_pid(a, (int)i));
        if (h == 0 && !up)
            continue;
        printf("%-24s %-40s %s\n", h ? x->name : "(default)", ua ? addrs : "-",
               up ? pids : "-");
    }
    printf("\n");
}

static int cmd_hosts(const char *dir, const char *name)
{
    sn_arena a;
    if (open_arena(&a, dir, name, false) < 0)
        return 2;
    for (uint32_t h = 1; h < sn_net_nhosts(&a); h++) {
        const sn_host *x = sn_net_host(&a, (int)h);
        for (uint32_t j = 0; j < x->naddr; j++) {
            char t[INET6_ADDRSTRLEN];
            addr_text(x->addr[j], t, sizeof t);
            printf("%s\t%s\n", t, x->name);
        }
    }
    sn_arena_close(&a);
    return 0;
}

/* `simnet run --host`: the host made now, so that a bad name or address
 * is the launcher's one-line error (status 2) before the command runs. */
static int cmd_host(const char *dir, const char *name, const char *host,
                    const char *list)
{
    char path[4096], err[300];
    sn_addr addrs[SN_HOST_ADDRS];
    int n = sn_net_parse_addrs(list, addrs, SN_HOST_ADDRS, err, sizeof err);
    sn_arena a;
    snprintf(path, sizeof path, "%s/%s.arena", dir, name);
    int r = n;
    if (n >= 0 && (r = sn_net_open(&a, path, SN_DEFAULT_SIZE, SN_ARENA_CREATE, err,
                                   sizeof err)) == 0) {
        r = sn_net_host_add(&a, host, addrs, n, err, sizeof err);
        sn_arena_close(&a);
    }
    n = r;
    if (n < 0)
        fprintf(stderr, "simnet: %s\n", err);
    return n < 0 ? 2 : 0;
}

static int cmd_show(const char *dir, const char *name)
{
    sn_arena a;
    if (open_arena(&a, dir, name, false) < 0)
        return 1;
    print_hosts_procs(&a);
    printf("%-5s %-10s %8s %8s %-46s %-46s %-12s %s\n", "Netid", "State", "Recv-Q",
           "Send-Q", "Local Address:Port", "Peer Address:Port", "Host", "Pids");
    for (uint32_t s = 0; s < a.hdr->sock_hwm; s++) {
        sn_sock *k = sn_sock_at(&a, (int)s);
        if (k->state == SN_FREE)
            continue;
        char local[64], peer[64] = "*", pids[256] = "";
        format(k, &k->local, local, sizeof local);
        if (k->state == SN_CONNECTED || k->state == SN_CONNECTING)
            format(k, &k->peer, peer, sizeof peer);
        unsigned rq = sn_ring_used(&k->rx), sq = 0;
        if (k->state == SN_LISTEN) {
            rq = (unsigned)k->acc_len;
            sq = (unsigned)k->backlog;
        } else {
            sn_sock *p = sn_sock_peer(&a, k, NULL);
            if (p)
                sq = sn_ring_used(&p->rx);
        }
        size_t used = 0;
        for (int i = 0; i < SN_MAX_PROCS && used < sizeof pids - 16; i++)
            if (sn_sock_held_by(k, i))
                used += (size_t)snprintf(pids + used, sizeof pids - used, "%s%d",
                                         used ? "," : "", a.procs[i].pid);
        if (!used)
            snprintf(pids, sizeof pids, "(queued)");
        printf("%-5s %-10s %8u %8u %-46s %-46s %-12s %s\n",
               k->type == SOCK_STREAM ? "tcp" : k->protocol == IPPROTO_UDPLITE ? "udplite" : "udp", state_name(k), rq, sq,
               local, peer, host_name(&a, k->host), pids);
    }
    /* Faults and the seed their choices come from, after the sockets
     * (scripts read the table from its header on); `simnet ls` shows
     * every network's seed. */
    if (a.hdr->faults) {
        printf("\nSeed %llu\nLinks:\n", (unsigned long long)sn_net_seed(&a));
        inspect_print_links(&a);
    }
    sn_arena_close(&a);
    return 0;
}

static int cmd_gc(const char *dir, long min_age)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    time_t now = time(NULL);
    for (struct dirent *e; (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (n <= 6 || strcmp(e->d_name + n - 6, ".arena") != 0)
            continue;
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) == 0 && now - st.st_mtime >= min_age)
            sn_net_remove_if_stale(path);
    }
    closedir(d);
    return 0;
}

static int cmd_rm(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.arena", dir, name);
    int r = sn_net_remove_unused(path, true);
    if (r == 1)
        return 0;
    if (r == 0) {
        sn_arena a;
        int live = open_arena(&a, dir, name, true) == 0 ? live_procs(&a) : 0;
        if (a.base)
            sn_arena_close(&a);
        fprintf(stderr, "simnet: network '%s' is in use (%d live process%s); not removed\n",
                name, live, live == 1 ? "" : "es");
        return 1;
    }
    if (r == -ENOENT)
        fprintf(stderr, "simnet: no network '%s' in %s\n", name, dir);
    else
        fprintf(stderr, "simnet: cannot remove %s: %s\n", path, strerror(-r));
    return 2;
}

static int cmd_keep(const char *dir, const char *name)
{
    char path[4096], err[300];
    snprintf(path, sizeof path, "%s/%s.arena", dir, name);
    if (sn_net_keep(path, err, sizeof err) < 0) {
        fprintf(stderr, "simnet: %s\n", err);
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int lr = argc >= 2 ? inspect_links(argc - 1, argv + 1) : -1;
    if (lr >= 0)
        return lr;
    if (argc == 4 && strcmp(argv[1], "rm") == 0)
        return cmd_rm(argv[2], argv[3]);
    if (argc == 4 && strcmp(argv[1], "keep") == 0)
        return cmd_keep(argv[2], argv[3]);
    if (argc == 4 && strcmp(argv[1], "joined") == 0) {
        sn_arena a;
        if (open_arena(&a, argv[2], argv[3], false) < 0)
            return 2;
        printf("%u\n", a.hdr->proc_hwm);
        sn_arena_close(&a);
        return 0;
    }
    if (argc == 6 && strcmp(argv[1], "host") == 0)
        return cmd_host(argv[2], argv[3], argv[4], argv[5]);
    if (argc == 4 && strcmp(argv[1], "hosts") == 0)
        return cmd_hosts(argv[2], argv[3]);
    if (argc == 3 && strcmp(argv[1], "ls") == 0)
        return cmd_ls(argv[2]);
    if (argc == 4 && strcmp(argv[1], "show") == 0)
        return cmd_show(argv[2], argv[3]);
    if ((argc == 3 || argc == 4) && strcmp(argv[1], "gc") == 0)
        return cmd_gc(argv[2], argc == 4 ? strtol(argv[3], NULL, 10) : 60);
    fprintf(stderr, "usage: simnet-inspect ls DIR | show DIR NAME | gc DIR [SECONDS] | "
                    "rm DIR NAME | keep DIR NAME\n");
    return 2;
}
