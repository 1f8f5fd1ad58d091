/* Unit tests of netem's random models on links (core/netem.c, their use
 * in core/links.c and the reorder of datagrams in core/dgram.c):
 * correlation lengthens runs, the jitter's distributions have the spread
 * and mean they should (generous bounds), the same seed gives the same
 * sequence, a reordered datagram overtakes delayed ones and never a
 * stream's bytes.  Apart from tests/test_core_links.c to keep both files
 * short; the same fixture and helpers. */
#include <criterion/criterion.h>
#include <math.h>
#include <poll.h>

#include "core/links.h"
#include "core/netem.h"
#include "tests/test_core_links_util.h"

TC_ARENA_FIXTURE(A)

TestSuite(core_netem, .init = setup, .fini = teardown, .timeout = 20);

/* ---- correlation ---- */

/* The mean length of runs of equal outcomes among n. */
static double mean_run(const bool *x, int n)
{
    int runs = 1;
    for (int i = 1; i < n; i++)
        runs += x[i] != x[i - 1];
    return (double)n / runs;
}

enum { N = 20000 };

/* n losses (or duplicates) of a 50% link with correlation rho, seed 5. */
static void draws(bool dup, int64_t rho, bool *x, int n)
{
    sn_net_set_seed(&A, 5, true);
    sn_link_set c = SN_LINK_SET_NONE;
    *(dup ? &c.dup_ppm : &c.loss_ppm) = 500000;
    *(dup ? &c.dup_corr : &c.loss_corr) = rho;
    tc_link(&A, 1, 2, &c);
    for (int i = 0; i < n; i++)
        x[i] = dup ? sn_links_dup(&A, 1, 2) : sn_links_drop(&A, 1, 2);
}

Test(core_netem, correlation_lengthens_runs)
{
    tc_on(&A, "app");
    tc_on(&A, "db");
    static bool x0[N], x9[N];
    for (int dup = 0; dup < 2; dup++) {
        draws(dup, 0, x0, N);
        draws(dup, 900000, x9, N);
        double r0 = mean_run(x0, N), r9 = mean_run(x9, N);
        cr_expect(r0 > 1.8 && r0 < 2.2, "uncorrelated runs of %.2f", r0);
        cr_expect(r9 > 2 * r0, "90%% correlation: runs of %.2f, uncorrelated %.2f", r9, r0);
        int hits = 0;
        for (int i = 0; i < N; i++)
            hits += x9[i];
        /* netem's values bunch around the middle: 50% stays about 50%. */
        cr_expect(hits > N * 35 / 100 && hits < N * 65 / 100, "%d of %d", hits, N);
    }
}

Test(core_netem, netem_generator)
{
    sn_corr c = {.rho = 0, .last = 7};
    cr_expect_eq(sn_netem_next(&c, 12345), 12345, "no correlation: the fresh draw");
    c.rho = 1000000;
    cr_expect_eq(sn_netem_next(&c, 12345), 7, "100%%: the last value for good");
    c = (sn_corr){.rho = 500000, .last = 0};
    uint32_t v = sn_netem_next(&c, 1000000);
    cr_expect(v >= 499999 && v <= 500001, "half of each: %u", v);
    cr_expect_eq(c.last, v);
    cr_expect_eq(sn_netem_ppm32(1000000), UINT32_MAX);
    cr_expect_eq(sn_netem_ppm32(0), 0);
}

/* ---- the jitter ---- */

/* n delays (ns) of a datagram link with delay 100 ms, jitter j, the
 * delay correlation rho and distribution dist, under seed 9. */
static void delays(int64_t j, int64_t rho, int dist, double *d, int n)
{
    sn_net_set_seed(&A, 9, true);
    sn_link_set c = SN_LINK_SET_NONE;
    c.delay_ns = 100000000;
    c.jitter_ns = j;
    c.delay_corr = rho;
    c.dist = dist;
    tc_link(&A, 1, 2, &c);
    int64_t now = 1000000000000;
    for (int i = 0; i < n; i++)
        d[i] = (double)(sn_links_due(&A, 1, 2, 100, false, now) - now);
}

