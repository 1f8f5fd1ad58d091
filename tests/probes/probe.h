/*
 * probe.h — helpers shared by the differential probe programs.
 *
 * A probe is a standalone program whose output must be byte-identical when
 * it runs on the real kernel and when it runs under libsimnet (see
 * tests/test_diff.c).  The kernel run is the expectation, so a probe must
 * only print facts that are deterministic on the kernel:
 *
 *   - never fd numbers, ephemeral port numbers, timings or buffer sizes the
 *     kernel autotunes: print booleans/comparisons instead (port_nonzero=1);
 *   - only one process/thread prints (the main one), so lines never
 *     interleave; forked peers report through their exit status;
 *   - only loopback addresses (127.0.0.0/8, ::1) are ever connected/sent to.
 *
 * Everything here is `static inline` so a probe that does not use a helper
 * does not trip -Wunused-function.  Nothing above the "Readiness" section
 * uses poll/select/epoll; the helpers there serve the ready_* probes only.
 */
#ifndef PROBE_H
#define PROBE_H

#include <arpa/inet.h>
#include <poll.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* errno names                                                         */
/* ------------------------------------------------------------------ */

/* Symbolic name of an errno value ("ECONNREFUSED").  Aliases that share a
 * value with another name (EWOULDBLOCK, EDEADLOCK, ENOTSUP) are omitted so
 * each value has exactly one spelling. */
static inline const char *errname(int e)
{
    switch (e) {
#define E_(x) case x: return #x;
    E_(EPERM) E_(ENOENT) E_(ESRCH) E_(EINTR) E_(EIO) E_(ENXIO) E_(E2BIG)
    E_(ENOEXEC) E_(EBADF) E_(ECHILD) E_(EAGAIN) E_(ENOMEM) E_(EACCES)
    E_(EFAULT) E_(ENOTBLK) E_(EBUSY) E_(EEXIST) E_(EXDEV) E_(ENODEV)
    E_(ENOTDIR) E_(EISDIR) E_(EINVAL) E_(ENFILE) E_(EMFILE) E_(ENOTTY)
    E_(ETXTBSY) E_(EFBIG) E_(ENOSPC) E_(ESPIPE) E_(EROFS) E_(EMLINK)
    E_(EPIPE) E_(EDOM) E_(ERANGE) E_(EDEADLK) E_(ENAMETOOLONG) E_(ENOLCK)
    E_(ENOSYS) E_(ENOTEMPTY) E_(ELOOP) E_(ENOMSG) E_(EIDRM) E_(ENOSTR)
    E_(ENODATA) E_(ETIME) E_(ENOSR) E_(EREMOTE) E_(ENOLINK) E_(EPROTO)
    E_(EMULTIHOP) E_(EBADMSG) E_(EOVERFLOW) E_(EILSEQ) E_(EUSERS)
    E_(ENOTSOCK) E_(EDESTADDRREQ) E_(EMSGSIZE) E_(EPROTOTYPE)
    E_(ENOPROTOOPT) E_(EPROTONOSUPPORT) E_(ESOCKTNOSUPPORT) E_(EOPNOTSUPP)
    E_(EPFNOSUPPORT) E_(EAFNOSUPPORT) E_(EADDRINUSE) E_(EADDRNOTAVAIL)
    E_(ENETDOWN) E_(ENETUNREACH) E_(ENETRESET) E_(ECONNABORTED)
    E_(ECONNRESET) E_(ENOBUFS) E_(EISCONN) E_(ENOTCONN) E_(ESHUTDOWN)
    E_(ETOOMANYREFS) E_(ETIMEDOUT) E_(ECONNREFUSED) E_(EHOSTDOWN)
    E_(EHOSTUNREACH) E_(EALREADY) E_(EINPROGRESS) E_(ESTALE) E_(EDQUOT)
    E_(ECANCELED) E_(EOWNERDEAD) E_(ENOTRECOVERABLE)
#undef E_
    case 0: return "0";
    }
    static char buf[32];
    snprintf(buf, sizeof buf, "E#%d", e);
    return buf;
}

