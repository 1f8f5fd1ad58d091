/* The stream data path: bytes from one end go into the receive ring of the
 * other.  No control-plane lock here but to record a reset: the sender
 * serialises on the receiver's rx_prod lock, which also keeps the ring from being freed under it (slot
 * release takes the same lock), and checks the slot generation so a reused
 * slot is never written. */
#include <errno.h>
#include <netinet/in.h>

#include "core/faults.h"
#include "core/faultlog.h"
#include "core/futex.h"
#include "core/heap.h"
#include "core/links.h"
#include "core/stream.h"
#include "core/urgent.h"
#include "core/repair.h"
#include "core/sockwait.h"
#include "core/tap.h"
#include "core/toxics.h"
#include "core/capture.h"

#define MIN_RING (4u << 10)
#define MAX_RING (4u << 20)

static uint32_t stream_ring_size(const sn_sock *rcv, const sn_sock *snd)
{
    /* What Linux lets be in flight on loopback is the receiver's buffer
     * plus the sender's; the ring holds both. */
    uint64_t want = (uint64_t)rcv->rcvbuf + (uint64_t)snd->sndbuf;
    uint32_t cap = MIN_RING;
    while (cap < want && cap < MAX_RING)
        cap <<= 1;
    return cap;
}

/* Our data met a reset: the connection is over for us, with `err`
 * pending (Linux: EPIPE when the peer's FIN came first, ECONNRESET
 * otherwise).  Control-plane lock held. */
static void answer_reset(sn_sock *k, int err)
{
    sn_sock_set_error(k, err);
    atomic_fetch_or(&k->shut, SN_SHUT_WR | SN_PEER_GONE | SN_RESET);
    k->peer_ref = -1;
    k->state = SN_CLOSED;
}

/* Data that meets a closed peer: the capture shows it, and the peer's
 * reset.  Control-plane lock held. */
static void tap_lost(sn_arena *a, sn_sock *k, sn_msg *m, size_t len)
{
    sn_iovc c;
    sn_iovc_init(&c, m->iov, m->iovcnt);
    uint32_t n = len < (64u << 20) ? (uint32_t)len : (64u << 20);
    sn_tap_data(a, k, (uint32_t)k->bytes_tx, &c, n, false);
    sn_tap_rst(a, k, 1);
}

/* The errors a send meets before it looks for room, in Linux's order:
 * a pending error (reset) first, then a closed sending side. */
static int send_gate(sn_sock *k, bool keep)
{
    uint8_t st = k->state;
    if (st == SN_CONNECTING || sn_sock_conn_pending(k))
        return -EAGAIN;                 /* blocking send waits for it */
    int e = keep ? atomic_load(&k->so_error) : atomic_exchange(&k->so_error, 0);
    if (e)
        return -e;
    uint32_t sh = atomic_load(&k->shut);
    if (st != SN_CONNECTED || (sh & (SN_SHUT_WR | SN_RESET)))
        return -EPIPE;
    return 0;
}

