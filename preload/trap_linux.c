/* The trap's Linux side (trap.h): the seccomp filter, the gate page, the
 * SIGSYS handler and the stack it runs on.  x86-64 only: elsewhere the
 * trap says it is not there and the library runs as without it. */
#include "preload/trap.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/socket.h>
#include <pthread.h>
#include <signal.h>
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

#if defined(__x86_64__)

/* From the kernel's headers, which libc's do not all carry. */
#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1            /* si_code of a seccomp SIGSYS */
#endif
#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1u << 31)
#endif
#define SA_RESTORER_ 0x04000000  /* x86: sa_restorer is set */

/* ---- the filter ---- */

/* The probe the filter answers (seccomp with an operation Linux does not
 * have): PROBE_ID says "ours, this version", PROBE_BASE gives the base
 * its ranges start at.  A changed filter changes the version. */
#define PROBE_ID      0x5e5e0000u
#define PROBE_BASE    0x5e5e0001u
#define PROBE_ANSWER  4012           /* 4000 + version; errnos stop at 4095 */

#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i) (ARG_LO(i) + 4)
#define IP_LO offsetof(struct seccomp_data, instruction_pointer)
#define IP_HI (IP_LO + 4)

/* A small assembler: jumps name labels (or NEXT), resolved at the end
 * into the forward offsets classic BPF has. */
#define NEXT  (-1)
#define MAXI  200
#define MAXL  64

typedef struct prog {
    struct sock_filter ins[MAXI];
    int lt[MAXI], lf[MAXI], n, at[MAXL], nl;
} prog;

static int label_new(prog *p) { p->at[p->nl] = -1; return p->nl++; }
static void label_here(prog *p, int l) { p->at[l] = p->n; }

static void op(prog *p, uint16_t code, uint32_t k, int lt, int lf)
{
    if (p->n < MAXI) {
        p->ins[p->n] = (struct sock_filter){code, 0, 0, k};
        p->lt[p->n] = lt;
        p->lf[p->n] = lf;
    }
    p->n++;
}
#define LD(p, off)      op(p, BPF_LD | BPF_W | BPF_ABS, (uint32_t)(off), NEXT, NEXT)
#define JEQ(p, k, t, f) op(p, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(k), (t), (f))
#define JGE(p, k, t, f) op(p, BPF_JMP | BPF_JGE | BPF_K, (uint32_t)(k), (t), (f))
#define RET(p, k)       op(p, BPF_RET | BPF_K, (uint32_t)(k), NEXT, NEXT)

static int resolve(prog *p)
{
    if (p->n > MAXI)
        return -E2BIG;
    for (int i = 0; i < p->n; i++) {
        if (BPF_CLASS(p->ins[i].code) != BPF_JMP)
            continue;
        int t = p->lt[i] == NEXT ? i + 1 : p->at[p->lt[i]];
        int f = p->lf[i] == NEXT ? i + 1 : p->at[p->lf[i]];
        if (t <= i || f <= i || t - i - 1 > 255 || f - i - 1 > 255)
            return -EINVAL;
        p->ins[i].jt = (uint8_t)(t - i - 1);
        p->ins[i].jf = (uint8_t)(f - i - 1);
    }
    return 0;
}

/* A = an fd argument's low half (the kernel reads fds as int): to `hit`
 * if in [base, 1024) or [SN_TRAP_HIGH, 2^31), else to `miss`. */
static void in_range(prog *p, int base, int hit, int miss)
{
    JGE(p, 0x80000000u, miss, NEXT);
    JGE(p, SN_TRAP_HIGH, hit, NEXT);
    JGE(p, base, NEXT, miss);
    JGE(p, SN_TRAP_LOW_END, miss, hit);
}

