/*
 * udplite — UDP-Lite (IPPROTO_UDPLITE) over IPv4, IPv6 and dual stack:
 * datagram semantics like UDP in a port space of its own, and the
 * checksum coverage options UDPLITE_SEND_CSCOV / UDPLITE_RECV_CSCOV
 * (values, levels, and the receiver dropping datagrams that cover less
 * than its minimum).
 */
#include "probe.h"

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif
#define SEND_CSCOV 10
#define RECV_CSCOV 11

static int lite(int family)
{
    return NEED(socket(family, SOCK_DGRAM, IPPROTO_UDPLITE));
}

static int lite_bound(int family, const char *ip, int *port)
{
    int fd = lite(family);
    struct sockaddr_storage ss;
    socklen_t len = sa_make(family, ip, 0, &ss);
    NEED(bind(fd, (struct sockaddr *)&ss, len));
    *port = local_port(fd);
    return fd;
}

static void show_get(const char *label, int fd, int level, int name, socklen_t len)
{
    int v = -7;
    errno = 0;
    int r = getsockopt(fd, level, name, &v, &len);
    if (r < 0)
        say("%s: get level=%d name=%d: errno=%s\n", label, level, name, errname(errno));
    else
        say("%s: get level=%d name=%d: v=%d len=%u\n", label, level, name, v,
            (unsigned)len);
}

static void show_set(const char *label, int fd, int level, int name, int v,
                     socklen_t len)
{
    char l[128];
    snprintf(l, sizeof l, "%s: set level=%d name=%d v=%d len=%u", label, level,
             name, v, (unsigned)len);
    SHOW(l, setsockopt(fd, level, name, &v, len));
}

/* Send len bytes from a new socket with coverage cs (-1: not set) to a new
 * receiver with minimum cr (-1: not set); was it delivered? */
static void coverage(int family, const char *ip, int cs, int cr, int len)
{
    int port;
    int r = lite_bound(family, ip, &port);
    int s = lite(family);
    if (cs >= 0)
        NEED(setsockopt(s, IPPROTO_UDPLITE, SEND_CSCOV, &cs, sizeof cs));
    if (cr >= 0)
        NEED(setsockopt(r, IPPROTO_UDPLITE, RECV_CSCOV, &cr, sizeof cr));
    struct sockaddr_storage ss;
    socklen_t sl = sa_make(family, ip, port, &ss);
    char buf[64] = "0123456789abcdefghijklmnopqrstuvwxyz";
    long sent = NEED(sendto(s, buf, (size_t)len, 0, (struct sockaddr *)&ss, sl));
    /* A marker datagram that is always taken, to know the first one had
     * its chance. */
    int zero = 0;
    NEED(setsockopt(s, IPPROTO_UDPLITE, SEND_CSCOV, &zero, sizeof zero));
    NEED(sendto(s, "M", 1, 0, (struct sockaddr *)&ss, sl));
    char got[64];
    long n = NEED(recv(r, got, sizeof got, 0));
    say("%s send_cscov=%d recv_cscov=%d len=%d: sent=%ld delivered=%d\n",
        family_name(family), cs, cr, len, sent, !(n == 1 && got[0] == 'M'));
    if (n != 1)
        NEED(recv(r, got, sizeof got, 0));     /* the marker */
    close(r);
    close(s);
}

