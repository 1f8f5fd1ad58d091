/*
 * ready_mixed — poll/ppoll/select/pselect over sets mixing a pipe and
 * sockets, woken from ANOTHER process; signal masks; timeouts.
 *   - poll(-1) on {pipe, socket}: a forked child writes to the pipe after
 *     a delay (only the pipe is reported), then to the socket (inherited
 *     fd), then connects to our listener and writes on its own
 *     connection;
 *   - the same with select(): which bits come back, the count, writefds,
 *     a closed fd in the set (EBADF), nfds not covering the socket;
 *   - ppoll/pselect/epoll_pwait with a mask that unblocks a pending or
 *     arriving signal: EINTR; with a mask that blocks it: no EINTR, the
 *     call times out (or sees data), the handler runs once unblocked;
 *     plain poll/select with an SA_RESTART handler still fail with EINTR;
 *   - timeouts: 0 returns at once, 50 ms expires with 0 (and waited at
 *     least that), -1 woken by a peer; select writes back the remaining
 *     time (only whether it decreased is printed).
 */
#include "probe.h"
#include <pthread.h>

struct writer {
    int fd;
    int delay_ms;
    const char *msg;
};

static int writer_main(void *p)
{
    struct writer *w = p;
    sleep_ms(w->delay_ms);
    size_t n = strlen(w->msg);
    return write(w->fd, w->msg, n) == (ssize_t)n ? 0 : 1;
}

static pid_t spawn_writer(int fd, int delay_ms, const char *msg)
{
    static struct writer w;
    w.fd = fd;
    w.delay_ms = delay_ms;
    w.msg = msg;
    return fork_peer(writer_main, &w);
}

struct connector {
    int port;
    int delay_ms;
};

static int connector_main(void *p)
{
    struct connector *c = p;
    sleep_ms(c->delay_ms);
    struct sockaddr_in a = sa4("127.0.0.1", c->port);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
        return 2;
    sleep_ms(c->delay_ms);
    if (write(fd, "child", 5) != 5)
        return 3;
    char b;
    /* Stay connected until the parent closes its end. */
    return read(fd, &b, 1) == 0 ? 0 : 4;
}

static volatile sig_atomic_t hits;
static void on_usr1(int sig)
{
    (void)sig;
    hits++;
}

static void install(int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
}

static void block_usr1(int how)
{
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    sigprocmask(how, &m, NULL);
}

/* A forked child that signals us after a delay. */
static int signaller_main(void *p)
{
    sleep_ms(*(int *)p);
    return kill(getppid(), SIGUSR1) == 0 ? 0 : 1;
}

static pid_t spawn_signaller(int delay_ms)
{
    static int d;
    d = delay_ms;
    return fork_peer(signaller_main, &d);
}

/* Pester thread for the SA_RESTART cases: signals the main thread every
 * 20 ms until stopped, so one surely lands while it sleeps. */
struct pester {
    pthread_t target;
    volatile int stop;
};

static void *pester_main(void *p)
{
    struct pester *ps = p;
    while (!ps->stop) {
        sleep_ms(20);
        if (!ps->stop)
            pthread_kill(ps->target, SIGUSR1);
    }
    return NULL;
}

static void drain_fd(int fd)
{
    char b[256];
    while (recv(fd, b, sizeof b, MSG_DONTWAIT) > 0)
        ;
}

static void drain_pipe(int fd)
{
    char b[256];
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    while (read(fd, b, sizeof b) > 0)
        ;
    fcntl(fd, F_SETFL, fl);
}

static int pr, pw;          /* the pipe */
static int c, s;            /* a connected pair */
static int lfd;             /* a listener */

static const char *fdname(int fd)
{
    static char buf[32];
    if (fd == pr) return "pipe_r";
    if (fd == pw) return "pipe_w";
    if (fd == c) return "client";
    if (fd == s) return "server";
    if (fd == lfd) return "listener";
    snprintf(buf, sizeof buf, "other");
    return buf;
}

