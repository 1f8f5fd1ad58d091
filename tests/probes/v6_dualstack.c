/*
 * v6_dualstack — IPv6 sockets and their interplay with IPv4:
 *   - ::1 TCP and UDP with full sockaddr_in6 names (flowinfo, scope_id);
 *   - a [::] listener with IPV6_V6ONLY=0 accepting IPv4 clients, which
 *     show up as v4-mapped ::ffff:127.0.0.1; with V6ONLY=1 they are
 *     refused;
 *   - connecting an AF_INET6 socket to a v4-mapped address;
 *   - port sharing rules between [::], 0.0.0.0, ::1 and 127.0.0.1;
 *   - a dual-stack UDP socket talking to an IPv4 peer;
 *   - bind/connect argument errors specific to AF_INET6.
 * Wildcard addresses are only ever bound, never sent to.
 */
#include "probe.h"

/* Print every field of an IPv6 name except the (ephemeral) port. */
static void show6(const char *label, int fd, int peer)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    memset(&ss, 0, sizeof ss);
    int r = peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
                 : getsockname(fd, (struct sockaddr *)&ss, &len);
    if (r < 0) {
        say("%s: ret=-1 errno=%s\n", label, errname(errno));
        return;
    }
    if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        say("%s: %s len=%u flowinfo=%u scope_id=%u\n", label, sa_str(&ss),
            (unsigned)len, (unsigned)a->sin6_flowinfo, (unsigned)a->sin6_scope_id);
    } else {
        say("%s: %s len=%u\n", label, sa_str(&ss), (unsigned)len);
    }
}

static int v6only_listener(const char *ip, int v6only, int *port)
{
    int fd = NEED(socket(AF_INET6, SOCK_STREAM, 0));
    if (v6only >= 0)
        NEED(set_int_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY, v6only));
    struct sockaddr_in6 a = sa6(ip, 0);
    NEED(bind(fd, (struct sockaddr *)&a, sizeof a));
    NEED(listen(fd, 8));
    *port = local_port(fd);
    return fd;
}

/* Try connecting a socket of `family` to ip:port; print the result and
 * return the connected fd or -1. */
