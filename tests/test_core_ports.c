/* Unit tests of core/ports.c through the socket calls that use it: the
 * ephemeral port range (exhaustion, wrap-around of the hint, reuse of a
 * freed port), who may share a port (wildcards, dual stack, IPV6_V6ONLY,
 * SO_REUSEADDR, SO_REUSEPORT), and which addresses are local.
 *
 * Expected values are what Linux does (checked against the host kernel). */
#include <criterion/criterion.h>

#include "tests/test_core_util.h"

TC_ARENA_FIXTURE(A)

TestSuite(core_ports, .init = setup, .fini = teardown, .timeout = 10);

static int tcp4(void) { return sn_sock_create(&A, AF_INET, SOCK_STREAM, 0); }
static int tcp6(void) { return sn_sock_create(&A, AF_INET6, SOCK_STREAM, 0); }
static int udp4(void) { return sn_sock_create(&A, AF_INET, SOCK_DGRAM, 0); }

/* Shrink the ephemeral range to [lo, hi] and point the hints at `next`. */
static void set_range(int lo, int hi, int next)
{
    A.hdr->lim.port_lo = lo;
    A.hdr->lim.port_hi = hi;
    A.hdr->port_next[0] = A.hdr->port_next[1] = (uint32_t)next;
}

/* ---- ephemeral ports ---- */

Test(core_ports, ephemeral_range_exhaustion)
{
    enum { LO = 50000, HI = 50009, N = HI - LO + 1 };
    /* A listener on a fixed port outside the range, to connect to. */
    int l = tcp4();
    cr_assert_eq(tc_bind4(&A, l, "127.0.0.1", 40000), 0);
    cr_assert_eq(sn_sock_listen(&A, l, 16), 0);

    set_range(LO, HI, LO);
    int s[N];
    bool seen[N] = {false};
    for (int i = 0; i < N; i++) {
        s[i] = tcp4();
        cr_assert_geq(s[i], 0);
        cr_assert_eq(tc_bind4(&A, s[i], "0.0.0.0", 0), 0, "bind #%d", i);
        int p = tc_local_port(&A, s[i]);
        cr_assert(p >= LO && p <= HI, "port %d outside the range", p);
        cr_assert_not(seen[p - LO], "port %d given twice", p);
        seen[p - LO] = true;
    }
    /* Every port of the range is taken. */
    int x = tcp4();
    cr_assert_eq(tc_bind4(&A, x, "0.0.0.0", 0), -EADDRINUSE);
    cr_assert_eq(tc_bind4(&A, x, "127.0.0.1", 0), -EADDRINUSE);
    cr_assert_eq(sn_sock_at(&A, x)->state, SN_NEW, "failed bind left state");
    cr_assert_eq(tc_local_port(&A, x), 0, "failed bind left a port");
    /* connect()'s implicit bind reports the same as EADDRNOTAVAIL. */
    cr_assert_eq(tc_connect4(&A, x, "127.0.0.1", 40000), -EADDRNOTAVAIL);
    /* A datagram socket's connect binds first (Linux's inet_dgram_connect)
     * and says EAGAIN when its own range is full (checked on the kernel,
     * in a namespace with a two-port range). */
    int u[N];
    for (int i = 0; i < N; i++) {
        u[i] = udp4();
        cr_assert_eq(tc_bind4(&A, u[i], "0.0.0.0", 0), 0);
    }
    int y = udp4();
    cr_assert_eq(tc_bind4(&A, y, "0.0.0.0", 0), -EADDRINUSE);
    cr_assert_eq(tc_connect4(&A, y, "127.0.0.1", 40000), -EAGAIN);
}

