/*
 * udp_basic — unconnected IPv4 UDP: autobind on first sendto, source
 * address reported by recvfrom/recvmsg, datagram boundaries (including
 * empty datagrams), MSG_TRUNC both as output flag and as input flag,
 * MSG_PEEK, FIONREAD (size of the next datagram), scatter/gather,
 * wildcard-bound receivers, the largest IPv4 datagram, and a forked peer
 * echoing datagrams.
 */
#include "probe.h"

/* Echo peer: answer every datagram with its reversed payload until an
 * empty one arrives. */
static int echo_peer(void *arg)
{
    int port = *(int *)arg;
    int fd = NEED(socket(AF_INET, SOCK_DGRAM, 0));
    struct sockaddr_in a = sa4("127.0.0.1", port);
    char buf[2048], out[2048];
    /* Announce ourselves so the main process learns our address. */
    if (sendto(fd, "hi", 2, 0, (struct sockaddr *)&a, sizeof a) != 2)
        return 2;
    for (;;) {
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        ssize_t r = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
        if (r < 0)
            return 3;
        if (r == 0)
            break;
        for (ssize_t i = 0; i < r; i++)
            out[i] = buf[r - 1 - i];
        if (sendto(fd, out, (size_t)r, 0, (struct sockaddr *)&from, fl) != r)
            return 4;
    }
    close(fd);
    return 0;
}

static int fionread(int fd)
{
    int n = -1;
    return ioctl(fd, FIONREAD, &n) < 0 ? -1 : n;
}