/* ------------------------------------------------------------------ */
/* Reporting                                                           */
/* ------------------------------------------------------------------ */

#define say(...) printf(__VA_ARGS__)

/* Print "label: ret=N" or "label: ret=-1 errno=ENAME"; restores errno so
 * the caller can still branch on it. */
static inline long probe_report(const char *label, long ret, int err)
{
    if (ret < 0)
        printf("%s: ret=%ld errno=%s\n", label, ret, errname(err));
    else
        printf("%s: ret=%ld\n", label, ret);
    errno = err;
    return ret;
}

/* Like probe_report but for calls whose success value is not deterministic
 * (file descriptors): success prints "label: ok". */
static inline long probe_report_ok(const char *label, long ret, int err)
{
    if (ret < 0)
        printf("%s: ret=%ld errno=%s\n", label, ret, errname(err));
    else
        printf("%s: ok\n", label);
    errno = err;
    return ret;
}

/* SHOW(label, call): run call, print its return value (and errno if <0),
 * evaluate to the return value.  SHOWFD: same but success prints "ok". */
#define SHOW(label, expr) \
    ({ errno = 0; long r_ = (long)(expr); probe_report((label), r_, errno); })
#define SHOWFD(label, expr) \
    ({ errno = 0; long r_ = (long)(expr); probe_report_ok((label), r_, errno); })

/* QUIET(call): run call, return its value, leave errno intact (no print). */
#define QUIET(expr) ({ errno = 0; long r_ = (long)(expr); r_; })

/* NEED(call): a setup step that must succeed.  On failure print the
 * (deterministic) source text and line and exit, so a broken setup shows
 * up in the diff instead of cascading into confusing later lines. */
#define NEED(expr)                                                        \
    ({                                                                    \
        errno = 0;                                                        \
        long r_ = (long)(expr);                                           \
        if (r_ < 0) {                                                     \
            printf("SETUP FAILED line %d: %s: errno=%s\n", __LINE__,      \
                   #expr, errname(errno));                                \
            fflush(stdout);                                               \
            _exit(1);                                                     \
        }                                                                 \
        r_;                                                               \
    })

/* CHECK(label, cond): print "label=1" or "label=0". */
#define CHECK(label, cond) printf("%s=%d\n", (label), (cond) ? 1 : 0)

/* ------------------------------------------------------------------ */
/* Process setup                                                       */
/* ------------------------------------------------------------------ */

/* Call first thing in main().  Line-buffered stdout so output ordering is
 * the same whether stdout is a tty or a pipe and a fork never duplicates
 * buffered text; alarm(10) so a hang becomes a visible failure (death by
 * SIGALRM) instead of blocking the suite; SIGPIPE ignored so writes to a
 * broken connection report EPIPE (the sigpipe probe installs a handler);
 * every signal unblocked in case the launcher left a mask behind. */
static inline void probe_init(void)
{
    sigset_t none;
    setvbuf(stdout, NULL, _IOLBF, 0);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_IGN);
    alarm(10);
}

/* ------------------------------------------------------------------ */
/* Time                                                                */
/* ------------------------------------------------------------------ */

static inline double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static inline void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Re-evaluate cond every millisecond for at most ms milliseconds; evaluates
 * to 1 if it became true.  Used only to wait for asynchronous kernel work
 * (a handshake, an ACK) whose *end state* is deterministic. */
#define WAIT_UNTIL(cond, ms)                                              \
    ({                                                                    \
        double end_ = now_ms() + (ms);                                    \
        int ok_ = 0;                                                      \
        for (;;) {                                                        \
            if (cond) { ok_ = 1; break; }                                 \
            if (now_ms() > end_) break;                                   \
            sleep_ms(1);                                                  \
        }                                                                 \
        ok_;                                                              \
    })

/* ------------------------------------------------------------------ */
/* Addresses                                                           */
/* ------------------------------------------------------------------ */

