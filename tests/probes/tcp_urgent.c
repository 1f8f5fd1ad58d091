/*
 * tcp_urgent — TCP urgent data (MSG_OOB): the mark, the one-byte slot,
 * SO_OOBINLINE, SIOCATMARK, and the readiness it gives (POLLPRI, select's
 * exception set, EPOLLPRI).
 *
 * The last byte of a MSG_OOB send is the urgent byte.  Each scenario sends
 * its bytes from the client, waits until the server has them all (FIONREAD
 * counts the urgent byte), then prints what every read, ioctl and readiness
 * call says.  Over loopback the segments arrive while send() runs, but
 * WAIT_UNTIL still guards each end state.
 */
#include "probe.h"
#include <linux/sockios.h>
#include <pthread.h>

static int ep = -1;         /* one epoll instance watching the server end */

static void atmark(const char *label, int fd)
{
    int m = -7;
    errno = 0;
    int r = ioctl(fd, SIOCATMARK, &m);
    if (r < 0)
        printf("%s: SIOCATMARK ret=-1 errno=%s\n", label, errname(errno));
    else
        printf("%s: SIOCATMARK=%d\n", label, m);
}

/* poll, select and epoll on fd, all with a zero timeout. */
static void ready(const char *label, int fd)
{
    struct pollfd p = { .fd = fd, .events = POLL_ALL };
    int r = poll(&p, 1, 0);
    fd_set rd, ex;
    FD_ZERO(&rd);
    FD_ZERO(&ex);
    FD_SET(fd, &rd);
    FD_SET(fd, &ex);
    struct timeval tv = { 0, 0 };
    int sr = select(fd + 1, &rd, NULL, &ex, &tv);
    struct epoll_event e = { 0 };
    int er = epoll_wait(ep, &e, 1, 0);
    printf("%s: poll=%d %s select=%d rd=%d ex=%d epoll=%d %s\n", label, r,
           pollbits(p.revents), sr, FD_ISSET(fd, &rd) ? 1 : 0,
           FD_ISSET(fd, &ex) ? 1 : 0, er, er > 0 ? epbits(e.events) : "-");
}

/* recv and print the bytes read. */
static void rd(const char *label, int fd, size_t n, int flags)
{
    char buf[64];
    memset(buf, 0, sizeof buf);
    errno = 0;
    ssize_t r = recv(fd, buf, n, flags);
    if (r < 0)
        printf("%s: ret=-1 errno=%s\n", label, errname(errno));
    else
        printf("%s: ret=%zd data=\"%.*s\"\n", label, r, (int)r, buf);
}

static int outq(int fd)
{
    int n = -1;
    return ioctl(fd, SIOCOUTQ, &n) < 0 ? -1 : n;
}

/* Wait until the peer acknowledged all of c's bytes (SIOCOUTQ 0): they
 * are in s's queue.  FIONREAD cannot tell: it stops at the mark.  Prints
 * what FIONREAD says then. */
static void delivered(int c, int s)
{
    CHECK("delivered", WAIT_UNTIL(outq(c) == 0, 1000));
    printf("FIONREAD: %d\n", inq(s));
}

static void snd(int fd, const char *s, int flags)
{
    NEED(send(fd, s, strlen(s), flags | MSG_NOSIGNAL));
}

/* A fresh pair; the server end non-blocking and watched by `ep`. */
static void pair(int family, int *c, int *s, int inline_oob)
{
    static int lfd[2] = { -1, -1 }, port[2];
    int i = family == AF_INET6;
    if (lfd[i] < 0) {
        lfd[i] = tcp_listener(family, family == AF_INET ? "127.0.0.1" : "::1", 16,
                              &port[i]);
    }
    nd_pair(lfd[i], family, port[i], c, s);
    set_nonblock(*s, 1);
    if (inline_oob)
        NEED(set_int_opt(*s, SOL_SOCKET, SO_OOBINLINE, 1));
    if (ep >= 0)
        close(ep);
    ep = NEED(epoll_create1(0));
    struct epoll_event e = { .events = EPOLLIN | EPOLLPRI | EPOLLRDHUP };
    NEED(epoll_ctl(ep, EPOLL_CTL_ADD, *s, &e));
}

