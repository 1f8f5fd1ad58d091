/* Unit tests of core/conn.c, accept.c, holders.c, lifetime.c, stream.c, dgram.c and
 * opts.c: the socket state machine, the stream and datagram data paths,
 * and socket options.
 * Single-threaded; everything is driven through the non-blocking core
 * calls.  Expected values are Linux's (checked against the host kernel). */
#include <criterion/criterion.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/test_core_util.h"

TC_ARENA_FIXTURE(A)

TestSuite(core_sock, .init = setup, .fini = teardown, .timeout = 10);
TestSuite(core_dgram, .init = setup, .fini = teardown, .timeout = 10);
TestSuite(core_opts, .init = setup, .fini = teardown, .timeout = 10);

static int tcp4(void) { return sn_sock_create(&A, AF_INET, SOCK_STREAM, 0); }
static int tcp6(void) { return sn_sock_create(&A, AF_INET6, SOCK_STREAM, 0); }
static int udp4(void) { return sn_sock_create(&A, AF_INET, SOCK_DGRAM, 0); }
static int udp6(void) { return sn_sock_create(&A, AF_INET6, SOCK_DGRAM, 0); }
static int state(int s) { return sn_sock_at(&A, s)->state; }

static int listener4(int backlog, int *port)
{
    int l = tcp4();
    cr_assert_geq(l, 0);
    cr_assert_eq(tc_bind4(&A, l, "127.0.0.1", 0), 0);
    cr_assert_eq(sn_sock_listen(&A, l, backlog), 0);
    *port = tc_local_port(&A, l);
    cr_assert_gt(*port, 0);
    return l;
}

static void pair4(int *l, int *c, int *s)
{
    cr_assert_eq(tc_tcp_pair(&A, AF_INET, l, c, s), 0);
}

#define NAME_IS(s, peer, want)                                          \
    do {                                                                \
        char n_[80];                                                    \
        tc_name(&A, (s), (peer), n_, sizeof n_);                        \
        cr_assert_str_eq(n_, (want), "%s name of %d",                   \
                         (peer) ? "peer" : "local", (s));               \
    } while (0)

/* ================= stream: lifecycle ================= */

Test(core_sock, create_rejects_what_is_not_simulated)
{
    cr_assert_eq(sn_sock_create(&A, AF_UNIX, SOCK_STREAM, 0), -EAFNOSUPPORT);
    cr_assert_eq(sn_sock_create(&A, AF_INET, SOCK_RAW, 0), -ESOCKTNOSUPPORT);
    cr_assert_eq(sn_sock_create(&A, AF_INET, SOCK_STREAM, IPPROTO_UDP),
                 -EPROTONOSUPPORT);
    cr_assert_eq(sn_sock_create(&A, AF_INET6, SOCK_DGRAM, IPPROTO_TCP),
                 -EPROTONOSUPPORT);
    cr_assert_eq(A.hdr->nsocks, 0, "a failed create used a slot");
    int s = sn_sock_create(&A, AF_INET6, SOCK_STREAM, IPPROTO_TCP);
    cr_assert_geq(s, 0);
    cr_assert_eq(A.hdr->nsocks, 1);
    /* Stream-only calls on a datagram socket. */
    int u = udp4();
    cr_assert_eq(sn_sock_listen(&A, u, 1), -EOPNOTSUPP);
    cr_assert_eq(sn_sock_accept(&A, u, &(sn_addr){0}), -EOPNOTSUPP);
}

Test(core_sock, bind_checks)
{
    int a = tcp4(), b = tcp6();
    /* Linux takes AF_UNSPEC with INADDR_ANY on an AF_INET socket... */
    struct sockaddr_in any = tc_sa4("0.0.0.0", 41400);
    any.sin_family = AF_UNSPEC;
    cr_assert_eq(sn_sock_bind(&A, a, (struct sockaddr *)&any, sizeof any), 0);
    NAME_IS(a, false, "0.0.0.0:41400");
    /* ... but not with another address. */
    int c = tcp4();
    struct sockaddr_in lo = tc_sa4("127.0.0.1", 41401);
    lo.sin_family = AF_UNSPEC;
    cr_assert_eq(sn_sock_bind(&A, c, (struct sockaddr *)&lo, sizeof lo),
                 -EAFNOSUPPORT);
    /* Short addresses. */
    struct sockaddr_in6 six = tc_sa6("::1", 41402);
    cr_assert_eq(sn_sock_bind(&A, b, (struct sockaddr *)&six, 23), -EINVAL);
    cr_assert_eq(sn_sock_bind(&A, b, (struct sockaddr *)&six, 24), 0,
                 "RFC 2133 sockaddr_in6 without scope id");
    cr_assert_eq(sn_sock_bind(&A, c, (struct sockaddr *)&lo,
                              sizeof lo - 1), -EINVAL);
    /* Family mismatch. */
    cr_assert_eq(sn_sock_bind(&A, c, (struct sockaddr *)&six, sizeof six),
                 -EAFNOSUPPORT);
}

Test(core_sock, create_bind_listen_connect_accept)
{
    int l = tcp4();
    cr_assert_geq(l, 0);
    cr_assert_eq(state(l), SN_NEW);
    NAME_IS(l, false, "0.0.0.0:0");
    NAME_IS(l, true, "error 107");              /* ENOTCONN */
    cr_assert_eq(sn_sock_accept(&A, l, &(sn_addr){0}), -EINVAL);

    cr_assert_eq(tc_bind4(&A, l, "127.0.0.1", 0), 0);
    cr_assert_eq(state(l), SN_BOUND);
    int port = tc_local_port(&A, l);
    cr_assert_gt(port, 0);
    cr_assert_eq(tc_bind4(&A, l, "127.0.0.1", 0), -EINVAL, "second bind");

    cr_assert_eq(sn_sock_listen(&A, l, 8), 0);
    cr_assert_eq(state(l), SN_LISTEN);
    int v;
    cr_assert_eq(tc_getint(&A, l, SOL_SOCKET, SO_ACCEPTCONN, &v), 0);
    cr_assert_eq(v, 1);
    cr_assert_eq(sn_sock_accept(&A, l, &(sn_addr){0}), -EAGAIN);
    cr_assert_eq(sn_sock_listen(&A, l, 2), 0, "listen again changes backlog");
    cr_assert_eq(sn_sock_at(&A, l)->backlog, 2);

    int c = tcp4();
    cr_assert_eq(tc_connect4(&A, c, "127.0.0.1", port), 0);
    cr_assert_eq(state(c), SN_CONNECTED);
    cr_assert_eq(tc_connect4(&A, c, "127.0.0.1", port), -EISCONN);
    cr_assert_eq(sn_sock_connect_result(&A, c), 0);

    sn_addr peer;
    int s = sn_sock_accept(&A, l, &peer);
    cr_assert_geq(s, 0);
    cr_assert_eq(state(s), SN_CONNECTED);
    cr_assert_eq(sn_sock_accept(&A, l, &peer), -EAGAIN);

    char want[64], got[64];
    tc_name(&A, c, false, want, sizeof want);
    tc_addr_str(&A, s, &peer, got, sizeof got);
    cr_assert_str_eq(got, want, "accept's peer is the client's name");
    cr_assert(strncmp(want, "127.0.0.1:", 10) == 0, "client name %s", want);
    snprintf(want, sizeof want, "127.0.0.1:%d", port);
    NAME_IS(c, true, want);
    NAME_IS(s, false, want);
    tc_name(&A, c, false, want, sizeof want);
    NAME_IS(s, true, want);

    /* Wrong calls in the wrong states. */
    cr_assert_eq(sn_sock_listen(&A, c, 4), -EINVAL);
    cr_assert_eq(sn_sock_accept(&A, c, &peer), -EINVAL);
    cr_assert_eq(tc_connect4(&A, l, "127.0.0.1", port), -EISCONN);
    char b[8];
    cr_assert_eq(tc_recv(&A, l, b, sizeof b, 0, NULL), -ENOTCONN);
    cr_assert_eq(tc_recv(&A, tcp4(), b, sizeof b, 0, NULL), -ENOTCONN);
    cr_assert_eq(tc_send(&A, tcp4(), "x", 1, 0), -EPIPE);

    /* Data both ways. */
    cr_assert_eq(tc_send(&A, c, "ping", 4, 0), 4);
    cr_assert_eq(sn_sock_inq(&A, s), 4);
    memset(b, 0, sizeof b);
    cr_assert_eq(tc_recv(&A, s, b, sizeof b, 0, NULL), 4);
    cr_assert_str_eq(b, "ping");
    cr_assert_eq(tc_recv(&A, s, b, sizeof b, 0, NULL), -EAGAIN);
    cr_assert_eq(tc_send(&A, s, "pong", 4, 0), 4);
    memset(b, 0, sizeof b);
    cr_assert_eq(tc_recv(&A, c, b, sizeof b, 0, NULL), 4);
    cr_assert_str_eq(b, "pong");
}