/* An address that is surely unmapped: it lies in page 0, which Linux never
 * maps (vm.mmap_min_addr).  It is read through a volatile so the compiler
 * cannot see the constant and warn or fortify-abort on it. */
static void *volatile probe_bad_ptr_ __attribute__((unused)) = (void *)1;
static inline void *bad_ptr(void) { return probe_bad_ptr_; }

static inline struct sockaddr_in sa4(const char *ip, int port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) {
        printf("bad v4 literal %s\n", ip);
        _exit(1);
    }
    return a;
}

static inline struct sockaddr_in6 sa6(const char *ip, int port)
{
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, ip, &a.sin6_addr) != 1) {
        printf("bad v6 literal %s\n", ip);
        _exit(1);
    }
    return a;
}

/* Fill *ss with ip:port for the given family; return the address length. */
static inline socklen_t sa_make(int family, const char *ip, int port,
                                struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (family == AF_INET6) {
        struct sockaddr_in6 a = sa6(ip, port);
        memcpy(ss, &a, sizeof a);
        return sizeof a;
    }
    struct sockaddr_in a = sa4(ip, port);
    memcpy(ss, &a, sizeof a);
    return sizeof a;
}

static inline const char *family_name(int f)
{
    switch (f) {
    case AF_INET: return "AF_INET";
    case AF_INET6: return "AF_INET6";
    case AF_UNSPEC: return "AF_UNSPEC";
    }
    static char buf[32];
    snprintf(buf, sizeof buf, "AF#%d", f);
    return buf;
}

/* Port (host order) of a sockaddr, or -1 for an unknown family. */
static inline int sa_port(const void *sa)
{
    const struct sockaddr *s = sa;
    uint16_t p;
    if (s->sa_family != AF_INET && s->sa_family != AF_INET6)
        return -1;
    /* sin_port and sin6_port share offset 2; copying from there avoids
     * reading a sockaddr_in through a sockaddr_in6 pointer. */
    memcpy(&p, (const char *)sa + offsetof(struct sockaddr_in, sin_port), 2);
    return ntohs(p);
}

/* "family=AF_INET addr=127.0.0.1" — deliberately without the port, which
 * is usually ephemeral; callers print port facts separately. */
static inline const char *sa_str(const void *sa)
{
    static char buf[4][128];
    static int slot;
    char *out = buf[slot++ & 3];
    char ip[INET6_ADDRSTRLEN] = "?";
    const struct sockaddr *s = sa;
    if (s->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, ip,
                  sizeof ip);
    else if (s->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, ip,
                  sizeof ip);
    snprintf(out, 128, "family=%s addr=%s", family_name(s->sa_family), ip);
    return out;
}

/* Local / peer port of a socket (host order), -1 on error. */
static inline int local_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    return sa_port(&ss);
}

static inline int peer_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    return sa_port(&ss);
}

/* Print getsockname/getpeername of fd as "label: family=.. addr=..". */
static inline void show_name(const char *label, int fd, int peer)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int r = peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
                 : getsockname(fd, (struct sockaddr *)&ss, &len);
    if (r < 0)
        printf("%s: ret=-1 errno=%s\n", label, errname(errno));
    else
        printf("%s: %s len=%u\n", label, sa_str(&ss), (unsigned)len);
}

/* ------------------------------------------------------------------ */
/* Socket shortcuts (setup only: they abort the probe on failure)      */
/* ------------------------------------------------------------------ */

static inline int sock_bind(int family, int type, const char *ip, int port)
{
    struct sockaddr_storage ss;
    socklen_t len = sa_make(family, ip, port, &ss);
    int fd = NEED(socket(family, type, 0));
    NEED(bind(fd, (struct sockaddr *)&ss, len));
    return fd;
}

/* A TCP listener on ip:0; *port receives the chosen port. */
static inline int tcp_listener(int family, const char *ip, int backlog,
                               int *port)
{
    int fd = sock_bind(family, SOCK_STREAM, ip, 0);
    NEED(listen(fd, backlog));
    *port = local_port(fd);
    return fd;
}

