/*
 * errno_kept — a successful call leaves errno as it was.
 *
 * POSIX lets a successful call change errno, but glibc's system-call
 * wrappers never do, and programs rely on it (a loop that tests errno
 * after a call it believes failed, a library that saves nothing).  Each
 * call below runs with errno set to a sentinel and must succeed; the line
 * printed says whether errno still holds the sentinel.  The paths covered
 * are the ones where the library does work of its own behind a call:
 * start-up at the first socket, blocking waits,
 * a peer killed while we wait (the library then looks the dead process
 * up), poll/select/epoll that sleep, fork, exec, signal functions.
 */
#include "probe.h"

#define SENTINEL 4095   /* no errno has this value */

/* KEPT(label, call): call must succeed (>= 0); print whether errno kept
 * the sentinel.  A failing call prints its errno instead. */
#define KEPT(label, expr)                                                  \
    ({                                                                      \
        errno = SENTINEL;                                                   \
        long r_ = (long)(expr);                                             \
        int e_ = errno;                                                     \
        if (r_ < 0)                                                         \
            say("%s: failed errno=%s\n", (label), errname(e_));             \
        else if (e_ == SENTINEL)                                            \
            say("%s: errno kept\n", (label));                               \
        else                                                                \
            say("%s: errno changed to %s\n", (label), errname(e_));         \
        r_;                                                                 \
    })

static void on_usr1(int sig) { (void)sig; }

/* The peer: connects, waits for one byte, then dies by SIGKILL without
 * closing, while the parent is blocked in recv.  It runs as a grandchild
 * whose parent reaps it at once, so the library finds no trace of it (no
 * /proc entry, no zombie) when it looks the dead process up. */
static int victim_main(void *p)
{
    int port = *(int *)p;
    pid_t v = fork();
    if (v != 0)
        _exit(wait_peer(v));
    struct sockaddr_in a = sa4("127.0.0.1", port);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
        return 2;
    char b;
    if (recv(fd, &b, 1, 0) != 1)
        return 3;
    sleep_ms(100);
    raise(SIGKILL);
    return 4;
}

static void tcp_calls(void)
{
    int port, one = 1;
    char buf[64];
    socklen_t len;
    struct sockaddr_storage ss;

    say("== TCP ==\n");
    /* The first socket of the process: the library starts here. */
    int l = KEPT("socket (first of the process)", socket(AF_INET, SOCK_STREAM, 0));
    KEPT("setsockopt SO_REUSEADDR", setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
    struct sockaddr_in a = sa4("127.0.0.1", 0);
    KEPT("bind", bind(l, (struct sockaddr *)&a, sizeof a));
    KEPT("listen", listen(l, 8));
    len = sizeof ss;
    KEPT("getsockname", getsockname(l, (struct sockaddr *)&ss, &len));
    port = sa_port(&ss);
    a = sa4("127.0.0.1", port);
    int c = KEPT("socket", socket(AF_INET, SOCK_STREAM, 0));
    KEPT("connect", connect(c, (struct sockaddr *)&a, sizeof a));
    int s = KEPT("accept", accept(l, NULL, NULL));
    len = sizeof ss;
    KEPT("getpeername", getpeername(s, (struct sockaddr *)&ss, &len));
    int v;
    len = sizeof v;
    KEPT("getsockopt SO_RCVBUF", getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &len));
    KEPT("send", send(c, "hello", 5, 0));
    KEPT("ioctl FIONREAD", ioctl(s, FIONREAD, &v));
    KEPT("recv", recv(s, buf, sizeof buf, 0));
    KEPT("write", write(s, "abc", 3));
    KEPT("read", read(c, buf, sizeof buf));
    struct iovec iov = { buf, 4 };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    KEPT("sendmsg", sendmsg(c, &mh, 0));
    KEPT("recvmsg", recvmsg(s, &mh, 0));
    int fl = KEPT("fcntl F_GETFL", fcntl(s, F_GETFL));
    KEPT("fcntl F_SETFL O_NONBLOCK", fcntl(s, F_SETFL, fl | O_NONBLOCK));
    KEPT("fcntl F_SETFL back", fcntl(s, F_SETFL, fl));
    int d = KEPT("dup", dup(s));
    KEPT("close dup", close(d));

    /* A receive timeout set, and data that arrives while we sleep. */
    struct timeval tv = { 2, 0 };
    KEPT("setsockopt SO_RCVTIMEO", setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    pid_t kid = fork();
    if (kid == 0) {
        sleep_ms(50);
        _exit(send(c, "late", 4, 0) == 4 ? 0 : 1);
    }
    KEPT("recv that waits for data", recv(s, buf, sizeof buf, 0));
    wait_peer(kid);

    /* poll, select and epoll that sleep until data comes. */
    kid = fork();
    if (kid == 0) {
        sleep_ms(50);
        _exit(send(c, "p", 1, 0) == 1 ? 0 : 1);
    }
    struct pollfd p = { .fd = s, .events = POLLIN };
    KEPT("poll that waits", poll(&p, 1, 2000));
    wait_peer(kid);
    KEPT("recv", recv(s, buf, sizeof buf, 0));
    kid = fork();
    if (kid == 0) {
        sleep_ms(50);
        _exit(send(c, "s", 1, 0) == 1 ? 0 : 1);
    }
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(s, &rs);
    struct timeval to = { 2, 0 };
    KEPT("select that waits", select(s + 1, &rs, NULL, NULL, &to));
    wait_peer(kid);
    KEPT("recv", recv(s, buf, sizeof buf, 0));
    int ep = KEPT("epoll_create1", epoll_create1(EPOLL_CLOEXEC));
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = s };
    KEPT("epoll_ctl ADD", epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev));
    kid = fork();
    if (kid == 0) {
        sleep_ms(50);
        _exit(send(c, "e", 1, 0) == 1 ? 0 : 1);
    }
    KEPT("epoll_wait that waits", epoll_wait(ep, &ev, 1, 2000));
    wait_peer(kid);
    KEPT("recv", recv(s, buf, sizeof buf, 0));
    KEPT("epoll_ctl DEL", epoll_ctl(ep, EPOLL_CTL_DEL, s, NULL));
    KEPT("close epoll", close(ep));

    KEPT("shutdown SHUT_WR", shutdown(c, SHUT_WR));
    KEPT("recv EOF", recv(s, buf, sizeof buf, 0));
    KEPT("close", close(c));
    KEPT("close", close(s));

    /* A peer killed while we are blocked in recv: the library looks the
     * dead process up before it answers 0. */
    pid_t victim = fork_peer(victim_main, &port);
    s = KEPT("accept (victim)", accept(l, NULL, NULL));
    KEPT("send to victim", send(s, "x", 1, 0));
    KEPT("recv while the peer dies", recv(s, buf, sizeof buf, 0));
    wait_peer(victim);
    KEPT("close", close(s));
    KEPT("close listener", close(l));
}

