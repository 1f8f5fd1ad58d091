/* Concurrency tests of core/: threads and processes sharing one arena,
 * blocking with sn_wait_prepare / sn_wait exactly as the
 * preload layer does.
 *
 * Assertions are made on the test's main thread only: worker threads and
 * forked children record what they saw (results array, exit status) and
 * the main thread checks it. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/bell.h"
#include "core/belltx.h"
#include "core/sockwait.h"
#include "tests/test_core_util.h"

TC_ARENA_FIXTURE(A)

TestSuite(core_concurrency, .init = setup, .fini = teardown);

/* A forked child's end: it must have exited 0 (its failures are exit
 * codes, see the top of this file). */
static void wait_child_ok(pid_t pid)
{
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status), "child died: status 0x%x", status);
    cr_assert_eq(WEXITSTATUS(status), 0, "child failed at step %d",
                 WEXITSTATUS(status));
}

/* fork(); the child registers as a process of the arena (exit 10 if it
 * cannot). */
static pid_t fork_attached(void)
{
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0 && sn_net_attach_proc(&A) != 0)
        _exit(10);
    return pid;
}

/* The byte at stream offset i: not periodic at any small power of two, so
 * a chunk delivered twice, dropped or out of order changes the result. */
static inline uint8_t pattern(uint64_t i)
{
    uint64_t x = i * 0x9E3779B97F4A7C15ull;
    return (uint8_t)((x >> 29) ^ (i >> 13));
}

/* FNV-1a, 64 bit. */
static inline uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001B3ull;
    return h;
}
#define FNV_INIT 0xcbf29ce484222325ull

/* ================= one stream, two threads ================= */

#define BIG_TOTAL (64ull << 20)

typedef struct stream_job {
    int      slot;
    uint64_t bytes;
    uint64_t sum;
    int      err;         /* 0 or a negative errno */
    uint64_t bad_at;      /* first wrong byte (reader), or UINT64_MAX */
} stream_job;

static void *producer(void *arg)
{
    stream_job *j = arg;
    static uint8_t chunk[100003];          /* odd size: splits move around */
    uint64_t h = FNV_INIT, off = 0;
    while (off < BIG_TOTAL) {
        size_t n = sizeof chunk;
        if (n > BIG_TOTAL - off)
            n = (size_t)(BIG_TOTAL - off);
        for (size_t i = 0; i < n; i++)
            chunk[i] = pattern(off + i);
        h = fnv(h, chunk, n);
        ssize_t r = tc_send_all(&A, j->slot, chunk, n, 10000);
        if (r != (ssize_t)n) {
            j->err = r < 0 ? (int)r : -EIO;
            return NULL;
        }
        off += n;
    }
    j->bytes = off;
    j->sum = h;
    j->err = sn_sock_shutdown(&A, j->slot, SHUT_WR);
    return NULL;
}

static void *consumer(void *arg)
{
    stream_job *j = arg;
    static uint8_t buf[65536];
    /* Read sizes vary so reads straddle the ring's end in many ways. */
    static const size_t sizes[] = {1, 4096, 65536, 777, 32768, 13, 60000};
    uint64_t h = FNV_INIT, off = 0;
    j->bad_at = UINT64_MAX;
    for (unsigned k = 0;; k++) {
        tc_io io = {buf, sizes[k % (sizeof sizes / sizeof sizes[0])], 0};
        ssize_t r = tc_block(&A, j->slot, 10000, tc_try_recv, &io);
        if (r < 0) {
            j->err = (int)r;
            break;
        }
        if (r == 0)
            break;                          /* EOF */
        for (ssize_t i = 0; i < r && j->bad_at == UINT64_MAX; i++)
            if (buf[i] != pattern(off + (uint64_t)i))
                j->bad_at = off + (uint64_t)i;
        h = fnv(h, buf, (size_t)r);
        off += (uint64_t)r;
    }
    j->bytes = off;
    j->sum = h;
    return NULL;
}

Test(core_concurrency, stream_64mib_between_two_threads, .timeout = 30)
{
    int l = -1, c = -1, s = -1;
    cr_assert_eq(tc_tcp_pair(&A, AF_INET, &l, &c, &s), 0);
    stream_job tx = {.slot = c}, rx = {.slot = s};
    pthread_t pt, ct;
    cr_assert_eq(pthread_create(&ct, NULL, consumer, &rx), 0);
    cr_assert_eq(pthread_create(&pt, NULL, producer, &tx), 0);
    pthread_join(pt, NULL);
    pthread_join(ct, NULL);
    cr_assert_eq(tx.err, 0, "producer: %d", tx.err);
    cr_assert_eq(rx.err, 0, "consumer: %d", rx.err);
    cr_assert_eq(tx.bytes, BIG_TOTAL);
    cr_assert_eq(rx.bytes, BIG_TOTAL, "received %llu bytes",
                 (unsigned long long)rx.bytes);
    cr_assert_eq(rx.bad_at, UINT64_MAX, "first wrong byte at offset %llu",
                 (unsigned long long)rx.bad_at);
    cr_assert_eq(rx.sum, tx.sum, "checksums differ");
    /* Stream accounting agrees. */
    cr_assert_eq(sn_sock_at(&A, c)->bytes_tx, BIG_TOTAL);
    cr_assert_eq(sn_sock_at(&A, s)->bytes_rx, BIG_TOTAL);
    /* A ring much smaller than the transfer was wrapped many times. */
    cr_assert_lt(sn_sock_at(&A, s)->rx.cap, BIG_TOTAL / 16);
}

