/* Process liveness on Linux: the robust futex word of a pthread mutex,
 * /proc/<pid>/stat, kill(pid, 0), pidfd_open. */
#include "core/alive.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "core/sys_linux.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

uint64_t sn_os_start_time(int pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    long fd = sn_sys_open(path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    long n = sn_sys_read((int)fd, buf, sizeof buf - 1);
    sn_sys_close((int)fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    /* The command name may contain spaces and parentheses: fields are
     * counted from the last ')'.  starttime is field 22; the state after
     * ')' is field 3. */
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
        return 0;
    for (int field = 2; field < 22 && p; field++)
        p = strchr(p + 1, ' ');
    if (!p)
        return 0;
    const char *q = p + 1;
    long long st = sn_parse_dec(&q);
    return st > 0 ? (uint64_t)st : 0;
}

bool sn_os_pid_exists_blind(int pid)
{
    if (sn_raw_syscall6(SYS_faccessat, AT_FDCWD, (long)"/proc/self/stat", F_OK,
                        0, 0, 0) == 0)
        return false;               /* /proc works: its answer stands */
    long r = sn_raw_syscall6(SYS_kill, pid, 0, 0, 0, 0, 0);
    return r == 0 || r == -EPERM;
}

_Static_assert(offsetof(pthread_mutex_t, __data.__lock) == 0,
               "the robust futex word is the first int of a pthread mutex");

_Atomic uint32_t *sn_os_alive_word(sn_lock_t *l)
{
    return (_Atomic uint32_t *)l;
}

bool sn_os_alive_word_dead(uint32_t w)
{
    return (w & FUTEX_OWNER_DIED) || (w & FUTEX_TID_MASK) == 0;
}

uint32_t sn_os_alive_word_arm(_Atomic uint32_t *w)
{
    /* The kernel wakes a waiter at the owner's death only when the word
     * says someone waits. */
    uint32_t v = atomic_load(w);
    if (!(v & FUTEX_WAITERS))
        v = atomic_fetch_or(w, FUTEX_WAITERS) | FUTEX_WAITERS;
    return v;
}

int sn_os_pidfd(int pid)
{
    return (int)sn_raw_syscall6(SYS_pidfd_open, pid, 0, 0, 0, 0, 0);
}

/* ---- reservation markers ---- */

static socklen_t mark_name(uint64_t token, int maker, uint32_t mark,
                           struct sockaddr_un *out)
{
    memset(out, 0, sizeof *out);
    out->sun_family = AF_UNIX;
    /* Abstract (sun_path[0] == 0), apart from the doorbells' names. */
    int n = snprintf(out->sun_path + 1, sizeof out->sun_path - 1,
                     "simnet.%016llx.fork.%d.%u", (unsigned long long)token,
                     maker, mark);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

int sn_os_marker_make(uint64_t token, uint32_t *mark)
{
    static _Atomic uint32_t next = 1;
    long fd = sn_raw_syscall6(SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0,
                              0, 0, 0);
    if (fd < 0)
        return (int)fd;
    int me = (int)sn_raw_syscall6(SYS_getpid, 0, 0, 0, 0, 0, 0);
    /* A name can still be bound by a marker a dead process with our pid
     * left in a child that never claimed: take the next one. */
    for (int attempt = 0; attempt < 16; attempt++) {
        uint32_t m = atomic_fetch_add(&next, 1) ?: atomic_fetch_add(&next, 1);
        struct sockaddr_un u;
        socklen_t len = mark_name(token, me, m, &u);
        long r = sn_raw_syscall6(SYS_bind, fd, (long)&u, len, 0, 0, 0);
        if (r == 0) {
            *mark = m;
            return (int)fd;
        }
        if (r != -EADDRINUSE)
            break;
    }
    sn_sys_close((int)fd);
    return -EADDRINUSE;
}

bool sn_os_marker_bound(uint64_t token, int maker, uint32_t mark)
{
    long fd = sn_raw_syscall6(SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC,
                              0, 0, 0, 0);
    if (fd < 0)
        return true;
    struct sockaddr_un u;
    socklen_t len = mark_name(token, maker, mark, &u);
    long r = sn_raw_syscall6(SYS_connect, fd, (long)&u, len, 0, 0, 0);
    sn_sys_close((int)fd);
    /* Unbound: ECONNREFUSED.  Anything else (a full fd table) cannot
     * tell: keep it. */
    return r != -ECONNREFUSED && r != -ENOENT;
}

bool sn_os_marker_is(int fd, uint64_t token, int maker, uint32_t mark)
{
    struct sockaddr_un want, got;
    socklen_t wlen = mark_name(token, maker, mark, &want), glen = sizeof got;
    return sn_raw_syscall6(SYS_getsockname, fd, (long)&got, (long)&glen, 0, 0, 0) == 0 &&
           glen == wlen && memcmp(&got, &want, wlen) == 0;
}

void sn_os_close(int fd)
{
    sn_sys_close(fd);
}
