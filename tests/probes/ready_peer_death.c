/*
 * ready_peer_death — a waiter asleep in poll/select/epoll_wait (no
 * timeout) while the process at the other end of its connection is
 * killed with SIGKILL: the kernel closes the dead process's sockets, so
 * the waiter wakes with what a close would give it:
 *   - nothing unread on the dead side: FIN (IN|RDHUP, recv 0);
 *   - data left unread on the dead side: reset (ERR|HUP, ECONNRESET).
 * The child kills itself after a delay, so the parent is surely asleep.
 * Last, a waiter that never sleeps (another socket always ready, level-
 * triggered) sees the death all the same.
 */
#include "probe.h"

struct victim {
    int port;
    int unread;        /* leave data unread in our receive queue */
    int delay_ms;
};

static int victim_main(void *p)
{
    struct victim *v = p;
    struct sockaddr_in a = sa4("127.0.0.1", v->port);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
        return 2;
    if (v->unread) {
        /* Wait until the parent's byte is here, so it is unread at death. */
        char b;
        if (recv(fd, &b, 1, MSG_PEEK) != 1)
            return 3;
    }
    sleep_ms(v->delay_ms);
    raise(SIGKILL);
    return 4;
}

static pid_t spawn_victim(int port, int unread)
{
    static struct victim v;
    v = (struct victim){ .port = port, .unread = unread, .delay_ms = 100 };
    return fork_peer(victim_main, &v);
}

int main(void)
{
    probe_init();
    char buf[16];
    int port;
    int lfd = tcp_listener(AF_INET, "127.0.0.1", 8, &port);

    say("== poll, peer killed, nothing unread ==\n");
    pid_t pid = spawn_victim(port, 0);
    int s = NEED(accept(lfd, NULL, NULL));
    struct pollfd p = { .fd = s, .events = POLLIN | POLLRDHUP };
    int r = poll(&p, 1, -1);
    say("poll: ret=%d revents=%s\n", r, pollbits(p.revents));
    SHOW("victim status (128+SIGKILL)", wait_peer(pid));
    poll_until(s, POLLRDHUP, 2000);
    show_poll("after death", s, POLL_ALL, 0);
    SHOW("recv", recv(s, buf, sizeof buf, 0));
    SHOW("send", send(s, "x", 1, MSG_NOSIGNAL));
    poll_until(s, POLLERR, 2000);
    show_poll("after writing to the dead peer", s, POLL_ALL, 0);
    close(s);

    say("== poll, peer killed with unread data ==\n");
    pid = spawn_victim(port, 1);
    s = NEED(accept(lfd, NULL, NULL));
    SHOW("send 1", send(s, "u", 1, 0));
    p = (struct pollfd){ .fd = s, .events = POLLIN };
    r = poll(&p, 1, -1);
    say("poll: ret=%d revents=%s\n", r, pollbits(p.revents));
    SHOW("victim status (128+SIGKILL)", wait_peer(pid));
    poll_until(s, POLLERR, 2000);
    show_poll("after death", s, POLL_ALL, 0);
    SHOW("recv", recv(s, buf, sizeof buf, 0));
    SHOW("recv again", recv(s, buf, sizeof buf, 0));
    close(s);

    say("== select, peer killed ==\n");
    pid = spawn_victim(port, 0);
    s = NEED(accept(lfd, NULL, NULL));
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(s, &rs);
    r = select(s + 1, &rs, NULL, NULL, NULL);
    say("select: ret=%d readable=%d\n", r, FD_ISSET(s, &rs) != 0);
    SHOW("victim status (128+SIGKILL)", wait_peer(pid));
    SHOW("recv", recv(s, buf, sizeof buf, 0));
    close(s);

    say("== epoll, peer killed ==\n");
    int ep = NEED(epoll_create1(0));
    pid = spawn_victim(port, 0);
    s = NEED(accept(lfd, NULL, NULL));
    NEED(ep_ctl(ep, EPOLL_CTL_ADD, s, EPOLLIN | EPOLLRDHUP | EPOLLET, 0xdead));
    struct epoll_event ev[4];
    show_epoll("epoll_wait -1", ep, ev, 4, -1);
    SHOW("victim status (128+SIGKILL)", wait_peer(pid));
    SHOW("recv", recv(s, buf, sizeof buf, 0));
    /* No "nothing new" check here: on a loaded machine the kernel's
     * epoll_wait -1 may return on the first of two wake-ups of the dying
     * peer's close, and an edge-triggered wait then reports the second:
     * not deterministic on the kernel itself. */
    close(s);
    pid = spawn_victim(port, 1);
    s = NEED(accept(lfd, NULL, NULL));
    NEED(ep_ctl(ep, EPOLL_CTL_ADD, s, EPOLLIN | EPOLLRDHUP, 0xbeef));
    SHOW("send 1", send(s, "u", 1, 0));
    show_epoll("epoll_wait -1, unread data", ep, ev, 4, -1);
    SHOW("victim status (128+SIGKILL)", wait_peer(pid));
    poll_until(s, POLLERR, 2000);
    show_epoll("after death", ep, ev, 4, 0);
    show_so_error("after death", s);
    close(s);
    close(ep);

    say("== epoll and poll kept busy by a ready datagram, peer killed ==\n");
    int uport;
    int u = udp_bound(AF_INET, "127.0.0.1", &uport);
    struct sockaddr_in ua = sa4("127.0.0.1", uport);
    NEED(sendto(u, "d", 1, 0, (struct sockaddr *)&ua, sizeof ua));
    ep = NEED(epoll_create1(0));
    NEED(ep_ctl(ep, EPOLL_CTL_ADD, u, EPOLLIN, 1));
    pid = spawn_victim(port, 0);
    s = NEED(accept(lfd, NULL, NULL));
    NEED(ep_ctl(ep, EPOLL_CTL_ADD, s, EPOLLIN | EPOLLRDHUP, 2));
    SHOW("victim status (128+SIGKILL)", wait_peer(pid));
    uint32_t seen = 0;
    double t0 = now_ms();
    while (!seen && now_ms() - t0 < 3000) {
        int n = epoll_wait(ep, ev, 4, -1);   /* never sleeps: u is ready */
        for (int i = 0; i < n; i++)
            if (ev[i].data.u64 == 2)
                seen = ev[i].events;
    }
    say("busy epoll_wait saw it: %s\n", seen ? epbits(seen) : "no");
    SHOW("recv", recv(s, buf, sizeof buf, 0));
    close(s);
    pid = spawn_victim(port, 0);
    s = NEED(accept(lfd, NULL, NULL));
    SHOW("victim status (128+SIGKILL)", wait_peer(pid));
    struct pollfd pf[2] = {{.fd = u, .events = POLLIN}, {.fd = s, .events = POLLIN | POLLRDHUP}};
    t0 = now_ms();
    while (!pf[1].revents && now_ms() - t0 < 3000)
        poll(pf, 2, 100);
    say("busy poll saw it: %s\n", pf[1].revents ? pollbits(pf[1].revents) : "no");
    SHOW("recv", recv(s, buf, sizeof buf, 0));
    close(s);
    close(ep);
    close(u);
    close(lfd);
    return 0;
}
