/*
 * ready_epoll_basic — what epoll reports, per mode:
 *   - level-triggered EPOLLIN/EPOLLOUT: reported on every call while
 *     ready, gone once drained; a listener while a connection is pending;
 *   - EPOLLET: one event per new arrival, nothing more until the next
 *     one (a second send is a new edge even without draining), draining
 *     to EAGAIN; an item added while already ready reports once; OUT
 *     edges: the first report, none while nothing changes, a new one
 *     after a full buffer is drained by the peer; a new connection on an
 *     edge-triggered listener;
 *   - EPOLLONESHOT: fires once, silent afterwards, re-armed by
 *     EPOLL_CTL_MOD (reports at once if still ready);
 *   - EPOLLRDHUP only when asked; EPOLLHUP/EPOLLERR always (events=0
 *     too): reset, refused connect, new unconnected socket, both shut;
 *   - the data cookie comes back unchanged (u64 values, fd, ptr) on
 *     simulated sockets and on a pipe in the same set.
 * Events of one call are printed sorted by cookie.
 */
#include "probe.h"

static struct epoll_event ev[16];

int main(void)
{
    probe_init();
    char buf[256];
    int port, c, s, ep;
    int lfd = tcp_listener(AF_INET, "127.0.0.1", 8, &port);

    say("== level-triggered ==\n");
    nd_pair(lfd, AF_INET, port, &c, &s);
    ep = NEED(epoll_create1(0));
    SHOW("add server EPOLLIN", ep_ctl(ep, EPOLL_CTL_ADD, s, EPOLLIN, 0xa));
    show_epoll("idle", ep, ev, 16, 0);
    show_epoll("idle, 30 ms", ep, ev, 16, 30);
    SHOW("client send 3", send(c, "abc", 3, 0));
    show_epoll("data arrived", ep, ev, 16, 2000);
    show_epoll("again, not read", ep, ev, 16, 0);
    show_epoll("and again", ep, ev, 16, 0);
    SHOW("server recv 1", recv(s, buf, 1, 0));
    show_epoll("partly read", ep, ev, 16, 0);
    SHOW("server recv", recv(s, buf, sizeof buf, 0));
    show_epoll("drained", ep, ev, 16, 0);
    SHOW("add client EPOLLOUT", ep_ctl(ep, EPOLL_CTL_ADD, c, EPOLLOUT, 0xb));
    show_epoll("writable", ep, ev, 16, 0);
    show_epoll("still writable", ep, ev, 16, 0);
    SHOW("mod client IN|OUT", ep_ctl(ep, EPOLL_CTL_MOD, c, EPOLLIN | EPOLLOUT, 0xb));
    SHOW("mod server IN|OUT", ep_ctl(ep, EPOLL_CTL_MOD, s, EPOLLIN | EPOLLOUT, 0xa));
    show_epoll("both writable", ep, ev, 16, 0);
    SHOW("server send 2", send(s, "xy", 2, 0));
    poll_until(c, POLLIN, 2000);
    show_epoll("client has data", ep, ev, 16, 0);
    SHOW("mod client 0", ep_ctl(ep, EPOLL_CTL_MOD, c, 0, 0xb));
    show_epoll("client asks nothing", ep, ev, 16, 0);
    SHOW("client recv", recv(c, buf, sizeof buf, 0));
    close(ep);
    ep = NEED(epoll_create1(0));
    SHOW("add listener EPOLLIN", ep_ctl(ep, EPOLL_CTL_ADD, lfd, EPOLLIN, 0x1));
    show_epoll("listener idle", ep, ev, 16, 0);
    int c2 = tcp_connect(AF_INET, "127.0.0.1", port);
    show_epoll("connection pending", ep, ev, 16, 2000);
    show_epoll("still pending", ep, ev, 16, 0);
    int s2 = NEED(accept(lfd, NULL, NULL));
    show_epoll("accepted", ep, ev, 16, 0);
    close(ep);
    close(c2);
    close(s2);

    say("== edge-triggered EPOLLIN ==\n");
    ep = NEED(epoll_create1(0));
    SHOW("add server IN|ET", ep_ctl(ep, EPOLL_CTL_ADD, s, EPOLLIN | EPOLLET, 0xa));
    show_epoll("idle", ep, ev, 16, 0);
    SHOW("client send 1", send(c, "1", 1, 0));
    show_epoll("first arrival", ep, ev, 16, 2000);
    show_epoll("no new arrival", ep, ev, 16, 0);
    show_epoll("no new arrival, 30 ms", ep, ev, 16, 30);
    SHOW("client send 1 more", send(c, "2", 1, 0));
    show_epoll("second arrival, not drained", ep, ev, 16, 2000);
    CHECK("both bytes queued", wait_inq(s, 2, 2000));
    show_epoll("nothing new", ep, ev, 16, 0);
    NEED(set_nonblock(s, 1));
    int total = 0;
    ssize_t r;
    while ((r = recv(s, buf, 1, 0)) > 0)
        total += (int)r;
    probe_report("drain one byte at a time, last", r, errno);
    say("drained %d bytes\n", total);
    show_epoll("after draining", ep, ev, 16, 0);
    SHOW("client send 3", send(c, "345", 3, 0));
    show_epoll("third arrival", ep, ev, 16, 2000);
    SHOW("server recv", recv(s, buf, sizeof buf, 0));
    SHOW("server recv again", recv(s, buf, sizeof buf, 0));
    show_epoll("drained", ep, ev, 16, 0);
    NEED(set_nonblock(s, 0));
    SHOW("client send 2", send(c, "67", 2, 0));
    poll_until(s, POLLIN, 2000);
    int ep2 = NEED(epoll_create1(0));
    SHOW("add to a new set while ready, IN|ET", ep_ctl(ep2, EPOLL_CTL_ADD, s, EPOLLIN | EPOLLET, 0xc));
    show_epoll("new set: ready at add", ep2, ev, 16, 0);
    show_epoll("new set: once only", ep2, ev, 16, 0);
    show_epoll("old set: that arrival", ep, ev, 16, 0);
    SHOW("mod in new set, IN|ET", ep_ctl(ep2, EPOLL_CTL_MOD, s, EPOLLIN | EPOLLET, 0xd));
    show_epoll("new set after MOD", ep2, ev, 16, 0);
    show_epoll("new set after MOD, again", ep2, ev, 16, 0);
    SHOW("server recv", recv(s, buf, sizeof buf, 0));
    close(ep2);
    close(ep);

    say("== edge-triggered EPOLLIN|EPOLLOUT ==\n");
    ep = NEED(epoll_create1(0));
    SHOW("add server IN|OUT|ET", ep_ctl(ep, EPOLL_CTL_ADD, s, EPOLLIN | EPOLLOUT | EPOLLET, 0xa));
    show_epoll("first report", ep, ev, 16, 0);
    show_epoll("nothing new", ep, ev, 16, 0);
    SHOW("client send 2", send(c, "ab", 2, 0));
    show_epoll("arrival", ep, ev, 16, 2000);
    show_epoll("nothing new", ep, ev, 16, 0);
    SHOW("server recv", recv(s, buf, sizeof buf, 0));
    show_epoll("after reading", ep, ev, 16, 0);
    SHOW("server send 2", send(s, "zz", 2, 0));
    CHECK("client has both", wait_inq(c, 2, 2000));
    show_epoll("after sending", ep, ev, 16, 0);
    SHOW("client recv", recv(c, buf, sizeof buf, 0));
    show_epoll("after the peer read what we sent", ep, ev, 16, 30);
    close(ep);

    say("== edge-triggered EPOLLOUT, full then drained ==\n");
    ep = NEED(epoll_create1(0));
    NEED(set_nonblock(c, 1));
    SHOW("add client OUT|ET", ep_ctl(ep, EPOLL_CTL_ADD, c, EPOLLOUT | EPOLLET, 0xb));
    show_epoll("first report", ep, ev, 16, 0);
    show_epoll("nothing new", ep, ev, 16, 0);
    uint64_t sent = 0, got = 0;
    SHOW("fill until unwritable", fill_until_unwritable(c, &sent));
    show_epoll("full", ep, ev, 16, 0);
    CHECK("server drained all, content ok", drain_pattern(s, sent, &got));
    show_epoll("peer drained", ep, ev, 16, 2000);
    show_epoll("nothing new", ep, ev, 16, 0);
    NEED(set_nonblock(c, 0));
    close(ep);

    say("== edge-triggered listener ==\n");
    ep = NEED(epoll_create1(0));
    SHOW("add listener IN|ET", ep_ctl(ep, EPOLL_CTL_ADD, lfd, EPOLLIN | EPOLLET, 0x1));
    show_epoll("idle", ep, ev, 16, 0);
    c2 = tcp_connect(AF_INET, "127.0.0.1", port);
    show_epoll("one connection", ep, ev, 16, 2000);
    show_epoll("nothing new", ep, ev, 16, 0);
    int c3 = tcp_connect(AF_INET, "127.0.0.1", port);
    show_epoll("second connection, first not accepted", ep, ev, 16, 2000);
    show_epoll("nothing new", ep, ev, 16, 0);
    close(NEED(accept(lfd, NULL, NULL)));
    close(NEED(accept(lfd, NULL, NULL)));
    show_epoll("all accepted", ep, ev, 16, 0);
    close(c2);
    close(c3);
    close(ep);

    say("== EPOLLONESHOT ==\n");
    ep = NEED(epoll_create1(0));
    SHOW("add server IN|ONESHOT", ep_ctl(ep, EPOLL_CTL_ADD, s, EPOLLIN | EPOLLONESHOT, 0xa));
    show_epoll("idle", ep, ev, 16, 0);
    SHOW("client send 1", send(c, "1", 1, 0));
    show_epoll("fires", ep, ev, 16, 2000);
    show_epoll("disarmed, data unread", ep, ev, 16, 0);
    SHOW("client send 1 more", send(c, "2", 1, 0));
    CHECK("both bytes queued", wait_inq(s, 2, 2000));
    show_epoll("disarmed, new data", ep, ev, 16, 30);
    SHOW("MOD re-arms IN|ONESHOT", ep_ctl(ep, EPOLL_CTL_MOD, s, EPOLLIN | EPOLLONESHOT, 0xa2));
    show_epoll("re-armed, still ready", ep, ev, 16, 0);
    show_epoll("disarmed again", ep, ev, 16, 0);
    SHOW("server recv", recv(s, buf, sizeof buf, 0));
    SHOW("MOD re-arms IN|ONESHOT|ET", ep_ctl(ep, EPOLL_CTL_MOD, s, EPOLLIN | EPOLLONESHOT | EPOLLET, 0xa3));
    show_epoll("re-armed, nothing ready", ep, ev, 16, 0);
    SHOW("client send 1", send(c, "3", 1, 0));
    show_epoll("fires", ep, ev, 16, 2000);
    show_epoll("disarmed", ep, ev, 16, 0);
    SHOW("MOD to OUT|ONESHOT", ep_ctl(ep, EPOLL_CTL_MOD, s, EPOLLOUT | EPOLLONESHOT, 0xa4));
    show_epoll("OUT fires", ep, ev, 16, 0);
    show_epoll("disarmed", ep, ev, 16, 0);
    SHOW("server recv", recv(s, buf, sizeof buf, 0));
    SHOW("MOD to IN (level)", ep_ctl(ep, EPOLL_CTL_MOD, s, EPOLLIN, 0xa5));
    show_epoll("level again, nothing", ep, ev, 16, 0);
    SHOW("client send 1", send(c, "4", 1, 0));
    show_epoll("level", ep, ev, 16, 2000);
    show_epoll("level, again", ep, ev, 16, 0);
    SHOW("server recv", recv(s, buf, sizeof buf, 0));
    SHOW("DEL", ep_ctl(ep, EPOLL_CTL_DEL, s, 0, 0));
    close(ep);

    say("== EPOLLRDHUP ==\n");
    ep = NEED(epoll_create1(0));
    ep2 = NEED(epoll_create1(0));
    SHOW("set 1: add server IN|RDHUP", ep_ctl(ep, EPOLL_CTL_ADD, s, EPOLLIN | EPOLLRDHUP, 0xa));
    SHOW("set 2: add server IN", ep_ctl(ep2, EPOLL_CTL_ADD, s, EPOLLIN, 0xa));
    int ep3 = NEED(epoll_create1(0));
    SHOW("set 3: add server RDHUP|ET", ep_ctl(ep3, EPOLL_CTL_ADD, s, EPOLLRDHUP | EPOLLET, 0xa));
    show_epoll("set 3 idle", ep3, ev, 16, 0);
    SHOW("client shutdown(SHUT_WR)", shutdown(c, SHUT_WR));
    show_epoll("set 1", ep, ev, 16, 2000);
    show_epoll("set 2", ep2, ev, 16, 2000);
    show_epoll("set 3", ep3, ev, 16, 2000);
    show_epoll("set 3 again", ep3, ev, 16, 0);
    SHOW("server recv EOF", recv(s, buf, sizeof buf, 0));
    show_epoll("set 1 after EOF read", ep, ev, 16, 0);
    SHOW("server shutdown(SHUT_WR)", shutdown(s, SHUT_WR));
    show_epoll("set 1, both shut", ep, ev, 16, 2000);
    show_epoll("set 2, both shut", ep2, ev, 16, 0);
    close(ep);
    close(ep2);
    close(ep3);
    close(c);
    close(s);

    say("== EPOLLHUP / EPOLLERR ==\n");
    ep = NEED(epoll_create1(0));
    int fresh = NEED(socket(AF_INET, SOCK_STREAM, 0));
    SHOW("add new socket IN|OUT", ep_ctl(ep, EPOLL_CTL_ADD, fresh, EPOLLIN | EPOLLOUT, 0x10));
    show_epoll("new unconnected socket", ep, ev, 16, 0);
    SHOW("mod new socket 0", ep_ctl(ep, EPOLL_CTL_MOD, fresh, 0, 0x10));
    show_epoll("new unconnected socket, events 0", ep, ev, 16, 0);
    SHOW("DEL", ep_ctl(ep, EPOLL_CTL_DEL, fresh, 0, 0));
    close(fresh);
    nd_pair(lfd, AF_INET, port, &c, &s);
    SHOW("add client 0", ep_ctl(ep, EPOLL_CTL_ADD, c, 0, 0x20));
    ep2 = NEED(epoll_create1(0));
    SHOW("set 2: add client IN|OUT|RDHUP", ep_ctl(ep2, EPOLL_CTL_ADD, c, EPOLLIN | EPOLLOUT | EPOLLRDHUP, 0x20));
    ep3 = NEED(epoll_create1(0));
    SHOW("set 3: add client IN|ET", ep_ctl(ep3, EPOLL_CTL_ADD, c, EPOLLIN | EPOLLET, 0x20));
    show_epoll("connected, events 0", ep, ev, 16, 0);
    show_epoll("set 3 idle", ep3, ev, 16, 0);
    struct linger lg = { 1, 0 };
    NEED(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
    close(s);
    show_epoll("reset, events 0", ep, ev, 16, 2000);
    show_epoll("reset, events 0, again", ep, ev, 16, 0);
    show_epoll("set 2: reset", ep2, ev, 16, 0);
    show_epoll("set 3: reset, ET", ep3, ev, 16, 0);
    show_epoll("set 3: again", ep3, ev, 16, 0);
    show_so_error("client", c);
    show_epoll("after SO_ERROR read", ep, ev, 16, 0);
    show_epoll("set 2: after SO_ERROR read", ep2, ev, 16, 0);
    close(ep2);
    close(ep3);
    close(c);
    int holder;
    int dport = dead_port(AF_INET, &holder);
    c = NEED(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    SHOW("add unconnected socket OUT|ET", ep_ctl(ep, EPOLL_CTL_ADD, c, EPOLLOUT | EPOLLET, 0x30));
    show_epoll("before connect", ep, ev, 16, 0);
    struct sockaddr_in to = sa4("127.0.0.1", dport);
    SHOW("connect to a dead port", connect(c, (struct sockaddr *)&to, sizeof to));
    poll_until(c, POLLERR, 2000);
    show_epoll("refused", ep, ev, 16, 2000);
    show_epoll("refused, again", ep, ev, 16, 0);
    close(c);
    close(holder);
    c = NEED(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    SHOW("add socket OUT|ET", ep_ctl(ep, EPOLL_CTL_ADD, c, EPOLLOUT | EPOLLET, 0x40));
    show_epoll("before connect", ep, ev, 16, 0);
    to = sa4("127.0.0.1", port);
    SHOW("non-blocking connect", connect(c, (struct sockaddr *)&to, sizeof to));
    poll_until(c, POLLOUT, 2000);
    show_epoll("connected", ep, ev, 16, 2000);
    show_epoll("connected, again", ep, ev, 16, 0);
    s = NEED(accept(lfd, NULL, NULL));
    close(c);
    close(s);
    close(ep);

    say("== cookies ==\n");
    static const uint64_t cookies[] = { 0, 1, 0x7fffffffffffffffULL,
        0x8000000000000000ULL, 0xdeadbeefcafebabeULL, 0xffffffffffffffffULL,
        0x00000000ffffffffULL, 0xffffffff00000000ULL };
    enum { NC = sizeof cookies / sizeof cookies[0] };
    int cc[NC], sc[NC];
    ep = NEED(epoll_create1(0));
    for (int i = 0; i < NC; i++) {
        cc[i] = tcp_connect(AF_INET, "127.0.0.1", port);
        sc[i] = NEED(accept(lfd, NULL, NULL));
        NEED(ep_ctl(ep, EPOLL_CTL_ADD, sc[i], EPOLLIN, cookies[i]));
        NEED(send(cc[i], "c", 1, 0));
        poll_until(sc[i], POLLIN, 2000);
    }
    show_epoll("eight sockets, eight cookies", ep, ev, 16, 2000);
    int pfd[2];
    NEED(pipe(pfd));
    static int anchor;
    struct epoll_event e = { .events = EPOLLIN };
    e.data.ptr = &anchor;
    SHOW("add pipe with a pointer cookie", epoll_ctl(ep, EPOLL_CTL_ADD, pfd[0], &e));
    e.data.fd = sc[0];
    SHOW("re-add socket with its fd as cookie", (epoll_ctl(ep, EPOLL_CTL_DEL, sc[0], NULL), epoll_ctl(ep, EPOLL_CTL_ADD, sc[0], &e)));
    NEED(write(pfd[1], "p", 1));
    int n = epoll_wait(ep, ev, 16, 2000);
    int saw_ptr = 0, saw_fd = 0;
    for (int i = 0; i < n; i++) {
        if (ev[i].data.ptr == &anchor)
            saw_ptr++;
        else if (ev[i].data.fd == sc[0])
            saw_fd++;
    }
    say("pipe + sockets: ret=%d pointer cookie back=%d fd cookie back=%d\n",
        n, saw_ptr, saw_fd);
    SHOW("mod socket 1 to a new cookie", ep_ctl(ep, EPOLL_CTL_MOD, sc[1], EPOLLIN, 0x0123456789abcdefULL));
    SHOW("del pipe", epoll_ctl(ep, EPOLL_CTL_DEL, pfd[0], NULL));
    SHOW("del socket 0", epoll_ctl(ep, EPOLL_CTL_DEL, sc[0], NULL));
    show_epoll("after MOD/DEL", ep, ev, 16, 0);
    for (int i = 0; i < NC; i++) {
        close(cc[i]);
        close(sc[i]);
    }
    close(pfd[0]);
    close(pfd[1]);
    close(ep);
    close(lfd);
    return 0;
}