static void done(int c, int s)
{
    close(c);
    close(s);
}

static void basic(int family)
{
    int c, s;
    printf("== out of line, %s ==\n", family_name(family));
    pair(family, &c, &s, 0);
    atmark("fresh", s);
    ready("fresh", s);
    snd(c, "abc", 0);
    snd(c, "de", MSG_OOB);
    snd(c, "fg", 0);
    delivered(c, s);
    atmark("before", s);
    ready("before", s);
    rd("peek", s, 64, MSG_PEEK);
    rd("recv", s, 64, 0);
    atmark("at mark", s);
    ready("at mark", s);
    printf("FIONREAD at mark: %d\n", inq(s));
    rd("peek OOB", s, 64, MSG_OOB | MSG_PEEK);
    rd("recv OOB", s, 64, MSG_OOB);
    rd("recv OOB again", s, 64, MSG_OOB);
    rd("peek OOB again", s, 64, MSG_OOB | MSG_PEEK);
    atmark("after OOB read", s);
    ready("after OOB read", s);
    rd("recv", s, 64, 0);
    atmark("past mark", s);
    ready("past mark", s);
    rd("recv OOB past mark", s, 64, MSG_OOB);
    rd("recv empty", s, 64, 0);
    done(c, s);
}

static void oob_first(void)
{
    int c, s;
    say("== urgent byte read before the bytes ahead of it ==\n");
    pair(AF_INET, &c, &s, 0);
    snd(c, "hello", 0);
    snd(c, "!", MSG_OOB);
    snd(c, "world", 0);
    delivered(c, s);
    rd("recv OOB", s, 64, MSG_OOB);
    atmark("after OOB", s);
    ready("after OOB", s);
    rd("recv 3", s, 3, 0);
    rd("recv", s, 64, 0);
    atmark("at mark", s);
    rd("recv", s, 64, 0);
    done(c, s);
}

static void read_past(void)
{
    int c, s;
    say("== reading past the mark loses an unread urgent byte ==\n");
    pair(AF_INET, &c, &s, 0);
    snd(c, "12", MSG_OOB);
    snd(c, "34", 0);
    delivered(c, s);
    rd("recv", s, 64, 0);
    rd("recv", s, 64, 0);
    atmark("after", s);
    ready("after", s);
    rd("recv OOB", s, 64, MSG_OOB);
    done(c, s);
}

static void lone_byte(void)
{
    int c, s;
    say("== only the urgent byte ==\n");
    pair(AF_INET, &c, &s, 0);
    snd(c, "Z", MSG_OOB);
    delivered(c, s);
    atmark("queued", s);
    ready("queued", s);
    rd("recv", s, 64, 0);
    printf("FIONREAD: %d\n", inq(s));
    atmark("after recv", s);
    ready("after recv", s);
    rd("recv OOB", s, 64, MSG_OOB);
    snd(c, "next", 0);
    delivered(c, s);
    rd("recv", s, 64, 0);

    say("-- read with MSG_OOB first --\n");
    snd(c, "Y", MSG_OOB);
    delivered(c, s);
    rd("recv OOB", s, 64, MSG_OOB);
    atmark("after OOB", s);
    ready("after OOB", s);
    rd("recv", s, 64, 0);
    printf("FIONREAD: %d\n", inq(s));
    atmark("after recv", s);
    snd(c, "k", 0);
    delivered(c, s);
    rd("recv", s, 64, 0);
    done(c, s);
}

