/*
 * udp_pktinfo — ancillary data on UDP: IP_PKTINFO (destination address
 * and interface of each datagram on a wildcard-bound socket), choosing
 * the source address with an IP_PKTINFO cmsg on sendmsg, IPV6_RECVPKTINFO,
 * and control-buffer truncation (MSG_CTRUNC).
 */
#include "probe.h"
#include <net/if.h>

/* Receive one datagram with ancillary data and print what came along. */
static void recv_show(int fd, const char *label, size_t ctl_len)
{
    char data[64] = { 0 };
    union {
        char buf[256];
        struct cmsghdr align;
    } ctl;
    struct sockaddr_storage from;
    struct iovec iov = { data, sizeof data - 1 };
    struct msghdr mh = {
        .msg_name = &from, .msg_namelen = sizeof from,
        .msg_iov = &iov, .msg_iovlen = 1,
        .msg_control = ctl.buf, .msg_controllen = ctl_len,
    };
    memset(&ctl, 0, sizeof ctl);
    ssize_t r = recvmsg(fd, &mh, 0);
    if (r < 0) {
        say("%s: recvmsg errno=%s\n", label, errname(errno));
        return;
    }
    say("%s: ret=%zd data=%s from %s ctrunc=%d controllen=%zu\n", label, r,
        data, sa_str(&from), !!(mh.msg_flags & MSG_CTRUNC),
        (size_t)mh.msg_controllen);
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
        if (c->cmsg_len < CMSG_LEN(sizeof(struct in_pktinfo))) {
            /* The kernel fits what it can: possibly a bare header. */
            say("  truncated cmsg level=%d type=%d len=%zu\n", c->cmsg_level,
                c->cmsg_type, (size_t)c->cmsg_len);
        } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo pi;
            memcpy(&pi, CMSG_DATA(c), sizeof pi);
            inet_ntop(AF_INET, &pi.ipi_addr, a, sizeof a);
            inet_ntop(AF_INET, &pi.ipi_spec_dst, b, sizeof b);
            say("  IP_PKTINFO len=%zu ifindex_is_lo=%d addr=%s spec_dst=%s\n",
                (size_t)c->cmsg_len, pi.ipi_ifindex == (int)if_nametoindex("lo"), a, b);
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            struct in6_pktinfo pi;
            memcpy(&pi, CMSG_DATA(c), sizeof pi);
            inet_ntop(AF_INET6, &pi.ipi6_addr, a, sizeof a);
            say("  IPV6_PKTINFO len=%zu ifindex_is_lo=%d addr=%s\n",
                (size_t)c->cmsg_len, pi.ipi6_ifindex == if_nametoindex("lo"), a);
        } else {
            say("  cmsg level=%d type=%d len=%zu\n", c->cmsg_level, c->cmsg_type,
                (size_t)c->cmsg_len);
        }
    }
}

int main(void)
{
    probe_init();
    int port;
    int r = udp_bound(AF_INET, "0.0.0.0", &port);
    int s = NEED(socket(AF_INET, SOCK_DGRAM, 0));

    say("== IP_PKTINFO ==\n");
    SHOW("IP_PKTINFO default", get_int_opt(r, IPPROTO_IP, IP_PKTINFO));
    struct sockaddr_in to = sa4("127.0.0.1", port);
    SHOW("sendto 127.0.0.1 (option off)", sendto(s, "off", 3, 0, (struct sockaddr *)&to, sizeof to));
    recv_show(r, "no pktinfo requested", 256);
    SHOW("setsockopt IP_PKTINFO 1", set_int_opt(r, IPPROTO_IP, IP_PKTINFO, 1));
    SHOW("IP_PKTINFO now", get_int_opt(r, IPPROTO_IP, IP_PKTINFO));
    const char *dsts[] = { "127.0.0.1", "127.0.0.2", "127.3.4.5" };
    for (int i = 0; i < 3; i++) {
        struct sockaddr_in d = sa4(dsts[i], port);
        char l[64];
        snprintf(l, sizeof l, "to %s", dsts[i]);
        NEED(sendto(s, dsts[i], strlen(dsts[i]), 0, (struct sockaddr *)&d, sizeof d));
        recv_show(r, l, 256);
    }

    say("== control buffer too small ==\n");
    NEED(sendto(s, "small", 5, 0, (struct sockaddr *)&to, sizeof to));
    recv_show(r, "controllen 4", 4);
    NEED(sendto(s, "hdr", 3, 0, (struct sockaddr *)&to, sizeof to));
    recv_show(r, "controllen = CMSG_LEN(0)", CMSG_LEN(0));
    NEED(sendto(s, "none", 4, 0, (struct sockaddr *)&to, sizeof to));
    recv_show(r, "controllen 0", 0);

    say("== choosing the source address with IP_PKTINFO on send ==\n");
    union {
        char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
        struct cmsghdr align;
    } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct iovec iov = { "src", 3 };
    struct msghdr mh = { .msg_name = &to, .msg_namelen = sizeof to,
                         .msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf };
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
    struct in_pktinfo pi;
    memset(&pi, 0, sizeof pi);
    inet_pton(AF_INET, "127.0.0.9", &pi.ipi_spec_dst);
    memcpy(CMSG_DATA(c), &pi, sizeof pi);
    SHOW("sendmsg with spec_dst 127.0.0.9", sendmsg(s, &mh, 0));
    recv_show(r, "sourced from 127.0.0.9", 256);
    SHOW("sendto without cmsg", sendto(s, "plain", 5, 0, (struct sockaddr *)&to, sizeof to));
    recv_show(r, "default source", 256);

    say("== IPV6_RECVPKTINFO ==\n");
    int r6port;
    int r6 = udp_bound(AF_INET6, "::", &r6port);
    SHOW("setsockopt IPV6_RECVPKTINFO 1", set_int_opt(r6, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1));
    SHOW("IPV6_RECVPKTINFO now", get_int_opt(r6, IPPROTO_IPV6, IPV6_RECVPKTINFO));
    int s6 = NEED(socket(AF_INET6, SOCK_DGRAM, 0));
    struct sockaddr_in6 to6 = sa6("::1", r6port);
    SHOW("sendto ::1", sendto(s6, "six", 3, 0, (struct sockaddr *)&to6, sizeof to6));
    recv_show(r6, "v6", 256);
    close(s6);
    close(r6);

    close(s);
    close(r);
    return 0;
}
