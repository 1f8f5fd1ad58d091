#include "core/arena.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/bell.h"
#include "core/heap.h"
#include "core/procs.h"
#include "core/sock.h"
#include "core/sys_linux.h"

#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((uint64_t)(a) - 1))

/* Offsets of the tables; the same in every process for a given layout. */
static uint64_t off_procs(void) { return ALIGN_UP(sizeof(sn_hdr), 4096); }
static uint64_t off_socks(void)
{
    return ALIGN_UP(off_procs() + SN_MAX_PROCS * sizeof(sn_proc), 4096);
}
static uint64_t off_ports(void)
{
    return ALIGN_UP(off_socks() + (uint64_t)SN_MAX_SOCKS * sizeof(sn_sock), 4096);
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
    a->socks = (sn_sock *)(base + off_socks());
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
 * reserve the next chunk.  Arena locked. */
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
                           sizeof(sn_sock), "the socket table");
}

int sn_arena_reserve_bells(sn_arena *a, uint32_t n)
{
    return reserve_entries(a, &a->hdr->bell_room, n, SN_MAX_BELLS, off_bells(),
                           sizeof(sn_bell), "the doorbell table");
}

/* Read an integer list from a sysctl file without interposed calls. */
static int read_sysctl(const char *path, int32_t *v, int n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char buf[128];
    long k = sn_sys_read(fd, buf, sizeof buf - 1);
    sn_sys_close(fd);
    if (k <= 0)
        return -1;
    buf[k] = 0;
    char *p = buf;
    for (int i = 0; i < n; i++) {
        char *end;
        long x = strtol(p, &end, 10);
        if (end == p)
            return -1;
        v[i] = (int32_t)x;
        p = end;
    }
    return 0;
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
    read_sysctl("/proc/sys/net/ipv4/tcp_wmem", w, 3);
    read_sysctl("/proc/sys/net/ipv4/tcp_rmem", r, 3);
    read_sysctl("/proc/sys/net/core/wmem_default", &l->wmem_def, 1);
    read_sysctl("/proc/sys/net/core/rmem_default", &l->rmem_def, 1);
    read_sysctl("/proc/sys/net/core/wmem_max", &l->wmem_max, 1);
    read_sysctl("/proc/sys/net/core/rmem_max", &l->rmem_max, 1);
    read_sysctl("/proc/sys/net/core/somaxconn", &l->somaxconn, 1);
    read_sysctl("/proc/sys/net/ipv4/ip_local_port_range", range, 2);
    read_sysctl("/proc/sys/net/ipv4/tcp_reordering", &l->tcp_reordering, 1);
    read_sysctl("/proc/sys/net/ipv4/ip_default_ttl", &l->ip_ttl, 1);
    read_sysctl("/proc/sys/net/ipv6/conf/all/hop_limit", &l->ipv6_hops, 1);
    read_sysctl("/proc/sys/net/ipv6/conf/lo/hop_limit", &l->ipv6_hops_lo, 1);
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
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    h->token = ((uint64_t)t.tv_nsec << 32) ^ (uint64_t)t.tv_sec ^
               ((uint64_t)getpid() << 16) ^ (uint64_t)(uintptr_t)a->base;
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
        ftruncate(fd, 0);
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

bool sn_arena_stale(sn_arena *a)
{
    for (uint32_t i = 0; i < a->hdr->proc_hwm; i++) {
        sn_proc *p = &a->procs[i];
        if (p->pid == -1)
            return false;           /* a fork in progress */
        if (p->pid > 0 && (!sn_proc_word_dead(atomic_load(sn_proc_word(a, (int)i))) ||
                           sn_proc_alive(p)))
            return false;
    }
    return true;
}

/* Creating and attaching are serialised by a POSIX record lock on the
 * whole file, not flock: a record lock belongs to the process, so two
 * processes that share one open file (an fd pinned before a fork or an
 * exec, preload/identity.c) still exclude each other; flock's belongs to
 * the open file and would let both in.  (Closing any fd of the file
 * drops the process's lock: nothing here does so while holding it.) */
static void file_lock(int fd, short type)
{
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET};
    while (sn_raw_syscall6(SYS_fcntl, fd, F_SETLKW, (long)&fl, 0, 0, 0) == -EINTR)
        ;
}

int sn_arena_remove_if_stale(const char *path)
{
    sn_arena a;
    char err[256];
    int r = sn_arena_open(&a, path, 0, 0, err, sizeof err);
    if (r < 0)
        return r;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        sn_arena_close(&a);
        return -errno;
    }
    file_lock(fd, F_RDLCK);         /* no one attaches while we decide */
    bool stale = sn_arena_stale(&a);
    if (stale)
        unlink(path);
    file_lock(fd, F_UNLCK);
    sn_sys_close(fd);
    sn_arena_close(&a);
    return stale ? 1 : 0;
}

