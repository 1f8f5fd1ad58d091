/*
 * udp — 64-byte UDP datagrams over 127.0.0.1 with a windowed ack.
 *
 * The sender (forked child) keeps at most WINDOW datagrams unacknowledged;
 * the receiver (parent) acks every ACK_EVERY datagrams with the highest
 * sequence number seen.  A sender that waits more than 20 ms for an ack
 * counts what is in flight as lost and goes on, so drops can only lower
 * the figure.  Each datagram carries its sequence number and a payload
 * derived from it; the receiver checks length, order and every byte, and
 * prints verified datagrams received per second.
 */
#include "bench.h"

#define DGRAM     64
#define WINDOW    128
#define ACK_EVERY 32
#define END_SEQ   UINT64_MAX

static int udp_socket(int *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
        die("socket:");
    struct sockaddr_in a = { .sin_family = AF_INET };
    a.sin_addr.s_addr = inet_addr(LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0)
        die("bind:");
    socklen_t len = sizeof a;
    if (getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        die("getsockname:");
    *port = ntohs(a.sin_port);
    return fd;
}

static void udp_connect(int fd, int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    a.sin_addr.s_addr = inet_addr(LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        die("connect:");
}

static void fill(unsigned char *b, uint64_t seq)
{
    memcpy(b, &seq, 8);
    msg_fill(b + 8, DGRAM - 8, 7, seq);
}

/* Receive one ack (8 bytes) into *ack; 0 on timeout. */
static int recv_ack(int fd, uint64_t *ack, int flags)
{
    unsigned char b[64];
    for (;;) {
        ssize_t r = recv(fd, b, sizeof b, flags);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (r != 8)
            die("ack: recv returned %zd:", r);
        memcpy(ack, b, 8);
        return 1;
    }
}

static void sender(int fd)
{
    struct timeval tv = { 0, 20000 };
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0)
        die("SO_RCVTIMEO:");
    unsigned char b[DGRAM];
    uint64_t seq = 0, acked = 0, ack, stalls = 0;
    uint64_t end = now_ns() + (uint64_t)(bench_secs() * 1e9);
    while (now_ns() < end) {
        while (seq - acked < WINDOW) {
            fill(b, ++seq);
            ssize_t w = send(fd, b, DGRAM, 0);
            if (w != DGRAM && !(w < 0 && (errno == ENOBUFS || errno == EAGAIN)))
                die("send returned %zd:", w);
        }
        if (recv_ack(fd, &ack, 0)) {
            if (ack > acked && ack <= seq)
                acked = ack;
            while (recv_ack(fd, &ack, MSG_DONTWAIT))
                if (ack > acked && ack <= seq)
                    acked = ack;
        } else {
            acked = seq;      /* timed out: count the window as lost */
            stalls++;
        }
    }
    /* END until the receiver answers with END. */
    memset(b, 0, sizeof b);
    uint64_t e = END_SEQ;
    memcpy(b, &e, 8);
    for (int i = 0; i < 200; i++) {
        send(fd, b, DGRAM, 0);
        while (recv_ack(fd, &ack, 0))
            if (ack == END_SEQ)
                goto done;
    }
    die("no answer to END");
done:
    if (stalls)
        fprintf(stderr, "udp: sender stalled %llu times (drops)\n",
                (unsigned long long)stalls);
}

int main(void)
{
    bench_bound(20);
    int rport, sport;
    int rfd = udp_socket(&rport);
    int sfd = udp_socket(&sport);

    pid_t parent = getpid(), pid = fork();
    if (pid < 0)
        die("fork:");
    if (pid == 0) {
        child_init(parent, 20);
        close(rfd);
        udp_connect(sfd, rport);
        sender(sfd);
        _exit(0);
    }
    close(sfd);
    udp_connect(rfd, sport);

    unsigned char b[2 * DGRAM], want[DGRAM];
    uint64_t last = 0, n = 0, since = 0, t0 = 0, t1, drops = 0;
    for (;;) {
        ssize_t r = recv(rfd, b, sizeof b, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r != DGRAM)
            corrupt("datagram of %zd bytes (errno %d)", r, r < 0 ? errno : 0);
        uint64_t seq;
        memcpy(&seq, b, 8);
        if (seq == END_SEQ)
            break;
        if (seq <= last)
            corrupt("datagram %llu after %llu", (unsigned long long)seq,
                    (unsigned long long)last);
        fill(want, seq);
        if (memcmp(b, want, DGRAM) != 0)
            corrupt("datagram %llu: payload differs", (unsigned long long)seq);
        drops += seq - last - 1;
        last = seq;
        if (!t0)
            t0 = now_ns();
        else
            n++;
        if (++since == ACK_EVERY) {
            since = 0;
            if (send(rfd, &seq, 8, 0) != 8)
                die("ack send:");
        }
    }
    t1 = now_ns();
    uint64_t e = END_SEQ;
    for (int i = 0; i < 3; i++)
        send(rfd, &e, 8, 0);
    if (reap(pid, "sender") != 0)
        return 1;
    if (n < 100)
        die("only %llu datagrams", (unsigned long long)n);
    result("udp_rate", (double)n / ((double)(t1 - t0) / 1e9), "dgram/s", "higher");
    result("udp_drops", (double)drops, "dgrams", "info");
    return 0;
}
