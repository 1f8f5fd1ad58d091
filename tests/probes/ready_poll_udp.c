/*
 * ready_poll_udp — what poll() reports for UDP sockets (the whole mask):
 *   - always writable (POLLOUT|POLLWRNORM|POLLWRBAND), unbound, bound,
 *     connected, v4 and v6;
 *   - POLLIN while a datagram is queued (also a zero-length one), gone
 *     once every datagram is read, MSG_PEEK leaves it;
 *   - a connected socket sending to a dead port: POLLERR until SO_ERROR
 *     (or the failing call) consumes the error;
 *   - shutdown on a connected UDP socket: SHUT_RD gives IN|RDHUP,
 *     both directions give HUP.
 */
#include "probe.h"

int main(void)
{
    probe_init();
    char buf[256];
    int pa, pb;

    say("== unbound and bound ==\n");
    int u = NEED(socket(AF_INET, SOCK_DGRAM, 0));
    show_poll("unbound", u, POLL_ALL, 0);
    show_poll("unbound, POLLIN only, 30 ms", u, POLLIN, 30);
    close(u);
    int a = udp_bound(AF_INET, "127.0.0.1", &pa);
    int b = udp_bound(AF_INET, "127.0.0.1", &pb);
    show_poll("bound, empty", a, POLL_ALL, 0);

    say("== datagrams ==\n");
    struct sockaddr_in ta = sa4("127.0.0.1", pa);
    SHOW("sendto a 4 bytes", sendto(b, "ping", 4, 0, (struct sockaddr *)&ta, sizeof ta));
    CHECK("a readable", poll_until(a, POLLIN, 2000));
    show_poll("one datagram", a, POLL_ALL, 0);
    SHOW("sendto a 0 bytes", sendto(b, "", 0, 0, (struct sockaddr *)&ta, sizeof ta));
    SHOW("recv MSG_PEEK", recv(a, buf, sizeof buf, MSG_PEEK));
    show_poll("after peek", a, POLL_ALL, 0);
    SHOW("recv", recv(a, buf, sizeof buf, 0));
    show_poll("empty datagram still queued", a, POLL_ALL, 0);
    SHOW("recv", recv(a, buf, sizeof buf, 0));
    show_poll("all read", a, POLL_ALL, 0);
    show_poll("all read, POLLIN only, 30 ms", a, POLLIN, 30);
    for (int i = 0; i < 5; i++)
        sendto(b, "many", 4, 0, (struct sockaddr *)&ta, sizeof ta);
    CHECK("a readable", poll_until(a, POLLIN, 2000));
    int nread = 0;
    while (recv(a, buf, sizeof buf, MSG_DONTWAIT) >= 0) {
        nread++;
        struct pollfd p = { .fd = a, .events = POLLIN };
        if (poll(&p, 1, 0) == 0)
            break;
    }
    say("read %d before POLLIN cleared\n", nread);
    show_poll("five read", a, POLL_ALL, 0);

    say("== connected, dead peer ==\n");
    int holder;
    int dport = dead_udp_port(AF_INET, &holder);
    int c = NEED(socket(AF_INET, SOCK_DGRAM, 0));
    struct sockaddr_in td = sa4("127.0.0.1", dport);
    NEED(connect(c, (struct sockaddr *)&td, sizeof td));
    show_poll("connected, before send", c, POLL_ALL, 0);
    SHOW("send to dead port", send(c, "x", 1, 0));
    CHECK("POLLERR", poll_until(c, POLLERR, 2000));
    show_poll("after ICMP", c, POLL_ALL, 0);
    show_poll("after ICMP, events=0", c, 0, 0);
    show_so_error("connected", c);
    show_poll("after SO_ERROR read", c, POLL_ALL, 0);
    SHOW("send to dead port again", send(c, "x", 1, 0));
    CHECK("POLLERR", poll_until(c, POLLERR, 2000));
    SHOW("recv consumes the error", recv(c, buf, sizeof buf, MSG_DONTWAIT));
    show_poll("after failing recv", c, POLL_ALL, 0);
    close(c);
    close(holder);

    say("== connected, shutdown ==\n");
    c = NEED(socket(AF_INET, SOCK_DGRAM, 0));
    NEED(connect(c, (struct sockaddr *)&ta, sizeof ta));
    SHOW("shutdown(SHUT_RD)", shutdown(c, SHUT_RD));
    show_poll("after SHUT_RD", c, POLL_ALL, 0);
    SHOW("recv MSG_DONTWAIT after SHUT_RD", recv(c, buf, sizeof buf, MSG_DONTWAIT));
    SHOW("blocking recv after SHUT_RD", recv(c, buf, sizeof buf, 0));
    SHOW("shutdown(SHUT_WR)", shutdown(c, SHUT_WR));
    show_poll("after SHUT_RD+SHUT_WR", c, POLL_ALL, 0);
    close(c);
    c = NEED(socket(AF_INET, SOCK_DGRAM, 0));
    NEED(connect(c, (struct sockaddr *)&ta, sizeof ta));
    SHOW("shutdown(SHUT_WR)", shutdown(c, SHUT_WR));
    show_poll("after SHUT_WR", c, POLL_ALL, 0);
    close(c);
    u = NEED(socket(AF_INET, SOCK_DGRAM, 0));
    SHOW("unconnected shutdown(SHUT_RDWR)", shutdown(u, SHUT_RDWR));
    show_poll("unconnected after failed shutdown", u, POLL_ALL, 0);
    close(u);

    say("== IPv6 ==\n");
    int p6;
    int a6 = udp_bound(AF_INET6, "::1", &p6);
    show_poll("v6 bound, empty", a6, POLL_ALL, 0);
    int b6 = NEED(socket(AF_INET6, SOCK_DGRAM, 0));
    struct sockaddr_in6 t6 = sa6("::1", p6);
    SHOW("v6 sendto", sendto(b6, "six", 3, 0, (struct sockaddr *)&t6, sizeof t6));
    CHECK("v6 readable", poll_until(a6, POLLIN, 2000));
    show_poll("v6 one datagram", a6, POLL_ALL, 0);
    show_poll("v6 sender", b6, POLL_ALL, 0);
    close(a6);
    close(b6);

    close(a);
    close(b);
    return 0;
}
