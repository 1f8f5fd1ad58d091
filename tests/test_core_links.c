/* Unit tests of core/links.c, units.c, faults.c and linkctl.c: tc's
 * units, the rules and which one applies, the seeded generator (same
 * seed, same drops; two seeds, different ones), the token bucket, and
 * what partitions and resets do to datagrams, streams and connects.  One
 * process plays every host (core/hosts tests explain how). */
#include <criterion/criterion.h>
#include <netinet/tcp.h>
#include <poll.h>

#include "core/links.h"
#include "tests/test_core_links_util.h"

TC_ARENA_FIXTURE(A)

TestSuite(core_links, .init = setup, .fini = teardown, .timeout = 10);

/* ---- units ---- */

Test(core_links, tc_units)
{
    int64_t ns;
    cr_expect_eq(sn_net_parse_time("50ms", &ns), 0);
    cr_expect_eq(ns, 50000000);
    cr_expect_eq(sn_net_parse_time("1.5s", &ns), 0);
    cr_expect_eq(ns, 1500000000);
    cr_expect_eq(sn_net_parse_time("200", &ns), 0);   /* tc: microseconds */
    cr_expect_eq(ns, 200000);
    const char *bad_t[] = {"", "-5ms", "5 ms", "5xs", "ms", "1e400s", "2h"};
    for (size_t i = 0; i < sizeof bad_t / sizeof *bad_t; i++)
        cr_expect_eq(sn_net_parse_time(bad_t[i], &ns), -EINVAL, "'%s' taken", bad_t[i]);
    uint64_t r;
    cr_expect_eq(sn_net_parse_rate("1mbit", &r), 0);
    cr_expect_eq(r, 125000);
    cr_expect_eq(sn_net_parse_rate("1mbps", &r), 0);
    cr_expect_eq(r, 1000000);
    cr_expect_eq(sn_net_parse_rate("8000", &r), 0);   /* tc: bits per second */
    cr_expect_eq(r, 1000);
    cr_expect_eq(sn_net_parse_rate("1kibps", &r), 0);
    cr_expect_eq(r, 1024);
    cr_expect_eq(sn_net_parse_rate("fast", &r), -EINVAL);
    cr_expect_eq(sn_net_parse_rate("0bit", &r), -EINVAL);
    uint32_t ppm;
    cr_expect_eq(sn_net_parse_percent("2%", &ppm), 0);
    cr_expect_eq(ppm, 20000);
    cr_expect_eq(sn_net_parse_percent("0.5%", &ppm), 0);
    cr_expect_eq(ppm, 5000);
    const char *bad_p[] = {"2", "%", "101%", "-1%", "x%", ""};
    for (size_t i = 0; i < sizeof bad_p / sizeof *bad_p; i++)
        cr_expect_eq(sn_net_parse_percent(bad_p[i], &ppm), -EINVAL, "'%s' taken", bad_p[i]);
}

/* ---- rules ---- */

Test(core_links, no_fault_costs_one_word)
{
    int x = tc_on(&A, "app"), y = tc_on(&A, "db");
    cr_expect_eq(A.hdr->faults, 0);
    tc_loss_cut(&A, x, y, 10000, -1);
    cr_expect_eq(A.hdr->faults, 1);
    sn_link_set clear = SN_LINK_SET_NONE;
    clear.clear = true;
    cr_assert_eq(sn_net_link_set(&A, x, y, &clear), 0);
    cr_expect_eq(A.hdr->faults, 0, "a rule with nothing left still counts");
}

Test(core_links, partition_matches_any_rule)
{
    int x = tc_on(&A, "app"), y = tc_on(&A, "db"), z = tc_on(&A, "cache");
    tc_loss_cut(&A, y, SN_LINK_ANY, -1, 1);               /* db cut from everyone */
    cr_expect(sn_links_cut(&A, y, x));
    cr_expect(sn_links_cut(&A, y, z));
    cr_expect(!sn_links_cut(&A, x, y), "one way only");
    tc_loss_cut(&A, y, x, 500000, -1);                    /* a more specific rule */
    cr_expect(sn_links_cut(&A, y, x), "a specific rule does not undo a cut");
    cr_expect_eq(sn_net_heal(&A, SN_LINK_ANY, SN_LINK_ANY), 1);
    cr_expect(!sn_links_cut(&A, y, z));
}

/* Which of n datagrams a link with `ppm` loss drops, under `seed`. */
static void pattern(uint64_t seed, uint32_t ppm, bool *drops, int n)
{
    sn_net_set_seed(&A, seed, true);
    tc_loss_cut(&A, 1, 2, ppm, -1);
    for (int i = 0; i < n; i++)
        drops[i] = sn_links_drop(&A, 1, 2);
}

