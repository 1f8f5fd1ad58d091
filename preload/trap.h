/* The trap: system calls on inet sockets that bypass libc (glibc's own
 * internal calls, raw syscall(), Go's runtime) are caught by a seccomp
 * filter and run in a SIGSYS handler through the same code as the
 * interposed functions (docs/design.md, "No escapes: the trap").
 *
 * What the filter catches (x86-64; from code outside the gate page):
 *   socket(AF_INET or AF_INET6);
 *   the calls that take an fd (read, write, send*, recv*, connect, close,
 *   fcntl, ioctl, dup*, epoll_ctl/wait...) when that fd lies in the
 *   ranges of simulated fds: [base, 1024) and [SN_TRAP_HIGH, 2^31),
 *   where the sockets and epoll instances made by caught calls go (and
 *   those that stdio is given: stdio.c);
 *   poll, ppoll, select, pselect6, epoll_create*, execve, execveat always.
 * What it answers itself: rt_sigaction(SIGSYS, act != NULL) succeeds
 * without effect (the handler stays); a program's own seccomp filter is
 * refused with EINVAL (sandbox.c says why).
 *
 * The library's own system calls for those numbers go through the gate:
 * one page at a fixed address holding "syscall; ret", the same in every
 * image, which the filter lets through (sn_sys_gate, core/sys_linux.h).
 * The filter outlives exec: a new image with the library finds it (a
 * probe the filter answers) and takes it over instead of adding one. */
#ifndef SN_TRAP_H
#define SN_TRAP_H

#include <stdbool.h>

#define SN_TRAP_GATE    0x5e5e00000000UL   /* the gate page's address */
#define SN_TRAP_LOW_END 1024               /* select()'s FD_SETSIZE */
#define SN_TRAP_HIGH    65536              /* the second range's start */
#define SN_TRAP_BASE    512                /* default start of the first */

/* In the constructor: take over an inherited filter; install one for a
 * Go program or SIMNET_TRAP=1/on/always; defer it otherwise (never with
 * SIMNET_TRAP=0/off).  `fd_base` is SIMNET_FD_BASE (0: unset). */
void sn_trap_start(int fd_base);
/* Deferred: install it now, for every thread, once (trap.c says when
 * this is called).  Free when there is nothing to do. */
extern int sn_trap_pending;
void sn_trap_need_slow(void);
static inline void sn_trap_need(void)
{
    if (__builtin_expect(__atomic_load_n(&sn_trap_pending, __ATOMIC_ACQUIRE) != 0, 0))
        sn_trap_need_slow();
}
/* Installed, or deferred and may be at any moment: SIGSYS must stay
 * deliverable in every thread (sigmask.c, signals.c). */
bool sn_trap_armed(void);
/* The filter is active in this process (and the gate mapped). */
bool sn_trap_on(void);
/* The first range's start (0 when the trap is off). */
int  sn_trap_base(void);
/* fd lies in a range the filter tests. */
bool sn_trap_in_range(int fd);
/* Move a new fd of ours (a placeholder, an epoll instance) into a range
 * the filter tests; the new number, or fd itself when it cannot move
 * (then only the interposed functions see it).  Trap off: fd. */
int  sn_trap_place(int fd, bool cloexec);
/* This thread is running a caught call (the SIGSYS handler). */
bool sn_trap_caught(void);

/* ---- between the trap's files ---- */

/* The probe the filter answers (a seccomp operation Linux does not
 * have): PROBE_ID says "ours, this version", PROBE_BASE gives the base
 * its ranges start at.  A changed filter changes the version. */
#define SN_TRAP_PROBE_ID     0x5e5e0000u
#define SN_TRAP_PROBE_BASE   0x5e5e0001u
#define SN_TRAP_PROBE_ANSWER 4012          /* 4000 + version; errnos end at 4095 */

struct sock_fprog;
/* The filter for ranges starting at base (trap_filter_linux.c): 0, or
 * -errno when it does not assemble. */
int  sn_trap_filter(struct sock_fprog *out, int base);

/* Map the gate, install the handler, switch the library's own calls to
 * the gate (sn_real_gate), install the filter on every thread (TSYNC)
 * (trap_linux.c): 0, or -errno with *what naming the step that failed. */
int  sn_trap_os_install(int base, const char **what);
/* The inherited filter's base (probe), or 0 when there is none of ours. */
int  sn_trap_os_probe(void);
/* Map the gate and install the handler only (a filter exists already). */
int  sn_trap_os_attach(const char **what);
/* The SIGSYS handler's body: run system call nr with its six arguments
 * as the interposed functions would, -errno or the result (trap.c). */
long sn_trap_call(long nr, const long a[6]);
/* A SIGSYS the filter did not raise: what the program asked for (its own
 * handler, ignore, or die of it: signals.c). */
void sn_sigsys_program(int sig, void *si, void *uc);
/* execve/execveat caught: check what the new image will be, mend its
 * environment if the library was left out of it, and exec (trap_exec.c). */
long sn_trap_exec(long nr, const long a[6]);
/* Deferred trap, before an exec of fd (>= 0) or path (searched in PATH
 * when `search`) with envp: install it if the new image would run
 * without the library (trap_exec.c). */
void sn_trap_exec_need(int fd, const char *path, bool search, char *const *envp);
/* The library's file, for putting it back into LD_PRELOAD. */
extern char sn_trap_self[];

#endif
