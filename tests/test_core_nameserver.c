/* Unit tests of the network's nameserver (core/nameserver.c, names.c):
 * what it answers, and how a query datagram to port 53 comes back through
 * the datagram path (core/dgram.c): into the sender's own queue, from the
 * address it asked, unless a simulated socket receives there. */
#include <criterion/criterion.h>

#include "core/nameserver.h"
#include "tests/test_core_dns.h"
#include "tests/test_core_util.h"

TC_ARENA_FIXTURE(A)

TestSuite(core_nameserver, .init = setup, .fini = teardown, .timeout = 10);

static uint8_t R[SN_DNS_UDP_MAX];

static size_t ask(const char *name, uint16_t type)
{
    uint8_t m[512];
    size_t n = td_query(m, 0x77, name, type, false);
    size_t r = sn_nameserver_answer(&A, m, n, R, sizeof R);
    cr_assert_geq(r, n, "%s: a reply with the question", name);
    cr_assert_eq(td_get16(R), 0x77);
    cr_assert_eq(memcmp(R + 12, m + 12, n - 12), 0);
    return r;
}

/* The rdata of answer i (all answers are owned by a pointer, 12 bytes of
 * fixed part). */
static const uint8_t *rdata(size_t qlen, int i, uint16_t *type, uint16_t *len)
{
    const uint8_t *p = R + qlen;
    for (int k = 0; ; k++) {
        cr_assert_eq(td_get16(p), 0xc00c);
        *type = td_get16(p + 2);
        *len = td_get16(p + 10);
        if (k == i)
            return p + 12;
        p += 12 + *len;
    }
}

Test(core_nameserver, unknown_names_nxdomain)
{
    const char *names[] = {"nosuchname.example", "example.com", "localhost.example",
                           "db", "", "local\\host"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        ask(names[i], SN_DNS_A);
        cr_assert_eq(td_rcode(R), SN_DNS_NXDOMAIN, "%s", names[i]);
        cr_assert_eq(td_ancount(R), 0);
        cr_assert_eq(td_get16(R + 8), 0, "no SOA");
    }
}

Test(core_nameserver, localhost)
{
    uint8_t m[512];
    size_t qn = td_query(m, 0x77, "LOCALHOST", SN_DNS_A, false);
    ask("LOCALHOST", SN_DNS_A);
    cr_assert_eq(td_rcode(R), SN_DNS_NOERROR);
    cr_assert_eq(td_ancount(R), 1);
    uint16_t t, l;
    const uint8_t *d = rdata(qn, 0, &t, &l);
    cr_assert_eq(t, SN_DNS_A);
    cr_assert_eq(l, 4);
    cr_assert_eq(memcmp(d, "\x7f\0\0\x01", 4), 0);

    ask("localhost", SN_DNS_AAAA);
    cr_assert_eq(td_ancount(R), 1);
    d = rdata(qn, 0, &t, &l);
    cr_assert_eq(t, SN_DNS_AAAA);
    static const uint8_t lo6[16] = {[15] = 1};
    cr_assert_eq(memcmp(d, lo6, 16), 0);

    ask("localhost", SN_DNS_ANY);
    cr_assert_eq(td_ancount(R), 2);
}

Test(core_nameserver, nodata_for_other_types)
{
    ask("localhost", 15 /* MX */);
    cr_assert_eq(td_rcode(R), SN_DNS_NOERROR);
    cr_assert_eq(td_ancount(R), 0);
    ask("1.0.0.127.in-addr.arpa", SN_DNS_A);
    cr_assert_eq(td_rcode(R), SN_DNS_NOERROR);
    cr_assert_eq(td_ancount(R), 0);
}

Test(core_nameserver, reverse)
{
    uint8_t m[512];
    const char *v4 = "1.0.0.127.in-addr.arpa";
    const char *v6 = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.IP6.ARPA";
    const char *names[] = {v4, v6};
    for (int i = 0; i < 2; i++) {
        size_t qn = td_query(m, 0x77, names[i], SN_DNS_PTR, false);
        ask(names[i], SN_DNS_PTR);
        cr_assert_eq(td_rcode(R), SN_DNS_NOERROR);
        cr_assert_eq(td_ancount(R), 1);
        uint16_t t, l;
        const uint8_t *d = rdata(qn, 0, &t, &l);
        cr_assert_eq(t, SN_DNS_PTR);
        cr_assert_eq(l, 11);
        cr_assert_eq(memcmp(d, "\x09localhost", 11), 0);
    }
    ask("2.0.0.127.in-addr.arpa", SN_DNS_PTR);
    cr_assert_eq(td_rcode(R), SN_DNS_NXDOMAIN);
    ask("8.8.8.8.in-addr.arpa", SN_DNS_PTR);
    cr_assert_eq(td_rcode(R), SN_DNS_NXDOMAIN);
}