Test(core_links, seeded_loss_is_reproducible)
{
    tc_on(&A, "app");
    tc_on(&A, "db");
    enum { N = 2000 };
    static bool a1[N], a2[N], b[N];
    pattern(42, 300000, a1, N);
    pattern(42, 300000, a2, N);
    pattern(43, 300000, b, N);
    cr_expect(memcmp(a1, a2, sizeof a1) == 0, "same seed, other drops");
    cr_expect(memcmp(a1, b, sizeof a1) != 0, "two seeds, same drops");
    int lost = 0;
    for (int i = 0; i < N; i++)
        lost += a1[i];
    cr_expect(lost > N * 25 / 100 && lost < N * 35 / 100, "30%% loss lost %d of %d", lost, N);
}

Test(core_links, token_bucket)
{
    sn_link l = {.rate_Bps = 1000000};        /* 1 MB/s: 1 ms per KB */
    int64_t t = 5000000000;
    cr_expect_eq(sn_links_rate_due(&l, t, 1000), t + 1000000);
    cr_expect_eq(sn_links_rate_due(&l, t, 1000), t + 2000000, "queued behind the first");
    /* Idle for a while: the bucket does not save up. */
    cr_expect_eq(sn_links_rate_due(&l, t + 10000000, 500), t + 10500000);
}

/* ---- datagrams ---- */

Test(core_links, datagrams_cut_and_lost)
{
    int x = tc_on(&A, "app");
    int u = sn_sock_create(&A, AF_INET, SOCK_DGRAM, 0);
    cr_assert_eq(tc_bind4(&A, u, "0.0.0.0", 5353), 0);
    int y = tc_on(&A, "db");
    int v = sn_sock_create(&A, AF_INET, SOCK_DGRAM, 0);
    char buf[8];
    tc_loss_cut(&A, y, x, -1, 1);
    cr_assert_eq(tc_sendto4(&A, v, "hi", 2, "127.100.0.1", 5353), 2, "sent, as Linux");
    cr_expect_eq(tc_recv(&A, u, buf, sizeof buf, 0, NULL), -EAGAIN, "passed a partition");
    cr_expect_eq(sn_net_heal(&A, y, x), 1);
    cr_assert_eq(tc_sendto4(&A, v, "hi", 2, "127.100.0.1", 5353), 2);
    cr_expect_eq(tc_recv(&A, u, buf, sizeof buf, 0, NULL), 2);
    tc_loss_cut(&A, y, x, 1000000, -1);                   /* 100% loss */
    cr_assert_eq(tc_sendto4(&A, v, "hi", 2, "127.100.0.1", 5353), 2);
    cr_expect_eq(tc_recv(&A, u, buf, sizeof buf, 0, NULL), -EAGAIN);
}

/* ---- streams ---- */

Test(core_links, partition_holds_stream_until_heal)
{
    int c, s;
    tc_connected(&A, "db", "app", &c, &s);
    char buf[16];
    cr_assert_eq(tc_send(&A, c, "before", 6, 0), 6);
    tc_loss_cut(&A, 2, 1, -1, 1);                         /* app -> db cut */
    cr_assert_eq(tc_send(&A, c, "after", 5, 0), 5, "Linux queues it");
    cr_expect_eq(tc_recv(&A, s, buf, sizeof buf, MSG_DONTWAIT, NULL), 6, "sent before the cut");
    cr_expect_eq(tc_recv(&A, s, buf, sizeof buf, MSG_DONTWAIT, NULL), -EAGAIN, "held");
    cr_expect_eq(sn_sock_inq(&A, s), 0);
    cr_expect(!(sn_sock_poll(&A, s) & POLLIN));
    sn_sock_shutdown(&A, c, SHUT_WR);
    cr_expect_eq(tc_recv(&A, s, buf, sizeof buf, MSG_DONTWAIT, NULL), -EAGAIN,
                 "a FIN does not overtake held bytes");
    cr_expect_eq(sn_net_heal(&A, SN_LINK_ANY, SN_LINK_ANY), 1);
    cr_expect_eq(tc_recv(&A, s, buf, sizeof buf, MSG_DONTWAIT, NULL), 5);
    cr_expect(memcmp(buf, "after", 5) == 0);
    cr_expect_eq(tc_recv(&A, s, buf, sizeof buf, MSG_DONTWAIT, NULL), 0, "then EOF");
}

Test(core_links, user_timeout_under_partition)
{
    int c, s;
    tc_connected(&A, "db", "app", &c, &s);
    int ms = 50;
    cr_assert_eq(sn_sock_setopt(&A, c, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof ms), 0);
    tc_loss_cut(&A, 2, 1, -1, 1);
    cr_assert_eq(tc_send(&A, c, "x", 1, 0), 1);
    int64_t due = sn_sock_due(&A, c);
    cr_expect_gt(due, 0, "no timer for the held data");
    char buf[4];
    cr_expect_eq(tc_recv(&A, c, buf, sizeof buf, MSG_DONTWAIT, NULL), -EAGAIN, "too early");
    struct timespec t = {0, 80 * 1000000};
    nanosleep(&t, NULL);
    cr_expect_eq(tc_recv(&A, c, buf, sizeof buf, MSG_DONTWAIT, NULL), -ETIMEDOUT);
    cr_expect_eq(tc_send(&A, c, "x", 1, 0), -EPIPE);
}

