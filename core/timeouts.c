/* Linux's give-up times for TCP under a partition (core/timeouts.h).
 * Facts from the kernel's behaviour, not its code: a retransmission
 * timer starts at a base RTO and doubles up to TCP_RTO_MAX (120 s); a
 * limit of N retransmissions ends the connection when the N+1th timer
 * runs out, i.e. after the sum of the N+1 timeouts.  TCP_USER_TIMEOUT,
 * when set, replaces that sum (the timer is clamped to it, since Linux
 * 5.4 in SYN_SENT too). */
#include "core/timeouts.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include "core/opts.h"

#define MS 1000000LL
#define RTO_MAX (120000 * MS)
#define RTO_SYN (1000 * MS)     /* TCP_TIMEOUT_INIT: the first SYN's RTO */
#define RTO_MIN (200 * MS)      /* TCP_RTO_MIN: data on a fast link */

/* The time N retransmissions take, the first after `base`, each timer
 * double the one before up to RTO_MAX, and the last one's timer out. */
static int64_t retransmissions(int n, int64_t base)
{
    int64_t total = 0, rto = base;
    for (int i = 0; i <= n; i++) {
        total += rto;
        rto = rto * 2 < RTO_MAX ? rto * 2 : RTO_MAX;
    }
    return total;
}

static int64_t user_timeout(const sn_sock *k)
{
    int ms = sn_xopt_value(k, IPPROTO_TCP, TCP_USER_TIMEOUT, 0);
    return ms > 0 ? (int64_t)ms * MS : 0;
}

/* Linux's keepalive timer: the first probe after TCP_KEEPIDLE with
 * nothing received, then one every TCP_KEEPINTVL; the connection ends
 * at the timer after TCP_KEEPCNT unanswered probes or, with
 * TCP_USER_TIMEOUT, at the first timer past it once a probe went out. */
static int64_t keepalive(const sn_sock *k)
{
    int64_t idle = sn_xopt_value(k, IPPROTO_TCP, TCP_KEEPIDLE, 7200) * 1000 * MS;
    int64_t intvl = sn_xopt_value(k, IPPROTO_TCP, TCP_KEEPINTVL, 75) * 1000 * MS;
    int64_t cnt = sn_xopt_value(k, IPPROTO_TCP, TCP_KEEPCNT, 9);
    int64_t ut = user_timeout(k);
    if (ut) {
        cnt = ut > idle ? (ut - idle + intvl - 1) / intvl : 1;
        if (cnt < 1)
            cnt = 1;
    }
    return idle + intvl * cnt;
}

int64_t sn_timeouts_give_up(const sn_sock *k, int64_t start)
{
    if (k->type != SOCK_STREAM || !start)
        return 0;
    int64_t ut = user_timeout(k);
    if (k->state == SN_CONNECTING) {
        int syn = sn_xopt_value(k, IPPROTO_TCP, TCP_SYNCNT, SN_TCP_SYN_RETRIES);
        return start + (ut ? ut : retransmissions(syn, RTO_SYN));
    }
    if (k->state != SN_CONNECTED)
        return 0;
    if (!k->stall_idle)
        return start + (ut ? ut : retransmissions(SN_TCP_RETRIES2, RTO_MIN));
    /* Idle: only keepalive notices (Linux's keepalive timer does
     * nothing while data is unacknowledged: then the case above). */
    if (!(atomic_load(&k->opt) & SN_O_KEEPALIVE))
        return 0;
    return start + keepalive(k);
}

int64_t sn_timeouts_syn_retry(const sn_sock *k, int64_t start, int64_t now)
{
    int n = user_timeout(k) ? 64
                            : sn_xopt_value(k, IPPROTO_TCP, TCP_SYNCNT, SN_TCP_SYN_RETRIES);
    int64_t t = start, rto = RTO_SYN;
    for (int i = 0; i < n && i < 64; i++) {
        t += rto;
        if (t > now)
            return t;
        rto = rto * 2 < RTO_MAX ? rto * 2 : RTO_MAX;
    }
    return 0;
}
