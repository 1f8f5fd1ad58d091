#include "core/arena.h"

#include <dirent.h>
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
        if (p->pid == -1 && sn_procs_alive(a, (int)i))
            return false;           /* a fork in progress */
        if (p->pid > 0 && (!sn_proc_word_dead(atomic_load(sn_proc_word(a, (int)i))) ||
                           sn_proc_alive(p)))
            return false;
    }
    return true;
}

/* Creating, attaching and removing are serialised by a POSIX record lock
 * on the whole file, not flock: a record lock belongs to the process, so
 * two processes that share one open file (an fd pinned before a fork or
 * an exec, preload/identity.c) still exclude each other; flock's belongs
 * to the open file and would let both in.  (Closing any fd of the file
 * drops the process's lock: nothing here does so while holding it.)  A
 * write lock needs an fd open for writing: 0, or -errno (EBADF). */
static int file_lock(int fd, short type)
{
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET};
    long r;
    while ((r = sn_raw_syscall6(SYS_fcntl, fd, F_SETLKW, (long)&fl, 0, 0, 0)) == -EINTR)
        ;
    return (int)r;
}

/* Open path and lock it, then make sure the path still names the file we
 * hold: a remover unlinks under the lock (sn_arena_leave,
 * sn_arena_remove_unused), and whoever opened the file before must not go
 * on in a removed one; it opens again (and with O_CREAT makes a new file,
 * which every later opener then finds).  The fd, or -errno. */
static int open_locked(const char *path, int oflags, struct stat *st)
{
    for (int tries = 0; tries < 1000; tries++) {
        int fd = open(path, oflags | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
            return -errno;
        struct stat now;
        int r = file_lock(fd, F_WRLCK);
        if (r == 0 && fstat(fd, st) == 0 && lstat(path, &now) == 0 &&
            now.st_dev == st->st_dev && now.st_ino == st->st_ino)
            return fd;
        int e = r < 0 ? -r : errno;
        file_lock(fd, F_UNLCK);
        sn_sys_close(fd);
        if (r < 0)
            return r;
        if (!(oflags & O_CREAT) && e == ENOENT)
            return -ENOENT;         /* removed meanwhile */
    }
    return -EAGAIN;
}

/* Let go of the lock, then the fd. */
static void unlock_close(int fd)
{
    file_lock(fd, F_UNLCK);
    sn_sys_close(fd);
}

/* sn_arena_open's work, with fd open and locked; `name` is for messages.
 * 1 if the network was made here, 0 if it existed, or -errno. */
static int open_body(sn_arena *a, int fd, const struct stat *st, const char *name,
                     size_t size, int flags, char *err, size_t errlen)
{
    int r = 0;
    bool fresh = false;
    if (st->st_size == 0 && !(flags & SN_ARENA_CREATE)) {
        /* Made empty by a process that pinned it, never used yet. */
        snprintf(err, errlen, "arena %s is not initialised yet", name);
        return -ENOENT;
    } else if (st->st_size == 0) {
        /* SIMNET_SHARED: processes of other users may join (servers that
         * run their workers as another user started separately).  A file
         * pinned empty was made with that mode already, maybe by another
         * user than the one that sizes it now. */
        if ((flags & SN_ARENA_SHARED) && (st->st_mode & 0777) != 0666 &&
            fchmod(fd, 0666) < 0) {
            r = -errno;
            snprintf(err, errlen, "cannot share arena %s: %s", name, strerror(-r));
            return r;
        }
        if (ftruncate(fd, (off_t)size) < 0) {
            r = -errno;
            snprintf(err, errlen, "cannot size arena %s: %s", name, strerror(-r));
            return r;
        }
        fresh = true;
    } else if ((uint64_t)st->st_size < sizeof(sn_hdr)) {
        snprintf(err, errlen, "arena %s is truncated", name);
        return -EPROTO;
    } else {
        size = (size_t)st->st_size;
    }
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        r = -errno;
        snprintf(err, errlen, "cannot map arena %s: %s", name, strerror(-r));
        return r;
    }
    set_pointers(a, p, size);
    a->dev = st->st_dev;
    a->ino = st->st_ino;
    if ((r = fresh ? make(a, fd, name, err, errlen) : check_header(a, size, err, errlen)) < 0) {
        munmap(p, size);
        memset(a, 0, sizeof *a);
        return r;
    }
    if (flags & SN_ARENA_ATTACH) {
        if (!fresh && a->hdr->nsocks > 0 && sn_arena_stale(a)) {
            /* Every process is gone but sockets are left (they died
             * without closing): start the network afresh, giving the
             * memory of old rings back by truncating the file.  A network
             * its processes left cleanly has nothing to reset. */
            uint32_t keep = a->hdr->keep;
            ftruncate(fd, 0);
            ftruncate(fd, (off_t)size);
            if ((r = make(a, fd, name, err, errlen)) < 0) {
                munmap(p, size);
                memset(a, 0, sizeof *a);
                return r;
            }
            a->hdr->keep = keep;
        }
        if ((r = sn_arena_attach_proc(a)) < 0)
            snprintf(err, errlen, "too many processes in the network");
    }
    return r < 0 ? r : fresh;
}

