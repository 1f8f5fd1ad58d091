/* The trap (trap.h): starting it, the ranges of simulated fds, and what a
 * caught system call becomes.  A caught call on an fd the library does not
 * simulate (a file the program opened at a number in the range) is made
 * as it was, through the gate; everything else goes to the interposed
 * function of the same name, so results and errnos are the same as for a
 * call through libc. */
#include "preload/trap.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/sys_linux.h"
#include "preload/epoll.h"
#include "preload/fdtab.h"
#include "preload/real.h"

static int  base;       /* 0: the trap is off (not installed) */
char        sn_trap_self[PATH_MAX];

bool sn_trap_on(void) { return __atomic_load_n(&base, __ATOMIC_ACQUIRE) > 0; }
int  sn_trap_base(void) { return base; }

bool sn_trap_in_range(int fd)
{
    return base > 0 && ((fd >= base && fd < SN_TRAP_LOW_END) || fd >= SN_TRAP_HIGH);
}

static void say(const char *what, int err)
{
    char line[300];
    int n = snprintf(line, sizeof line,
                     "libsimnet: %s (%s): system calls that bypass libc are not simulated\n",
                     what, strerror(err));
    if (n > 0)
        sn_raw_syscall6(SYS_write, 2, (long)line,
                        n < (int)sizeof line ? n : (int)sizeof line - 1, 0, 0, 0);
}

/* ---- when the filter goes in ----
 * Any seccomp filter costs every system call of the process (the
 * kernel's slow path: ~15 ns, ~10% of a write to /dev/null, even for the
 * numbers its action cache lets through), and installing it ~0.2 ms.  So
 * a process installs it at start only when it must (an inherited
 * filter, which cannot go), when the program bypasses libc by nature (a
 * Go binary), or when asked (SIMNET_TRAP=always); otherwise at the first
 * moment something could bypass libc with an inet socket: the first
 * simulated socket, a name lookup (the resolver makes its own), a raw
 * syscall() of a socket number, fdopen of a socket, an exec of a program
 * that runs without the library (sn_trap_need's callers).  docs/design.md
 * says what this leaves uncovered. */

int                    sn_trap_pending;   /* deferred: the base to install at */
static pthread_mutex_t late = PTHREAD_MUTEX_INITIALIZER;

bool sn_trap_armed(void)
{
    return sn_trap_on() || __atomic_load_n(&sn_trap_pending, __ATOMIC_ACQUIRE) > 0;
}

/* The main program carries Go's build-id note (name "Go", type 4) in a
 * PT_NOTE segment: the Go runtime makes its system calls itself. */
static int go_note(struct dl_phdr_info *info, size_t size, void *found)
{
    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr);
        const char *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
            const char *name = p + sizeof *n;
            if ((n->n_namesz == 3 || n->n_namesz == 4) && n->n_type == 4 &&
                name + 4 <= end && memcmp(name, "Go\0", 3) == 0) {
                *(bool *)found = true;
                return 1;
            }
            p = name + ((n->n_namesz + 3) & ~3u) + ((n->n_descsz + 3) & ~3u);
        }
    }
    return 1;                       /* the first entry is the program: done */
}

static bool is_go(void)
{
    bool found = false;
    dl_iterate_phdr(go_note, &found);
    return found;
}

/* Filter, gate and handler (sn_real_gate is made in between: the
 * library's calls go through the gate before anything is caught). */
static void install(int b)
{
    const char *what = "";
    int r = sn_trap_os_install(b, &what);
    if (r < 0) {
        /* Once per tree of processes: the children would say the same. */
        if (!getenv("SIMNET_TRAP_SAID")) {
            say(what, -r);
            setenv("SIMNET_TRAP_SAID", "1", 1);
        }
        return;
    }
    __atomic_store_n(&base, b, __ATOMIC_RELEASE);
}

