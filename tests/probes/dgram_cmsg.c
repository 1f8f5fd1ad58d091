/*
 * dgram_cmsg — ancillary data on datagrams: IP_RECVTTL / IP_RECVTOS and
 * IPV6_RECVHOPLIMIT / IPV6_RECVTCLASS on receive (with the socket's own
 * IP_TTL, IP_TOS, IPV6_UNICAST_HOPS, IPV6_TCLASS and per-message IP_TTL,
 * IP_TOS, IPV6_HOPLIMIT, IPV6_TCLASS control messages on send), their
 * order next to IP_PKTINFO / IPV6_PKTINFO, invalid control messages,
 * and Linux's truncation of a short control buffer (MSG_CTRUNC, a
 * partial last header, CMSG_LEN vs CMSG_SPACE) — over IPv4, IPv6 and
 * IPv4 to a dual-stack socket.
 */
#include "probe.h"

#define CTL_FILL 0xAA

/* Receive one datagram with a control buffer of ctl_len bytes and print
 * the flags, the control length and every byte of the buffer the kernel
 * may have written (the rest stays CTL_FILL). */
static void recv_ctl(int fd, const char *label, size_t ctl_len, int null_ctl)
{
    char data[64] = { 0 };
    union {
        char buf[256];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { data, sizeof data - 1 };
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1,
        .msg_control = null_ctl ? NULL : ctl.buf, .msg_controllen = ctl_len,
    };
    memset(&ctl, CTL_FILL, sizeof ctl);
    ssize_t r = recvmsg(fd, &mh, MSG_DONTWAIT);
    if (r < 0) {
        say("%s: recvmsg errno=%s\n", label, errname(errno));
        return;
    }
    say("%s: ret=%zd ctrunc=%d controllen=%zu", label, r,
        !!(mh.msg_flags & MSG_CTRUNC), (size_t)mh.msg_controllen);
    size_t show = ctl_len < 64 ? ctl_len : 64;
    if (!null_ctl && show) {
        say(" bytes=");
        for (size_t i = 0; i < show; i++)
            say("%02x", (unsigned char)ctl.buf[i]);
    }
    say("\n");
    if (null_ctl)
        return;
    /* Walk by hand: CMSG_NXTHDR refuses a partial header. */
    size_t off = 0;
    while (off + sizeof(struct cmsghdr) <= mh.msg_controllen) {
        struct cmsghdr c;
        memcpy(&c, ctl.buf + off, sizeof c);
        size_t dlen = c.cmsg_len > CMSG_LEN(0) ? c.cmsg_len - CMSG_LEN(0) : 0;
        say("  cmsg level=%d type=%d len=%zu", c.cmsg_level, c.cmsg_type,
            (size_t)c.cmsg_len);
        if (dlen == sizeof(int)) {
            int v;
            memcpy(&v, ctl.buf + off + CMSG_LEN(0), sizeof v);
            if (!(c.cmsg_level == IPPROTO_IP && c.cmsg_type == IP_PKTINFO))
                say(" int=%d", v);
        } else if (dlen == 1) {
            say(" byte=%u", (unsigned char)ctl.buf[off + CMSG_LEN(0)]);
        }
        say("\n");
        if (c.cmsg_len < sizeof c)
            break;
        off += CMSG_ALIGN(c.cmsg_len);
    }
}

/* sendmsg with up to two int-or-byte control messages (type < 0: none). */
typedef struct cm {
    int level, type, len, val;   /* len: bytes of data, 4 or 1 */
} cm;

static long send_cm(int fd, const struct sockaddr *to, socklen_t tolen,
                    const char *payload, cm a, cm b)
{
    union {
        char buf[128];
        struct cmsghdr align;
    } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct iovec iov = { (void *)payload, strlen(payload) };
    struct msghdr mh = {
        .msg_name = (void *)to, .msg_namelen = tolen,
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
    };
    size_t used = 0;
    cm all[2] = { a, b };
    for (int i = 0; i < 2; i++) {
        if (all[i].type < 0)
            continue;
        struct cmsghdr h = { .cmsg_len = CMSG_LEN((size_t)all[i].len),
                             .cmsg_level = all[i].level, .cmsg_type = all[i].type };
        memcpy(ctl.buf + used, &h, sizeof h);
        if (all[i].len == 1)
            ctl.buf[used + CMSG_LEN(0)] = (char)all[i].val;
        else
            memcpy(ctl.buf + used + CMSG_LEN(0), &all[i].val, sizeof(int));
        used += CMSG_SPACE((size_t)all[i].len);
    }
    mh.msg_controllen = used;
    if (!used)
        mh.msg_control = NULL;
    return sendmsg(fd, &mh, 0);
}

