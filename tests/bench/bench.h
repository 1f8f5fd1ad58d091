/*
 * bench.h — helpers shared by the benchmark programs (tests/bench/ *.c files).
 *
 * A benchmark is a plain socket program: started plainly it measures the
 * kernel's loopback (127.0.0.1 only), started with LD_PRELOAD=libsimnet.so
 * it measures the simulated network.  It checks every byte it receives and
 * exits non-zero on any mismatch, so a broken library never looks fast.
 *
 * Output, on stdout, one line per figure, parsed by scripts/bench:
 *
 *     RESULT <name> <value> <unit> <higher|lower|info>
 *
 * ("higher"/"lower": which direction is better; "info": not compared).
 * Diagnostics go to stderr.  Exit status: 0 ok, 3 data mismatch, other
 * non-zero for any other failure.  Every program bounds itself with
 * alarm(), and its forked peers die with it (PR_SET_PDEATHSIG): a hang
 * ends in SIGALRM, never in a stuck run.
 *
 * Environment: BENCH_SECS, the length of one measurement (default 0.4 s).
 * BENCH_SERVER_HOST=NAME (rr and conn, through fork_server): under
 * libsimnet, the server part runs on host NAME, the client on the
 * program's own host (SIMNET_HOST), and connects to NAME's address; on
 * the kernel, the loopback as always.  Either way the figures are named
 * with "_hosts" appended, so that the kernel's loopback figure and the
 * two hosts' one stand in one row.
 */
#ifndef BENCH_H
#define BENCH_H

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LOOPBACK "127.0.0.1"

static inline void die(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));
static inline void die(const char *fmt, ...)
{
    int e = errno;
    va_list ap;
    fprintf(stderr, "bench[%d]: ", (int)getpid());
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (fmt[0] && fmt[strlen(fmt) - 1] == ':')
        fprintf(stderr, " %s", strerror(e));
    fputc('\n', stderr);
    _exit(2);
}

/* A mismatch in received data: its own exit status (3). */
static inline void corrupt(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));
static inline void corrupt(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "bench[%d]: DATA MISMATCH: ", (int)getpid());
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    _exit(3);
}

static inline uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline double bench_secs(void)
{
    const char *s = getenv("BENCH_SECS");
    double v = s ? atof(s) : 0.4;
    return v > 0.01 && v < 30 ? v : 0.4;
}

/* Bound the whole program: SIGALRM's default action ends it.  A forked
 * peer does not inherit the alarm: it calls child_init(). */
static inline void bench_bound(unsigned secs)
{
    alarm(secs);
}

/* The server's parent when it was re-executed on a host of its own
 * (fork_server), else 0. */
static pid_t bench_server_parent;

/* In a forked peer: bound it, and end it if the parent dies first (a
 * parent that found a mismatch must not leave its peer spinning). */
static inline void child_init(pid_t parent, unsigned secs)
{
    alarm(secs);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != (bench_server_parent ? bench_server_parent : parent))
        _exit(2);
}

static inline void result(const char *name, double v, const char *unit,
                          const char *better)
{
    printf("RESULT %s%s %.6g %s %s\n", name, getenv("BENCH_SERVER_HOST") ? "_hosts" : "",
           v, unit, better);
    fflush(stdout);
}

/* Raise the soft fd limit to `want` (or to the hard limit). */
static inline int raise_nofile(rlim_t want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    if (rl.rlim_cur >= want)
        return (int)rl.rlim_cur;
    rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    return (int)rl.rlim_cur;
}

/* The k-th CPU (k = 0, 1, ...) this process may run on, or -1. */
static inline int allowed_cpu(int k)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return -1;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &set) && k-- == 0)
            return c;
    return -1;
}

static inline void pin_cpu(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0)
        die("sched_setaffinity(%d):", cpu);
}

/* ---- sockets (127.0.0.1 only) ---- */

/* Where tcp_connect connects: 127.0.0.1, or the server's host. */
static struct in_addr bench_server_addr = {.s_addr = 0x0100007f};

static inline int tcp_listener_at(int *port, int backlog, const char *addr);
static inline int tcp_listener(int *port, int backlog)
{
    return tcp_listener_at(port, backlog, LOOPBACK);
}

static inline int tcp_listener_at(int *port, int backlog, const char *addr)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        die("socket:");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET };
    a.sin_addr.s_addr = inet_addr(addr);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0)
        die("bind:");
    if (listen(fd, backlog) != 0)
        die("listen:");
    socklen_t len = sizeof a;
    if (getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        die("getsockname:");
    *port = ntohs(a.sin_port);
    if (*port == 0)
        die("listener got port 0");
    return fd;
}

static inline int tcp_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        die("socket:");
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    a.sin_addr = bench_server_addr;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        die("connect %s:%d:", inet_ntoa(bench_server_addr), port);
    return fd;
}

static inline int tcp_accept(int lfd)
{
    int fd;
    do
        fd = accept(lfd, NULL, NULL);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        die("accept:");
    return fd;
}

static inline void nodelay(int fd)
{
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
        die("TCP_NODELAY:");
}

static inline void write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            die("write(%zu):", n);
        c += w;
        n -= (size_t)w;
    }
}

/* Read exactly n bytes; returns 0 on EOF before the first byte, n on
 * success, dies on an error or a short stream. */