Test(core_nameserver, other_classes_and_transfers_refused)
{
    uint8_t m[512];
    size_t n = td_query(m, 1, "version.bind", 16 /* TXT */, false);
    m[n - 1] = 3;                             /* CHAOS */
    cr_assert_gt(sn_nameserver_answer(&A, m, n, R, sizeof R), 0);
    cr_assert_eq(td_rcode(R), SN_DNS_REFUSED);
    ask("localhost", SN_DNS_AXFR);
    cr_assert_eq(td_rcode(R), SN_DNS_REFUSED);
}

Test(core_nameserver, garbage)
{
    uint8_t m[64] = {0};
    cr_assert_eq(sn_nameserver_answer(&A, m, 5, R, sizeof R), 0, "no header");
    m[2] = 0x80;
    cr_assert_eq(sn_nameserver_answer(&A, m, 12, R, sizeof R), 0, "a response");
    m[2] = 0;
    cr_assert_eq(sn_nameserver_answer(&A, m, 12, R, sizeof R), 12);
    cr_assert_eq(td_rcode(R), SN_DNS_FORMERR, "no question");
}

/* ---- through the datagram path ---- */

static int udp(int family) { return sn_sock_create(&A, family, SOCK_DGRAM, 0); }

/* Send a query for name/type with sendto (ip given) or send; the reply's
 * rcode, its source as text in from. */
static int roundtrip(int s, const char *ip, const char *name, uint16_t type,
                     char *from, size_t fromlen)
{
    uint8_t m[512];
    size_t n = td_query(m, 0x99, name, type, false);
    ssize_t w;
    if (!ip)
        w = tc_send(&A, s, m, n, 0);
    else if (strchr(ip, ':'))
        w = tc_sendto6(&A, s, m, n, ip, SN_DNS_PORT);
    else
        w = tc_sendto4(&A, s, m, n, ip, SN_DNS_PORT);
    cr_assert_eq(w, (ssize_t)n, "send: %zd", w);
    sn_msg got;
    ssize_t r = tc_recv(&A, s, R, sizeof R, 0, &got);
    cr_assert_gt(r, 12, "reply: %zd", r);
    cr_assert_eq(td_get16(R), 0x99);
    tc_addr_str(&A, s, &got.from, from, fromlen);
    return td_rcode(R);
}

Test(core_nameserver, answered_from_the_address_asked)
{
    char from[64];
    int s = udp(AF_INET);
    cr_assert_eq(roundtrip(s, "10.255.255.53", "nosuchname.example", SN_DNS_A,
                           from, sizeof from), SN_DNS_NXDOMAIN);
    cr_assert_str_eq(from, "10.255.255.53:53");
    cr_assert_eq(roundtrip(s, "8.8.8.8", "localhost", SN_DNS_A, from, sizeof from),
                 SN_DNS_NOERROR);
    cr_assert_str_eq(from, "8.8.8.8:53");
    cr_assert_eq(roundtrip(s, "127.0.0.53", "localhost", SN_DNS_A, from, sizeof from),
                 SN_DNS_NOERROR);
    cr_assert_str_eq(from, "127.0.0.53:53");
    cr_assert_eq(tc_recv(&A, s, R, sizeof R, 0, NULL), -EAGAIN, "one reply each");

    int s6 = udp(AF_INET6);
    cr_assert_eq(roundtrip(s6, "2001:db8::53", "x.example", SN_DNS_AAAA, from,
                           sizeof from), SN_DNS_NXDOMAIN);
    cr_assert_str_eq(from, "[2001:db8::53]:53");
    cr_assert_eq(roundtrip(s6, "::ffff:10.255.255.53", "x.example", SN_DNS_A, from,
                           sizeof from), SN_DNS_NXDOMAIN);
    cr_assert_str_eq(from, "[::ffff:10.255.255.53]:53");
}