static inline int tcp_connect(int family, const char *ip, int port)
{
    struct sockaddr_storage ss;
    socklen_t len = sa_make(family, ip, port, &ss);
    int fd = NEED(socket(family, SOCK_STREAM, 0));
    NEED(connect(fd, (struct sockaddr *)&ss, len));
    return fd;
}

/* A connected TCP pair inside this process: connect() to a loopback
 * listener completes without accept(), so no second thread is needed. */
static inline void tcp_pair(int family, int *client, int *server)
{
    int port;
    int lfd = tcp_listener(family, family == AF_INET6 ? "::1" : "127.0.0.1",
                           4, &port);
    *client = tcp_connect(family, family == AF_INET6 ? "::1" : "127.0.0.1",
                          port);
    *server = NEED(accept(lfd, NULL, NULL));
    close(lfd);
}

/* A UDP socket bound to ip:0; *port receives the chosen port. */
static inline int udp_bound(int family, const char *ip, int *port)
{
    int fd = sock_bind(family, SOCK_DGRAM, ip, 0);
    *port = local_port(fd);
    return fd;
}

/* A 127.0.0.1 (or ::1) port on which nothing listens: bind a TCP socket to
 * port 0 without listen() and keep it open (returned in *holder) so no one
 * else can take the port while we use it.  Connecting there is refused. */
static inline int dead_port(int family, int *holder)
{
    *holder = sock_bind(family, SOCK_STREAM,
                        family == AF_INET6 ? "::1" : "127.0.0.1", 0);
    return local_port(*holder);
}

/* The UDP counterpart of dead_port: a loopback UDP port where datagrams
 * from anyone but the holder are refused (ICMP port unreachable).  The
 * holder is bound to it and connected to itself, so the kernel's lookup
 * skips it for every other source, and nobody else can bind the port. */
static inline int dead_udp_port(int family, int *holder)
{
    const char *ip = family == AF_INET6 ? "::1" : "127.0.0.1";
    *holder = sock_bind(family, SOCK_DGRAM, ip, 0);
    int port = local_port(*holder);
    struct sockaddr_storage self;
    socklen_t len = sa_make(family, ip, port, &self);
    NEED(connect(*holder, (struct sockaddr *)&self, len));
    return port;
}

/* Port-sharing experiment: bind socket A (family fa, type ta) to ipa:0
 * (first setting IPV6_V6ONLY=v6only_a unless it is -1), then try to bind
 * socket B (fb, tb) to ipb on the same port; return B's bind result with
 * errno.  A port picked for A is only guaranteed free for A: an unrelated
 * process may hold the same number on B's address, so an EADDRINUSE is
 * retried with a fresh port (expected conflicts fail every time anyway). */
static inline int bind_pair(int fa, int ta, const char *ipa, int v6only_a,
                            int fb, int tb, const char *ipb)
{
    int r = -1, err = 0;
    for (int attempt = 0; attempt < 20; attempt++) {
        struct sockaddr_storage ss;
        int a = NEED(socket(fa, ta, 0));
        if (v6only_a >= 0)
            NEED(setsockopt(a, IPPROTO_IPV6, IPV6_V6ONLY, &v6only_a,
                            sizeof v6only_a));
        socklen_t len = sa_make(fa, ipa, 0, &ss);
        NEED(bind(a, (struct sockaddr *)&ss, len));
        int b = NEED(socket(fb, tb, 0));
        len = sa_make(fb, ipb, local_port(a), &ss);
        r = bind(b, (struct sockaddr *)&ss, len);
        err = errno;
        close(b);
        close(a);
        if (r == 0 || err != EADDRINUSE)
            break;
    }
    errno = err;
    return r;
}

static inline int set_int_opt(int fd, int level, int opt, int val)
{
    return setsockopt(fd, level, opt, &val, sizeof val);
}

static inline int get_int_opt(int fd, int level, int opt)
{
    int v = -12345;
    socklen_t len = sizeof v;
    if (getsockopt(fd, level, opt, &v, &len) < 0)
        return -12345;
    return v;
}