static inline size_t read_all(int fd, void *p, size_t n)
{
    char *c = p;
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, c + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            die("read:");
        if (r == 0) {
            if (got == 0)
                return 0;
            corrupt("EOF after %zu of %zu bytes", got, n);
        }
        got += (size_t)r;
    }
    return n;
}

/* A listener and a forked server process holding it: returns fork's
 * answer, *lfd and *port set in both.  With BENCH_SERVER_HOST under
 * libsimnet (SIMNET_NETWORK set), a process's host is fixed when its
 * program starts, so the child runs the program again (argv, the same
 * options) with SIMNET_HOST set to that host; there this function makes
 * a wildcard listener, sends its port back through a pipe and returns 0
 * as in a forked child; the client connects to the host's address. */
static inline pid_t fork_server(char **argv, int *lfd, int *port, int backlog)
{
    const char *host = getenv("BENCH_SERVER_HOST"), *back = getenv("BENCH_SERVE_FD");
    if (back) {                                   /* the server, re-executed */
        bench_server_parent = getppid();
        *lfd = tcp_listener_at(port, backlog, "0.0.0.0");
        int32_t p = *port;
        if (write(atoi(back), &p, sizeof p) != sizeof p)
            die("write port:");
        close(atoi(back));
        return 0;
    }
    if (!host || !getenv("SIMNET_NETWORK")) {
        *lfd = tcp_listener(port, backlog);
        return fork();
    }
    int pp[2];
    if (pipe(pp) != 0)
        die("pipe:");
    pid_t pid = fork();
    if (pid < 0)
        die("fork:");
    if (pid == 0) {
        char fd[16];
        snprintf(fd, sizeof fd, "%d", pp[1]);
        close(pp[0]);
        setenv("SIMNET_HOST", host, 1);
        setenv("BENCH_SERVE_FD", fd, 1);
        execv("/proc/self/exe", argv);
        die("exec /proc/self/exe:");
    }
    close(pp[1]);
    int32_t p = 0;
    ssize_t n;
    while ((n = read(pp[0], &p, sizeof p)) < 0 && errno == EINTR)
        ;
    if (n != sizeof p)
        die("the server on host %s sent no port", host);
    close(pp[0]);
    *port = p;
    *lfd = -1;
    struct addrinfo h = {.ai_family = AF_INET}, *r;
    int e = getaddrinfo(host, NULL, &h, &r);
    if (e)
        die("getaddrinfo(%s): %s", host, gai_strerror(e));
    bench_server_addr = ((struct sockaddr_in *)r->ai_addr)->sin_addr;
    freeaddrinfo(r);
    return pid;
}

/* Wait for a forked child; 0 if it exited 0, else complain and return -1. */
static inline int reap(pid_t pid, const char *what)
{
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            die("waitpid:");
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    if (WIFEXITED(st))
        fprintf(stderr, "bench: %s exited %d\n", what, WEXITSTATUS(st));
    else
        fprintf(stderr, "bench: %s killed by signal %d\n", what, WTERMSIG(st));
    return -1;
}

/* ---- data patterns ---- */

/* A stream byte at offset i is pat[i % PAT_PERIOD]: a prime period, so a
 * lost, repeated or reordered 64 KiB block shows.  The buffer holds one
 * period plus PAT_SLACK bytes, so pat + (off % PAT_PERIOD) can be read or
 * compared for up to PAT_SLACK bytes in one go. */
#define PAT_PERIOD 65521u
#define PAT_SLACK  (256u * 1024u)

static inline unsigned char *pattern_new(void)
{
    unsigned char *p = malloc(PAT_PERIOD + PAT_SLACK);
    if (!p)
        die("malloc:");
    uint32_t x = 2463534242u;
    for (unsigned i = 0; i < PAT_PERIOD; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        p[i] = (unsigned char)(x >> 11);
    }
    for (unsigned i = PAT_PERIOD; i < PAT_PERIOD + PAT_SLACK; i++)
        p[i] = p[i % PAT_PERIOD];
    return p;
}

/* Byte i of message number seq on channel ch (request/response tests). */
static inline unsigned char msg_byte(uint32_t ch, uint64_t seq, uint32_t i)
{
    uint64_t h = (seq + 1) * 0x9e3779b97f4a7c15ull ^ ((uint64_t)ch << 32) ^ i;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return (unsigned char)h;
}

static inline void msg_fill(unsigned char *b, size_t n, uint32_t ch, uint64_t seq)
{
    for (size_t i = 0; i < n; i++)
        b[i] = msg_byte(ch, seq, (uint32_t)i);
}

/* Responses are requests with every byte XOR 0xA5: a server that echoed
 * without reading (or a stale buffer) fails the check. */
#define REPLY_XOR 0xA5

static inline int msg_check_reply(const unsigned char *b, size_t n, uint32_t ch,
                                  uint64_t seq)
{
    for (size_t i = 0; i < n; i++)
        if (b[i] != (unsigned char)(msg_byte(ch, seq, (uint32_t)i) ^ REPLY_XOR))
            return (int)i;
    return -1;
}

static inline int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Percentile q (0..1) of n sorted values. */
static inline uint64_t pct(const uint64_t *v, size_t n, double q)
{
    size_t i = (size_t)(q * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

#endif
