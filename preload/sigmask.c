/* sigprocmask, pthread_sigmask: under the trap (trap.h), installed or
 * deferred (it goes on every thread at once), SIGSYS is never blocked.  A caught system call made while it is blocked would be the
 * end of the process (the kernel then kills with SIGSYS), and programs
 * block every signal in threads that go on using sockets (a daemon's
 * workers, with one thread in sigwait).  So SIGSYS is taken out of what
 * the program blocks, and each thread remembers whether the program
 * thinks it blocked it: the old mask it gets back says so. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>

#include "core/crit.h"
#include "preload/real.h"
#include "preload/trap.h"
#include "preload/uaccess.h"

static SN_TLS bool sigsys_blocked;   /* as the program sees it */

static int mask(int (*real)(int, const sigset_t *, sigset_t *), int how,
                const sigset_t *set, sigset_t *old)
{
    if (!sn_trap_armed() || (set && sn_uaccess(set, sizeof *set, false) < 0))
        return real(how, set, old);
    sigset_t mine;
    bool has = false;
    if (set) {
        mine = *set;
        has = sigismember(&mine, SIGSYS) == 1;
        sigdelset(&mine, SIGSYS);
    }
    bool was = sigsys_blocked;
    int r = real(how, set ? &mine : NULL, old);
    if (r != 0)
        return r;
    if (old && was)
        sigaddset(old, SIGSYS);
    if (set && how == SIG_BLOCK)
        sigsys_blocked = was || has;
    else if (set && how == SIG_UNBLOCK)
        sigsys_blocked = was && !has;
    else if (set && how == SIG_SETMASK)
        sigsys_blocked = has;
    return 0;
}

int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    return mask(REAL(sigprocmask), how, set, old);
}

int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    return mask(REAL(pthread_sigmask), how, set, old);
}