Test(core_ports, freed_port_is_reused)
{
    enum { LO = 50000, HI = 50004, N = HI - LO + 1 };
    int l = tcp4();
    cr_assert_eq(tc_bind4(&A, l, "127.0.0.1", 40000), 0);
    cr_assert_eq(sn_sock_listen(&A, l, 16), 0);
    set_range(LO, HI, LO);
    int s[N];
    for (int i = 0; i < N; i++) {
        s[i] = tcp4();
        cr_assert_eq(tc_bind4(&A, s[i], "0.0.0.0", 0), 0);
    }
    int victim = tc_local_port(&A, s[2]);
    sn_sock_release(&A, s[2]);
    int x = tcp4();
    cr_assert_eq(tc_bind4(&A, x, "0.0.0.0", 0), 0);
    cr_assert_eq(tc_local_port(&A, x), victim);
    /* Free one more: connect's implicit bind takes it and connects. */
    int victim2 = tc_local_port(&A, s[4]);
    sn_sock_release(&A, s[4]);
    int c = tcp4();
    cr_assert_eq(tc_connect4(&A, c, "127.0.0.1", 40000), 0);
    cr_assert_eq(tc_local_port(&A, c), victim2);
    /* An explicit bind to a freed port works too. */
    int victim3 = tc_local_port(&A, s[0]);
    sn_sock_release(&A, s[0]);
    int e = tcp4();
    cr_assert_eq(tc_bind4(&A, e, "127.0.0.1", victim3), 0);
}

Test(core_ports, hint_wraps_around_the_range)
{
    set_range(50000, 50003, 50003);
    int a = tcp4(), b = tcp4(), c = tcp4();
    cr_assert_eq(tc_bind4(&A, a, "0.0.0.0", 0), 0);
    cr_assert_eq(tc_local_port(&A, a), 50003);
    cr_assert_eq(tc_bind4(&A, b, "0.0.0.0", 0), 0);
    cr_assert_eq(tc_local_port(&A, b), 50000, "hint did not wrap to lo");
    cr_assert_eq(tc_bind4(&A, c, "0.0.0.0", 0), 0);
    cr_assert_eq(tc_local_port(&A, c), 50001);
}

Test(core_ports, search_wraps_past_taken_high_ports)
{
    set_range(50000, 50003, 50002);
    /* 50002 and 50003 are taken by explicit binds. */
    int p2 = tcp4(), p3 = tcp4(), x = tcp4();
    cr_assert_eq(tc_bind4(&A, p2, "127.0.0.1", 50002), 0);
    cr_assert_eq(tc_bind4(&A, p3, "0.0.0.0", 50003), 0);
    cr_assert_eq(tc_bind4(&A, x, "127.0.0.1", 0), 0);
    cr_assert_eq(tc_local_port(&A, x), 50000);
    cr_assert_eq(A.hdr->port_next[0], 50001u);
}

Test(core_ports, stream_and_dgram_ports_are_separate)
{
    set_range(50000, 50000, 50000);
    int t = tcp4(), u = udp4();
    cr_assert_eq(tc_bind4(&A, t, "0.0.0.0", 0), 0);
    cr_assert_eq(tc_bind4(&A, u, "0.0.0.0", 0), 0);
    cr_assert_eq(tc_local_port(&A, t), 50000);
    cr_assert_eq(tc_local_port(&A, u), 50000);
    int t2 = tcp4();
    cr_assert_eq(tc_bind4(&A, t2, "0.0.0.0", 0), -EADDRINUSE);
}

Test(core_ports, ephemeral_port_is_not_shared_despite_reuse_options)
{
    set_range(50000, 50001, 50000);
    int a = tcp4(), b = tcp4();
    cr_assert_eq(tc_setint(&A, a, SOL_SOCKET, SO_REUSEADDR, 1), 0);
    cr_assert_eq(tc_setint(&A, b, SOL_SOCKET, SO_REUSEADDR, 1), 0);
    cr_assert_eq(tc_bind4(&A, a, "127.0.0.1", 0), 0);
    cr_assert_eq(tc_bind4(&A, b, "127.0.0.1", 0), 0);
    cr_assert_neq(tc_local_port(&A, a), tc_local_port(&A, b));
}

/* ---- wildcards and dual stack ---- */