Test(core_nameserver, connected_socket)
{
    char from[64];
    int s = udp(AF_INET);
    cr_assert_eq(tc_connect4(&A, s, "10.255.255.53", SN_DNS_PORT), 0);
    tc_name(&A, s, true, from, sizeof from);
    cr_assert_str_eq(from, "10.255.255.53:53");
    for (int i = 0; i < 3; i++)
        cr_assert_eq(roundtrip(s, NULL, "nosuchname.example", SN_DNS_A, from,
                               sizeof from), SN_DNS_NXDOMAIN);
    cr_assert_str_eq(from, "10.255.255.53:53");
    /* no ICMP refusal: the next send is fine */
    cr_assert_eq(roundtrip(s, NULL, "localhost", SN_DNS_A, from, sizeof from), 0);
    int s6 = udp(AF_INET6);
    cr_assert_eq(tc_connect6(&A, s6, "2001:db8::53", SN_DNS_PORT), 0);
    cr_assert_eq(roundtrip(s6, NULL, "localhost", SN_DNS_AAAA, from, sizeof from), 0);
}

Test(core_nameserver, garbage_dropped_or_formerr)
{
    int s = udp(AF_INET);
    uint8_t m[12] = {0};
    cr_assert_eq(tc_sendto4(&A, s, m, 5, "10.255.255.53", 53), 5);
    cr_assert_eq(tc_recv(&A, s, R, sizeof R, 0, NULL), -EAGAIN, "dropped");
    cr_assert_eq(tc_sendto4(&A, s, m, 12, "10.255.255.53", 53), 12);
    cr_assert_eq(tc_recv(&A, s, R, sizeof R, 0, NULL), 12);
    cr_assert_eq(td_rcode(R), SN_DNS_FORMERR);
    /* longer than any query: judged by its header alone */
    static uint8_t big[4000];
    big[5] = 1;
    cr_assert_eq(tc_sendto4(&A, s, big, sizeof big, "10.255.255.53", 53), 4000);
    cr_assert_eq(tc_recv(&A, s, R, sizeof R, 0, NULL), 12);
    cr_assert_eq(td_rcode(R), SN_DNS_FORMERR);
}

Test(core_nameserver, a_users_server_comes_first)
{
    char from[64];
    int srv = udp(AF_INET);
    cr_assert_eq(tc_bind4(&A, srv, "127.0.0.1", SN_DNS_PORT), 0);
    int c = udp(AF_INET);
    uint8_t m[512];
    size_t n = td_query(m, 5, "localhost", SN_DNS_A, false);
    cr_assert_eq(tc_sendto4(&A, c, m, n, "127.0.0.1", 53), (ssize_t)n);
    cr_assert_eq(tc_recv(&A, srv, R, sizeof R, 0, NULL), (ssize_t)n, "to the server");
    cr_assert_eq(tc_recv(&A, c, R, sizeof R, 0, NULL), -EAGAIN, "not answered");
    /* another local address, where nobody listens: the network's */
    cr_assert_eq(roundtrip(c, "127.0.0.2", "localhost", SN_DNS_A, from, sizeof from), 0);
    cr_assert_str_eq(from, "127.0.0.2:53");
    /* once the server is gone (the route cached for it with it), the
     * network answers there too */
    sn_sock_release(&A, srv);
    cr_assert_eq(roundtrip(c, "127.0.0.1", "localhost", SN_DNS_A, from, sizeof from), 0);
    cr_assert_str_eq(from, "127.0.0.1:53");
}

Test(core_nameserver, not_beyond_port_53)
{
    int u = udp(AF_INET), t = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
    cr_assert_eq(tc_sendto4(&A, u, "x", 1, "10.255.255.53", 54), -ENETUNREACH);
    cr_assert_eq(tc_sendto4(&A, u, "x", 1, "255.255.255.255", 53), -EACCES);
    cr_assert_eq(tc_sendto4(&A, u, "x", 1, "224.0.0.1", 53), -ENETUNREACH);
    int lite = sn_sock_create(&A, AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE);
    cr_assert_eq(tc_sendto4(&A, lite, "x", 1, "10.255.255.53", 53), -ENETUNREACH,
                 "UDP-Lite is no DNS transport");
    /* DNS over TCP: nobody listens there */
    cr_assert_eq(tc_connect4(&A, t, "10.255.255.53", 53), -ECONNREFUSED);
    int t2 = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0);
    cr_assert_eq(tc_connect4(&A, t2, "10.255.255.53", 80), -ENETUNREACH);
    /* non-blocking, as a refused local port: EINPROGRESS, then SO_ERROR */
    int t3 = sn_sock_create(&A, AF_INET, SOCK_STREAM, 0), v;
    cr_assert_eq(tc_connect4_nb(&A, t3, "10.255.255.53", 53), -EINPROGRESS);
    cr_assert_eq(tc_getint(&A, t3, SOL_SOCKET, SO_ERROR, &v), 0);
    cr_assert_eq(v, ECONNREFUSED);
}
