/*
 * iovecs — scatter/gather and zero-length transfers:
 *   - writev/readv and sendmsg/recvmsg with many iovecs (up to IOV_MAX),
 *     iovecs of length 0 mixed in, IOV_MAX+1 -> EINVAL;
 *   - zero-length write/send/writev/sendmsg on TCP (nothing is sent) and
 *     on UDP (an empty datagram, except through writev, whose generic
 *     path returns 0 early when the total length is 0);
 *   - sendmsg with more than IOV_MAX iovecs is EMSGSIZE, writev EINVAL;
 *   - zero-length read/recv/readv on TCP and UDP: read() of 0 returns 0
 *     without touching the socket, recv() of 0 on UDP consumes a datagram.
 */
#include "probe.h"
#include <limits.h>

int main(void)
{
    probe_init();
    static unsigned char src[1 << 16], dst[1 << 16];
    static struct iovec iov[IOV_MAX + 1];
    char buf[64];
    int c, s;
    tcp_pair(AF_INET, &c, &s);

    say("== writev/readv with many iovecs (TCP) ==\n");
    /* 200 iovecs of sizes 0..199 (so 19900 bytes), every 7th empty. */
    pattern_fill(src, sizeof src, 0);
    size_t off = 0, total = 0;
    for (int i = 0; i < 200; i++) {
        size_t len = i % 7 == 0 ? 0 : (size_t)i;
        iov[i].iov_base = src + off;
        iov[i].iov_len = len;
        off += len;
        total += len;
    }
    SHOW("writev 200 iovecs", writev(c, iov, 200));
    say("  expected %zu\n", total);
    /* Read back with readv into 300 iovecs of 1..3 bytes and 0. */
    memset(dst, 0, sizeof dst);
    size_t got = 0;
    int calls = 0;
    while (got < total && calls < 1000) {
        size_t o = got;
        for (int i = 0; i < 300; i++) {
            size_t len = (size_t)(i % 4);
            iov[i].iov_base = dst + o;
            iov[i].iov_len = len;
            o += len;
        }
        ssize_t r = readv(s, iov, 300);
        if (r <= 0)
            break;
        got += (size_t)r;
        calls++;
    }
    say("readv 300 iovecs: got %zu content_ok=%d\n", got, memcmp(src, dst, total) == 0);

    say("== IOV_MAX ==\n");
    for (int i = 0; i <= IOV_MAX; i++) {
        iov[i].iov_base = src + i;
        iov[i].iov_len = 1;
    }
    SHOW("writev IOV_MAX iovecs", writev(c, iov, IOV_MAX));
    SHOW("writev IOV_MAX+1 iovecs", writev(c, iov, IOV_MAX + 1));
    static volatile int minus_one = -1; /* hidden from the compiler */
    SHOW("writev -1 iovecs", writev(c, iov, minus_one));
    struct msghdr mh = { .msg_iov = iov, .msg_iovlen = IOV_MAX + 1 };
    SHOW("sendmsg IOV_MAX+1 iovecs", sendmsg(c, &mh, 0));
    SHOW("recv the IOV_MAX bytes", read_full(s, dst, IOV_MAX));
    CHECK("  content ok", memcmp(dst, src, IOV_MAX) == 0);
    SHOW("readv IOV_MAX+1 iovecs", readv(s, iov, IOV_MAX + 1));

    say("== zero-length on TCP ==\n");
    SHOW("write 0", write(c, src, 0));
    SHOW("send 0", send(c, src, 0, 0));
    SHOW("send NULL,0", send(c, NULL, 0, 0));
    iov[0].iov_len = 0;
    iov[1].iov_len = 0;
    SHOW("writev 2 empty iovecs", writev(c, iov, 2));
    SHOW("writev 0 iovecs", writev(c, iov, 0));
    mh.msg_iovlen = 0;
    SHOW("sendmsg 0 iovecs", sendmsg(c, &mh, 0));
    SHOW("nothing arrived", recv(s, buf, sizeof buf, MSG_DONTWAIT));
    SHOW("read 0 (empty)", read(s, buf, 0));
    SHOW("readv 0 iovecs (empty)", readv(s, iov, 0));
    SHOW("recv 0 MSG_DONTWAIT (empty)", recv(s, buf, 0, MSG_DONTWAIT));
    SHOW("send 1", send(c, "z", 1, 0));
    WAIT_UNTIL(recv(s, buf, 1, MSG_PEEK | MSG_DONTWAIT) == 1, 1000);
    SHOW("read 0 (data queued)", read(s, buf, 0));
    SHOW("recv 0 (data queued)", recv(s, buf, 0, 0));
    SHOW("recv 1", recv(s, buf, 1, 0));
    close(c);
    close(s);

    say("== zero-length on UDP ==\n");
    int up;
    int u = udp_bound(AF_INET, "127.0.0.1", &up);
    int us = NEED(socket(AF_INET, SOCK_DGRAM, 0));
    struct sockaddr_in to = sa4("127.0.0.1", up);
    NEED(connect(us, (struct sockaddr *)&to, sizeof to));
    /* After each zero-length call send a 1-byte marker: if the first
     * datagram received is empty the call sent one, if it is the marker
     * it did not.  No timing involved. */
#define ZERO_UDP(label, expr)                                             \
    do {                                                                  \
        SHOW((label), (expr));                                            \
        NEED(send(us, "m", 1, 0));                                        \
        int empty_ = recv(u, buf, sizeof buf, 0) == 0;                    \
        if (empty_)                                                       \
            NEED(recv(u, buf, sizeof buf, 0)); /* now the marker */       \
        say("  empty datagram sent=%d\n", empty_);                       \
    } while (0)
    iov[0].iov_len = 0;
    iov[1].iov_len = 0;
    mh.msg_iovlen = 0;
    ZERO_UDP("write 0", write(us, src, 0));
    ZERO_UDP("send 0", send(us, src, 0, 0));
    ZERO_UDP("sendto NULL,0", sendto(us, NULL, 0, 0, NULL, 0));
    /* The vectored write path returns early when the total is 0... */
    ZERO_UDP("writev 0 iovecs", writev(us, iov, 0));
    ZERO_UDP("writev 2 empty iovecs", writev(us, iov, 2));
    /* ...but sendmsg goes to the protocol. */
    ZERO_UDP("sendmsg 0 iovecs", sendmsg(us, &mh, 0));
    mh.msg_iovlen = 2;
    ZERO_UDP("sendmsg 2 empty iovecs", sendmsg(us, &mh, 0));
    SHOW("queue empty", recv(u, buf, sizeof buf, MSG_DONTWAIT));
    SHOW("send abc", send(us, "abc", 3, 0));
    SHOW("send def", send(us, "def", 3, 0));
    WAIT_UNTIL(recv(u, buf, 1, MSG_PEEK | MSG_DONTWAIT) == 1, 1000);
    SHOW("read 0 (leaves the datagram)", read(u, buf, 0));
    SHOW("recv 0 (consumes a datagram)", recv(u, buf, 0, 0));
    memset(buf, 0, sizeof buf);
    SHOW("recv", recv(u, buf, sizeof buf, 0));
    say("  data: %s\n", buf);

    say("== many iovecs on UDP ==\n");
    for (int i = 0; i < 100; i++) {
        iov[i].iov_base = src + i * 10;
        iov[i].iov_len = i % 3 == 0 ? 0 : 10;
    }
    SHOW("writev 100 iovecs = one datagram", writev(us, iov, 100));
    memset(dst, 0, sizeof dst);
    for (int i = 0; i < 64; i++) {
        iov[i].iov_base = dst + i * 5;
        iov[i].iov_len = 5;
    }
    struct msghdr rm = { .msg_iov = iov, .msg_iovlen = 64 };
    SHOW("recvmsg into 64x5 bytes", recvmsg(u, &rm, 0));
    say("  MSG_TRUNC=%d\n", !!(rm.msg_flags & MSG_TRUNC));
    /* Expected: the non-empty 10-byte slices of src, concatenated. */
    unsigned char want[1000];
    size_t w = 0;
    for (int i = 0; i < 100; i++)
        if (i % 3) {
            memcpy(want + w, src + i * 10, 10);
            w += 10;
        }
    CHECK("  content ok", memcmp(dst, want, 320) == 0);
    close(us);
    close(u);
    return 0;
}
