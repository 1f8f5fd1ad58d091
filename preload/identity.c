/* setuid, seteuid, setreuid, setresuid, setgid, setegid, setregid,
 * setresgid, setfsuid, setfsgid, setgroups, initgroups, chroot: each
 * pins the network first, and the pin itself (identity.h).
 *
 * Every one of them is wrapped, not only those that take privileges
 * away: which change leaves the arena out of reach depends on the mode
 * of its file and directory, the runtime directory the new uid would
 * compute, and the root; and a program may take several steps (runuser
 * sets its groups, then its gid, then its uid, in a forked child).  The
 * first call pins; the others find it done. */
#include "preload/identity.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/lock.h"
#include "preload/init.h"
#include "preload/real.h"

static _Atomic int     pin_fd = -1;   /* read without the lock by close() */
static dev_t           pin_dev;
static ino_t           pin_ino;
static uint64_t        pin_tag;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* fd is still the file we pinned (a program may have closed it and
 * reused the number through a path we do not see). */
static bool still_pinned(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_dev == pin_dev &&
           st.st_ino == pin_ino;
}

static void inherit(const char *v)
{
    char *end;
    long fd = strtol(v, &end, 10);
    if (*end != ':' || fd < 0 || fd > INT32_MAX)
        return;
    pin_dev = (dev_t)strtoull(end + 1, &end, 10);
    if (*end != ':')
        return;
    pin_ino = (ino_t)strtoull(end + 1, &end, 10);
    if (*end != ':')
        return;
    pin_tag = strtoull(end + 1, &end, 16);
    if (*end || !still_pinned((int)fd))
        return;                     /* not ours (any more): leave it be */
    if (pin_tag != sn_net_tag()) {
        /* Our parent's network, not the one this program's environment
         * names (SIMNET_NETWORK or SIMNET_DIR changed on the way). */
        REAL(close)((int)fd);
        return;
    }
    REAL(fcntl)((int)fd, F_SETFD, FD_CLOEXEC);   /* open across one exec only */
    atomic_store(&pin_fd, (int)fd);
}

void sn_pin_inherit(const char *v)
{
    int saved = errno;
    inherit(v);
    errno = saved;
}

/* Opened as the process still is, before the change. */
static void pin_open(void)
{
    const char *path;
    if (sn_net_path(&path) < 0)
        return;                     /* start-up will say why, if it comes */
    bool shared = sn_net_shared();
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, shared ? 0666 : 0600);
    if (fd < 0)
        return;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        REAL(close)(fd);
        return;
    }
    /* Made empty here: whoever sizes it later may be another user, who
     * could not change its mode (arena.c). */
    if (shared && st.st_size == 0 && st.st_uid == geteuid())
        fchmod(fd, 0666);
    int floor = sn_libfd_floor();
    if (floor > fd) {
        int hi = REAL(fcntl)(fd, F_DUPFD_CLOEXEC, floor);
        if (hi >= 0) {
            REAL(close)(fd);
            fd = hi;
        }
    }
    pin_dev = st.st_dev;
    pin_ino = st.st_ino;
    pin_tag = sn_net_tag();
    atomic_store(&pin_fd, fd);
}

void sn_pin(void)
{
    int saved = errno;
    sn_plock(&lock);
    if (atomic_load(&pin_fd) < 0)
        pin_open();
    sn_punlock(&lock);
    errno = saved;
}

int sn_pin_fd(void)
{
    int saved = errno;
    sn_plock(&lock);
    int fd = atomic_load(&pin_fd);
    if (fd >= 0 && !still_pinned(fd))
        atomic_store(&pin_fd, fd = -1);
    sn_punlock(&lock);
    errno = saved;
    return fd;
}

/* On every close of an fd that is not a socket: one load, usually. */
void sn_pin_closed(int fd)
{
    int expected = fd;
    if (fd >= 0 && atomic_load_explicit(&pin_fd, memory_order_relaxed) == fd)
        atomic_compare_exchange_strong(&pin_fd, &expected, -1);
}

int sn_pin_number(void)
{
    return atomic_load_explicit(&pin_fd, memory_order_relaxed);
}

bool sn_pin_exec_begin(char *var)
{
    int fd = atomic_load_explicit(&pin_fd, memory_order_relaxed);
    if (fd < 0)
        return false;               /* the common case: no system call */
    int saved = errno;
    bool ok = still_pinned(fd) && REAL(fcntl)(fd, F_SETFD, 0) == 0;
    if (ok)
        snprintf(var, SN_PIN_VAR_MAX, SN_ENV_PIN "=%d:%llu:%llu:%llx", fd,
                 (unsigned long long)pin_dev, (unsigned long long)pin_ino,
                 (unsigned long long)pin_tag);
    else
        sn_pin_closed(fd);
    errno = saved;
    return ok;
}

void sn_pin_exec_end(void)
{
    int saved = errno;
    int fd = atomic_load(&pin_fd);
    if (fd >= 0)
        REAL(fcntl)(fd, F_SETFD, FD_CLOEXEC);
    errno = saved;
}

/* ---- the calls ---- */

int setuid(uid_t uid)
{
    sn_pin();
    return REAL(setuid)(uid);
}

int seteuid(uid_t uid)
{
    sn_pin();
    return REAL(seteuid)(uid);
}

int setreuid(uid_t r, uid_t e)
{
    sn_pin();
    return REAL(setreuid)(r, e);
}

int setresuid(uid_t r, uid_t e, uid_t s)
{
    sn_pin();
    return REAL(setresuid)(r, e, s);
}

int setgid(gid_t gid)
{
    sn_pin();
    return REAL(setgid)(gid);
}

int setegid(gid_t gid)
{
    sn_pin();
    return REAL(setegid)(gid);
}

int setregid(gid_t r, gid_t e)
{
    sn_pin();
    return REAL(setregid)(r, e);
}

int setresgid(gid_t r, gid_t e, gid_t s)
{
    sn_pin();
    return REAL(setresgid)(r, e, s);
}

/* File-system identity only, but that is the one open() checks. */
int setfsuid(uid_t uid)
{
    sn_pin();
    return REAL(setfsuid)(uid);
}

int setfsgid(gid_t gid)
{
    sn_pin();
    return REAL(setfsgid)(gid);
}

/* A supplementary group may be what lets a process into the runtime
 * directory.  glibc's initgroups calls its internal setgroups. */
int setgroups(size_t n, const gid_t *groups)
{
    sn_pin();
    return REAL(setgroups)(n, groups);
}

int initgroups(const char *user, gid_t group)
{
    sn_pin();
    return REAL(initgroups)(user, group);
}

/* After it the path may be gone (sshd's privilege-separated child in
 * /run/sshd). */
int chroot(const char *path)
{
    sn_pin();
    return REAL(chroot)(path);
}