/* Host db (127.100.0.1) with a listener on port 80: its slot. */
static int db_listener(void)
{
    tc_on(&A, "db");
    int l = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
    cr_assert_eq(tc_bind4(&A, l, "0.0.0.0", 80), 0);
    cr_assert_eq(sn_sock_listen(&A, l, 8), 0);
    return l;
}

Test(core_links, connect_waits_for_heal)
{
    db_listener();
    int x = tc_on(&A, "app");
    tc_loss_cut(&A, x, 1, -1, 1);
    int c = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
    cr_expect_eq(tc_connect4(&A, c, "127.100.0.1", 80), -EINPROGRESS);
    cr_expect_eq(sn_sock_connect_result(&A, c), -EAGAIN, "neither connected nor refused");
    int d = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
    cr_expect_eq(tc_connect4(&A, d, "127.100.0.1", 81), -EINPROGRESS, "not refused");
    sn_net_heal(&A, SN_LINK_ANY, SN_LINK_ANY);
    /* then at the next SYN: held_connect_goes_on_at_the_next_syn */
}

Test(core_links, connect_waits_when_only_the_answer_is_cut)
{
    int l = db_listener();
    int x = tc_on(&A, "app");
    tc_loss_cut(&A, 1, x, -1, 1);             /* db -> app only: the SYN-ACK is lost */
    int c = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
    cr_expect_eq(tc_connect4(&A, c, "127.100.0.1", 80), -EINPROGRESS);
    cr_expect_eq(sn_sock_connect_result(&A, c), -EAGAIN, "neither connected nor refused");
    sn_addr peer;
    cr_expect_eq(sn_sock_accept(&A, l, &peer), -EAGAIN, "no handshake completed");
}

Test(core_links, reset_both_ends)
{
    int c, s;
    tc_connected(&A, "db", "app", &c, &s);
    int c2, s2;
    tc_connected(&A, "cache", "app", &c2, &s2);     /* not between app and db */
    cr_expect_eq(sn_net_reset(&A, 1, 2), 1);
    char buf[4];
    cr_expect_eq(tc_recv(&A, c, buf, sizeof buf, MSG_DONTWAIT, NULL), -ECONNRESET);
    cr_expect_eq(tc_recv(&A, s, buf, sizeof buf, MSG_DONTWAIT, NULL), -ECONNRESET);
    cr_expect_eq(tc_send(&A, c2, "ok", 2, 0), 2);
    cr_expect_eq(tc_recv(&A, s2, buf, sizeof buf, MSG_DONTWAIT, NULL), 2);
}

/* ---- delay and rate ---- */

static void link_timed(int src, int dst, int64_t delay, int64_t jitter, int64_t rate)
{
    sn_link_set c = SN_LINK_SET_NONE;
    c.delay_ns = delay;
    c.jitter_ns = jitter;
    c.rate_Bps = rate;
    cr_assert_eq(sn_net_link_set(&A, src, dst, &c), 0);
}

Test(core_links, stream_delay_keeps_order)
{
    int c, s;
    tc_connected(&A, "db", "app", &c, &s);
    link_timed(2, 1, 40000000, 30000000, -1);     /* 40 ms +- 30 ms */
    char buf[64];
    for (int i = 0; i < 20; i++)
        cr_assert_eq(tc_send(&A, c, buf, 1, 0) , 1);
    cr_expect_eq(tc_recv(&A, s, buf, sizeof buf, MSG_DONTWAIT, NULL), -EAGAIN, "not due yet");
    cr_expect(!(sn_sock_poll(&A, s) & POLLIN));
    int64_t due = sn_sock_due(&A, s);
    cr_expect(due > tc_mono_ns() && due < tc_mono_ns() + 80000000, "due in %lld ns",
              (long long)(due - tc_mono_ns()));
    tc_sleep_ms(100);
    cr_expect(sn_sock_poll(&A, s) & POLLIN);
    cr_expect_eq(tc_recv(&A, s, buf, sizeof buf, MSG_DONTWAIT, NULL), 20, "all of it, in order");
    cr_expect_eq(sn_sock_due(&A, s), 0, "nothing left to wait for");
}

Test(core_links, connect_takes_a_round_trip)
{
    db_listener();
    tc_on(&A, "app");
    link_timed(SN_LINK_ANY, SN_LINK_ANY, 30000000, -1, -1);
    int c = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
    int64_t t0 = tc_mono_ns();
    cr_expect_eq(tc_connect4(&A, c, "127.100.0.1", 80), -EINPROGRESS);
    cr_expect_eq(sn_sock_connect_result(&A, c), -EAGAIN);
    cr_expect(!(sn_sock_poll(&A, c) & POLLOUT), "writable before the SYN-ACK");
    int64_t due = sn_sock_due(&A, c);
    cr_expect(due - t0 >= 60000000 && due - t0 < 80000000, "round trip %lld ns",
              (long long)(due - t0));
    tc_sleep_ms(70);
    cr_expect_eq(sn_sock_connect_result(&A, c), 0);
    cr_expect(sn_sock_poll(&A, c) & POLLOUT);
}