void sn_trap_need_slow(void)
{
    pthread_mutex_lock(&late);
    int b = __atomic_load_n(&sn_trap_pending, __ATOMIC_ACQUIRE);
    if (b > 0) {
        /* The program's SIGSYS action, if it set one, is kept in the
         * view the trap gives (signals.c) once the handler is ours. */
        struct sigaction prog;
        bool had = sigaction(SIGSYS, NULL, &prog) == 0;
        install(b);
        if (had && sn_trap_on())
            sigaction(SIGSYS, &prog, NULL);
        __atomic_store_n(&sn_trap_pending, 0, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&late);
}

/* A fork while another thread installs: the child gets the install done
 * (or not begun), never the lock held by a thread it does not have. */
static void late_lock(void) { pthread_mutex_lock(&late); }
static void late_unlock(void) { pthread_mutex_unlock(&late); }

void sn_trap_start(int fd_base)
{
    Dl_info di;
    if (dladdr((void *)sn_trap_start, &di) && di.dli_fname)
        snprintf(sn_trap_self, sizeof sn_trap_self, "%s", di.dli_fname);
    int inherited = sn_trap_os_probe();
    if (inherited > 0) {
        /* The filter of an image before this one is still there, and
         * cannot go: take it over whatever SIMNET_TRAP says. */
        const char *what = "";
        int r = sn_trap_os_attach(&what);
        if (r < 0) {
            say(what, -r);
        } else {
            sn_real_gate();
            base = inherited;
        }
        return;
    }
    const char *m = getenv("SIMNET_TRAP");
    if (m && (strcmp(m, "0") == 0 || strcasecmp(m, "off") == 0))
        return;
    int b = fd_base > 0 && fd_base < SN_TRAP_LOW_END ? fd_base : SN_TRAP_BASE;
    bool now = m && (strcmp(m, "1") == 0 || strcasecmp(m, "on") == 0 ||
                     strcasecmp(m, "always") == 0);
    if (m && *m && !now && !getenv("SIMNET_TRAP_SAID")) {
        /* "false" or "no" must not pass for off unnoticed; once per tree
         * of processes, as the other lines of the trap */
        setenv("SIMNET_TRAP_SAID", "1", 1);
        char line[200];
        int n = snprintf(line, sizeof line, "libsimnet: ignoring invalid SIMNET_TRAP '%.40s'"
                         " (0, off, 1, on or always)\n", m);
        if (n > 0)
            sn_raw_syscall6(SYS_write, 2, (long)line,
                            n < (int)sizeof line ? n : (int)sizeof line - 1, 0, 0, 0);
    }
    if (now || is_go() || pthread_atfork(late_lock, late_unlock, late_unlock) != 0)
        install(b);
    else
        sn_trap_pending = b;
}

/* fd moved to where the filter looks ([base, SN_TRAP_LOW_END), else at
 * or above SN_TRAP_HIGH) by `dup` (F_DUPFD at or above `at`) and `drop`
 * (close); fd itself when it cannot move (the fd limit is lower). */
static int move_up(int fd, bool cloexec, long (*dup)(int fd, int at, bool cloexec),
                   void (*drop)(int fd))
{
    if (fd < 0 || sn_trap_in_range(fd))
        return fd;
    long n = dup(fd, fd < base ? base : SN_TRAP_HIGH, cloexec);
    if (n >= SN_TRAP_LOW_END && n < SN_TRAP_HIGH) {
        long m = dup((int)n, SN_TRAP_HIGH, cloexec);
        drop((int)n);
        n = m;
    }
    if (n < 0)
        return fd;
    drop(fd);
    return (int)n;
}

/* A socket's fd: moved by raw calls, through the gate. */
static long raw_dup(int fd, int at, bool cloexec)
{
    return sn_raw_syscall6(SYS_fcntl, fd, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, at, 0, 0, 0);
}
static void raw_close(int fd)
{
    sn_raw_syscall6(SYS_close, fd, 0, 0, 0, 0, 0);
}

int sn_trap_place(int fd, bool cloexec)
{
    return base ? move_up(fd, cloexec, raw_dup, raw_close) : fd;
}

/* ---- a caught call ---- */

static bool simulated(int fd)
{
    return sn_fd_slot(fd) >= 0 || sn_epoll_is(fd);
}

/* The interposed function's answer as the kernel gives it. */
static long K(long r)
{
    return r < 0 ? -errno : r;
}

#define I(x) ((int)(x))
#define U(x) ((unsigned)(x))
#define P(x) ((void *)(x))

/* An epoll instance made by a caught call moves to where the filter
 * looks, so that the same code's raw epoll_wait on it is caught too (Go's
 * poller).  One made through libc keeps the lowest free number, as
 * Linux gives: the library sees its waits anyway.  The move goes through
 * the interposed fcntl and close, which carry the instance along. */
static long libc_dup(int fd, int at, bool cloexec)
{
    return fcntl(fd, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, at);
}
static void libc_close(int fd)
{
    close(fd);
}
static long epoll_placed(int fd, bool cloexec)
{
    return fd < 0 ? -errno : move_up(fd, cloexec, libc_dup, libc_close);
}

/* Those taking pointers to fds, or making one: always ours to run. */
static long call_any(long nr, const long a[6], bool *done)
{
    *done = true;
    switch (nr) {
    case SYS_socket:
        return K(socket(I(a[0]), I(a[1]), I(a[2])));
    case SYS_poll:
        return K(poll(P(a[0]), (nfds_t)a[1], I(a[2])));
    case SYS_ppoll:
        return K(ppoll(P(a[0]), (nfds_t)a[1], P(a[2]), P(a[3])));
    case SYS_select:
        return K(select(I(a[0]), P(a[1]), P(a[2]), P(a[3]), P(a[4])));
    case SYS_pselect6: {
        const struct { const sigset_t *ss; size_t len; } *d = P(a[5]);
        return K(pselect(I(a[0]), P(a[1]), P(a[2]), P(a[3]), P(a[4]), d ? d->ss : NULL));
    }
    case SYS_epoll_create:
        return epoll_placed(epoll_create(I(a[0])), false);
    case SYS_epoll_create1:
        return epoll_placed(epoll_create1(I(a[0])), a[0] & EPOLL_CLOEXEC);
    case SYS_execve:
    case SYS_execveat:
        return sn_trap_exec(nr, a);
    }
    *done = false;
    return 0;
}

static long call_fd(long nr, const long a[6])
{
    int fd = I(a[0]);
    switch (nr) {
    case SYS_read:        return K(read(fd, P(a[1]), (size_t)a[2]));
    case SYS_write:       return K(write(fd, P(a[1]), (size_t)a[2]));
    case SYS_readv:       return K(readv(fd, P(a[1]), I(a[2])));
    case SYS_writev:      return K(writev(fd, P(a[1]), I(a[2])));
    case SYS_close:       return K(close(fd));
    case SYS_recvfrom:    return K(recvfrom(fd, P(a[1]), (size_t)a[2], I(a[3]), P(a[4]), P(a[5])));
    case SYS_sendto:      return K(sendto(fd, P(a[1]), (size_t)a[2], I(a[3]), P(a[4]), (socklen_t)a[5]));
    case SYS_recvmsg:     return K(recvmsg(fd, P(a[1]), I(a[2])));
    case SYS_sendmsg:     return K(sendmsg(fd, P(a[1]), I(a[2])));
    case SYS_recvmmsg:    return K(recvmmsg(fd, P(a[1]), U(a[2]), I(a[3]), P(a[4])));
    case SYS_sendmmsg:    return K(sendmmsg(fd, P(a[1]), U(a[2]), I(a[3])));
    case SYS_connect:     return K(connect(fd, P(a[1]), (socklen_t)a[2]));
    case SYS_accept:      return K(accept(fd, P(a[1]), P(a[2])));
    case SYS_accept4:     return K(accept4(fd, P(a[1]), P(a[2]), I(a[3])));
    case SYS_bind:        return K(bind(fd, P(a[1]), (socklen_t)a[2]));
    case SYS_listen:      return K(listen(fd, I(a[1])));
    case SYS_shutdown:    return K(shutdown(fd, I(a[1])));
    case SYS_getsockname: return K(getsockname(fd, P(a[1]), P(a[2])));
    case SYS_getpeername: return K(getpeername(fd, P(a[1]), P(a[2])));
    case SYS_getsockopt:  return K(getsockopt(fd, I(a[1]), I(a[2]), P(a[3]), P(a[4])));
    case SYS_setsockopt:  return K(setsockopt(fd, I(a[1]), I(a[2]), P(a[3]), (socklen_t)a[4]));
    case SYS_fcntl:       return K(fcntl(fd, I(a[1]), a[2]));
    case SYS_ioctl:       return K(ioctl(fd, (unsigned long)a[1], a[2]));
    case SYS_dup:         return K(dup(fd));
    case SYS_dup2:        return K(dup2(fd, I(a[1])));
    case SYS_dup3:        return K(dup3(fd, I(a[1]), I(a[2])));
    case SYS_sendfile:    return K(sendfile64(fd, I(a[1]), P(a[2]), (size_t)a[3]));
    case SYS_epoll_ctl:   return K(epoll_ctl(fd, I(a[1]), I(a[2]), P(a[3])));
    case SYS_epoll_wait:  return K(epoll_wait(fd, P(a[1]), I(a[2]), I(a[3])));
    case SYS_epoll_pwait: return K(epoll_pwait(fd, P(a[1]), I(a[2]), I(a[3]), P(a[4])));
    case SYS_epoll_pwait2:
        return K(epoll_pwait2(fd, P(a[1]), I(a[2]), P(a[3]), P(a[4])));
    }
    return -ENOSYS;
}

long sn_trap_call(long nr, const long a[6])
{
    if (!__atomic_load_n(&sn_sys_gate, __ATOMIC_RELAXED))
        return -ENOSYS;             /* no gate: nothing can be made */
    bool done;
    long r = call_any(nr, a, &done);
    if (done)
        return r;
    bool ours = simulated(I(a[0])) ||
                ((nr == SYS_dup2 || nr == SYS_dup3) && simulated(I(a[1]))) ||
                (nr == SYS_epoll_ctl && simulated(I(a[2])));
    if (!ours)                      /* a file, pipe, ... at a number in range */
        return sn_raw_syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    return call_fd(nr, a);
}
