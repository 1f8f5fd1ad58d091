/*
 * trap_signals — signals around caught system calls.  A raw recvfrom
 * blocked on a TCP socket is interrupted by a handler: without SA_RESTART
 * it fails with EINTR, with SA_RESTART it goes on and gets the data; the
 * handler itself makes a raw call on a socket (under the library a
 * second trap inside the first).  The sockets are made with raw calls.  The program replaces SIGSYS's action
 * with a raw rt_sigaction and blocks SIGSYS with sigprocmask: both
 * succeed as on the kernel, and raw socket calls keep working (under the
 * library they would otherwise end the process).
 */
#include "probe.h"
#include <stdbool.h>
#include <sys/syscall.h>

#define RAW(...) syscall(__VA_ARGS__)

static volatile sig_atomic_t ran, inner_ok;
static int inner_fd;

static void on_usr1(int sig)
{
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    int e = errno;
    ran++;
    inner_ok = RAW(SYS_getsockname, inner_fd, &a, &al) == 0 && a.sin_family == AF_INET;
    errno = e;
}

/* The child: a signal to the parent at 150 ms, data at 300 ms. */
static pid_t poke(int s)
{
    pid_t parent = getpid(), pid = fork();
    if (pid == 0) {
        sleep_ms(150);
        kill(parent, SIGUSR1);
        sleep_ms(150);
        _exit(RAW(SYS_sendto, s, "data", 4, 0, NULL, 0) == 4 ? 0 : 1);
    }
    return pid;
}

/* A connected pair made with raw calls too: the trap catches raw calls
 * on the sockets raw calls made (libc's keep their own numbers). */
static void raw_pair(int *c, int *s)
{
    struct sockaddr_in a = sa4("127.0.0.1", 0);
    socklen_t al = sizeof a;
    int l = (int)NEED(RAW(SYS_socket, AF_INET, SOCK_STREAM, 0));
    NEED(RAW(SYS_bind, l, &a, sizeof a));
    NEED(RAW(SYS_listen, l, 1));
    NEED(RAW(SYS_getsockname, l, &a, &al));
    *c = (int)NEED(RAW(SYS_socket, AF_INET, SOCK_STREAM, 0));
    NEED(RAW(SYS_connect, *c, &a, sizeof a));
    *s = (int)NEED(RAW(SYS_accept, l, NULL, NULL));
    RAW(SYS_close, l);
}

static void interrupted(bool restart, bool onstack)
{
    int c, s;
    raw_pair(&c, &s);
    inner_fd = c;
    struct sigaction sa = {.sa_handler = on_usr1,
                           .sa_flags = (restart ? SA_RESTART : 0) | (onstack ? SA_ONSTACK : 0)};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    ran = inner_ok = 0;
    pid_t pid = poke(s);
    char buf[8] = {0};
    const char *label = onstack   ? "recv SA_RESTART|SA_ONSTACK, small sigaltstack"
                        : restart ? "recv SA_RESTART"
                                  : "recv no SA_RESTART";
    SHOW(label, RAW(SYS_recvfrom, c, buf, sizeof buf, 0, NULL, NULL));
    say("handler ran=%d inner call ok=%d\n", (int)ran, (int)inner_ok);
    int st;
    waitpid(pid, &st, 0);
    SHOW("recv after", RAW(SYS_recvfrom, c, buf, sizeof buf, MSG_DONTWAIT, NULL, NULL));
    RAW(SYS_close, c);
    RAW(SYS_close, s);
}

/* The kernel's struct sigaction for a raw rt_sigaction. */
struct ksa {
    void *handler;
    unsigned long flags;
    void *restorer;
    unsigned long mask;
};

static void sigsys_taken(void)
{
    struct ksa k = {.handler = SIG_IGN};
    SHOW("raw rt_sigaction SIGSYS ignore", RAW(SYS_rt_sigaction, SIGSYS, &k, NULL, 8));
    sigset_t m, old;
    sigemptyset(&m);
    sigaddset(&m, SIGSYS);
    SHOW("sigprocmask block SIGSYS", sigprocmask(SIG_BLOCK, &m, NULL));
    SHOW("sigprocmask query", sigprocmask(SIG_BLOCK, NULL, &old));
    say("SIGSYS blocked as seen=%d\n", sigismember(&old, SIGSYS));
    SHOW("pthread_sigmask block all", ({ sigfillset(&m); pthread_sigmask(SIG_BLOCK, &m, NULL); }));
    int fd = (int)SHOWFD("raw socket with SIGSYS blocked", RAW(SYS_socket, AF_INET, SOCK_DGRAM, 0));
    struct sockaddr_in a = sa4("127.0.0.1", 0);
    SHOW("raw bind", RAW(SYS_bind, fd, &a, sizeof a));
    SHOW("raw close", RAW(SYS_close, fd));
    sigemptyset(&m);
    SHOW("unblock all", sigprocmask(SIG_SETMASK, &m, NULL));
    SHOW("sigprocmask query", sigprocmask(SIG_BLOCK, NULL, &old));
    say("SIGSYS blocked as seen=%d\n", sigismember(&old, SIGSYS));
}

int main(void)
{
    probe_init();
    interrupted(false, false);
    interrupted(true, false);
    /* A small alternate stack (the kernel's SIGSYS frames land there too
     * under the library). */
    static char alt[16384];
    stack_t st = {.ss_sp = alt, .ss_size = sizeof alt};
    SHOW("sigaltstack", sigaltstack(&st, NULL));
    interrupted(true, true);
    stack_t now;
    sigaltstack(NULL, &now);
    CHECK("sigaltstack kept", now.ss_sp == alt && now.ss_size == sizeof alt && !(now.ss_flags & SS_DISABLE));
    sigsys_taken();
    return 0;
}