Test(core_links, datagram_rate)
{
    int x = tc_on(&A, "app");
    int u = sn_sock_create(&A, AF_INET, SOCK_DGRAM, 0);
    cr_assert_eq(tc_bind4(&A, u, "0.0.0.0", 5353), 0);
    int y = tc_on(&A, "db");
    int v = sn_sock_create(&A, AF_INET, SOCK_DGRAM, 0);
    link_timed(y, x, -1, -1, 100000);             /* 100 kB/s */
    static char big[1000];
    for (int i = 0; i < 5; i++)                   /* 5 kB: 50 ms */
        cr_assert_eq(tc_sendto4(&A, v, big, sizeof big, "127.100.0.1", 5353), 1000);
    int64_t t0 = tc_mono_ns(), due;
    char buf[2000];
    int got = 0;
    while (got < 5 && tc_mono_ns() - t0 < 1000000000) {
        if (tc_recv(&A, u, buf, sizeof buf, MSG_DONTWAIT, NULL) == 1000)
            got++;
        else if ((due = sn_sock_due(&A, u)))
            tc_sleep_ms(1);
    }
    cr_expect_eq(got, 5);
    int64_t took = tc_mono_ns() - t0;
    cr_expect(took >= 40000000, "5 kB at 100 kB/s took %lld ms", (long long)(took / 1000000));
}

/* ---- Gilbert-Elliott and duplication ---- */

Test(core_links, gilbert_elliott_bursts)
{
    tc_on(&A, "app");
    tc_on(&A, "db");
    sn_net_set_seed(&A, 3, true);
    sn_link_set c = SN_LINK_SET_NONE;
    int64_t ge[4] = {10000, 200000, 1000000, 0};  /* p 1%, r 20%: bursts of ~5 */
    memcpy(c.ge, ge, sizeof ge);
    cr_assert_eq(sn_net_link_set(&A, 1, 2, &c), 0);
    int lost = 0, bursts = 0;
    bool prev = false;
    for (int i = 0; i < 20000; i++) {
        bool d = sn_links_drop(&A, 1, 2);
        lost += d;
        bursts += d && !prev;
        prev = d;
    }
    /* Stationary loss p / (p + r) = 1/21, about 950 of 20000. */
    cr_expect(lost > 500 && lost < 1500, "lost %d", lost);
    cr_expect(bursts > 0 && lost / bursts >= 3, "%d lost in %d bursts: not bursty", lost, bursts);
    char line[200];
    cr_expect_eq(sn_net_link_text(&A, 0, line, sizeof line), 1);
    cr_expect_str_eq(line, "app -> db loss gemodel 1% 20% 100% 0%");
}

Test(core_links, duplicate_datagrams)
{
    int x = tc_on(&A, "app");
    int u = sn_sock_create(&A, AF_INET, SOCK_DGRAM, 0);
    cr_assert_eq(tc_bind4(&A, u, "0.0.0.0", 5353), 0);
    int y = tc_on(&A, "db");
    int v = sn_sock_create(&A, AF_INET, SOCK_DGRAM, 0);
    sn_link_set c = SN_LINK_SET_NONE;
    c.dup_ppm = 1000000;
    cr_assert_eq(sn_net_link_set(&A, y, x, &c), 0);
    cr_assert_eq(tc_sendto4(&A, v, "hi", 2, "127.100.0.1", 5353), 2);
    char buf[8];
    cr_expect_eq(tc_recv(&A, u, buf, sizeof buf, 0, NULL), 2);
    cr_expect_eq(tc_recv(&A, u, buf, sizeof buf, 0, NULL), 2, "no duplicate");
    cr_expect_eq(tc_recv(&A, u, buf, sizeof buf, 0, NULL), -EAGAIN);
}

/* ---- Toxiproxy's application faults ---- */

static void link_app(int src, int dst, int refuse, int64_t limit)
{
    sn_link_set c = SN_LINK_SET_NONE;
    c.refuse = refuse;
    c.limit_data = limit;
    cr_assert_eq(sn_net_link_set(&A, src, dst, &c), 0);
}

