/*
 * names — socket addresses as returned by the kernel:
 *   - getsockname/getpeername/accept/recvfrom with an addrlen smaller
 *     than the address: the prefix is copied, the rest of the caller's
 *     buffer is untouched, and addrlen reports the full length;
 *     bigger addrlen values are cut down to the real length;
 *     a negative addrlen is EINVAL;
 *   - which local address a client gets when connecting to 127.x.y.z,
 *     and what a wildcard-bound server sees as its local address;
 *   - ephemeral ports: non-zero, inside ip_local_port_range, distinct;
 *   - bind ignores sin_zero and accepts an oversized addrlen.
 */
#include "probe.h"

typedef int (*namefn)(int, struct sockaddr *, socklen_t *);

/* Call fn with addrlen = give into a 0xAA-filled buffer and compare with
 * the full answer `full` (length fulllen). */
static void truncation(const char *label, namefn fn, int fd, socklen_t give,
                       const unsigned char *full, socklen_t fulllen)
{
    unsigned char buf[200];
    memset(buf, 0xAA, sizeof buf);
    socklen_t len = give;
    int r = fn(fd, (struct sockaddr *)buf, &len);
    if (r < 0) {
        say("%s addrlen=%u: ret=-1 errno=%s\n", label, (unsigned)give, errname(errno));
        return;
    }
    socklen_t copied = give < fulllen ? give : fulllen;
    int prefix = memcmp(buf, full, copied) == 0;
    int tail = 1;
    for (size_t i = copied; i < sizeof buf; i++)
        tail &= buf[i] == 0xAA;
    say("%s addrlen=%u: ret=%d addrlen_out=%u prefix_matches=%d rest_untouched=%d\n",
        label, (unsigned)give, r, (unsigned)len, prefix, tail);
}