static void stats(const double *d, int n, double *mean, double *sd, double *lo, double *hi)
{
    double s = 0, s2 = 0;
    *lo = *hi = d[0];
    for (int i = 0; i < n; i++) {
        s += d[i];
        *lo = d[i] < *lo ? d[i] : *lo;
        *hi = d[i] > *hi ? d[i] : *hi;
    }
    *mean = s / n;
    for (int i = 0; i < n; i++)
        s2 += (d[i] - *mean) * (d[i] - *mean);
    *sd = sqrt(s2 / n);
}

#define MS 1e6

Test(core_netem, distributions)
{
    tc_on(&A, "app");
    tc_on(&A, "db");
    static double d[N];
    double mean, sd, lo, hi, J = 10 * MS;
    struct {
        int dist;
        double sd_lo, sd_hi, lo, hi;      /* spread, range: multiples of J */
    } want[] = {
        {SN_DIST_UNIFORM, 0.50, 0.65, -1.0, 1.0},     /* sd 1/sqrt(3) */
        {SN_DIST_NORMAL, 0.85, 1.15, -4.0, 4.0},      /* sd 1 */
        {SN_DIST_PARETO, 0.70, 1.40, -0.67, 4.0},     /* a long tail up */
        {SN_DIST_PARETONORMAL, 0.55, 1.30, -4.0, 4.0},
    };
    for (size_t k = 0; k < sizeof want / sizeof *want; k++) {
        delays((int64_t)J, 0, want[k].dist, d, N);
        stats(d, N, &mean, &sd, &lo, &hi);
        const char *name = sn_net_dist_name(want[k].dist);
        cr_expect(fabs(mean - 100 * MS) < 0.1 * J, "%s: mean %.2f ms", name, mean / MS);
        cr_expect(sd > want[k].sd_lo * J && sd < want[k].sd_hi * J, "%s: sd %.2f ms", name,
                  sd / MS);
        cr_expect(lo >= 100 * MS + want[k].lo * J - 1 && hi <= 100 * MS + want[k].hi * J + 1,
                  "%s: from %.2f to %.2f ms", name, lo / MS, hi / MS);
    }
    /* Pareto leans: most delays below the mean, a few far above. */
    delays((int64_t)J, 0, SN_DIST_PARETO, d, N);
    int below = 0;
    for (int i = 0; i < N; i++)
        below += d[i] < 100 * MS;
    cr_expect(below > N * 55 / 100, "pareto: %d of %d below the mean", below, N);
}

Test(core_netem, quantiles)
{
    cr_expect(fabs(sn_netem_quantile(SN_DIST_NORMAL, 0.5)) < 1e-6);
    cr_expect(fabs(sn_netem_quantile(SN_DIST_NORMAL, 0.841344746) - 1) < 1e-4);
    cr_expect(fabs(sn_netem_quantile(SN_DIST_NORMAL, 0.022750132) + 2) < 1e-4);
    cr_expect_eq(sn_netem_quantile(SN_DIST_NORMAL, 1e-12), -4.0, "netem's tables end at -4");
    cr_expect(fabs(sn_netem_quantile(SN_DIST_PARETO, 0) + 2.0 / 3) < 1e-9);
    cr_expect(sn_netem_quantile(SN_DIST_PARETO, 1 - 1e-9) < 4.0);
    cr_expect(fabs(sn_netem_quantile(SN_DIST_UNIFORM, 0.75) - 0.5) < 1e-12);
}

Test(core_netem, delay_correlation)
{
    tc_on(&A, "app");
    tc_on(&A, "db");
    static double d0[N], d9[N];
    delays((int64_t)(10 * MS), 0, SN_DIST_UNIFORM, d0, N);
    delays((int64_t)(10 * MS), 900000, SN_DIST_UNIFORM, d9, N);
    double s0 = 0, s9 = 0;
    for (int i = 1; i < N; i++) {
        s0 += fabs(d0[i] - d0[i - 1]);
        s9 += fabs(d9[i] - d9[i - 1]);
    }
    cr_expect(s9 < s0 / 3, "90%% correlation: steps of %.2f ms, uncorrelated %.2f ms",
              s9 / N / MS, s0 / N / MS);
}

