/* Unit tests of core/ring.c and core/iov.c: the shared byte ring with
 * free-running 32-bit indices, and the iovec cursor that feeds it.
 *
 * The ring needs no arena: a ring is just {cap, in, out} plus a buffer, so
 * these tests use a local buffer and set the indices by hand, e.g. just
 * below 2^32 so that the wrap-around of the indices is exercised. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/iov.h"
#include "core/ring.h"

static void ring_init(sn_ring *r, uint32_t cap, uint32_t start)
{
    memset(r, 0, sizeof *r);
    r->cap = cap;
    r->off = 1;                 /* "allocated"; the buffer is passed apart */
    atomic_store(&r->in, start);
    atomic_store(&r->out, start);
}

Test(core_ring, empty_accounting_near_index_wrap)
{
    sn_ring r;
    ring_init(&r, 16, UINT32_MAX - 5);
    cr_assert_eq(sn_ring_used(&r), 0);
    cr_assert_eq(sn_ring_space(&r), 16);
}

Test(core_ring, put_publish_get_across_index_wrap_and_buffer_end)
{
    sn_ring r;
    uint8_t buf[16];
    memset(buf, '.', sizeof buf);
    ring_init(&r, 16, UINT32_MAX - 5);     /* position 10 in the buffer */

    sn_ring_put(&r, buf, "0123456789", 10, 0);
    /* Copied but not published: the consumer sees nothing yet. */
    cr_assert_eq(sn_ring_used(&r), 0);
    cr_assert_eq(sn_ring_space(&r), 16);
    sn_ring_publish(&r, 10);

    cr_assert_eq(atomic_load(&r.in), 4u, "in wrapped past 2^32: %u",
                 atomic_load(&r.in));
    cr_assert_eq(sn_ring_used(&r), 10);
    cr_assert_eq(sn_ring_space(&r), 6);
    /* The bytes sit at buffer positions 10..15 then 0..3. */
    cr_assert_arr_eq(buf + 10, "012345", 6);
    cr_assert_arr_eq(buf, "6789", 4);
    cr_assert_arr_eq(buf + 4, "......", 6, "bytes outside the region written");

    char out[11] = {0};
    sn_ring_get(&r, buf, 0, out, 10);
    cr_assert_str_eq(out, "0123456789");
    sn_ring_consume(&r, 10);
    cr_assert_eq(atomic_load(&r.out), 4u);
    cr_assert_eq(sn_ring_used(&r), 0);
    cr_assert_eq(sn_ring_space(&r), 16);
}

Test(core_ring, fill_to_capacity_then_drain)
{
    sn_ring r;
    uint8_t buf[8];
    ring_init(&r, 8, UINT32_MAX - 2);
    sn_ring_put(&r, buf, "abcdefgh", 8, 0);
    sn_ring_publish(&r, 8);
    cr_assert_eq(sn_ring_used(&r), 8);
    cr_assert_eq(sn_ring_space(&r), 0);
    char out[9] = {0};
    sn_ring_get(&r, buf, 0, out, 8);
    cr_assert_str_eq(out, "abcdefgh");
    sn_ring_consume(&r, 3);
    cr_assert_eq(sn_ring_used(&r), 5);
    cr_assert_eq(sn_ring_space(&r), 3);
    sn_ring_put(&r, buf, "XYZ", 3, 0);
    sn_ring_publish(&r, 3);
    memset(out, 0, sizeof out);
    sn_ring_get(&r, buf, 0, out, 8);
    cr_assert_str_eq(out, "defghXYZ");
}

Test(core_ring, peek_with_skip_does_not_consume)
{
    sn_ring r;
    uint8_t buf[16];
    ring_init(&r, 16, UINT32_MAX - 3);     /* position 12 */
    sn_ring_put(&r, buf, "ABCDEFGHIJ", 10, 0);
    sn_ring_publish(&r, 10);

    char out[11] = {0};
    sn_ring_get(&r, buf, 0, out, 4);
    cr_assert_str_eq(out, "ABCD");
    cr_assert_eq(sn_ring_used(&r), 10, "a get alone must not consume");

    memset(out, 0, sizeof out);
    sn_ring_get(&r, buf, 2, out, 5);       /* skip across the buffer end */
    cr_assert_str_eq(out, "CDEFG");
    memset(out, 0, sizeof out);
    sn_ring_get(&r, buf, 6, out, 4);
    cr_assert_str_eq(out, "GHIJ");
    cr_assert_eq(sn_ring_used(&r), 10);

    sn_ring_consume(&r, 6);
    memset(out, 0, sizeof out);
    sn_ring_get(&r, buf, 0, out, 4);
    cr_assert_str_eq(out, "GHIJ");
    cr_assert_eq(sn_ring_used(&r), 4);
}