static void two_urgent(void)
{
    int c, s;
    say("== two urgent sends before a read ==\n");
    pair(AF_INET, &c, &s, 0);
    snd(c, "a", 0);
    snd(c, "x", MSG_OOB);
    snd(c, "b", 0);
    snd(c, "y", MSG_OOB);
    snd(c, "c", 0);
    delivered(c, s);
    rd("recv OOB", s, 64, MSG_OOB);
    rd("recv", s, 64, 0);
    atmark("at mark", s);
    rd("recv", s, 64, 0);
    done(c, s);

    say("-- a new urgent byte while the reader stands at the old mark --\n");
    pair(AF_INET, &c, &s, 0);
    snd(c, "pq", MSG_OOB);
    delivered(c, s);
    rd("recv", s, 64, 0);
    atmark("at old mark", s);
    snd(c, "r", MSG_OOB);
    delivered(c, s);
    printf("FIONREAD: %d\n", inq(s));
    atmark("new mark", s);
    rd("recv OOB", s, 64, MSG_OOB);
    rd("recv", s, 64, 0);
    done(c, s);

    say("-- a new urgent byte after the old one was read --\n");
    pair(AF_INET, &c, &s, 0);
    snd(c, "AB", 0);
    snd(c, "u", MSG_OOB);
    delivered(c, s);
    rd("recv OOB", s, 64, MSG_OOB);
    snd(c, "v", MSG_OOB);
    delivered(c, s);
    ready("second", s);
    rd("recv OOB", s, 64, MSG_OOB);
    rd("recv", s, 64, 0);
    rd("recv", s, 64, 0);
    done(c, s);
}

static void oob_inline(void)
{
    int c, s;
    say("== SO_OOBINLINE ==\n");
    pair(AF_INET, &c, &s, 1);
    snd(c, "abc", 0);
    snd(c, "de", MSG_OOB);
    snd(c, "fg", 0);
    delivered(c, s);
    atmark("before", s);
    ready("before", s);
    rd("recv OOB", s, 64, MSG_OOB);
    rd("peek", s, 64, MSG_PEEK);
    rd("recv", s, 64, 0);
    atmark("at mark", s);
    ready("at mark", s);
    rd("recv 1", s, 1, 0);
    atmark("past mark", s);
    ready("past mark", s);
    rd("recv", s, 64, 0);
    done(c, s);

    say("-- only the urgent byte, inline --\n");
    pair(AF_INET6, &c, &s, 1);
    snd(c, "Z", MSG_OOB);
    delivered(c, s);
    atmark("queued", s);
    ready("queued", s);
    rd("recv", s, 64, 0);
    atmark("after", s);
    ready("after", s);
    done(c, s);

    say("-- SO_OOBINLINE set after the byte arrived --\n");
    pair(AF_INET, &c, &s, 0);
    snd(c, "mn", MSG_OOB);
    delivered(c, s);
    NEED(set_int_opt(s, SOL_SOCKET, SO_OOBINLINE, 1));
    rd("recv OOB", s, 64, MSG_OOB);
    rd("recv", s, 64, 0);
    rd("recv", s, 64, 0);
    say("-- and cleared again --\n");
    NEED(set_int_opt(s, SOL_SOCKET, SO_OOBINLINE, 0));
    snd(c, "op", MSG_OOB);
    delivered(c, s);
    rd("recv OOB", s, 64, MSG_OOB);
    rd("recv", s, 64, 0);
    rd("recv", s, 64, 0);
    done(c, s);
}

