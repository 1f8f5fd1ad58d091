/* Signal handlers that call socket functions: sigaction, signal and kin.
 *
 * POSIX lets a handler call socket(), send(), recv(), close(), poll() and
 * most other socket functions.  The kernel can, because its own critical
 * sections run with no user code in between; ours run in user space, and a
 * handler that interrupts its thread inside one would wait forever for a
 * lock that thread holds.  So the program's handlers are installed behind
 * one trampoline: when the thread is outside the library (sn_crit == 0, see
 * core/lock.h) it calls the handler at once; when inside, it keeps the
 * signal's siginfo, leaves the signal blocked in the interrupted context,
 * and returns.  When the thread leaves its last critical section (a few
 * microseconds later: they never sleep) flush() sends the signal again
 * with the same siginfo and unblocks it, and the handler runs there, on the
 * same thread, with the same mask and arguments it would have had.
 *
 * The program sees its own struct sigaction: sigaction's old value is what
 * it installed, not the trampoline.  Faults (SIGSEGV, SIGBUS, SIGILL,
 * SIGFPE, SIGTRAP, SIGSYS raised by the CPU) are never held back: the
 * instruction would fault again.  Handlers installed behind our back (raw
 * rt_sigaction, or before this library's constructor ran) run unwrapped. */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "core/lock.h"
#include "core/sys_linux.h"
#include "preload/real.h"
#include "preload/ret.h"
#include "preload/trap.h"
#include "preload/uaccess.h"

#define NSIG_K 65          /* the kernel's signals are 1..64 */

/* The program's handler for each signal.  Two copies, so the trampoline
 * never reads one half-written by a sigaction() on another thread: a
 * writer fills the copy not in use, then flips `cur`. */
typedef struct wrapped {
    struct sigaction act[2];
    _Atomic int      cur;
} wrapped;

static wrapped          table[NSIG_K];
static atomic_flag      table_lock = ATOMIC_FLAG_INIT;
static sigset_t         no_restart;   /* siginterrupt(sig, 1) was asked */

/* Signals held back on this thread, and their siginfo.  One slot per
 * signal would cost 8 KiB of TLS in every thread; a critical section lasts
 * microseconds, so a few slots are plenty, and a signal that finds them
 * full is sent again without its siginfo (as by tgkill). */
#define SLOTS 4
static SN_TLS _Atomic uint64_t held;                  /* bit sig-1 */
static SN_TLS _Atomic int      slot_sig[SLOTS];       /* 0: free */
static SN_TLS siginfo_t        slot_info[SLOTS];

static void trampoline(int sig, siginfo_t *si, void *uc);

static bool is_fault(int sig, const siginfo_t *si)
{
    switch (sig) {
    case SIGSEGV: case SIGBUS: case SIGILL: case SIGFPE: case SIGTRAP: case SIGSYS:
        return si && si->si_code > 0;     /* > 0: raised by the kernel */
    }
    return false;
}

static void run_handler(int sig, siginfo_t *si, void *uc)
{
    wrapped *w = &table[sig];
    struct sigaction a = w->act[atomic_load(&w->cur)];
    if (a.sa_flags & SA_SIGINFO)
        a.sa_sigaction(sig, si, uc);
    else if (a.sa_handler != SIG_IGN && a.sa_handler != SIG_DFL)
        a.sa_handler(sig);
}

static void hold_back(int sig, siginfo_t *si, ucontext_t *uc)
{
    int saved = errno;
    uint64_t bit = 1ull << (sig - 1);
    if (!(atomic_fetch_or(&held, bit) & bit)) {
        for (int i = 0; i < SLOTS; i++) {
            int free_ = 0;
            if (atomic_compare_exchange_strong(&slot_sig[i], &free_, -sig)) {
                slot_info[i] = *si;
                atomic_store(&slot_sig[i], sig);    /* now complete */
                break;
            }
        }
    }
    /* Blocked when the interrupted code resumes: more of it waits in the
     * kernel, queued (real-time) or merged (standard) as usual. */
    sigaddset(&uc->uc_sigmask, sig);
    /* SA_RESETHAND: the kernel has just reset it to SIG_DFL; the copy we
     * send again must reach the handler, and reset it then. */
    struct sigaction k = table[sig].act[atomic_load(&table[sig].cur)];
    if (k.sa_flags & SA_RESETHAND) {
        k.sa_sigaction = trampoline;
        k.sa_flags |= SA_SIGINFO;
        REAL(sigaction)(sig, &k, NULL);
    }
    sn_crit_pending = 1;
    errno = saved;
}