/* ================= urgent data against a running reader ================= */

/* The sender puts "nnn" then an urgent 'U', and waits until the reader has
 * passed the mark before the next round (a newer mark would turn an
 * unread 'U' into an ordinary byte, as on Linux).  The reader, reading
 * while the bytes arrive, must never see 'U' in the stream: the mark is
 * set before its byte is published, and a read never crosses it. */
#define URG_ROUNDS 20000

typedef struct urg_job {
    int      c, s;
    int      err;          /* sender: 0 or -errno */
    uint64_t normal;       /* reader: ordinary bytes read */
    uint64_t bad;          /* reader: reads that showed a 'U' */
    uint64_t oob;          /* reader: urgent bytes taken by MSG_OOB */
} urg_job;

static void *urg_sender(void *arg)
{
    urg_job *j = arg;
    for (int i = 0; i < URG_ROUNDS; i++) {
        if (tc_send_all(&A, j->c, "nnn", 3, 3000) != 3 ||
            tc_send(&A, j->c, "U", 1, MSG_OOB | MSG_DONTWAIT) != 1) {
            j->err = -EIO;
            return NULL;
        }
        struct timespec dl = tc_deadline_ms(3000);
        while (i + 1 < URG_ROUNDS && atomic_load(&sn_sock_at(&A, j->s)->urg)) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            if (now.tv_sec > dl.tv_sec) {
                j->err = -ETIMEDOUT;
                return NULL;
            }
            sched_yield();
        }
    }
    return NULL;
}

static void *urg_reader(void *arg)
{
    urg_job *j = arg;
    char buf[8];
    for (unsigned k = 0; j->normal < 3ull * URG_ROUNDS; k++) {
        if (k % 7 == 3) {           /* now and then, the slot too */
            char u = 0;
            ssize_t r = tc_recv(&A, j->s, &u, 1, MSG_OOB, NULL);
            if (r == 1 && u == 'U')
                j->oob++;
            else if (r != -EINVAL)
                j->bad++;
        }
        tc_io io = {buf, 1 + k % sizeof buf, 0};
        ssize_t r = tc_block(&A, j->s, 3000, tc_try_recv, &io);
        if (r <= 0)
            break;
        j->bad += memchr(buf, 'U', (size_t)r) != NULL;
        j->normal += (uint64_t)r;
    }
    return NULL;
}

Test(core_concurrency, urgent_mark_comes_with_its_byte, .timeout = 30)
{
    int l = -1, c = -1, s = -1;
    cr_assert_eq(tc_tcp_pair(&A, AF_INET, &l, &c, &s), 0);
    urg_job j = {.c = c, .s = s};
    pthread_t st, rt;
    cr_assert_eq(pthread_create(&rt, NULL, urg_reader, &j), 0);
    cr_assert_eq(pthread_create(&st, NULL, urg_sender, &j), 0);
    pthread_join(st, NULL);
    pthread_join(rt, NULL);
    cr_assert_eq(j.bad, 0, "%llu reads showed the urgent byte",
                 (unsigned long long)j.bad);
    cr_assert_eq(j.err, 0, "sender: %d", j.err);
    cr_assert_eq(j.normal, 3ull * URG_ROUNDS, "read %llu ordinary bytes",
                 (unsigned long long)j.normal);
    cr_assert_leq(j.oob, URG_ROUNDS);
}

/* ================= a blocked reader is woken by a close ================= */

typedef struct wake_job {
    int     slot;
    ssize_t r;
} wake_job;

static void *blocked_reader(void *arg)
{
    wake_job *j = arg;
    char b[16];
    tc_io io = {b, sizeof b, 0};
    j->r = tc_block(&A, j->slot, 5000, tc_try_recv, &io);
    return NULL;
}

Test(core_concurrency, close_wakes_a_blocked_reader, .timeout = 10)
{
    int l = -1, c = -1, s = -1;
    cr_assert_eq(tc_tcp_pair(&A, AF_INET, &l, &c, &s), 0);
    wake_job j = {.slot = s, .r = 12345};
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, blocked_reader, &j), 0);
    /* Let it go to sleep (the result is the same if it has not yet). */
    struct timespec ts = {0, 50 * 1000000L};
    nanosleep(&ts, NULL);
    sn_sock_release(&A, c);
    pthread_join(t, NULL);
    cr_assert_eq(j.r, 0, "reader got %zd instead of EOF", j.r);
}

