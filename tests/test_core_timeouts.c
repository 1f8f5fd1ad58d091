/* Unit tests of core/timeouts.c: when Linux gives up on a connection a
 * partition cuts, from a socket's options (figures from tcp(7) and the
 * kernel's exponential backoff: 127 s for the default 6 SYN retries,
 * 924.6 s for tcp_retries2 15). */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>

#include "core/opts.h"
#include "core/timeouts.h"

#define S 1000000000LL
#define START (1000 * S)

static sn_sock *stream(uint8_t state)
{
    sn_sock *k = calloc(1, sizeof *k);
    cr_assert(k);
    k->type = SOCK_STREAM;
    k->state = state;
    return k;
}

static void opt(sn_sock *k, int name, int v)
{
    sn_xopt *x = sn_xopt_slot(k, IPPROTO_TCP, name, true);
    cr_assert(x);
    x->val = v;
}

static int64_t after(sn_sock *k)
{
    int64_t t = sn_timeouts_give_up(k, START);
    return t ? t - START : 0;
}

Test(core_timeouts, syn_retries)
{
    sn_sock *k = stream(SN_CONNECTING);
    cr_expect_eq(after(k), 127 * S, "default 6 retries: 1+2+...+64 s");
    opt(k, TCP_SYNCNT, 1);
    cr_expect_eq(after(k), 3 * S);
    opt(k, TCP_SYNCNT, 8);
    cr_expect_eq(after(k), (127 + 120 + 120) * S, "past 64 s the timer stays at 120 s");
    opt(k, TCP_USER_TIMEOUT, 1500);
    cr_expect_eq(after(k), 1500000000LL, "TCP_USER_TIMEOUT rules in SYN_SENT");
    cr_expect_eq(sn_timeouts_give_up(k, 0), 0, "no clock started");
    free(k);
}

Test(core_timeouts, retransmissions)
{
    sn_sock *k = stream(SN_CONNECTED);
    cr_expect_eq(after(k), 924600000000LL, "tcp_retries2 15 from a 200 ms RTO");
    opt(k, TCP_USER_TIMEOUT, 1000);
    cr_expect_eq(after(k), 1 * S);
    atomic_fetch_or(&k->opt, SN_O_KEEPALIVE);
    cr_expect_eq(after(k), 1 * S, "keepalive does nothing while data is held");
    free(k);
}

Test(core_timeouts, keepalive)
{
    sn_sock *k = stream(SN_CONNECTED);
    k->stall_idle = 1;
    cr_expect_eq(after(k), 0, "idle without SO_KEEPALIVE: never");
    atomic_fetch_or(&k->opt, SN_O_KEEPALIVE);
    cr_expect_eq(after(k), (7200 + 75 * 9) * S, "Linux's defaults");
    opt(k, TCP_KEEPIDLE, 1);
    opt(k, TCP_KEEPINTVL, 1);
    opt(k, TCP_KEEPCNT, 2);
    cr_expect_eq(after(k), 3 * S);
    /* TCP_USER_TIMEOUT: the first probe timer past it, once a probe is
     * out (probes at 1, 2, ... s). */
    opt(k, TCP_USER_TIMEOUT, 500);
    cr_expect_eq(after(k), 2 * S);
    opt(k, TCP_USER_TIMEOUT, 4500);
    cr_expect_eq(after(k), 5 * S);
    k->state = SN_CLOSED;
    cr_expect_eq(after(k), 0);
    free(k);
}

Test(core_timeouts, syn_retransmission_times)
{
    sn_sock *k = stream(SN_CONNECTING);
    cr_expect_eq(sn_timeouts_syn_retry(k, START, START), START + 1 * S, "1 s after the first");
    cr_expect_eq(sn_timeouts_syn_retry(k, START, START + 1 * S), START + 3 * S);
    cr_expect_eq(sn_timeouts_syn_retry(k, START, START + 5 * S), START + 7 * S);
    cr_expect_eq(sn_timeouts_syn_retry(k, START, START + 63 * S), 0, "6 retries: none after 63 s");
    opt(k, TCP_SYNCNT, 2);
    cr_expect_eq(sn_timeouts_syn_retry(k, START, START + 2 * S), START + 3 * S);
    cr_expect_eq(sn_timeouts_syn_retry(k, START, START + 3 * S), 0);
    free(k);
}