Test(core_sock, listen_without_bind_picks_a_port)
{
    int l = tcp4();
    cr_assert_eq(sn_sock_listen(&A, l, 4), 0);
    int port = tc_local_port(&A, l);
    cr_assert(port >= A.hdr->lim.port_lo && port <= A.hdr->lim.port_hi,
              "port %d", port);
    char want[32];
    snprintf(want, sizeof want, "0.0.0.0:%d", port);
    NAME_IS(l, false, want);
}

Test(core_sock, v6_dual_stack_listener_sees_v4_mapped_peers)
{
    int l = tcp6();
    cr_assert_eq(tc_bind6(&A, l, "::", 41500), 0);
    cr_assert_eq(sn_sock_listen(&A, l, 4), 0);
    int c = tcp4();
    cr_assert_eq(tc_connect4(&A, c, "127.0.0.1", 41500), 0);
    sn_addr peer;
    int s = sn_sock_accept(&A, l, &peer);
    cr_assert_geq(s, 0);
    NAME_IS(s, false, "[::ffff:127.0.0.1]:41500");
    char got[80], want[80];
    tc_addr_str(&A, s, &peer, got, sizeof got);
    snprintf(want, sizeof want, "[::ffff:127.0.0.1]:%d", tc_local_port(&A, c));
    cr_assert_str_eq(got, want);
    NAME_IS(c, true, "127.0.0.1:41500");
    /* And a v6 client. */
    int c6 = tcp6();
    cr_assert_eq(tc_connect6(&A, c6, "::1", 41500), 0);
    int s6 = sn_sock_accept(&A, l, &peer);
    cr_assert_geq(s6, 0);
    NAME_IS(s6, false, "[::1]:41500");
}

Test(core_sock, connect_refused_then_retry)
{
    int c = tcp4();
    cr_assert_eq(tc_connect4(&A, c, "127.0.0.1", 41510), -ECONNREFUSED);
    cr_assert_eq(sn_sock_at(&A, c)->in_chain, 0,
                 "refused connect kept its implicit port");
    int l = tcp4();
    cr_assert_eq(tc_bind4(&A, l, "127.0.0.1", 41510), 0);
    cr_assert_eq(sn_sock_listen(&A, l, 4), 0);
    cr_assert_eq(tc_connect4(&A, c, "127.0.0.1", 41510), 0);
    cr_assert_geq(sn_sock_accept(&A, l, &(sn_addr){0}), 0);
}

Test(core_sock, bind_after_refused_connect)
{
    /* Linux: a refused connect gives back its implicit port and leaves the
     * socket in CLOSE with no port, so bind() is allowed again. */
    int c = tcp4();
    cr_assert_eq(tc_connect4(&A, c, "127.0.0.1", 41520), -ECONNREFUSED);
    cr_assert_eq(tc_bind4(&A, c, "127.0.0.1", 0), 0,
                 "bind() after a refused connect() must succeed");
}

Test(core_sock, bind_after_refused_nonblocking_connect)
{
    int c = tcp4();
    cr_assert_eq(tc_connect4_nb(&A, c, "127.0.0.1", 41521), -EINPROGRESS);
    int v;
    cr_assert_eq(tc_getint(&A, c, SOL_SOCKET, SO_ERROR, &v), 0);
    cr_assert_eq(v, ECONNREFUSED);
    cr_assert_eq(tc_bind4(&A, c, "127.0.0.1", 0), 0,
                 "bind() after a refused non-blocking connect() must succeed");
}

Test(core_sock, listen_again_with_larger_backlog_admits_waiters)
{
    int port;
    int l = listener4(0, &port);
    int c1 = tcp4(), c2 = tcp4();
    cr_assert_eq(tc_connect4(&A, c1, "127.0.0.1", port), 0);
    cr_assert_eq(tc_connect4(&A, c2, "127.0.0.1", port), -EINPROGRESS);
    cr_assert_eq(sn_sock_listen(&A, l, 8), 0);
    cr_assert_eq(sn_sock_connect_result(&A, c2), 0);
    cr_assert_eq(sn_sock_at(&A, l)->acc_len, 2);
}

Test(core_sock, nonblocking_connect_reports_through_next_connect)
{
    int port;
    int l = listener4(4, &port);
    int c = tcp4();
    cr_assert_eq(tc_connect4_nb(&A, c, "127.0.0.1", port), -EINPROGRESS);
    cr_assert_eq(tc_connect4_nb(&A, c, "127.0.0.1", port), 0);
    cr_assert_eq(tc_connect4_nb(&A, c, "127.0.0.1", port), -EISCONN);
    cr_assert_geq(sn_sock_accept(&A, l, &(sn_addr){0}), 0);

    /* Refused: EINPROGRESS, SO_ERROR says why (once). */
    int d = tcp4();
    cr_assert_eq(tc_connect4_nb(&A, d, "127.0.0.1", 41530), -EINPROGRESS);
    int v;
    cr_assert_eq(tc_getint(&A, d, SOL_SOCKET, SO_ERROR, &v), 0);
    cr_assert_eq(v, ECONNREFUSED);
    cr_assert_eq(tc_getint(&A, d, SOL_SOCKET, SO_ERROR, &v), 0);
    cr_assert_eq(v, 0);
}

/* ================= stream: backlog ================= */

