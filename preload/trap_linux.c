/* The trap's Linux side (trap.h): installing the filter (built in
 * trap_filter_linux.c), the gate page, the SIGSYS handler and the stack
 * it runs on.  x86-64 only: elsewhere the
 * trap says it is not there and the library runs as without it. */
#include "preload/trap.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "core/crit.h"
#include "core/sys_linux.h"
#include "preload/real.h"

#if defined(__x86_64__)

/* From the kernel's headers, which libc's do not all carry. */
#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1            /* si_code of a seccomp SIGSYS */
#endif
#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1u << 31)
#endif
#define SA_RESTORER_ 0x04000000  /* x86: sa_restorer is set */

/* ---- the gate ---- */

static long sys(long n, long a, long b, long c, long d, long e, long f)
{
    return sn_raw_syscall6(n, a, b, c, d, e, f);
}

/* The page "syscall; ret" at SN_TRAP_GATE: 0 or -errno. */
static int gate_map(void)
{
    long p = sys(SYS_mmap, (long)SN_TRAP_GATE, 4096, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p < 0 && p > -4096)
        return (int)p;
    if ((unsigned long)p != SN_TRAP_GATE) {   /* an old kernel's hint */
        sys(SYS_munmap, p, 4096, 0, 0, 0, 0);
        return -EEXIST;
    }
    static const unsigned char code[] = {0x0f, 0x05, 0xc3};   /* syscall; ret */
    __builtin_memcpy((void *)SN_TRAP_GATE, code, sizeof code);
    long r = sys(SYS_mprotect, (long)SN_TRAP_GATE, 4096, PROT_READ | PROT_EXEC, 0, 0, 0);
    if (r < 0)
        return (int)r;
    __atomic_store_n(&sn_sys_gate, SN_TRAP_GATE, __ATOMIC_RELEASE);
    return 0;
}

/* ---- the handler ---- */

/* Signal frames return through rt_sigreturn (not a trapped number). */
void sn_trap_restorer(void);
__asm__(".text\n"
        "\tnop\n"
        "\t.type sn_trap_restorer,@function\n"
        "sn_trap_restorer:\n"
        "\tmovq $15, %rax\n"
        "\tsyscall\n"
        "\t.size sn_trap_restorer,.-sn_trap_restorer\n");

/* fn(arg) on the stack ending at top (16-byte aligned). */
void sn_trap_on_stack(void *arg, void (*fn)(void *), void *top);
__asm__(".text\n"
        "\t.type sn_trap_on_stack,@function\n"
        "sn_trap_on_stack:\n"
        "\t.cfi_startproc\n"
        "\tpushq %rbp\n"
        "\t.cfi_def_cfa_offset 16\n"
        "\t.cfi_offset %rbp, -16\n"
        "\tmovq %rsp, %rbp\n"
        "\t.cfi_def_cfa_register %rbp\n"
        "\tmovq %rdx, %rsp\n"
        "\tcall *%rsi\n"
        "\tmovq %rbp, %rsp\n"
        "\tpopq %rbp\n"
        "\t.cfi_def_cfa %rsp, 8\n"
        "\tret\n"
        "\t.cfi_endproc\n"
        "\t.size sn_trap_on_stack,.-sn_trap_on_stack\n");

/* The emulation runs on a stack of its own per thread when the kernel
 * delivered SIGSYS on an alternate stack (SA_ONSTACK): a Go goroutine's
 * stack is a few KiB and Go's signal stacks 32 KiB, a program's
 * sigaltstack may be SIGSTKSZ.  On the thread's own stack it runs there.  While it
 * runs, that stack is also the thread's sigaltstack, so a signal taken
 * meanwhile (Go's SIGURG on its handlers' SA_ONSTACK) lands below it and
 * not over the frame the kernel pushed for SIGSYS. */
#define TSTACK (256 << 10)
static SN_TLS char *tstack;
static SN_TLS int   tdepth;     /* SIGSYS handlers running on this thread */
static pthread_key_t tkey;

static void tstack_free(void *p)
{
    sys(SYS_munmap, (long)p, TSTACK, 0, 0, 0, 0);
}

