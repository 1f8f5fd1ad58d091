/*
 * ready_poll_tcp — what poll() reports for TCP sockets, the whole mask
 * (POLL_ALL asked for), in every state a program meets:
 *   - a new socket, a bound one (POLLOUT|POLLHUP: TCP_CLOSE), a listener
 *     with and without a pending connection, a listener shut down;
 *   - a connected pair: POLLOUT while there is room, POLLIN with data;
 *     filling to EAGAIN makes it unwritable, POLLOUT returns once the
 *     peer drains;
 *   - half-close: POLLRDHUP after the peer's SHUT_WR, POLLHUP once both
 *     directions are shut, local SHUT_RD, SHUT_RDWR;
 *   - errors: a reset (SO_LINGER {1,0} close; write after the peer
 *     closed) and a refused non-blocking connect give POLLERR until
 *     SO_ERROR is read; events=0 still reports ERR/HUP;
 *   - non-blocking connect completion seen as POLLOUT, SO_ERROR 0;
 *   - POLLNVAL for a closed fd, negative fds ignored, one fd twice;
 *   - the same few facts over IPv6.
 *
 * Asynchronous kernel work (handshake, FIN, RST) is awaited with
 * poll_until() on the event it produces; the mask is then printed with a
 * zero timeout, so only end states are printed.
 */
#include "probe.h"

static int nb_socket(int family)
{
    return NEED(socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0));
}