Test(core_ring, record_put_at_offset_appears_whole_on_publish)
{
    /* dgram.c writes a header at 0 and a payload at `at`, then publishes
     * both at once. */
    sn_ring r;
    uint8_t buf[32];
    ring_init(&r, 32, UINT32_MAX - 10);    /* position 21 */
    uint32_t hdr = 0xA1B2C3D4u;
    sn_ring_put(&r, buf, &hdr, 4, 0);
    sn_ring_put(&r, buf, "payload-bytes", 13, 4);
    cr_assert_eq(sn_ring_used(&r), 0);
    sn_ring_publish(&r, 17);
    cr_assert_eq(sn_ring_used(&r), 17);
    uint32_t h2 = 0;
    char p[14] = {0};
    sn_ring_get(&r, buf, 0, &h2, 4);
    sn_ring_get(&r, buf, 4, p, 13);
    cr_assert_eq(h2, hdr);
    cr_assert_str_eq(p, "payload-bytes");
}

/* Deterministic pseudo-random numbers (no libc rand state). */
static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

Test(core_ring, random_traffic_matches_a_model_across_2_pow_32)
{
    /* Many puts and gets of random sizes, starting 1000 bytes below the
     * 32-bit wrap, checked against the byte stream that went in. */
    enum { CAP = 64 };
    sn_ring r;
    uint8_t buf[CAP];
    ring_init(&r, CAP, UINT32_MAX - 1000);
    uint32_t seed = 12345, wrote = 0, read = 0;
    uint8_t src[CAP], dst[CAP];
    bool wrapped = false;
    for (int it = 0; it < 20000; it++) {
        uint32_t space = sn_ring_space(&r);
        uint32_t n = lcg(&seed) % (CAP + 1);
        if (n > space)
            n = space;
        for (uint32_t i = 0; i < n; i++)
            src[i] = (uint8_t)((wrote + i) * 7 + 3);
        sn_ring_put(&r, buf, src, n, 0);
        sn_ring_publish(&r, n);
        wrote += n;
        cr_assert_eq(sn_ring_used(&r), wrote - read);
        cr_assert_eq(sn_ring_used(&r) + sn_ring_space(&r), CAP);

        uint32_t used = sn_ring_used(&r);
        uint32_t m = lcg(&seed) % (CAP + 1);
        if (m > used)
            m = used;
        sn_ring_get(&r, buf, 0, dst, m);
        for (uint32_t i = 0; i < m; i++)
            cr_assert_eq(dst[i], (uint8_t)((read + i) * 7 + 3),
                         "byte %u of the stream", read + i);
        sn_ring_consume(&r, m);
        read += m;
        if (atomic_load(&r.in) < 1000)
            wrapped = true;
    }
    cr_assert(wrapped, "the test never crossed the 2^32 boundary");
    cr_assert_gt(read, 100000u);
}

/* ---- iovec cursor ---- */

Test(core_iov, total_and_cursor_over_uneven_iovecs)
{
    char a[3], b[1], c[5];
    struct iovec v[4] = {{a, 3}, {NULL, 0}, {b, 1}, {c, 5}};
    cr_assert_eq(sn_iov_total(v, 4), 9);
    sn_iovc cur;
    sn_iovc_init(&cur, v, 4);
    cr_assert_eq(sn_iovc_write(&cur, "hello", 5), 5);
    cr_assert_eq(cur.i, 3, "cursor entry %d", cur.i);
    cr_assert_eq(cur.off, 1);
    cr_assert_eq(sn_iovc_write(&cur, "WORLD!!", 7), 4, "short at the end");
    cr_assert_eq(cur.i, 4);
    cr_assert_eq(sn_iovc_write(&cur, "x", 1), 0);
    cr_assert_arr_eq(a, "hel", 3);
    cr_assert_arr_eq(b, "l", 1);
    cr_assert_arr_eq(c, "oWORL", 5);

    char out[16] = {0};
    sn_iovc_init(&cur, v, 4);
    cr_assert_eq(sn_iovc_skip(&cur, 2), 2);
    cr_assert_eq(sn_iovc_read(&cur, out, 100), 7);
    cr_assert_str_eq(out, "lloWORL");   /* a[2], b, then all of c */
}