/* Here: from the gate page, allow; from anywhere else, `action`. */
static void unless_gate(prog *p, int allow, uint32_t action)
{
    int no = label_new(p);
    LD(p, IP_HI);
    JEQ(p, SN_TRAP_GATE >> 32, NEXT, no);
    LD(p, IP_LO);
    op(p, BPF_ALU | BPF_AND | BPF_K, 0xfffff000u, NEXT, NEXT);
    JEQ(p, (uint32_t)SN_TRAP_GATE, allow, no);
    label_here(p, no);
    RET(p, action);
}

/* Taken when the fd argument lies in a range (read and write first: the
 * filter runs for them at every call; the numbers not listed here are
 * allowed without it, by the kernel's action cache). */
static const int by_fd0[] = {
    SYS_read, SYS_write, SYS_close, SYS_readv, SYS_writev, SYS_recvfrom,
    SYS_sendto, SYS_recvmsg, SYS_sendmsg, SYS_recvmmsg, SYS_sendmmsg,
    SYS_connect, SYS_accept, SYS_accept4, SYS_bind, SYS_listen, SYS_shutdown,
    SYS_getsockname, SYS_getpeername, SYS_getsockopt, SYS_setsockopt,
    SYS_fcntl, SYS_ioctl, SYS_dup, SYS_sendfile, SYS_epoll_wait,
    SYS_epoll_pwait, SYS_epoll_pwait2,
};
/* Taken always: they carry fds behind pointers, or start a new image. */
static const int always[] = {
    SYS_poll, SYS_ppoll, SYS_select, SYS_pselect6, SYS_epoll_create,
    SYS_epoll_create1, SYS_execve, SYS_execveat,
};