/* ================= many connectors, one listener ================= */

#define NCONN 16

static _Atomic int attempted;   /* connectors past their first connect() */

typedef struct conn_job {
    int      port;
    uint32_t id;
    int      err;            /* 0, or what went wrong (negative errno) */
    int      step;           /* where it went wrong */
    int      local_port;
    bool     queued;         /* connect had to wait for accept */
} conn_job;

static void *connector(void *arg)
{
    conn_job *j = arg;
    int c = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
    int r;
    if (c < 0) {
        j->err = c, j->step = 1;
        return NULL;
    }
    r = tc_connect4(&A, c, "127.0.0.1", j->port);
    j->queued = r == -EINPROGRESS;
    atomic_fetch_add(&attempted, 1);        /* publishes j->queued */
    if (r == -EINPROGRESS)
        r = (int)tc_block(&A, c, 10000, tc_try_connect_result, NULL);
    if (r < 0) {
        j->err = r, j->step = 2;
        return NULL;
    }
    j->local_port = tc_local_port(&A, c);
    uint32_t id = j->id, reply = 0;
    ssize_t n = tc_send_all(&A, c, &id, sizeof id, 10000);
    if (n != sizeof id) {
        j->err = n < 0 ? (int)n : -EIO, j->step = 3;
        return NULL;
    }
    n = tc_recv_all(&A, c, &reply, sizeof reply, 10000);
    if (n != sizeof reply || reply != (id ^ 0xABCD1234u)) {
        j->err = n < 0 ? (int)n : -EBADMSG, j->step = 4;
        return NULL;
    }
    sn_sock_release(&A, c);
    return NULL;
}

Test(core_concurrency, many_threads_connect_to_one_listener, .timeout = 20)
{
    int l = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
    cr_assert_eq(tc_bind4(&A, l, "127.0.0.1", 0), 0);
    cr_assert_eq(sn_sock_listen(&A, l, 2), 0);  /* small: some must queue */
    int port = tc_local_port(&A, l);

    conn_job jobs[NCONN];
    pthread_t th[NCONN];
    for (int i = 0; i < NCONN; i++) {
        jobs[i] = (conn_job){.port = port, .id = 1000u + (uint32_t)i};
        cr_assert_eq(pthread_create(&th[i], NULL, connector, &jobs[i]), 0);
    }
    /* Accept only once every connector has tried: then exactly backlog+1
     * connections completed and the rest wait in line for accept(). */
    for (int i = 0; i < 5000 && atomic_load(&attempted) < NCONN; i++) {
        struct timespec ts = {0, 1000000L};
        nanosleep(&ts, NULL);
    }
    cr_assert_eq(atomic_load(&attempted), NCONN);
    int queued = 0;
    for (int i = 0; i < NCONN; i++)
        queued += jobs[i].queued;
    cr_assert_eq(queued, NCONN - 3, "%d connects waited in line", queued);
    cr_assert_eq(sn_sock_at(&A, l)->acc_len, 3);

    bool seen[NCONN] = {false};
    int accepted[NCONN];
    for (int k = 0; k < NCONN; k++) {
        sn_addr peer;
        int s = tc_accept_wait(&A, l, &peer, 10000);
        cr_assert_geq(s, 0, "accept #%d: %d", k, s);
        accepted[k] = s;
        uint32_t id = 0;
        cr_assert_eq(tc_recv_all(&A, s, &id, sizeof id, 10000), sizeof id);
        cr_assert(id >= 1000 && id < 1000 + NCONN, "bad id %u", id);
        cr_assert_not(seen[id - 1000], "id %u twice", id);
        seen[id - 1000] = true;
        uint32_t reply = id ^ 0xABCD1234u;
        cr_assert_eq(tc_send_all(&A, s, &reply, sizeof reply, 10000),
                     sizeof reply);
        /* The accept's peer address is the connector's own name. */
        cr_assert_eq(peer.port, sn_sock_at(&A, s)->peer.port);
    }
    for (int i = 0; i < NCONN; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < NCONN; i++)
        cr_assert_eq(jobs[i].err, 0, "connector %d failed at step %d: %d", i,
                     jobs[i].step, jobs[i].err);
    /* Every connector had its own port. */
    for (int i = 0; i < NCONN; i++)
        for (int k = i + 1; k < NCONN; k++)
            cr_assert_neq(jobs[i].local_port, jobs[k].local_port);
    /* Each server end sees EOF now that its client closed. */
    for (int k = 0; k < NCONN; k++) {
        char b;
        cr_assert_eq(tc_recv(&A, accepted[k], &b, 1, 0, NULL), 0);
    }
    cr_assert_eq(sn_sock_accept(&A, l, &(sn_addr){0}), -EAGAIN);
}