static void udp_calls(void)
{
    int port;
    char buf[64];
    say("== UDP ==\n");
    int u = udp_bound(AF_INET6, "::1", &port);
    int v = KEPT("socket v6 udp", socket(AF_INET6, SOCK_DGRAM, 0));
    struct sockaddr_in6 a = sa6("::1", port);
    KEPT("sendto", sendto(v, "d", 1, 0, (struct sockaddr *)&a, sizeof a));
    struct sockaddr_storage from;
    socklen_t fl = sizeof from;
    KEPT("recvfrom", recvfrom(u, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
    KEPT("connect udp", connect(v, (struct sockaddr *)&a, sizeof a));
    KEPT("send udp", send(v, "e", 1, 0));
    KEPT("recv udp", recv(u, buf, sizeof buf, 0));
    KEPT("close", close(v));
    KEPT("close", close(u));
}

static void process_calls(void)
{
    say("== processes and signals ==\n");
    int l = tcp_listener(AF_INET, "127.0.0.1", 4, &(int){0});
    struct sigaction sa = { .sa_handler = on_usr1 };
    KEPT("sigaction", sigaction(SIGUSR1, &sa, NULL));
    KEPT("signal", (long)(signal(SIGUSR2, on_usr1) == SIG_ERR ? -1 : 0));
    KEPT("raise SIGUSR1", raise(SIGUSR1));
    /* fork while holding a socket: the library takes the child's holds. */
    errno = SENTINEL;
    pid_t kid = fork();
    if (kid == 0)
        _exit(errno == SENTINEL ? 0 : 1);
    say("fork (holding a socket): %s\n", errno == SENTINEL ? "errno kept" : errname(errno));
    say("child's errno kept after fork: %s\n", wait_peer(kid) == 0 ? "yes" : "no");
    kid = fork();
    if (kid == 0) {
        close(l);
        char *argv[] = { "/bin/true", NULL };
        execv(argv[0], argv);
        _exit(127);
    }
    say("exec'd child status: %d\n", wait_peer(kid));
    KEPT("close listener", close(l));
}

int main(void)
{
    probe_init();
    tcp_calls();
    udp_calls();
    process_calls();
    return 0;
}