Test(core_ports, v4_wildcard_conflicts_with_loopback)
{
    int a = tcp4(), b = tcp4();
    cr_assert_eq(tc_bind4(&A, a, "0.0.0.0", 41000), 0);
    cr_assert_eq(tc_bind4(&A, b, "127.0.0.1", 41000), -EADDRINUSE);
    /* ... in the other order too. */
    int c = tcp4(), d = tcp4();
    cr_assert_eq(tc_bind4(&A, c, "127.0.0.1", 41001), 0);
    cr_assert_eq(tc_bind4(&A, d, "0.0.0.0", 41001), -EADDRINUSE);
    /* Two wildcards conflict. */
    int e = tcp4();
    cr_assert_eq(tc_bind4(&A, e, "0.0.0.0", 41000), -EADDRINUSE);
}

Test(core_ports, distinct_specific_addresses_share_a_port)
{
    int a = tcp4(), b = tcp4(), c = tcp4();
    cr_assert_eq(tc_bind4(&A, a, "127.0.0.1", 41002), 0);
    cr_assert_eq(tc_bind4(&A, b, "127.0.0.2", 41002), 0);
    cr_assert_eq(tc_bind4(&A, c, "127.0.0.2", 41002), -EADDRINUSE);
    /* Each listens and gets its own connections. */
    cr_assert_eq(sn_sock_listen(&A, a, 4), 0);
    cr_assert_eq(sn_sock_listen(&A, b, 4), 0);
    int c1 = tcp4(), c2 = tcp4();
    cr_assert_eq(tc_connect4(&A, c1, "127.0.0.1", 41002), 0);
    cr_assert_eq(tc_connect4(&A, c2, "127.0.0.2", 41002), 0);
    sn_addr peer;
    int s1 = sn_sock_accept(&A, a, &peer);
    int s2 = sn_sock_accept(&A, b, &peer);
    cr_assert_geq(s1, 0);
    cr_assert_geq(s2, 0);
    char n1[64], n2[64];
    tc_name(&A, s1, false, n1, sizeof n1);
    tc_name(&A, s2, false, n2, sizeof n2);
    cr_assert_str_eq(n1, "127.0.0.1:41002");
    cr_assert_str_eq(n2, "127.0.0.2:41002");
    cr_assert_eq(sn_sock_accept(&A, a, &peer), -EAGAIN);
}

Test(core_ports, v6_dual_stack_wildcard_conflicts_with_v4_wildcard)
{
    int a = tcp6(), b = tcp4();
    cr_assert_eq(tc_bind6(&A, a, "::", 41010), 0);
    cr_assert_eq(tc_bind4(&A, b, "0.0.0.0", 41010), -EADDRINUSE);
    cr_assert_eq(tc_bind4(&A, b, "127.0.0.1", 41010), -EADDRINUSE);
    /* Other order. */
    int c = tcp4(), d = tcp6();
    cr_assert_eq(tc_bind4(&A, c, "0.0.0.0", 41011), 0);
    cr_assert_eq(tc_bind6(&A, d, "::", 41011), -EADDRINUSE);
    /* :: covers ::1. */
    int e = tcp6();
    cr_assert_eq(tc_bind6(&A, e, "::1", 41010), -EADDRINUSE);
}