static int build(prog *p, int base)
{
    p->n = p->nl = 0;
    int allow = label_new(p), nosys = label_new(p), trap = label_new(p),
        fd0 = label_new(p), fd01 = label_new(p), fd01b = label_new(p),
        fd02 = label_new(p), fd02b = label_new(p), sock = label_new(p),
        sigact = label_new(p), scmp = label_new(p), prc = label_new(p),
        err0 = label_new(p), einval = label_new(p);
    int i386 = label_new(p), x32 = label_new(p), inet = label_new(p),
        noinet = label_new(p);
    LD(p, offsetof(struct seccomp_data, arch));
    JEQ(p, AUDIT_ARCH_X86_64, NEXT, i386);
    LD(p, offsetof(struct seccomp_data, nr));
    JGE(p, 0x40000000u, x32, NEXT);
    for (size_t i = 0; i < sizeof by_fd0 / sizeof *by_fd0; i++)
        JEQ(p, by_fd0[i], fd0, NEXT);
    JEQ(p, SYS_dup2, fd01, NEXT);
    JEQ(p, SYS_dup3, fd01, NEXT);
    JEQ(p, SYS_epoll_ctl, fd02, NEXT);
    for (size_t i = 0; i < sizeof always / sizeof *always; i++)
        JEQ(p, always[i], trap, NEXT);
    JEQ(p, SYS_socket, sock, NEXT);
    JEQ(p, SYS_rt_sigaction, sigact, NEXT);
    JEQ(p, SYS_seccomp, scmp, NEXT);
    JEQ(p, SYS_prctl, prc, allow);

    label_here(p, fd0);
    LD(p, ARG_LO(0));
    in_range(p, base, trap, allow);
    label_here(p, fd01);
    LD(p, ARG_LO(0));
    in_range(p, base, trap, fd01b);
    label_here(p, fd01b);
    LD(p, ARG_LO(1));
    in_range(p, base, trap, allow);
    label_here(p, fd02);
    LD(p, ARG_LO(0));
    in_range(p, base, trap, fd02b);
    label_here(p, fd02b);
    LD(p, ARG_LO(2));
    in_range(p, base, trap, allow);
    label_here(p, sock);
    LD(p, ARG_LO(0));
    JEQ(p, AF_INET, trap, NEXT);
    JEQ(p, AF_INET6, trap, allow);
    label_here(p, sigact);          /* a new action for SIGSYS */
    LD(p, ARG_LO(0));
    JEQ(p, SIGSYS, NEXT, allow);
    LD(p, ARG_LO(1));
    JEQ(p, 0, NEXT, err0);
    LD(p, ARG_HI(1));
    JEQ(p, 0, allow, err0);
    label_here(p, scmp);
    {
        int not_id = label_new(p), not_base = label_new(p);
        LD(p, ARG_LO(0));
        JEQ(p, PROBE_ID, NEXT, not_id);
        RET(p, SECCOMP_RET_ERRNO | PROBE_ANSWER);
        label_here(p, not_id);
        JEQ(p, PROBE_BASE, NEXT, not_base);
        RET(p, SECCOMP_RET_ERRNO | (uint32_t)base);
        label_here(p, not_base);
        JEQ(p, SECCOMP_SET_MODE_STRICT, einval, NEXT);
        JEQ(p, SECCOMP_SET_MODE_FILTER, einval, allow);
    }
    label_here(p, prc);
    LD(p, ARG_LO(0));
    JEQ(p, PR_SET_SECCOMP, einval, allow);

    label_here(p, trap);
    unless_gate(p, allow, SECCOMP_RET_TRAP);
    label_here(p, err0);             /* "done": the handler stays */
    unless_gate(p, allow, SECCOMP_RET_ERRNO | 0);
    label_here(p, einval);           /* no filter of the program's: sandbox.c */
    unless_gate(p, allow, SECCOMP_RET_ERRNO | EINVAL);
    /* The 32-bit ABIs (int 0x80, x32) are not simulated: their inet
     * sockets are refused, which nothing can take over. */
    label_here(p, i386);
    LD(p, offsetof(struct seccomp_data, nr));
    JEQ(p, 102, nosys, NEXT);        /* socketcall */
    JEQ(p, 359, inet, allow);        /* socket */
    label_here(p, x32);
    JEQ(p, 0x40000000u + SYS_socket, inet, allow);
    label_here(p, inet);
    LD(p, ARG_LO(0));
    JEQ(p, AF_INET, noinet, NEXT);
    JEQ(p, AF_INET6, noinet, allow);
    label_here(p, noinet);
    RET(p, SECCOMP_RET_ERRNO | EAFNOSUPPORT);
    label_here(p, nosys);
    RET(p, SECCOMP_RET_ERRNO | ENOSYS);
    label_here(p, allow);
    RET(p, SECCOMP_RET_ALLOW);
    return resolve(p);
}

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
    long id = sys(SYS_seccomp, PROBE_ID, 0, 0, 0, 0, 0);
    if (id != -PROBE_ANSWER)
        return 0;
    long b = sys(SYS_seccomp, PROBE_BASE, 0, 0, 0, 0, 0);
    return b < 0 ? (int)-b : 0;
}

int sn_trap_os_install(int base, const char **what)
{
    static prog p;
    if (build(&p, base) < 0) {
        *what = "cannot build its seccomp filter";
        return -EINVAL;
    }
    int r = sn_trap_os_attach(what);
    if (r < 0)
        return r;
    struct sock_fprog fp = {.len = (unsigned short)p.n, .filter = p.ins};
    unsigned long flags = SECCOMP_FILTER_FLAG_SPEC_ALLOW | SECCOMP_FILTER_FLAG_TSYNC;
    long s = sys(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (long)flags, (long)&fp, 0, 0, 0);
    if (s == -EACCES) {
        /* Without CAP_SYS_ADMIN a filter needs no_new_privs (which
         * survives exec too: set-user-ID programs then run as the
         * caller, with the library). */
        sys(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0);
        s = sys(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (long)flags, (long)&fp, 0, 0, 0);
    }
    if (s == -EINVAL) {              /* an older kernel: without SPEC_ALLOW */
        flags &= ~SECCOMP_FILTER_FLAG_SPEC_ALLOW;
        s = sys(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (long)flags, (long)&fp, 0, 0, 0);
    }
    if (s != 0) {
        *what = "this kernel has no seccomp filters for it";
        return s < 0 ? (int)s : -EAGAIN;
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
