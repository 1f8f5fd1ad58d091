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
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <pthread.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/fds.h"
#include "core/net.h"
#include "preload/doorbell.h"
#include "preload/epoll.h"
#include "preload/init.h"
#include "preload/fdtab.h"
#include "preload/identity.h"
#include "preload/process.h"
#include "preload/real.h"
#include "preload/trap.h"

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
    sn_arena *a = sn_started() ? sn_net() : NULL;
    sn_pidfd_fork_unlock();
    sn_epoll_fork_unlock();
    if (in_our_fork)
        return;
    sn_fork_generation++;
    sn_fdtab_unlock();
    if (a && sn_net_attach_proc(a) == 0 && !sn_fdtab_empty()) {
        sn_net_identify(a);
        sn_fdtab_hold_all(a->proc);
    }
}

void sn_process_init(void)
{
    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* Before a child is made: an entry for it, holding every socket we hold.
 * Returns with the fd table locked (no socket may appear or vanish here
 * between this snapshot and the fork); the entry, or -1 if we hold no
 * socket (the child attaches itself, as any process does) or the table is
 * full (the child then goes unattached). */
static int child_reserve(sn_arena *a, int *marker)
{
    *marker = -1;
    sn_fdtab_lock();
    if (sn_fdtab_empty())
        return -1;
    /* The reservation's marker (core/procs.h), made before the entry is
     * reserved: if we die inside fork() before the child exists, it goes
     * with us and the entry is reaped; the child inherits it and keeps
     * the entry until it claimed it (a spawned program: in its
     * constructor).  It lives a moment, at the lowest free number:
     * placed high like the library's other fds, it would grow the fd
     * table that fork() and posix_spawn copy (+60 us a fork, measured). */
    uint32_t mark = 0;
    int fd = sn_net_fork_mark(a, &mark);
    if (fd >= 0)
        *marker = fd;
    int child = sn_net_fork_reserve(a, fd >= 0 ? mark : 0);
    if (child >= 0)
        sn_fdtab_hold_all(child);
    else if (*marker >= 0) {
        REAL(close)(*marker);
        *marker = -1;
    }
    return child;
}

/* In the parent, once the child exists (pid > 0) or could not be made. */
static void child_settle(sn_arena *a, int child, pid_t pid, int marker)
{
    if (child < 0)
        return;
    sn_net_fork_settle(a, child, pid);  /* pid <= 0: holds given back */
    if (marker >= 0)
        REAL(close)(marker);        /* the entry carries a pid now */
}

pid_t fork(void)
{
    /* Not started: no socket held, nothing to hand down. */
    sn_arena *a = sn_started() ? sn_net() : NULL;
    if (!a)
        return REAL(fork)();
    int marker;
    int child = child_reserve(a, &marker);
    in_our_fork = 1;
    pid_t pid = REAL(fork)();
    in_our_fork = 0;
    sn_fdtab_unlock();
    if (pid == 0 && child >= 0) {
        sn_fork_generation++;
        /* Claimed under the control-plane lock, so a reaper that found
         * our parent dead either reaped the entry before we were born (it
         * then saw the marker unbound: impossible while we hold it) or
         * sees our pid. */
        sn_net_fork_child(a, child);
        if (marker >= 0)
            REAL(close)(marker);
    } else if (pid == 0) {
        sn_fork_generation++;
        sn_net_attach_proc(a);    /* a socketless parent's child */
    } else {
        child_settle(a, child, pid, marker);
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

/* The environment of a new program: envp plus, in front (getenv finds
 * the first), SN_ENV_HELD=<entry> when we hold sockets, which the program
 * then holds too in that process entry (the one posix_spawn reserved for
 * it; after fork + exec, or exec alone, the process's own): it must start
 * at once to let go of the close-on-exec ones and to say when it dies
 * (init.h); and SN_ENV_PIN when the network is pinned (identity.h), the
 * pinned fd being let through this one exec.  Built in `buf` (n + 3
 * entries) and `h`, on the caller's stack: exec runs after vfork and in
 * children of threaded programs, where malloc is not safe. */
static bool hand_down(void)
{
    return sn_started() && !sn_fdtab_empty();
}

static size_t env_count(char *const envp[])
{
    size_t n = 0;
    while (envp && envp[n])
        n++;
    return n;
}

#define ENV_VAR_MAX sizeof(SN_ENV_HELD "=-2147483648:-2147483648")

typedef struct handoff {
    int  entry;                     /* process entry holding sockets; -1 */
    int  marker;                    /* its reservation's marker fd; -1 */
    bool pin;
    char held[ENV_VAR_MAX];
    char pinned[SN_PIN_VAR_MAX];
} handoff;

/* Anything to tell the new program? */
static bool handoff_begin(handoff *h, int entry, int marker)
{
    h->entry = entry;
    h->marker = marker;
    h->pin = sn_pin_exec_begin(h->pinned);
    return entry >= 0 || h->pin;
}

/* The exec failed (or posix_spawn returned). */
static void handoff_end(handoff *h)
{
    if (h->pin)
        sn_pin_exec_end();
}

/* SN_ENV_HELD=<entry>, or <entry>:<fd> when the new program inherits the
 * reservation's marker at fd (posix_spawn: it closes it once it claimed
 * the entry, core/procs.h); and the pinned network (identity.h). */
static char *const *env_marked(char *const envp[], char **buf, size_t n, handoff *h)
{
    size_t k = 0;
    if (h->entry >= 0) {
        if (h->marker >= 0)
            snprintf(h->held, sizeof h->held, SN_ENV_HELD "=%d:%d", h->entry, h->marker);
        else
            snprintf(h->held, sizeof h->held, SN_ENV_HELD "=%d", h->entry);
        buf[k++] = h->held;
    }
    if (h->pin)
        buf[k++] = h->pinned;
    for (size_t i = 0; i < n; i++)
        buf[k++] = envp[i];
    buf[k] = NULL;
    return buf;
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
    sn_arena *a = sn_started() ? sn_net() : NULL;
    int marker = -1;
    int child = a ? child_reserve(a, &marker) : -1;   /* fd table locked if a */
    /* The marker must outlive the exec, until the child claimed the
     * entry: not close-on-exec for the spawn (a concurrent exec in
     * another thread may inherit it too, which only delays reaping). */
    if (marker >= 0 && REAL(fcntl)(marker, F_SETFD, 0) < 0) {
        REAL(close)(marker);
        marker = -1;
    }
    handoff h;
    bool tell = handoff_begin(&h, child, marker);
    size_t n = tell ? env_count(envp) : 0;
    char *buf[n + 3];
    pid_t p = 0;
    int r = real(&p, path, fa, attr, argv, tell ? env_marked(envp, buf, n, &h) : envp);
    handoff_end(&h);
    if (a) {
        sn_fdtab_unlock();
        child_settle(a, child, r == 0 ? p : -1, marker);
    }
    if (r == 0 && pid)
        *pid = p;
    return r;
}

int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    sn_trap_exec_need(-1, path, false, envp);
    return spawn(REAL(posix_spawn), pid, path, fa, attr, argv, envp);
}

int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
                 const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    sn_trap_exec_need(-1, file, true, envp);
    return spawn(REAL(posix_spawnp), pid, file, fa, attr, argv, envp);
}

/* The exec family.  glibc's execv, execvp and execl* call its internal
 * execve, not ours, so each is here. */
#define EXEC_HANDING_DOWN(real_call, envp, ...)                             \
    do {                                                                    \
        handoff h_;                                                         \
        if (!handoff_begin(&h_, hand_down() ? sn_net()->proc : -1, -1))     \
            return real_call(__VA_ARGS__, envp);                            \
        size_t n_ = env_count(envp);                                        \
        char *buf_[n_ + 3];                                                 \
        int r_ = real_call(__VA_ARGS__, env_marked(envp, buf_, n_, &h_));   \
        handoff_end(&h_);                                                   \
        return r_;                                                          \
    } while (0)

int execve(const char *path, char *const argv[], char *const envp[])
{
    sn_trap_exec_need(-1, path, false, envp);
    EXEC_HANDING_DOWN(REAL(execve), envp, path, argv);
}

int execvpe(const char *file, char *const argv[], char *const envp[])
{
    sn_trap_exec_need(-1, file, true, envp);
    EXEC_HANDING_DOWN(REAL(execvpe), envp, file, argv);
}

int fexecve(int fd, char *const argv[], char *const envp[])
{
    sn_trap_exec_need(fd, NULL, false, envp);
    EXEC_HANDING_DOWN(REAL(fexecve), envp, fd, argv);
}

int execv(const char *path, char *const argv[])
{
    return execve(path, argv, environ);
}

int execvp(const char *file, char *const argv[])
{
    return execvpe(file, argv, environ);
}

/* execl, execlp, execle: the list, up to its NULL, into an array on the
 * stack; `ap` is left just past the NULL (execle's envp comes next). */
#define ARGS_TO_ARRAY(first, out, ap)                              \
    size_t argc_ = 1;          /* glibc declares `first` nonnull */ \
    va_list ap;                                                    \
    va_start(ap, first);                                           \
    while (va_arg(ap, char *))                                     \
        argc_++;                                                   \
    va_end(ap);                                                    \
    char *out[argc_ + 1];                                          \
    out[0] = (char *)(first);                                      \
    va_start(ap, first);                                           \
    for (size_t i_ = 1; i_ <= argc_; i_++)                         \
        out[i_] = va_arg(ap, char *)

int execl(const char *path, const char *arg, ...)
{
    ARGS_TO_ARRAY(arg, argv, ap);
    va_end(ap);
    return execve(path, argv, environ);
}

int execlp(const char *file, const char *arg, ...)
{
    ARGS_TO_ARRAY(arg, argv, ap);
    va_end(ap);
    return execvpe(file, argv, environ);
}

int execle(const char *path, const char *arg, ...)
{
    ARGS_TO_ARRAY(arg, argv, ap);
    char *const *envp = va_arg(ap, char *const *);
    va_end(ap);
    return execve(path, argv, envp);
}

static void adopt_one(int fd, void *arg)
{
    sn_fdtab_adopt(fd);
}

/* At start-up: the simulated sockets among the fds we inherited.
 * /proc/self/fd lists them; each is recognised by the identity of its
 * placeholder.
 *
 * Listing costs a fresh process tens of microseconds, so it is skipped
 * when nothing can have been inherited: no socket in the network, or no
 * entry of ours from before an execve (a->reattached) and a parent that
 * is attached here and never held a socket.  A parent that is not
 * attached may be a program under the library that has not started (a
 * shell that forked us) and passed on what it inherited: then we look.
 * Not caught: a socket handed down by a parent that has exited since. */
void sn_process_adopt_inherited(void)
{
    sn_arena *a = sn_net();
    if (!a || sn_net_nsocks(a) == 0)
        return;
    if (!a->reattached && sn_net_parent_held(a) == 0)
        return;                     /* nothing could have been inherited */
    if (sn_os_list_fds(adopt_one, NULL) < 0) {
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

/* The pinned network outlives both (identity.h): they close the ranges
 * around it. */
int close_range(unsigned lo, unsigned hi, int flags)
{
    if (lo <= hi && !(flags & CLOSE_RANGE_CLOEXEC))
        forget_range(lo, hi);
    int pin = sn_pin_number();
    if (pin < 0 || (unsigned)pin < lo || (unsigned)pin > hi || (flags & CLOSE_RANGE_CLOEXEC))
        return REAL(close_range)(lo, hi, flags);
    int r = (unsigned)pin > lo ? REAL(close_range)(lo, (unsigned)pin - 1, flags) : 0;
    if (r == 0 && (unsigned)pin < hi)
        r = REAL(close_range)((unsigned)pin + 1, hi, flags);
    return r;
}

void closefrom(int lo)
{
    if (lo >= 0)
        forget_range((unsigned)lo, ~0u);
    int pin = sn_pin_number();
    if (lo < 0 || pin < lo) {
        REAL(closefrom)(lo);
        return;
    }
    int saved = errno;
    if (pin > lo && REAL(close_range)((unsigned)lo, (unsigned)pin - 1, 0) < 0)
        for (int fd = lo; fd < pin; fd++)
            REAL(close)(fd);
    errno = saved;
    REAL(closefrom)(pin + 1);
}
