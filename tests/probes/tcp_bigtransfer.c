/*
 * tcp_bigtransfer — bulk data through a connection with a forked peer,
 * content verified byte by byte (position-dependent pattern):
 *   1. peer -> main: 8 MiB in irregular send() sizes, then SHUT_WR;
 *      main reads with irregular recv() sizes until EOF;
 *   2. main -> peer: 4 MiB with writev() of many small iovecs, then
 *      SHUT_WR; peer reads with readv() and checks;
 *   3. full duplex on a fresh connection: 2 MiB each way at the same
 *      time, each side sending from a second thread while reading.
 * Buffers fill up on the way, so blocking send/recv and the wakeups
 * between the two processes are exercised heavily.
 */
#include "probe.h"
#include <pthread.h>

#define P1_BYTES (8u << 20)
#define P2_BYTES (4u << 20)
#define P3_BYTES (2u << 20)

static int port;

/* Send n pattern bytes in irregular chunk sizes drawn from seed. */
static int send_pattern(int fd, uint64_t n, uint32_t seed)
{
    static __thread unsigned char buf[65536];
    uint64_t pos = 0;
    while (pos < n) {
        size_t len = 1 + prng_next(&seed) % sizeof buf;
        if (len > n - pos)
            len = (size_t)(n - pos);
        pattern_fill(buf, len, pos);
        if (write_full(fd, buf, len) != (ssize_t)len)
            return -1;
        pos += len;
    }
    return 0;
}

/* Receive until EOF with irregular sizes; returns total bytes, or -1 if
 * the content was wrong or recv failed. */
static int64_t recv_pattern(int fd, uint32_t seed)
{
    static __thread unsigned char buf[65536];
    uint64_t pos = 0;
    for (;;) {
        size_t len = 1 + prng_next(&seed) % sizeof buf;
        ssize_t r = recv(fd, buf, len, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            return (int64_t)pos;
        if (!pattern_ok(buf, (size_t)r, pos))
            return -1;
        pos += (uint64_t)r;
    }
}

struct sender { int fd; uint64_t n; uint32_t seed; int rc; };

static void *sender_thread(void *p)
{
    struct sender *s = p;
    s->rc = send_pattern(s->fd, s->n, s->seed);
    if (s->rc == 0)
        s->rc = shutdown(s->fd, SHUT_WR);
    return NULL;
}

/* Full duplex: send from a thread while receiving here.  Returns 0 if
 * everything sent and exactly n bytes received correctly. */
static int duplex(int fd, uint64_t n, uint32_t seed)
{
    pthread_t th;
    struct sender s = { fd, n, seed, -1 };
    if (pthread_create(&th, NULL, sender_thread, &s) != 0)
        return -1;
    int64_t got = recv_pattern(fd, seed ^ 0x5555);
    pthread_join(th, NULL);
    return (s.rc == 0 && got == (int64_t)n) ? 0 : -1;
}

static int peer(void *arg)
{
    (void)arg;
    /* Phase 1 + 2 on the first connection. */
    int fd = tcp_connect(AF_INET, "127.0.0.1", port);
    if (send_pattern(fd, P1_BYTES, 1) < 0)
        return 2;
    if (shutdown(fd, SHUT_WR) < 0)
        return 3;
    /* Phase 2: readv into 7 unequal pieces per call. */
    static unsigned char a[1000], b[1], c[7000], d[13], e[30000], f[3], g[65536];
    struct iovec iov[7] = { { a, sizeof a }, { b, sizeof b }, { c, sizeof c },
                            { d, sizeof d }, { e, sizeof e }, { f, sizeof f },
                            { g, sizeof g } };
    uint64_t pos = 0;
    for (;;) {
        ssize_t r = readv(fd, iov, 7);
        if (r < 0)
            return 4;
        if (r == 0)
            break;
        /* Check the bytes piece by piece in iovec order. */
        size_t left = (size_t)r;
        for (int i = 0; i < 7 && left; i++) {
            size_t k = left < iov[i].iov_len ? left : iov[i].iov_len;
            if (!pattern_ok(iov[i].iov_base, k, pos))
                return 5;
            pos += k;
            left -= k;
        }
    }
    if (pos != P2_BYTES)
        return 6;
    close(fd);

    /* Phase 3 on a second connection. */
    fd = tcp_connect(AF_INET, "127.0.0.1", port);
    if (duplex(fd, P3_BYTES, 3) < 0)
        return 7;
    close(fd);
    return 0;
}

int main(void)
{
    probe_init();
    int lfd = tcp_listener(AF_INET, "127.0.0.1", 4, &port);
    pid_t pid = fork_peer(peer, NULL);
    int fd = NEED(accept(lfd, NULL, NULL));

    say("== phase 1: peer -> main, %u bytes ==\n", P1_BYTES);
    int64_t got = recv_pattern(fd, 7);
    say("received %lld bytes, content ok=%d\n", (long long)got, got >= 0);

    say("== phase 2: main -> peer, %u bytes via writev ==\n", P2_BYTES);
    /* Each call: 64 iovecs, 63 of 1 KiB and one empty one in between. */
    static unsigned char flat[63 * 1024];
    uint64_t pos = 0;
    int ok = 1;
    while (pos < P2_BYTES && ok) {
        struct iovec iov[64];
        size_t off = 0;
        pattern_fill(flat, sizeof flat, pos);
        for (int i = 0; i < 64; i++) {
            size_t len = i == 17 ? 0 : 1024;
            iov[i].iov_base = flat + off;
            iov[i].iov_len = len;
            off += len;
        }
        size_t want = sizeof flat;
        if (want > P2_BYTES - pos) {
            /* Trim the final call so exactly P2_BYTES are sent. */
            want = (size_t)(P2_BYTES - pos);
            size_t left = want;
            for (int i = 0; i < 64; i++) {
                if (iov[i].iov_len > left)
                    iov[i].iov_len = left;
                left -= iov[i].iov_len;
            }
        }
        ssize_t r = writev(fd, iov, 64);
        if (r < 0) {
            ok = 0;
            break;
        }
        /* A blocking writev can still come back short (e.g. after a
         * signal); finish this block with plain sends. */
        if ((size_t)r < want && write_full(fd, flat + r, want - (size_t)r) < 0)
            ok = 0;
        pos += want;
    }
    say("writev loop ok=%d bytes=%llu\n", ok, (unsigned long long)pos);
    SHOW("shutdown(SHUT_WR)", shutdown(fd, SHUT_WR));
    SHOW("recv EOF from peer", recv(fd, flat, sizeof flat, 0));
    close(fd);

    say("== phase 3: full duplex, %u bytes each way ==\n", P3_BYTES);
    fd = NEED(accept(lfd, NULL, NULL));
    /* Seeds only shape the chunk sizes; content depends on position. */
    pthread_t th;
    struct sender s = { fd, P3_BYTES, 3 ^ 0x5555, -1 };
    pthread_create(&th, NULL, sender_thread, &s);
    got = recv_pattern(fd, 3);
    pthread_join(th, NULL);
    say("duplex: sent ok=%d received %lld bytes, content ok=%d\n", s.rc == 0,
        (long long)got, got >= 0);
    close(fd);

    say("peer exit=%d\n", wait_peer(pid));
    close(lfd);
    return 0;
}
