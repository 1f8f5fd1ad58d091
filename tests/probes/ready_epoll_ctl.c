/*
 * ready_epoll_ctl — epoll_ctl/epoll_wait errors and how closing fds
 * changes an epoll set, with simulated sockets as the targets:
 *   - EEXIST, ENOENT (MOD, DEL), EBADF (closed fd, closed epfd), EINVAL
 *     (epfd == fd, a pipe or a socket as epfd, EPOLLEXCLUSIVE with
 *     ONESHOT or RDHUP, MOD of an EXCLUSIVE item, MOD adding EXCLUSIVE,
 *     the kernel's order of checks, a bad op), EFAULT (event pointer);
 *   - epoll_wait: maxevents <= 0, not an epoll fd, closed fd, bad buffer;
 *   - an fd leaves the set when it is closed; it stays while a dup of it
 *     is open (still reported under its cookie, DEL through the dup says
 *     ENOENT, through the closed number EBADF) and leaves once the dup
 *     closes; a new socket that takes the old number can be added;
 *   - a dup of the epoll fd is the same set.
 */
#include "probe.h"

static struct epoll_event ev[16];
/* Hidden from the compiler, which would refuse a literal -1 count. */
static volatile int minus_one = -1;

int main(void)
{
    probe_init();
    char buf[64];
    int port, c, s;
    int lfd = tcp_listener(AF_INET, "127.0.0.1", 8, &port);
    nd_pair(lfd, AF_INET, port, &c, &s);
    int ep = NEED(epoll_create1(0));
    int pfd[2];
    NEED(pipe(pfd));
    int gone = NEED(socket(AF_INET, SOCK_STREAM, 0));
    close(gone);
    int gone_ep = NEED(epoll_create1(0));
    close(gone_ep);
    struct epoll_event e = { .events = EPOLLIN };

    say("== epoll_ctl errors ==\n");
    SHOW("ADD", ep_ctl(ep, EPOLL_CTL_ADD, s, EPOLLIN, 1));
    SHOW("ADD again", ep_ctl(ep, EPOLL_CTL_ADD, s, EPOLLIN, 1));
    SHOW("ADD again, other events", ep_ctl(ep, EPOLL_CTL_ADD, s, EPOLLOUT | EPOLLET, 1));
    SHOW("MOD not added", ep_ctl(ep, EPOLL_CTL_MOD, c, EPOLLIN, 2));
    SHOW("DEL not added", ep_ctl(ep, EPOLL_CTL_DEL, c, 0, 0));
    SHOW("DEL not added, NULL event", epoll_ctl(ep, EPOLL_CTL_DEL, c, NULL));
    SHOW("ADD closed fd", ep_ctl(ep, EPOLL_CTL_ADD, gone, EPOLLIN, 3));
    SHOW("MOD closed fd", ep_ctl(ep, EPOLL_CTL_MOD, gone, EPOLLIN, 3));
    SHOW("ADD to closed epfd", ep_ctl(gone_ep, EPOLL_CTL_ADD, c, EPOLLIN, 3));
    SHOW("ADD to -1", ep_ctl(-1, EPOLL_CTL_ADD, c, EPOLLIN, 3));
    SHOW("ADD epfd to itself", ep_ctl(ep, EPOLL_CTL_ADD, ep, EPOLLIN, 3));
    SHOW("ADD to a pipe as epfd", ep_ctl(pfd[0], EPOLL_CTL_ADD, c, EPOLLIN, 3));
    SHOW("ADD to a socket as epfd", ep_ctl(s, EPOLL_CTL_ADD, c, EPOLLIN, 3));
    SHOW("ADD socket to itself as epfd", ep_ctl(c, EPOLL_CTL_ADD, c, EPOLLIN, 3));
    SHOW("ADD closed fd to a socket as epfd", ep_ctl(s, EPOLL_CTL_ADD, gone, EPOLLIN, 3));
    SHOW("bad op 99", ep_ctl(ep, 99, c, EPOLLIN, 3));
    SHOW("bad op 99, closed epfd", ep_ctl(gone_ep, 99, c, EPOLLIN, 3));
    SHOW("ADD NULL event", epoll_ctl(ep, EPOLL_CTL_ADD, c, NULL));
    SHOW("ADD bad event pointer", epoll_ctl(ep, EPOLL_CTL_ADD, c, bad_ptr()));
    SHOW("MOD bad event pointer", epoll_ctl(ep, EPOLL_CTL_MOD, s, bad_ptr()));
    SHOW("ADD EXCLUSIVE|ONESHOT", ep_ctl(ep, EPOLL_CTL_ADD, c, EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 4));
    SHOW("ADD EXCLUSIVE|RDHUP", ep_ctl(ep, EPOLL_CTL_ADD, c, EPOLLIN | EPOLLEXCLUSIVE | EPOLLRDHUP, 4));
    SHOW("ADD EXCLUSIVE|PRI", ep_ctl(ep, EPOLL_CTL_ADD, c, EPOLLIN | EPOLLEXCLUSIVE | EPOLLPRI, 4));
    SHOW("ADD EXCLUSIVE|ONESHOT, already added", ep_ctl(ep, EPOLL_CTL_ADD, s, EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 4));
    SHOW("MOD EXCLUSIVE, not added", ep_ctl(ep, EPOLL_CTL_MOD, c, EPOLLIN | EPOLLEXCLUSIVE, 4));
    SHOW("MOD adding EXCLUSIVE", ep_ctl(ep, EPOLL_CTL_MOD, s, EPOLLIN | EPOLLEXCLUSIVE, 4));
    SHOW("ADD EXCLUSIVE|ET|OUT|HUP|ERR", ep_ctl(ep, EPOLL_CTL_ADD, c, EPOLLIN | EPOLLOUT | EPOLLET | EPOLLHUP | EPOLLERR | EPOLLEXCLUSIVE, 5));
    SHOW("MOD of an EXCLUSIVE item", ep_ctl(ep, EPOLL_CTL_MOD, c, EPOLLIN, 5));
    SHOW("MOD of an EXCLUSIVE item, EXCLUSIVE", ep_ctl(ep, EPOLL_CTL_MOD, c, EPOLLIN | EPOLLEXCLUSIVE, 5));
    show_epoll("EXCLUSIVE item reported", ep, ev, 16, 0);
    SHOW("DEL of an EXCLUSIVE item", ep_ctl(ep, EPOLL_CTL_DEL, c, 0, 0));
    int inner = NEED(epoll_create1(0));
    SHOW("ADD an epoll fd EXCLUSIVE", ep_ctl(ep, EPOLL_CTL_ADD, inner, EPOLLIN | EPOLLEXCLUSIVE, 6));
    SHOW("ADD a pipe EXCLUSIVE|ONESHOT", ep_ctl(ep, EPOLL_CTL_ADD, pfd[0], EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 6));
    close(inner);
    SHOW("DEL", ep_ctl(ep, EPOLL_CTL_DEL, s, 0, 0));
    SHOW("DEL again", ep_ctl(ep, EPOLL_CTL_DEL, s, 0, 0));
    SHOW("ADD after DEL", ep_ctl(ep, EPOLL_CTL_ADD, s, EPOLLIN, 7));
    SHOW("MOD", ep_ctl(ep, EPOLL_CTL_MOD, s, EPOLLIN | EPOLLOUT, 8));
    show_epoll("after MOD", ep, ev, 16, 0);
    SHOW("DEL", ep_ctl(ep, EPOLL_CTL_DEL, s, 0, 0));
    SHOW("ADD a listener", ep_ctl(ep, EPOLL_CTL_ADD, lfd, EPOLLIN, 9));
    SHOW("DEL a listener", ep_ctl(ep, EPOLL_CTL_DEL, lfd, 0, 0));
    int u = NEED(socket(AF_INET, SOCK_DGRAM, 0));
    SHOW("ADD a UDP socket", ep_ctl(ep, EPOLL_CTL_ADD, u, EPOLLIN | EPOLLOUT, 10));
    show_epoll("UDP socket", ep, ev, 16, 0);
    SHOW("DEL a UDP socket", ep_ctl(ep, EPOLL_CTL_DEL, u, 0, 0));
    close(u);

    say("== epoll_wait errors ==\n");
    SHOW("maxevents 0", epoll_wait(ep, ev, 0, 0));
    SHOW("maxevents -1", epoll_wait(ep, ev, minus_one, 0));
    SHOW("a socket as epfd", epoll_wait(s, ev, 16, 0));
    SHOW("a pipe as epfd", epoll_wait(pfd[0], ev, 16, 0));
    int closed_ep = NEED(epoll_create1(0));
    close(closed_ep);
    SHOW("closed epfd", epoll_wait(closed_ep, ev, 16, 0));
    NEED(ep_ctl(ep, EPOLL_CTL_ADD, s, EPOLLOUT, 11));
    SHOW("bad buffer, one ready", epoll_wait(ep, bad_ptr(), 16, 0));
    SHOW("ready fd still there", epoll_wait(ep, ev, 16, 0));
    NEED(ep_ctl(ep, EPOLL_CTL_DEL, s, 0, 0));
    SHOW("empty set, 0 timeout", epoll_wait(ep, ev, 16, 0));
    SHOW("epoll_create(0)", epoll_create(0));
    SHOW("epoll_create1(bad flag)", epoll_create1(1));
    close(ep);

    say("== closing fds in the set ==\n");
    ep = NEED(epoll_create1(0));
    NEED(ep_ctl(ep, EPOLL_CTL_ADD, s, EPOLLIN, 0x51));
    SHOW("client send", send(c, "a", 1, 0));
    show_epoll("registered, ready", ep, ev, 16, 2000);
    close(s);
    show_epoll("closed while ready", ep, ev, 16, 0);
    SHOW("client send after close", send(c, "b", 1, MSG_NOSIGNAL));
    show_epoll("closed, peer sent", ep, ev, 16, 30);
    SHOW("DEL closed fd", ep_ctl(ep, EPOLL_CTL_DEL, s, 0, 0));
    close(c);

    nd_pair(lfd, AF_INET, port, &c, &s);
    NEED(ep_ctl(ep, EPOLL_CTL_ADD, s, EPOLLIN, 0x52));
    int d = NEED(dup(s));
    close(s);
    show_epoll("closed, dup open, idle", ep, ev, 16, 0);
    SHOW("client send", send(c, "c", 1, 0));
    show_epoll("closed, dup open, peer sent", ep, ev, 16, 2000);
    SHOW("DEL through the dup", ep_ctl(ep, EPOLL_CTL_DEL, d, 0, 0));
    SHOW("MOD through the dup", ep_ctl(ep, EPOLL_CTL_MOD, d, EPOLLIN, 0x53));
    SHOW("DEL through the closed number", ep_ctl(ep, EPOLL_CTL_DEL, s, 0, 0));
    SHOW("ADD the dup", ep_ctl(ep, EPOLL_CTL_ADD, d, EPOLLIN, 0x54));
    show_epoll("both registrations", ep, ev, 16, 0);
    SHOW("DEL the dup", ep_ctl(ep, EPOLL_CTL_DEL, d, 0, 0));
    show_epoll("old registration only", ep, ev, 16, 0);
    /* A new socket on the old number is a different file: it can be
     * added even though the old registration lives on. */
    int n = NEED(socket(AF_INET, SOCK_STREAM, 0));
    if (n != s) {
        NEED(dup2(n, s));
        close(n);
    }
    SHOW("ADD new socket on the old number", ep_ctl(ep, EPOLL_CTL_ADD, s, EPOLLIN, 0x55));
    show_epoll("old registration and new socket", ep, ev, 16, 0);
    SHOW("DEL new socket", ep_ctl(ep, EPOLL_CTL_DEL, s, 0, 0));
    show_epoll("old registration again", ep, ev, 16, 0);
    close(s);
    SHOW("server recv through the dup", recv(d, buf, sizeof buf, 0));
    show_epoll("old registration, drained", ep, ev, 16, 0);
    SHOW("client send", send(c, "d", 1, 0));
    show_epoll("old registration, new data", ep, ev, 16, 2000);
    close(d);
    show_epoll("dup closed too", ep, ev, 16, 0);
    SHOW("client send", send(c, "e", 1, MSG_NOSIGNAL));
    show_epoll("dup closed, peer sent", ep, ev, 16, 30);
    close(c);

    nd_pair(lfd, AF_INET, port, &c, &s);
    NEED(ep_ctl(ep, EPOLL_CTL_ADD, s, EPOLLIN, 0x56));
    d = NEED(fcntl(s, F_DUPFD_CLOEXEC, 0));
    close(d);
    SHOW("client send", send(c, "f", 1, 0));
    show_epoll("a dup came and went", ep, ev, 16, 2000);
    d = NEED(dup(s));
    NEED(dup2(d, s));        /* same file on the same number: a no-op */
    close(d);
    show_epoll("after dup2 onto itself", ep, ev, 16, 0);
    n = NEED(socket(AF_INET, SOCK_STREAM, 0));
    d = NEED(dup(s));
    NEED(dup2(n, s));        /* s now names another socket */
    close(n);
    show_epoll("number reused by dup2, old file open", ep, ev, 16, 0);
    SHOW("DEL the number", ep_ctl(ep, EPOLL_CTL_DEL, s, 0, 0));
    close(d);
    close(s);
    show_epoll("all closed", ep, ev, 16, 0);
    close(c);
    close(ep);

    say("== a dup of the epoll fd ==\n");
    nd_pair(lfd, AF_INET, port, &c, &s);
    ep = NEED(epoll_create1(0));
    int ep2 = NEED(dup(ep));
    SHOW("ADD through the dup", ep_ctl(ep2, EPOLL_CTL_ADD, s, EPOLLIN, 0x61));
    SHOW("ADD through the original", ep_ctl(ep, EPOLL_CTL_ADD, s, EPOLLIN, 0x61));
    SHOW("client send", send(c, "g", 1, 0));
    show_epoll("wait on the original", ep, ev, 16, 2000);
    close(ep);
    show_epoll("wait on the dup, original closed", ep2, ev, 16, 0);
    SHOW("DEL through the dup", ep_ctl(ep2, EPOLL_CTL_DEL, s, 0, 0));
    show_epoll("empty", ep2, ev, 16, 0);
    SHOW("ADD to the closed original", ep_ctl(ep, EPOLL_CTL_ADD, s, EPOLLIN, 0x62));
    close(ep2);
    close(c);
    close(s);

    say("== fd numbers: nothing hidden takes the lowest free one ==\n");
    nd_pair(lfd, AF_INET, port, &c, &s);
    int lo = NEED(dup(0));
    int lo2 = NEED(dup(0));
    close(lo);
    close(lo2);
    ep = NEED(epoll_create1(0));
    CHECK("epoll fd took the lowest free number", ep == lo);
    int nx = NEED(dup(0));
    CHECK("next fd took the next free number", nx == lo2);
    close(nx);
    lo = NEED(dup(0));
    close(lo);
    NEED(ep_ctl(ep, EPOLL_CTL_ADD, s, EPOLLIN, 0x71));
    SHOW("client send", send(c, "h", 1, 0));
    show_epoll("wait", ep, ev, 16, 2000);
    nx = NEED(dup(0));
    CHECK("after ctl and wait, lowest free unchanged", nx == lo);
    close(nx);
    struct pollfd pp = { .fd = c, .events = POLLIN };
    SHOW("first poll() of this thread, 10 ms", poll(&pp, 1, 10));
    nx = NEED(dup(0));
    CHECK("after poll, lowest free unchanged", nx == lo);
    close(nx);
    close(ep);
    close(c);
    close(s);

    close(pfd[0]);
    close(pfd[1]);
    close(lfd);
    (void)e;
    return 0;
}