Test(core_links, refuse_new_connections_only)
{
    int c, s;
    tc_connected(&A, "db", "app", &c, &s);           /* db 1, app 2 */
    link_app(2, 1, 1, -1);
    cr_expect_eq(A.hdr->faults, 1);
    cr_expect(sn_links_refused(&A, 2, 1));
    cr_expect(!sn_links_refused(&A, 1, 2), "one way");
    int d = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
    cr_expect_eq(tc_connect4(&A, d, "127.100.0.1", 80), -ECONNREFUSED, "a listener is there");
    char buf[8];
    cr_expect_eq(tc_send(&A, c, "still", 5, 0), 5, "established: unaffected");
    cr_expect_eq(tc_recv(&A, s, buf, sizeof buf, MSG_DONTWAIT, NULL), 5);
    tc_on(&A, "db");
    int u = sn_sock_create(&A, AF_INET, SOCK_DGRAM, 0);
    cr_assert_eq(tc_bind4(&A, u, "0.0.0.0", 5353), 0);
    tc_on(&A, "app");
    int v = sn_sock_create(&A, AF_INET, SOCK_DGRAM, 0);
    cr_assert_eq(tc_sendto4(&A, v, "hi", 2, "127.100.0.1", 5353), 2);
    cr_expect_eq(tc_recv(&A, u, buf, sizeof buf, MSG_DONTWAIT, NULL), 2, "UDP unaffected");
    link_app(2, 1, 0, -1);
    cr_expect_eq(A.hdr->faults, 0);
    int e = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
    cr_expect_eq(tc_connect4(&A, e, "127.100.0.1", 80), 0, "accepted again");
}

Test(core_links, limit_data_cuts_with_a_reset)
{
    int c, s;
    tc_connected(&A, "db", "app", &c, &s);
    cr_assert_eq(tc_send(&A, c, "0123", 4, 0), 4);
    link_app(2, 1, -1, 10);                   /* 10 bytes app -> db, counting from the start */
    cr_expect_eq(sn_links_limit(&A, 2, 1), 10);
    cr_expect_eq(sn_links_limit(&A, 1, 2), 0, "one way");
    cr_expect_eq(tc_send(&A, s, "back", 4, 0), 4, "the other way has no limit");
    cr_expect_eq(tc_send(&A, c, "456789abcd", 10, 0), 6, "up to the limit");
    cr_expect_eq(tc_send(&A, c, "x", 1, 0), -ECONNRESET);
    char buf[32];
    cr_expect_eq(tc_recv(&A, s, buf, sizeof buf, MSG_DONTWAIT, NULL), 10, "what passed arrives");
    cr_expect(memcmp(buf, "0123456789", 10) == 0);
    cr_expect_eq(tc_recv(&A, s, buf, sizeof buf, MSG_DONTWAIT, NULL), -ECONNRESET, "then the reset");
    sn_link_set clear = SN_LINK_SET_NONE;
    clear.clear = true;
    cr_assert_eq(sn_net_link_set(&A, 2, 1, &clear), 0);
    cr_expect_eq(A.hdr->faults, 0, "--clear takes refuse and limit-data away");
    char line[128];
    link_app(2, 1, 1, 4096);
    cr_assert_eq(sn_net_link_text(&A, 0, line, sizeof line), 1);
    cr_expect_str_eq(line, "app -> db refuse limit-data 4096");
}

/* ---- per port; Toxiproxy's slicer and slow close ---- */

static void toxic(int src, int dst, int port, const sn_link_set *base)
{
    sn_link_set c = *base;
    c.port = port;
    cr_assert_eq(sn_net_link_set(&A, src, dst, &c), 0);
}

Test(core_links, port_rules_match_either_end_and_rank_above_the_pair)
{
    tc_on(&A, "db");                                 /* host 1 */
    tc_on(&A, "app");                                /* host 2 */
    tc_on(&A, "cache");
    sn_link_set c = SN_LINK_SET_NONE;
    c.refuse = 1;
    toxic(2, 1, 80, &c);
    int app = sn_links_end(2, 40000);
    cr_expect(sn_links_refused(&A, app, sn_links_end(1, 80)), "the server's port");
    cr_expect(!sn_links_refused(&A, app, sn_links_end(1, 81)), "another port");
    cr_expect(sn_links_refused(&A, sn_links_end(2, 80), sn_links_end(1, 5000)), "either end");
    cr_expect(!sn_links_refused(&A, 2, 1), "no port given: only rules without one");
    c = (sn_link_set)SN_LINK_SET_NONE;
    c.limit_data = 100;
    toxic(2, 1, 0, &c);
    c.limit_data = 10;
    toxic(2, 1, 80, &c);
    c.limit_data = 5;
    toxic(SN_LINK_ANY, 1, 81, &c);
    cr_expect_eq(sn_links_limit(&A, app, sn_links_end(1, 80)), 10, "the port's rule first");
    cr_expect_eq(sn_links_limit(&A, app, sn_links_end(1, 82)), 100, "then the pair's");
    cr_expect_eq(sn_links_limit(&A, app, sn_links_end(1, 81)), 100, "hosts rank first");
    cr_expect_eq(sn_links_limit(&A, sn_links_end(3, 9), sn_links_end(1, 81)), 5);
    char line[128];
    cr_assert_eq(sn_net_link_text(&A, 0, line, sizeof line), 1);
    cr_expect_str_eq(line, "app -> db port 80 refuse limit-data 10");
    c = (sn_link_set)SN_LINK_SET_NONE;
    c.clear = true;
    toxic(2, 1, 80, &c);
    cr_expect(!sn_links_refused(&A, app, sn_links_end(1, 80)), "--clear --port: that rule");
    cr_expect_eq(sn_links_limit(&A, app, sn_links_end(1, 80)), 100, "the pair's stays");
}