/* ---- the same seed, the same sequence ---- */

Test(core_netem, seeded_sequences)
{
    tc_on(&A, "app");
    tc_on(&A, "db");
    static double a[N], b[N];
    delays((int64_t)(10 * MS), 250000, SN_DIST_PARETONORMAL, a, N);
    delays((int64_t)(10 * MS), 250000, SN_DIST_PARETONORMAL, b, N);
    cr_expect(memcmp(a, b, sizeof a) == 0, "same seed, other delays");
    static bool x[N], y[N], z[N];
    draws(false, 500000, x, N);
    draws(false, 500000, y, N);
    cr_expect(memcmp(x, y, sizeof x) == 0, "same seed, other correlated losses");
    sn_link_set r = SN_LINK_SET_NONE;
    r.delay_ns = 100 * (int64_t)MS;
    r.reorder_ppm = 300000;
    r.reorder_corr = 250000;
    r.gap = 2;
    tc_link(&A, 1, 2, &r);
    bool *runs[] = {x, y, z};
    for (int k = 0; k < 3; k++) {
        sn_net_set_seed(&A, k < 2 ? 11 : 12, true);
        for (int i = 0; i < N; i++)
            runs[k][i] = sn_links_reorder(&A, 1, 2);
    }
    cr_expect(memcmp(x, y, sizeof x) == 0, "same seed, other datagrams reordered");
    cr_expect(memcmp(x, z, sizeof x) != 0, "two seeds, the same datagrams reordered");
    int n = 0;
    for (int i = 0; i < N; i++)
        n += x[i];
    /* Half the datagrams may go (gap 2), 30% of those do, about. */
    cr_expect(n > N * 10 / 100 && n < N * 25 / 100, "%d of %d reordered", n, N);
}

/* Slices open when a reader gets to them: drawing them must not move the
 * losses of the same rule (issue 14 review: "same seed, same drops"). */
Test(core_netem, slices_leave_the_losses_alone)
{
    tc_on(&A, "app");
    tc_on(&A, "db");
    static bool x[N], y[N];
    sn_link_set c = SN_LINK_SET_NONE;
    c.loss_ppm = 500000;
    c.slice_size = 100;
    c.slice_var = 50;
    tc_link(&A, 1, 2, &c);
    sn_link *l = sn_links_slicer(&A, 1, 2);
    cr_assert(l);
    uint32_t s1[16], s2[16];
    for (int k = 0; k < 2; k++) {
        sn_net_set_seed(&A, 9, true);
        for (int i = 0; i < N; i++) {
            if (k == 1 && i % 7 == 0)    /* a reader opens a slice */
                (void)sn_links_slice(l);
            (k ? y : x)[i] = sn_links_drop(&A, 1, 2);
        }
        sn_net_set_seed(&A, 9, true);
        for (int i = 0; i < 16; i++)
            (k ? s2 : s1)[i] = sn_links_slice(l);
    }
    cr_expect(memcmp(x, y, sizeof x) == 0, "slices moved the drops");
    cr_expect(memcmp(s1, s2, sizeof s1) == 0, "same seed, other slices");
}

/* ---- reorder ---- */

/* Datagram socket u on host "db" bound to 5353, v on host "app": *x and
 * *y their hosts. */
static void dgram_pair(int *u, int *v, int *x, int *y)
{
    *x = tc_on(&A, "db");
    *u = sn_sock_create(&A, AF_INET, SOCK_DGRAM, 0);
    cr_assert_eq(tc_bind4(&A, *u, "0.0.0.0", 5353), 0);
    *y = tc_on(&A, "app");
    *v = sn_sock_create(&A, AF_INET, SOCK_DGRAM, 0);
}