/* ================= several datagram senders, one receiver ================= */

#define NSEND  4
#define NDGRAM 2000

typedef struct dgram_job {
    int      port;
    uint32_t who;
    int      err;
} dgram_job;

static void *dgram_sender(void *arg)
{
    dgram_job *j = arg;
    int u = sn_sock_create(&A, AF_INET, SOCK_DGRAM, 0);
    if (u < 0) {
        j->err = u;
        return NULL;
    }
    uint8_t msg[100];
    for (uint32_t seq = 0; seq < NDGRAM; seq++) {
        memcpy(msg, &j->who, 4);
        memcpy(msg + 4, &seq, 4);
        for (size_t i = 8; i < sizeof msg; i++)
            msg[i] = (uint8_t)(j->who * 31 + seq + i);
        ssize_t r = tc_sendto4(&A, u, msg, 8 + seq % 92, "127.0.0.1", j->port);
        if (r != (ssize_t)(8 + seq % 92)) {
            j->err = r < 0 ? (int)r : -EIO;
            return NULL;
        }
    }
    sn_sock_release(&A, u);
    return NULL;
}

Test(core_concurrency, many_threads_send_datagrams_to_one_socket, .timeout = 20)
{
    int r = sn_sock_create(&A, AF_INET, SOCK_DGRAM, 0);
    /* A queue large enough that nothing is dropped: the test then knows
     * exactly what must arrive. */
    cr_assert_eq(tc_setint(&A, r, SOL_SOCKET, SO_RCVBUFFORCE, 2 << 20), 0);
    cr_assert_eq(tc_bind4(&A, r, "127.0.0.1", 0), 0);
    int port = tc_local_port(&A, r);
    dgram_job jobs[NSEND];
    pthread_t th[NSEND];
    for (int i = 0; i < NSEND; i++) {
        jobs[i] = (dgram_job){.port = port, .who = (uint32_t)i};
        cr_assert_eq(pthread_create(&th[i], NULL, dgram_sender, &jobs[i]), 0);
    }
    uint32_t next[NSEND] = {0};
    int got = 0;
    while (got < NSEND * NDGRAM) {
        uint8_t b[128];
        tc_io io = {b, sizeof b, 0};
        ssize_t n = tc_block(&A, r, 10000, tc_try_recv, &io);
        cr_assert_geq(n, 8, "recv %d: %zd", got, n);
        uint32_t who, seq;
        memcpy(&who, b, 4);
        memcpy(&seq, b + 4, 4);
        cr_assert_lt(who, NSEND);
        cr_assert_eq(seq, next[who], "sender %u: got #%u, expected #%u",
                     who, seq, next[who]);
        cr_assert_eq(n, 8 + seq % 92);
        for (ssize_t i = 8; i < n; i++)
            cr_assert_eq(b[i], (uint8_t)(who * 31 + seq + (uint32_t)i));
        next[who]++;
        got++;
    }
    for (int i = 0; i < NSEND; i++) {
        pthread_join(th[i], NULL);
        cr_assert_eq(jobs[i].err, 0, "sender %d: %d", i, jobs[i].err);
    }
    uint8_t b[4];
    cr_assert_eq(tc_recv(&A, r, b, sizeof b, 0, NULL), -EAGAIN);
}

/* ================= a forked child as client ================= */

#define FORK_BYTES (8u << 20)

/* Child side: connect, send FORK_BYTES, half-close, read back the
 * parent's checksum and compare.  Reports through its exit status. */
static int child_client(int port, int parent_proc)
{
    if (sn_net_attach_proc(&A) != 0)
        return 10;
    if (A.proc == parent_proc)
        return 11;                       /* must be a new process entry */
    int c = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
    if (c < 0)
        return 12;
    int r = tc_connect4(&A, c, "127.0.0.1", port);
    if (r == -EINPROGRESS)
        r = (int)tc_block(&A, c, 10000, tc_try_connect_result, NULL);
    if (r != 0)
        return 13;
    static uint8_t chunk[65536];
    uint64_t h = FNV_INIT;
    for (uint32_t off = 0; off < FORK_BYTES; off += sizeof chunk) {
        for (size_t i = 0; i < sizeof chunk; i++)
            chunk[i] = pattern(off + i);
        h = fnv(h, chunk, sizeof chunk);
        if (tc_send_all(&A, c, chunk, sizeof chunk, 10000) != sizeof chunk)
            return 14;
    }
    if (sn_sock_shutdown(&A, c, SHUT_WR) != 0)
        return 15;
    uint64_t back = 0;
    if (tc_recv_all(&A, c, &back, sizeof back, 10000) != sizeof back)
        return 16;
    if (back != h)
        return 17;
    /* The parent closes next: EOF. */
    char x;
    if (tc_recv_all(&A, c, &x, 1, 10000) != 0)
        return 18;
    sn_sock_release(&A, c);
    return 0;
}