static const cm NONE = { 0, -1, 0, 0 };

static void opt_show(const char *label, int fd, int level, int name)
{
    int v = -12345;
    socklen_t len = sizeof v;
    if (getsockopt(fd, level, name, &v, &len) < 0)
        say("%s: errno=%s\n", label, errname(errno));
    else
        say("%s: %d\n", label, v);
}

static void options(void)
{
    say("== options ==\n");
    int u4 = NEED(socket(AF_INET, SOCK_DGRAM, 0));
    int u6 = NEED(socket(AF_INET6, SOCK_DGRAM, 0));
    opt_show("IP_RECVTTL", u4, IPPROTO_IP, IP_RECVTTL);
    opt_show("IP_RECVTOS", u4, IPPROTO_IP, IP_RECVTOS);
    SHOW("set IP_RECVTTL 5", set_int_opt(u4, IPPROTO_IP, IP_RECVTTL, 5));
    opt_show("IP_RECVTTL", u4, IPPROTO_IP, IP_RECVTTL);
    opt_show("IP_TTL default", u4, IPPROTO_IP, IP_TTL);
    opt_show("IP_TOS default", u4, IPPROTO_IP, IP_TOS);
    SHOW("set IP_TOS 0x1ff", set_int_opt(u4, IPPROTO_IP, IP_TOS, 0x1ff));
    opt_show("IP_TOS", u4, IPPROTO_IP, IP_TOS);
    SHOW("set IP_TOS -1", set_int_opt(u4, IPPROTO_IP, IP_TOS, -1));
    opt_show("IP_TOS", u4, IPPROTO_IP, IP_TOS);
    opt_show("v6 IPV6_RECVHOPLIMIT", u6, IPPROTO_IPV6, IPV6_RECVHOPLIMIT);
    opt_show("v6 IPV6_RECVTCLASS", u6, IPPROTO_IPV6, IPV6_RECVTCLASS);
    SHOW("set IPV6_RECVHOPLIMIT 3", set_int_opt(u6, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 3));
    opt_show("v6 IPV6_RECVHOPLIMIT", u6, IPPROTO_IPV6, IPV6_RECVHOPLIMIT);
    SHOW("set IPV6_RECVTCLASS 1", set_int_opt(u6, IPPROTO_IPV6, IPV6_RECVTCLASS, 1));
    opt_show("v6 IPV6_RECVTCLASS", u6, IPPROTO_IPV6, IPV6_RECVTCLASS);
    opt_show("v6 IPV6_UNICAST_HOPS", u6, IPPROTO_IPV6, IPV6_UNICAST_HOPS);
    opt_show("v6 IPV6_TCLASS", u6, IPPROTO_IPV6, IPV6_TCLASS);
    opt_show("v6 IP_RECVTTL", u6, IPPROTO_IP, IP_RECVTTL);
    SHOW("v4 IPV6_RECVHOPLIMIT", set_int_opt(u4, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1));
    SHOW("set IPV6_TCLASS 0x30", set_int_opt(u6, IPPROTO_IPV6, IPV6_TCLASS, 0x30));
    SHOW("set IPV6_TCLASS -1", set_int_opt(u6, IPPROTO_IPV6, IPV6_TCLASS, -1));
    opt_show("v6 IPV6_TCLASS", u6, IPPROTO_IPV6, IPV6_TCLASS);
    SHOW("set IPV6_UNICAST_HOPS 9", set_int_opt(u6, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 9));
    SHOW("set IPV6_UNICAST_HOPS -1", set_int_opt(u6, IPPROTO_IPV6, IPV6_UNICAST_HOPS, -1));
    opt_show("v6 IPV6_UNICAST_HOPS", u6, IPPROTO_IPV6, IPV6_UNICAST_HOPS);
    SHOW("set IP_TTL 0", set_int_opt(u4, IPPROTO_IP, IP_TTL, 0));
    SHOW("set IP_TTL 256", set_int_opt(u4, IPPROTO_IP, IP_TTL, 256));
    close(u4);
    close(u6);
}

