/* Unit tests of the capture: core/cksum.c (the Internet checksum),
 * core/pkt.c (synthesized headers) and core/capture.c (the ring many
 * processes append to and one reads: order, drops, concurrent writers,
 * a writer killed between reservation and commit). */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/cksum.h"
#include "core/pkt.h"
#include "test_core_util.h"

TC_ARENA_FIXTURE(a)
TestSuite(core_capture, .init = setup, .fini = teardown, .timeout = 30);

static uint16_t cksum_flat(const void *p, size_t n)
{
    size_t done = 0;
    return sn_cksum_fold(sn_cksum_add(0, p, n, &done));
}

/* RFC 1071's worked example: the sum of 0001 f203 f4f5 f6f7 is ddf2. */
Test(core_capture, checksum_rfc1071_example)
{
    const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    cr_assert_eq(cksum_flat(b, sizeof b), (uint16_t)~0xddf2);
}

/* The same bytes summed in odd-sized pieces through a cursor give the
 * flat sum (a word split between two iovecs). */
Test(core_capture, checksum_pieces_equal_flat)
{
    uint8_t b[1001];
    for (size_t i = 0; i < sizeof b; i++)
        b[i] = (uint8_t)(i * 37 + 11);
    struct iovec v[4] = {{b, 3}, {b + 3, 500}, {b + 503, 1}, {b + 504, 497}};
    sn_iovc c;
    sn_iovc_init(&c, v, 4);
    size_t done = 0;
    uint32_t s = sn_cksum_add(0, b, 0, &done);
    s = sn_cksum_iov(s, &c, sizeof b, &done);
    cr_assert_eq(sn_cksum_fold(s), cksum_flat(b, sizeof b));
}

static sn_addr addr4(const char *ip, int port)
{
    struct sockaddr_in s = tc_sa4(ip, port);
    sn_addr x;
    cr_assert_eq(sn_addr_parse(AF_INET, (struct sockaddr *)&s, sizeof s, false, &x), 0);
    return x;
}

/* A UDP packet's IPv4 header sums to zero with its checksum in, and its
 * UDP checksum verifies over the pseudo-header. */
Test(core_capture, udp4_headers_verify)
{
    char data[] = "hello, capture";
    struct iovec v = {data, sizeof data};
    sn_iovc c;
    sn_iovc_init(&c, &v, 1);
    sn_pkt p = {.src = addr4("127.0.0.1", 4000), .dst = addr4("127.0.0.2", 53),
                .proto = IPPROTO_UDP, .ttl = 64};
    uint8_t h[SN_PKT_HDR_MAX];
    uint32_t hl = sn_pkt_build(h, &p, &c, sizeof data);
    cr_assert_eq(hl, 28);
    cr_assert_eq(cksum_flat(h, 20), 0, "IPv4 header checksum");
    cr_assert_eq((h[2] << 8 | h[3]), 28 + sizeof data);
    uint8_t pseudo[12] = {127, 0, 0, 1, 127, 0, 0, 2, 0, IPPROTO_UDP, 0,
                          (uint8_t)(8 + sizeof data)};
    size_t done = 0;
    uint32_t s = sn_cksum_add(0, pseudo, sizeof pseudo, &done);
    s = sn_cksum_add(s, h + 20, 8, &done);
    s = sn_cksum_add(s, data, sizeof data, &done);
    cr_assert_eq(sn_cksum_fold(s), 0, "UDP checksum");
}

static void append_n(uint32_t writer, uint32_t seq, uint32_t len)
{
    uint8_t buf[2048];
    memcpy(buf, &writer, 4);
    memcpy(buf + 4, &seq, 4);
    for (uint32_t i = 8; i < len; i++)
        buf[i] = (uint8_t)(writer + seq + i);
    struct iovec v = {buf + 8, len - 8};
    sn_iovc c;
    sn_iovc_init(&c, &v, 1);
    sn_cap_append(&a, buf, 8, &c, len - 8);
}

static bool intact(const uint8_t *b, uint32_t len, uint32_t *writer, uint32_t *seq)
{
    memcpy(writer, b, 4);
    memcpy(seq, b + 4, 4);
    for (uint32_t i = 8; i < len; i++)
        if (b[i] != (uint8_t)(*writer + *seq + i))
            return false;
    return true;
}

/* Nothing is recorded before a reader attaches; after, records come back
 * in order, whole, across many laps of the ring; a full ring drops and
 * counts. */
Test(core_capture, order_laps_and_drops)
{
    cr_assert(!sn_cap_on(&a));
    cr_assert_eq(sn_cap_start(&a, SN_CAP_MIN), 0);
    cr_assert(sn_cap_on(&a));
    uint8_t buf[4096];
    sn_cap_rec r;
    uint64_t torn = 0;
    uint32_t w, s, next = 0;
    for (uint32_t i = 0; i < 5000; i++) {
        append_n(1, i, 40 + i % 1500);
        cr_assert_eq(sn_cap_read(&a, &r, buf, sizeof buf, 1000000000, &torn), 1);
        cr_assert(intact(buf, r.len, &w, &s) && w == 1 && s == next++);
        cr_assert_eq(r.len, 40 + i % 1500);
    }
    cr_assert_eq(sn_cap_read(&a, &r, buf, sizeof buf, 1000000000, &torn), 0);
    for (uint32_t i = 0; i < 200; i++)
        append_n(1, i, 1000);           /* 64 KiB holds about 60 */
    cr_assert_gt(sn_cap_drops(&a), 100);
    int n = 0;
    while (sn_cap_read(&a, &r, buf, sizeof buf, 1000000000, &torn) == 1)
        n++;
    cr_assert_eq((uint64_t)n + sn_cap_drops(&a), 200);
    cr_assert_eq(torn, 0);
    sn_cap_release(&a);
    cr_assert(!sn_cap_on(&a));
}

