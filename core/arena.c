#include "core/arena.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/bell.h"
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
    return ALIGN_UP(off_ports() + 2 * 65536 * sizeof(int32_t), 4096);
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
    read_sysctl("/proc/sys/net/ipv4/tcp_wmem", w, 3);
    read_sysctl("/proc/sys/net/ipv4/tcp_rmem", r, 3);
    read_sysctl("/proc/sys/net/core/wmem_default", &l->wmem_def, 1);
    read_sysctl("/proc/sys/net/core/rmem_default", &l->rmem_def, 1);
    read_sysctl("/proc/sys/net/core/wmem_max", &l->wmem_max, 1);
    read_sysctl("/proc/sys/net/core/rmem_max", &l->rmem_max, 1);
    read_sysctl("/proc/sys/net/core/somaxconn", &l->somaxconn, 1);
    read_sysctl("/proc/sys/net/ipv4/ip_local_port_range", range, 2);
    l->tcp_wmem_def = w[1];
    l->tcp_rmem_def = r[1];
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
    for (int i = 0; i < 2 * 65536; i++)
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

size_t sn_arena_min_size(void) { return off_heap() + (16u << 20); }

bool sn_arena_stale(sn_arena *a)
{
    for (uint32_t i = 0; i < a->hdr->proc_hwm; i++) {
        sn_proc *p = &a->procs[i];
        if (p->pid == -1 && sn_procs_alive(a, (int)i))
            return false;           /* a fork in progress */
        if (p->pid > 0 && (!sn_proc_word_dead(atomic_load(sn_proc_word(a, (int)i))) ||
                           sn_proc_alive(p)))
            return false;
    }
    return true;
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
    flock(fd, LOCK_EX);             /* no one attaches while we decide */
    bool stale = sn_arena_stale(&a);
    if (stale)
        unlink(path);
    flock(fd, LOCK_UN);
    sn_sys_close(fd);
    sn_arena_close(&a);
    return stale ? 1 : 0;
}

int sn_arena_open(sn_arena *a, const char *path, size_t size, int flags,
                  char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    a->handed = flags >> 8;
    if (size < sn_arena_min_size())
        size = sn_arena_min_size();
    int fd = open(path, O_RDWR | ((flags & SN_ARENA_CREATE) ? O_CREAT : 0) |
                            O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot open arena %s: %s", path, strerror(e));
        return -e;
    }
    /* The first process creates; flock makes the others wait for it. */
    flock(fd, LOCK_EX);
    struct stat st;
    int r = 0;
    bool fresh = false;
    if (fstat(fd, &st) < 0) {
        r = -errno;
        snprintf(err, errlen, "cannot stat arena %s: %s", path, strerror(-r));
        goto out;
    }
    if (st.st_size == 0) {
        /* SIMNET_SHARED: processes of other users may join (servers that
         * run their workers as another user started separately). */
        if ((flags & SN_ARENA_SHARED) && fchmod(fd, 0666) < 0) {
            r = -errno;
            snprintf(err, errlen, "cannot share arena %s: %s", path, strerror(-r));
            goto out;
        }
        if (ftruncate(fd, (off_t)size) < 0) {
            r = -errno;
            snprintf(err, errlen, "cannot size arena %s: %s", path, strerror(-r));
            goto out;
        }
        fresh = true;
    } else if ((uint64_t)st.st_size < sizeof(sn_hdr)) {
        r = -EPROTO;
        snprintf(err, errlen, "arena %s is truncated", path);
        goto out;
    } else {
        size = (size_t)st.st_size;
    }
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        r = -errno;
        snprintf(err, errlen, "cannot map arena %s: %s", path, strerror(-r));
        goto out;
    }
    set_pointers(a, p, size);
    if (fresh)
        init_header(a);
    else if ((r = check_header(a, size, err, errlen)) < 0) {
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
            init_header(a);
        }
        if ((r = sn_arena_attach_proc(a)) < 0)
            snprintf(err, errlen, "too many processes in the network");
    }
out:
    flock(fd, LOCK_UN);
    sn_sys_close(fd);
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

/* ---- heap: power-of-two blocks, one free list per class ---- */

static int size_class(uint32_t size)
{
    int c = 0;
    while (((uint64_t)1 << (c + SN_HEAP_MIN_SHIFT)) < size)
        c++;
    return c;
}

uint64_t sn_heap_alloc(sn_arena *a, uint32_t size)
{
    int c = size_class(size);
    if (c >= SN_HEAP_CLASSES)
        return 0;
    uint64_t bsize = (uint64_t)1 << (c + SN_HEAP_MIN_SHIFT), off = 0;
    sn_hdr *h = a->hdr;
    sn_lock(&h->heap_lock);
    if (h->heap_free[c]) {
        off = h->heap_free[c];
        h->heap_free[c] = *(uint64_t *)(a->heap + off);
        h->heap_kept = h->heap_kept > bsize ? h->heap_kept - bsize : 0;
    } else if (h->heap_top + bsize <= h->heap_end) {
        off = h->heap_top;
        h->heap_top += bsize;
    }
    sn_unlock(&h->heap_lock);
    return off;
}

void sn_heap_free(sn_arena *a, uint64_t off, uint32_t size)
{
    int c = size_class(size);
    uint64_t bsize = (uint64_t)1 << (c + SN_HEAP_MIN_SHIFT);
    sn_hdr *h = a->hdr;
    /* Plenty kept for reuse already: give this block's memory back (it
     * reads as zeros afterwards; the free-list link is written after). */
    bool punch = __atomic_load_n(&h->heap_kept, __ATOMIC_RELAXED) >= SN_HEAP_KEEP;
    if (punch)
        madvise(a->heap + off, bsize, MADV_REMOVE);
    sn_lock(&h->heap_lock);
    *(uint64_t *)(a->heap + off) = h->heap_free[c];
    h->heap_free[c] = off;
    if (!punch)
        h->heap_kept += bsize;
    sn_unlock(&h->heap_lock);
}