Test(core_links, refuse_on_one_port_only)
{
    int c, s;
    tc_connected(&A, "db", "app", &c, &s);           /* db listens on 80 */
    tc_on(&A, "db");
    int l = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
    cr_assert_eq(tc_bind4(&A, l, "0.0.0.0", 81), 0);
    cr_assert_eq(sn_sock_listen(&A, l, 8), 0);
    tc_on(&A, "app");
    sn_link_set r = SN_LINK_SET_NONE;
    r.refuse = 1;
    toxic(2, 1, 80, &r);
    int d = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
    cr_expect_eq(tc_connect4(&A, d, "127.100.0.1", 80), -ECONNREFUSED);
    int e = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
    cr_expect_eq(tc_connect4(&A, e, "127.100.0.1", 81), 0, "another port of db");
}

static void slicer(int size, int var, int64_t delay_ns)
{
    sn_link_set c = SN_LINK_SET_NONE;
    c.slice_size = size;
    c.slice_var = var;
    c.slice_delay_ns = delay_ns;
    toxic(2, 1, 0, &c);
}

Test(core_links, slicer_reads_one_slice_at_a_time)
{
    int c, s;
    tc_connected(&A, "db", "app", &c, &s);
    slicer(4, 0, 0);
    cr_assert_eq(tc_send(&A, c, "0123456789", 10, 0), 10);
    char buf[32];
    cr_expect_eq(tc_recv(&A, s, buf, sizeof buf, MSG_DONTWAIT, NULL), 4);
    cr_expect_eq(tc_recv(&A, s, buf + 4, sizeof buf, MSG_DONTWAIT, NULL), 4);
    cr_expect_eq(tc_recv(&A, s, buf + 8, sizeof buf, MSG_DONTWAIT, NULL), 2);
    cr_expect(memcmp(buf, "0123456789", 10) == 0, "the bytes intact");
    cr_assert_eq(tc_setint(&A, s, SOL_SOCKET, SO_RCVLOWAT, 8), 0);
    cr_assert_eq(tc_send(&A, c, "abcdef", 6, 0), 6);
    cr_expect(sn_sock_poll(&A, s) & POLLIN, "SO_RCVLOWAT above a slice: readable");
    cr_expect_eq(tc_recv(&A, s, buf, sizeof buf, 0, NULL), 2,
                 "a blocking read gets the rest of the last slice");
    cr_expect_eq(tc_recv(&A, s, buf, sizeof buf, MSG_PEEK | MSG_WAITALL, NULL), 4);
    cr_expect_eq(tc_recv(&A, s, buf, sizeof buf, 0, NULL), 4, "then a slice");
    cr_assert_eq(tc_setint(&A, s, SOL_SOCKET, SO_RCVLOWAT, 1), 0);
    cr_expect_eq(tc_send(&A, s, "the other way", 13, 0), 13);
    cr_expect_eq(tc_recv(&A, c, buf, sizeof buf, MSG_DONTWAIT, NULL), 13, "one way");
    slicer(10, 5, 0);
    char big[2000], got[2000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)(i * 7);
    cr_assert_eq(tc_send(&A, c, big, sizeof big, 0), (ssize_t)sizeof big);
    size_t have = 0;
    while (have < sizeof got) {
        ssize_t n = tc_recv(&A, s, got + have, sizeof got - have, MSG_DONTWAIT, NULL);
        cr_assert(n >= 1 && n <= 15, "a slice of 10 +- 5: %zd", n);
        have += (size_t)n;
    }
    cr_expect(memcmp(big, got, sizeof big) == 0);
    sn_link_set clear = SN_LINK_SET_NONE;
    clear.clear = true;
    toxic(2, 1, 0, &clear);
    cr_assert_eq(tc_send(&A, c, big, 100, 0), 100);
    cr_expect_eq(tc_recv(&A, s, got, sizeof got, MSG_DONTWAIT, NULL), 100, "cleared");
}

Test(core_links, slicer_delays_each_slice)
{
    int c, s;
    tc_connected(&A, "db", "app", &c, &s);
    slicer(4, 0, 50000000);                   /* 4 bytes every 50 ms */
    cr_assert_eq(tc_send(&A, c, "01234567", 8, 0), 8);
    char buf[32];
    cr_expect_eq(tc_recv(&A, s, buf, sizeof buf, MSG_DONTWAIT, NULL), 4);
    cr_expect_eq(tc_recv(&A, s, buf, sizeof buf, MSG_DONTWAIT, NULL), -EAGAIN, "not yet");
    cr_expect(!(sn_sock_poll(&A, s) & POLLIN));
    int64_t due = sn_sock_due(&A, s);
    cr_expect(due > tc_mono_ns() && due < tc_mono_ns() + 60000000, "due in %lld ns",
              (long long)(due - tc_mono_ns()));
    tc_sleep_ms(60);
    cr_expect(sn_sock_poll(&A, s) & POLLIN);
    cr_expect_eq(tc_recv(&A, s, buf, sizeof buf, MSG_DONTWAIT, NULL), 4);
}

