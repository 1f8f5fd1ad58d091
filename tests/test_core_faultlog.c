/* Unit tests of core/faultlog.c: what faults do is handed to the
 * process's hook (sn_arena.on_fault) as one line and the rule that did
 * it: a lost datagram names its link and rule, a hold is told once per
 * connection and hold (not per send) and heal tells its release, a reset
 * and a refusal are told, so are a held connect and a limit-data cut,
 * a time-out names the way that is cut (the way back, under --oneway),
 * and with no hook nothing is asked of anyone.
 * One process plays every host (core/hosts tests explain how). */
#include <criterion/criterion.h>

#include "core/faults.h"
#include "core/links.h"
#include "tests/test_core_links_util.h"

TC_ARENA_FIXTURE(A)

TestSuite(core_faultlog, .init = setup, .fini = teardown, .timeout = 10);

static char lines[16][300];
static char rules[16][256];
static int  nlines;

static void hook(sn_arena *a, const char *what, int rule)
{
    cr_assert_lt(nlines, 16);
    snprintf(lines[nlines], sizeof lines[0], "%s", what);
    rules[nlines][0] = 0;
    if (rule >= 0)
        cr_assert_eq(sn_net_link_text(a, rule, rules[nlines], sizeof rules[0]), 1);
    nlines++;
}

Test(core_faultlog, lost_datagram_names_its_rule)
{
    int x = tc_on(&A, "app");
    int u = sn_sock_create(&A, AF_INET, SOCK_DGRAM, 0);
    cr_assert_eq(tc_bind4(&A, u, "0.0.0.0", 5353), 0);
    int y = tc_on(&A, "db");
    int v = sn_sock_create(&A, AF_INET, SOCK_DGRAM, 0);
    cr_assert_eq(tc_bind4(&A, v, "0.0.0.0", 4000), 0);
    tc_loss_cut(&A, y, x, 1000000, -1);                   /* db -> app: 100% loss */
    cr_assert_eq(tc_sendto4(&A, v, "hi", 2, "127.100.0.1", 5353), 2);
    cr_expect_eq(nlines, 0, "no hook, no line");
    A.on_fault = hook;
    cr_assert_eq(tc_sendto4(&A, v, "hi", 2, "127.100.0.1", 5353), 2);
    cr_assert_eq(nlines, 1);
    cr_expect_str_eq(lines[0], "udp 127.100.0.2:4000 -> 127.100.0.1:5353 (2 bytes) lost on db -> app");
    cr_expect_str_eq(rules[0], "db -> app loss 100%");
    tc_loss_cut(&A, SN_LINK_ANY, SN_LINK_ANY, -1, 1);     /* a cut comes before the loss */
    cr_assert_eq(tc_sendto4(&A, v, "hi", 2, "127.100.0.1", 5353), 2);
    cr_assert_eq(nlines, 2);
    cr_expect_str_eq(rules[1], "* -> * partition");
}

Test(core_faultlog, one_hold_per_connection_and_heal)
{
    int c, s;
    tc_connected(&A, "db", "app", &c, &s);
    A.on_fault = hook;
    tc_loss_cut(&A, 2, 1, -1, 1);                         /* app -> db cut */
    for (int i = 0; i < 3; i++)
        cr_assert_eq(tc_send(&A, c, "after", 5, 0), 5);
    cr_assert_eq(nlines, 1, "one line for three sends");
    cr_expect(strstr(lines[0], " -> 127.100.0.1:80 (5 bytes) held on app -> db"), "%s", lines[0]);
    cr_expect_str_eq(rules[0], "app -> db partition");
    cr_expect_eq(sn_net_heal(&A, SN_LINK_ANY, SN_LINK_ANY), 1);
    cr_assert_eq(nlines, 2);
    cr_expect(strstr(lines[1], " -> 127.100.0.1:80 released on app -> db"), "%s", lines[1]);
    cr_expect_str_eq(rules[1], "");
    tc_loss_cut(&A, 2, 1, -1, 1);                         /* a new hold: a new line */
    cr_assert_eq(tc_send(&A, c, "again", 5, 0), 5);
    cr_expect_eq(nlines, 3);
}

