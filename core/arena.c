/* The arena file: create, map, lay out, check.  What lives in the tables
 * is the business of the modules above; the heap is heap.c's. */
#include "core/arena.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/heap.h"
#include "core/mapfile.h"

#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((uint64_t)(a) - 1))

/* Offsets of the tables; the same in every process for a given layout. */
static uint64_t off_procs(void) { return ALIGN_UP(sizeof(sn_hdr), 4096); }
static uint64_t off_hosts(void)
{
    return ALIGN_UP(off_procs() + SN_MAX_PROCS * sizeof(sn_proc), 4096);
}
static uint64_t off_links(void)
{
    return ALIGN_UP(off_hosts() + SN_MAX_HOSTS * sizeof(sn_host), 4096);
}
static uint64_t off_socks(void)
{
    return ALIGN_UP(off_links() + SN_MAX_LINKS * sizeof(sn_link), 4096);
}
static uint64_t off_ports(void)
{
    return ALIGN_UP(off_socks() + (uint64_t)SN_MAX_SOCKS * SN_SOCK_BYTES, 4096);
}
static uint64_t off_timewait(void)
{
    return ALIGN_UP(off_ports() + SN_PORT_SPACES * 65536 * sizeof(int32_t), 4096);
}
static uint64_t off_bells(void)
{
    return ALIGN_UP(off_timewait() + SN_TIMEWAIT_SLOTS * sizeof(sn_timewait), 4096);
}
static uint64_t off_heap(void)
{
    return ALIGN_UP(off_bells() + SN_MAX_BELLS * sizeof(sn_bell), 1 << 16);
}

static void set_pointers(sn_arena *a, uint8_t *base, size_t size)
{
    a->base = base;
    a->size = size;
    a->hdr = (sn_hdr *)base;
    a->procs = (sn_proc *)(base + off_procs());
    a->hosts = (sn_host *)(base + off_hosts());
    a->links = (sn_link *)(base + off_links());
    a->socks = (struct sn_sock *)(base + off_socks());
    a->ports = (int32_t *)(base + off_ports());
    a->timewait = (sn_timewait *)(base + off_timewait());
    a->bells = (sn_bell *)(base + off_bells());
    a->bell_tx = -1;
    a->heap = base;
    a->proc = -1;
}

/* ---- reserving memory before touching it (core/heap.h) ---- */

/* The header and the tables used whole from the start (processes, ports,
 * TIME_WAIT) are reserved when the arena is made; the socket and doorbell
 * tables grow by chunks (reserve_entries). */
static int reserve_fixed(sn_arena *a)
{
    if (sn_arena_reserve(a, 0, off_socks(), "the arena header", SN_RESERVE_ONLY) < 0 ||
        sn_arena_reserve(a, off_ports(), off_bells() - off_ports(), "the port tables",
                         SN_RESERVE_ONLY) < 0)
        return -ENOSPC;
    return 0;
}

/* Entry n of a table at `base` is about to be used: if it is past *room,
 * reserve the next chunk.  Control-plane lock held. */
static int reserve_entries(sn_arena *a, uint32_t *room, uint32_t n, uint32_t max,
                           uint64_t base, uint32_t esize, const char *what)
{
    if (n < *room)
        return 0;
    uint32_t per = SN_TABLE_CHUNK / esize ? SN_TABLE_CHUNK / esize : 1;
    uint32_t to = n + per < max ? n + per : max;
    if (sn_arena_reserve(a, base + (uint64_t)*room * esize,
                         (uint64_t)(to - *room) * esize, what, SN_RESERVE_TRIM) < 0)
        return -ENOMEM;
    *room = to;
    return 0;
}

int sn_arena_reserve_socks(sn_arena *a, uint32_t n)
{
    return reserve_entries(a, &a->hdr->sock_room, n, SN_MAX_SOCKS, off_socks(),
                           SN_SOCK_BYTES, "the socket table");
}

int sn_arena_reserve_bells(sn_arena *a, uint32_t n)
{
    return reserve_entries(a, &a->hdr->bell_room, n, SN_MAX_BELLS, off_bells(),
                           sizeof(sn_bell), "the doorbell table");
}

