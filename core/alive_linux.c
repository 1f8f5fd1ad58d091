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