Test(core_ports, v6only_wildcard_does_not_conflict_with_v4_wildcard)
{
    int a = tcp6(), b = tcp4();
    cr_assert_eq(tc_setint(&A, a, IPPROTO_IPV6, IPV6_V6ONLY, 1), 0);
    cr_assert_eq(tc_bind6(&A, a, "::", 41020), 0);
    cr_assert_eq(tc_bind4(&A, b, "0.0.0.0", 41020), 0);
    /* Two v6 wildcards still conflict, v6only or not. */
    int c = tcp6();
    cr_assert_eq(tc_setint(&A, c, IPPROTO_IPV6, IPV6_V6ONLY, 1), 0);
    cr_assert_eq(tc_bind6(&A, c, "::", 41020), -EADDRINUSE);
    /* Both listen; each family reaches its own listener. */
    cr_assert_eq(sn_sock_listen(&A, a, 4), 0);
    cr_assert_eq(sn_sock_listen(&A, b, 4), 0);
    int c4 = tcp4(), c6 = tcp6();
    cr_assert_eq(tc_connect4(&A, c4, "127.0.0.1", 41020), 0);
    cr_assert_eq(tc_connect6(&A, c6, "::1", 41020), 0);
    sn_addr peer;
    cr_assert_geq(sn_sock_accept(&A, a, &peer), 0);
    cr_assert_eq(sn_sock_accept(&A, a, &peer), -EAGAIN);
    cr_assert_geq(sn_sock_accept(&A, b, &peer), 0);
    cr_assert_eq(sn_sock_accept(&A, b, &peer), -EAGAIN);
    /* A v4-mapped destination from a v6-only socket cannot be reached. */
    int m = tcp6();
    cr_assert_eq(tc_setint(&A, m, IPPROTO_IPV6, IPV6_V6ONLY, 1), 0);
    cr_assert_eq(tc_connect6(&A, m, "::ffff:127.0.0.1", 41020), -ENETUNREACH);
}

Test(core_ports, v6only_socket_refuses_v4_mapped_bind)
{
    int a = tcp6();
    cr_assert_eq(tc_setint(&A, a, IPPROTO_IPV6, IPV6_V6ONLY, 1), 0);
    cr_assert_eq(tc_bind6(&A, a, "::ffff:127.0.0.1", 41030), -EINVAL);
}

Test(core_ports, v6_loopback_and_v4_loopback_share_a_port)
{
    int a = tcp6(), b = tcp4();
    cr_assert_eq(tc_bind6(&A, a, "::1", 41040), 0);
    cr_assert_eq(tc_bind4(&A, b, "127.0.0.1", 41040), 0);
    /* A dual-stack wildcard would cover both. */
    int c = tcp6();
    cr_assert_eq(tc_bind6(&A, c, "::", 41040), -EADDRINUSE);
}

Test(core_ports, tcp_and_udp_do_not_conflict)
{
    int t = tcp4(), u = udp4();
    cr_assert_eq(tc_bind4(&A, t, "0.0.0.0", 41050), 0);
    cr_assert_eq(tc_bind4(&A, u, "0.0.0.0", 41050), 0);
}

Test(core_ports, udplite_has_its_own_port_space)
{
    int u = udp4(), l = sn_sock_create(&A, AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE);
    int l2 = sn_sock_create(&A, AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE);
    cr_assert_eq(tc_bind4(&A, u, "127.0.0.1", 41060), 0);
    cr_assert_eq(tc_bind4(&A, l, "127.0.0.1", 41060), 0);
    cr_assert_eq(tc_bind4(&A, l2, "127.0.0.1", 41060), -EADDRINUSE);
    /* A UDP datagram reaches the UDP socket only, and the other way. */
    int su = udp4(), sl = sn_sock_create(&A, AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE);
    cr_assert_eq(tc_sendto4(&A, sl, "L", 1, "127.0.0.1", 41060), 1);
    cr_assert_eq(tc_sendto4(&A, su, "U", 1, "127.0.0.1", 41060), 1);
    char b[4];
    cr_assert_eq(tc_recv(&A, l, b, sizeof b, MSG_DONTWAIT, NULL), 1);
    cr_assert_eq(b[0], 'L');
    cr_assert_eq(tc_recv(&A, u, b, sizeof b, MSG_DONTWAIT, NULL), 1);
    cr_assert_eq(b[0], 'U');
    cr_assert_eq(tc_recv(&A, l, b, sizeof b, MSG_DONTWAIT, NULL), -EAGAIN);
}

/* ---- ports held by accepted connections ---- */