static void load_limits(sn_limits *l)
{
    /* Linux's own defaults, used where /proc/sys cannot be read. */
    int32_t w[3] = {4096, 16384, 4194304}, r[3] = {4096, 131072, 6291456};
    l->wmem_def = l->rmem_def = l->wmem_max = l->rmem_max = 212992;
    l->somaxconn = 4096;
    int32_t range[2] = {32768, 60999};
    l->tcp_reordering = 3;
    l->ip_ttl = l->ipv6_hops = l->ipv6_hops_lo = 64;
    sn_os_sysctl_ints("net.ipv4.tcp_wmem", w, 3);
    sn_os_sysctl_ints("net.ipv4.tcp_rmem", r, 3);
    sn_os_sysctl_ints("net.core.wmem_default", &l->wmem_def, 1);
    sn_os_sysctl_ints("net.core.rmem_default", &l->rmem_def, 1);
    sn_os_sysctl_ints("net.core.wmem_max", &l->wmem_max, 1);
    sn_os_sysctl_ints("net.core.rmem_max", &l->rmem_max, 1);
    sn_os_sysctl_ints("net.core.somaxconn", &l->somaxconn, 1);
    sn_os_sysctl_ints("net.ipv4.ip_local_port_range", range, 2);
    sn_os_sysctl_ints("net.ipv4.tcp_reordering", &l->tcp_reordering, 1);
    sn_os_sysctl_ints("net.ipv4.ip_default_ttl", &l->ip_ttl, 1);
    sn_os_sysctl_ints("net.ipv6.conf.all.hop_limit", &l->ipv6_hops, 1);
    sn_os_sysctl_ints("net.ipv6.conf.lo.hop_limit", &l->ipv6_hops_lo, 1);
    l->tcp_wmem_def = w[1];
    l->tcp_rmem_def = r[1];
    l->tcp_rmem_max = r[2];
    if (range[0] < 1 || range[1] > 65535 || range[0] > range[1]) {
        range[0] = 32768;
        range[1] = 60999;
    }
    l->port_lo = range[0];
    l->port_hi = range[1];
}

static void init_header(sn_arena *a)
{
    sn_hdr *h = a->hdr;
    h->version = SN_LAYOUT_VERSION;
    h->hdr_size = sizeof(sn_hdr);
    h->size = a->size;
    sn_lock_init(&h->lock);
    sn_lock_init(&h->heap_lock);
    sn_lock_init(&h->cap.lock);
    load_limits(&h->lim);
    h->sock_free = -1;
    h->port_next[0] = h->port_next[1] = (uint32_t)h->lim.port_lo;
    h->heap_off = h->heap_top = off_heap();
    h->heap_end = a->size;
    h->heap_keep = SN_HEAP_KEEP;
    for (int i = 0; i < SN_PORT_SPACES * 65536; i++)
        a->ports[i] = -1;
    /* Doorbells live in the abstract AF_UNIX namespace, shared by every
     * network of the machine: a random token keeps their names apart. */
    h->nhosts = 1;                  /* the default host (core/hosts.h) */
    h->token = sn_os_random_seed() ^ (uint64_t)(uintptr_t)a->base;
    /* Until SIMNET_SEED or --seed says otherwise (core/links.h). */
    h->seed = sn_os_random_seed() % 1000000000u;
    for (int i = 0; i < SN_MAX_LINKS; i++)
        sn_lock_init(&a->links[i].lock);
    /* Publish last: a process that sees the magic sees a whole header. */
    __atomic_store_n(&h->magic, SN_MAGIC, __ATOMIC_RELEASE);
}

static int check_header(sn_arena *a, size_t file_size, char *err, size_t errlen)
{
    sn_hdr *h = a->hdr;
    if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != SN_MAGIC) {
        snprintf(err, errlen, "not a libsimnet arena (bad magic)");
        return -EPROTO;
    }
    if (h->version != SN_LAYOUT_VERSION || h->hdr_size != sizeof(sn_hdr)) {
        snprintf(err, errlen,
                 "arena made by another libsimnet version (layout %u, this "
                 "library uses %u); remove it or use another SIMNET_NETWORK",
                 h->version, SN_LAYOUT_VERSION);
        return -EPROTO;
    }
    if (h->size != file_size) {
        snprintf(err, errlen, "arena size %llu does not match its file (%zu)",
                 (unsigned long long)h->size, file_size);
        return -EPROTO;
    }
    return 0;
}

/* A new (or reset) arena file: reserve its fixed part, then write the
 * header.  With no room, the file is emptied again, so that the next
 * process tries afresh instead of finding a header never written. */
static int make(sn_arena *a, int fd, const char *path, char *err, size_t errlen)
{
    if (reserve_fixed(a) < 0) {
        sn_os_file_resize(fd, 0);
        snprintf(err, errlen,
                 "no room for network %s: its file system is full (%llu KiB "
                 "needed now, more per connection); free space there, make it "
                 "larger or set SIMNET_DIR (see the user guide)",
                 path, (unsigned long long)(off_socks() + off_bells() - off_ports()) >> 10);
        return -ENOSPC;
    }
    init_header(a);
    return 0;
}