Test(core_sock, full_backlog_queues_connect_until_accept)
{
    int port;
    int l = listener4(1, &port);    /* Linux: backlog 1 lets 2 complete */
    int c[3];
    for (int i = 0; i < 2; i++) {
        c[i] = tcp4();
        cr_assert_eq(tc_connect4(&A, c[i], "127.0.0.1", port), 0, "#%d", i);
    }
    c[2] = tcp4();
    cr_assert_eq(tc_connect4(&A, c[2], "127.0.0.1", port), -EINPROGRESS);
    cr_assert_eq(state(c[2]), SN_CONNECTING);
    cr_assert_eq(sn_sock_connect_result(&A, c[2]), -EAGAIN);
    cr_assert_eq(tc_connect4(&A, c[2], "127.0.0.1", port), -EALREADY);
    /* While queued, a send would wait, a recv finds nothing. */
    cr_assert_eq(tc_send(&A, c[2], "x", 1, 0), -EAGAIN);

    uint32_t seq = sn_wait_prepare(&A, c[2]);
    sn_addr peer;
    int s0 = sn_sock_accept(&A, l, &peer);
    cr_assert_geq(s0, 0);
    /* The accept let c[2] in and woke it. */
    struct timespec dl = tc_deadline_ms(2000);
    cr_assert_eq(sn_wait(&A, c[2], seq, &dl), 0, "connector not woken");
    cr_assert_eq(sn_sock_connect_result(&A, c[2]), 0);
    cr_assert_eq(state(c[2]), SN_CONNECTED);

    /* Data sent now reaches the server end once it is accepted. */
    cr_assert_eq(tc_send(&A, c[2], "late", 4, 0), 4);
    int s1 = sn_sock_accept(&A, l, &peer);
    int s2 = sn_sock_accept(&A, l, &peer);
    cr_assert_geq(s1, 0);
    cr_assert_geq(s2, 0);
    cr_assert_eq(sn_sock_accept(&A, l, &peer), -EAGAIN);
    char b[8] = {0};
    cr_assert_eq(tc_recv(&A, s2, b, sizeof b, 0, NULL), 4);
    cr_assert_str_eq(b, "late");
}

Test(core_sock, closing_a_queued_connector_leaves_the_queue)
{
    int port;
    int l = listener4(0, &port);
    int c1 = tcp4(), c2 = tcp4(), c3 = tcp4();
    cr_assert_eq(tc_connect4(&A, c1, "127.0.0.1", port), 0);
    cr_assert_eq(tc_connect4(&A, c2, "127.0.0.1", port), -EINPROGRESS);
    cr_assert_eq(tc_connect4(&A, c3, "127.0.0.1", port), -EINPROGRESS);
    sn_sock_release(&A, c2);           /* gives up while in line */
    sn_addr peer;
    cr_assert_geq(sn_sock_accept(&A, l, &peer), 0);
    cr_assert_eq(sn_sock_connect_result(&A, c3), 0, "c3 was not admitted");
    cr_assert_geq(sn_sock_accept(&A, l, &peer), 0);
    cr_assert_eq(sn_sock_accept(&A, l, &peer), -EAGAIN);
}

Test(core_sock, closing_listener_resets_queued_and_refuses_waiting)
{
    int port;
    int l = listener4(0, &port);
    int c1 = tcp4(), c2 = tcp4();
    cr_assert_eq(tc_connect4(&A, c1, "127.0.0.1", port), 0);     /* queued */
    cr_assert_eq(tc_send(&A, c1, "unseen", 6, 0), 6);
    cr_assert_eq(tc_connect4(&A, c2, "127.0.0.1", port), -EINPROGRESS);
    uint32_t nsocks = A.hdr->nsocks;
    uint32_t seq2 = sn_wait_prepare(&A, c2);

    sn_sock_release(&A, l);
    cr_assert_eq(A.hdr->nsocks, nsocks - 2,
                 "listener and its unaccepted connection should be freed");

    /* The queued connection is reset: ECONNRESET once, then EOF. */
    char b[8];
    cr_assert_eq(tc_recv(&A, c1, b, sizeof b, 0, NULL), -ECONNRESET);
    cr_assert_eq(tc_recv(&A, c1, b, sizeof b, 0, NULL), 0);
    cr_assert_eq(tc_send(&A, c1, "x", 1, 0), -EPIPE);
    NAME_IS(c1, true, "error 107");

    /* The waiting connector is refused and was woken. */
    struct timespec dl = tc_deadline_ms(2000);
    cr_assert_eq(sn_wait(&A, c2, seq2, &dl), 0);
    cr_assert_eq(sn_sock_connect_result(&A, c2), -ECONNREFUSED);
    cr_assert_neq(state(c2), SN_CONNECTING);

    /* The port is free again, and c2 may try again. */
    int l2 = tcp4();
    cr_assert_eq(tc_bind4(&A, l2, "127.0.0.1", port), 0);
    cr_assert_eq(sn_sock_listen(&A, l2, 4), 0);
    cr_assert_eq(tc_connect4(&A, c2, "127.0.0.1", port), 0);
}

Test(core_sock, shutdown_rd_on_listener_stops_listening)
{
    int port;
    int l = listener4(0, &port);
    int c1 = tcp4(), c2 = tcp4();
    cr_assert_eq(tc_connect4(&A, c1, "127.0.0.1", port), 0);
    cr_assert_eq(tc_connect4(&A, c2, "127.0.0.1", port), -EINPROGRESS);
    cr_assert_eq(sn_sock_shutdown(&A, l, SHUT_RD), 0);
    cr_assert_neq(state(l), SN_LISTEN);
    cr_assert_eq(sn_sock_connect_result(&A, c2), -ECONNREFUSED);
    char b[4];
    cr_assert_eq(tc_recv(&A, c1, b, sizeof b, 0, NULL), -ECONNRESET);
    int c3 = tcp4();
    cr_assert_eq(tc_connect4(&A, c3, "127.0.0.1", port), -ECONNREFUSED);
}

/* ================= stream: ending a connection ================= */

Test(core_sock, shutdown_wr_is_a_half_close)
{
    int l = -1, c = -1, s = -1;
    pair4(&l, &c, &s);
    cr_assert_eq(tc_send(&A, c, "last", 4, 0), 4);
    cr_assert_eq(sn_sock_shutdown(&A, c, SHUT_WR), 0);
    char b[16] = {0};
    /* The data before the FIN, then EOF, and EOF again. */
    cr_assert_eq(tc_recv(&A, s, b, sizeof b, 0, NULL), 4);
    cr_assert_str_eq(b, "last");
    cr_assert_eq(tc_recv(&A, s, b, sizeof b, 0, NULL), 0);
    cr_assert_eq(tc_recv(&A, s, b, sizeof b, 0, NULL), 0);
    /* The other direction still works. */
    cr_assert_eq(tc_send(&A, s, "back", 4, 0), 4);
    memset(b, 0, sizeof b);
    cr_assert_eq(tc_recv(&A, c, b, sizeof b, 0, NULL), 4);
    cr_assert_str_eq(b, "back");
    cr_assert_eq(tc_recv(&A, c, b, sizeof b, 0, NULL), -EAGAIN);
    /* The shut side cannot send. */
    cr_assert_eq(tc_send(&A, c, "x", 1, 0), -EPIPE);
    /* Both sides done: the connection is over, reads say EOF. */
    cr_assert_eq(sn_sock_shutdown(&A, s, SHUT_WR), 0);
    cr_assert_eq(tc_recv(&A, c, b, sizeof b, 0, NULL), 0);
    NAME_IS(c, true, "error 107");
    NAME_IS(s, true, "error 107");
}

Test(core_sock, shutdown_argument_checks)
{
    int c = tcp4();
    cr_assert_eq(sn_sock_shutdown(&A, c, 3), -EINVAL);
    cr_assert_eq(sn_sock_shutdown(&A, c, -1), -EINVAL);
    cr_assert_eq(sn_sock_shutdown(&A, c, SHUT_RDWR), -ENOTCONN);
}

