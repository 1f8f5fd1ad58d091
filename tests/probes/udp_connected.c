/*
 * udp_connected — connect() on UDP: default destination for send/write,
 * local address fixed by connect, filtering of datagrams from other
 * sources, sendto to another address while connected, ECONNREFUSED from
 * an ICMP port-unreachable (reported once, on the next call), dissolving
 * the association with AF_UNSPEC, re-connecting, and shutdown.
 */
#include "probe.h"

int main(void)
{
    probe_init();
    char buf[256];
    int aport, bport;
    int A = udp_bound(AF_INET, "127.0.0.1", &aport);
    int B = udp_bound(AF_INET, "127.0.0.1", &bport);
    struct sockaddr_in toA = sa4("127.0.0.1", aport);
    struct sockaddr_in toB = sa4("127.0.0.1", bport);

    say("== connect ==\n");
    int c = NEED(socket(AF_INET, SOCK_DGRAM, 0));
    SHOW("connect to A", connect(c, (struct sockaddr *)&toA, sizeof toA));
    /* connect() on an unbound UDP socket picks the local address/port. */
    show_name("getsockname", c, 0);
    CHECK("local port_nonzero", local_port(c) > 0);
    show_name("getpeername", c, 1);
    CHECK("peer port==A", peer_port(c) == aport);
    SHOW("send", send(c, "via send", 8, 0));
    SHOW("write", write(c, "via write", 9));
    SHOW("sendto NULL", sendto(c, "via sendto", 10, 0, NULL, 0));
    for (int i = 0; i < 3; i++) {
        struct sockaddr_storage from;
        socklen_t fl = sizeof from;
        memset(buf, 0, sizeof buf);
        SHOW("A recvfrom", recvfrom(A, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
        say("data: %s from client:%d\n", buf, sa_port(&from) == local_port(c));
    }

    say("== filtering by peer ==\n");
    struct sockaddr_in toC = sa4("127.0.0.1", local_port(c));
    /* B is not the connected peer: its datagram is dropped. */
    SHOW("B sendto client", sendto(B, "from B", 6, 0, (struct sockaddr *)&toC, sizeof toC));
    SHOW("A sendto client", sendto(A, "from A", 6, 0, (struct sockaddr *)&toC, sizeof toC));
    memset(buf, 0, sizeof buf);
    SHOW("client recv", recv(c, buf, sizeof buf, 0));
    say("data: %s\n", buf);
    SHOW("client recv again", recv(c, buf, sizeof buf, MSG_DONTWAIT));
    /* read() works on a connected datagram socket. */
    SHOW("A sendto client", sendto(A, "again", 5, 0, (struct sockaddr *)&toC, sizeof toC));
    memset(buf, 0, sizeof buf);
    SHOW("client read", read(c, buf, sizeof buf));
    say("data: %s\n", buf);

    say("== sendto another address while connected ==\n");
    SHOW("sendto B", sendto(c, "to B", 4, 0, (struct sockaddr *)&toB, sizeof toB));
    memset(buf, 0, sizeof buf);
    SHOW("B recv", recv(B, buf, sizeof buf, 0));
    say("data: %s\n", buf);
    CHECK("still connected to A", peer_port(c) == aport);

    say("== ECONNREFUSED ==\n");
    int holder;
    int dport = dead_udp_port(AF_INET, &holder);
    struct sockaddr_in dead = sa4("127.0.0.1", dport);
    int d = NEED(socket(AF_INET, SOCK_DGRAM, 0));
    SHOW("connect to dead port", connect(d, (struct sockaddr *)&dead, sizeof dead));
    SHOW("send", send(d, "x", 1, 0));
    /* The port-unreachable comes back asynchronously; a blocking recv
     * waits for it and reports it. */
    SHOW("recv (blocking)", recv(d, buf, sizeof buf, 0));
    /* The error is consumed by whichever call reports it. */
    SHOW("recv MSG_DONTWAIT", recv(d, buf, sizeof buf, MSG_DONTWAIT));
    /* Each datagram to the dead port provokes a new refusal, which the
     * next call reports instead of doing its job. */
    SHOW("send", send(d, "y", 1, 0));
    sleep_ms(20);
    SHOW("send (reports refusal of previous datagram)", send(d, "z", 1, 0));
    show_so_error("SO_ERROR (nothing pending)", d);
    SHOW("send", send(d, "w", 1, 0));
    sleep_ms(20);
    show_so_error("SO_ERROR (refusal pending)", d);
    show_so_error("SO_ERROR again", d);
    close(d);
    close(holder);

    say("== dissolve with AF_UNSPEC ==\n");
    struct sockaddr unspec = { .sa_family = AF_UNSPEC };
    SHOW("connect AF_UNSPEC", connect(c, &unspec, sizeof unspec));
    SHOW("getpeername", getpeername(c, (struct sockaddr *)buf, &(socklen_t){ sizeof buf }));
    /* Address and port were chosen by connect (not bound explicitly), so
     * disconnecting releases both. */
    show_name("getsockname", c, 0);
    CHECK("port released", local_port(c) == 0);
    /* A send without destination fails, but only after the generic send
     * path has auto-bound the socket to a fresh port. */
    SHOW("send", send(c, "x", 1, 0));
    CHECK("failed send auto-bound a port", local_port(c) > 0);
    SHOW("connect AF_UNSPEC again", connect(c, &unspec, sizeof unspec));
    SHOW("connect to B", connect(c, (struct sockaddr *)&toB, sizeof toB));
    SHOW("send", send(c, "hello B", 7, 0));
    memset(buf, 0, sizeof buf);
    SHOW("B recv", recv(B, buf, sizeof buf, 0));
    say("data: %s\n", buf);
    /* Re-connecting directly (without AF_UNSPEC) switches the peer. */
    SHOW("connect to A", connect(c, (struct sockaddr *)&toA, sizeof toA));
    CHECK("peer port==A", peer_port(c) == aport);
    close(c);

    say("== explicitly bound, then connected and dissolved ==\n");
    int e = sock_bind(AF_INET, SOCK_DGRAM, "127.0.0.1", 0);
    CHECK("bound port_nonzero", local_port(e) > 0);
    SHOW("connect to A", connect(e, (struct sockaddr *)&toA, sizeof toA));
    SHOW("connect AF_UNSPEC", connect(e, &unspec, sizeof unspec));
    /* Binding to port 0 does not pin the port: it is released too, but
     * the explicitly bound address stays. */
    show_name("getsockname", e, 0);
    CHECK("port released", local_port(e) == 0);
    close(e);

    say("== shutdown ==\n");
    c = NEED(socket(AF_INET, SOCK_DGRAM, 0));
    NEED(connect(c, (struct sockaddr *)&toA, sizeof toA));
    SHOW("shutdown(SHUT_RD)", shutdown(c, SHUT_RD));
    SHOW("recv after SHUT_RD", recv(c, buf, sizeof buf, 0));
    SHOW("send after SHUT_RD", send(c, "still", 5, 0));
    SHOW("A recv", recv(A, buf, sizeof buf, 0));
    SHOW("shutdown(SHUT_WR)", shutdown(c, SHUT_WR));
    SHOW("send after SHUT_WR", send(c, "x", 1, 0));
    SHOW("shutdown(SHUT_RDWR) again", shutdown(c, SHUT_RDWR));
    close(c);

    say("== connect errors ==\n");
    c = NEED(socket(AF_INET, SOCK_DGRAM, 0));
    SHOW("connect addrlen 4", connect(c, (struct sockaddr *)&toA, 4));
    struct sockaddr_in6 v6 = sa6("::1", aport);
    SHOW("connect AF_INET6 on v4", connect(c, (struct sockaddr *)&v6, sizeof v6));
    struct sockaddr_in z = sa4("127.0.0.1", 0);
    SHOW("connect port 0", connect(c, (struct sockaddr *)&z, sizeof z));
    SHOW("send after connect port 0", send(c, "x", 1, 0));
    close(c);

    close(A);
    close(B);
    return 0;
}