int main(void)
{
    probe_init();
    char buf[70000];
    struct sockaddr_storage from;
    socklen_t fl;

    int rport;
    int r = udp_bound(AF_INET, "127.0.0.1", &rport);
    CHECK("receiver port_nonzero", rport > 0);
    SHOW("SO_TYPE", get_int_opt(r, SOL_SOCKET, SO_TYPE));
    SHOW("SO_PROTOCOL", get_int_opt(r, SOL_SOCKET, SO_PROTOCOL));
    int s = SHOWFD("socket(AF_INET,SOCK_DGRAM,IPPROTO_UDP)",
                   socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP));
    CHECK("sender unbound port_zero", local_port(s) == 0);
    struct sockaddr_in to = sa4("127.0.0.1", rport);

    say("== autobind and source address ==\n");
    SHOW("sendto 5", sendto(s, "first", 5, 0, (struct sockaddr *)&to, sizeof to));
    show_name("sender after sendto", s, 0);
    CHECK("sender autobound port_nonzero", local_port(s) > 0);
    fl = sizeof from;
    memset(buf, 0, sizeof buf);
    SHOW("recvfrom", recvfrom(r, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
    say("data: %s from %s len=%u port==sender:%d\n", buf, sa_str(&from),
        (unsigned)fl, sa_port(&from) == local_port(s));
    show_name("sender getpeername", s, 1);

    say("== boundaries and empty datagrams ==\n");
    SHOW("sendto 10", sendto(s, "0123456789", 10, 0, (struct sockaddr *)&to, sizeof to));
    SHOW("sendto 0", sendto(s, "", 0, 0, (struct sockaddr *)&to, sizeof to));
    SHOW("sendto NULL,0", sendto(s, NULL, 0, 0, (struct sockaddr *)&to, sizeof to));
    SHOW("sendto 3", sendto(s, "abc", 3, 0, (struct sockaddr *)&to, sizeof to));
    /* Loopback delivery is normally complete when sendto returns; the
     * wait only guards against deferred processing. */
    WAIT_UNTIL(fionread(r) > 0, 1000);
    SHOW("FIONREAD = first datagram", fionread(r));
    SHOW("recv", recv(r, buf, sizeof buf, 0));
    SHOW("FIONREAD = empty datagram", fionread(r));
    SHOW("recv empty", recv(r, buf, sizeof buf, 0));
    SHOW("recv empty again", recv(r, buf, sizeof buf, 0));
    memset(buf, 0, sizeof buf);
    SHOW("recv", recv(r, buf, sizeof buf, 0));
    say("data: %s\n", buf);
    SHOW("FIONREAD on empty queue", fionread(r));
    SHOW("recv MSG_DONTWAIT empty queue", recv(r, buf, sizeof buf, MSG_DONTWAIT));

    say("== truncation ==\n");
    SHOW("sendto 100", sendto(s, buf, 100, 0, (struct sockaddr *)&to, sizeof to));
    SHOW("sendto 50", sendto(s, buf, 50, 0, (struct sockaddr *)&to, sizeof to));
    SHOW("sendto 30", sendto(s, buf, 30, 0, (struct sockaddr *)&to, sizeof to));
    struct iovec iov = { buf, 10 };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    SHOW("recvmsg 10 of 100", recvmsg(r, &mh, 0));
    say("msg_flags MSG_TRUNC=%d\n", !!(mh.msg_flags & MSG_TRUNC));
    /* With MSG_TRUNC as input flag the real length is returned. */
    mh.msg_flags = 0;
    SHOW("recvmsg 10 of 50 with MSG_TRUNC", recvmsg(r, &mh, MSG_TRUNC));
    say("msg_flags MSG_TRUNC=%d\n", !!(mh.msg_flags & MSG_TRUNC));
    SHOW("recv 0 bytes of 30 (discards it)", recv(r, buf, 0, 0));
    SHOW("queue now empty", recv(r, buf, sizeof buf, MSG_DONTWAIT));

    say("== MSG_PEEK ==\n");
    SHOW("sendto peekme", sendto(s, "peekme", 6, 0, (struct sockaddr *)&to, sizeof to));
    SHOW("sendto next", sendto(s, "next", 4, 0, (struct sockaddr *)&to, sizeof to));
    memset(buf, 0, 16);
    fl = sizeof from;
    SHOW("peek 4", recvfrom(r, buf, 4, MSG_PEEK, (struct sockaddr *)&from, &fl));
    say("data: %s from %s\n", buf, sa_str(&from));
    memset(buf, 0, 16);
    SHOW("peek whole", recv(r, buf, sizeof buf, MSG_PEEK));
    say("data: %s\n", buf);
    memset(buf, 0, 16);
    SHOW("peek MSG_TRUNC, 2-byte buffer", recv(r, buf, 2, MSG_PEEK | MSG_TRUNC));
    memset(buf, 0, 16);
    SHOW("recv", recv(r, buf, sizeof buf, 0));
    say("data: %s\n", buf);
    memset(buf, 0, 16);
    SHOW("recv", recv(r, buf, sizeof buf, 0));
    say("data: %s\n", buf);

    say("== scatter/gather ==\n");
    struct iovec g[4] = { { "ga", 2 }, { "", 0 }, { "th", 2 }, { "er", 2 } };
    struct msghdr gm = { .msg_name = &to, .msg_namelen = sizeof to,
                         .msg_iov = g, .msg_iovlen = 4 };
    SHOW("sendmsg 4 iovecs", sendmsg(s, &gm, 0));
    char p1[4] = { 0 }, p2[4] = { 0 }, p3[8] = { 0 };
    struct iovec sc[3] = { { p1, 3 }, { p2, 3 }, { p3, 7 } };
    struct sockaddr_in src;
    struct msghdr sm = { .msg_name = &src, .msg_namelen = sizeof src,
                         .msg_iov = sc, .msg_iovlen = 3 };
    SHOW("recvmsg 3 iovecs", recvmsg(r, &sm, 0));
    say("parts: [%s] [%s] [%s] namelen=%u %s\n", p1, p2, p3,
        (unsigned)sm.msg_namelen, sa_str(&src));
    /* A datagram spread over several iovecs is still one datagram. */
    struct msghdr em = { .msg_name = &to, .msg_namelen = sizeof to,
                         .msg_iov = g, .msg_iovlen = 0 };
    SHOW("sendmsg 0 iovecs", sendmsg(s, &em, 0));
    SHOW("recv it", recv(r, buf, sizeof buf, 0));

    say("== wildcard receiver ==\n");
    int wport;
    int w = udp_bound(AF_INET, "0.0.0.0", &wport);
    show_name("wildcard getsockname", w, 0);
    const char *dsts[] = { "127.0.0.1", "127.0.0.2", "127.1.2.3" };
    for (int i = 0; i < 3; i++) {
        struct sockaddr_in d = sa4(dsts[i], wport);
        char l[64];
        snprintf(l, sizeof l, "sendto %s", dsts[i]);
        SHOW(l, sendto(s, "w", 1, 0, (struct sockaddr *)&d, sizeof d));
        fl = sizeof from;
        SHOW("recvfrom", recvfrom(w, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
        say("from %s port==sender:%d\n", sa_str(&from), sa_port(&from) == local_port(s));
    }
    close(w);

    say("== largest IPv4 datagram ==\n");
    pattern_fill(buf, 65507, 0);
    SHOW("sendto 65507", sendto(s, buf, 65507, 0, (struct sockaddr *)&to, sizeof to));
    memset(buf, 0, sizeof buf);
    SHOW("recv", recv(r, buf, sizeof buf, 0));
    CHECK("content ok", pattern_ok(buf, 65507, 0));

    say("== sending to self ==\n");
    to = sa4("127.0.0.1", rport);
    SHOW("sendto own address", sendto(r, "me", 2, 0, (struct sockaddr *)&to, sizeof to));
    fl = sizeof from;
    SHOW("recvfrom", recvfrom(r, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
    CHECK("source is self", sa_port(&from) == rport);
    close(s);

    say("== forked echo peer ==\n");
    pid_t pid = fork_peer(echo_peer, &rport);
    fl = sizeof from;
    SHOW("recv hello", recvfrom(r, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
    const char *msgs[] = { "stressed", "drawer", "a", "level" };
    for (int i = 0; i < 4; i++) {
        SHOW("sendto peer", sendto(r, msgs[i], strlen(msgs[i]), 0, (struct sockaddr *)&from, fl));
        memset(buf, 0, 64);
        SHOW("recv reply", recv(r, buf, sizeof buf, 0));
        say("reply: %s\n", buf);
    }
    SHOW("sendto empty (stop)", sendto(r, "", 0, 0, (struct sockaddr *)&from, fl));
    say("peer exit=%d\n", wait_peer(pid));
    close(r);
    return 0;
}