static void truncation_set(const char *label, namefn fn, int fd)
{
    unsigned char full[200];
    socklen_t fl = sizeof full;
    memset(full, 0, sizeof full);
    if (fn(fd, (struct sockaddr *)full, &fl) < 0) {
        say("%s: errno=%s\n", label, errname(errno));
        return;
    }
    say("%s: full length %u\n", label, (unsigned)fl);
    socklen_t sizes[] = { 0, 1, 2, 4, 8, 15, 16, 24, 27, 28, 29, 128 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (sizes[i] <= fl + 1 || sizes[i] == 128)
            truncation(label, fn, fd, sizes[i], full, fl);
    /* socklen_t is unsigned, but the kernel reads it as int. */
    unsigned char buf[200];
    socklen_t neg = (socklen_t)-1;
    SHOW("  addrlen=-1", fn(fd, (struct sockaddr *)buf, &neg));
}

static int port_range_lo, port_range_hi;

static void read_port_range(void)
{
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (!f || fscanf(f, "%d %d", &port_range_lo, &port_range_hi) != 2) {
        port_range_lo = 1;
        port_range_hi = 65535;
    }
    if (f)
        fclose(f);
}

int main(void)
{
    probe_init();
    read_port_range();
    char buf[64];

    say("== truncation, IPv4 ==\n");
    int c, s;
    tcp_pair(AF_INET, &c, &s);
    truncation_set("getsockname v4", getsockname, c);
    truncation_set("getpeername v4", getpeername, c);
    close(c);
    close(s);

    say("== truncation, IPv6 ==\n");
    tcp_pair(AF_INET6, &c, &s);
    truncation_set("getsockname v6", getsockname, c);
    truncation_set("getpeername v6", getpeername, s);
    close(c);
    close(s);

    say("== truncation in accept and recvfrom ==\n");
    int port;
    int l = tcp_listener(AF_INET, "127.0.0.1", 4, &port);
    c = tcp_connect(AF_INET, "127.0.0.1", port);
    unsigned char ab[32];
    memset(ab, 0xAA, sizeof ab);
    socklen_t al = 6;
    s = SHOWFD("accept addrlen=6", accept(l, (struct sockaddr *)ab, &al));
    struct sockaddr_in full;
    socklen_t fl = sizeof full;
    NEED(getsockname(c, (struct sockaddr *)&full, &fl));
    say("  addrlen_out=%u prefix_matches=%d byte6_untouched=%d\n", (unsigned)al,
        memcmp(ab, &full, 6) == 0, ab[6] == 0xAA);
    close(s);
    close(c);
    c = tcp_connect(AF_INET, "127.0.0.1", port);
    al = 0;
    s = SHOWFD("accept addrlen=0", accept(l, (struct sockaddr *)ab, &al));
    say("  addrlen_out=%u\n", (unsigned)al);
    close(s);
    close(c);
    c = tcp_connect(AF_INET, "127.0.0.1", port);
    al = 4;
    s = SHOWFD("accept addr=NULL addrlen=4", accept(l, NULL, &al));
    say("  addrlen untouched=%d\n", al == 4);
    close(s);
    close(c);
    close(l);

    int up;
    int u = udp_bound(AF_INET6, "::1", &up);
    int us = NEED(socket(AF_INET6, SOCK_DGRAM, 0));
    struct sockaddr_in6 to6 = sa6("::1", up);
    NEED(sendto(us, "x", 1, 0, (struct sockaddr *)&to6, sizeof to6));
    NEED(sendto(us, "y", 1, 0, (struct sockaddr *)&to6, sizeof to6));
    memset(ab, 0xAA, sizeof ab);
    al = 10;
    SHOW("recvfrom v6 addrlen=10", recvfrom(u, buf, sizeof buf, 0, (struct sockaddr *)ab, &al));
    struct sockaddr_in6 f6;
    fl = sizeof f6;
    NEED(getsockname(us, (struct sockaddr *)&f6, &fl));
    say("  addrlen_out=%u prefix_matches=%d byte10_untouched=%d\n", (unsigned)al,
        memcmp(ab, &f6, 10) == 0, ab[10] == 0xAA);
    al = 100;
    SHOW("recvfrom v6 addrlen=100", recvfrom(u, buf, sizeof buf, 0, (struct sockaddr *)ab, &al));
    say("  addrlen_out=%u\n", (unsigned)al);
    close(us);
    close(u);

    say("== local address chosen by connect ==\n");
    /* A listener on the wildcard address, reached through several
     * loopback addresses: the client's source is always 127.0.0.1 (the
     * route's preferred source), the server's local address is whatever
     * the client dialled. */
    l = tcp_listener(AF_INET, "0.0.0.0", 4, &port);
    show_name("wildcard listener", l, 0);
    const char *dst[] = { "127.0.0.1", "127.0.0.2", "127.200.1.9" };
    for (int i = 0; i < 3; i++) {
        say("-- connect to %s --\n", dst[i]);
        c = tcp_connect(AF_INET, dst[i], port);
        s = NEED(accept(l, NULL, NULL));
        show_name("  client local", c, 0);
        show_name("  client peer", c, 1);
        show_name("  server local", s, 0);
        show_name("  server peer", s, 1);
        close(c);
        close(s);
    }
    /* A client bound to a specific loopback address keeps it. */
    c = sock_bind(AF_INET, SOCK_STREAM, "127.0.0.5", 0);
    struct sockaddr_in a = sa4("127.0.0.1", port);
    SHOW("connect from socket bound to 127.0.0.5", connect(c, (struct sockaddr *)&a, sizeof a));
    s = NEED(accept(l, NULL, NULL));
    show_name("  client local", c, 0);
    show_name("  server peer", s, 1);
    close(c);
    close(s);
    close(l);

    say("== ephemeral ports ==\n");
    int p[6];
    int fds[6];
    for (int i = 0; i < 3; i++) {
        fds[i] = sock_bind(AF_INET, SOCK_STREAM, "127.0.0.1", 0);
        p[i] = local_port(fds[i]);
    }
    for (int i = 3; i < 6; i++) {
        fds[i] = sock_bind(AF_INET, SOCK_DGRAM, "127.0.0.1", 0);
        p[i] = local_port(fds[i]);
    }
    int inrange = 1, distinct_tcp = p[0] != p[1] && p[1] != p[2] && p[0] != p[2];
    int distinct_udp = p[3] != p[4] && p[4] != p[5] && p[3] != p[5];
    for (int i = 0; i < 6; i++)
        inrange &= p[i] >= port_range_lo && p[i] <= port_range_hi;
    say("ports in ip_local_port_range=%d distinct tcp=%d udp=%d\n", inrange,
        distinct_tcp, distinct_udp);
    for (int i = 0; i < 6; i++)
        close(fds[i]);
    /* A port released by close (never connected) can be bound again. */
    int again = NEED(socket(AF_INET, SOCK_STREAM, 0));
    a = sa4("127.0.0.1", p[0]);
    int rb = bind(again, (struct sockaddr *)&a, sizeof a);
    /* An unrelated process could have grabbed it meanwhile: only a
     * success or EADDRINUSE is plausible, anything else is a bug. */
    say("rebind released port: ok_or_inuse=%d\n", rb == 0 || errno == EADDRINUSE);
    close(again);

    say("== bind argument quirks ==\n");
    int b = NEED(socket(AF_INET, SOCK_STREAM, 0));
    a = sa4("127.0.0.1", 0);
    memset(a.sin_zero, 0x5a, sizeof a.sin_zero);
    SHOW("bind with garbage in sin_zero", bind(b, (struct sockaddr *)&a, sizeof a));
    close(b);
    b = NEED(socket(AF_INET, SOCK_STREAM, 0));
    struct sockaddr_storage big;
    memset(&big, 0, sizeof big);
    a = sa4("127.0.0.1", 0);
    memcpy(&big, &a, sizeof a);
    SHOW("bind with addrlen=sizeof(sockaddr_storage)", bind(b, (struct sockaddr *)&big, sizeof big));
    close(b);
    /* ...but not one larger than sockaddr_storage. */
    b = NEED(socket(AF_INET, SOCK_STREAM, 0));
    SHOW("bind with addrlen=129", bind(b, (struct sockaddr *)&big, 129));
    close(b);
    return 0;
}