ssize_t sn_stream_send(sn_arena *a, int s, sn_msg *m, int flags)
{
    sn_sock *k = sn_sock_at(a, s);
    sn_faults_check(a, s);
    int r = send_gate(k, m->keep_error);
    if (r < 0)
        return r;
    size_t len = sn_iov_total(m->iov, m->iovcnt);
    int ps;
    sn_sock *p = sn_sock_peer(a, k, &ps);
    if (!p) {
        /* The peer closed.  Linux delivers this write, the peer answers
         * with a reset, and the next write fails with EPIPE. */
        sn_ctl_lock(a);
        if (sn_cap_on(a))
            tap_lost(a, k, m, len);
        answer_reset(k, EPIPE);
        sn_ctl_unlock(a);
        return (ssize_t)len;
    }
    if (len == 0)
        return 0;
    if ((atomic_load(&p->shut) & (SN_SHUT_RD | SN_SHUT_WR)) ==
        (SN_SHUT_RD | SN_SHUT_WR)) {
        /* Data for a socket that shut both ways (FIN_WAIT with its
         * reading side shut): Linux answers with a reset, both ends
         * close. */
        sn_ctl_lock(a);
        if (sn_cap_on(a))
            tap_lost(a, k, m, len);
        sn_sock_set_error(p, ECONNRESET);
        atomic_fetch_or(&p->shut, SN_RESET | SN_PEER_GONE);
        p->state = SN_CLOSED;
        p->peer_ref = -1;
        answer_reset(k, (atomic_load(&k->shut) & SN_PEER_FIN) ? EPIPE : ECONNRESET);
        sn_ctl_unlock(a);
        sn_wake(a, ps);
        return (ssize_t)len;
    }
    sn_lock(&p->rx_prod);
    if (p->gen != (uint32_t)atomic_load(&k->peer_ref) || p->state == SN_FREE) {
        sn_unlock(&p->rx_prod);
        return (ssize_t)len;            /* closed meanwhile: as above */
    }
    if (!p->rx.cap && (r = sn_ring_alloc(a, &p->rx, stream_ring_size(p, k))) < 0) {
        sn_unlock(&p->rx_prod);
        /* The arena's heap is exhausted, or its file system full: a hard
         * limit, said at once rather than waited on (Linux: ENOBUFS when
         * it cannot get buffer memory). */
        return r;
    }
    bool faults = sn_links_any(a);
    bool held = false;                  /* this send began a hold: say so */
    if (faults) {
        held = atomic_load_explicit(&p->held, memory_order_relaxed);
        sn_faults_stream_send(a, k, p);     /* a partition holds what follows */
        held = !held && atomic_load_explicit(&p->held, memory_order_relaxed);
    }
    uint32_t room = sn_ring_space(&p->rx);
    if (room < len) {
        /* Ask the reader to wake us when room comes back, then look
         * again: a read between the two is seen here, or sees the flag
         * (Linux's SOCK_NOSPACE). */
        atomic_store(&k->nospace, 1);
        room = sn_ring_space(&p->rx);
    }
    uint32_t n = len < room ? (uint32_t)len : room;
    /* The ring's first pass may reach memory not yet reserved: with no
     * room left in the file system, what fits goes, and a call that can
     * put nothing fails with ENOBUFS, as above (what was sent before
     * stays and arrives). */
    if (n && !(n = sn_ring_writable(a, &p->rx, n))) {
        sn_unlock(&p->rx_prod);
        return -ENOBUFS;
    }
    bool cut = false;                   /* the link's limit-data reached */
    if (faults)
        n = sn_faults_limit(a, k, p, n, &cut);
    int32_t owner = 0;
    if (n) {
        sn_iovc c;
        sn_iovc_init(&c, m->iov, m->iovcnt);
        sn_ring_put_iov(&p->rx, a->heap + p->rx.off, &c, n, 0);
        if (sn_cap_on(a)) {
            sn_iovc_init(&c, m->iov, m->iovcnt);
            sn_tap_data(a, k, atomic_load_explicit(&p->rx.in, memory_order_relaxed),
                        &c, n, flags & MSG_OOB);
        }
        if (flags & MSG_OOB)
            owner = sn_urg_mark(a, p, n);   /* before the bytes are visible */
        if (faults)
            sn_faults_stamp(a, sn_sock_end(k), p, n, true);
        sn_ring_publish(&p->rx, n);
    }
    sn_unlock(&p->rx_prod);
    if (__builtin_expect(held, 0))
        sn_faultlog(a, SN_FE_HELD, k, &k->local, &k->peer, sn_sock_end(k),
                    sn_sock_end(p), n);
    if (__builtin_expect(cut, 0)) {
        sn_faultlog(a, SN_FE_LIMIT, k, &k->local, &k->peer, sn_sock_end(k),
                    sn_sock_end(p), 0);
        sn_faults_cut(a, s);
        if (!n)
            return -ECONNRESET;
    }
    if (!n)
        return -EAGAIN;
    if (owner)
        sn_urg_signal(owner);
    k->bytes_tx += n;
    atomic_store_explicit(&k->cpu, sn_os_cpu(), memory_order_relaxed);
    sn_wake_ev(a, ps, SN_EV_IN);
    return n;
}

/* Why a read found no data: EOF, an error, or try again.  `before` is
 * the shut word loaded before the ring was found empty: only a FIN seen
 * then means no byte can still arrive.  The rest is read in the reverse
 * of the order a closing peer writes it (error, flags, state), so that a
 * CLOSED state comes with its error and flags. */
static ssize_t recv_empty(sn_sock *k, uint32_t before, bool keep)
{
    if (before & SN_PEER_FIN)
        return 0;
    uint8_t st = k->state;
    uint32_t sh = atomic_load(&k->shut);
    int e = keep ? atomic_load(&k->so_error) : atomic_exchange(&k->so_error, 0);
    if (e)
        return -e;
    if (sh & (SN_SHUT_RD | SN_RESET))
        return 0;
    if (sh & SN_PEER_FIN)
        return -EAGAIN;             /* FIN came meanwhile: data may be in */
    if (st == SN_CONNECTED || st == SN_CONNECTING)
        return -EAGAIN;
    if (st == SN_CLOSED && k->was_connected)
        return 0;                   /* over (Linux: shut both ways) */
    return -ENOTCONN;
}

