/* Unit tests of core/hosts.c and of the per-host rules of core/ports.c,
 * conn.c and dgram.c: host records and their addresses (defaults in
 * order, explicit ones, conflicts), a private loopback per host, the same
 * port on every host, host addresses reached from every host, wildcard
 * listeners per host, source addresses and the names both ends see.
 *
 * One process plays every host: sn_net_host_join moves it (sockets stay
 * on the host they were made on), so a socket's host is the one joined
 * when it was made. */
#include <criterion/criterion.h>

#include "core/hosts.h"
#include "tests/test_core_links_util.h"

TC_ARENA_FIXTURE(A)

TestSuite(core_hosts, .init = setup, .fini = teardown, .timeout = 10);

static char err[300];

static int tcp4(void) { return sn_sock_create(&A, AF_INET, SOCK_STREAM, 0); }
static int tcp6(void) { return sn_sock_create(&A, AF_INET6, SOCK_STREAM, 0); }
static int udp4(void) { return sn_sock_create(&A, AF_INET, SOCK_DGRAM, 0); }

static int listener4(const char *ip, int port)
{
    int l = tcp4();
    cr_assert_eq(tc_bind4(&A, l, ip, port), 0, "bind %s:%d", ip, port);
    cr_assert_eq(sn_sock_listen(&A, l, 16), 0);
    return l;
}

static int accept1(int l)
{
    sn_addr peer;
    int s = sn_sock_accept(&A, l, &peer);
    cr_assert_geq(s, 0, "accept: %d", s);
    return s;
}

static void addr_of(int h, int j, char *out, size_t n)
{
    const sn_host *x = &A.hosts[h];
    cr_assert_lt((uint32_t)j, x->naddr);
    if (x->addr[j][10] == 0xff)
        inet_ntop(AF_INET, x->addr[j] + 12, out, (socklen_t)n);
    else
        inet_ntop(AF_INET6, x->addr[j], out, (socklen_t)n);
}

/* The address part of a socket's local or peer name ("a.b.c.d" or
 * "[v6]"), the port left out. */
static void expect_ip(int s, bool peer, const char *want)
{
    char got[80];
    tc_name(&A, s, peer, got, sizeof got);
    char *colon = strrchr(got, ':');
    if (colon)
        *colon = 0;
    cr_expect_str_eq(got, want, "%s name: %s, want %s", peer ? "peer" : "local", got, want);
}

/* ---- records and addresses ---- */

