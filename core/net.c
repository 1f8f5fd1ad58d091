/* The network as preload and the inspector see it: opening and
 * attaching, resetting a stale one, the process entries of fork and
 * execve, doorbell ownership.  The top of core (core/LAYERS). */
#include "core/net.h"
#include "core/sockbell.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/bell.h"
#include "core/hosts.h"
#include "core/mapfile.h"
#include "core/procs.h"
#include "core/reap.h"
#include "core/repair.h"

/* sn_net_open's work, with fd open and locked; `name` is for messages.
 * 1 if the network was made here, 0 if it existed, or -errno. */
static int open_body(sn_arena *a, int fd, const sn_os_stat *st, const char *name,
                     size_t size, int flags, char *err, size_t errlen)
{
    bool fresh;
    int r = sn_arena_map(a, fd, st, name, size, flags, &fresh, err, errlen);
    if (r < 0)
        return r;
    if (flags & SN_ARENA_ATTACH) {
        /* Every process is gone but sockets are left (they died without
         * closing): start the network afresh.  A network its processes
         * left cleanly has nothing to reset. */
        if (!fresh && a->hdr->nsocks > 0 && sn_net_stale(a))
            r = sn_arena_reset(a, fd, name, err, errlen);
        if (r == 0 && (r = sn_net_attach_proc(a)) < 0)
            snprintf(err, errlen, "too many processes in the network");
    }
    return r < 0 ? r : fresh;
}

int sn_net_open(sn_arena *a, const char *path, size_t size, int flags,
                char *err, size_t errlen)
{
    int handed = flags >> 8;
    sn_os_stat st;
    /* The first process creates; the lock makes the others wait for it. */
    int fd = sn_arena_open_file(path, flags & SN_ARENA_CREATE, &st);
    if (fd < 0) {
        memset(a, 0, sizeof *a);
        a->handed = handed;
        snprintf(err, errlen, "cannot open arena %s: %s", path, strerror(-fd));
        return fd;
    }
    int r = open_body(a, fd, &st, path, size, flags, err, errlen);
    if (r < 0)
        a->handed = handed;
    sn_arena_file_close(fd);
    /* A new network: a moment to sweep away those nobody uses any more
     * (left by processes that could not remove them: SIGKILL, _exit). */
    if (r == 1 && (flags & SN_ARENA_ATTACH))
        sn_net_sweep_dir(path);
    return r < 0 ? r : 0;
}

int sn_net_open_fd(sn_arena *a, int fd, const char *name, size_t size,
                   int flags, char *err, size_t errlen)
{
    int handed = flags >> 8;
    sn_os_stat st;
    int r = sn_arena_lock_fd(fd, &st);
    if (r < 0) {
        memset(a, 0, sizeof *a);
        a->handed = handed;
        snprintf(err, errlen, "cannot lock arena %s: %s", name, strerror(-r));
        return r;
    }
    r = open_body(a, fd, &st, name, size, flags, err, errlen);
    if (r < 0)
        a->handed = handed;
    sn_arena_file_done(fd);         /* the fd stays open: it is the caller's */
    return r < 0 ? r : 0;
}

bool sn_net_stale(sn_arena *a)
{
    return sn_procs_none_alive(a);
}

int sn_net_remove_unused(const char *path, bool force)
{
    sn_os_stat st;
    int fd = sn_arena_open_file(path, false, &st);
    if (fd < 0)
        return fd;
    sn_arena a;
    char err[256];
    memset(&a, 0, sizeof a);
    int r = st.size == 0 ? 0 : open_body(&a, fd, &st, path, 0, 0, err, sizeof err);
    if (r >= 0) {
        /* An empty file was pinned by a process about to change user
         * (preload/identity.c) and not used yet, or left by a creation
         * that found no room: only `simnet rm` removes it. */
        bool unused = a.base ? (force || (!a.hdr->keep && !sn_hosts_fresh(&a))) &&
                                   sn_net_stale(&a)
                             : force;
        r = unused && sn_os_file_remove(path) == 0;
    }
    sn_arena_file_close(fd);
    sn_arena_close(&a);
    return r;
}

int sn_net_remove_if_stale(const char *path)
{
    return sn_net_remove_unused(path, false);
}

typedef struct sweep {
    char dir[4096];
    const char *path;
} sweep;

static void sweep_one(const char *name, void *arg)
{
    sweep *w = arg;
    size_t n = strlen(name);
    char other[4096 + 256];
    if (n <= 6 || strcmp(name + n - 6, ".arena") != 0)
        return;
    snprintf(other, sizeof other, "%s/%s", w->dir, name);
    if (strcmp(other, w->path) != 0)
        sn_net_remove_unused(other, false);
}