Test(core_faultlog, reset_and_refusal)
{
    int c, s;
    tc_connected(&A, "db", "app", &c, &s);
    A.on_fault = hook;
    cr_expect_eq(sn_net_reset(&A, 2, 1), 1);
    cr_assert_eq(nlines, 1);
    cr_expect(strstr(lines[0], "tcp 127.100.0.2:") && strstr(lines[0], " <-> 127.100.0.1:80 reset on app <-> db"),
              "%s", lines[0]);
    sn_link_set r = SN_LINK_SET_NONE;
    r.refuse = 1;
    cr_assert_eq(sn_net_link_set(&A, 2, 1, &r), 0);
    int k = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
    cr_expect_eq(tc_connect4(&A, k, "127.100.0.1", 80), -ECONNREFUSED);
    cr_assert_eq(nlines, 2);
    cr_expect(strstr(lines[1], " -> 127.100.0.1:80 connect refused on app -> db"), "%s", lines[1]);
    cr_expect_str_eq(rules[1], "app -> db refuse");
}

Test(core_faultlog, held_connect_and_limit_data)
{
    int c, s;
    tc_connected(&A, "db", "app", &c, &s);
    A.on_fault = hook;
    tc_loss_cut(&A, 2, 1, -1, 1);
    int k = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
    cr_expect_eq(tc_connect4(&A, k, "127.100.0.1", 80), -EINPROGRESS);
    cr_assert_eq(nlines, 1);
    cr_expect(strstr(lines[0], " -> 127.100.0.1:80 connect held on app -> db"), "%s", lines[0]);
    cr_expect_str_eq(rules[0], "app -> db partition");
    cr_expect_eq(sn_net_heal(&A, SN_LINK_ANY, SN_LINK_ANY), 1);
    cr_assert_eq(nlines, 2);
    cr_expect(strstr(lines[1], " -> 127.100.0.1:80 connect released on app -> db"), "%s", lines[1]);
    sn_link_set l = SN_LINK_SET_NONE;
    l.limit_data = 4;
    cr_assert_eq(sn_net_link_set(&A, 2, 1, &l), 0);
    cr_expect_eq(tc_send(&A, c, "abcdef", 6, 0), 4);
    cr_assert_eq(nlines, 3);
    cr_expect(strstr(lines[2], " -> 127.100.0.1:80 cut with a reset on app -> db"), "%s", lines[2]);
    cr_expect_str_eq(rules[2], "app -> db limit-data 4");
}

/* Only db -> app is cut: app's idle connection with SO_KEEPALIVE times
 * out (its probes' answers are lost), and the line names db -> app and
 * its rule, not app -> db, which nothing cuts. */
Test(core_faultlog, timeout_names_the_way_cut)
{
    int c, s;
    tc_connected(&A, "db", "app", &c, &s);
    sn_sock *k = sn_sock_at(&A, c);
    atomic_fetch_or(&k->opt, SN_O_KEEPALIVE);
    A.on_fault = hook;
    tc_loss_cut(&A, 1, 2, -1, 1);                         /* db -> app cut */
    int64_t st = atomic_load(&k->stall_ns);
    cr_assert(st && k->stall_idle, "the cut starts app's keepalive clock");
    /* Linux's defaults: 7200 s idle, then 9 probes 75 s apart. */
    atomic_store(&k->stall_ns, st - 8000 * 1000000000LL);
    sn_faults_check_stall(&A, c);
    cr_assert_eq(k->state, SN_CLOSED, "timed out");
    cr_assert_eq(nlines, 1);
    cr_expect(strstr(lines[0], "tcp 127.100.0.1:80 -> 127.100.0.2:") &&
                  strstr(lines[0], " timed out on db -> app"), "%s", lines[0]);
    cr_expect_str_eq(rules[0], "db -> app partition");
}