Test(core_hosts, names_follow_rfc1123)
{
    const char *good[] = {"db", "db-1", "a.b.c", "x1", "3com", "A"};
    const char *bad[] = {"", "-db", "db-", "d_b", "a..b", "db.", "1.2.3.4", "99",
                         "0123456789012345678901234567890123456789012345678901234567890123"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        cr_expect_null(sn_hosts_bad_name(good[i]), "%s refused", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cr_expect_not_null(sn_hosts_bad_name(bad[i]), "'%s' taken", bad[i]);
        cr_expect_eq(sn_net_host_add(&A, bad[i], NULL, 0, err, sizeof err), -EINVAL);
    }
}

Test(core_hosts, default_addresses_in_order)
{
    char t[64];
    int db = tc_on(&A, "db"), cache = tc_on(&A, "cache");
    cr_assert_eq(db, 1);
    cr_assert_eq(cache, 2);
    cr_assert_eq(tc_on(&A, "DB"), db, "names are case-insensitive");
    addr_of(db, 0, t, sizeof t);
    cr_expect_str_eq(t, "127.100.0.1");
    addr_of(db, 1, t, sizeof t);
    cr_expect_str_eq(t, "fd73:6e::1");
    addr_of(cache, 0, t, sizeof t);
    cr_expect_str_eq(t, "127.100.0.2");
    addr_of(cache, 1, t, sizeof t);
    cr_expect_str_eq(t, "fd73:6e::2");
    /* With the first named host the default host got its addresses. */
    cr_assert_eq(A.hosts[0].naddr, 2u);
    addr_of(0, 0, t, sizeof t);
    cr_expect_str_eq(t, "127.100.255.254");
    addr_of(0, 1, t, sizeof t);
    cr_expect_str_eq(t, "fd73:6e::fffe");
}

Test(core_hosts, explicit_addresses_and_conflicts)
{
    sn_addr x[4];
    char t[64];
    cr_assert_eq(sn_net_parse_addrs("10.1.0.5, fd00::5", x, 4, err, sizeof err), 2);
    int db = sn_net_host_add(&A, "db", x, 2, err, sizeof err);
    cr_assert_eq(db, 1, "%s", err);
    cr_assert_eq(A.hosts[db].naddr, 2u, "no defaults when both families given");
    addr_of(db, 0, t, sizeof t);
    cr_expect_str_eq(t, "10.1.0.5");
    /* Another host may not claim it; the same host may say it again. */
    cr_expect_eq(sn_net_host_add(&A, "cache", x, 1, err, sizeof err), -EADDRINUSE);
    cr_expect(strstr(err, "10.1.0.5") && strstr(err, "db"), "%s", err);
    cr_expect_eq(sn_hosts_find(&A, "cache"), -1, "a refused host is not made");
    cr_expect_eq(sn_net_host_add(&A, "db", x, 2, err, sizeof err), db);
    /* A default address someone claimed explicitly is skipped. */
    cr_assert_eq(sn_net_parse_addrs("127.100.0.1", x, 4, err, sizeof err), 1);
    int c = sn_net_host_add(&A, "cache", x, 1, err, sizeof err);
    cr_assert_geq(c, 0, "%s", err);
    int d = tc_on(&A, "app");
    addr_of(d, 0, t, sizeof t);
    cr_expect_str_eq(t, "127.100.0.2");
    const char *nothost[] = {"0.0.0.0", "127.0.0.1", "::1", "::", "224.0.0.1",
                             "255.255.255.255", "ff02::1"};
    for (size_t i = 0; i < sizeof nothost / sizeof *nothost; i++) {
        cr_assert_eq(sn_net_parse_addrs(nothost[i], x, 4, err, sizeof err), 1);
        cr_expect_eq(sn_net_host_add(&A, "web", x, 1, err, sizeof err), -EINVAL,
                     "%s taken", nothost[i]);
    }
    cr_expect_eq(sn_net_parse_addrs("10.1.0.300", x, 4, err, sizeof err), -EINVAL);
    cr_expect_eq(sn_net_parse_addrs("db", x, 4, err, sizeof err), -EINVAL);
}

/* ---- loopback and ports per host ---- */

Test(core_hosts, private_loopback_same_port_on_every_host)
{
    tc_on(&A, "db");
    int ldb = listener4("127.0.0.1", 6379);
    tc_on(&A, "cache");
    int lcache = listener4("127.0.0.1", 6379);
    int c = tcp4();
    cr_assert_eq(tc_connect4(&A, c, "127.0.0.1", 6379), 0);
    int s = accept1(lcache);
    expect_ip(s, true, "127.0.0.1");
    expect_ip(c, false, "127.0.0.1");
    cr_expect_eq(sn_sock_accept(&A, ldb, &(sn_addr){0}), -EAGAIN,
                 "db's listener got cache's loopback connection");
    tc_on(&A, "app");
    int d = tcp4();
    cr_expect_eq(tc_connect4(&A, d, "127.0.0.1", 6379), -ECONNREFUSED);
    cr_expect_eq(tc_connect4(&A, tcp4(), "127.5.6.7", 6379), -ECONNREFUSED);
    /* And the same wildcard port on two hosts. */
    tc_on(&A, "db");
    int w1 = tcp4();
    cr_expect_eq(tc_bind4(&A, w1, "0.0.0.0", 80), 0);
    tc_on(&A, "cache");
    int w2 = tcp4();
    cr_expect_eq(tc_bind4(&A, w2, "0.0.0.0", 80), 0);
    cr_expect_eq(tc_bind4(&A, tcp4(), "127.100.0.2", 80), -EADDRINUSE,
                 "cache's own address under its wildcard");
}

/* ---- host addresses ---- */

Test(core_hosts, host_address_reached_from_every_host)
{
    tc_on(&A, "db");
    int l = listener4("0.0.0.0", 6379);
    tc_on(&A, "cache");
    int c = tcp4();
    cr_assert_eq(tc_connect4(&A, c, "127.100.0.1", 6379), 0);
    int s = accept1(l);
    /* Linux's choice of source: the client host's own address. */
    expect_ip(c, false, "127.100.0.2");
    expect_ip(c, true, "127.100.0.1");
    expect_ip(s, false, "127.100.0.1");
    expect_ip(s, true, "127.100.0.2");
    /* From db itself: its own address is the source. */
    tc_on(&A, "db");
    int d = tcp4();
    cr_assert_eq(tc_connect4(&A, d, "127.100.0.1", 6379), 0);
    expect_ip(d, false, "127.100.0.1");
    /* The wildcard takes db's loopback too. */
    int e = tcp4();
    cr_assert_eq(tc_connect4(&A, e, "127.0.0.1", 6379), 0);
    expect_ip(e, false, "127.0.0.1");
}

Test(core_hosts, listener_on_loopback_not_reached_by_address)
{
    tc_on(&A, "db");
    listener4("127.0.0.1", 6379);
    tc_on(&A, "cache");
    cr_expect_eq(tc_connect4(&A, tcp4(), "127.100.0.1", 6379), -ECONNREFUSED);
}

Test(core_hosts, bind_only_own_addresses)
{
    tc_on(&A, "db");
    tc_on(&A, "cache");
    cr_expect_eq(tc_bind4(&A, tcp4(), "127.100.0.1", 0), -EADDRNOTAVAIL,
                 "db's address bound on cache");
    cr_expect_eq(tc_bind4(&A, tcp4(), "10.9.9.9", 0), -EADDRNOTAVAIL);
    cr_expect_eq(tc_bind4(&A, tcp4(), "127.100.0.2", 0), 0);
    cr_expect_eq(tc_bind4(&A, tcp4(), "127.0.0.1", 0), 0);
    cr_expect_eq(tc_bind6(&A, tcp6(), "fd73:6e::2", 0), 0);
    cr_expect_eq(tc_bind6(&A, tcp6(), "fd73:6e::1", 0), -EADDRNOTAVAIL);
    /* An address nobody has: unreachable, as a non-local one on Linux
     * without a route. */
    cr_expect_eq(tc_connect4(&A, tcp4(), "10.9.9.9", 80), -ENETUNREACH);
}

Test(core_hosts, ipv6_host_addresses)
{
    tc_on(&A, "db");
    int l = tcp6();
    cr_assert_eq(tc_bind6(&A, l, "::", 8080), 0);
    cr_assert_eq(sn_sock_listen(&A, l, 4), 0);
    tc_on(&A, "cache");
    int c = tcp6();
    cr_assert_eq(tc_connect6(&A, c, "fd73:6e::1", 8080), 0);
    int s = accept1(l);
    expect_ip(c, false, "[fd73:6e::2]");
    expect_ip(s, true, "[fd73:6e::2]");
    expect_ip(s, false, "[fd73:6e::1]");
    /* ::1 stays each host's own. */
    cr_expect_eq(tc_connect6(&A, tcp6(), "::1", 8080), -ECONNREFUSED);
}

Test(core_hosts, datagrams_between_hosts)
{
    tc_on(&A, "db");
    int u = udp4();
    cr_assert_eq(tc_bind4(&A, u, "0.0.0.0", 5353), 0);
    tc_on(&A, "cache");
    int v = udp4();
    cr_assert_eq(tc_sendto4(&A, v, "hi", 2, "127.100.0.1", 5353), 2);
    /* cache's loopback has nobody on that port: dropped there. */
    cr_assert_eq(tc_sendto4(&A, v, "lo", 2, "127.0.0.1", 5353), 2);
    char buf[8];
    sn_msg m;
    cr_assert_eq(tc_recv(&A, u, buf, sizeof buf, 0, &m), 2);
    char t[80];
    tc_addr_str(&A, u, &m.from, t, sizeof t);
    cr_expect(strncmp(t, "127.100.0.2:", 12) == 0, "from %s", t);
    tc_addr_str(&A, u, &m.to, t, sizeof t);
    cr_expect(strncmp(t, "127.100.0.1:", 12) == 0, "to %s", t);
    cr_expect_eq(tc_recv(&A, u, buf, sizeof buf, 0, NULL), -EAGAIN);
    /* The reply goes back to cache's address. */
    struct sockaddr_storage back;
    sn_addr_format(AF_INET, &m.from, &back);
    cr_assert_eq(tc_sendmsg(&A, u, "ok", 2, 0, &back, sizeof(struct sockaddr_in)), 2);
    cr_assert_eq(tc_recv(&A, v, buf, sizeof buf, 0, &m), 2);
    tc_addr_str(&A, v, &m.from, t, sizeof t);
    cr_expect_str_eq(t, "127.100.0.1:5353");
}

Test(core_hosts, default_host_alone_is_todays_loopback)
{
    int l = listener4("127.0.0.1", 7000);
    int c = tcp4();
    cr_assert_eq(tc_connect4(&A, c, "127.0.0.2", 7000), -ECONNREFUSED);
    cr_assert_eq(tc_connect4(&A, c, "127.0.0.1", 7000), 0);
    expect_ip(c, false, "127.0.0.1");
    accept1(l);
    cr_expect_eq(tc_bind4(&A, tcp4(), "127.100.0.1", 0), 0, "all of 127/8 is ours");
}

Test(core_hosts, lookup_by_name_and_domain)
{
    cr_expect_eq(sn_net_host_lookup(&A, "db"), -1, "no hosts yet");
    int db = tc_on(&A, "db");
    const char *same[] = {"db", "DB", "db.", "db.simnet", "db.SIMNET.", "Db.simnet"};
    for (size_t i = 0; i < sizeof same / sizeof *same; i++)
        cr_expect_eq(sn_net_host_lookup(&A, same[i]), db, "%s", same[i]);
    const char *other[] = {"", ".", "d", "db.other", "simnet", ".simnet", "db..simnet"};
    for (size_t i = 0; i < sizeof other / sizeof *other; i++)
        cr_expect_eq(sn_net_host_lookup(&A, other[i]), -1, "%s", other[i]);
    sn_addr x;
    cr_assert_eq(sn_net_parse_addrs("127.100.0.1", &x, 1, err, sizeof err), 1);
    cr_expect_eq(sn_net_host_of(&A, &x), db);
    cr_assert_eq(sn_net_parse_addrs("127.0.0.1", &x, 1, err, sizeof err), 1);
    cr_expect_eq(sn_net_host_of(&A, &x), -1);
}

static void on_default(void)
{
    A.procs[A.proc].host = 0;
}

Test(core_hosts, default_host_among_named_hosts)
{
    cr_expect_eq(A.hosts[0].naddr, 0u, "no address before a named host");
    tc_on(&A, "db");
    int l = listener4("0.0.0.0", 6379);
    on_default();
    int dl = listener4("0.0.0.0", 8080);
    int c = tcp4();
    cr_assert_eq(tc_connect4(&A, c, "127.100.0.1", 6379), 0);
    expect_ip(c, false, "127.100.255.254");
    expect_ip(accept1(l), true, "127.100.255.254");
    /* Its loopback stays its own; its address leads back to it. */
    cr_expect_eq(tc_connect4(&A, tcp4(), "127.0.0.1", 6379), -ECONNREFUSED);
    tc_on(&A, "db");
    cr_expect_eq(tc_connect4(&A, tcp4(), "127.0.0.1", 8080), -ECONNREFUSED);
    int d = tcp4();
    cr_assert_eq(tc_connect4(&A, d, "127.100.255.254", 8080), 0);
    expect_ip(accept1(dl), true, "127.100.0.1");
    /* Nobody else may take it. */
    sn_addr x;
    cr_assert_eq(sn_net_parse_addrs("127.100.255.254", &x, 1, err, sizeof err), 1);
    cr_expect_eq(sn_net_host_add(&A, "web", &x, 1, err, sizeof err), -EADDRINUSE);
    cr_expect(strstr(err, "default host"), "%s", err);
}