/* Buffer sizes around one and two control messages. */
static void truncation(int r, int s, const struct sockaddr *to, socklen_t tolen,
                       const char *fam)
{
    const size_t sizes[] = {
        0, 1, CMSG_LEN(0) - 1, CMSG_LEN(0), CMSG_LEN(0) + 1,
        CMSG_LEN(sizeof(int)) - 1, CMSG_LEN(sizeof(int)), CMSG_SPACE(sizeof(int)),
        CMSG_SPACE(sizeof(int)) + 1, CMSG_SPACE(sizeof(int)) + CMSG_LEN(0),
        CMSG_SPACE(sizeof(int)) + CMSG_LEN(1), CMSG_SPACE(sizeof(int)) + CMSG_LEN(sizeof(int)),
        2 * CMSG_SPACE(sizeof(int)) - 1, 2 * CMSG_SPACE(sizeof(int)),
        3 * CMSG_SPACE(sizeof(int)),
    };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char l[64];
        NEED(sendto(s, "t", 1, 0, to, tolen));
        snprintf(l, sizeof l, "%s controllen %zu", fam, sizes[i]);
        recv_ctl(r, l, sizes[i], 0);
    }
    NEED(sendto(s, "t", 1, 0, to, tolen));
    recv_ctl(r, "NULL control, length 0", 0, 1);
}

static void ipv4(void)
{
    say("== IPv4 ==\n");
    int port;
    int r = udp_bound(AF_INET, "127.0.0.1", &port);
    int s = NEED(socket(AF_INET, SOCK_DGRAM, 0));
    struct sockaddr_in to = sa4("127.0.0.1", port);
    const struct sockaddr *t = (struct sockaddr *)&to;
    NEED(sendto(s, "plain", 5, 0, t, sizeof to));
    recv_ctl(r, "nothing asked", 256, 0);
    NEED(set_int_opt(r, IPPROTO_IP, IP_RECVTTL, 1));
    NEED(sendto(s, "ttl", 3, 0, t, sizeof to));
    recv_ctl(r, "IP_RECVTTL", 256, 0);
    NEED(set_int_opt(r, IPPROTO_IP, IP_RECVTOS, 1));
    NEED(set_int_opt(r, IPPROTO_IP, IP_PKTINFO, 1));
    NEED(sendto(s, "all", 3, 0, t, sizeof to));
    recv_ctl(r, "TTL+TOS+PKTINFO", 256, 0);
    NEED(set_int_opt(r, IPPROTO_IP, IP_PKTINFO, 0));
    NEED(set_int_opt(s, IPPROTO_IP, IP_TTL, 7));
    NEED(set_int_opt(s, IPPROTO_IP, IP_TOS, 0x28));
    NEED(sendto(s, "sockopt", 7, 0, t, sizeof to));
    recv_ctl(r, "sender IP_TTL 7 IP_TOS 0x28", 256, 0);
    NEED(set_int_opt(s, IPPROTO_IP, IP_TTL, -1));
    NEED(set_int_opt(s, IPPROTO_IP, IP_TOS, 0));
    NEED(sendto(s, "reset", 5, 0, t, sizeof to));
    recv_ctl(r, "sender IP_TTL -1 IP_TOS 0", 256, 0);

    say("-- per message --\n");
    struct { const char *label; cm a, b; } cases[] = {
        { "cmsg IP_TTL 9", { IPPROTO_IP, IP_TTL, 4, 9 }, NONE },
        { "cmsg IP_TOS int 0x10", { IPPROTO_IP, IP_TOS, 4, 0x10 }, NONE },
        { "cmsg IP_TOS byte 0x20", { IPPROTO_IP, IP_TOS, 1, 0x20 }, NONE },
        { "cmsg IP_TTL 200 + IP_TOS 3", { IPPROTO_IP, IP_TTL, 4, 200 }, { IPPROTO_IP, IP_TOS, 4, 3 } },
        { "cmsg IP_TTL 0", { IPPROTO_IP, IP_TTL, 4, 0 }, NONE },
        { "cmsg IP_TTL 256", { IPPROTO_IP, IP_TTL, 4, 256 }, NONE },
        { "cmsg IP_TTL -1", { IPPROTO_IP, IP_TTL, 4, -1 }, NONE },
        { "cmsg IP_TTL byte", { IPPROTO_IP, IP_TTL, 1, 9 }, NONE },
        { "cmsg IP_TOS 256", { IPPROTO_IP, IP_TOS, 4, 256 }, NONE },
        { "cmsg IP_TOS -1", { IPPROTO_IP, IP_TOS, 4, -1 }, NONE },
        { "cmsg IP_TOS 2 bytes", { IPPROTO_IP, IP_TOS, 2, 1 }, NONE },
        { "cmsg IP_RECVERR", { IPPROTO_IP, IP_RECVERR, 4, 1 }, NONE },
        { "cmsg IPV6_HOPLIMIT on v4", { IPPROTO_IPV6, IPV6_HOPLIMIT, 4, 3 }, NONE },
        { "cmsg level 99", { 99, 1, 4, 3 }, NONE },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (SHOW(cases[i].label, send_cm(s, t, sizeof to, "m", cases[i].a, cases[i].b)) >= 0)
            recv_ctl(r, "  got", 256, 0);
    }
    say("-- truncation --\n");
    truncation(r, s, t, sizeof to, "v4");
    close(r);
    close(s);
}