int main(void)
{
    probe_init();
    char buf[256];
    int port;

    say("== fresh sockets ==\n");
    int fresh = NEED(socket(AF_INET, SOCK_STREAM, 0));
    show_poll("new socket", fresh, POLL_ALL, 0);
    show_poll("new socket, events=0", fresh, 0, 0);
    show_poll("new socket, events=POLLIN", fresh, POLLIN, 0);
    struct sockaddr_in lo = sa4("127.0.0.1", 0);
    NEED(bind(fresh, (struct sockaddr *)&lo, sizeof lo));
    show_poll("bound socket", fresh, POLL_ALL, 0);
    close(fresh);

    say("== listener ==\n");
    int lfd = tcp_listener(AF_INET, "127.0.0.1", 8, &port);
    show_poll("listener, empty queue", lfd, POLL_ALL, 0);
    show_poll("listener, empty queue, 30 ms", lfd, POLLIN, 30);
    int c = tcp_connect(AF_INET, "127.0.0.1", port);
    CHECK("listener readable after connect", poll_until(lfd, POLLIN, 2000));
    show_poll("listener, one pending", lfd, POLL_ALL, 0);
    int s = NEED(accept(lfd, NULL, NULL));
    show_poll("listener, accepted", lfd, POLL_ALL, 0);

    say("== connected ==\n");
    show_poll("client idle", c, POLL_ALL, 0);
    show_poll("server idle", s, POLL_ALL, 0);
    show_poll("client, POLLIN only, 30 ms", c, POLLIN, 30);
    SHOW("server send 5", send(s, "hello", 5, 0));
    CHECK("client readable", poll_until(c, POLLIN, 2000));
    show_poll("client with data", c, POLL_ALL, 0);
    show_poll("client with data, POLLIN only", c, POLLIN, 0);
    show_poll("client with data, POLLOUT only", c, POLLOUT, 0);
    SHOW("client recv", recv(c, buf, sizeof buf, 0));
    show_poll("client drained", c, POLL_ALL, 0);
    SHOW("client send 3", send(c, "abc", 3, 0));
    CHECK("server readable", poll_until(s, POLLIN, 2000));
    show_poll("server with data", s, POLL_ALL, 0);
    SHOW("server recv MSG_PEEK", recv(s, buf, sizeof buf, MSG_PEEK));
    show_poll("server after peek", s, POLL_ALL, 0);
    SHOW("server recv", recv(s, buf, sizeof buf, 0));
    show_poll("server drained", s, POLL_ALL, 0);

    say("== fill until unwritable, drain ==\n");
    NEED(set_nonblock(c, 1));
    uint64_t sent = 0, got = 0;
    SHOW("fill until EAGAIN and not POLLOUT", fill_until_unwritable(c, &sent));
    show_poll("client full", c, POLL_ALL, 0);
    show_poll("client full, POLLOUT, 30 ms", c, POLLOUT, 30);
    show_poll("server full", s, POLL_ALL, 0);
    CHECK("drained all, content ok", drain_pattern(s, sent, &got));
    CHECK("client writable again", poll_until(c, POLLOUT, 2000));
    show_poll("client after peer drained", c, POLL_ALL, 0);
    show_poll("server after drain", s, POLL_ALL, 0);
    NEED(set_nonblock(c, 0));

    say("== peer SHUT_WR, then both directions ==\n");
    SHOW("server shutdown(SHUT_WR)", shutdown(s, SHUT_WR));
    CHECK("client sees RDHUP", poll_until(c, POLLRDHUP, 2000));
    show_poll("client after peer SHUT_WR", c, POLL_ALL, 0);
    show_poll("client after peer SHUT_WR, POLLIN only", c, POLLIN, 0);
    show_poll("client after peer SHUT_WR, POLLOUT only", c, POLLOUT, 0);
    show_poll("server after own SHUT_WR", s, POLL_ALL, 0);
    SHOW("client recv (EOF)", recv(c, buf, sizeof buf, 0));
    show_poll("client after EOF read", c, POLL_ALL, 0);
    SHOW("client send 2", send(c, "zz", 2, 0));
    CHECK("server readable", poll_until(s, POLLIN, 2000));
    show_poll("server, data after own SHUT_WR", s, POLL_ALL, 0);
    SHOW("server recv", recv(s, buf, sizeof buf, 0));
    SHOW("client shutdown(SHUT_WR)", shutdown(c, SHUT_WR));
    CHECK("server sees RDHUP", poll_until(s, POLLRDHUP, 2000));
    show_poll("client, both shut", c, POLL_ALL, 0);
    show_poll("client, both shut, events=0", c, 0, 0);
    show_poll("server, both shut", s, POLL_ALL, 0);
    close(c);
    close(s);

    say("== local shutdown ==\n");
    c = tcp_connect(AF_INET, "127.0.0.1", port);
    s = NEED(accept(lfd, NULL, NULL));
    SHOW("client shutdown(SHUT_RD)", shutdown(c, SHUT_RD));
    show_poll("client after own SHUT_RD", c, POLL_ALL, 0);
    show_poll("server after peer's SHUT_RD", s, POLL_ALL, 0);
    SHOW("client shutdown(SHUT_WR)", shutdown(c, SHUT_WR));
    show_poll("client after SHUT_RD+SHUT_WR", c, POLL_ALL, 0);
    close(c);
    close(s);
    c = tcp_connect(AF_INET, "127.0.0.1", port);
    s = NEED(accept(lfd, NULL, NULL));
    SHOW("client shutdown(SHUT_RDWR)", shutdown(c, SHUT_RDWR));
    show_poll("client after SHUT_RDWR", c, POLL_ALL, 0);
    CHECK("server sees RDHUP", poll_until(s, POLLRDHUP, 2000));
    show_poll("server after peer SHUT_RDWR", s, POLL_ALL, 0);
    close(c);
    close(s);

    say("== peer closes ==\n");
    c = tcp_connect(AF_INET, "127.0.0.1", port);
    s = NEED(accept(lfd, NULL, NULL));
    close(s);
    CHECK("client sees RDHUP", poll_until(c, POLLRDHUP, 2000));
    show_poll("client after peer close", c, POLL_ALL, 0);
    SHOW("client send to closed peer", send(c, "x", 1, MSG_NOSIGNAL));
    CHECK("client sees ERR", poll_until(c, POLLERR, 2000));
    show_poll("client after reset", c, POLL_ALL, 0);
    show_poll("client after reset, events=0", c, 0, 0);
    show_so_error("client", c);
    show_poll("client after SO_ERROR read", c, POLL_ALL, 0);
    close(c);

    say("== SO_LINGER {1,0} reset ==\n");
    c = tcp_connect(AF_INET, "127.0.0.1", port);
    s = NEED(accept(lfd, NULL, NULL));
    struct linger lg = { 1, 0 };
    NEED(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
    close(s);
    CHECK("client sees ERR", poll_until(c, POLLERR, 2000));
    show_poll("client after RST", c, POLL_ALL, 0);
    show_poll("client after RST, POLLOUT only", c, POLLOUT, 0);
    show_so_error("client", c);
    show_poll("client after SO_ERROR read", c, POLL_ALL, 0);
    SHOW("client recv", recv(c, buf, sizeof buf, 0));
    close(c);

    say("== non-blocking connect ==\n");
    c = nb_socket(AF_INET);
    struct sockaddr_in to = sa4("127.0.0.1", port);
    SHOW("connect", connect(c, (struct sockaddr *)&to, sizeof to));
    CHECK("writable", poll_until(c, POLLOUT, 2000));
    show_poll("after completion", c, POLL_ALL, 0);
    show_so_error("after completion", c);
    SHOW("connect again", connect(c, (struct sockaddr *)&to, sizeof to));
    s = NEED(accept(lfd, NULL, NULL));
    close(s);
    close(c);

    say("== refused non-blocking connect ==\n");
    int holder;
    int dport = dead_port(AF_INET, &holder);
    c = nb_socket(AF_INET);
    to = sa4("127.0.0.1", dport);
    SHOW("connect", connect(c, (struct sockaddr *)&to, sizeof to));
    CHECK("POLLOUT", poll_until(c, POLLOUT, 2000));
    show_poll("refused", c, POLL_ALL, 0);
    show_poll("refused, events=0", c, 0, 0);
    show_so_error("refused", c);
    show_poll("refused, SO_ERROR read", c, POLL_ALL, 0);
    close(c);
    close(holder);

    say("== closed fd, negative fd, repeated fd ==\n");
    c = tcp_connect(AF_INET, "127.0.0.1", port);
    s = NEED(accept(lfd, NULL, NULL));
    int gone = NEED(socket(AF_INET, SOCK_STREAM, 0));
    close(gone);
    show_poll("closed fd", gone, POLL_ALL, 0);
    show_poll("closed fd, events=0", gone, 0, 0);
    {
        struct pollfd p[4] = {
            { .fd = gone, .events = POLLIN },
            { .fd = -1, .events = POLLIN },
            { .fd = c, .events = POLLOUT },
            { .fd = c, .events = POLLIN },
        };
        int r = poll(p, 4, 0);
        say("set {closed, -1, c OUT, c IN}: ret=%d revents=%s,%s,%s,%s\n", r,
            pollbits(p[0].revents), pollbits(p[1].revents),
            pollbits(p[2].revents), pollbits(p[3].revents));
        SHOW("server send 1", send(s, "q", 1, 0));
        poll_until(c, POLLIN, 2000);
        p[1].fd = -c;      /* a negative fd is ignored, whatever its value */
        r = poll(p, 4, 0);
        say("set {closed, -c, c OUT, c IN}: ret=%d revents=%s,%s,%s,%s\n", r,
            pollbits(p[0].revents), pollbits(p[1].revents),
            pollbits(p[2].revents), pollbits(p[3].revents));
        p[0].fd = -1;
        p[2].events = 0;
        r = poll(p, 4, 0);
        say("set {-1, -c, c 0, c IN}: ret=%d revents=%s,%s,%s,%s\n", r,
            pollbits(p[0].revents), pollbits(p[1].revents),
            pollbits(p[2].revents), pollbits(p[3].revents));
    }
    close(c);
    close(s);
    close(lfd);

    say("== IPv6 ==\n");
    lfd = tcp_listener(AF_INET6, "::1", 8, &port);
    show_poll("v6 listener, empty", lfd, POLL_ALL, 0);
    c = tcp_connect(AF_INET6, "::1", port);
    CHECK("v6 listener readable", poll_until(lfd, POLLIN, 2000));
    show_poll("v6 listener, pending", lfd, POLL_ALL, 0);
    s = NEED(accept(lfd, NULL, NULL));
    show_poll("v6 client idle", c, POLL_ALL, 0);
    SHOW("v6 server send", send(s, "v6", 2, 0));
    CHECK("v6 client readable", poll_until(c, POLLIN, 2000));
    show_poll("v6 client with data", c, POLL_ALL, 0);
    SHOW("v6 server shutdown(SHUT_WR)", shutdown(s, SHUT_WR));
    CHECK("v6 client sees RDHUP", poll_until(c, POLLRDHUP, 2000));
    show_poll("v6 client after peer SHUT_WR", c, POLL_ALL, 0);
    close(c);
    close(s);
    /* A v4 client reaching a dual-stack v6 listener. */
    int l6 = NEED(socket(AF_INET6, SOCK_STREAM, 0));
    struct sockaddr_in6 any6 = sa6("::", 0);
    NEED(bind(l6, (struct sockaddr *)&any6, sizeof any6));
    NEED(listen(l6, 4));
    c = tcp_connect(AF_INET, "127.0.0.1", local_port(l6));
    CHECK("dual-stack listener readable", poll_until(l6, POLLIN, 2000));
    show_poll("dual-stack listener, v4 pending", l6, POLL_ALL, 0);
    close(c);
    close(l6);

    say("== listener shut down ==\n");
    SHOW("listener shutdown(SHUT_RD)", shutdown(lfd, SHUT_RD));
    show_poll("listener after SHUT_RD", lfd, POLL_ALL, 0);
    SHOW("accept after SHUT_RD", accept(lfd, NULL, NULL));
    close(lfd);
    return 0;
}