static void flags(void)
{
    int c, s;
    say("== MSG_PEEK, MSG_WAITALL, recvmsg flags ==\n");
    pair(AF_INET, &c, &s, 0);
    snd(c, "abc", 0);
    snd(c, "d", MSG_OOB);
    snd(c, "e", 0);
    delivered(c, s);
    rd("peek", s, 64, MSG_PEEK);
    rd("recv 1", s, 1, 0);
    rd("peek", s, 64, MSG_PEEK);
    rd("recv", s, 64, 0);
    rd("peek at mark", s, 64, MSG_PEEK);
    char b[4] = "";
    struct iovec v = { b, sizeof b };
    struct msghdr mh = { .msg_iov = &v, .msg_iovlen = 1 };
    SHOW("recvmsg OOB", recvmsg(s, &mh, MSG_OOB));
    printf("byte=%c flags OOB=%d TRUNC=%d\n", b[0], !!(mh.msg_flags & MSG_OOB),
           !!(mh.msg_flags & MSG_TRUNC));
    rd("recv", s, 64, 0);
    done(c, s);

    say("-- MSG_OOB into a bad buffer, MSG_OOB|MSG_TRUNC --\n");
    pair(AF_INET, &c, &s, 0);
    snd(c, "jk", MSG_OOB);
    delivered(c, s);
    SHOW("recv OOB bad buffer", recv(s, bad_ptr(), 1, MSG_OOB));
    rd("recv OOB", s, 64, MSG_OOB);
    snd(c, "l", MSG_OOB);
    delivered(c, s);
    rd("recv OOB|TRUNC", s, 64, MSG_OOB | MSG_TRUNC);
    rd("recv OOB", s, 64, MSG_OOB);
    rd("recv", s, 64, 0);
    done(c, s);

    say("-- zero-length MSG_OOB buffer --\n");
    pair(AF_INET, &c, &s, 0);
    snd(c, "gh", MSG_OOB);
    delivered(c, s);
    mh.msg_flags = 0;
    v.iov_len = 0;
    SHOW("recvmsg OOB len 0", recvmsg(s, &mh, MSG_OOB));
    printf("flags OOB=%d TRUNC=%d\n", !!(mh.msg_flags & MSG_OOB),
           !!(mh.msg_flags & MSG_TRUNC));
    ready("after", s);
    rd("recv OOB", s, 64, MSG_OOB);
    rd("recv", s, 64, 0);
    SHOW("send empty OOB", send(c, "", 0, MSG_OOB));
    snd(c, "i", 0);
    delivered(c, s);
    atmark("after empty OOB", s);
    rd("recv OOB", s, 64, MSG_OOB);
    rd("recv", s, 64, 0);
    done(c, s);

    say("-- MSG_WAITALL stops at the mark --\n");
    pair(AF_INET, &c, &s, 0);
    set_nonblock(s, 0);
    snd(c, "abc", 0);
    snd(c, "d", MSG_OOB);
    snd(c, "efgh", 0);
    delivered(c, s);
    rd("recv WAITALL 7", s, 7, MSG_WAITALL);
    rd("recv WAITALL 4", s, 4, MSG_WAITALL);
    done(c, s);
}

struct later { int fd; const char *data; };

static void *send_later(void *p)
{
    struct later *l = p;
    sleep_ms(30);
    send(l->fd, l->data, strlen(l->data), MSG_OOB);
    return NULL;
}

static void waiting(void)
{
    int c, s;
    pthread_t th;
    say("== waiting for urgent data ==\n");
    pair(AF_INET, &c, &s, 0);
    struct later l = { c, "1" };
    pthread_create(&th, NULL, send_later, &l);
    struct pollfd p = { .fd = s, .events = POLLPRI };
    int r = poll(&p, 1, 3000);
    printf("poll POLLPRI: ret=%d revents=%s\n", r, pollbits(p.revents));
    pthread_join(th, NULL);
    rd("recv OOB", s, 64, MSG_OOB);

    l.data = "2";
    pthread_create(&th, NULL, send_later, &l);
    fd_set ex;
    FD_ZERO(&ex);
    FD_SET(s, &ex);
    struct timeval tv = { 3, 0 };
    r = select(s + 1, NULL, NULL, &ex, &tv);
    printf("select exceptfds: ret=%d ex=%d\n", r, FD_ISSET(s, &ex) ? 1 : 0);
    pthread_join(th, NULL);
    rd("recv OOB", s, 64, MSG_OOB);

    l.data = "3";
    int ep2 = NEED(epoll_create1(0));
    struct epoll_event e = { .events = EPOLLPRI | EPOLLET };
    NEED(epoll_ctl(ep2, EPOLL_CTL_ADD, s, &e));
    pthread_create(&th, NULL, send_later, &l);
    r = epoll_wait(ep2, &e, 1, 3000);
    printf("epoll EPOLLPRI|EPOLLET: ret=%d events=%s\n", r, r > 0 ? epbits(e.events) : "-");
    pthread_join(th, NULL);
    r = epoll_wait(ep2, &e, 1, 0);
    printf("epoll again: ret=%d\n", r);
    rd("recv OOB", s, 64, MSG_OOB);
    close(ep2);

    say("-- a blocking read on a lone out-of-line urgent byte waits --\n");
    set_nonblock(s, 0);
    struct timeval to = { 0, 50000 };
    NEED(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &to, sizeof to));
    snd(c, "4", MSG_OOB);
    delivered(c, s);
    rd("recv (times out)", s, 64, 0);
    to.tv_sec = 3;
    NEED(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &to, sizeof to));
    l.data = "56";
    pthread_create(&th, NULL, send_later, &l);
    rd("recv (waits)", s, 64, 0);
    pthread_join(th, NULL);
    rd("recv OOB", s, 64, MSG_OOB);
    done(c, s);
}