Test(core_ports, accepted_connections_keep_the_port_after_the_listener)
{
    int l = -1, c = -1, s = -1;
    cr_assert_eq(tc_tcp_pair(&A, AF_INET, &l, &c, &s), 0);
    int port = tc_local_port(&A, l);
    int x = tcp4();
    cr_assert_eq(tc_bind4(&A, x, "127.0.0.1", port), -EADDRINUSE);
    sn_sock_release(&A, l);
    /* The listener is gone; its connection still holds the port. */
    cr_assert_eq(tc_bind4(&A, x, "127.0.0.1", port), -EADDRINUSE);
    cr_assert_eq(tc_bind4(&A, x, "0.0.0.0", port), -EADDRINUSE);
    cr_assert_eq(tc_bind4(&A, x, "127.0.0.2", port), 0);
    /* Passive close of the server end: no TIME_WAIT, the port is free. */
    sn_sock_release(&A, c);
    sn_sock_release(&A, s);
    int y = tcp4();
    cr_assert_eq(tc_bind4(&A, y, "127.0.0.1", port), 0);
}

Test(core_ports, accepted_connections_share_with_reuseaddr_on_both)
{
    int l = tcp4();
    cr_assert_eq(tc_setint(&A, l, SOL_SOCKET, SO_REUSEADDR, 1), 0);
    cr_assert_eq(tc_bind4(&A, l, "127.0.0.1", 0), 0);
    cr_assert_eq(sn_sock_listen(&A, l, 4), 0);
    int port = tc_local_port(&A, l);
    int c = tcp4();
    cr_assert_eq(tc_connect4(&A, c, "127.0.0.1", port), 0);
    sn_addr peer;
    cr_assert_geq(sn_sock_accept(&A, l, &peer), 0);
    sn_sock_release(&A, l);
    int x = tcp4();
    cr_assert_eq(tc_bind4(&A, x, "127.0.0.1", port), -EADDRINUSE);
    cr_assert_eq(tc_setint(&A, x, SOL_SOCKET, SO_REUSEADDR, 1), 0);
    cr_assert_eq(tc_bind4(&A, x, "127.0.0.1", port), 0);
    cr_assert_eq(sn_sock_listen(&A, x, 4), 0);
}

/* ---- SO_REUSEADDR ---- */

Test(core_ports, reuseaddr_needs_both_sockets)
{
    int a = tcp4(), b = tcp4();
    cr_assert_eq(tc_setint(&A, a, SOL_SOCKET, SO_REUSEADDR, 1), 0);
    cr_assert_eq(tc_bind4(&A, a, "127.0.0.1", 41100), 0);
    cr_assert_eq(tc_bind4(&A, b, "127.0.0.1", 41100), -EADDRINUSE);
    cr_assert_eq(tc_setint(&A, b, SOL_SOCKET, SO_REUSEADDR, 1), 0);
    cr_assert_eq(tc_bind4(&A, b, "127.0.0.1", 41100), 0);
}

Test(core_ports, reuseaddr_two_bound_sockets_only_one_may_listen)
{
    /* Linux: both bind; the first listen() succeeds (the other is not
     * listening), the second fails with EADDRINUSE. */
    int a = tcp4(), b = tcp4();
    cr_assert_eq(tc_setint(&A, a, SOL_SOCKET, SO_REUSEADDR, 1), 0);
    cr_assert_eq(tc_setint(&A, b, SOL_SOCKET, SO_REUSEADDR, 1), 0);
    cr_assert_eq(tc_bind4(&A, a, "127.0.0.1", 41110), 0);
    cr_assert_eq(tc_bind4(&A, b, "127.0.0.1", 41110), 0);
    cr_assert_eq(sn_sock_listen(&A, a, 4), 0,
                 "first listen of two SO_REUSEADDR sockets must succeed");
    cr_assert_eq(sn_sock_listen(&A, b, 4), -EADDRINUSE);
}