Test(core_links, slow_close_delays_the_eof)
{
    int c, s;
    tc_connected(&A, "db", "app", &c, &s);
    sn_link_set sc = SN_LINK_SET_NONE;
    sc.slow_close_ns = 100000000;             /* app -> db: 100 ms */
    toxic(2, 1, 0, &sc);
    char line[128];
    cr_assert_eq(sn_net_link_text(&A, 0, line, sizeof line), 1);
    cr_expect_str_eq(line, "app -> db slow-close 100ms");
    cr_assert_eq(tc_send(&A, c, "bye", 3, 0), 3);
    cr_assert_eq(sn_sock_shutdown(&A, c, SHUT_WR), 0);
    char buf[8];
    cr_expect_eq(tc_recv(&A, s, buf, sizeof buf, MSG_DONTWAIT, NULL), 3, "sent before: there");
    cr_expect_eq(tc_recv(&A, s, buf, sizeof buf, MSG_DONTWAIT, NULL), -EAGAIN, "no EOF yet");
    cr_expect(!(sn_sock_poll(&A, s) & (POLLIN | POLLRDHUP)));
    int64_t due = sn_sock_due(&A, s);
    cr_expect(due > tc_mono_ns() + 50000000 && due < tc_mono_ns() + 110000000, "due in %lld ns",
              (long long)(due - tc_mono_ns()));
    tc_sleep_ms(110);
    cr_expect(sn_sock_poll(&A, s) & POLLRDHUP);
    cr_expect_eq(tc_recv(&A, s, buf, sizeof buf, MSG_DONTWAIT, NULL), 0, "the EOF");
    cr_expect_eq(tc_send(&A, s, "ok", 2, 0), 2, "the other way is open");
    sn_sock_release(&A, s);                   /* db -> app: no slow close */
    cr_expect_eq(tc_recv(&A, c, buf, sizeof buf, MSG_DONTWAIT, NULL), 2);
    cr_expect_eq(tc_recv(&A, c, buf, sizeof buf, MSG_DONTWAIT, NULL), 0);
}

/* A socket names the rule that slices what it reads; once that rule is
 * freed and its entry given to another, the bytes sent before are not
 * sliced by the newcomer (issue 14 review). */
Test(core_links, slicer_rule_reused_for_another_pair)
{
    int c, s;
    tc_connected(&A, "db", "app", &c, &s);
    tc_on(&A, "cache");                              /* host 3 */
    slicer(4, 0, 0);
    cr_assert_eq(tc_send(&A, c, "0123456789", 10, 0), 10);
    char buf[32];
    cr_expect_eq(tc_recv(&A, s, buf, sizeof buf, MSG_DONTWAIT, NULL), 4);
    sn_link_set clear = SN_LINK_SET_NONE;
    clear.clear = true;
    toxic(2, 1, 0, &clear);                   /* its entry freed */
    sn_link_set other = SN_LINK_SET_NONE;
    other.slice_size = 1;
    toxic(3, 1, 0, &other);                   /* ... and taken by cache -> db */
    cr_assert_eq(sn_links_slicer(&A, 3, 1), &A.links[0], "the same entry");
    cr_expect_eq(tc_recv(&A, s, buf, sizeof buf, MSG_DONTWAIT, NULL), 6,
                 "app -> db is not sliced any more");
}

/* poll and epoll look at a sliced socket with no lock: they must not
 * open its next slice (nor draw its size), which only a reader does
 * under rx_cons (issue 14 review). */
Test(core_links, poll_opens_no_slice)
{
    int c, s;
    tc_connected(&A, "db", "app", &c, &s);
    slicer(4, 2, 0);
    cr_assert_eq(tc_send(&A, c, "0123456789", 10, 0), 10);
    sn_sock *k = sn_sock_at(&A, s);
    cr_expect(sn_sock_poll(&A, s) & POLLIN);
    cr_expect_eq(sn_sock_inq(&A, s), 2, "the least a slice can be");
    cr_expect_eq(atomic_load(&k->slice_open), 0, "poll opened a slice");
    char buf[32];
    ssize_t n = tc_recv(&A, s, buf, sizeof buf, MSG_DONTWAIT, NULL);
    cr_expect(n >= 2 && n <= 6, "a slice of 4 +- 2: %zd", n);
}

/* A connection over a slow link does not hold back a later one over a
 * fast link: accept takes the first whose handshake is over, and the
 * listener's wait is for the earliest one still under way (issue 14
 * review). */
