/* Readiness: what poll/select/epoll report for a simulated socket, in
 * Linux's terms (tcp_poll, datagram_poll), one function per type
 * (core/proto.c picks). */

#include <poll.h>

#include "core/accept.h"
#include "core/faults.h"
#include "core/ready.h"
#include "core/toxics.h"
#include "core/urgent.h"

/* Linux calls a TCP socket writable while what it has queued is at most
 * two thirds of its send buffer (sk_stream_is_writeable); here the queue
 * is the peer's ring. */
static bool stream_writable(sn_arena *a, sn_sock *k)
{
    sn_sock *p = sn_sock_peer(a, k, NULL);
    if (!p || !p->rx.cap)
        return true;
    if (sn_ring_used(&p->rx) <= p->rx.cap / 3 * 2)
        return true;
    /* Not writable: whoever asks will wait for room, so ask the reader to
     * say when it comes (as tcp_poll sets SOCK_NOSPACE), then look again
     * in case the reader made room in between (pairs with the fence in
     * sn_stream_recv). */
    atomic_store(&k->nospace, 1);
    return sn_ring_used(&p->rx) <= p->rx.cap / 3 * 2;
}

int sn_stream_poll(sn_arena *a, sn_sock *k)
{
    uint8_t st = k->state;
    uint32_t sh = atomic_load(&k->shut);
    int m = 0;
    if (st == SN_LISTEN)
        return sn_conn_acceptable(a, k) ? POLLIN | POLLRDNORM : 0;
    uint32_t used = sn_ring_used(&k->rx);
    if (sn_sock_faulty(k)) {
        sn_faults_check_stall(a, (int)(k - a->socks));
        st = k->state;
        if (st == SN_CONNECTED && sn_sock_conn_pending(k))
            st = SN_CONNECTING;         /* the round trip is not over */
        sh = atomic_load(&k->shut);
        /* Bytes held by a partition or not yet due: neither they nor a
         * FIN behind them are there yet; nor a slow close's FIN. */
        uint32_t vis = sn_faults_visible(a, k, used);
        if (vis < used || ((sh & SN_PEER_FIN) && sn_faults_fin_hidden(a, k))) {
            /* ... and a socket that sent its own FIN is not closed by
             * one not there yet (sn_sock_fin_check went ahead: every
             * other way to SN_CLOSED comes with SN_RESET): FIN_WAIT2,
             * writable, no POLLHUP. */
            if (st == SN_CLOSED && (sh & SN_SHUT_WR) && !(sh & SN_RESET))
                st = SN_CONNECTED;
            sh &= ~(uint32_t)SN_PEER_FIN;
        }
        used = vis;
    }
    bool rcv_shut = sh & (SN_PEER_FIN | SN_SHUT_RD | SN_RESET);
    bool snd_shut = sh & (SN_SHUT_WR | SN_RESET);
    bool closed = st == SN_NEW || st == SN_BOUND || st == SN_CLOSED;
    if ((rcv_shut && snd_shut) || closed)
        m |= POLLHUP;
    if (rcv_shut)
        m |= POLLIN | POLLRDNORM | POLLRDHUP;
    if (st != SN_CONNECTING) {
        uint32_t lowat = (uint32_t)(k->rcvlowat > 0 ? k->rcvlowat : 1);
        if (lowat > 1 && sn_toxics_sliced(k))
            lowat = 1;                  /* a slice is what a read gets */
        if (atomic_load_explicit(&k->urg, memory_order_relaxed))
            m |= sn_urg_poll(k, used, lowat);   /* POLLPRI; IN past the mark */
        else if (used && used >= lowat)
            m |= POLLIN | POLLRDNORM;
        if (snd_shut || stream_writable(a, k))
            m |= POLLOUT | POLLWRNORM;
    }
    if (atomic_load(&k->so_error))
        m |= POLLERR;
    return m;
}

int sn_dgram_poll(sn_arena *a, sn_sock *k)
{
    uint32_t sh = atomic_load(&k->shut);
    int m = POLLOUT | POLLWRNORM | POLLWRBAND;   /* UDP is always writable */
    if (atomic_load(&k->so_error))
        m |= POLLERR;
    if (sh & SN_SHUT_RD)
        m |= POLLIN | POLLRDNORM | POLLRDHUP;
    if ((sh & (SN_SHUT_RD | SN_SHUT_WR)) == (SN_SHUT_RD | SN_SHUT_WR))
        m |= POLLHUP;
    if (sn_faults_visible(a, k, sn_ring_used(&k->rx)))
        m |= POLLIN | POLLRDNORM;
    return m;
}