static void reorder(int src, int dst, int64_t delay, int64_t ppm, int64_t gap)
{
    sn_link_set c = SN_LINK_SET_NONE;
    c.delay_ns = delay;
    c.reorder_ppm = ppm;
    c.reorder_corr = 0;
    c.gap = gap;
    tc_link(&A, src, dst, &c);
}

Test(core_netem, reorder_overtakes_delayed_datagrams)
{
    int u, v, x, y;
    dgram_pair(&u, &v, &x, &y);
    reorder(y, x, 300 * (int64_t)MS, 1000000, 3);  /* every third goes at once */
    for (int i = 0; i < 9; i++) {
        char b[8];
        int n = snprintf(b, sizeof b, "%d", i);
        cr_assert_eq(tc_sendto4(&A, v, b, (size_t)n, "127.100.0.1", 5353), n);
    }
    char buf[16];
    cr_expect(sn_sock_poll(&A, u) & POLLIN, "the first to go at once is readable");
    cr_expect_eq(sn_sock_inq(&A, u), 1, "FIONREAD: its size");
    const char *first[] = {"2", "5", "8"};
    for (int i = 0; i < 3; i++) {
        ssize_t r = tc_recv(&A, u, buf, sizeof buf, MSG_DONTWAIT, NULL);
        cr_assert_eq(r, 1, "datagram %d ahead: %zd", i, r);
        cr_expect(buf[0] == first[i][0], "got %c, not %s", buf[0], first[i]);
    }
    cr_expect_eq(tc_recv(&A, u, buf, sizeof buf, MSG_DONTWAIT, NULL), -EAGAIN,
                 "the others are still delayed");
    cr_expect(!(sn_sock_poll(&A, u) & POLLIN));
    cr_expect_gt(sn_sock_due(&A, u), 0, "no timer for the delayed ones");
    tc_sleep_ms(350);
    const char *rest = "013467";
    for (int i = 0; rest[i]; i++) {
        cr_assert_eq(tc_recv(&A, u, buf, sizeof buf, MSG_DONTWAIT, NULL), 1);
        cr_expect_eq(buf[0], rest[i], "then in order: %c, not %c", buf[0], rest[i]);
    }
    cr_expect_eq(tc_recv(&A, u, buf, sizeof buf, MSG_DONTWAIT, NULL), -EAGAIN);
    char line[256];
    cr_expect_eq(sn_net_link_text(&A, 0, line, sizeof line), 1);
    cr_expect_str_eq(line, "app -> db delay 300ms reorder 100% gap 3");
}

/* Many rounds of 1000-byte datagrams, a few of them ahead: the ring
 * wraps, records move across its end, and every one arrives whole, the
 * ones ahead first (each kind in the order sent). */
Test(core_netem, reorder_across_the_ring_end)
{
    int u, v, x, y;
    dgram_pair(&u, &v, &x, &y);
    reorder(y, x, 100 * (int64_t)MS, 1000000, 4);
    static unsigned char b[1000], got[1000];
    int seq = 0;
    for (int round = 0; round < 8; round++) {
        int first = seq;
        for (int i = 0; i < 40; i++, seq++) {
            memset(b, seq & 0xff, sizeof b);
            cr_assert_eq(tc_sendto4(&A, v, b, sizeof b, "127.100.0.1", 5353), 1000);
        }
        int ahead = 0, late = 0, n = 0, last_ahead = -1, last_late = -1;
        for (int tries = 0; n < 40 && tries < 400; tries++) {
            ssize_t r = tc_recv(&A, u, got, sizeof got, MSG_DONTWAIT, NULL);
            if (r == -EAGAIN) {
                tc_sleep_ms(2);
                continue;
            }
            cr_assert_eq(r, 1000);
            int s = got[0];
            for (int k = 1; k < 1000; k++)
                cr_assert_eq(got[k], s, "datagram %d torn at byte %d", s, k);
            int idx = first + (((s - first) & 0xff));     /* this round's number */
            bool is_ahead = idx % 4 == 3;
            cr_expect(is_ahead ? idx > last_ahead : idx > last_late, "%d out of its order", idx);
            *(is_ahead ? &last_ahead : &last_late) = idx;
            cr_expect(!is_ahead || late == 0, "%d ahead came after a delayed one", idx);
            ahead += is_ahead;
            late += !is_ahead;
            n++;
        }
        cr_assert_eq(n, 40, "round %d: %d datagrams", round, n);
        cr_expect_eq(ahead, 10);
    }
}

