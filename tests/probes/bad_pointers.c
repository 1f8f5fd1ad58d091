/*
 * bad_pointers — EFAULT for unmapped user pointers (address 1, page 0)
 * in every argument position of the socket calls, and what happens to
 * the data involved:
 *   - TCP recv into a bad buffer fails and leaves the data queued (also
 *     when a first, good iovec could have taken part of it);
 *   - UDP recv into a bad buffer fails and DROPS the datagram, and so
 *     does a recvfrom whose address pointer is bad;
 *   - a writev whose second iovec is bad sends nothing at all;
 *   - with nothing queued and MSG_DONTWAIT, a bad buffer or address
 *     length is never touched (EAGAIN); zero-length transfers never
 *     touch the buffer;
 *   - accept with a bad address pointer: the connection is taken from the
 *     queue and lost (the client sees EOF).
 * The probe must survive all of this: no call may crash it.
 */
#include "probe.h"

int main(void)
{
    probe_init();
    void *bad = bad_ptr();
    char buf[64];
    int c, s;
    tcp_pair(AF_INET, &c, &s);

    say("== TCP data calls ==\n");
    SHOW("send bad buf", send(c, bad, 10, 0));
    SHOW("write bad buf", write(c, bad, 10));
    SHOW("send bad buf len 0", send(c, bad, 0, 0));
    SHOW("nothing arrived", recv(s, buf, sizeof buf, MSG_DONTWAIT));
    SHOW("recv bad buf, nothing queued, MSG_DONTWAIT", recv(s, bad, 10, MSG_DONTWAIT));
    SHOW("send 5", send(c, "hello", 5, 0));
    WAIT_UNTIL(recv(s, buf, 5, MSG_PEEK | MSG_DONTWAIT) == 5, 1000);
    SHOW("recv bad buf", recv(s, bad, 10, 0));
    SHOW("read bad buf", read(s, bad, 10));
    SHOW("recv bad buf len 0", recv(s, bad, 0, MSG_DONTWAIT));
    memset(buf, 0, sizeof buf);
    SHOW("data still queued", recv(s, buf, sizeof buf, 0));
    say("  data: %s\n", buf);

    struct iovec biov[2] = { { "ok", 2 }, { bad, 4 } };
    SHOW("writev second iovec bad", writev(c, biov, 2));
    /* Linux copies nothing from the good first iovec either. */
    SHOW("peer recv after faulted writev", recv(s, buf, sizeof buf, MSG_DONTWAIT));
    SHOW("writev bad iovec array", writev(c, bad, 2));
    struct msghdr mh;
    memset(&mh, 0, sizeof mh);
    mh.msg_iov = bad;
    mh.msg_iovlen = 1;
    SHOW("sendmsg bad msg_iov", sendmsg(c, &mh, 0));
    SHOW("sendmsg bad msghdr", sendmsg(c, bad, 0));
    SHOW("recvmsg bad msghdr", recvmsg(s, bad, MSG_DONTWAIT));
    SHOW("send 3", send(c, "abc", 3, 0));
    WAIT_UNTIL(recv(s, buf, 3, MSG_PEEK | MSG_DONTWAIT) == 3, 1000);
    struct iovec riov[2] = { { buf, 1 }, { bad, 8 } };
    mh.msg_iov = riov;
    mh.msg_iovlen = 2;
    /* The first byte fits the good iovec, the rest faults: a partial
     * read returns what was copied. */
    SHOW("recvmsg second iovec bad", recvmsg(s, &mh, 0));
    SHOW("rest", recv(s, buf, sizeof buf, MSG_DONTWAIT));

    say("== addresses and lengths ==\n");
    int t = NEED(socket(AF_INET, SOCK_STREAM, 0));
    SHOW("bind bad addr", bind(t, bad, sizeof(struct sockaddr_in)));
    SHOW("connect bad addr", connect(t, bad, sizeof(struct sockaddr_in)));
    SHOW("getsockname bad addr", getsockname(c, bad, &(socklen_t){ 16 }));
    SHOW("getsockname bad addrlen", getsockname(c, (struct sockaddr *)buf, bad));
    SHOW("getpeername bad addr", getpeername(c, bad, &(socklen_t){ 16 }));
    SHOW("getpeername bad addrlen", getpeername(c, (struct sockaddr *)buf, bad));
    /* With addrlen 0 nothing is written, so the pointer is never used. */
    SHOW("getsockname bad addr, addrlen 0", getsockname(c, bad, &(socklen_t){ 0 }));
    SHOW("getsockopt bad optval", getsockopt(c, SOL_SOCKET, SO_TYPE, bad, &(socklen_t){ 4 }));
    SHOW("getsockopt bad optlen", getsockopt(c, SOL_SOCKET, SO_TYPE, buf, bad));
    SHOW("setsockopt bad optval", setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, bad, 4));
    struct sockaddr_in lo = sa4("127.0.0.1", 1);
    /* TCP ignores a sendto address, but it is copied in (and faults)
     * before the protocol sees it. */
    SHOW("tcp sendto bad addr", sendto(c, "x", 1, 0, bad, sizeof lo));
    /* addrlen is only used once there is something to return. */
    SHOW("recvfrom bad addrlen, nothing queued", recvfrom(s, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)buf, bad));
    SHOW("ioctl FIONREAD bad", ioctl(s, FIONREAD, bad));
    SHOW("ioctl FIONBIO bad", ioctl(s, FIONBIO, bad));
    close(t);

    say("== UDP ==\n");
    int up;
    int u = udp_bound(AF_INET, "127.0.0.1", &up);
    int us = NEED(socket(AF_INET, SOCK_DGRAM, 0));
    struct sockaddr_in to = sa4("127.0.0.1", up);
    SHOW("sendto bad buf", sendto(us, bad, 10, 0, (struct sockaddr *)&to, sizeof to));
    SHOW("sendto bad addr", sendto(us, "x", 1, 0, bad, sizeof to));
    SHOW("nothing arrived", recv(u, buf, sizeof buf, MSG_DONTWAIT));
    SHOW("sendto first", sendto(us, "first", 5, 0, (struct sockaddr *)&to, sizeof to));
    SHOW("sendto second", sendto(us, "second", 6, 0, (struct sockaddr *)&to, sizeof to));
    WAIT_UNTIL(recv(u, buf, 1, MSG_PEEK | MSG_DONTWAIT) >= 0, 1000);
    SHOW("recv bad buf", recv(u, bad, 10, 0));
    memset(buf, 0, sizeof buf);
    SHOW("next recv", recv(u, buf, sizeof buf, 0));
    say("  data: %s (the faulted datagram is gone)\n", buf);
    SHOW("sendto third", sendto(us, "third", 5, 0, (struct sockaddr *)&to, sizeof to));
    SHOW("recvfrom bad addr", recvfrom(u, buf, sizeof buf, 0, bad, &(socklen_t){ 16 }));
    SHOW("queue after bad-address recvfrom", recv(u, buf, sizeof buf, MSG_DONTWAIT));
    close(us);
    close(u);

    say("== accept with a bad address ==\n");
    int port;
    int l = tcp_listener(AF_INET, "127.0.0.1", 4, &port);
    int cc = tcp_connect(AF_INET, "127.0.0.1", port);
    sleep_ms(20);
    SHOW("accept bad addr", accept(l, bad, &(socklen_t){ 16 }));
    NEED(set_nonblock(l, 1));
    SHOW("accept again (queue)", accept(l, NULL, NULL));
    SHOW("client sees", recv(cc, buf, sizeof buf, 0));
    close(cc);
    cc = tcp_connect(AF_INET, "127.0.0.1", port);
    sleep_ms(20);
    SHOW("accept bad addrlen", accept(l, (struct sockaddr *)buf, bad));
    SHOW("accept again (queue)", accept(l, NULL, NULL));
    close(cc);
    close(l);

    close(c);
    close(s);
    return 0;
}