void sn_net_sweep_dir(const char *path)
{
    sweep w = {.path = path};
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(w.dir, sizeof w.dir, ".");
    else
        snprintf(w.dir, sizeof w.dir, "%.*s", (int)(slash - path), path);
    if (!*w.dir)
        snprintf(w.dir, sizeof w.dir, "/");
    sn_os_list_dir(w.dir, sweep_one, &w);
}

int sn_net_keep(const char *path, char *err, size_t errlen)
{
    for (int tries = 0; tries < 100; tries++) {
        sn_arena a;
        int r = sn_net_open(&a, path, SN_DEFAULT_SIZE, SN_ARENA_CREATE, err, errlen);
        if (r < 0)
            return r;
        __atomic_store_n(&a.hdr->keep, 1, __ATOMIC_SEQ_CST);
        /* A sweep may have taken the new, empty network before it was
         * marked: then make it again. */
        sn_os_stat st;
        bool there = sn_os_path_stat(path, &st) == 0 && st.dev == a.dev && st.ino == a.ino;
        sn_arena_close(&a);
        if (there)
            return 0;
    }
    snprintf(err, errlen, "cannot keep arena %s: removed as it was made", path);
    return -EAGAIN;
}

int sn_net_leave(sn_arena *a, const char *path)
{
    if (!a->base || a->proc < 0)
        return 0;
    sn_os_stat st;
    int fd = path ? sn_arena_open_file(path, false, &st) : -1;
    /* Not removable by us (another user's after setuid, gone, replaced):
     * still free the entry; a sweep removes the file later. */
    bool ours = fd >= 0 && st.dev == a->dev && st.ino == a->ino;
    int i = a->proc;
    sn_ctl_lock(a);
    bool mine = a->procs[i].pid == getpid();
    if (mine)
        sn_reap_proc(a, i);
    bool last = mine && ours && !a->hdr->keep && sn_net_stale(a);
    sn_ctl_unlock(a);
    /* Our word reads "dead" from now on (EPERM when another thread
     * attached: the kernel marks it when we are gone, and an entry
     * search skips it until then). */
    if (mine)
        sn_procs_unlock_alive(a, i);
    /* a->proc stays: another thread may still be inside a socket call
     * (its holds then land on a free entry, as they would have leaked
     * before; an index of -1 would write outside the bitmaps). */
    int removed = last && sn_os_file_remove(path) == 0;
    if (fd >= 0)
        sn_arena_file_close(fd);
    return removed;
}

/* The entry for the calling process (lock held): the one it had before an
 * execve (same pid and start time), else a free one, else one whose
 * process is gone.  The index, or -EMFILE when full. */
static int attach_entry(sn_arena *a)
{
    sn_hdr *h = a->hdr;
    int pid = getpid();
    uint64_t st = 0;
    /* posix_spawn returns to the parent once we have exec'd, and it claims
     * our entry then: we may get here first.  An entry it named that is
     * still reserved (pid -1: nobody else takes those) is ours. */
    int named = a->handed - 1;
    if (named >= 0 && (uint32_t)named < h->proc_hwm && a->procs[named].pid == -1) {
        sn_procs_claim(a, named, pid, 0);
        a->reattached = true;
        return named;
    }
    /* The entry named for us already carries our pid: ours before an
     * execve, or the one our parent reserved in fork() (the child claims
     * it with its pid at once; the parent records its start time a moment
     * later, so a start time of 0 here does not mean it holds nothing). */
    if (named >= 0 && (uint32_t)named < h->proc_hwm && a->procs[named].pid == pid) {
        sn_bells_reap_all(a, named);    /* the old program image's */
        a->reattached = true;
        return named;
    }
    for (uint32_t i = 0; i < h->proc_hwm; i++) {
        sn_proc *p = &a->procs[i];
        if (p->pid != pid)
            continue;
        /* An entry never identified held nothing (sn_net_identify):
         * ours before an execve or left by a dead process with our pid,
         * it is free to take either way, without reading /proc. */
        if (p->start_time == 0) {
            sn_bells_reap_all(a, (int)i);
            return (int)i;
        }
        if (!st)
            st = sn_proc_start_time(pid);
        if (p->start_time == st) {
            /* Ourselves before an execve, or an entry our parent took for
             * us in fork/posix_spawn: its holds are ours.  Doorbells made
             * by the old program image are gone with it. */
            sn_bells_reap_all(a, (int)i);
            a->reattached = true;
            return (int)i;
        }
    }
    int i = sn_reap_entry(a);
    if (i >= 0)
        sn_procs_claim(a, i, pid, 0);
    return i;
}

