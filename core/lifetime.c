/* The end of a socket (see lifetime.h). */
#include "core/lifetime.h"

#include <errno.h>
#include <string.h>

#include "core/clock.h"
#include "core/links.h"
#include "core/lqueue.h"
#include "core/ports.h"
#include "core/slots.h"
#include "core/sockwait.h"
#include "core/tap.h"
#include "core/capture.h"

/* The end of a connection goes away: tell its peer.  `abort` sends a reset
 * (unread data or SO_LINGER 0), otherwise an orderly FIN. */
static void notify_peer_closed(sn_arena *a, sn_sock *k, bool abort)
{
    int ps;
    sn_sock *p = sn_sock_peer(a, k, &ps);
    if (!p)
        return;
    if (abort) {
        sn_sock_set_error(p, ECONNRESET);
        atomic_fetch_or(&p->shut, SN_RESET | SN_PEER_GONE);
        p->state = SN_CLOSED;
    } else {
        if (!(atomic_load(&k->shut) & SN_SHUT_WR))
            sn_sock_fin_delay(a, k, p);     /* the FIN goes now */
        atomic_fetch_or(&p->shut, SN_PEER_FIN | SN_PEER_GONE);
        sn_sock_fin_check(p);
    }
    p->peer_ref = -1;
    sn_wake(a, ps);
}

void sn_sock_fin_delay_slow(sn_arena *a, sn_sock *k, sn_sock *p)
{
    int64_t d = sn_links_slow_close(a, sn_sock_end(k), sn_sock_end(p));
    if (!d)
        return;
    atomic_store(&p->fin_due, sn_mono_ns() + d);
    atomic_store(&p->faulty, 1);        /* both before the FIN is set */
}

/* Linux moves the socket to CLOSE; getpeername says ENOTCONN.  Data still
 * in the ring stays readable. */
void sn_sock_fin_check(sn_sock *k)
{
    uint32_t sh = atomic_load(&k->shut);
    if ((sh & SN_SHUT_WR) && (sh & SN_PEER_FIN) && k->state == SN_CONNECTED)
        k->state = SN_CLOSED;
}

void sn_sock_refuse(sn_arena *a, int c)
{
    sn_sock *C = sn_sock_at(a, c);
    if (sn_cap_on(a) && C->state == SN_CONNECTING)     /* was queued */
        sn_tap_refused(a, C, &C->peer);
    sn_sock_fail_connect(a, c, ECONNREFUSED);
}

void sn_sock_fail_connect(sn_arena *a, int c, int err)
{
    sn_sock *C = sn_sock_at(a, c);
    sn_sock_set_error(C, err);
    atomic_fetch_or(&C->opt, SN_O_REFUSED);
    C->state = SN_CLOSED;
    C->listener = -1;
    atomic_store(&C->shut, SN_SHUT_RD | SN_SHUT_WR);
    sn_sock_release_implicit(a, c);
    sn_wake(a, c);
}

void sn_sock_disconnect_stream(sn_arena *a, int s)
{
    sn_sock *k = sn_sock_at(a, s);
    uint32_t sh = atomic_load(&k->shut);
    switch (k->state) {
    case SN_LISTEN:
        sn_sock_stop_listening(a, s);
        break;
    case SN_CONNECTING:
        if (k->listener >= 0) {
            sn_sock *L = sn_sock_at(a, k->listener);
            sn_q_remove(a, &L->syn_head, &L->syn_tail, s);
            k->listener = -1;
        }
        sn_sock_set_error(k, ECONNRESET);
        break;
    case SN_CONNECTED:                  /* tcp_need_reset: still open */
        if (!(sh & SN_RESET)) {
            if (sn_cap_on(a) && k->type == SOCK_STREAM)
                sn_tap_rst(a, k, 0);
            notify_peer_closed(a, k, true);
            sn_sock_set_error(k, ECONNRESET);
        }
        break;
    default:
        break;
    }
    sn_lock(&k->rx_cons);               /* the receive queue is purged */
    sn_ring_consume(&k->rx, sn_ring_used(&k->rx));
    atomic_store(&k->urg, 0);
    sn_unlock(&k->rx_cons);
    k->peer_ref = -1;
    memset(&k->peer, 0, sizeof k->peer);
    atomic_store(&k->shut, 0);
    k->was_connected = k->nb_connect = k->fin_first = 0;
    atomic_fetch_and(&k->opt, ~(uint32_t)SN_O_DISCONNECTING);
    sn_sock_release_implicit(a, s);
    k->state = k->in_chain ? SN_BOUND : SN_NEW;
    sn_wake(a, s);
}

/* Queued connections are reset; waiting connectors are refused (their
 * next SYN would meet a closed port). */
void sn_sock_stop_listening(sn_arena *a, int l)
{
    sn_sock *L = sn_sock_at(a, l);
    int s;
    while ((s = sn_q_pop(a, &L->acc_head, &L->acc_tail)) >= 0) {
        if (sn_cap_on(a))
            sn_tap_rst(a, sn_sock_at(a, s), 0);
        notify_peer_closed(a, sn_sock_at(a, s), true);
        if (sn_sock_at(a, s)->in_chain)
            sn_ports_unbind(a, s);
        sn_slot_free(a, s);
    }
    L->acc_len = 0;
    while ((s = sn_q_pop(a, &L->syn_head, &L->syn_tail)) >= 0)
        sn_sock_refuse(a, s);
}

/* What the capture shows of a connection's last close: a reset, or its
 * FIN unless shutdown sent it already. */
static void tap_close(sn_arena *a, sn_sock *k, bool abort)
{
    if (abort)
        sn_tap_rst(a, k, 0);
    else if (!(atomic_load(&k->shut) & SN_SHUT_WR))
        sn_tap_fin(a, k);
}

void sn_sock_destroy(sn_arena *a, int s)
{
    sn_sock *k = sn_sock_at(a, s);
    switch (k->state) {
    case SN_LISTEN:
        sn_sock_stop_listening(a, s);
        sn_ports_adopt_accepted(a, s);
        break;
    case SN_CONNECTING:
        if (k->listener >= 0) {
            sn_sock *L = sn_sock_at(a, k->listener);
            sn_q_remove(a, &L->syn_head, &L->syn_tail, s);
        }
        break;
    default:
        if (k->type == SOCK_STREAM) {
            bool abort = sn_ring_used(&k->rx) > 0 ||
                         ((atomic_load(&k->opt) & SN_O_LINGER) && k->linger == 0);
            bool was_up = k->was_connected && !(atomic_load(&k->shut) & SN_RESET);
            if (was_up && !abort &&
                (k->fin_first || !(atomic_load(&k->shut) & SN_PEER_FIN)))
                sn_ports_timewait(a, s);    /* the active closer waits */
            if (was_up && sn_cap_on(a))
                tap_close(a, k, abort);
            notify_peer_closed(a, k, abort);
        }
        break;
    }
    if (k->in_chain)
        sn_ports_unbind(a, s);
    sn_slot_free(a, s);
}