Test(core_links, accept_takes_the_first_handshake_over)
{
    tc_on(&A, "db");                                 /* host 1 */
    int l = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
    cr_assert_eq(tc_bind4(&A, l, "0.0.0.0", 80), 0);
    cr_assert_eq(sn_sock_listen(&A, l, 8), 0);
    int far = tc_on(&A, "far");
    link_timed(far, 1, 50000000, -1, -1);     /* 50 ms each way */
    link_timed(1, far, 50000000, -1, -1);
    int64_t t0 = tc_mono_ns();
    int f = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
    cr_expect_eq(tc_connect4(&A, f, "127.100.0.1", 80), -EINPROGRESS);
    tc_on(&A, "near");
    int n = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
    cr_expect_eq(tc_connect4(&A, n, "127.100.0.1", 80), 0);
    cr_expect(sn_sock_poll(&A, l) & POLLIN, "near's connection is there");
    sn_addr peer;
    int s = sn_sock_accept(&A, l, &peer);
    cr_assert_geq(s, 0, "near's connection held back: %d", s);
    cr_expect_eq(sn_sock_accept(&A, l, &peer), -EAGAIN, "far's handshake is not over");
    cr_expect(!(sn_sock_poll(&A, l) & POLLIN));
    int64_t due = sn_sock_due(&A, l);
    cr_expect(due - t0 >= 150000000 && due - t0 < 200000000, "due in %lld ns",
              (long long)(due - t0));
    tc_sleep_ms(160);
    cr_expect(sn_sock_poll(&A, l) & POLLIN);
    cr_expect_geq(sn_sock_accept(&A, l, &peer), 0, "then far's");
}

/* A socket that shut its writing side waits for the peer's FIN in
 * FIN_WAIT2: a slow close keeps it there, writable and not hung up,
 * until the FIN is due (issue 14 review: POLLHUP came at once). */
Test(core_links, slow_close_hides_the_hangup)
{
    int c, s;
    tc_connected(&A, "db", "app", &c, &s);
    sn_link_set sc = SN_LINK_SET_NONE;
    sc.slow_close_ns = 100000000;             /* app -> db: 100 ms */
    toxic(2, 1, 0, &sc);
    cr_assert_eq(sn_sock_shutdown(&A, s, SHUT_WR), 0);
    sn_sock_release(&A, c);                   /* app's FIN, slowly */
    char buf[8];
    cr_expect_eq(tc_recv(&A, s, buf, sizeof buf, MSG_DONTWAIT, NULL), -EAGAIN);
    int m = sn_sock_poll(&A, s);
    cr_expect_eq(m & (POLLOUT | POLLHUP | POLLIN | POLLRDHUP), POLLOUT,
                 "FIN_WAIT2 before the FIN: %#x", m);
    tc_sleep_ms(110);
    m = sn_sock_poll(&A, s);
    cr_expect_eq(m & (POLLHUP | POLLIN | POLLRDHUP), POLLHUP | POLLIN | POLLRDHUP,
                 "then the FIN: %#x", m);
    cr_expect_eq(tc_recv(&A, s, buf, sizeof buf, MSG_DONTWAIT, NULL), 0);
}

/* A held connect goes on after heal when Linux sends its SYN again (1 s
 * after the first, then 3, 7... s), and over a delayed link completes a
 * round trip after that, not the instant of heal (issue 14 review). */
Test(core_links, held_connect_goes_on_at_the_next_syn, .timeout = 15)
{
    db_listener();
    int x = tc_on(&A, "app");
    tc_loss_cut(&A, x, 1, -1, 1);
    int64_t t0 = tc_mono_ns();
    int c = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
    cr_expect_eq(tc_connect4(&A, c, "127.100.0.1", 80), -EINPROGRESS);
    int d = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
    cr_expect_eq(tc_connect4(&A, d, "127.100.0.1", 81), -EINPROGRESS);
    tc_sleep_ms(100);
    sn_net_heal(&A, SN_LINK_ANY, SN_LINK_ANY);
    link_timed(x, 1, 50000000, -1, -1);       /* 50 ms each way */
    link_timed(1, x, 50000000, -1, -1);
    cr_expect_eq(sn_sock_connect_result(&A, c), -EAGAIN, "connected at heal");
    cr_expect_eq(sn_sock_connect_result(&A, d), -EAGAIN, "refused at heal");
    cr_expect(!(sn_sock_poll(&A, c) & POLLOUT));
    int64_t due = sn_sock_due(&A, c);
    cr_expect(due - t0 >= 1000000000 && due - t0 < 1050000000, "next SYN in %lld ns",
              (long long)(due - t0));
    tc_sleep_ms((int)((due - tc_mono_ns()) / 1000000) + 5);
    cr_expect_eq(sn_sock_connect_result(&A, d), -ECONNREFUSED, "refused once it gets through");
    cr_expect_eq(sn_sock_connect_result(&A, c), -EAGAIN, "the round trip is not over");
    int64_t rt = sn_sock_due(&A, c);
    cr_expect(rt - due >= 100000000 && rt - due < 150000000, "round trip %lld ns",
              (long long)(rt - due));
    tc_sleep_ms(110);
    cr_expect_eq(sn_sock_connect_result(&A, c), 0);
    cr_expect(sn_sock_poll(&A, c) & POLLOUT);
}