static int try_connect(const char *label, int family, const char *ip, int port)
{
    struct sockaddr_storage ss;
    socklen_t len = sa_make(family, ip, port, &ss);
    int fd = NEED(socket(family, SOCK_STREAM, 0));
    if (SHOW(label, connect(fd, (struct sockaddr *)&ss, len)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int main(void)
{
    probe_init();
    char buf[64];
    int port;

    say("== defaults ==\n");
    int t = NEED(socket(AF_INET6, SOCK_STREAM, 0));
    /* Default comes from net.ipv6.bindv6only (0 on stock systems). */
    SHOW("IPV6_V6ONLY default", get_int_opt(t, IPPROTO_IPV6, IPV6_V6ONLY));
    show6("unbound getsockname", t, 0);
    SHOW("SO_DOMAIN", get_int_opt(t, SOL_SOCKET, SO_DOMAIN));
    close(t);

    say("== ::1 TCP ==\n");
    int l = v6only_listener("::1", -1, &port);
    show6("listener", l, 0);
    int c = try_connect("connect [::1]", AF_INET6, "::1", port);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int s = SHOWFD("accept", accept(l, (struct sockaddr *)&ss, &len));
    say("accept addr: %s len=%u\n", sa_str(&ss), (unsigned)len);
    show6("client local", c, 0);
    show6("client peer", c, 1);
    show6("server local", s, 0);
    CHECK("ports consistent", peer_port(s) == local_port(c) && peer_port(c) == port);
    SHOW("send", send(c, "v6 data", 7, 0));
    memset(buf, 0, sizeof buf);
    SHOW("recv", read_full(s, buf, 7));
    say("data: %s\n", buf);
    close(c);
    close(s);
    /* An IPv4 client cannot reach a listener bound to ::1. */
    c = try_connect("connect 127.0.0.1 to [::1] listener", AF_INET, "127.0.0.1", port);
    if (c >= 0)
        close(c);
    close(l);

    say("== [::] listener, V6ONLY=0 ==\n");
    l = v6only_listener("::", 0, &port);
    show6("listener", l, 0);
    c = try_connect("v4 client to 127.0.0.1", AF_INET, "127.0.0.1", port);
    len = sizeof ss;
    s = SHOWFD("accept", accept(l, (struct sockaddr *)&ss, &len));
    say("accept addr: %s len=%u\n", sa_str(&ss), (unsigned)len);
    show6("server local", s, 0);
    show6("server peer", s, 1);
    show6("v4 client local", c, 0);
    CHECK("mapped peer port==client port", peer_port(s) == local_port(c));
    SHOW("v4 client send", send(c, "mapped", 6, 0));
    memset(buf, 0, sizeof buf);
    SHOW("server recv", read_full(s, buf, 6));
    say("data: %s\n", buf);
    close(c);
    close(s);
    /* An AF_INET6 socket may connect to a v4-mapped address. */
    c = try_connect("v6 client to ::ffff:127.0.0.1", AF_INET6, "::ffff:127.0.0.1", port);
    s = NEED(accept(l, NULL, NULL));
    show6("v6-mapped client local", c, 0);
    show6("v6-mapped client peer", c, 1);
    show6("server peer", s, 1);
    close(c);
    close(s);
    c = try_connect("v6 client to ::1", AF_INET6, "::1", port);
    s = NEED(accept(l, NULL, NULL));
    show6("server peer", s, 1);
    close(c);
    close(s);
    close(l);

    say("== [::] listener, V6ONLY=1 ==\n");
    l = v6only_listener("::", 1, &port);
    SHOW("IPV6_V6ONLY", get_int_opt(l, IPPROTO_IPV6, IPV6_V6ONLY));
    c = try_connect("v4 client to 127.0.0.1", AF_INET, "127.0.0.1", port);
    if (c >= 0)
        close(c);
    c = try_connect("v6 client to ::ffff:127.0.0.1", AF_INET6, "::ffff:127.0.0.1", port);
    if (c >= 0)
        close(c);
    c = try_connect("v6 client to ::1", AF_INET6, "::1", port);
    s = NEED(accept(l, NULL, NULL));
    close(c);
    close(s);
    /* V6ONLY can only be changed before bind. */
    SHOW("set IPV6_V6ONLY after bind", set_int_opt(l, IPPROTO_IPV6, IPV6_V6ONLY, 0));
    close(l);

    say("== port sharing between families ==\n");
    /* [::] with V6ONLY=0 owns the port for IPv4 too. */
    SHOW("bind 0.0.0.0 on port of [::] (v6only=0)",
         bind_pair(AF_INET6, SOCK_STREAM, "::", 0, AF_INET, SOCK_STREAM, "0.0.0.0"));
    SHOW("bind 127.0.0.1 on port of [::] (v6only=0)",
         bind_pair(AF_INET6, SOCK_STREAM, "::", 0, AF_INET, SOCK_STREAM, "127.0.0.1"));
    /* With V6ONLY=1 the IPv4 side of the port is free. */
    SHOW("bind 0.0.0.0 on port of [::] (v6only=1)",
         bind_pair(AF_INET6, SOCK_STREAM, "::", 1, AF_INET, SOCK_STREAM, "0.0.0.0"));
    SHOW("bind ::1 on port of [::] (v6only=1)",
         bind_pair(AF_INET6, SOCK_STREAM, "::", 1, AF_INET6, SOCK_STREAM, "::1"));
    /* ::1 and 127.0.0.1 are different addresses. */
    SHOW("bind 127.0.0.1 on port of ::1",
         bind_pair(AF_INET6, SOCK_STREAM, "::1", -1, AF_INET, SOCK_STREAM, "127.0.0.1"));
    /* A v4 socket on 127.0.0.1 blocks a dual-stack [::] on the port... */
    {
        int b = sock_bind(AF_INET, SOCK_STREAM, "127.0.0.1", 0);
        int a = NEED(socket(AF_INET6, SOCK_STREAM, 0));
        NEED(set_int_opt(a, IPPROTO_IPV6, IPV6_V6ONLY, 0));
        struct sockaddr_in6 any6 = sa6("::", local_port(b));
        SHOW("bind [::] (v6only=0) on port of 127.0.0.1",
             bind(a, (struct sockaddr *)&any6, sizeof any6));
        close(a);
        close(b);
    }
    /* ...and UDP follows the same rules. */
    SHOW("UDP: bind 127.0.0.1 on port of [::] (v6only=0)",
         bind_pair(AF_INET6, SOCK_DGRAM, "::", 0, AF_INET, SOCK_DGRAM, "127.0.0.1"));
    SHOW("UDP: bind 127.0.0.1 on port of [::] (v6only=1)",
         bind_pair(AF_INET6, SOCK_DGRAM, "::", 1, AF_INET, SOCK_DGRAM, "127.0.0.1"));

    say("== dual-stack UDP ==\n");
    int up;
    int u6 = udp_bound(AF_INET6, "::", &up);
    int u4 = NEED(socket(AF_INET, SOCK_DGRAM, 0));
    struct sockaddr_in to4 = sa4("127.0.0.1", up);
    SHOW("v4 sendto 127.0.0.1", sendto(u4, "from v4", 7, 0, (struct sockaddr *)&to4, sizeof to4));
    struct sockaddr_storage from;
    socklen_t fl = sizeof from;
    memset(buf, 0, sizeof buf);
    SHOW("v6 recvfrom", recvfrom(u6, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
    say("data: %s from %s len=%u port==v4 sender:%d\n", buf, sa_str(&from),
        (unsigned)fl, sa_port(&from) == local_port(u4));
    /* Reply through the v4-mapped address it reported. */
    SHOW("v6 sendto mapped address", sendto(u6, "reply", 5, 0, (struct sockaddr *)&from, fl));
    memset(buf, 0, sizeof buf);
    SHOW("v4 recv", recv(u4, buf, sizeof buf, 0));
    say("data: %s\n", buf);
    /* A plain sockaddr_in destination on an AF_INET6 UDP socket. */
    struct sockaddr_in back = sa4("127.0.0.1", local_port(u4));
    SHOW("v6 sendto AF_INET sockaddr", sendto(u6, "x", 1, 0, (struct sockaddr *)&back, sizeof back));
    SHOW("v4 recv", recv(u4, buf, sizeof buf, 0));
    int u6b = NEED(socket(AF_INET6, SOCK_DGRAM, 0));
    struct sockaddr_in6 to6 = sa6("::1", up);
    SHOW("v6 sendto ::1", sendto(u6b, "from v6", 7, 0, (struct sockaddr *)&to6, sizeof to6));
    fl = sizeof from;
    memset(buf, 0, sizeof buf);
    SHOW("v6 recvfrom", recvfrom(u6, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
    say("data: %s from %s len=%u\n", buf, sa_str(&from), (unsigned)fl);
    close(u6b);
    close(u4);
    close(u6);

    say("== AF_INET6 argument errors ==\n");
    int e = NEED(socket(AF_INET6, SOCK_STREAM, 0));
    struct sockaddr_in6 a6 = sa6("::1", 0);
    SHOW("bind addrlen 20", bind(e, (struct sockaddr *)&a6, 20));
    struct sockaddr_in a4 = sa4("127.0.0.1", 0);
    SHOW("bind sockaddr_in on v6 socket", bind(e, (struct sockaddr *)&a4, sizeof a4));
    /* 2001:db8::1 is the documentation prefix: never local. */
    struct sockaddr_in6 nl = sa6("2001:db8::1", 0);
    SHOW("bind non-local 2001:db8::1", bind(e, (struct sockaddr *)&nl, sizeof nl));
    /* RFC 2133 sockaddr_in6 without scope_id (24 bytes) is accepted. */
    SHOW("bind ::1 addrlen 24", bind(e, (struct sockaddr *)&a6, 24));
    show6("bound", e, 0);
    close(e);
    e = NEED(socket(AF_INET6, SOCK_STREAM, 0));
    NEED(set_int_opt(e, IPPROTO_IPV6, IPV6_V6ONLY, 1));
    struct sockaddr_in6 mapped = sa6("::ffff:127.0.0.1", 0);
    SHOW("bind v4-mapped with V6ONLY=1", bind(e, (struct sockaddr *)&mapped, sizeof mapped));
    close(e);
    e = NEED(socket(AF_INET6, SOCK_STREAM, 0));
    SHOW("bind v4-mapped with V6ONLY=0", bind(e, (struct sockaddr *)&mapped, sizeof mapped));
    show6("bound", e, 0);
    close(e);
    e = NEED(socket(AF_INET6, SOCK_STREAM, 0));
    SHOW("connect addrlen 20", connect(e, (struct sockaddr *)&a6, 20));
    SHOW("connect sockaddr_in on v6 socket", connect(e, (struct sockaddr *)&a4, sizeof a4));
    int holder;
    int dport = dead_port(AF_INET6, &holder);
    a6 = sa6("::1", dport);
    SHOW("connect [::1] dead port", connect(e, (struct sockaddr *)&a6, sizeof a6));
    close(holder);
    close(e);
    return 0;
}