Test(core_netem, reorder_needs_a_delay_and_spares_streams)
{
    int u, v, x, y;
    dgram_pair(&u, &v, &x, &y);
    reorder(y, x, -1, 1000000, 2);                /* no delay: nothing to overtake */
    char buf[8];
    for (int i = 0; i < 4; i++)
        cr_assert_eq(tc_sendto4(&A, v, "0123" + i, 1, "127.100.0.1", 5353), 1);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(tc_recv(&A, u, buf, sizeof buf, MSG_DONTWAIT, NULL), 1);
        cr_expect_eq(buf[0], '0' + i);
    }
    /* A stream over a delayed, reordering link keeps its order. */
    tc_on(&A, "db");
    int l = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
    cr_assert_eq(tc_bind4(&A, l, "0.0.0.0", 80), 0);
    cr_assert_eq(sn_sock_listen(&A, l, 8), 0);
    tc_on(&A, "app");
    reorder(y, x, 20 * (int64_t)MS, 1000000, 1);
    int c = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
    int r = tc_connect4(&A, c, "127.100.0.1", 80);
    cr_assert(r == 0 || r == -EINPROGRESS);
    sn_addr peer;
    /* The server end shows after the handshake's third packet: 1.5
     * round trips (core/accept.c accept_after). */
    int s = -EAGAIN;
    for (int tries = 0; s == -EAGAIN && tries < 200; tries++) {
        s = sn_sock_accept(&A, l, &peer);
        if (s == -EAGAIN)
            tc_sleep_ms(5);
    }
    cr_assert_geq(s, 0);
    tc_sleep_ms(50);
    for (int i = 0; i < 8; i++)
        cr_assert_eq(tc_send(&A, c, "abcdefgh" + i, 1, 0), 1);
    char got[16] = {0};
    int n = 0;
    for (int tries = 0; n < 8 && tries < 100; tries++) {
        ssize_t k = tc_recv(&A, s, got + n, sizeof got - 1 - (size_t)n, MSG_DONTWAIT, NULL);
        if (k > 0)
            n += (int)k;
        else
            tc_sleep_ms(5);
    }
    cr_expect_str_eq(got, "abcdefgh");
}

/* ---- the rule as listed ---- */

Test(core_netem, listed)
{
    tc_on(&A, "app");
    tc_on(&A, "db");
    sn_link_set c = SN_LINK_SET_NONE;
    c.delay_ns = 100 * (int64_t)MS;
    c.jitter_ns = 10 * (int64_t)MS;
    c.delay_corr = 250000;
    c.dist = SN_DIST_NORMAL;
    c.loss_ppm = 20000;
    c.loss_corr = 250000;
    c.dup_ppm = 10000;
    c.dup_corr = 100000;
    c.reorder_ppm = 250000;
    c.reorder_corr = 500000;
    c.gap = 5;
    tc_link(&A, 1, 2, &c);
    char line[256];
    cr_assert_eq(sn_net_link_text(&A, 0, line, sizeof line), 1);
    cr_expect_str_eq(line, "app -> db delay 100ms jitter 10ms 25% distribution normal "
                           "loss 2% 25% duplicate 1% 10% reorder 25% 50% gap 5");
    sn_link_set clear = SN_LINK_SET_NONE;
    clear.clear = true;
    tc_link(&A, 1, 2, &clear);
    cr_expect_eq(A.hdr->faults, 0, "--clear takes them all away");
    cr_expect_eq(sn_net_link_text(&A, 0, line, sizeof line), 0);
}