Test(core_sock, orderly_close_gives_eof_then_epipe)
{
    int l = -1, c = -1, s = -1;
    pair4(&l, &c, &s);
    cr_assert_eq(tc_send(&A, c, "bye", 3, 0), 3);
    sn_sock_release(&A, c);
    char b[8] = {0};
    cr_assert_eq(tc_recv(&A, s, b, sizeof b, 0, NULL), 3);
    cr_assert_str_eq(b, "bye");
    cr_assert_eq(tc_recv(&A, s, b, sizeof b, 0, NULL), 0);
    /* Linux: the first write is accepted (the peer answers RST), the
     * next one fails with EPIPE. */
    cr_assert_eq(tc_send(&A, s, "a", 1, 0), 1);
    cr_assert_eq(tc_send(&A, s, "a", 1, 0), -EPIPE);
}

Test(core_sock, close_with_unread_data_resets_peer)
{
    int l = -1, c = -1, s = -1;
    pair4(&l, &c, &s);
    cr_assert_eq(tc_send(&A, s, "x", 1, 0), 1);        /* for c, unread yet */
    cr_assert_eq(tc_send(&A, c, "data", 4, 0), 4);     /* s never reads it */
    sn_sock_release(&A, s);
    char b[8] = {0};
    /* What was already queued is still read, then the reset, once. */
    cr_assert_eq(tc_recv(&A, c, b, sizeof b, 0, NULL), 1);
    cr_assert_eq(b[0], 'x');
    cr_assert_eq(tc_recv(&A, c, b, sizeof b, 0, NULL), -ECONNRESET);
    cr_assert_eq(tc_recv(&A, c, b, sizeof b, 0, NULL), 0);
    cr_assert_eq(tc_recv(&A, c, b, sizeof b, 0, NULL), 0);
    cr_assert_eq(tc_send(&A, c, "z", 1, 0), -EPIPE);
}

Test(core_sock, reset_error_is_also_reported_by_so_error)
{
    int l = -1, c = -1, s = -1;
    pair4(&l, &c, &s);
    cr_assert_eq(tc_send(&A, c, "data", 4, 0), 4);
    sn_sock_release(&A, s);
    int v;
    cr_assert_eq(tc_getint(&A, c, SOL_SOCKET, SO_ERROR, &v), 0);
    cr_assert_eq(v, ECONNRESET);
    char b[4];
    cr_assert_eq(tc_recv(&A, c, b, sizeof b, 0, NULL), 0, "error reported twice");
}

