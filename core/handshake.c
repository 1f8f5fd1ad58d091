/* A connect's handshake over the links (core/handshake.h): its SYN held
 * by a partition, then retried at heal or given up on as Linux's TCP
 * does; refused by a link; or delayed by a round trip.  What the SYN
 * finds at the listener is core/accept.c's. */
#include <errno.h>

#include "core/accept.h"
#include "core/capture.h"
#include "core/clock.h"
#include "core/faultlog.h"
#include "core/handshake.h"
#include "core/hosts.h"
#include "core/lifetime.h"
#include "core/links.h"
#include "core/ports.h"
#include "core/repair.h"
#include "core/sockwait.h"
#include "core/tap.h"
#include "core/timeouts.h"

static bool round_trip(sn_arena *a, sn_sock *k, int me, int host);

/* A SYN from end `me` to end `there` gets no answer: it is cut on its
 * way, or the SYN-ACK (or RST) on the way back (a one-way partition
 * either way: Linux's connect times out then too). */
static bool syn_cut(sn_arena *a, int me, int there)
{
    return sn_links_cut(a, me, there) || sn_links_cut(a, there, me);
}

int sn_conn_send_syn(sn_arena *a, int s, sn_addr *dst)
{
    sn_sock *k = sn_sock_at(a, s);
    int host = sn_hosts_owner(a, k->host, dst);
    /* the ends for the links' rules: hosts and ports */
    int me = sn_sock_end(k), there = sn_links_end(host, dst->port);
    if (host >= 0 && sn_links_any(a) && syn_cut(a, me, there)) {
        /* A partition: our SYNs get no answer, neither a refusal nor a
         * connection, until it heals (sn_conn_retry_held). */
        k->peer = *dst;
        k->state = SN_CONNECTING;
        k->listener = -1;
        k->held_conn = 1;
        sn_faultlog(a, SN_FE_CONN_HELD, k, &k->local, dst, me, there, 0);
        /* ... and they give up as Linux's do (sn_conn_check_held). */
        k->stall_idle = 0;
        atomic_store(&k->stall_ns, sn_mono_ns());
        atomic_store(&k->faulty, 1);
        return -EINPROGRESS;
    }
    if (host >= 0 && sn_links_any(a) && sn_links_refused(a, me, there)) {
        /* The link answers the SYN with a reset (Toxiproxy's "down", as
         * Linux's stack does for a port nobody listens on). */
        if (sn_cap_on(a))
            sn_tap_refused(a, k, dst);
        sn_faultlog(a, SN_FE_REFUSED, k, &k->local, dst, me, there, 0);
        return -ECONNREFUSED;
    }
    bool delayed = host >= 0 && sn_links_any(a) && round_trip(a, k, me, there);
    int r = sn_conn_connect_to(a, s, host, dst);
    if (r == 0 && delayed)
        return -EINPROGRESS;            /* sn_sock_connect_result waits */
    if (delayed)
        atomic_store(&k->conn_due, 0);  /* refused, or waiting in line */
    return r;
}

/* A connect from k (end `me`) to host `host` (an end too: core/links.h)
 * over delayed links: its caller sees it complete one round trip from
 * now (the SYN there, the SYN-ACK back).  Set before the connection is
 * made, so that establish can time the server end from it (core/accept.c:
 * accept_after). */
static bool round_trip(sn_arena *a, sn_sock *k, int me, int host)
{
    int64_t now = sn_mono_ns();
    int64_t there = sn_links_due(a, me, host, 0, true, now);
    int64_t back = sn_links_due(a, host, me, 0, true, there ? there : now);
    int64_t due = back ? back : there;
    if (!due)
        return false;
    atomic_store(&k->conn_due, due);
    atomic_store(&k->faulty, 1);
    return true;
}

void sn_conn_retry_held(sn_arena *a, int s)
{
    sn_sock *k = sn_sock_at(a, s);
    if (!k->held_conn || k->state != SN_CONNECTING)
        return;
    sn_addr dst = k->peer;
    int host = sn_hosts_owner(a, k->host, &dst);
    if (host >= 0 && syn_cut(a, sn_sock_end(k), sn_links_end(host, dst.port)))
        return;                         /* still cut */
    if (atomic_load(&k->conn_due))
        return;                         /* its retransmission is set */
    /* The SYN gets through when Linux sends it again (none left: the
     * give-up comes first); until then the waits wake at that time. */
    int64_t at = sn_timeouts_syn_retry(k, atomic_load(&k->stall_ns), sn_mono_ns());
    if (!at)
        return;
    atomic_store(&k->conn_due, at);
    /* heal says what it let go (SIMNET_DEBUG), as for held bytes; the
     * socket stays held_conn, so core/linkctl.c's own line stays out */
    if (sn_faultlog_on(a))
        sn_faultlog_note(a, SN_FE_CONN_RELEASED, k, &k->local, &k->peer, k->host, host, 0);
    sn_wake(a, s);
}

/* Held connect s sends its SYN again (lock held): through, it goes on
 * as a first SYN would now, a round trip to completion on a delayed
 * link; cut again, it waits for the next heal. */
static void resend_syn(sn_arena *a, int s)
{
    sn_sock *k = sn_sock_at(a, s);
    sn_addr dst = k->peer;
    int host = sn_hosts_owner(a, k->host, &dst);
    int me = sn_sock_end(k), there = sn_links_end(host, dst.port);
    atomic_store(&k->conn_due, 0);
    if (host >= 0 && syn_cut(a, me, there))
        return;
    k->held_conn = 0;
    atomic_store(&k->stall_ns, 0);
    k->state = k->in_chain ? SN_BOUND : SN_NEW;
    int r = host < 0 ? -ECONNREFUSED : sn_conn_send_syn(a, s, &dst);
    if (r < 0 && r != -EINPROGRESS)
        sn_sock_refuse(a, s);
    sn_wake(a, s);
}

/* A held connect that Linux gives up on (ETIMEDOUT; lock held). */
static void give_up(sn_arena *a, int s)
{
    sn_sock *k = sn_sock_at(a, s);
    /* As a refused connect ends (sn_sock_refuse), but no reset was
     * seen: the capture shows nothing more. */
    if (sn_faultlog_on(a))
        sn_faultlog_timed_out(a, k);
    k->held_conn = 0;
    atomic_store(&k->stall_ns, 0);
    atomic_store(&k->conn_due, 0);
    sn_sock_fail_connect(a, s, ETIMEDOUT);
}

void sn_conn_check_held(sn_arena *a, int s)
{
    sn_sock *k = sn_sock_at(a, s);
    if (!k->held_conn)
        return;
    int64_t now = sn_mono_ns();
    int64_t due = sn_timeouts_give_up(k, atomic_load(&k->stall_ns));
    int64_t syn = atomic_load(&k->conn_due);
    bool timed_out = due && now >= due;
    if (!timed_out && !(syn && now >= syn))
        return;
    sn_ctl_lock(a);
    if (k->held_conn && k->state == SN_CONNECTING) {
        if (timed_out)
            give_up(a, s);
        else if (atomic_load(&k->conn_due))
            resend_syn(a, s);
    }
    sn_ctl_unlock(a);
}
