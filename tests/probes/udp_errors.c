/*
 * udp_errors — error returns on UDP sockets: datagram size limits
 * (EMSGSIZE, v4 and v6), missing or malformed destinations
 * (EDESTADDRREQ, EINVAL, EAFNOSUPPORT), broadcast without SO_BROADCAST
 * (EACCES), stream-only calls (EOPNOTSUPP), wrong-state calls, bind
 * conflicts, and the silence of an unconnected socket that sends to a
 * port nobody uses.
 */
#include "probe.h"

int main(void)
{
    probe_init();
    static char buf[70000];
    int rport;
    int r = udp_bound(AF_INET, "127.0.0.1", &rport);
    int s = NEED(socket(AF_INET, SOCK_DGRAM, 0));
    struct sockaddr_in to = sa4("127.0.0.1", rport);

    say("== size limits ==\n");
    /* 65535 - 20 (IPv4 header) - 8 (UDP header) = 65507. */
    SHOW("sendto 65507", sendto(s, buf, 65507, 0, (struct sockaddr *)&to, sizeof to));
    SHOW("sendto 65508", sendto(s, buf, 65508, 0, (struct sockaddr *)&to, sizeof to));
    SHOW("sendto 70000", sendto(s, buf, 70000, 0, (struct sockaddr *)&to, sizeof to));
    SHOW("recv the one that fit", recv(r, buf, sizeof buf, 0));
    SHOW("nothing else queued", recv(r, buf, sizeof buf, MSG_DONTWAIT));
    /* IPv6 payload length excludes the fixed header: 65535 - 8 = 65527. */
    int r6port;
    int r6 = udp_bound(AF_INET6, "::1", &r6port);
    int s6 = NEED(socket(AF_INET6, SOCK_DGRAM, 0));
    struct sockaddr_in6 to6 = sa6("::1", r6port);
    SHOW("v6 sendto 65527", sendto(s6, buf, 65527, 0, (struct sockaddr *)&to6, sizeof to6));
    SHOW("v6 sendto 65528", sendto(s6, buf, 65528, 0, (struct sockaddr *)&to6, sizeof to6));
    SHOW("v6 recv the one that fit", recv(r6, buf, sizeof buf, 0));
    close(r6);
    close(s6);

    say("== destinations ==\n");
    SHOW("send unconnected", send(s, "x", 1, 0));
    SHOW("write unconnected", write(s, "x", 1));
    SHOW("sendto NULL addr", sendto(s, "x", 1, 0, NULL, 0));
    SHOW("sendto addrlen 8", sendto(s, "x", 1, 0, (struct sockaddr *)&to, 8));
    SHOW("sendto addrlen 0 with addr", sendto(s, "x", 1, 0, (struct sockaddr *)&to, 0));
    struct sockaddr_in p0 = sa4("127.0.0.1", 0);
    SHOW("sendto port 0", sendto(s, "x", 1, 0, (struct sockaddr *)&p0, sizeof p0));
    struct sockaddr_in6 v6 = sa6("::1", rport);
    SHOW("sendto AF_INET6 addr on v4 socket", sendto(s, "x", 1, 0, (struct sockaddr *)&v6, sizeof v6));
    struct sockaddr_in un = to;
    un.sin_family = AF_UNSPEC;
    /* Linux treats AF_UNSPEC in sendto like AF_INET (old BSD habit). */
    SHOW("sendto AF_UNSPEC family", sendto(s, "u", 1, 0, (struct sockaddr *)&un, sizeof un));
    SHOW("recv it", recv(r, buf, sizeof buf, 0));
    struct sockaddr_in bc = sa4("127.255.255.255", rport);
    SHOW("sendto broadcast without SO_BROADCAST", sendto(s, "x", 1, 0, (struct sockaddr *)&bc, sizeof bc));
    SHOW("sendto MSG_OOB", sendto(s, "x", 1, MSG_OOB, (struct sockaddr *)&to, sizeof to));
    struct sockaddr_storage big;
    memset(&big, 0, sizeof big);
    memcpy(&big, &to, sizeof to);
    SHOW("sendto addrlen = sizeof(sockaddr_storage)",
         sendto(s, "big", 3, 0, (struct sockaddr *)&big, sizeof big));
    SHOW("recv it", recv(r, buf, sizeof buf, 0));

    say("== stream-only calls ==\n");
    SHOW("listen", listen(r, 1));
    SHOW("accept", accept(r, NULL, NULL));
    SHOW("accept4", accept4(r, NULL, NULL, 0));

    say("== state ==\n");
    int u = NEED(socket(AF_INET, SOCK_DGRAM, 0));
    SHOW("recv MSG_DONTWAIT on unbound socket", recv(u, buf, sizeof buf, MSG_DONTWAIT));
    show_name("unbound getsockname", u, 0);
    SHOW("getpeername unconnected", getpeername(u, (struct sockaddr *)buf, &(socklen_t){ 128 }));
    SHOW("shutdown unconnected", shutdown(u, SHUT_RDWR));
    show_so_error("SO_ERROR", u);
    close(u);

    say("== sending into the void (unconnected) ==\n");
    int holder;
    int dport = dead_udp_port(AF_INET, &holder);
    struct sockaddr_in dead = sa4("127.0.0.1", dport);
    SHOW("sendto port nobody bound", sendto(s, "x", 1, 0, (struct sockaddr *)&dead, sizeof dead));
    sleep_ms(20);
    /* ICMP errors are only reported on connected UDP sockets. */
    show_so_error("SO_ERROR", s);
    SHOW("recv MSG_DONTWAIT", recv(s, buf, sizeof buf, MSG_DONTWAIT));
    SHOW("sendto again", sendto(s, "x", 1, 0, (struct sockaddr *)&dead, sizeof dead));
    close(holder);

    say("== bind ==\n");
    int b = NEED(socket(AF_INET, SOCK_DGRAM, 0));
    SHOW("bind port in use", bind(b, (struct sockaddr *)&to, sizeof to));
    struct sockaddr_in any = sa4("0.0.0.0", rport);
    SHOW("bind wildcard on port in use", bind(b, (struct sockaddr *)&any, sizeof any));
    struct sockaddr_in nl = sa4("192.0.2.1", 0);
    SHOW("bind non-local 192.0.2.1", bind(b, (struct sockaddr *)&nl, sizeof nl));
    SHOW("bind addrlen 4", bind(b, (struct sockaddr *)&p0, 4));
    /* A UDP and a TCP socket may share a port number. */
    SHOW("TCP bind on the port of a UDP socket",
         bind_pair(AF_INET, SOCK_DGRAM, "127.0.0.1", -1, AF_INET, SOCK_STREAM, "127.0.0.1"));
    SHOW("bind 127.0.0.1:0", bind(b, (struct sockaddr *)&p0, sizeof p0));
    SHOW("bind twice", bind(b, (struct sockaddr *)&p0, sizeof p0));
    close(b);
    /* SO_REUSEADDR on both sockets allows sharing a UDP port. */
    int x1 = NEED(socket(AF_INET, SOCK_DGRAM, 0));
    int x2 = NEED(socket(AF_INET, SOCK_DGRAM, 0));
    NEED(set_int_opt(x1, SOL_SOCKET, SO_REUSEADDR, 1));
    struct sockaddr_in lo0 = sa4("127.0.0.1", 0);
    NEED(bind(x1, (struct sockaddr *)&lo0, sizeof lo0));
    struct sockaddr_in same = sa4("127.0.0.1", local_port(x1));
    SHOW("second bind, only first has SO_REUSEADDR", bind(x2, (struct sockaddr *)&same, sizeof same));
    NEED(set_int_opt(x2, SOL_SOCKET, SO_REUSEADDR, 1));
    SHOW("second bind, both SO_REUSEADDR", bind(x2, (struct sockaddr *)&same, sizeof same));
    close(x1);
    close(x2);

    close(r);
    close(s);
    return 0;
}