/* Print a pending socket error by name ("label: SO_ERROR=ECONNRESET");
 * note that reading SO_ERROR clears it. */
static inline void show_so_error(const char *label, int fd)
{
    int v = -1;
    socklen_t len = sizeof v;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &len) < 0)
        printf("%s: getsockopt(SO_ERROR) ret=-1 errno=%s\n", label,
               errname(errno));
    else
        printf("%s: SO_ERROR=%s\n", label, errname(v));
}

static inline int set_nonblock(int fd, int on)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return -1;
    return fcntl(fd, F_SETFL, on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK));
}

/* Read exactly n bytes (blocking) unless EOF/error; returns bytes read or
 * -1 if the very first read failed. */
static inline ssize_t read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = recv(fd, (char *)buf + got, n - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return got ? (ssize_t)got : -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

static inline ssize_t write_full(int fd, const void *buf, size_t n)
{
    size_t put = 0;
    while (put < n) {
        ssize_t r = send(fd, (const char *)buf + put, n - put, MSG_NOSIGNAL);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return put ? (ssize_t)put : -1;
        put += (size_t)r;
    }
    return (ssize_t)put;
}

/* ------------------------------------------------------------------ */
/* Peers                                                               */
/* ------------------------------------------------------------------ */

/* Fork a peer process that runs fn(arg) and exits with its return value.
 * The peer must not print (its exit status is the report channel); it
 * gets its own alarm because alarms are not inherited over fork. */
static inline pid_t fork_peer(int (*fn)(void *), void *arg)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        printf("SETUP FAILED: fork: errno=%s\n", errname(errno));
        _exit(1);
    }
    if (pid == 0) {
        alarm(10);
        _exit(fn(arg));
    }
    return pid;
}

/* Wait for a peer; returns its exit code, or 128+signal if it was killed. */
static inline int wait_peer(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return -1;
}

/* A pipe used only to sequence the main process and a forked peer (pipes
 * are not network objects, so the simulation passes them through). */
static inline void sync_signal(int wfd)
{
    char c = 'x';
    while (write(wfd, &c, 1) < 0 && errno == EINTR)
        ;
}