Test(core_ports, reuseaddr_cannot_join_a_listener)
{
    int a = tcp4(), b = tcp4();
    cr_assert_eq(tc_setint(&A, a, SOL_SOCKET, SO_REUSEADDR, 1), 0);
    cr_assert_eq(tc_setint(&A, b, SOL_SOCKET, SO_REUSEADDR, 1), 0);
    cr_assert_eq(tc_bind4(&A, a, "127.0.0.1", 41120), 0);
    cr_assert_eq(sn_sock_listen(&A, a, 4), 0);
    cr_assert_eq(tc_bind4(&A, b, "127.0.0.1", 41120), -EADDRINUSE);
    /* Once the listener is gone the port is free again. */
    sn_sock_release(&A, a);
    cr_assert_eq(tc_bind4(&A, b, "127.0.0.1", 41120), 0);
    cr_assert_eq(sn_sock_listen(&A, b, 4), 0);
}

Test(core_ports, reuseaddr_udp_sockets_share)
{
    int a = udp4(), b = udp4();
    cr_assert_eq(tc_setint(&A, a, SOL_SOCKET, SO_REUSEADDR, 1), 0);
    cr_assert_eq(tc_setint(&A, b, SOL_SOCKET, SO_REUSEADDR, 1), 0);
    cr_assert_eq(tc_bind4(&A, a, "127.0.0.1", 41130), 0);
    cr_assert_eq(tc_bind4(&A, b, "127.0.0.1", 41130), 0);
}

/* ---- SO_REUSEPORT ---- */

Test(core_ports, reuseport_group_spreads_connections)
{
    enum { NL = 3, NC = 12 };
    int l[NL];
    for (int i = 0; i < NL; i++) {
        l[i] = tcp4();
        cr_assert_eq(tc_setint(&A, l[i], SOL_SOCKET, SO_REUSEPORT, 1), 0);
        cr_assert_eq(tc_bind4(&A, l[i], "127.0.0.1", 41200), 0, "member %d", i);
        cr_assert_eq(sn_sock_listen(&A, l[i], 64), 0, "member %d", i);
    }
    /* A socket without SO_REUSEPORT cannot join. */
    int out = tcp4();
    cr_assert_eq(tc_bind4(&A, out, "127.0.0.1", 41200), -EADDRINUSE);

    for (int i = 0; i < NC; i++) {
        int c = tcp4();
        cr_assert_eq(tc_connect4(&A, c, "127.0.0.1", 41200), 0);
    }
    int total = 0;
    for (int i = 0; i < NL; i++) {
        int n = 0;
        sn_addr peer;
        while (sn_sock_accept(&A, l[i], &peer) >= 0)
            n++;
        cr_assert_geq(n, 1, "listener %d of the group got no connection", i);
        total += n;
    }
    cr_assert_eq(total, NC);
}

Test(core_ports, reuseport_udp_group_delivers_each_datagram_once)
{
    int r1 = udp4(), r2 = udp4(), tx = udp4();
    cr_assert_eq(tc_setint(&A, r1, SOL_SOCKET, SO_REUSEPORT, 1), 0);
    cr_assert_eq(tc_setint(&A, r2, SOL_SOCKET, SO_REUSEPORT, 1), 0);
    cr_assert_eq(tc_bind4(&A, r1, "127.0.0.1", 41210), 0);
    cr_assert_eq(tc_bind4(&A, r2, "127.0.0.1", 41210), 0);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(tc_sendto4(&A, tx, "d", 1, "127.0.0.1", 41210), 1);
    int n1 = 0, n2 = 0;
    char b;
    while (tc_recv(&A, r1, &b, 1, 0, NULL) == 1)
        n1++;
    while (tc_recv(&A, r2, &b, 1, 0, NULL) == 1)
        n2++;
    cr_assert_eq(n1 + n2, 5);
    /* One flow (same source) always lands on the same member. */
    cr_assert(n1 == 5 || n2 == 5, "flow split: %d / %d", n1, n2);
}

/* A sender remembers where its last datagram went (core/dgram.c); each
 * change below must send the next one where the port table now says. */
static char recv1(int s)
{
    char b = 0;
    return tc_recv(&A, s, &b, 1, 0, NULL) == 1 ? b : 0;
}