static void show_set(const char *tag, fd_set *set, int nfds)
{
    say(" %s={", tag);
    int first = 1;
    for (int fd = 0; fd < nfds; fd++)
        if (FD_ISSET(fd, set)) {
            say("%s%s", first ? "" : ",", fdname(fd));
            first = 0;
        }
    say("}");
}

static void show_select(const char *label, int r, int err, fd_set *rs,
                        fd_set *ws, int nfds)
{
    if (r < 0) {
        say("%s: ret=-1 errno=%s\n", label, errname(err));
        return;
    }
    say("%s: ret=%d", label, r);
    if (rs)
        show_set("r", rs, nfds);
    if (ws)
        show_set("w", ws, nfds);
    say("\n");
}

static int maxfd(int a, int b) { return a > b ? a : b; }

static void show_pair(const char *label, int r, int err, struct pollfd *p)
{
    if (r < 0)
        say("%s: ret=-1 errno=%s\n", label, errname(err));
    else
        say("%s: ret=%d %s=%s %s=%s\n", label, r, fdname(p[0].fd),
            pollbits(p[0].revents), fdname(p[1].fd), pollbits(p[1].revents));
}

int main(void)
{
    probe_init();
    int port, pfd[2];
    NEED(pipe(pfd));
    pr = pfd[0];
    pw = pfd[1];
    lfd = tcp_listener(AF_INET, "127.0.0.1", 8, &port);
    c = tcp_connect(AF_INET, "127.0.0.1", port);
    s = NEED(accept(lfd, NULL, NULL));
    char buf[256];

    say("== poll, woken by another process ==\n");
    struct pollfd p[2] = { { .fd = pr, .events = POLLIN },
                           { .fd = s, .events = POLLIN } };
    pid_t pid = spawn_writer(pw, 100, "pipe");
    int r = poll(p, 2, -1);
    show_pair("child wrote the pipe", r, errno, p);
    SHOW("writer exit", wait_peer(pid));
    drain_pipe(pr);
    pid = spawn_writer(c, 100, "sock");
    r = poll(p, 2, -1);
    show_pair("child wrote the socket", r, errno, p);
    SHOW("writer exit", wait_peer(pid));
    SHOW("server read", read(s, buf, sizeof buf));
    r = poll(p, 2, 0);
    show_pair("both drained", r, errno, p);

    static struct connector cn;
    cn.port = port;
    cn.delay_ms = 100;
    pid = fork_peer(connector_main, &cn);
    p[1].fd = lfd;
    r = poll(p, 2, -1);
    show_pair("child connected", r, errno, p);
    int cs = NEED(accept(lfd, NULL, NULL));
    p[1].fd = cs;
    r = poll(p, 2, -1);
    say("child wrote on its connection: ret=%d pipe_r=%s conn=%s\n", r,
        pollbits(p[0].revents), pollbits(p[1].revents));
    SHOW("read", read(cs, buf, sizeof buf));
    close(cs);
    SHOW("connector exit", wait_peer(pid));

    say("== select, woken by another process ==\n");
    fd_set rs, ws;
    int nfds = maxfd(maxfd(pr, pw), maxfd(maxfd(c, s), lfd)) + 1;
    FD_ZERO(&rs);
    FD_SET(pr, &rs);
    FD_SET(s, &rs);
    pid = spawn_writer(pw, 100, "pipe");
    r = select(nfds, &rs, NULL, NULL, NULL);
    show_select("child wrote the pipe", r, errno, &rs, NULL, nfds);
    SHOW("writer exit", wait_peer(pid));
    drain_pipe(pr);
    FD_ZERO(&rs);
    FD_SET(pr, &rs);
    FD_SET(s, &rs);
    pid = spawn_writer(c, 100, "sock");
    r = select(nfds, &rs, NULL, NULL, NULL);
    show_select("child wrote the socket", r, errno, &rs, NULL, nfds);
    SHOW("writer exit", wait_peer(pid));
    FD_ZERO(&rs);
    FD_SET(pr, &rs);
    FD_SET(s, &rs);
    FD_ZERO(&ws);
    FD_SET(pw, &ws);
    FD_SET(c, &ws);
    FD_SET(s, &ws);
    r = select(nfds, &rs, &ws, NULL, NULL);
    show_select("data still queued, writefds", r, errno, &rs, &ws, nfds);
    drain_fd(s);
    FD_ZERO(&rs);
    FD_SET(pr, &rs);
    FD_SET(s, &rs);
    FD_SET(lfd, &rs);
    struct timeval tv = { 0, 0 };
    r = select(nfds, &rs, NULL, NULL, &tv);
    show_select("nothing ready, zero timeout", r, errno, &rs, NULL, nfds);
    int gone = NEED(socket(AF_INET, SOCK_STREAM, 0));
    close(gone);
    FD_ZERO(&rs);
    FD_SET(s, &rs);
    FD_SET(gone, &rs);
    tv = (struct timeval){ 0, 0 };
    r = select(maxfd(nfds, gone + 1), &rs, NULL, NULL, &tv);
    show_select("closed fd in the set", r, errno, &rs, NULL, nfds);
    SHOW("client send", send(c, "x", 1, 0));
    poll_until(s, POLLIN, 2000);
    FD_ZERO(&rs);
    FD_SET(s, &rs);
    tv = (struct timeval){ 0, 0 };
    r = select(s, &rs, NULL, NULL, &tv);   /* nfds does not cover s */
    say("nfds below the socket: ret=%d\n", r);
    drain_fd(s);

    say("== ppoll / pselect / epoll_pwait and signal masks ==\n");
    install(0);
    block_usr1(SIG_BLOCK);
    sigset_t open_mask, shut_mask;
    sigemptyset(&open_mask);
    sigemptyset(&shut_mask);
    sigaddset(&shut_mask, SIGUSR1);
    p[0] = (struct pollfd){ .fd = pr, .events = POLLIN };
    p[1] = (struct pollfd){ .fd = s, .events = POLLIN };
    struct timespec t200 = { 0, 200000000L };

    hits = 0;
    raise(SIGUSR1);
    say("pending before ppoll, handler ran=%d\n", hits);
    r = ppoll(p, 2, NULL, &open_mask);
    say("ppoll unblocking a pending signal: ret=%d errno=%s handler ran=%d\n",
        r, r < 0 ? errname(errno) : "-", hits);
    hits = 0;
    pid = spawn_signaller(100);
    r = ppoll(p, 2, NULL, &open_mask);
    say("ppoll, signal arrives while unblocked: ret=%d errno=%s handler ran=%d\n",
        r, r < 0 ? errname(errno) : "-", hits);
    SHOW("signaller exit", wait_peer(pid));
    hits = 0;
    pid = spawn_signaller(50);
    r = ppoll(p, 2, &t200, &shut_mask);
    SHOW("signaller exit", wait_peer(pid));
    say("ppoll, signal blocked by its mask: ret=%d handler ran=%d\n", r, hits);
    block_usr1(SIG_UNBLOCK);
    say("after unblocking: handler ran=%d\n", hits);
    block_usr1(SIG_BLOCK);
    hits = 0;
    raise(SIGUSR1);
    SHOW("client send", send(c, "y", 1, 0));
    poll_until(s, POLLIN, 2000);
    r = ppoll(p, 2, NULL, &open_mask);
    show_pair("ppoll, signal pending but socket ready", r, errno, p);
    say("  handler ran=%d\n", hits);
    block_usr1(SIG_UNBLOCK);
    say("  after unblocking: handler ran=%d\n", hits);
    block_usr1(SIG_BLOCK);
    drain_fd(s);

    hits = 0;
    pid = spawn_signaller(100);
    FD_ZERO(&rs);
    FD_SET(pr, &rs);
    FD_SET(s, &rs);
    r = pselect(nfds, &rs, NULL, NULL, NULL, &open_mask);
    say("pselect, signal arrives while unblocked: ret=%d errno=%s handler ran=%d\n",
        r, r < 0 ? errname(errno) : "-", hits);
    SHOW("signaller exit", wait_peer(pid));
    hits = 0;
    pid = spawn_signaller(50);
    FD_ZERO(&rs);
    FD_SET(pr, &rs);
    FD_SET(s, &rs);
    r = pselect(nfds, &rs, NULL, NULL, &t200, &shut_mask);
    SHOW("signaller exit", wait_peer(pid));
    say("pselect, signal blocked by its mask: ret=%d handler ran=%d\n", r, hits);
    block_usr1(SIG_UNBLOCK);
    say("after unblocking: handler ran=%d\n", hits);
    block_usr1(SIG_BLOCK);

    int ep = NEED(epoll_create1(EPOLL_CLOEXEC));
    NEED(ep_ctl(ep, EPOLL_CTL_ADD, pr, EPOLLIN, 1));
    NEED(ep_ctl(ep, EPOLL_CTL_ADD, s, EPOLLIN, 2));
    struct epoll_event ev[4];
    hits = 0;
    pid = spawn_signaller(100);
    r = epoll_pwait(ep, ev, 4, -1, &open_mask);
    say("epoll_pwait, signal arrives while unblocked: ret=%d errno=%s handler ran=%d\n",
        r, r < 0 ? errname(errno) : "-", hits);
    SHOW("signaller exit", wait_peer(pid));
    hits = 0;
    pid = spawn_signaller(50);
    r = epoll_pwait(ep, ev, 4, 200, &shut_mask);
    SHOW("signaller exit", wait_peer(pid));
    say("epoll_pwait, signal blocked by its mask: ret=%d handler ran=%d\n", r, hits);
    block_usr1(SIG_UNBLOCK);
    say("after unblocking: handler ran=%d\n", hits);
    close(ep);

    say("== SA_RESTART does not restart poll/select/epoll_wait ==\n");
    install(SA_RESTART);
    struct pester ps = { .target = pthread_self() };
    pthread_t th;
    pthread_create(&th, NULL, pester_main, &ps);
    errno = 0;
    r = poll(p, 2, -1);
    int e = errno;
    ps.stop = 1;
    pthread_join(th, NULL);
    say("poll(-1): ret=%d errno=%s\n", r, errname(e));
    ps.stop = 0;
    pthread_create(&th, NULL, pester_main, &ps);
    FD_ZERO(&rs);
    FD_SET(pr, &rs);
    FD_SET(s, &rs);
    tv = (struct timeval){ 5, 0 };
    errno = 0;
    r = select(nfds, &rs, NULL, NULL, &tv);
    e = errno;
    ps.stop = 1;
    pthread_join(th, NULL);
    say("select(5 s): ret=%d errno=%s remaining<5s=%d\n", r, errname(e),
        tv.tv_sec < 5);
    ep = NEED(epoll_create1(0));
    NEED(ep_ctl(ep, EPOLL_CTL_ADD, s, EPOLLIN, 2));
    ps.stop = 0;
    pthread_create(&th, NULL, pester_main, &ps);
    errno = 0;
    r = epoll_wait(ep, ev, 4, 5000);
    e = errno;
    ps.stop = 1;
    pthread_join(th, NULL);
    say("epoll_wait(5 s): ret=%d errno=%s\n", r, errname(e));
    close(ep);
    signal(SIGUSR1, SIG_IGN);

    say("== timeouts ==\n");
    double t0 = now_ms();
    r = poll(p, 2, 0);
    say("poll 0: ret=%d quick=%d\n", r, now_ms() - t0 < 1000);
    t0 = now_ms();
    r = poll(p, 2, 50);
    say("poll 50 ms: ret=%d waited>=50ms=%d\n", r, now_ms() - t0 >= 49.5);
    struct timespec t50 = { 0, 50000000L };
    t0 = now_ms();
    r = ppoll(p, 2, &t50, NULL);
    say("ppoll 50 ms: ret=%d waited>=50ms=%d\n", r, now_ms() - t0 >= 49.5);
    struct timespec tbad = { 0, 1000000000L };
    SHOW("ppoll tv_nsec=1e9", ppoll(p, 2, &tbad, NULL));
    FD_ZERO(&rs);
    FD_SET(pr, &rs);
    FD_SET(s, &rs);
    tv = (struct timeval){ 0, 50000 };
    t0 = now_ms();
    r = select(nfds, &rs, NULL, NULL, &tv);
    say("select 50 ms: ret=%d waited>=50ms=%d remaining=%ld.%06ld\n", r,
        now_ms() - t0 >= 49.5, (long)tv.tv_sec, (long)tv.tv_usec);
    FD_ZERO(&rs);
    FD_SET(pr, &rs);
    FD_SET(s, &rs);
    tv = (struct timeval){ 0, -1 };
    SHOW("select tv_usec=-1", select(nfds, &rs, NULL, NULL, &tv));
    FD_ZERO(&rs);
    FD_SET(pr, &rs);
    FD_SET(s, &rs);
    t0 = now_ms();
    r = pselect(nfds, &rs, NULL, NULL, &t50, NULL);
    say("pselect 50 ms: ret=%d waited>=50ms=%d\n", r, now_ms() - t0 >= 49.5);
    ep = NEED(epoll_create1(0));
    NEED(ep_ctl(ep, EPOLL_CTL_ADD, s, EPOLLIN, 2));
    t0 = now_ms();
    r = epoll_wait(ep, ev, 4, 0);
    say("epoll_wait 0: ret=%d quick=%d\n", r, now_ms() - t0 < 1000);
    t0 = now_ms();
    r = epoll_wait(ep, ev, 4, 50);
    say("epoll_wait 50 ms: ret=%d waited>=50ms=%d\n", r, now_ms() - t0 >= 49.5);

    pid = spawn_writer(c, 100, "late");
    r = poll(p, 2, -1);
    show_pair("poll -1, peer writes later", r, errno, p);
    SHOW("writer exit", wait_peer(pid));
    drain_fd(s);
    pid = spawn_writer(c, 100, "late");
    r = epoll_wait(ep, ev, 4, -1);
    say("epoll_wait -1, peer writes later: ret=%d cookie=%llx\n", r,
        r > 0 ? (unsigned long long)ev[0].data.u64 : 0ULL);
    SHOW("writer exit", wait_peer(pid));
    drain_fd(s);
    close(ep);

    pid = spawn_writer(c, 100, "late");
    FD_ZERO(&rs);
    FD_SET(pr, &rs);
    FD_SET(s, &rs);
    tv = (struct timeval){ 5, 0 };
    r = select(nfds, &rs, NULL, NULL, &tv);
    show_select("select 5 s, peer writes later", r, errno, &rs, NULL, nfds);
    say("  remaining decreased=%d remaining>0=%d\n",
        tv.tv_sec < 5, tv.tv_sec > 0 || tv.tv_usec > 0);
    SHOW("writer exit", wait_peer(pid));
    drain_fd(s);
    pid = spawn_writer(pw, 100, "late");
    FD_ZERO(&rs);
    FD_SET(pr, &rs);
    FD_SET(s, &rs);
    tv = (struct timeval){ 5, 0 };
    r = select(nfds, &rs, NULL, NULL, &tv);
    show_select("select 5 s, pipe written later", r, errno, &rs, NULL, nfds);
    say("  remaining decreased=%d remaining>0=%d\n",
        tv.tv_sec < 5, tv.tv_sec > 0 || tv.tv_usec > 0);
    SHOW("writer exit", wait_peer(pid));
    drain_pipe(pr);

    close(c);
    close(s);
    close(lfd);
    close(pr);
    close(pw);
    return 0;
}