int sn_arena_open(sn_arena *a, const char *path, size_t size, int flags,
                  char *err, size_t errlen)
{
    int fd = open(path, O_RDWR | ((flags & SN_ARENA_CREATE) ? O_CREAT : 0) |
                            O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        int e = errno;
        memset(a, 0, sizeof *a);
        snprintf(err, errlen, "cannot open arena %s: %s", path, strerror(e));
        return -e;
    }
    int r = sn_arena_open_fd(a, fd, path, size, flags, err, errlen);
    sn_sys_close(fd);
    return r;
}

int sn_arena_open_fd(sn_arena *a, int fd, const char *name, size_t size,
                     int flags, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    a->handed = flags >> 8;
    if (size < sn_arena_min_size())
        size = sn_arena_min_size();
    /* The first process creates; the lock makes the others wait for it. */
    file_lock(fd, F_WRLCK);
    struct stat st;
    int r = 0;
    bool fresh = false;
    if (fstat(fd, &st) < 0) {
        r = -errno;
        snprintf(err, errlen, "cannot stat arena %s: %s", name, strerror(-r));
        goto out;
    }
    if (st.st_size == 0 && !(flags & SN_ARENA_CREATE)) {
        /* Made empty by a process that pinned it, never used yet. */
        r = -ENOENT;
        snprintf(err, errlen, "arena %s is not initialised yet", name);
        goto out;
    } else if (st.st_size == 0) {
        /* SIMNET_SHARED: processes of other users may join (servers that
         * run their workers as another user started separately).  A file
         * pinned empty was made with that mode already, maybe by another
         * user than the one that sizes it now. */
        if ((flags & SN_ARENA_SHARED) && (st.st_mode & 0777) != 0666 &&
            fchmod(fd, 0666) < 0) {
            r = -errno;
            snprintf(err, errlen, "cannot share arena %s: %s", name, strerror(-r));
            goto out;
        }
        if (ftruncate(fd, (off_t)size) < 0) {
            r = -errno;
            snprintf(err, errlen, "cannot size arena %s: %s", name, strerror(-r));
            goto out;
        }
        fresh = true;
    } else if ((uint64_t)st.st_size < sizeof(sn_hdr)) {
        r = -EPROTO;
        snprintf(err, errlen, "arena %s is truncated", name);
        goto out;
    } else {
        size = (size_t)st.st_size;
    }
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        r = -errno;
        snprintf(err, errlen, "cannot map arena %s: %s", name, strerror(-r));
        goto out;
    }
    set_pointers(a, p, size);
    if ((r = fresh ? make(a, fd, name, err, errlen) : check_header(a, size, err, errlen)) < 0) {
        munmap(p, size);
        memset(a, 0, sizeof *a);
        goto out;
    }
    if (flags & SN_ARENA_ATTACH) {
        if (!fresh && a->hdr->nsocks > 0 && sn_arena_stale(a)) {
            /* Every process is gone but sockets are left (they died
             * without closing): start the network afresh, giving the
             * memory of old rings back by truncating the file.  A network
             * its processes left cleanly has nothing to reset. */
            ftruncate(fd, 0);
            ftruncate(fd, (off_t)size);
            if ((r = make(a, fd, name, err, errlen)) < 0) {
                munmap(p, size);
                memset(a, 0, sizeof *a);
                goto out;
            }
        }
        if ((r = sn_arena_attach_proc(a)) < 0)
            snprintf(err, errlen, "too many processes in the network");
    }
out:
    file_lock(fd, F_UNLCK);
    return r;
}

int sn_arena_anon(sn_arena *a, size_t size)
{
    memset(a, 0, sizeof *a);
    if (size < sn_arena_min_size())
        size = sn_arena_min_size();
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return -errno;
    set_pointers(a, p, size);
    if (reserve_fixed(a) < 0) {
        munmap(p, size);
        memset(a, 0, sizeof *a);
        return -ENOMEM;
    }
    init_header(a);
    return 0;
}

void sn_arena_close(sn_arena *a)
{
    if (a->base)
        munmap(a->base, a->size);
    memset(a, 0, sizeof *a);
}

int sn_arena_attach_proc(sn_arena *a)
{
    sn_arena_lock(a);
    int r = sn_procs_attach(a);
    sn_arena_unlock(a);
    if (r < 0)
        return r;
    a->proc = r;
    sn_procs_lock_alive(a, r);
    return 0;
}