static void trampoline(int sig, siginfo_t *si, void *uc)
{
    if (sn_crit && !is_fault(sig, si))
        hold_back(sig, si, uc);
    else
        run_handler(sig, si, uc);
}

/* Called by sn_crit_leave() when the thread's count falls to 0. */
void sn_crit_flush(void)
{
    int saved = errno;
    sn_crit_pending = 0;
    uint64_t bits = atomic_exchange(&held, 0);
    pid_t pid = getpid();
    long tid = syscall(SYS_gettid);
    sigset_t release;
    sigemptyset(&release);
    for (int i = 0; i < SLOTS; i++) {
        /* Only the slots of the signals taken above: a handler running
         * while this loop is interrupted may hold back others, which
         * its own flush sends. */
        int sig = atomic_load(&slot_sig[i]);
        if (sig <= 0 || !(bits & (1ull << (sig - 1))))
            continue;
        siginfo_t si = slot_info[i];
        atomic_store(&slot_sig[i], 0);
        bits &= ~(1ull << (sig - 1));
        syscall(SYS_rt_tgsigqueueinfo, pid, tid, sig, &si);
        sigaddset(&release, sig);
    }
    for (int sig = 1; sig < NSIG_K; sig++)
        if (bits & (1ull << (sig - 1))) {
            syscall(SYS_tgkill, pid, tid, sig);
            sigaddset(&release, sig);
        }
    /* Pending and unblocked: the kernel delivers them before this returns
     * to the caller, to the trampoline, which now runs the handlers. */
    pthread_sigmask(SIG_UNBLOCK, &release, NULL);
    errno = saved;
}

/* ---- sigaction and the older interfaces built on it ---- */

static void table_enter(void)
{
    sn_crit_enter();   /* a handler's sigaction() on this thread waits */
    while (atomic_flag_test_and_set(&table_lock))
        ;
}

static void table_leave(void)
{
    atomic_flag_clear(&table_lock);
    sn_crit_leave();
}

static bool catchable(int sig, const struct sigaction *act)
{
    return sig > 0 && sig < NSIG_K && sig != SIGKILL && sig != SIGSTOP &&
           act->sa_handler != SIG_DFL && act->sa_handler != SIG_IGN;
}

/* ---- SIGSYS under the trap (trap.h) ----
 * The kernel's SIGSYS action is the trap's handler and stays so: the
 * program's sigaction(SIGSYS) is kept here and answered from here, and
 * a SIGSYS the filter did not raise (kill, raise) gets what the program
 * asked for. */

static int sigsys_view(const struct sigaction *act, struct sigaction *old)
{
    if ((act && sn_uaccess(act, sizeof *act, false) < 0) ||
        (old && sn_uaccess(old, sizeof *old, true) < 0))
        return (int)sn_ret(-EFAULT);
    table_enter();
    wrapped *w = &table[SIGSYS];
    int was = atomic_load(&w->cur);
    if (old)
        *old = w->act[was];
    if (act) {
        w->act[!was] = *act;
        atomic_store(&w->cur, !was);
    }
    table_leave();
    return 0;
}

struct ksigaction {
    void         *handler;
    unsigned long flags;
    void         *restorer;
    uint64_t      mask;
};

void sn_sigsys_program(int sig, void *si, void *uc)
{
    struct sigaction a = table[SIGSYS].act[atomic_load(&table[SIGSYS].cur)];
    if (a.sa_flags & SA_SIGINFO) {
        a.sa_sigaction(sig, si, uc);
    } else if (a.sa_handler == SIG_IGN) {
        return;
    } else if (a.sa_handler != SIG_DFL) {
        a.sa_handler(sig);
    } else {
        /* The default: the process ends of it, as it would have. */
        struct ksigaction k = {.handler = SIG_DFL};
        sn_raw_syscall6(SYS_rt_sigaction, SIGSYS, (long)&k, 0, 8, 0, 0);
        sn_raw_syscall6(SYS_tgkill, getpid(), sn_raw_syscall6(SYS_gettid, 0, 0, 0, 0, 0, 0),
                        SIGSYS, 0, 0, 0);
    }
}