static inline int sync_wait(int rfd)
{
    char c;
    ssize_t r;
    while ((r = read(rfd, &c, 1)) < 0 && errno == EINTR)
        ;
    return r == 1 ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Data                                                                */
/* ------------------------------------------------------------------ */

/* Deterministic byte stream (xorshift32) for transfer checks. */
static inline uint32_t prng_next(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

static inline void prng_fill(uint32_t *s, unsigned char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)(prng_next(s) >> 24);
}

/* Position-dependent byte pattern: lets a receiver verify any slice of a
 * stream without knowing how the sender split it. */
static inline unsigned char pattern_byte(uint64_t pos)
{
    uint64_t x = (pos + 1) * 0x9E3779B97F4A7C15ULL;
    return (unsigned char)(x >> 56);
}

static inline void pattern_fill(void *buf, size_t n, uint64_t pos)
{
    unsigned char *p = buf;
    for (size_t i = 0; i < n; i++)
        p[i] = pattern_byte(pos + i);
}

/* 1 if buf holds the pattern for [pos, pos+n). */
static inline int pattern_ok(const void *buf, size_t n, uint64_t pos)
{
    const unsigned char *p = buf;
    for (size_t i = 0; i < n; i++)
        if (p[i] != pattern_byte(pos + i))
            return 0;
    return 1;
}

/* FNV-1a 64, incrementally: start with FNV_INIT. */
#define FNV_INIT 1469598103934665603ULL
static inline uint64_t fnv1a(uint64_t h, const void *buf, size_t n)
{
    const unsigned char *p = buf;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* ------------------------------------------------------------------ */
/* Readiness (ready_* probes)                                          */
/* ------------------------------------------------------------------ */

/* Every poll event a socket can report, so a probe sees the whole mask. */
#define POLL_ALL (POLLIN | POLLPRI | POLLOUT | POLLRDNORM | POLLRDBAND | \
                  POLLWRNORM | POLLWRBAND | POLLRDHUP)

/* "POLLIN|POLLOUT" in a fixed order, "0" for none, unknown bits in hex. */
static inline const char *bits_str(unsigned v, const unsigned *bit,
                                   const char *const *name, int n)
{
    static char buf[8][256];
    static int slot;
    char *out = buf[slot++ & 7];
    size_t len = 0;
    out[0] = 0;
    for (int i = 0; i < n; i++)
        if (v & bit[i]) {
            len += (size_t)snprintf(out + len, 256 - len, "%s%s",
                                    len ? "|" : "", name[i]);
            v &= ~bit[i];
        }
    if (v)
        len += (size_t)snprintf(out + len, 256 - len, "%s0x%x", len ? "|" : "", v);
    if (!len)
        snprintf(out, 256, "0");
    return out;
}

static inline const char *pollbits(int v)
{
    static const unsigned bit[] = { POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP,
        POLLNVAL, POLLRDNORM, POLLRDBAND, POLLWRNORM, POLLWRBAND, POLLMSG,
        POLLRDHUP };
    static const char *const name[] = { "IN", "PRI", "OUT", "ERR", "HUP",
        "NVAL", "RDNORM", "RDBAND", "WRNORM", "WRBAND", "MSG", "RDHUP" };
    return bits_str((unsigned)(v & 0xffff), bit, name, 12);
}

static inline const char *epbits(uint32_t v)
{
    static const unsigned bit[] = { EPOLLIN, EPOLLPRI, EPOLLOUT, EPOLLERR,
        EPOLLHUP, EPOLLRDNORM, EPOLLRDBAND, EPOLLWRNORM, EPOLLWRBAND,
        EPOLLMSG, EPOLLRDHUP, EPOLLEXCLUSIVE, EPOLLWAKEUP, EPOLLONESHOT,
        EPOLLET };
    static const char *const name[] = { "IN", "PRI", "OUT", "ERR", "HUP",
        "RDNORM", "RDBAND", "WRNORM", "WRBAND", "MSG", "RDHUP", "EXCLUSIVE",
        "WAKEUP", "ONESHOT", "ET" };
    return bits_str(v, bit, name, 15);
}

/* poll() one fd; prints "label: ret=N revents=..." and returns revents
 * (or -1 when poll failed). */
static inline int show_poll(const char *label, int fd, int events, int ms)
{
    struct pollfd p = { .fd = fd, .events = (short)events };
    errno = 0;
    int r = poll(&p, 1, ms);
    if (r < 0) {
        printf("%s: ret=-1 errno=%s\n", label, errname(errno));
        return -1;
    }
    printf("%s: ret=%d revents=%s\n", label, r, pollbits(p.revents));
    return p.revents;
}

/* Wait (at most ms) until fd reports one of `events`; 1 if it did.  Used
 * to let asynchronous kernel work (a handshake, a FIN, a reset) land
 * before the whole mask is printed with a zero timeout. */
static inline int poll_until(int fd, int events, int ms)
{
    double end = now_ms() + ms;
    for (;;) {
        struct pollfd p = { .fd = fd, .events = (short)events };
        double left = end - now_ms();
        int r = poll(&p, 1, left > 0 ? (int)left + 1 : 0);
        if (r > 0 && (p.revents & events))
            return 1;
        if (r < 0 && errno != EINTR)
            return 0;
        if (now_ms() > end)
            return 0;
        if (r > 0)
            sleep_ms(1);   /* something else (HUP, ERR) is set: re-poll */
    }
}

/* Bytes queued for reading (SIOCINQ), -1 on error. */
static inline int inq(int fd)
{
    int n = -1;
    return ioctl(fd, FIONREAD, &n) < 0 ? -1 : n;
}

/* Wait (at most ms) until exactly n bytes are queued on fd: a send's
 * bytes may still be in flight (softirq, Nagle) when send() returns. */
static inline int wait_inq(int fd, int n, int ms)
{
    return WAIT_UNTIL(inq(fd) == n, ms);
}

/* TCP_NODELAY on: small writes leave at once instead of waiting for the
 * peer's (delayed) ACK, so what was sent is what arrives. */
static inline void nodelay(int fd)
{
    int one = 1;
    NEED(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one));
}