static void ipv6(void)
{
    say("== IPv6 ==\n");
    int port;
    int r = udp_bound(AF_INET6, "::1", &port);
    int s = NEED(socket(AF_INET6, SOCK_DGRAM, 0));
    struct sockaddr_in6 to = sa6("::1", port);
    const struct sockaddr *t = (struct sockaddr *)&to;
    NEED(set_int_opt(r, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1));
    NEED(sendto(s, "hops", 4, 0, t, sizeof to));
    recv_ctl(r, "IPV6_RECVHOPLIMIT", 256, 0);
    NEED(set_int_opt(r, IPPROTO_IPV6, IPV6_RECVTCLASS, 1));
    NEED(set_int_opt(r, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1));
    NEED(set_int_opt(r, IPPROTO_IP, IP_RECVTTL, 1));
    NEED(sendto(s, "all", 3, 0, t, sizeof to));
    recv_ctl(r, "HOPLIMIT+TCLASS+PKTINFO (+IP_RECVTTL)", 256, 0);
    NEED(set_int_opt(r, IPPROTO_IPV6, IPV6_RECVPKTINFO, 0));
    NEED(set_int_opt(r, IPPROTO_IP, IP_RECVTTL, 0));
    NEED(set_int_opt(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 5));
    NEED(set_int_opt(s, IPPROTO_IPV6, IPV6_TCLASS, 0x30));
    NEED(sendto(s, "sockopt", 7, 0, t, sizeof to));
    recv_ctl(r, "sender HOPS 5 TCLASS 0x30", 256, 0);

    say("-- per message --\n");
    struct { const char *label; cm a, b; } cases[] = {
        { "cmsg IPV6_HOPLIMIT 3", { IPPROTO_IPV6, IPV6_HOPLIMIT, 4, 3 }, NONE },
        { "cmsg IPV6_TCLASS 0x44", { IPPROTO_IPV6, IPV6_TCLASS, 4, 0x44 }, NONE },
        { "cmsg both -1", { IPPROTO_IPV6, IPV6_HOPLIMIT, 4, -1 }, { IPPROTO_IPV6, IPV6_TCLASS, 4, -1 } },
        { "cmsg IPV6_HOPLIMIT 0", { IPPROTO_IPV6, IPV6_HOPLIMIT, 4, 0 }, NONE },
        { "cmsg IPV6_HOPLIMIT 256", { IPPROTO_IPV6, IPV6_HOPLIMIT, 4, 256 }, NONE },
        { "cmsg IPV6_HOPLIMIT -2", { IPPROTO_IPV6, IPV6_HOPLIMIT, 4, -2 }, NONE },
        { "cmsg IPV6_HOPLIMIT byte", { IPPROTO_IPV6, IPV6_HOPLIMIT, 1, 3 }, NONE },
        { "cmsg IPV6_TCLASS 256", { IPPROTO_IPV6, IPV6_TCLASS, 4, 256 }, NONE },
        { "cmsg IPV6_TCLASS byte", { IPPROTO_IPV6, IPV6_TCLASS, 1, 3 }, NONE },
        { "cmsg IPV6 type 99", { IPPROTO_IPV6, 99, 4, 3 }, NONE },
        { "cmsg IP_TTL on v6", { IPPROTO_IP, IP_TTL, 4, 3 }, NONE },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (SHOW(cases[i].label, send_cm(s, t, sizeof to, "m", cases[i].a, cases[i].b)) >= 0)
            recv_ctl(r, "  got", 256, 0);
    }
    NEED(set_int_opt(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, -1));
    NEED(set_int_opt(s, IPPROTO_IPV6, IPV6_TCLASS, -1));
    say("-- truncation --\n");
    truncation(r, s, t, sizeof to, "v6");
    close(r);
    close(s);
}