int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    if (sig == SIGSYS && sn_trap_on())
        return sigsys_view(act, old);
    if (sig <= 0 || sig >= NSIG_K)
        return REAL(sigaction)(sig, act, old);
    struct sigaction mine, kold;
    table_enter();
    wrapped *w = &table[sig];
    int was = atomic_load(&w->cur);
    bool wrap = act && catchable(sig, act);
    if (wrap) {
        w->act[!was] = *act;
        atomic_store(&w->cur, !was);
        mine = *act;
        mine.sa_sigaction = trampoline;
        mine.sa_flags |= SA_SIGINFO;
        if (sn_trap_armed())        /* the trap must work in the handler */
            sigdelset(&mine.sa_mask, SIGSYS);
    }
    int r = REAL(sigaction)(sig, wrap ? &mine : act, &kold);
    if (r < 0) {
        atomic_store(&w->cur, was);
    } else {
        if (old) {
            /* What the kernel has, unless it is our trampoline. */
            *old = kold.sa_sigaction == trampoline ? w->act[was] : kold;
        }
    }
    table_leave();
    return r;
}

static sighandler_t install(int sig, sighandler_t h, int flags, bool mask_self)
{
    struct sigaction a, old;
    memset(&a, 0, sizeof a);
    a.sa_handler = h;
    a.sa_flags = flags;
    sigemptyset(&a.sa_mask);
    if (mask_self && sig > 0 && sig < NSIG_K)
        sigaddset(&a.sa_mask, sig);
    if (sigaction(sig, &a, &old) < 0)
        return SIG_ERR;
    return old.sa_handler;
}

/* EINVAL for the functions that answer SIG_ERR; errno is set in ret.h. */
static sighandler_t bad_signal(void)
{
    sn_ret(-EINVAL);
    return SIG_ERR;
}

/* glibc's signal(): BSD semantics, restarting unless siginterrupt said
 * otherwise. */
sighandler_t signal(int sig, sighandler_t h)
{
    if (h == SIG_ERR || sig <= 0 || sig >= NSIG_K)
        return bad_signal();
    return install(sig, h, sigismember(&no_restart, sig) == 1 ? 0 : SA_RESTART, true);
}

sighandler_t bsd_signal(int sig, sighandler_t h)
{
    return signal(sig, h);
}

/* System V: one-shot, not blocked while it runs, interrupting. */
sighandler_t __sysv_signal(int sig, sighandler_t h)
{
    if (h == SIG_ERR || sig <= 0 || sig >= NSIG_K)
        return bad_signal();
    return install(sig, h, SA_RESETHAND | SA_NODEFER, false);
}

sighandler_t sysv_signal(int sig, sighandler_t h)
{
    return __sysv_signal(sig, h);
}

int siginterrupt(int sig, int flag)
{
    struct sigaction a;
    if (sig <= 0 || sig >= NSIG_K || sigaction(sig, NULL, &a) < 0)
        return (int)sn_ret(-EINVAL);
    if (flag) {
        sigaddset(&no_restart, sig);
        a.sa_flags &= ~SA_RESTART;
    } else {
        sigdelset(&no_restart, sig);
        a.sa_flags |= SA_RESTART;
    }
    return sigaction(sig, &a, NULL);
}

/* sigset(3): SIG_HOLD blocks; anything else installs and unblocks.  Both
 * answer SIG_HOLD when the signal was blocked before. */
sighandler_t sigset(int sig, sighandler_t h)
{
    sigset_t one, prev;
    struct sigaction old;
    if (h == SIG_ERR || sig <= 0 || sig >= NSIG_K)
        return bad_signal();
    sigemptyset(&one);
    sigaddset(&one, sig);
    if (h == SIG_HOLD) {
        if (sigaction(sig, NULL, &old) < 0 ||
            sigprocmask(SIG_BLOCK, &one, &prev) < 0)
            return SIG_ERR;
        return sigismember(&prev, sig) ? SIG_HOLD : old.sa_handler;
    }
    sighandler_t was = install(sig, h, 0, false);
    if (was == SIG_ERR || sigprocmask(SIG_UNBLOCK, &one, &prev) < 0)
        return SIG_ERR;
    return sigismember(&prev, sig) ? SIG_HOLD : was;
}