/* Four processes append at once while this one reads: every record is
 * whole (never the bytes of two packets), each writer's records come in
 * its own order, and what was not read was counted as dropped. */
Test(core_capture, concurrent_writers)
{
    cr_assert_eq(sn_cap_start(&a, 1u << 20), 0);
    enum { WRITERS = 4, EACH = 20000 };
    pid_t kids[WRITERS];
    for (int k = 0; k < WRITERS; k++) {
        if ((kids[k] = fork()) == 0) {
            for (uint32_t i = 0; i < EACH; i++)
                append_n((uint32_t)k, i, 24 + (i * 7 + (uint32_t)k) % 1400);
            _exit(0);
        }
    }
    uint8_t buf[4096];
    sn_cap_rec r;
    uint64_t torn = 0, got = 0;
    int64_t last[WRITERS];
    for (int k = 0; k < WRITERS; k++)
        last[k] = -1;
    int alive = WRITERS;
    while (alive) {
        int n = sn_cap_read(&a, &r, buf, sizeof buf, 1000000000, &torn);
        if (n == 1) {
            uint32_t w, s;
            cr_assert(intact(buf, r.len, &w, &s), "a record mixes two packets");
            cr_assert_lt(w, WRITERS);
            cr_assert_gt((int64_t)s, last[w], "writer %u out of order", w);
            last[w] = s;
            got++;
        } else if (n == 0) {
            int st;
            for (int k = 0; k < WRITERS; k++)
                if (kids[k] > 0 && waitpid(kids[k], &st, WNOHANG) == kids[k]) {
                    kids[k] = 0;
                    alive--;
                }
        }
    }
    while (sn_cap_read(&a, &r, buf, sizeof buf, 1000000000, &torn) == 1)
        got++;
    cr_assert_eq(torn, 0);
    cr_assert_eq(got + sn_cap_drops(&a), (uint64_t)WRITERS * EACH);
    cr_assert_gt(got, 0);
}

/* A writer killed between its reservation and its commit: the reader
 * waits while it lives, skips its record once it is dead (counted), and
 * reads what others appended after it. */
Test(core_capture, torn_record_of_a_dead_writer)
{
    cr_assert_eq(sn_cap_start(&a, SN_CAP_MIN), 0);
    append_n(7, 0, 100);
    int go[2];
    cr_assert_eq(pipe(go), 0);
    pid_t kid = fork();
    if (kid == 0) {
        sn_cap_reserve_only(&a, 500);
        char c = 1;
        if (write(go[1], &c, 1) != 1)
            _exit(1);
        pause();
        _exit(0);
    }
    char c;
    cr_assert_eq(read(go[0], &c, 1), 1);
    append_n(7, 1, 100);
    uint8_t buf[4096];
    sn_cap_rec r;
    uint64_t torn = 0;
    uint32_t w, s;
    cr_assert_eq(sn_cap_read(&a, &r, buf, sizeof buf, 10000000000ull, &torn), 1);
    cr_assert(intact(buf, r.len, &w, &s) && s == 0);
    for (int i = 0; i < 20; i++) {      /* alive: waited for */
        cr_assert_eq(sn_cap_read(&a, &r, buf, sizeof buf, 10000000000ull, &torn), -EAGAIN);
        usleep(10000);
    }
    kill(kid, SIGKILL);
    waitpid(kid, NULL, 0);
    int n;
    for (int i = 0; i < 300 && (n = sn_cap_read(&a, &r, buf, sizeof buf,
                                                10000000000ull, &torn)) == -EAGAIN; i++)
        usleep(10000);
    cr_assert_eq(n, 1, "the record after the torn one");
    cr_assert(intact(buf, r.len, &w, &s) && s == 1);
    cr_assert_eq(torn, 1);
    cr_assert_eq(sn_cap_read(&a, &r, buf, sizeof buf, 10000000000ull, &torn), 0);
}

/* Once the reader stops, senders record nothing more (and count no
 * drop): after it has read up to head, nobody writes into the ring, so
 * releasing it is safe. */
Test(core_capture, stop_closes_the_ring)
{
    cr_assert_eq(sn_cap_start(&a, SN_CAP_MIN), 0);
    append_n(3, 0, 64);
    sn_cap_stop(&a);
    cr_assert(!sn_cap_on(&a));
    append_n(3, 1, 64);                 /* a sender that saw `on` late */
    uint8_t buf[256];
    sn_cap_rec r;
    uint64_t torn = 0;
    uint32_t w, s;
    cr_assert_eq(sn_cap_read(&a, &r, buf, sizeof buf, 1000000000, &torn), 1);
    cr_assert(intact(buf, r.len, &w, &s) && s == 0);
    cr_assert_eq(sn_cap_read(&a, &r, buf, sizeof buf, 1000000000, &torn), 0);
    cr_assert_eq(sn_cap_drops(&a), 0);
    sn_cap_release(&a);
    cr_assert_eq(sn_cap_start(&a, SN_CAP_MIN), 0, "a new capture after release");
    append_n(3, 2, 64);
    cr_assert_eq(sn_cap_read(&a, &r, buf, sizeof buf, 1000000000, &torn), 1);
}