static void dual_stack(void)
{
    say("== IPv4 to a dual-stack socket ==\n");
    int port;
    int r = udp_bound(AF_INET6, "::", &port);
    NEED(set_int_opt(r, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1));
    NEED(set_int_opt(r, IPPROTO_IPV6, IPV6_RECVTCLASS, 1));
    int s = NEED(socket(AF_INET, SOCK_DGRAM, 0));
    struct sockaddr_in to = sa4("127.0.0.1", port);
    const struct sockaddr *t = (struct sockaddr *)&to;
    NEED(send_cm(s, t, sizeof to, "v4", (cm){ IPPROTO_IP, IP_TTL, 4, 11 }, NONE));
    recv_ctl(r, "v6 options only", 256, 0);
    NEED(set_int_opt(r, IPPROTO_IP, IP_RECVTTL, 1));
    NEED(set_int_opt(r, IPPROTO_IP, IP_RECVTOS, 1));
    NEED(set_int_opt(r, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1));
    NEED(send_cm(s, t, sizeof to, "v4", (cm){ IPPROTO_IP, IP_TTL, 4, 12 },
                 (cm){ IPPROTO_IP, IP_TOS, 1, 0x14 }));
    recv_ctl(r, "IP options too", 256, 0);
    /* A v6 datagram to the same socket carries only the v6 ones. */
    int s6 = NEED(socket(AF_INET6, SOCK_DGRAM, 0));
    struct sockaddr_in6 to6 = sa6("::1", port);
    NEED(send_cm(s6, (struct sockaddr *)&to6, sizeof to6, "v6",
                 (cm){ IPPROTO_IPV6, IPV6_HOPLIMIT, 4, 13 }, NONE));
    recv_ctl(r, "v6 datagram", 256, 0);
    /* A v6 socket sending to a v4 address: IP cmsgs count, IPv6 ones
     * are ignored. */
    int r4 = udp_bound(AF_INET, "127.0.0.1", &port);
    NEED(set_int_opt(r4, IPPROTO_IP, IP_RECVTTL, 1));
    NEED(set_int_opt(r4, IPPROTO_IP, IP_RECVTOS, 1));
    struct sockaddr_in6 mapped = sa6("::ffff:127.0.0.1", port);
    const struct sockaddr *m = (struct sockaddr *)&mapped;
    SHOW("v6 socket, cmsg IP_TTL 21", send_cm(s6, m, sizeof mapped, "x",
                                              (cm){ IPPROTO_IP, IP_TTL, 4, 21 }, NONE));
    recv_ctl(r4, "  got", 256, 0);
    SHOW("v6 socket, cmsg IPV6_HOPLIMIT 22", send_cm(s6, m, sizeof mapped, "x",
                                              (cm){ IPPROTO_IPV6, IPV6_HOPLIMIT, 4, 22 }, NONE));
    recv_ctl(r4, "  got", 256, 0);
    SHOW("v6 socket, cmsg IPV6 type 99", send_cm(s6, m, sizeof mapped, "x",
                                              (cm){ IPPROTO_IPV6, 99, 4, 1 }, NONE));
    recv_ctl(r4, "  got", 256, 0);
    SHOW("v6 socket, cmsg IP_TTL 0", send_cm(s6, m, sizeof mapped, "x",
                                              (cm){ IPPROTO_IP, IP_TTL, 4, 0 }, NONE));
    NEED(set_int_opt(s6, IPPROTO_IP, IP_TTL, 30));
    NEED(set_int_opt(s6, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 31));
    NEED(set_int_opt(s6, IPPROTO_IP, IP_TOS, 0x28));
    NEED(set_int_opt(s6, IPPROTO_IPV6, IPV6_TCLASS, 0x2c));
    NEED(sendto(s6, "y", 1, 0, m, sizeof mapped));
    recv_ctl(r4, "v6 socket IP_TTL 30, HOPS 31, IP_TOS 0x28, TCLASS 0x2c", 256, 0);
    NEED(send_cm(s6, m, sizeof mapped, "z", (cm){ IPPROTO_IP, IP_TOS, 1, 0x0c }, NONE));
    recv_ctl(r4, "  and cmsg IP_TOS 0x0c", 256, 0);
    close(r);
    close(r4);
    close(s);
    close(s6);
}

int main(void)
{
    probe_init();
    options();
    ipv4();
    ipv6();
    dual_stack();
    return 0;
}