Test(core_concurrency, forked_child_is_a_client, .timeout = 20)
{
    int l = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
    cr_assert_eq(tc_bind4(&A, l, "127.0.0.1", 0), 0);
    cr_assert_eq(sn_sock_listen(&A, l, 4), 0);
    int port = tc_local_port(&A, l);
    int me = A.proc;

    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0)
        _exit(child_client(port, me));

    sn_addr peer;
    int s = tc_accept_wait(&A, l, &peer, 10000);
    cr_assert_geq(s, 0, "accept: %d", s);
    static uint8_t buf[65536];
    uint64_t h = FNV_INIT, total = 0, bad = UINT64_MAX;
    for (;;) {
        tc_io io = {buf, sizeof buf, 0};
        ssize_t n = tc_block(&A, s, 10000, tc_try_recv, &io);
        cr_assert_geq(n, 0, "recv: %zd", n);
        if (n == 0)
            break;
        for (ssize_t i = 0; i < n && bad == UINT64_MAX; i++)
            if (buf[i] != pattern(total + (uint64_t)i))
                bad = total + (uint64_t)i;
        h = fnv(h, buf, (size_t)n);
        total += (uint64_t)n;
    }
    cr_assert_eq(total, FORK_BYTES);
    cr_assert_eq(bad, UINT64_MAX, "first wrong byte at %llu",
                 (unsigned long long)bad);
    cr_assert_eq(tc_send_all(&A, s, &h, sizeof h, 10000), sizeof h);
    sn_sock_release(&A, s);

    wait_child_ok(pid);
    /* Two processes were registered; the child's socket is gone. */
    cr_assert_geq(A.hdr->proc_hwm, 2);
    cr_assert_eq(A.hdr->nsocks, 1, "only the listener should remain");
}

/* ================= a forked child as server ================= */

