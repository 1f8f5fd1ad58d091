/* Helpers of the core tests that play hosts and links (test_core_hosts,
 * _links, _netem, _faultlog): one process joins each host in turn, sets
 * link rules and makes connections between hosts.  They assert, so they
 * need <criterion/criterion.h> first; static inline, as in
 * tests/test_core_util.h. */
#ifndef TEST_CORE_LINKS_UTIL_H
#define TEST_CORE_LINKS_UTIL_H

#include "tests/test_core_util.h"

/* This process joins host `host` (made if new): its index. */
static inline int tc_on(sn_arena *a, const char *host)
{
    char err[300];
    int h = sn_net_host_join(a, host, NULL, 0, err, sizeof err);
    cr_assert_geq(h, 0, "join %s: %s", host, err);
    return h;
}

/* Rule (src, dst) changed as c says. */
static inline void tc_link(sn_arena *a, int src, int dst, const sn_link_set *c)
{
    cr_assert_eq(sn_net_link_set(a, src, dst, c), 0);
}

/* Rule (src, dst): its loss (ppm) and partition (1, 0; -1 unchanged). */
static inline void tc_loss_cut(sn_arena *a, int src, int dst, int64_t loss_ppm, int partition)
{
    sn_link_set c = SN_LINK_SET_NONE;
    c.loss_ppm = loss_ppm;
    c.partition = partition;
    tc_link(a, src, dst, &c);
}

/* A connection from host `from` to a listener on port 80 of host `to`:
 * *c the client, *s the server end (accepted at once: no link delays
 * the handshake). */
static inline void tc_connected(sn_arena *a, const char *to, const char *from, int *c, int *s)
{
    int h = tc_on(a, to);
    char ip[32];
    snprintf(ip, sizeof ip, "127.100.0.%d", h);
    int l = sn_sock_create(a, AF_INET, SOCK_STREAM, 0);
    cr_assert_eq(tc_bind4(a, l, "0.0.0.0", 80), 0);
    cr_assert_eq(sn_sock_listen(a, l, 8), 0);
    tc_on(a, from);
    *c = sn_sock_create(a, AF_INET, SOCK_STREAM, 0);
    cr_assert_eq(tc_connect4(a, *c, ip, 80), 0);
    sn_addr peer;
    *s = sn_sock_accept(a, l, &peer);
    cr_assert_geq(*s, 0);
}

static inline int64_t tc_mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static inline void tc_sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

#endif