Test(core_ports, dgram_route_follows_close_and_rebind)
{
    int tx = udp4(), r1 = udp4();
    cr_assert_eq(tc_bind4(&A, r1, "127.0.0.1", 41300), 0);
    cr_assert_eq(tc_sendto4(&A, tx, "a", 1, "127.0.0.1", 41300), 1);
    cr_assert_eq(tc_sendto4(&A, tx, "b", 1, "127.0.0.1", 41300), 1);
    cr_assert_eq(recv1(r1), 'a');
    cr_assert_eq(recv1(r1), 'b');
    /* Closed: nobody there, the datagram is dropped. */
    sn_sock_release(&A, r1);
    cr_assert_eq(tc_sendto4(&A, tx, "c", 1, "127.0.0.1", 41300), 1);
    /* A new socket in the same slot binds the same port: it gets the
     * next datagram, and nothing from before. */
    int r2 = udp4();
    cr_assert_eq(r2, r1, "the slot was not reused; the test needs it");
    cr_assert_eq(tc_bind4(&A, r2, "127.0.0.1", 41300), 0);
    cr_assert_eq(tc_sendto4(&A, tx, "d", 1, "127.0.0.1", 41300), 1);
    cr_assert_eq(recv1(r2), 'd');
    cr_assert_eq(recv1(r2), 0);
}

Test(core_ports, dgram_route_follows_a_more_specific_bind)
{
    int tx = udp4(), wild = udp4(), lo = udp4();
    cr_assert_eq(tc_setint(&A, wild, SOL_SOCKET, SO_REUSEADDR, 1), 0);
    cr_assert_eq(tc_setint(&A, lo, SOL_SOCKET, SO_REUSEADDR, 1), 0);
    cr_assert_eq(tc_bind4(&A, wild, "0.0.0.0", 41301), 0);
    cr_assert_eq(tc_sendto4(&A, tx, "a", 1, "127.0.0.1", 41301), 1);
    cr_assert_eq(tc_bind4(&A, lo, "127.0.0.1", 41301), 0);
    cr_assert_eq(tc_sendto4(&A, tx, "b", 1, "127.0.0.1", 41301), 1);
    cr_assert_eq(recv1(wild), 'a');
    cr_assert_eq(recv1(lo), 'b');
    /* It closes: back to the wildcard. */
    sn_sock_release(&A, lo);
    cr_assert_eq(tc_sendto4(&A, tx, "c", 1, "127.0.0.1", 41301), 1);
    cr_assert_eq(recv1(wild), 'c');
}

Test(core_ports, dgram_route_follows_connect_and_disconnect)
{
    int tx = udp4(), lo = udp4(), conn = udp4();
    cr_assert_eq(tc_bind4(&A, tx, "127.0.0.1", 41302), 0);
    cr_assert_eq(tc_setint(&A, lo, SOL_SOCKET, SO_REUSEADDR, 1), 0);
    cr_assert_eq(tc_setint(&A, conn, SOL_SOCKET, SO_REUSEADDR, 1), 0);
    cr_assert_eq(tc_bind4(&A, lo, "127.0.0.1", 41303), 0);
    cr_assert_eq(tc_bind4(&A, conn, "0.0.0.0", 41303), 0);
    cr_assert_eq(tc_sendto4(&A, tx, "a", 1, "127.0.0.1", 41303), 1);
    cr_assert_eq(recv1(lo), 'a');
    /* Connected to tx, `conn` beats the specific address for tx's
     * datagrams... */
    cr_assert_eq(tc_connect4(&A, conn, "127.0.0.1", 41302), 0);
    cr_assert_eq(tc_sendto4(&A, tx, "b", 1, "127.0.0.1", 41303), 1);
    cr_assert_eq(recv1(conn), 'b');
    /* ...until it disconnects. */
    struct sockaddr sa = {.sa_family = AF_UNSPEC};
    cr_assert_eq(sn_sock_connect(&A, conn, &sa, sizeof sa, false), 0);
    cr_assert_eq(tc_sendto4(&A, tx, "c", 1, "127.0.0.1", 41303), 1);
    cr_assert_eq(recv1(lo), 'c');
    cr_assert_eq(recv1(conn), 0);
}