/* A connected pair with TCP_NODELAY on both ends, through listener lfd. */
static inline void nd_pair(int lfd, int family, int port, int *c, int *s)
{
    *c = tcp_connect(family, family == AF_INET6 ? "::1" : "127.0.0.1", port);
    *s = NEED(accept(lfd, NULL, NULL));
    nodelay(*c);
    nodelay(*s);
}

/* An epoll event as printed: sorted by cookie so the kernel's ready-list
 * order never shows. */
static inline int ep_cmp_(const void *x, const void *y)
{
    const struct epoll_event *a = x, *b = y;
    return a->data.u64 < b->data.u64 ? -1 : a->data.u64 > b->data.u64;
}

static inline void sort_events(struct epoll_event *ev, int n)
{
    if (n > 1)
        qsort(ev, (size_t)n, sizeof *ev, ep_cmp_);
}

/* epoll_wait and print "label: ret=N [cookie:EVENTS ...]" (cookies in
 * hex, sorted).  Returns the result; the events are left in ev (sorted). */
static inline int show_epoll(const char *label, int ep, struct epoll_event *ev,
                             int max, int ms)
{
    errno = 0;
    int r = epoll_wait(ep, ev, max, ms);
    if (r < 0) {
        printf("%s: ret=-1 errno=%s\n", label, errname(errno));
        return r;
    }
    sort_events(ev, r);
    printf("%s: ret=%d", label, r);
    for (int i = 0; i < r; i++)
        printf(" %llx:%s", (unsigned long long)ev[i].data.u64,
               epbits(ev[i].events));
    printf("\n");
    return r;
}

/* epoll_ctl with a u64 cookie. */
static inline int ep_ctl(int ep, int op, int fd, uint32_t events, uint64_t cookie)
{
    struct epoll_event e;
    memset(&e, 0, sizeof e);
    e.events = events;
    e.data.u64 = cookie;
    return epoll_ctl(ep, op, fd, &e);
}

/* Fill the path from fd to its peer until send() says EAGAIN and poll()
 * agrees that fd is not writable (the kernel may find room again right
 * after an EAGAIN by collapsing queues or growing buffers, so insist).
 * fd must be non-blocking.  Bytes follow pattern_byte from *sent. */
static inline int fill_until_unwritable(int fd, uint64_t *sent)
{
    static unsigned char chunk[65536];
    for (int round = 0; round < 200; round++) {
        for (int i = 0; i < 100000; i++) {
            pattern_fill(chunk, sizeof chunk, *sent);
            ssize_t r = send(fd, chunk, sizeof chunk, MSG_NOSIGNAL);
            if (r < 0) {
                if (errno != EAGAIN)
                    return -1;
                break;
            }
            *sent += (uint64_t)r;
        }
        struct pollfd p = { .fd = fd, .events = POLLOUT };
        if (poll(&p, 1, 0) == 0)
            return 0;
        sleep_ms(1);
    }
    return -1;
}

/* Read exactly n bytes from a (possibly non-blocking) socket, waiting with
 * poll; checks them against pattern_byte from *got.  1 if all matched. */
static inline int drain_pattern(int fd, uint64_t n, uint64_t *got)
{
    static unsigned char buf[65536];
    uint64_t end = *got + n;
    int good = 1;
    while (*got < end) {
        uint64_t want = end - *got < sizeof buf ? end - *got : sizeof buf;
        ssize_t r = recv(fd, buf, (size_t)want, 0);
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
            struct pollfd p = { .fd = fd, .events = POLLIN };
            if (poll(&p, 1, 5000) <= 0)
                return 0;
            continue;
        }
        if (r <= 0)
            return 0;
        good &= pattern_ok(buf, (size_t)r, *got);
        *got += (uint64_t)r;
    }
    return good;
}

#endif /* PROBE_H */