int sn_net_attach_proc(sn_arena *a)
{
    sn_ctl_lock(a);
    int r = attach_entry(a);
    sn_ctl_unlock(a);
    if (r < 0)
        return r;
    a->proc = r;
    sn_procs_lock_alive(a, r);
    return 0;
}

void sn_net_identify(sn_arena *a)
{
    sn_proc *p = &a->procs[a->proc];
    if (__builtin_expect(atomic_load_explicit((_Atomic uint64_t *)&p->start_time,
                                              memory_order_relaxed) != 0, 1))
        return;
    int pid = getpid();
    uint64_t st = sn_proc_start_time(pid);  /* outside the lock: slow */
    sn_ctl_lock(a);
    if (p->pid == pid && p->start_time == 0)
        p->start_time = st;
    sn_ctl_unlock(a);
}

void sn_net_keep_alive(sn_arena *a)
{
    if (sn_proc_word_dead(atomic_load(sn_proc_word(a, a->proc))))
        sn_procs_lock_alive(a, a->proc);
}

int sn_net_fork_mark(sn_arena *a, uint32_t *mark)
{
    return sn_procs_mark(a, mark);
}

int sn_net_fork_reserve(sn_arena *a, uint32_t mark)
{
    sn_ctl_lock(a);
    int i = sn_reap_entry(a);
    if (i >= 0)
        sn_procs_mark_reserved(a, i, mark);
    sn_ctl_unlock(a);
    return i;
}

void sn_net_unmark(sn_arena *a, int i, int fd)
{
    sn_procs_unmark(a, i, fd);
}

void sn_net_fork_settle(sn_arena *a, int child, int pid)
{
    /* The child's start time, read before the lock: a /proc read. */
    uint64_t st = pid > 0 ? sn_proc_start_time(pid) : 0;
    sn_ctl_lock(a);
    if (pid > 0)
        sn_procs_claim(a, child, pid, st);
    else
        sn_reap_proc(a, child);     /* no child: give its holds back */
    sn_ctl_unlock(a);
}

void sn_net_fork_child(sn_arena *a, int child)
{
    a->proc = child;
    sn_ctl_lock(a);
    sn_procs_claim(a, child, getpid(), 0);
    sn_ctl_unlock(a);
    sn_procs_lock_alive(a, child);
}

int sn_net_parent_held(sn_arena *a)
{
    sn_ctl_lock(a);
    int parent = sn_procs_find(a, getppid());
    bool held = parent >= 0 && a->procs[parent].start_time != 0;
    sn_ctl_unlock(a);
    return parent < 0 ? -1 : held;
}

bool sn_net_proc_alive(sn_arena *a, int i)
{
    return sn_proc_alive(&a->procs[i]);
}

int sn_bell_alloc(sn_arena *a, bool queued)
{
    sn_ctl_lock(a);
    int id = sn_bell_take(a, queued);
    sn_ctl_unlock(a);
    return id;
}

void sn_bell_free(sn_arena *a, int id)
{
    sn_ctl_lock(a);
    sn_bell_put(a, id);
    sn_ctl_unlock(a);
}

int sn_net_host_add(sn_arena *a, const char *name, const sn_addr *addrs, int n,
                    char *err, size_t errlen)
{
    sn_ctl_lock(a);
    int h = sn_hosts_add(a, name, addrs, n, err, errlen);
    sn_ctl_unlock(a);
    return h;
}

int sn_net_host_join(sn_arena *a, const char *name, const sn_addr *addrs, int n,
                     char *err, size_t errlen)
{
    sn_ctl_lock(a);
    int h = sn_hosts_add(a, name, addrs, n, err, errlen);
    /* Sockets already made stay on the host they were made on. */
    if (h >= 0 && a->proc >= 0)
        a->procs[a->proc].host = (uint32_t)h;
    sn_ctl_unlock(a);
    return h;
}

bool sn_net_addr_mine(sn_arena *a, const sn_addr *x)
{
    int me = a->proc >= 0 ? (int)a->procs[a->proc].host : 0;
    return sn_hosts_owner(a, me, x) == me;
}

int sn_net_parse_addrs(const char *list, sn_addr *out, int max, char *err,
                       size_t errlen)
{
    return sn_hosts_parse_addrs(list, out, max, err, errlen);
}

int sn_net_host_lookup(sn_arena *a, const char *name)
{
    return sn_hosts_lookup(a, name);
}

int sn_net_host_of(sn_arena *a, const sn_addr *x)
{
    return sn_hosts_addr_owner(a, x);
}