Test(core_ports, dgram_route_connected_sender_sees_refusal_after_close)
{
    int tx = udp4(), r = udp4();
    cr_assert_eq(tc_bind4(&A, r, "127.0.0.1", 41304), 0);
    cr_assert_eq(tc_connect4(&A, tx, "127.0.0.1", 41304), 0);
    cr_assert_eq(tc_send(&A, tx, "a", 1, 0), 1);
    cr_assert_eq(recv1(r), 'a');
    sn_sock_release(&A, r);
    cr_assert_eq(tc_send(&A, tx, "b", 1, 0), 1);     /* dropped */
    cr_assert_eq(tc_send(&A, tx, "c", 1, 0), -ECONNREFUSED);
}

/* ---- which addresses exist ---- */

Test(core_ports, all_of_127_slash_8_is_local)
{
    int a = tcp4();
    cr_assert_eq(tc_bind4(&A, a, "127.0.0.2", 41300), 0);
    cr_assert_eq(sn_sock_listen(&A, a, 4), 0);
    int c = tcp4();
    cr_assert_eq(tc_connect4(&A, c, "127.0.0.1", 41300), -ECONNREFUSED,
                 "a listener on 127.0.0.2 must not take 127.0.0.1");
    int d = tcp4();
    cr_assert_eq(tc_connect4(&A, d, "127.0.0.2", 41300), 0);
    char n[64];
    tc_name(&A, d, true, n, sizeof n);
    cr_assert_str_eq(n, "127.0.0.2:41300");
    /* Linux picks 127.0.0.1 as the source for any 127/8 destination. */
    tc_name(&A, d, false, n, sizeof n);
    cr_assert(strncmp(n, "127.0.0.1:", 10) == 0, "source %s", n);
    int e = tcp4();
    cr_assert_eq(tc_bind4(&A, e, "127.255.255.254", 0), 0);
}

Test(core_ports, foreign_addresses)
{
    int a = tcp4(), u = udp4(), s6 = tcp6();
    cr_assert_eq(tc_bind4(&A, a, "192.0.2.1", 0), -EADDRNOTAVAIL);
    cr_assert_eq(sn_sock_at(&A, a)->state, SN_NEW);
    cr_assert_eq(tc_bind4(&A, u, "192.0.2.1", 5000), -EADDRNOTAVAIL);
    cr_assert_eq(tc_bind6(&A, s6, "2001:db8::1", 0), -EADDRNOTAVAIL);
    /* Nothing can leave the simulated host. */
    cr_assert_eq(tc_connect4(&A, a, "192.0.2.1", 80), -ENETUNREACH);
    cr_assert_eq(tc_connect6(&A, s6, "2001:db8::1", 80), -ENETUNREACH);
    cr_assert_eq(tc_sendto4(&A, u, "x", 1, "192.0.2.1", 54), -ENETUNREACH);
    cr_assert_eq(tc_connect4(&A, u, "192.0.2.1", 54), -ENETUNREACH);
    /* (port 53 is the network's nameserver: test_core_nameserver.c) */
    /* TCP fails on the route before it takes a port; UDP, like Linux's
     * inet_send_prepare / inet_dgram_connect, binds a port first. */
    cr_assert_eq(sn_sock_at(&A, a)->in_chain, 0);
    cr_assert_eq(sn_sock_at(&A, u)->in_chain, 1);
}

Test(core_ports, connect_to_wildcard_means_this_host)
{
    int l = tcp4();
    cr_assert_eq(tc_bind4(&A, l, "0.0.0.0", 41310), 0);
    cr_assert_eq(sn_sock_listen(&A, l, 4), 0);
    int c = tcp4();
    cr_assert_eq(tc_connect4(&A, c, "0.0.0.0", 41310), 0);
    char n[64];
    tc_name(&A, c, true, n, sizeof n);
    cr_assert_str_eq(n, "127.0.0.1:41310");
}