Test(core_concurrency, forked_child_accepts_from_parent, .timeout = 20)
{
    /* The child makes the listener; the parent connects once it exists.
     * The port is fixed so the parent knows it without a side channel. */
    enum { PORT = 43210 };
    pid_t pid = fork_attached();
    if (pid == 0) {
        int l = sn_sock_create(&A, AF_INET6, SOCK_STREAM, 0);
        if (l < 0 || tc_bind6(&A, l, "::", PORT) != 0 ||
            sn_sock_listen(&A, l, 4) != 0)
            _exit(11);
        sn_addr peer;
        int s = tc_accept_wait(&A, l, &peer, 10000);
        if (s < 0)
            _exit(12);
        char b[6] = {0};
        if (tc_recv_all(&A, s, b, 5, 10000) != 5 || strcmp(b, "hello") != 0)
            _exit(13);
        if (tc_send_all(&A, s, "world", 5, 10000) != 5)
            _exit(14);
        if (tc_recv_all(&A, s, b, 1, 10000) != 0)   /* parent's close */
            _exit(15);
        sn_sock_release(&A, s);
        sn_sock_release(&A, l);
        _exit(0);
    }
    int c = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
    int r = -ECONNREFUSED;
    /* Retry until the child listens (each attempt is immediate). */
    for (int i = 0; i < 2000 && r == -ECONNREFUSED; i++) {
        r = tc_connect4(&A, c, "127.0.0.1", PORT);
        if (r == -ECONNREFUSED) {
            struct timespec ts = {0, 2 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    if (r == -EINPROGRESS)
        r = (int)tc_block(&A, c, 10000, tc_try_connect_result, NULL);
    cr_assert_eq(r, 0, "connect: %d", r);
    cr_assert_eq(tc_send_all(&A, c, "hello", 5, 10000), 5);
    char b[6] = {0};
    cr_assert_eq(tc_recv_all(&A, c, b, 5, 10000), 5);
    cr_assert_str_eq(b, "world");
    sn_sock_release(&A, c);
    wait_child_ok(pid);
    cr_assert_eq(A.hdr->nsocks, 0);
}

/* ================= processes that die without closing ================= */

Test(core_concurrency, dead_process_listener_is_a_closed_port, .timeout = 20)
{
    enum { PORT = 43220 };
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        /* Listen, with one connection queued, then die holding both. */
        if (sn_net_attach_proc(&A) != 0)
            _exit(10);
        int l = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
        if (l < 0 || tc_bind4(&A, l, "127.0.0.1", PORT) != 0 ||
            sn_sock_listen(&A, l, 4) != 0)
            _exit(11);
        int c = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
        if (c < 0 || tc_connect4(&A, c, "127.0.0.1", PORT) != 0)
            _exit(12);
        _exit(0);
    }
    wait_child_ok(pid);
    cr_assert_eq(A.hdr->nsocks, 3, "listener, client, queued server end");

    int c = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
    cr_assert_eq(tc_connect4(&A, c, "127.0.0.1", PORT), -ECONNREFUSED,
                 "a dead process's listener took a connection");
    cr_assert_eq(A.hdr->nsocks, 1, "the dead process's sockets survived");
    int l = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
    cr_assert_eq(tc_bind4(&A, l, "127.0.0.1", PORT), 0);
}

Test(core_concurrency, dead_process_holding_port_does_not_block_bind,
     .timeout = 20)
{
    enum { PORT = 43221 };
    pid_t pid = fork_attached();
    if (pid == 0) {
        int u = sn_sock_create(&A, AF_INET, SOCK_DGRAM, 0);
        if (u < 0 || tc_bind4(&A, u, "127.0.0.1", PORT) != 0)
            _exit(11);
        _exit(0);
    }
    wait_child_ok(pid);
    int u = sn_sock_create(&A, AF_INET, SOCK_DGRAM, 0);
    cr_assert_eq(tc_bind4(&A, u, "127.0.0.1", PORT), 0,
                 "port still held by a dead process");
}

/* Blocking read in the preload's way, watching the peer's processes. */
static ssize_t recv_watching(int s, void *buf, size_t len, long ms)
{
    struct timespec dl = tc_deadline_ms(ms);
    for (;;) {
        uint32_t seq = sn_wait_prepare(&A, s);
        ssize_t r = tc_recv(&A, s, buf, len, 0, NULL);
        if (r != -EAGAIN)
            return r;
        int procs[SN_WATCH_MAX];
        int n = sn_sock_watch(&A, s, procs, SN_WATCH_MAX);
        int w = n ? sn_wait_watch(&A, s, seq, procs, n, &dl)
                  : sn_wait(&A, s, seq, &dl);
        if (w == 1)
            sn_sock_collect(&A, procs, n);
        else if (w < 0)
            return w;
    }
}

Test(core_concurrency, peer_process_death_ends_a_blocked_read, .timeout = 20)
{
    int l = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
    cr_assert_eq(tc_bind4(&A, l, "127.0.0.1", 0), 0);
    cr_assert_eq(sn_sock_listen(&A, l, 4), 0);
    int port = tc_local_port(&A, l);
    pid_t pid = fork_attached();
    if (pid == 0) {
        int c = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
        if (c < 0 || tc_connect4(&A, c, "127.0.0.1", port) != 0)
            _exit(11);
        if (tc_send_all(&A, c, "hi", 2, 10000) != 2)
            _exit(12);
        /* Give the parent time to fall asleep, then die without close. */
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
        _exit(0);
    }
    int s = tc_accept_wait(&A, l, NULL, 10000);
    cr_assert_geq(s, 0);
    char b[4] = {0};
    cr_assert_eq(tc_recv_all(&A, s, b, 2, 10000), 2);
    cr_assert_str_eq(b, "hi");
    /* The child is not waited for yet: a zombie counts as dead. */
    cr_assert_eq(recv_watching(s, b, sizeof b, 10000), 0,
                 "the death of the peer's process did not end the read");
    wait_child_ok(pid);
}

/* Slots in use, counted from the slots themselves, and whether the free
 * list and the count agree with them. */
static bool tables_consistent(sn_arena *a)
{
    uint32_t used = 0, listed = 0, hwm = a->hdr->sock_hwm;
    for (uint32_t s = 0; s < hwm; s++)
        used += sn_sock_at(a, (int)s)->state != SN_FREE;
    for (int32_t s = a->hdr->sock_free; s >= 0 && listed <= hwm; s = a->socks[s].next)
        listed++;
    return used == a->hdr->nsocks && used + listed == hwm;
}

Test(core_concurrency, death_inside_the_arena_lock_is_repaired, .timeout = 20)
{
    enum { PORT = 43225, UPORT = 43226 };
    int l = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
    cr_assert_eq(tc_bind4(&A, l, "127.0.0.1", PORT), 0);
    cr_assert_eq(sn_sock_listen(&A, l, 4), 0);
    int u = sn_sock_create(&A, AF_INET, SOCK_DGRAM, 0);
    cr_assert_eq(tc_bind4(&A, u, "127.0.0.1", UPORT), 0);
    pid_t pid = fork_attached();
    if (pid == 0) {
        int c = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
        if (c < 0 || tc_connect4(&A, c, "127.0.0.1", PORT) != 0)
            _exit(11);
        int spare = sn_sock_create(&A, AF_INET, SOCK_DGRAM, 0);
        sn_sock_release(&A, spare);          /* a free slot to take */
        /* Die inside the lock, three updates half done: */
        sn_ctl_lock(&A);
        sn_sock *L = sn_sock_at(&A, l);
        L->acc_head = L->acc_tail = -1;      /* an accept popped the queue */
        L->acc_len = 0;
        A.hdr->sock_free = A.socks[A.hdr->sock_free].next;   /* a slot taken */
        A.hdr->nsocks++;
        A.ports[65536 + UPORT] = -1;          /* a chain unlinked */
        _exit(0);
    }
    wait_child_ok(pid);

    /* The next lock repairs; the datagram finds its socket again. */
    int s = sn_sock_create(&A, AF_INET, SOCK_DGRAM, 0);
    cr_assert_geq(s, 0);
    cr_assert(tables_consistent(&A), "free list or count still wrong");
    cr_assert_eq(tc_sendto4(&A, s, "x", 1, "127.0.0.1", UPORT), 1);
    char b[4];
    cr_assert_eq(tc_recv(&A, u, b, sizeof b, 0, NULL), 1,
                 "the port chain was not relinked");
    sn_addr peer;
    int acc = sn_sock_accept(&A, l, &peer);
    cr_assert_geq(acc, 0, "the popped connection was not queued again");

    /* Collect the dead child, close ours: nothing left. */
    for (int p = 0; p < SN_MAX_PROCS; p++)
        if (A.procs[p].pid == pid)
            sn_sock_collect(&A, &p, 1);
    int socks[] = {s, acc, u, l};
    for (size_t i = 0; i < sizeof socks / sizeof *socks; i++)
        sn_sock_release(&A, socks[i]);
    cr_assert_eq(A.hdr->nsocks, 0, "%u sockets leaked", A.hdr->nsocks);
    cr_assert(tables_consistent(&A));
}

/* An arena file already open (a pin, preload/identity.c): an empty one is
 * not a network until someone creates it; a child sharing the open file
 * joins the network its parent created through it, and the path names
 * the same network. */
Test(core_concurrency, arena_through_an_open_file, .timeout = 20)
{
    char path[] = "/tmp/simnet-test-arena.XXXXXX", err[300];
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    sn_arena a, b;
    cr_assert_eq(sn_net_open_fd(&a, fd, path, 0, SN_ARENA_ATTACH, err, sizeof err), -ENOENT,
                 "an empty file was taken for a network");
    cr_assert_eq(sn_net_open_fd(&a, fd, path, 0, SN_ARENA_CREATE | SN_ARENA_ATTACH,
                                  err, sizeof err), 0, "%s", err);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        sn_arena c;
        if (sn_net_open_fd(&c, fd, path, 0, SN_ARENA_ATTACH, err, sizeof err) != 0)
            _exit(1);
        _exit(c.hdr->token == a.hdr->token && c.proc != a.proc ? 0 : 2);
    }
    wait_child_ok(pid);
    cr_assert_eq(sn_net_open(&b, path, 0, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(b.hdr->token, a.hdr->token);
    cr_assert_eq(b.hdr->proc_hwm, 2, "parent and child: %u entries", b.hdr->proc_hwm);
    sn_arena_close(&b);
    sn_arena_close(&a);
    close(fd);
    unlink(path);
}

/* ================= epoll's queue of changed sockets ================= */

/* Pop bell b until empty: true if socket s came out (or an overflow said
 * "look at everything"). */
static bool popped(int b, int s)
{
    bool seen = false;
    for (int x; (x = sn_bell_pop(&A, b)) != -1;)
        seen |= x == s || x == -2;
    return seen;
}

/* More changed sockets than the queue holds: the owner is told to look at
 * everything, and every one of them is queued again at its next change
 * (those dropped from the queue kept their "queued" mark before). */
Test(core_concurrency, doorbell_queue_overflow_forgets_no_socket, .timeout = 30)
{
    enum { N = SN_BELL_Q + 100 };
    static int socks[N];
    int b = sn_bell_alloc(&A, true);
    cr_assert_gt(b, 0);
    for (int i = 0; i < N; i++) {
        socks[i] = sn_sock_create(&A, AF_INET, SOCK_DGRAM, 0);
        cr_assert_geq(socks[i], 0);
        cr_assert_eq(sn_bell_attach(&A, socks[i], b, false), 0);
        sn_wake(&A, socks[i]);
    }
    cr_assert_eq(sn_bell_pop(&A, b), -2, "an overflowed queue must say so");
    cr_assert_eq(sn_bell_pop(&A, b), -1, "the overflow empties the queue");
    for (int i = 0; i < N; i += 97) {
        sn_wake(&A, socks[i]);
        cr_assert_eq(sn_bell_pop(&A, b), socks[i], "socket %d was not queued again", i);
        cr_assert_eq(sn_bell_pop(&A, b), -1);
    }
    for (int i = 0; i < N; i++)
        sn_sock_release(&A, socks[i]);
    sn_bell_free(&A, b);
}

/* A process SIGKILLed at any moment of a ring -- between marking a
 * socket queued and queueing it, or holding the queue's lock -- never
 * keeps the socket out of the owner's queue for good: after each kill,
 * the next change is seen.  (Before the mark and the push shared the
 * queue's lock, a kill between them hid the socket from epoll_wait
 * forever: the random_kill scenario's lost wake-ups.) */
Test(core_concurrency, a_ringer_killed_at_any_moment_never_hides_a_socket, .timeout = 60)
{
    int s = sn_sock_create(&A, AF_INET, SOCK_DGRAM, 0);
    int b = sn_bell_alloc(&A, true);
    cr_assert_geq(s, 0);
    cr_assert_gt(b, 0);
    cr_assert_eq(sn_bell_attach(&A, s, b, false), 0);
    srand(12345);
    for (int round = 0; round < 1000; round++) {
        pid_t pid = fork();
        cr_assert_neq(pid, -1);
        if (pid == 0)
            for (;;)
                sn_wake(&A, s);
        /* The owner takes the socket over and over, so that the ringer
         * keeps marking and queueing it, and kills it at a random time. */
        struct timespec t0, t;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        long until_ns = 200000 + rand() % 800000;
        do {
            sn_bell_pop(&A, b);
            clock_gettime(CLOCK_MONOTONIC, &t);
        } while ((t.tv_sec - t0.tv_sec) * 1000000000L + t.tv_nsec - t0.tv_nsec < until_ns);
        kill(pid, SIGKILL);
        int st;
        cr_assert_eq(waitpid(pid, &st, 0), pid);
        popped(b, s);
        sn_wake(&A, s);
        cr_assert(popped(b, s), "round %d: a change after the ringer's death was not queued",
                  round);
    }
    sn_sock_release(&A, s);
    sn_bell_free(&A, b);
}

/* A bell's name is "simnet.<token in 16 hex digits>.<id>.<gen>" in the
 * abstract namespace, whatever the numbers (written by hand, not by
 * snprintf: every ring makes it). */
Test(core_concurrency, doorbell_names_follow_their_format)
{
    uint64_t tokens[] = {0, 1, 0xdeadbeefcafef00dULL, UINT64_MAX, 0x0123456789abcdefULL};
    int ids[] = {1, 9, 10, 4096, 2147483647};
    unsigned gens[] = {0, 7, 65535, 4294967295u};
    for (size_t t = 0; t < sizeof tokens / sizeof *tokens; t++)
        for (size_t i = 0; i < sizeof ids / sizeof *ids; i++)
            for (size_t g = 0; g < sizeof gens / sizeof *gens; g++) {
                struct sockaddr_un un;
                memset(&un, 0x55, sizeof un);
                socklen_t len = sn_os_bell_name(tokens[t], ids[i], gens[g], &un);
                char want[108];
                int n = snprintf(want, sizeof want, "simnet.%016llx.%d.%u",
                                 (unsigned long long)tokens[t], ids[i], gens[g]);
                cr_assert_eq(un.sun_family, AF_UNIX);
                cr_assert_eq(un.sun_path[0], 0, "not abstract");
                cr_assert_eq(len, offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
                cr_assert(memcmp(un.sun_path + 1, want, (size_t)n) == 0,
                          "name '%.*s', want '%s'", n, un.sun_path + 1, want);
            }
}

/* A ringer killed after taking a bell's `pending` flag and before its
 * send would leave the bell silent: nobody else sends while the flag is
 * fresh.  The next ringer sees the taker dead and rings. */
Test(core_concurrency, a_ringer_dead_after_taking_the_flag_does_not_silence_the_bell,
     .timeout = 20)
{
    int b = sn_bell_alloc(&A, false);
    cr_assert_gt(b, 0);
    struct sockaddr_un un;
    socklen_t len = sn_bell_name(&A, b, &un);
    int rx = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    cr_assert_geq(rx, 0);
    cr_assert_eq(bind(rx, (struct sockaddr *)&un, len), 0, "bind: %s", strerror(errno));
    pid_t pid = fork_attached();
    if (pid == 0) {
        /* What a ring does up to its send, then death. */
        sn_bell *bl = &A.bells[b - 1];
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        uint32_t ms = (uint32_t)(t.tv_sec * 1000 + t.tv_nsec / 1000000);
        atomic_store(&bl->pending, ms ? ms : 1);
        atomic_store(&bl->claimer, A.proc + 1);
        raise(SIGKILL);
    }
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFSIGNALED(st));
    sn_bell_ring(&A, b);
    char c;
    cr_assert_eq(recv(rx, &c, 1, 0), 1, "the bell stayed silent after its ringer died");
    close(rx);
    sn_bell_free(&A, b);
}
