/* fork: a child shares its parent's simulated sockets.
 *
 * The child must hold them before fork() returns in the parent: a parent
 * that forks and at once closes its copy (pre-fork servers, inetd-style
 * code) would otherwise drop the last hold and reset a connection the
 * child still owns.  So our fork() reserves the child's process entry and
 * takes its holds first, then forks; both sides then record the child's
 * pid in the entry.
 *
 * A fork that does not come through our fork() (glibc's daemon() calls
 * its internal one) is caught by the atfork child handler, which attaches
 * the child late: best effort, as the race above is open then. */
#include <dirent.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <pthread.h>
#include <spawn.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/procs.h"
#include "core/sock.h"
#include "preload/doorbell.h"
#include "preload/epoll.h"
#include "preload/init.h"
#include "preload/fdtab.h"
#include "preload/init.h"
#include "preload/process.h"
#include "preload/real.h"

static __thread int in_our_fork;

/* The process-local locks of the library are held across every fork (a
 * thread inside the library at that moment must not leave one taken in
 * the child).  Order: fd table, epoll instances, pidfd cache; our fork()
 * holds the fd table already. */
static void atfork_prepare(void)
{
    if (!in_our_fork)
        sn_fdtab_lock();
    sn_epoll_fork_lock();
    sn_pidfd_fork_lock();
}

static void atfork_parent(void)
{
    sn_pidfd_fork_unlock();
    sn_epoll_fork_unlock();
    if (!in_our_fork)
        sn_fdtab_unlock();
}

static void atfork_child(void)
{
    sn_arena *a = sn_net();
    sn_pidfd_fork_unlock();
    sn_epoll_fork_unlock();
    if (in_our_fork)
        return;
    sn_fork_generation++;
    sn_fdtab_unlock();
    if (a && sn_arena_attach_proc(a) == 0)
        sn_fdtab_hold_all(a->proc);
}

void sn_process_init(void)
{
    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* Before a child is made: an entry for it, holding every socket we hold.
 * Returns with the fd table locked (no socket may appear or vanish here
 * between this snapshot and the fork); the entry, or -1 if the table is
 * full (the child then goes unattached). */
static int child_reserve(sn_arena *a)
{
    sn_fdtab_lock();
    sn_arena_lock(a);
    int child = sn_procs_reserve(a);
    sn_arena_unlock(a);
    if (child >= 0)
        sn_fdtab_hold_all(child);
    return child;
}

/* In the parent, once the child exists (pid > 0) or could not be made. */
static void child_settle(sn_arena *a, int child, pid_t pid)
{
    if (child < 0)
        return;
    sn_arena_lock(a);
    if (pid > 0)
        sn_procs_claim(a, child, pid);
    else
        sn_procs_reap(a, child);    /* no child: give its holds back */
    sn_arena_unlock(a);
}

pid_t fork(void)
{
    sn_arena *a = sn_net();
    if (!a)
        return REAL(fork)();
    int child = child_reserve(a);
    in_our_fork = 1;
    pid_t pid = REAL(fork)();
    in_our_fork = 0;
    sn_fdtab_unlock();
    if (pid == 0 && child >= 0) {
        sn_fork_generation++;
        a->proc = child;
        sn_arena_lock(a);
        sn_procs_claim(a, child, getpid());
        sn_arena_unlock(a);
        sn_procs_lock_alive(a, child);
    } else if (pid != 0) {
        child_settle(a, child, pid);
    }
    return pid;
}

/* daemon(3): glibc's forks through its internal fork, which we would not
 * see; this one does what it does (fork, the parent leaves, setsid,
 * chdir, stdio to /dev/null) through our fork(). */
int daemon(int nochdir, int noclose)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid > 0)
        _exit(0);
    if (setsid() < 0)
        return -1;
    if (!nochdir && chdir("/") < 0)
        return -1;
    if (!noclose) {
        int fd = open("/dev/null", O_RDWR);
        if (fd < 0)
            return -1;
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        if (fd > 2)
            close(fd);
    }
    return 0;
}

/* vfork: the child would run on our memory until it execs, which our
 * bookkeeping cannot share; fork is a valid vfork (POSIX lets the child
 * run on a copy), and our fork gives the child its holds first. */
pid_t vfork(void)
{
    return fork();
}

/* posix_spawn: the child inherits every socket not marked close-on-exec;
 * as with fork, its entry and holds are made before it exists, and its
 * constructor, after the exec, finds them by pid and keeps what it
 * really has. */
static int spawn(int (*real)(pid_t *, const char *, const posix_spawn_file_actions_t *,
                             const posix_spawnattr_t *, char *const[], char *const[]),
                 pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                 const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    sn_arena *a = sn_net();
    if (!a)
        return real(pid, path, fa, attr, argv, envp);
    int child = child_reserve(a);
    pid_t p = 0;
    int r = real(&p, path, fa, attr, argv, envp);
    sn_fdtab_unlock();
    child_settle(a, child, r == 0 ? p : -1);
    if (r == 0 && pid)
        *pid = p;
    return r;
}

int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    return spawn(REAL(posix_spawn), pid, path, fa, attr, argv, envp);
}

int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
                 const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    return spawn(REAL(posix_spawnp), pid, file, fa, attr, argv, envp);
}

/* After execve (or as a spawned child): the simulated sockets among the
 * fds we inherited.  /proc/self/fd lists them; each is recognised by the
 * identity of its placeholder. */
void sn_process_adopt_inherited(void)
{
    sn_arena *a = sn_net();
    if (!a || (!a->reattached && a->hdr->nsocks == 0))
        return;                     /* nothing could have been inherited */
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        int self = dirfd(d);
        for (struct dirent *e; (e = readdir(d));) {
            char *end;
            long fd = strtol(e->d_name, &end, 10);
            if (*end || fd == self || e->d_name[0] == '.')
                continue;
            sn_fdtab_adopt((int)fd);
        }
        closedir(d);
    } else {
        for (int fd = 0; fd < 1024; fd++)   /* no /proc (a chroot) */
            sn_fdtab_adopt(fd);
    }
    if (a->reattached)
        sn_fdtab_sync_holds();      /* close-on-exec sockets are gone */
}

/* closefrom / close_range: forget what they close, ours included. */
static void forget_range(unsigned lo, unsigned hi)
{
    unsigned top = (unsigned)sn_fdtab_size;
    for (unsigned fd = lo; fd <= hi && fd < top; fd++) {
        if (sn_fd_slot((int)fd) >= 0)
            sn_fdtab_forget((int)fd);
        else if (sn_epoll_is((int)fd))
            sn_epoll_fd_closed((int)fd);
    }
    sn_libfds_closed(lo, hi);
}

int close_range(unsigned lo, unsigned hi, int flags)
{
    if (lo <= hi && !(flags & CLOSE_RANGE_CLOEXEC))
        forget_range(lo, hi);
    return REAL(close_range)(lo, hi, flags);
}

void closefrom(int lo)
{
    if (lo >= 0)
        forget_range((unsigned)lo, ~0u);
    REAL(closefrom)(lo);
}
