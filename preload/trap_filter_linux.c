/* The trap's seccomp filter (trap.h): built once, at install.  Classic
 * BPF over struct seccomp_data; x86-64 (trap_linux.c installs it). */
#include "preload/trap.h"

#if defined(__x86_64__)

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

/* ---- the filter ---- */


#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i) (ARG_LO(i) + 4)
#define IP_LO offsetof(struct seccomp_data, instruction_pointer)
#define IP_HI (IP_LO + 4)

/* A small assembler: jumps name labels (or NEXT), resolved at the end
 * into the forward offsets classic BPF has. */
#define NEXT  (-1)
#define MAXI  200
#define MAXL  96

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

typedef struct nr_target {
    uint32_t nr;
    int      label;
} nr_target;

static int by_nr(const void *a, const void *b)
{
    uint32_t x = ((const nr_target *)a)->nr, y = ((const nr_target *)b)->nr;
    return x < y ? -1 : x > y;
}

/* A = the number: to its label if it is one of t[lo, hi), else to miss. */
static void tree(prog *p, const nr_target *t, int lo, int hi, int miss)
{
    if (hi - lo <= 3) {
        for (int i = lo; i < hi; i++)
            JEQ(p, t[i].nr, t[i].label, i + 1 < hi ? NEXT : miss);
        return;
    }
    int mid = (lo + hi) / 2, right = label_new(p);
    JGE(p, t[mid].nr, right, NEXT);
    tree(p, t, lo, mid, miss);
    label_here(p, right);
    tree(p, t, mid, hi, miss);
}

int sn_trap_filter(struct sock_fprog *out, int base)
{
    static prog prg;
    prog *p = &prg;
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
    /* read and write first (the filter runs at each of them), then a
     * search tree over the other numbers: the kernel runs the filter for
     * every number when it is installed (its action cache), so the path
     * of a number not caught is kept short. */
    JEQ(p, SYS_read, fd0, NEXT);
    JEQ(p, SYS_write, fd0, NEXT);
    nr_target t[64];
    int n = 0;
    for (size_t i = 2; i < sizeof by_fd0 / sizeof *by_fd0; i++)
        t[n++] = (nr_target){(uint32_t)by_fd0[i], fd0};
    for (size_t i = 0; i < sizeof always / sizeof *always; i++)
        t[n++] = (nr_target){(uint32_t)always[i], trap};
    t[n++] = (nr_target){SYS_dup2, fd01};
    t[n++] = (nr_target){SYS_dup3, fd01};
    t[n++] = (nr_target){SYS_epoll_ctl, fd02};
    t[n++] = (nr_target){SYS_socket, sock};
    t[n++] = (nr_target){SYS_rt_sigaction, sigact};
    t[n++] = (nr_target){SYS_seccomp, scmp};
    t[n++] = (nr_target){SYS_prctl, prc};
    qsort(t, (size_t)n, sizeof *t, by_nr);
    tree(p, t, 0, n, allow);

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
        JEQ(p, SN_TRAP_PROBE_ID, NEXT, not_id);
        RET(p, SECCOMP_RET_ERRNO | SN_TRAP_PROBE_ANSWER);
        label_here(p, not_id);
        JEQ(p, SN_TRAP_PROBE_BASE, NEXT, not_base);
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
    int r = resolve(p);
    out->len = (unsigned short)p->n;
    out->filter = p->ins;
    return r;
}

#endif