Test(core_sock, linger_zero_close_resets_peer)
{
    int l = -1, c = -1, s = -1;
    pair4(&l, &c, &s);
    struct linger lg = {1, 0};
    cr_assert_eq(sn_sock_setopt(&A, s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
    sn_sock_release(&A, s);
    char b[4];
    cr_assert_eq(tc_recv(&A, c, b, sizeof b, 0, NULL), -ECONNRESET);
}

/* ================= stream: data ================= */

Test(core_sock, stream_peek_and_trunc)
{
    int l = -1, c = -1, s = -1;
    pair4(&l, &c, &s);
    cr_assert_eq(tc_send(&A, c, "abcdef", 6, 0), 6);
    char b[8] = {0};
    cr_assert_eq(tc_recv(&A, s, b, 3, MSG_PEEK, NULL), 3);
    cr_assert_str_eq(b, "abc");
    cr_assert_eq(sn_sock_inq(&A, s), 6, "MSG_PEEK consumed");
    memset(b, 0, sizeof b);
    cr_assert_eq(tc_recv(&A, s, b, 2, MSG_TRUNC, NULL), 2);
    cr_assert_eq(b[0], 0, "TCP MSG_TRUNC must not copy");
    cr_assert_eq(sn_sock_inq(&A, s), 4);
    cr_assert_eq(tc_recv(&A, s, b, 8, 0, NULL), 4);
    cr_assert_arr_eq(b, "cdef", 4);
}

Test(core_sock, stream_send_fills_ring_then_eagain)
{
    int l = -1, c = -1, s = -1;
    pair4(&l, &c, &s);
    static char big[1 << 20];
    memset(big, 'q', sizeof big);
    size_t total = 0;
    ssize_t r;
    while ((r = tc_send(&A, c, big, sizeof big, 0)) > 0)
        total += (size_t)r;
    cr_assert_eq(r, -EAGAIN);
    cr_assert_eq(total, sn_sock_at(&A, s)->rx.cap, "ring not filled exactly");
    cr_assert_eq((size_t)sn_sock_inq(&A, s), total);
    /* Reading a little makes room but wakes nobody yet; once a third of
     * the ring is free the writer is woken (Linux's write-space rule). */
    uint32_t cap = sn_sock_at(&A, s)->rx.cap;
    uint32_t seq = sn_wait_prepare(&A, c);
    cr_assert_eq(tc_recv(&A, s, big, 1000, 0, NULL), 1000);
    cr_assert_eq(sn_sock_at(&A, c)->seq, seq, "woken with only 1000 bytes free");
    cr_assert_eq(tc_recv(&A, s, big, cap / 3, 0, NULL), (ssize_t)(cap / 3));
    struct timespec dl = tc_deadline_ms(2000);
    cr_assert_eq(sn_wait(&A, c, seq, &dl), 0);
    cr_assert_eq(tc_send(&A, c, big, sizeof big, 0), (ssize_t)(1000 + cap / 3));
}

Test(core_sock, connection_closed_before_accept_still_delivers)
{
    int port;
    int l = listener4(4, &port);
    int c = tcp4();
    cr_assert_eq(tc_connect4(&A, c, "127.0.0.1", port), 0);
    cr_assert_eq(tc_send(&A, c, "early", 5, 0), 5);
    sn_sock_release(&A, c);
    int s = sn_sock_accept(&A, l, &(sn_addr){0});
    cr_assert_geq(s, 0);
    char b[8] = {0};
    cr_assert_eq(tc_recv(&A, s, b, sizeof b, 0, NULL), 5);
    cr_assert_str_eq(b, "early");
    cr_assert_eq(tc_recv(&A, s, b, sizeof b, 0, NULL), 0);
}

Test(core_sock, rcvlowat_holds_back_a_blocking_read_only)
{
    int l = -1, c = -1, s = -1;
    pair4(&l, &c, &s);
    cr_assert_eq(tc_setint(&A, s, SOL_SOCKET, SO_RCVLOWAT, 8), 0);
    cr_assert_eq(tc_send(&A, c, "12345", 5, 0), 5);
    char b[16] = {0};
    /* A blocking read waits for 8 bytes; a non-blocking one takes 5. */
    cr_assert_eq(tc_recv(&A, s, b, sizeof b, 0, NULL), -EAGAIN);
    cr_assert_eq(tc_recv(&A, s, b, sizeof b, MSG_DONTWAIT, NULL), 5);
    cr_assert_str_eq(b, "12345");
    /* Enough bytes, or the end of the stream, releases a blocking read. */
    cr_assert_eq(tc_send(&A, c, "abcdefghij", 10, 0), 10);
    cr_assert_eq(tc_recv(&A, s, b, sizeof b, 0, NULL), 10);
    cr_assert_eq(tc_send(&A, c, "xy", 2, 0), 2);
    cr_assert_eq(sn_sock_shutdown(&A, c, SHUT_WR), 0);
    cr_assert_eq(tc_recv(&A, s, b, sizeof b, 0, NULL), 2);
    cr_assert_eq(tc_recv(&A, s, b, sizeof b, 0, NULL), 0);
}

/* ================= slots ================= */

Test(core_sock, slot_reuse_bumps_generation)
{
    int a = tcp4();
    uint32_t g = sn_sock_at(&A, a)->gen;
    sn_sock_release(&A, a);
    cr_assert_eq(state(a), SN_FREE);
    cr_assert_eq(sn_sock_at(&A, a)->gen, g + 1);
    int b = udp4();
    cr_assert_eq(b, a, "free slot not reused");
    cr_assert_eq(sn_sock_at(&A, b)->gen, g + 1);
    cr_assert_eq(sn_sock_at(&A, b)->type, SOCK_DGRAM);
    cr_assert_eq(sn_sock_at(&A, b)->in_chain, 0, "old fields survived");

    /* A connection's peer reference dies with the peer's slot. */
    int l = -1, c = -1, s = -1;
    pair4(&l, &c, &s);
    sn_sock_release(&A, s);
    cr_assert_null(sn_sock_peer(&A, sn_sock_at(&A, c), NULL));
    int x = tcp4();
    cr_assert_eq(x, s, "the freed server slot is reused");
    cr_assert_null(sn_sock_peer(&A, sn_sock_at(&A, c), NULL),
                   "a reused slot is taken for the old peer");
    cr_assert_eq(tc_send(&A, c, "x", 1, 0), 1);
    cr_assert_eq(sn_sock_inq(&A, x), 0, "data reached the slot's new owner");
    cr_assert_eq(sn_sock_at(&A, x)->rx.cap, 0);
}

Test(core_sock, hold_and_release_by_two_processes)
{
    /* A socket lives while any process holds it. */
    int s = tcp4();
    int me = A.proc;
    sn_arena B = A;
    B.proc = me + 1;            /* a second holder, as a fork()ed child */
    sn_sock_hold(&B, s);
    cr_assert_eq(sn_sock_at(&A, s)->nref, 2);
    sn_sock_release(&A, s);
    cr_assert_eq(state(s), SN_NEW);
    sn_sock_release(&A, s);     /* not held by A any more: no effect */
    cr_assert_eq(state(s), SN_NEW);
    sn_sock_release(&B, s);
    cr_assert_eq(state(s), SN_FREE);
}

/* ================= datagrams ================= */

Test(core_dgram, sendto_recvfrom_with_addresses)
{
    int r = udp4(), t = udp4(), u = udp4();
    cr_assert_eq(tc_bind4(&A, r, "127.0.0.1", 42000), 0);
    cr_assert_eq(tc_bind4(&A, t, "127.0.0.1", 42001), 0);
    cr_assert_eq(tc_sendto4(&A, t, "one", 3, "127.0.0.1", 42000), 3);
    /* An unbound sender is bound implicitly; it sends from 127.0.0.1. */
    cr_assert_eq(tc_sendto4(&A, u, "two!", 4, "127.0.0.1", 42000), 4);
    cr_assert_eq(state(u), SN_BOUND);
    int uport = tc_local_port(&A, u);
    cr_assert_gt(uport, 0);
    char want[64], got[64];
    snprintf(want, sizeof want, "0.0.0.0:%d", uport);
    NAME_IS(u, false, want);

    char b[16] = {0};
    sn_msg m;
    cr_assert_eq(tc_recv(&A, r, b, sizeof b, 0, &m), 3);
    cr_assert_str_eq(b, "one");
    tc_addr_str(&A, r, &m.from, got, sizeof got);
    cr_assert_str_eq(got, "127.0.0.1:42001");
    tc_addr_str(&A, r, &m.to, got, sizeof got);
    cr_assert_str_eq(got, "127.0.0.1:42000");
    cr_assert_eq(m.full_len, 3);
    cr_assert_not(m.truncated);

    memset(b, 0, sizeof b);
    cr_assert_eq(tc_recv(&A, r, b, sizeof b, 0, &m), 4);
    cr_assert_str_eq(b, "two!");
    tc_addr_str(&A, r, &m.from, got, sizeof got);
    snprintf(want, sizeof want, "127.0.0.1:%d", uport);
    cr_assert_str_eq(got, want);

    cr_assert_eq(tc_recv(&A, r, b, sizeof b, 0, NULL), -EAGAIN);
    /* Reply to the source address. */
    cr_assert_eq(tc_sendto4(&A, r, "ack", 3, "127.0.0.1", uport), 3);
    memset(b, 0, sizeof b);
    cr_assert_eq(tc_recv(&A, u, b, sizeof b, 0, &m), 3);
    cr_assert_str_eq(b, "ack");
}

Test(core_dgram, boundaries_are_kept)
{
    int r = udp4(), t = udp4();
    cr_assert_eq(tc_bind4(&A, r, "127.0.0.1", 42010), 0);
    for (int i = 1; i <= 5; i++) {
        char msg[8];
        memset(msg, '0' + i, sizeof msg);
        cr_assert_eq(tc_sendto4(&A, t, msg, (size_t)i, "127.0.0.1", 42010), i);
    }
    cr_assert_eq(sn_sock_inq(&A, r), 1, "FIONREAD is the first datagram");
    for (int i = 1; i <= 5; i++) {
        char b[16] = {0};
        cr_assert_eq(tc_recv(&A, r, b, sizeof b, 0, NULL), i);
        cr_assert_eq(b[0], '0' + i);
        cr_assert_eq(b[i], 0);
    }
}

Test(core_dgram, zero_length_datagram)
{
    int r = udp4(), t = udp4();
    cr_assert_eq(tc_bind4(&A, r, "127.0.0.1", 42015), 0);
    cr_assert_eq(tc_sendto4(&A, t, "", 0, "127.0.0.1", 42015), 0);
    char b[4];
    sn_msg m;
    cr_assert_eq(tc_recv(&A, r, b, sizeof b, 0, &m), 0);
    cr_assert_eq(m.from.port, tc_local_port(&A, t));
    cr_assert_eq(tc_recv(&A, r, b, sizeof b, 0, NULL), -EAGAIN);
}

Test(core_dgram, peek_then_read)
{
    int r = udp4(), t = udp4();
    cr_assert_eq(tc_bind4(&A, r, "127.0.0.1", 42020), 0);
    cr_assert_eq(tc_sendto4(&A, t, "first", 5, "127.0.0.1", 42020), 5);
    cr_assert_eq(tc_sendto4(&A, t, "second", 6, "127.0.0.1", 42020), 6);
    char b[16] = {0};
    sn_msg m;
    cr_assert_eq(tc_recv(&A, r, b, sizeof b, MSG_PEEK, &m), 5);
    cr_assert_str_eq(b, "first");
    cr_assert_eq(m.from.port, tc_local_port(&A, t));
    memset(b, 0, sizeof b);
    cr_assert_eq(tc_recv(&A, r, b, 2, MSG_PEEK, &m), 2);
    cr_assert_str_eq(b, "fi");
    cr_assert(m.truncated);
    memset(b, 0, sizeof b);
    cr_assert_eq(tc_recv(&A, r, b, sizeof b, 0, NULL), 5);
    cr_assert_str_eq(b, "first");
    memset(b, 0, sizeof b);
    cr_assert_eq(tc_recv(&A, r, b, sizeof b, 0, NULL), 6);
    cr_assert_str_eq(b, "second");
}

Test(core_dgram, truncation_and_msg_trunc)
{
    int r = udp4(), t = udp4();
    cr_assert_eq(tc_bind4(&A, r, "127.0.0.1", 42030), 0);
    cr_assert_eq(tc_sendto4(&A, t, "hello world", 11, "127.0.0.1", 42030), 11);
    cr_assert_eq(tc_sendto4(&A, t, "next", 4, "127.0.0.1", 42030), 4);
    cr_assert_eq(tc_sendto4(&A, t, "third", 5, "127.0.0.1", 42030), 5);
    char b[16] = {0};
    sn_msg m;
    /* MSG_TRUNC: the real length is returned, only 5 bytes copied. */
    cr_assert_eq(tc_recv(&A, r, b, 5, MSG_TRUNC, &m), 11);
    cr_assert_str_eq(b, "hello");
    cr_assert(m.truncated);
    cr_assert_eq(m.full_len, 11);
    /* Without it: the copied length; the rest of the datagram is gone. */
    memset(b, 0, sizeof b);
    cr_assert_eq(tc_recv(&A, r, b, 2, 0, &m), 2);
    cr_assert_str_eq(b, "ne");
    cr_assert(m.truncated);
    memset(b, 0, sizeof b);
    cr_assert_eq(tc_recv(&A, r, b, sizeof b, 0, &m), 5);
    cr_assert_str_eq(b, "third");
    cr_assert_not(m.truncated);
}

Test(core_dgram, size_limits)
{
    static char big[70000];
    memset(big, 'b', sizeof big);
    int r4 = udp4(), t4 = udp4(), r6 = udp6(), t6 = udp6();
    cr_assert_eq(tc_bind4(&A, r4, "127.0.0.1", 42040), 0);
    cr_assert_eq(tc_bind6(&A, r6, "::1", 42041), 0);
    cr_assert_eq(tc_sendto4(&A, t4, big, 65508, "127.0.0.1", 42040), -EMSGSIZE);
    cr_assert_eq(tc_sendto6(&A, t6, big, 65528, "::1", 42041), -EMSGSIZE);
    cr_assert_eq(tc_sendto4(&A, t4, big, 65507, "127.0.0.1", 42040), 65507);
    cr_assert_eq(tc_sendto6(&A, t6, big, 65527, "::1", 42041), 65527);
    static char in[70000];
    cr_assert_eq(tc_recv(&A, r4, in, sizeof in, 0, NULL), 65507);
    cr_assert_arr_eq(in, big, 65507);
    cr_assert_eq(tc_recv(&A, r6, in, sizeof in, 0, NULL), 65527);
    cr_assert_eq(tc_recv(&A, r4, in, sizeof in, 0, NULL), -EAGAIN,
                 "the oversize datagram was delivered");
}

Test(core_dgram, full_queue_drops_whole_datagrams)
{
    int r = udp4(), t = udp4();
    cr_assert_eq(tc_bind4(&A, r, "127.0.0.1", 42045), 0);
    static char big[65507];
    /* Send far more than any receive queue holds: every send succeeds,
     * what does not fit is dropped whole. */
    for (int i = 0; i < 80; i++) {
        memset(big, 'A' + i % 26, sizeof big);
        cr_assert_eq(tc_sendto4(&A, t, big, sizeof big, "127.0.0.1", 42045),
                     (ssize_t)sizeof big);
    }
    static char in[70000];
    int n = 0;
    ssize_t got;
    while ((got = tc_recv(&A, r, in, sizeof in, 0, NULL)) >= 0) {
        cr_assert_eq(got, (ssize_t)sizeof big, "datagram %d cut", n);
        cr_assert_eq(in[0], 'A' + n % 26, "datagram %d out of order", n);
        cr_assert_eq(in[sizeof big - 1], in[0]);
        n++;
    }
    cr_assert_eq(got, -EAGAIN);
    cr_assert_geq(n, 1);
    cr_assert_lt(n, 80, "an unbounded queue");
    /* Once drained, the queue takes datagrams again. */
    cr_assert_eq(tc_sendto4(&A, t, "again", 5, "127.0.0.1", 42045), 5);
    cr_assert_eq(tc_recv(&A, r, in, sizeof in, 0, NULL), 5);
}

Test(core_dgram, destination_checks)
{
    int t = udp4();
    cr_assert_eq(tc_send(&A, t, "x", 1, 0), -EDESTADDRREQ);
    cr_assert_eq(tc_sendto4(&A, t, "x", 1, "127.0.0.1", 0), -EINVAL);
    cr_assert_eq(tc_sendto4(&A, t, "x", 1, "198.51.100.7", 9), -ENETUNREACH);
    /* Nobody on the port: silently dropped for an unconnected socket. */
    cr_assert_eq(tc_sendto4(&A, t, "x", 1, "127.0.0.1", 42050), 1);
    char b[4];
    cr_assert_eq(tc_recv(&A, t, b, sizeof b, 0, NULL), -EAGAIN);
}

Test(core_dgram, sendto_wildcard_reaches_this_host)
{
    /* Linux: a datagram to 0.0.0.0:P is delivered to 127.0.0.1:P. */
    int r = udp4(), t = udp4();
    cr_assert_eq(tc_bind4(&A, r, "127.0.0.1", 42055), 0);
    cr_assert_eq(tc_sendto4(&A, t, "w", 1, "0.0.0.0", 42055), 1);
    char b[4];
    cr_assert_eq(tc_recv(&A, r, b, sizeof b, 0, NULL), 1,
                 "datagram to 0.0.0.0 was not delivered to 127.0.0.1");
}

Test(core_dgram, connected_socket_filters_sources)
{
    int r = udp4(), peer = udp4(), other = udp4();
    cr_assert_eq(tc_bind4(&A, r, "127.0.0.1", 42060), 0);
    cr_assert_eq(tc_bind4(&A, peer, "127.0.0.1", 42061), 0);
    cr_assert_eq(tc_bind4(&A, other, "127.0.0.1", 42062), 0);
    cr_assert_eq(tc_connect4(&A, r, "127.0.0.1", 42061), 0);
    cr_assert_eq(state(r), SN_CONNECTED);
    NAME_IS(r, true, "127.0.0.1:42061");

    cr_assert_eq(tc_sendto4(&A, other, "bad", 3, "127.0.0.1", 42060), 3);
    cr_assert_eq(tc_sendto4(&A, peer, "good", 4, "127.0.0.1", 42060), 4);
    char b[8] = {0};
    sn_msg m;
    cr_assert_eq(tc_recv(&A, r, b, sizeof b, 0, &m), 4);
    cr_assert_str_eq(b, "good");
    cr_assert_eq(m.from.port, 42061);
    cr_assert_eq(tc_recv(&A, r, b, sizeof b, 0, NULL), -EAGAIN,
                 "a datagram from another source got through");

    /* send() without an address goes to the peer. */
    cr_assert_eq(tc_send(&A, r, "to-peer", 7, 0), 7);
    memset(b, 0, sizeof b);
    cr_assert_eq(tc_recv(&A, peer, b, sizeof b, 0, &m), 7);
    cr_assert_eq(m.from.port, 42060);

    /* AF_UNSPEC dissolves the association: everyone gets through again. */
    struct sockaddr unspec = {.sa_family = AF_UNSPEC};
    cr_assert_eq(sn_sock_connect(&A, r, &unspec, sizeof unspec, false), 0);
    cr_assert_eq(state(r), SN_BOUND);
    cr_assert_eq(tc_sendto4(&A, other, "ok", 2, "127.0.0.1", 42060), 2);
    cr_assert_eq(tc_recv(&A, r, b, sizeof b, 0, NULL), 2);
    NAME_IS(r, false, "127.0.0.1:42060");
}

Test(core_dgram, connected_socket_gets_port_unreachable)
{
    int t = udp4();
    cr_assert_eq(tc_connect4(&A, t, "127.0.0.1", 42070), 0);
    cr_assert_eq(tc_send(&A, t, "x", 1, 0), 1);
    char b[4];
    cr_assert_eq(tc_recv(&A, t, b, sizeof b, 0, NULL), -ECONNREFUSED);
    cr_assert_eq(tc_recv(&A, t, b, sizeof b, 0, NULL), -EAGAIN);
}

Test(core_dgram, dual_stack_socket_receives_v4)
{
    int r = udp6(), t = udp4();
    cr_assert_eq(tc_bind6(&A, r, "::", 42080), 0);
    cr_assert_eq(tc_sendto4(&A, t, "v4", 2, "127.0.0.1", 42080), 2);
    char b[4], got[80], want[80];
    sn_msg m;
    cr_assert_eq(tc_recv(&A, r, b, sizeof b, 0, &m), 2);
    tc_addr_str(&A, r, &m.from, got, sizeof got);
    snprintf(want, sizeof want, "[::ffff:127.0.0.1]:%d", tc_local_port(&A, t));
    cr_assert_str_eq(got, want);
    /* ... unless IPV6_V6ONLY. */
    int r2 = udp6();
    cr_assert_eq(tc_setint(&A, r2, IPPROTO_IPV6, IPV6_V6ONLY, 1), 0);
    cr_assert_eq(tc_bind6(&A, r2, "::", 42081), 0);
    cr_assert_eq(tc_sendto4(&A, t, "v4", 2, "127.0.0.1", 42081), 2);
    cr_assert_eq(tc_recv(&A, r2, b, sizeof b, 0, NULL), -EAGAIN);
}

/* ================= options ================= */

/* Field `i` of a sysctl file, or `def` when it cannot be read. */
static int sysctl_field(const char *path, int i, int def)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return def;
    int v[3] = {def, def, def}, n = fscanf(f, "%d %d %d", &v[0], &v[1], &v[2]);
    fclose(f);
    return n > i ? v[i] : def;
}

Test(core_opts, defaults)
{
    int t = tcp4(), u = udp4(), t6 = tcp6();
    int v;
#define GET(s, lvl, name, want)                                          \
    do {                                                                 \
        cr_assert_eq(tc_getint(&A, (s), (lvl), (name), &v), 0, #name);   \
        cr_assert_eq(v, (want), #name " = %d", v);                       \
    } while (0)
    GET(t, SOL_SOCKET, SO_TYPE, SOCK_STREAM);
    GET(u, SOL_SOCKET, SO_TYPE, SOCK_DGRAM);
    GET(t, SOL_SOCKET, SO_PROTOCOL, IPPROTO_TCP);
    GET(u, SOL_SOCKET, SO_PROTOCOL, IPPROTO_UDP);
    GET(t6, SOL_SOCKET, SO_DOMAIN, AF_INET6);
    GET(t, SOL_SOCKET, SO_ERROR, 0);
    GET(t, SOL_SOCKET, SO_ACCEPTCONN, 0);
    GET(t, SOL_SOCKET, SO_REUSEADDR, 0);
    GET(t, SOL_SOCKET, SO_REUSEPORT, 0);
    GET(t, SOL_SOCKET, SO_KEEPALIVE, 0);
    GET(t, SOL_SOCKET, SO_RCVLOWAT, 1);
    GET(t, SOL_SOCKET, SO_SNDLOWAT, 1);
    GET(t, IPPROTO_TCP, TCP_NODELAY, 0);
    GET(t, IPPROTO_TCP, TCP_KEEPIDLE, 7200);
    GET(t, IPPROTO_TCP, TCP_KEEPINTVL, 75);
    GET(t, IPPROTO_TCP, TCP_KEEPCNT, 9);
    GET(t, IPPROTO_IP, IP_TTL, 64);
    GET(t6, IPPROTO_IPV6, IPV6_V6ONLY, 0);
    GET(t6, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 64);
    /* Buffer sizes come from the host's sysctls. */
    GET(t, SOL_SOCKET, SO_SNDBUF,
        sysctl_field("/proc/sys/net/ipv4/tcp_wmem", 1, 16384));
    GET(t, SOL_SOCKET, SO_RCVBUF,
        sysctl_field("/proc/sys/net/ipv4/tcp_rmem", 1, 131072));
    GET(u, SOL_SOCKET, SO_SNDBUF,
        sysctl_field("/proc/sys/net/core/wmem_default", 0, 212992));
    GET(u, SOL_SOCKET, SO_RCVBUF,
        sysctl_field("/proc/sys/net/core/rmem_default", 0, 212992));

    struct linger lg = {7, 7};
    socklen_t len = sizeof lg;
    cr_assert_eq(sn_sock_getopt(&A, t, SOL_SOCKET, SO_LINGER, &lg, &len), 0);
    cr_assert_eq(len, sizeof lg);
    cr_assert_eq(lg.l_onoff, 0);
    cr_assert_eq(lg.l_linger, 0);
    char cc[16] = {0};
    len = sizeof cc;
    cr_assert_eq(sn_sock_getopt(&A, t, IPPROTO_TCP, TCP_CONGESTION, cc, &len), 0);
    cr_assert_str_eq(cc, "cubic");
    /* A short buffer gets a short answer. */
    char one = 0x55;
    len = 1;
    cr_assert_eq(sn_sock_getopt(&A, t, SOL_SOCKET, SO_TYPE, &one, &len), 0);
    cr_assert_eq(len, 1);
    cr_assert_eq(one, SOCK_STREAM);
#undef GET
}

Test(core_opts, buffer_sizes_are_doubled_and_clamped)
{
    int t = tcp4(), v;
    cr_assert_eq(tc_setint(&A, t, SOL_SOCKET, SO_RCVBUF, 10000), 0);
    cr_assert_eq(tc_getint(&A, t, SOL_SOCKET, SO_RCVBUF, &v), 0);
    cr_assert_eq(v, 20000);
    cr_assert_eq(tc_setint(&A, t, SOL_SOCKET, SO_SNDBUF, 10000), 0);
    cr_assert_eq(tc_getint(&A, t, SOL_SOCKET, SO_SNDBUF, &v), 0);
    cr_assert_eq(v, 20000);
    /* Minimums. */
    cr_assert_eq(tc_setint(&A, t, SOL_SOCKET, SO_RCVBUF, 1), 0);
    cr_assert_eq(tc_getint(&A, t, SOL_SOCKET, SO_RCVBUF, &v), 0);
    cr_assert_eq(v, 2304);
    cr_assert_eq(tc_setint(&A, t, SOL_SOCKET, SO_SNDBUF, 0), 0);
    cr_assert_eq(tc_getint(&A, t, SOL_SOCKET, SO_SNDBUF, &v), 0);
    cr_assert_eq(v, 4608);
    /* Maximums: twice net.core.[rw]mem_max. */
    int rmax = sysctl_field("/proc/sys/net/core/rmem_max", 0, 212992);
    int wmax = sysctl_field("/proc/sys/net/core/wmem_max", 0, 212992);
    cr_assert_eq(tc_setint(&A, t, SOL_SOCKET, SO_RCVBUF, 1 << 30), 0);
    cr_assert_eq(tc_getint(&A, t, SOL_SOCKET, SO_RCVBUF, &v), 0);
    cr_assert_eq(v, 2 * rmax);
    cr_assert_eq(tc_setint(&A, t, SOL_SOCKET, SO_SNDBUF, -1), 0);
    cr_assert_eq(tc_getint(&A, t, SOL_SOCKET, SO_SNDBUF, &v), 0);
    cr_assert_eq(v, 2 * wmax, "negative counts as huge");
}

Test(core_opts, set_and_read_back)
{
    int t = tcp4(), u = udp4(), v;
    cr_assert_eq(tc_setint(&A, t, SOL_SOCKET, SO_REUSEADDR, 5), 0);
    cr_assert_eq(tc_getint(&A, t, SOL_SOCKET, SO_REUSEADDR, &v), 0);
    cr_assert_eq(v, 1);
    cr_assert_eq(tc_setint(&A, t, IPPROTO_TCP, TCP_NODELAY, 1), 0);
    cr_assert_eq(tc_getint(&A, t, IPPROTO_TCP, TCP_NODELAY, &v), 0);
    cr_assert_eq(v, 1);
    cr_assert_eq(tc_setint(&A, t, IPPROTO_TCP, TCP_NODELAY, 0), 0);
    cr_assert_eq(tc_getint(&A, t, IPPROTO_TCP, TCP_NODELAY, &v), 0);
    cr_assert_eq(v, 0);
    cr_assert_eq(tc_setint(&A, t, IPPROTO_TCP, TCP_KEEPIDLE, 30), 0);
    cr_assert_eq(tc_getint(&A, t, IPPROTO_TCP, TCP_KEEPIDLE, &v), 0);
    cr_assert_eq(v, 30);
    cr_assert_eq(tc_setint(&A, t, IPPROTO_TCP, TCP_KEEPIDLE, 0), -EINVAL);
    cr_assert_eq(tc_setint(&A, t, IPPROTO_IP, IP_TTL, 7), 0);
    cr_assert_eq(tc_getint(&A, t, IPPROTO_IP, IP_TTL, &v), 0);
    cr_assert_eq(v, 7);
    cr_assert_eq(tc_setint(&A, t, IPPROTO_IP, IP_TTL, -1), 0);
    cr_assert_eq(tc_getint(&A, t, IPPROTO_IP, IP_TTL, &v), 0);
    cr_assert_eq(v, 64, "IP_TTL -1 means the default");
    cr_assert_eq(tc_setint(&A, t, SOL_SOCKET, SO_RCVLOWAT, 0), 0);
    cr_assert_eq(tc_getint(&A, t, SOL_SOCKET, SO_RCVLOWAT, &v), 0);
    cr_assert_eq(v, 1);

    struct timeval tv = {2, 500000}, back = {0, 0};
    socklen_t len = sizeof back;
    cr_assert_eq(sn_sock_setopt(&A, t, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    cr_assert_eq(sn_sock_getopt(&A, t, SOL_SOCKET, SO_RCVTIMEO, &back, &len), 0);
    cr_assert_eq(back.tv_sec, 2);
    cr_assert_eq(back.tv_usec, 500000);
    tv.tv_usec = 1000000;
    cr_assert_eq(sn_sock_setopt(&A, t, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), -EDOM);

    /* Errors. */
    cr_assert_eq(tc_setint(&A, u, IPPROTO_TCP, TCP_NODELAY, 1), -ENOPROTOOPT);
    cr_assert_eq(tc_setint(&A, t, IPPROTO_IPV6, IPV6_V6ONLY, 1), -ENOPROTOOPT);
    cr_assert_eq(tc_setint(&A, t, SOL_SOCKET, 9999, 1), -ENOPROTOOPT);
    cr_assert_eq(tc_getint(&A, t, SOL_SOCKET, 9999, &v), -ENOPROTOOPT);
    short sh = 1;
    cr_assert_eq(sn_sock_setopt(&A, t, SOL_SOCKET, SO_REUSEADDR, &sh, sizeof sh),
                 -EINVAL);
}

Test(core_opts, accepted_socket_inherits_listener_options)
{
    int l = tcp4(), v;
    cr_assert_eq(tc_setint(&A, l, IPPROTO_TCP, TCP_NODELAY, 1), 0);
    cr_assert_eq(tc_setint(&A, l, SOL_SOCKET, SO_RCVBUF, 10000), 0);
    cr_assert_eq(tc_setint(&A, l, IPPROTO_TCP, TCP_KEEPIDLE, 99), 0);
    cr_assert_eq(tc_bind4(&A, l, "127.0.0.1", 0), 0);
    cr_assert_eq(sn_sock_listen(&A, l, 4), 0);
    int c = tcp4();
    cr_assert_eq(tc_connect4(&A, c, "127.0.0.1", tc_local_port(&A, l)), 0);
    int s = sn_sock_accept(&A, l, &(sn_addr){0});
    cr_assert_geq(s, 0);
    cr_assert_eq(tc_getint(&A, s, IPPROTO_TCP, TCP_NODELAY, &v), 0);
    cr_assert_eq(v, 1);
    cr_assert_eq(tc_getint(&A, s, SOL_SOCKET, SO_RCVBUF, &v), 0);
    cr_assert_eq(v, 20000);
    cr_assert_eq(tc_getint(&A, s, IPPROTO_TCP, TCP_KEEPIDLE, &v), 0);
    cr_assert_eq(v, 99);
    cr_assert_eq(tc_getint(&A, s, SOL_SOCKET, SO_ACCEPTCONN, &v), 0);
    cr_assert_eq(v, 0);
}

Test(core_opts, v6only_is_fixed_once_bound)
{
    int a = tcp6(), v;
    cr_assert_eq(tc_setint(&A, a, IPPROTO_IPV6, IPV6_V6ONLY, 1), 0);
    cr_assert_eq(tc_getint(&A, a, IPPROTO_IPV6, IPV6_V6ONLY, &v), 0);
    cr_assert_eq(v, 1);
    cr_assert_eq(tc_bind6(&A, a, "::1", 0), 0);
    cr_assert_eq(tc_setint(&A, a, IPPROTO_IPV6, IPV6_V6ONLY, 0), -EINVAL);
    cr_assert_eq(tc_getint(&A, a, IPPROTO_IPV6, IPV6_V6ONLY, &v), 0);
    cr_assert_eq(v, 1, "failed set changed the value");
    /* Implicitly bound (listen, UDP send) counts as bound too. */
    int b = tcp6();
    cr_assert_eq(sn_sock_listen(&A, b, 1), 0);
    cr_assert_eq(tc_setint(&A, b, IPPROTO_IPV6, IPV6_V6ONLY, 1), -EINVAL);
    int u = udp6();
    int r = udp6();
    cr_assert_eq(tc_bind6(&A, r, "::1", 42090), 0);
    cr_assert_eq(tc_sendto6(&A, u, "x", 1, "::1", 42090), 1);
    cr_assert_eq(tc_setint(&A, u, IPPROTO_IPV6, IPV6_V6ONLY, 1), -EINVAL);
}

Test(core_opts, tcp_info_state_follows_the_connection)
{
    int l = -1, c = -1, s = -1;
    pair4(&l, &c, &s);
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    cr_assert_eq(sn_sock_getopt(&A, l, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
    cr_assert_eq(ti.tcpi_state, 10);            /* TCP_LISTEN */
    len = sizeof ti;
    cr_assert_eq(sn_sock_getopt(&A, c, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
    cr_assert_eq(ti.tcpi_state, 1);             /* TCP_ESTABLISHED */
    cr_assert_eq(sn_sock_shutdown(&A, c, SHUT_WR), 0);
    len = sizeof ti;
    cr_assert_eq(sn_sock_getopt(&A, c, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
    cr_assert_eq(ti.tcpi_state, 5);             /* TCP_FIN_WAIT2 */
    len = sizeof ti;
    cr_assert_eq(sn_sock_getopt(&A, s, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
    cr_assert_eq(ti.tcpi_state, 8);             /* TCP_CLOSE_WAIT */
}