static int open_prepare(sn_arena *a, size_t *size, int flags)
{
    memset(a, 0, sizeof *a);
    a->handed = flags >> 8;
    if (*size < sn_arena_min_size())
        *size = sn_arena_min_size();
    return a->handed;
}

int sn_arena_open(sn_arena *a, const char *path, size_t size, int flags,
                  char *err, size_t errlen)
{
    int handed = open_prepare(a, &size, flags);
    struct stat st;
    /* The first process creates; the lock makes the others wait for it. */
    int fd = open_locked(path, O_RDWR | ((flags & SN_ARENA_CREATE) ? O_CREAT : 0), &st);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open arena %s: %s", path, strerror(-fd));
        return fd;
    }
    int r = open_body(a, fd, &st, path, size, flags, err, errlen);
    if (r < 0)
        a->handed = handed;
    unlock_close(fd);
    /* A new network: a moment to sweep away those nobody uses any more
     * (left by processes that could not remove them: SIGKILL, _exit). */
    if (r == 1 && (flags & SN_ARENA_ATTACH))
        sn_arena_sweep_dir(path);
    return r < 0 ? r : 0;
}

int sn_arena_open_fd(sn_arena *a, int fd, const char *name, size_t size,
                     int flags, char *err, size_t errlen)
{
    int handed = open_prepare(a, &size, flags);
    struct stat st;
    int r = file_lock(fd, F_WRLCK);
    if (r == 0 && fstat(fd, &st) < 0)
        r = -errno;
    if (r < 0) {
        snprintf(err, errlen, "cannot lock arena %s: %s", name, strerror(-r));
        return r;
    }
    r = open_body(a, fd, &st, name, size, flags, err, errlen);
    if (r < 0)
        a->handed = handed;
    file_lock(fd, F_UNLCK);         /* the fd stays open: it is the caller's */
    return r < 0 ? r : 0;
}

int sn_arena_remove_unused(const char *path, bool force)
{
    struct stat st;
    int fd = open_locked(path, O_RDWR, &st);
    if (fd < 0)
        return fd;
    sn_arena a;
    char err[256];
    memset(&a, 0, sizeof a);
    int r = st.st_size == 0 ? 0 : open_body(&a, fd, &st, path, 0, 0, err, sizeof err);
    if (r >= 0) {
        /* An empty file was pinned by a process about to change user
         * (preload/identity.c) and not used yet, or left by a creation
         * that found no room: only `simnet rm` removes it. */
        bool unused = a.base ? (force || !a.hdr->keep) && sn_arena_stale(&a) : force;
        r = unused && unlink(path) == 0;
    }
    unlock_close(fd);
    sn_arena_close(&a);
    return r;
}

int sn_arena_remove_if_stale(const char *path)
{
    return sn_arena_remove_unused(path, false);
}

void sn_arena_sweep_dir(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    if (!*dir)
        snprintf(dir, sizeof dir, "/");
    DIR *d = opendir(dir);
    if (!d)
        return;
    for (struct dirent *e; (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        char other[4096 + 256];
        if (n <= 6 || strcmp(e->d_name + n - 6, ".arena") != 0)
            continue;
        snprintf(other, sizeof other, "%s/%s", dir, e->d_name);
        if (strcmp(other, path) != 0)
            sn_arena_remove_unused(other, false);
    }
    closedir(d);
}

int sn_arena_keep(const char *path, char *err, size_t errlen)
{
    for (int tries = 0; tries < 100; tries++) {
        sn_arena a;
        int r = sn_arena_open(&a, path, SN_DEFAULT_SIZE, SN_ARENA_CREATE, err, errlen);
        if (r < 0)
            return r;
        __atomic_store_n(&a.hdr->keep, 1, __ATOMIC_SEQ_CST);
        /* A sweep may have taken the new, empty network before it was
         * marked: then make it again. */
        struct stat st;
        bool there = lstat(path, &st) == 0 && st.st_dev == a.dev && st.st_ino == a.ino;
        sn_arena_close(&a);
        if (there)
            return 0;
    }
    snprintf(err, errlen, "cannot keep arena %s: removed as it was made", path);
    return -EAGAIN;
}

int sn_arena_leave(sn_arena *a, const char *path)
{
    if (!a->base || a->proc < 0)
        return 0;
    struct stat st;
    int fd = path ? open_locked(path, O_RDWR, &st) : -1;
    /* Not removable by us (another user's after setuid, gone, replaced):
     * still free the entry; a sweep removes the file later. */
    bool ours = fd >= 0 && st.st_dev == a->dev && st.st_ino == a->ino;
    int i = a->proc;
    sn_arena_lock(a);
    bool mine = a->procs[i].pid == getpid();
    if (mine)
        sn_procs_reap(a, i);
    bool last = mine && ours && !a->hdr->keep && sn_arena_stale(a);
    sn_arena_unlock(a);
    /* Our word reads "dead" from now on (EPERM when another thread
     * attached: the kernel marks it when we are gone, and alloc_entry
     * skips it until then). */
    if (mine)
        pthread_mutex_unlock(&a->procs[i].alive);
    /* a->proc stays: another thread may still be inside a socket call
     * (its holds then land on a free entry, as they would have leaked
     * before; an index of -1 would write outside the bitmaps). */
    int removed = last && unlink(path) == 0;
    if (fd >= 0)
        unlock_close(fd);
    return removed;
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