int main(void)
{
    probe_init();
    say("== sockets ==\n");
    SHOWFD("AF_INET dgram", socket(AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE));
    SHOWFD("AF_INET6 dgram", socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDPLITE));
    SHOWFD("stream", socket(AF_INET, SOCK_STREAM, IPPROTO_UDPLITE));
    int l4 = lite(AF_INET), u4 = NEED(socket(AF_INET, SOCK_DGRAM, 0));
    say("SO_PROTOCOL lite=%d udp=%d SO_TYPE=%d\n",
        get_int_opt(l4, SOL_SOCKET, SO_PROTOCOL),
        get_int_opt(u4, SOL_SOCKET, SO_PROTOCOL), get_int_opt(l4, SOL_SOCKET, SO_TYPE));

    say("== options ==\n");
    show_get("lite", l4, IPPROTO_UDPLITE, SEND_CSCOV, 4);
    show_get("lite", l4, IPPROTO_UDPLITE, RECV_CSCOV, 4);
    show_get("lite", l4, IPPROTO_UDP, SEND_CSCOV, 4);
    show_get("lite", l4, IPPROTO_UDPLITE, 12, 4);
    show_get("lite", l4, IPPROTO_UDPLITE, SEND_CSCOV, 0);
    static const int vals[] = { 0, 1, 7, 8, 9, 100, 65535, 65536, -1, -100 };
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        show_set("lite", l4, IPPROTO_UDPLITE, SEND_CSCOV, vals[i], 4);
        show_get("lite", l4, IPPROTO_UDPLITE, SEND_CSCOV, 4);
    }
    show_set("lite", l4, IPPROTO_UDPLITE, RECV_CSCOV, 3, 4);
    show_get("lite", l4, IPPROTO_UDPLITE, RECV_CSCOV, 4);
    show_set("lite", l4, IPPROTO_UDPLITE, RECV_CSCOV, 3, 2);
    show_set("lite", l4, IPPROTO_UDP, RECV_CSCOV, 20, 4);
    show_get("lite", l4, IPPROTO_UDPLITE, RECV_CSCOV, 4);
    show_set("lite", l4, IPPROTO_UDPLITE, 99, 1, 4);
    show_get("udp", u4, IPPROTO_UDPLITE, SEND_CSCOV, 4);
    show_get("udp", u4, IPPROTO_UDP, RECV_CSCOV, 4);
    show_set("udp", u4, IPPROTO_UDPLITE, SEND_CSCOV, 20, 4);
    show_set("udp", u4, IPPROTO_UDP, RECV_CSCOV, 20, 4);
    show_get("udp", u4, IPPROTO_UDP, 99, 4);
    show_set("udp", u4, IPPROTO_UDP, 99, 1, 4);

    say("== port space ==\n");
    int port;
    int ub = udp_bound(AF_INET, "127.0.0.1", &port);
    struct sockaddr_in at = sa4("127.0.0.1", port);
    int lb = lite(AF_INET);
    SHOW("lite bind to a UDP port", bind(lb, (struct sockaddr *)&at, sizeof at));
    int lb2 = lite(AF_INET);
    SHOW("second lite bind", bind(lb2, (struct sockaddr *)&at, sizeof at));
    int us = NEED(socket(AF_INET, SOCK_DGRAM, 0));
    int ls = lite(AF_INET);
    SHOW("lite sendto", sendto(ls, "lite", 4, 0, (struct sockaddr *)&at, sizeof at));
    SHOW("udp sendto", sendto(us, "udp", 3, 0, (struct sockaddr *)&at, sizeof at));
    char buf[64] = { 0 };
    struct sockaddr_storage from;
    socklen_t fl = sizeof from;
    SHOW("lite recvfrom", recvfrom(lb, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
    say("data=%s from %s same_port=%d\n", buf, sa_str(&from), sa_port(&from) == local_port(ls));
    memset(buf, 0, sizeof buf);
    SHOW("udp recv", recv(ub, buf, sizeof buf, 0));
    say("data=%s\n", buf);
    SHOW("lite MSG_TRUNC", ({ NEED(sendto(ls, "truncated", 9, 0, (struct sockaddr *)&at, sizeof at));
                               recv(lb, buf, 4, MSG_TRUNC); }));
    SHOW("lite nothing left", recv(lb, buf, sizeof buf, MSG_DONTWAIT));
    close(ub);
    /* A port only UDP uses is closed for UDP-Lite. */
    int hold;
    int uonly = udp_bound(AF_INET, "127.0.0.1", &hold);
    struct sockaddr_in to_u = sa4("127.0.0.1", hold);
    int lc = lite(AF_INET);
    SHOW("lite connect to a UDP-only port", connect(lc, (struct sockaddr *)&to_u, sizeof to_u));
    SHOW("send", send(lc, "a", 1, 0));
    SHOW("send again", send(lc, "a", 1, 0));
    close(uonly);

    say("== coverage ==\n");
    static const int cases[][3] = {
        {-1, -1, 10}, {8, -1, 10}, {8, 20, 10}, {30, 20, 10}, {16, 20, 10},
        {20, 20, 20}, {21, 20, 20}, {-1, 0, 10}, {8, 0, 10}, {30, 0, 10},
        {18, 0, 10}, {17, 0, 10}, {0, 0, 10}, {0, 20, 10}, {3, 8, 10},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        coverage(AF_INET, "127.0.0.1", cases[i][0], cases[i][1], cases[i][2]);
    coverage(AF_INET6, "::1", 8, 20, 10);
    coverage(AF_INET6, "::1", 30, 20, 10);
    coverage(AF_INET6, "::1", 8, 0, 10);

    say("== dual stack ==\n");
    int d = lite_bound(AF_INET6, "::", &port);
    int e = lite(AF_INET);
    int eight = 8, twenty = 20;
    NEED(setsockopt(e, IPPROTO_UDPLITE, SEND_CSCOV, &eight, sizeof eight));
    at = sa4("127.0.0.1", port);
    SHOW("v4 to dual-stack", sendto(e, "hello world", 11, 0, (struct sockaddr *)&at, sizeof at));
    fl = sizeof from;
    memset(buf, 0, sizeof buf);
    SHOW("recvfrom", recvfrom(d, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
    say("data=%s from %s\n", buf, sa_str(&from));
    NEED(setsockopt(d, IPPROTO_UDPLITE, RECV_CSCOV, &twenty, sizeof twenty));
    SHOW("v4 partial, receiver wants 20", sendto(e, "hello world", 11, 0, (struct sockaddr *)&at, sizeof at));
    SHOW("FIONREAD", ({ int n = -1; ioctl(d, FIONREAD, &n); n; }));
    SHOW("recv", recv(d, buf, sizeof buf, MSG_DONTWAIT));
    return 0;
}