static char *tstack_get(void)
{
    if (!tstack) {
        long p = sys(SYS_mmap, 0, TSTACK, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
        if (p < 0 && p > -4096)
            return NULL;
        tstack = (char *)p;
        pthread_setspecific(tkey, tstack);   /* freed when the thread ends */
    }
    return tstack;
}

typedef struct frame {
    siginfo_t  *si;
    ucontext_t *uc;
    stack_t     alt;       /* the thread's sigaltstack before ours */
    long        alt_r;
} frame;

static void run(frame *f)
{
    greg_t *g = f->uc->uc_mcontext.gregs;
    long a[6] = {g[REG_RDI], g[REG_RSI], g[REG_RDX], g[REG_R10], g[REG_R8], g[REG_R9]};
    g[REG_RAX] = sn_trap_call(f->si->si_syscall, a);
}

static void run_switched(void *p)
{
    frame *f = p;
    stack_t ours = {.ss_sp = tstack, .ss_size = TSTACK, .ss_flags = 0};
    f->alt_r = sys(SYS_sigaltstack, (long)&ours, (long)&f->alt, 0, 0, 0, 0);
    run(f);
}

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
    if (si->si_code != SYS_SECCOMP) {
        sn_sigsys_program(sig, si, uc);
        return;
    }
    int saved = errno;
    frame f = {.si = si, .uc = uc, .alt_r = -1};
    if (si->si_syscall == SYS_execve || si->si_syscall == SYS_execveat) {
        /* Where it is: an exec that works does not come back to undo
         * what is done here, and in a vfork child (posix_spawn, Go's
         * ForkExec) this thread's variables are its parent's. */
        run(&f);
        errno = saved;
        return;
    }
    /* On the thread's own stack (no sigaltstack, or not SA_ONSTACK's):
     * room enough, run here.  On an alternate stack: switch. */
    const ucontext_t *u = uc;
    char *sp = (char *)&f, *alt = u->uc_stack.ss_sp;
    bool on_alt = !(u->uc_stack.ss_flags & SS_DISABLE) && sp >= alt &&
                  sp < alt + u->uc_stack.ss_size;
    if (tdepth++ == 0 && on_alt && tstack_get()) {
        sn_trap_on_stack(&f, run_switched, tstack + TSTACK);
        if (f.alt_r == 0) {          /* off our stack now: give the old one back */
            f.alt.ss_flags &= SS_DISABLE | SS_AUTODISARM;
            sys(SYS_sigaltstack, (long)&f.alt, 0, 0, 0, 0, 0);
        }
    } else {
        run(&f);
    }
    tdepth--;
    errno = saved;
}

/* The kernel's struct sigaction. */
struct ksigaction {
    void         *handler;
    unsigned long flags;
    void         *restorer;
    uint64_t      mask;
};

static int handler_install(void)
{
    struct ksigaction k = {.handler = (void *)on_sigsys,
                           .flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK | SA_RESTORER_,
                           .restorer = (void *)sn_trap_restorer,
                           .mask = 0};
    return (int)sys(SYS_rt_sigaction, SIGSYS, (long)&k, 0, 8, 0, 0);
}

/* SIGSYS must be deliverable: blocked, the kernel kills the process at
 * the first trapped call. */
static void sigsys_unblock(void)
{
    uint64_t m = 1ull << (SIGSYS - 1);
    sys(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&m, 0, 8, 0, 0);
}

bool sn_trap_caught(void)
{
    return tdepth > 0;
}

int sn_trap_os_attach(const char **what)
{
    int r = gate_map();
    if (r < 0) {
        *what = "cannot map its system call gate at its fixed address";
        return r;
    }
    pthread_key_create(&tkey, tstack_free);
    sigsys_unblock();
    r = handler_install();
    if (r < 0)
        *what = "cannot install its SIGSYS handler";
    return r;
}

int sn_trap_os_probe(void)
{
    long id = sys(SYS_seccomp, SN_TRAP_PROBE_ID, 0, 0, 0, 0, 0);
    if (id != -SN_TRAP_PROBE_ANSWER)
        return 0;
    long b = sys(SYS_seccomp, SN_TRAP_PROBE_BASE, 0, 0, 0, 0, 0);
    return b < 0 ? (int)-b : 0;
}

int sn_trap_os_install(int base, const char **what)
{
    struct sock_fprog fp;
    if (sn_trap_filter(&fp, base) < 0) {
        *what = "cannot build its seccomp filter";
        return -EINVAL;
    }
    int r = sn_trap_os_attach(what);
    if (r < 0)
        return r;
    /* Other threads may be running the library (a deferred install):
     * its calls must go through the gate before the filter can catch
     * them. */
    sn_real_gate();
    /* TSYNC: the filter goes on every thread of the process at once, or
     * on none (a thread whose filters are not an ancestor of ours: its
     * id is the answer). */
    unsigned long flags = SECCOMP_FILTER_FLAG_SPEC_ALLOW | SECCOMP_FILTER_FLAG_TSYNC;
    long s = sys(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (long)flags, (long)&fp, 0, 0, 0);
    if (s == -EACCES) {
        /* Without CAP_SYS_ADMIN a filter needs no_new_privs (which
         * survives exec too: set-user-ID programs then run as the
         * caller, with the library).  It is set on this thread; TSYNC
         * sets it on the others with the filter. */
        sys(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0);
        s = sys(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (long)flags, (long)&fp, 0, 0, 0);
    }
    if (s == -EINVAL) {              /* an older kernel: without SPEC_ALLOW */
        flags &= ~SECCOMP_FILTER_FLAG_SPEC_ALLOW;
        s = sys(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (long)flags, (long)&fp, 0, 0, 0);
    }
    if (s > 0) {
        static char line[96];
        snprintf(line, sizeof line, "cannot put its seccomp filter on thread %ld", s);
        *what = line;
        return -EAGAIN;
    }
    if (s != 0) {
        *what = "this kernel has no seccomp filters for it";
        return (int)s;
    }
    return 0;
}

#else

bool sn_trap_caught(void) { return false; }
int sn_trap_os_probe(void) { return 0; }
int sn_trap_os_attach(const char **what)
{
    *what = "traps system calls on x86-64 only";
    return -ENOSYS;
}
int sn_trap_os_install(int base, const char **what)
{
    return sn_trap_os_attach(what);
}

#endif