size_t sn_arena_min_size(void) { return off_heap() + (16u << 20); }

int sn_arena_open_file(const char *path, bool create, sn_os_stat *st)
{
    for (int tries = 0; tries < 1000; tries++) {
        int fd = sn_os_file_open(path, create, false);
        if (fd < 0)
            return fd;
        sn_os_stat now;
        int r = sn_os_file_lock(fd, true), e = 0;
        if (r == 0 && (e = sn_os_file_stat(fd, st)) == 0 &&
            (e = sn_os_path_stat(path, &now)) == 0 &&
            now.dev == st->dev && now.ino == st->ino)
            return fd;
        sn_arena_file_close(fd);
        if (r < 0)
            return r;
        if (!create && e == -ENOENT)
            return -ENOENT;         /* removed meanwhile */
    }
    return -EAGAIN;
}

int sn_arena_lock_fd(int fd, sn_os_stat *st)
{
    int r = sn_os_file_lock(fd, true);
    if (r == 0 && (r = sn_os_file_stat(fd, st)) < 0)
        sn_os_file_unlock(fd);
    return r;
}

int sn_arena_map(sn_arena *a, int fd, const sn_os_stat *st, const char *name,
                 size_t size, int flags, bool *fresh, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    a->handed = flags >> 8;
    *fresh = false;
    if (size < sn_arena_min_size())
        size = sn_arena_min_size();
    int r;
    void *p;
    if (st->size == 0 && !(flags & SN_ARENA_CREATE)) {
        /* Made empty by a process that pinned it, never used yet. */
        snprintf(err, errlen, "arena %s is not initialised yet", name);
        return -ENOENT;
    } else if (st->size == 0) {
        /* SIMNET_SHARED: processes of other users may join (servers that
         * run their workers as another user started separately).  A file
         * pinned empty was made with that mode already, maybe by another
         * user than the one that sizes it now. */
        if ((flags & SN_ARENA_SHARED) && (st->mode & 0777) != 0666 &&
            (r = sn_os_file_share(fd)) < 0) {
            snprintf(err, errlen, "cannot share arena %s: %s", name, strerror(-r));
            return r;
        }
        if ((r = sn_os_file_resize(fd, size)) < 0) {
            snprintf(err, errlen, "cannot size arena %s: %s", name, strerror(-r));
            return r;
        }
        *fresh = true;
    } else if ((uint64_t)st->size < sizeof(sn_hdr)) {
        snprintf(err, errlen, "arena %s is truncated", name);
        return -EPROTO;
    } else {
        size = (size_t)st->size;
    }
    if ((r = sn_os_map(fd, size, &p)) < 0) {
        snprintf(err, errlen, "cannot map arena %s: %s", name, strerror(-r));
        return r;
    }
    int handed = a->handed;
    set_pointers(a, p, size);
    a->handed = handed;
    a->dev = st->dev;
    a->ino = st->ino;
    if ((r = *fresh ? make(a, fd, name, err, errlen)
                    : check_header(a, size, err, errlen)) < 0) {
        sn_os_unmap(p, size);
        memset(a, 0, sizeof *a);
        return r;
    }
    return 0;
}

int sn_arena_reset(sn_arena *a, int fd, const char *path, char *err,
                   size_t errlen)
{
    uint32_t keep = a->hdr->keep;
    sn_os_file_resize(fd, 0);
    sn_os_file_resize(fd, a->size);
    int r = make(a, fd, path, err, errlen);
    if (r < 0)
        sn_arena_close(a);
    else
        a->hdr->keep = keep;
    return r;
}

void sn_arena_file_done(int fd)
{
    sn_os_file_unlock(fd);
}

void sn_arena_file_close(int fd)
{
    sn_os_file_unlock(fd);
    sn_os_file_close(fd);
}

int sn_arena_anon(sn_arena *a, size_t size)
{
    memset(a, 0, sizeof *a);
    if (size < sn_arena_min_size())
        size = sn_arena_min_size();
    void *p;
    int r = sn_os_map(-1, size, &p);
    if (r < 0)
        return r;
    set_pointers(a, p, size);
    if (reserve_fixed(a) < 0) {
        sn_os_unmap(p, size);
        memset(a, 0, sizeof *a);
        return -ENOMEM;
    }
    init_header(a);
    return 0;
}

void sn_arena_close(sn_arena *a)
{
    if (a->base)
        sn_os_unmap(a->base, a->size);
    memset(a, 0, sizeof *a);
}