static volatile sig_atomic_t urgs;
static void on_urg(int sig) { (void)sig; urgs++; }

/* No signal is expected: give one the time it would take to come. */
static void no_more(const char *label, int want)
{
    WAIT_UNTIL(urgs != want, 30);
    printf("%s: SIGURG count=%d\n", label, (int)urgs);
}

static void sigurg(void)
{
    int c, s;
    say("== SIGURG to the F_SETOWN owner ==\n");
    struct sigaction sa = { .sa_handler = on_urg, .sa_flags = SA_RESTART };
    sigemptyset(&sa.sa_mask);
    NEED(sigaction(SIGURG, &sa, NULL));
    pair(AF_INET, &c, &s, 0);
    snd(c, "a", MSG_OOB);
    delivered(c, s);
    no_more("no owner", 0);
    SHOW("F_SETOWN", fcntl(s, F_SETOWN, getpid()));
    CHECK("F_GETOWN is us", fcntl(s, F_GETOWN) == getpid());
    snd(c, "b", 0);
    delivered(c, s);
    no_more("plain send", 0);
    snd(c, "c", MSG_OOB);
    CHECK("signalled", WAIT_UNTIL(urgs == 1, 1000));
    snd(c, "de", MSG_OOB);
    CHECK("signalled", WAIT_UNTIL(urgs == 2, 1000));
    snd(s, "x", MSG_OOB);       /* to c, which has no owner */
    no_more("other end", 2);
    NEED(set_int_opt(s, SOL_SOCKET, SO_OOBINLINE, 1));
    snd(c, "f", MSG_OOB);
    CHECK("signalled inline", WAIT_UNTIL(urgs == 3, 1000));
    int pid = getpid();
    SHOW("FIOSETOWN 0", ioctl(s, FIOSETOWN, &(int){0}));
    snd(c, "g", MSG_OOB);
    no_more("owner cleared", 3);
    SHOW("SIOCSPGRP", ioctl(s, SIOCSPGRP, &pid));
    snd(c, "h", MSG_OOB);
    CHECK("signalled", WAIT_UNTIL(urgs == 4, 1000));
    struct f_owner_ex o = { F_OWNER_PGRP, getpgrp() };
    SHOW("F_SETOWN_EX pgrp", fcntl(s, F_SETOWN_EX, &o));
    snd(c, "i", MSG_OOB);
    CHECK("signalled", WAIT_UNTIL(urgs == 5, 1000));
    signal(SIGURG, SIG_DFL);
    done(c, s);
}

/* The receiving end in a child, which owns it: SIGURG crosses processes.
 * Exit status: 10 + the signals seen, or 1 when setup failed. */
struct urg_child { int s, ready, go; };

static int urg_child_main(void *p)
{
    struct urg_child *u = p;
    urgs = 0;
    if (fcntl(u->s, F_SETOWN, getpid()) < 0)
        return 1;
    sync_signal(u->ready);
    if (sync_wait(u->go) < 0)
        return 1;
    WAIT_UNTIL(urgs >= 1, 2000);
    WAIT_UNTIL(urgs >= 2, 50);              /* only one may come */
    char b[4];
    return recv(u->s, b, sizeof b, MSG_OOB) == 1 && b[0] == 'z' ? 10 + urgs : 2;
}

static void sigurg_other_process(void)
{
    int c, s, r[2], g[2];
    say("-- the owner is another process --\n");
    struct sigaction sa = { .sa_handler = on_urg, .sa_flags = SA_RESTART };
    sigemptyset(&sa.sa_mask);
    NEED(sigaction(SIGURG, &sa, NULL));
    pair(AF_INET, &c, &s, 0);
    NEED(pipe(r));
    NEED(pipe(g));
    struct urg_child u = { s, r[1], g[0] };
    pid_t pid = fork_peer(urg_child_main, &u);
    CHECK("child owns it", sync_wait(r[0]) == 0);
    urgs = 0;
    snd(c, "yz", MSG_OOB);
    delivered(c, s);
    sync_signal(g[1]);
    printf("child exit: %d\n", wait_peer(pid));
    no_more("parent", 0);
    signal(SIGURG, SIG_DFL);
    close(r[0]); close(r[1]); close(g[0]); close(g[1]);
    done(c, s);
}