/* A read took n bytes out of k's ring. */
static void consumed(sn_arena *a, sn_sock *k, uint32_t n)
{
    k->bytes_rx += n;
    atomic_store_explicit(&k->cpu, sn_os_cpu(), memory_order_relaxed);
    int ps;
    atomic_thread_fence(memory_order_seq_cst);  /* pairs with nospace in send */
    sn_sock *w = sn_sock_peer(a, k, &ps);
    /* Room for a writer that ran out of it, once a third of the ring
     * is free (Linux's write-space threshold, as in core/ready.c). */
    if (w && atomic_load(&w->nospace) &&
        sn_ring_space(&k->rx) >= k->rx.cap / 3 && atomic_exchange(&w->nospace, 0))
        sn_wake_ev(a, ps, SN_EV_OUT);
}

ssize_t sn_stream_recv(sn_arena *a, int s, sn_msg *m, int flags)
{
    sn_sock *k = sn_sock_at(a, s);
    uint8_t st = k->state;
    if (st == SN_LISTEN)
        return -ENOTCONN;
    if (flags & MSG_OOB)
        return sn_urg_recv(a, k, m, flags);
    /* Never connected: Linux's tcp_recvmsg finds a receive shutdown
     * (shutdown(SHUT_RD) records it even here) before the closed state. */
    if (st == SN_NEW || st == SN_BOUND)
        return (atomic_load(&k->shut) & SN_SHUT_RD) ? 0 : -ENOTCONN;
    sn_faults_check(a, s);
    size_t want = sn_iov_total(m->iov, m->iovcnt);
    /* Load the flags before the ring: the writer publishes its bytes
     * before it sets FIN, so "FIN seen, ring empty" really is the end. */
    uint32_t sh = atomic_load(&k->shut);
    if ((sh & SN_PEER_FIN) && sn_sock_faulty(k) && sn_faults_fin_hidden(a, k))
        sh &= ~(uint32_t)SN_PEER_FIN;   /* not there yet (slow close) */
    sn_lock(&k->rx_cons);
    uint32_t used = sn_ring_used(&k->rx);
    /* One test of `faulty` for the no-fault path (loaded after the ring:
     * core/faults.h sn_faults_visible). */
    if (used && sn_sock_faulty(k)) {
        if (sn_toxics_sliced(k))
            sn_toxics_open(a, k);       /* only a reader opens a slice */
        if (!(used = sn_faults_visible_slow(a, k, used))) {
            sn_unlock(&k->rx_cons);
            return -EAGAIN;             /* held by a partition: more to come */
        }
    }
    if (!used) {
        sn_unlock(&k->rx_cons);
        return recv_empty(k, sh, m->keep_error);
    }
    /* A blocking read waits for SO_RCVLOWAT bytes (all of them with
     * MSG_PEEK|MSG_WAITALL) unless the stream has ended. */
    size_t target = (flags & MSG_PEEK) && (flags & MSG_WAITALL)
                        ? want
                        : (size_t)k->rcvlowat < want ? (size_t)k->rcvlowat : want;
    if (target > 1 && used < target && sn_toxics_sliced(k))
        target = used;                  /* a slice is what a read gets */
    /* Urgent data: the read stops at the mark, and steps over an
     * out-of-line urgent byte it starts on (core/urgent.c). */
    uint32_t skip = 0, avail = used;
    bool urg = __builtin_expect(atomic_load_explicit(&k->urg, memory_order_relaxed), 0);
    if (urg && want)
        avail = sn_urg_span(k, used, &skip, m);
    if (!(flags & MSG_DONTWAIT) && used < target && !m->at_mark &&
        !(sh & (SN_PEER_FIN | SN_RESET | SN_SHUT_RD)) &&
        !atomic_load(&k->so_error)) {
        sn_unlock(&k->rx_cons);
        return -EAGAIN;
    }
    uint32_t n = want < avail ? (uint32_t)want : avail;
    if (!(flags & MSG_TRUNC)) {         /* TCP MSG_TRUNC: discard, no copy */
        sn_iovc c;
        sn_iovc_init(&c, m->iov, m->iovcnt);
        sn_ring_get_iov(&k->rx, a->heap + k->rx.off, skip, &c, n);
    }
    if (!(flags & MSG_PEEK)) {
        sn_ring_consume(&k->rx, skip + n);
        sn_faults_read(a, k);
    }
    if (urg) {
        if (!(flags & MSG_PEEK))
            sn_urg_passed(k);
        if (!n && skip) {               /* only the urgent byte was there */
            sn_unlock(&k->rx_cons);
            return recv_empty(k, sh, m->keep_error);
        }
    }
    sn_unlock(&k->rx_cons);
    m->from = k->peer;
    if (!(flags & MSG_PEEK)) {
        consumed(a, k, n);
        sn_toxics_after_read(a, s);     /* the next slice's event */
    }
    return n;
}