Test(core_iov, ring_with_many_small_iovecs_across_the_end)
{
    /* 200 iovecs of 0..6 bytes go in; a different set of 150 iovecs of
     * 0..9 bytes comes out; the ring (cap 256) wraps several times and its
     * indices cross 2^32. */
    enum { NIN = 200, NOUT = 150, CAP = 256 };
    static uint8_t srcmem[NIN * 6], dstmem[NOUT * 9];
    struct iovec in[NIN], out[NOUT];
    size_t tin = 0, tout = 0;
    for (int i = 0; i < NIN; i++) {
        in[i].iov_base = srcmem + tin;
        in[i].iov_len = (size_t)(i * 5 % 7);
        tin += in[i].iov_len;
    }
    for (size_t i = 0; i < tin; i++)
        srcmem[i] = (uint8_t)(i * 13 + 1);
    for (int i = 0; i < NOUT; i++) {
        out[i].iov_base = dstmem + tout;
        out[i].iov_len = (size_t)(i * 7 % 10);
        tout += out[i].iov_len;
    }
    cr_assert_geq(tout, tin, "test setup: output iovecs too small");
    cr_assert_eq(sn_iov_total(in, NIN), tin);

    sn_ring r;
    uint8_t buf[CAP];
    ring_init(&r, CAP, UINT32_MAX - 100);
    sn_iovc src, dst;
    sn_iovc_init(&src, in, NIN);
    sn_iovc_init(&dst, out, NOUT);
    size_t moved_in = 0, moved_out = 0;
    int round = 0;
    while (moved_out < tin) {
        /* Put up to 77 bytes (odd chunks so splits fall mid-iovec). */
        uint32_t n = sn_ring_space(&r);
        if (n > 77)
            n = 77;
        if (n > tin - moved_in)
            n = (uint32_t)(tin - moved_in);
        sn_ring_put_iov(&r, buf, &src, n, 0);
        sn_ring_publish(&r, n);
        moved_in += n;
        /* Take up to 53 bytes. */
        uint32_t m = sn_ring_used(&r);
        if (m > 53)
            m = 53;
        sn_ring_get_iov(&r, buf, 0, &dst, m);
        sn_ring_consume(&r, m);
        moved_out += m;
        cr_assert_lt(++round, 10000, "no progress");
    }
    cr_assert_eq(moved_in, tin);
    cr_assert_arr_eq(dstmem, srcmem, tin);
    cr_assert_eq(sn_ring_used(&r), 0);
    cr_assert_lt(atomic_load(&r.in), 100000u, "indices did not wrap");
}

/* sn_ring_shift (netem's reorder, core/dgram.c): bytes move towards `in`
 * by `by`, from every start position in a small ring, across its end and
 * the indices' wrap, leaving a gap that sn_ring_put fills at `in` minus
 * the moved length. */
Test(core_ring, shift_opens_a_gap_anywhere)
{
    for (uint32_t pos = 0; pos < 16; pos++)
        for (uint32_t len = 0; len <= 10; len++) {
            sn_ring r;
            uint8_t buf[16];
            memset(buf, '.', sizeof buf);
            ring_init(&r, 16, UINT32_MAX - 7 + pos);
            sn_ring_put(&r, buf, "ab", 2, 0);
            sn_ring_put(&r, buf, "0123456789", len, 2);
            sn_ring_publish(&r, 2 + len);
            sn_ring_shift(&r, buf, 2, len, 3);
            sn_ring_put(&r, buf, "XYZ", 3, 0u - len);
            sn_ring_publish(&r, 3);
            char got[16] = {0}, want[16] = {0};
            sn_ring_get(&r, buf, 0, got, 5 + len);
            snprintf(want, sizeof want, "abXYZ%.*s", (int)len, "0123456789");
            cr_assert_str_eq(got, want, "start %u, %u bytes moved", pos, len);
        }
}