static void ends(void)
{
    int c, s;
    say("== closed and shut connections ==\n");
    pair(AF_INET, &c, &s, 0);
    snd(c, "ab", MSG_OOB);
    close(c);
    CHECK("EOF seen", poll_until(s, POLLRDHUP, 1000));
    atmark("closed peer", s);
    ready("closed peer", s);
    rd("recv OOB", s, 64, MSG_OOB);
    rd("recv", s, 64, 0);
    rd("recv", s, 64, 0);
    rd("recv OOB after EOF", s, 64, MSG_OOB);
    close(s);

    say("-- reset by the peer --\n");
    pair(AF_INET, &c, &s, 0);
    snd(c, "ab", MSG_OOB);
    delivered(c, s);
    struct linger lg = { 1, 0 };
    NEED(setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
    close(c);
    CHECK("reset seen", poll_until(s, POLLERR, 1000));
    atmark("reset", s);
    rd("recv OOB", s, 64, MSG_OOB);
    rd("recv", s, 64, 0);
    rd("recv", s, 64, 0);
    rd("recv OOB", s, 64, MSG_OOB);
    close(s);

    pair(AF_INET, &c, &s, 0);
    NEED(shutdown(c, SHUT_WR));
    SHOW("send OOB after SHUT_WR", send(c, "x", 1, MSG_OOB | MSG_NOSIGNAL));
    CHECK("EOF seen", poll_until(s, POLLRDHUP, 1000));
    rd("recv OOB after peer FIN", s, 64, MSG_OOB);
    NEED(shutdown(s, SHUT_RD));
    rd("recv OOB after SHUT_RD", s, 64, MSG_OOB);
    done(c, s);

    int t = NEED(socket(AF_INET, SOCK_STREAM, 0));
    SHOW("send OOB unconnected", send(t, "x", 1, MSG_OOB | MSG_NOSIGNAL));
    rd("recv OOB unconnected", t, 64, MSG_OOB);
    atmark("unconnected", t);
    NEED(listen(t, 1));
    SHOW("send OOB listener", send(t, "x", 1, MSG_OOB | MSG_NOSIGNAL));
    rd("recv OOB listener", t, 64, MSG_OOB);
    atmark("listener", t);
    close(t);
}

static void udp(int family)
{
    printf("== UDP %s ==\n", family_name(family));
    int port;
    int u = udp_bound(family, family == AF_INET ? "127.0.0.1" : "::1", &port);
    struct sockaddr_storage to;
    socklen_t tl = sa_make(family, family == AF_INET ? "127.0.0.1" : "::1", port, &to);
    SHOW("sendto OOB", sendto(u, "x", 1, MSG_OOB, (struct sockaddr *)&to, tl));
    SHOW("send OOB unconnected", send(u, "x", 1, MSG_OOB));
    NEED(sendto(u, "y", 1, 0, (struct sockaddr *)&to, tl));
    rd("recv OOB", u, 64, MSG_OOB | MSG_DONTWAIT);
    atmark("udp", u);
    if (family == AF_INET6) {
        /* An IPv4 peer of a dual-stack socket (unbound: one bound to ::1
         * is IPv6-only): the IPv4 path refuses. */
        int d = NEED(socket(AF_INET6, SOCK_DGRAM, 0));
        struct sockaddr_in6 m = sa6("::ffff:127.0.0.1", 9);
        SHOW("sendto OOB v4-mapped", sendto(d, "x", 1, MSG_OOB, (struct sockaddr *)&m, sizeof m));
        close(d);
    }
    NEED(connect(u, (struct sockaddr *)&to, tl));
    SHOW("send OOB connected", send(u, "x", 1, MSG_OOB));
    rd("recv", u, 64, MSG_DONTWAIT);
    close(u);
}

int main(void)
{
    probe_init();
    basic(AF_INET);
    basic(AF_INET6);
    oob_first();
    read_past();
    lone_byte();
    two_urgent();
    oob_inline();
    flags();
    waiting();
    sigurg();
    sigurg_other_process();
    ends();
    udp(AF_INET);
    udp(AF_INET6);
    return 0;
}
