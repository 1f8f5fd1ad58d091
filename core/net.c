/* The network as preload and the inspector see it: opening and
 * attaching, resetting a stale one, the process entries of fork and
 * execve, doorbell ownership.  The top of core (core/LAYERS). */
#include "core/net.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/bell.h"
#include "core/mapfile.h"
#include "core/procs.h"
#include "core/reap.h"
#include "core/repair.h"

int sn_net_open_fd(sn_arena *a, int fd, const char *name, size_t size,
                   int flags, char *err, size_t errlen)
{
    bool fresh;
    int r = sn_arena_map(a, fd, name, size, flags, &fresh, err, errlen);
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
    sn_arena_file_done(fd);
    return r;
}

int sn_net_open(sn_arena *a, const char *path, size_t size, int flags,
                char *err, size_t errlen)
{
    int fd = sn_os_file_open(path, flags & SN_ARENA_CREATE, false);
    if (fd < 0) {
        memset(a, 0, sizeof *a);
        snprintf(err, errlen, "cannot open arena %s: %s", path, strerror(-fd));
        return fd;
    }
    int r = sn_net_open_fd(a, fd, path, size, flags, err, errlen);
    sn_os_file_close(fd);
    return r;
}

bool sn_net_stale(sn_arena *a)
{
    return sn_procs_none_alive(a);
}

int sn_net_remove_if_stale(const char *path)
{
    sn_arena a;
    char err[256];
    int r = sn_net_open(&a, path, 0, 0, err, sizeof err);
    if (r < 0)
        return r;
    int fd = sn_os_file_open(path, false, true);
    if (fd < 0) {
        sn_arena_close(&a);
        return fd;
    }
    sn_os_file_lock(fd, false);     /* no one attaches while we decide */
    bool stale = sn_net_stale(&a);
    if (stale)
        sn_os_file_remove(path);
    sn_os_file_unlock(fd);
    sn_os_file_close(fd);
    sn_arena_close(&a);
    return stale ? 1 : 0;
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
    for (uint32_t i = 0; i < h->proc_hwm; i++) {
        sn_proc *p = &a->procs[i];
        if (p->pid != pid)
            continue;
        /* An entry never identified held nothing (sn_net_identify):
         * ours before an execve or left by a dead process with our pid,
         * it is free to take either way, without reading /proc. */
        if (p->start_time == 0) {
            sn_bells_reap(a, (int)i);
            return (int)i;
        }
        if (!st)
            st = sn_proc_start_time(pid);
        if (p->start_time == st) {
            /* Ourselves before an execve, or an entry our parent took for
             * us in fork/posix_spawn: its holds are ours.  Doorbells made
             * by the old program image are gone with it. */
            sn_bells_reap(a, (int)i);
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

int sn_net_fork_reserve(sn_arena *a)
{
    sn_ctl_lock(a);
    int i = sn_reap_entry(a);
    if (i >= 0)
        sn_procs_mark_reserved(a, i);
    sn_ctl_unlock(a);
    return i;
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
