/* Faults on sockets (core/faults.h); the control of links is
 * core/linkctl.c. */
#include "core/faults.h"

#include <errno.h>

#include "core/accept.h"
#include "core/clock.h"
#include "core/handshake.h"
#include "core/faultlog.h"
#include "core/heap.h"
#include "core/links.h"
#include "core/net.h"
#include "core/repair.h"
#include "core/sockwait.h"
#include "core/toxics.h"
#include "core/timeouts.h"

void sn_faults_stream_send(sn_arena *a, sn_sock *k, sn_sock *p)
{
    sn_toxics_mark(a, k, p);
    if (!sn_links_cut(a, sn_sock_end(k), sn_sock_end(p)))
        return;
    if (!atomic_load_explicit(&p->held, memory_order_relaxed)) {
        /* What is in the ring now was sent before the cut: it stays
         * visible.  The mark is published before any byte past it. */
        atomic_store_explicit(&p->hold_at, atomic_load(&p->rx.in), memory_order_relaxed);
        p->held_from = k->host;
        atomic_store_explicit(&p->faulty, 1, memory_order_relaxed);
        atomic_store_explicit(&p->held, 1, memory_order_release);
    }
    /* Our data is unacknowledged from now on: the clock of the
     * retransmissions starts, replacing an idle connection's (we hold
     * p's rx_prod, as stall_idle wants). */
    int64_t zero = 0;
    if (k->stall_idle) {
        k->stall_idle = 0;
        atomic_store(&k->stall_ns, sn_mono_ns());
    } else {
        atomic_compare_exchange_strong(&k->stall_ns, &zero, sn_mono_ns());
    }
    atomic_store_explicit(&k->faulty, 1, memory_order_relaxed);
}

static sn_stamp *stamps(sn_arena *a, sn_sock *k)
{
    return (sn_stamp *)(a->heap + k->st_off);
}

/* k's stamp block, made at its first stamp (rx_prod held): false when
 * the heap has no room (the data then goes undelayed). */
static bool stamp_block(sn_arena *a, sn_sock *k)
{
    if (atomic_load_explicit(&k->timed, memory_order_relaxed))
        return true;
    uint32_t room;
    uint64_t off = sn_heap_alloc(a, SN_STAMP_BLOCK, &room);
    if (!off)
        return false;
    k->st_off = off;
    k->st_room = room;
    atomic_store_explicit(&k->faulty, 1, memory_order_relaxed);
    atomic_store_explicit(&k->timed, 1, memory_order_release);
    return true;
}

void sn_faults_stamp(sn_arena *a, int src, sn_sock *p, uint32_t n, bool stream)
{
    int64_t now = sn_mono_ns();
    int64_t due = sn_links_due(a, src, sn_sock_end(p), n, stream, now);
    if (!due || !stamp_block(a, p))
        return;
    /* Nothing overtakes: a stream stays in order, and so does a ring of
     * records (jitter does not reorder datagrams either). */
    if (due < p->last_due)
        due = p->last_due;
    p->last_due = due;
    sn_stamp *st = stamps(a, p);
    uint32_t head = atomic_load_explicit(&p->st_head, memory_order_acquire);
    uint32_t tail = atomic_load_explicit(&p->st_tail, memory_order_relaxed);
    if (tail - head == SN_STAMPS) {
        /* All stamps in use: these bytes wait with the last ones, which
         * are due no earlier than now. */
        atomic_store_explicit(&st[(tail - 1) % SN_STAMPS].due, due, memory_order_relaxed);
        return;
    }
    __atomic_store_n(&st[tail % SN_STAMPS].start,
                     atomic_load_explicit(&p->rx.in, memory_order_relaxed), __ATOMIC_RELAXED);
    atomic_store_explicit(&st[tail % SN_STAMPS].due, due, memory_order_relaxed);
    /* Published before the bytes it stamps (sn_ring_publish follows). */
    atomic_store_explicit(&p->st_tail, tail + 1, memory_order_release);
}

/* The first stamp of k not yet due at `now`: true and its start and due
 * time, or false. */
static bool first_pending(sn_arena *a, sn_sock *k, int64_t now, uint32_t *start,
                          int64_t *due)
{
    if (!atomic_load_explicit(&k->timed, memory_order_acquire))
        return false;
    sn_stamp *st = stamps(a, k);
    uint32_t head = atomic_load_explicit(&k->st_head, memory_order_acquire);
    uint32_t tail = atomic_load_explicit(&k->st_tail, memory_order_acquire);
    for (uint32_t i = head; i != tail; i++) {
        int64_t d = atomic_load_explicit(&st[i % SN_STAMPS].due, memory_order_relaxed);
        if (d > now) {
            /* Relaxed: sn_faults_shift may move it (datagrams only). */
            *start = __atomic_load_n(&st[i % SN_STAMPS].start, __ATOMIC_RELAXED);
            *due = d;
            return true;
        }
    }
    return false;
}

uint32_t sn_faults_visible_slow(sn_arena *a, sn_sock *k, uint32_t used)
{
    uint32_t out = atomic_load_explicit(&k->rx.out, memory_order_relaxed);
    if (used && atomic_load_explicit(&k->slice_rule, memory_order_acquire))
        used = sn_toxics_visible(a, k, out, used, sn_mono_ns());
    if (atomic_load_explicit(&k->held, memory_order_acquire)) {
        uint32_t vis = atomic_load_explicit(&k->hold_at, memory_order_relaxed) - out;
        if (vis < used)
            used = vis;
    }
    uint32_t start;
    int64_t due;
    if (first_pending(a, k, sn_mono_ns(), &start, &due)) {
        uint32_t vis = start - out;
        if (vis < used)
            used = vis;
    }
    return used;
}

void sn_faults_read_slow(sn_arena *a, sn_sock *k)
{
    if (atomic_load_explicit(&k->slice_rule, memory_order_relaxed))
        sn_toxics_read(a, k, sn_mono_ns());
    if (!atomic_load_explicit(&k->timed, memory_order_acquire))
        return;
    sn_stamp *st = stamps(a, k);
    int64_t now = sn_mono_ns();
    uint32_t head = atomic_load_explicit(&k->st_head, memory_order_relaxed);
    uint32_t tail = atomic_load_explicit(&k->st_tail, memory_order_acquire);
    while (head != tail &&
           atomic_load_explicit(&st[head % SN_STAMPS].due, memory_order_relaxed) <= now)
        head++;
    atomic_store_explicit(&k->st_head, head, memory_order_release);
}

void sn_faults_shift(sn_arena *a, sn_sock *k, uint32_t at, uint32_t len, uint32_t by)
{
    if (!len || !atomic_load_explicit(&k->timed, memory_order_acquire))
        return;
    sn_stamp *st = stamps(a, k);
    uint32_t head = atomic_load_explicit(&k->st_head, memory_order_relaxed);
    uint32_t tail = atomic_load_explicit(&k->st_tail, memory_order_relaxed);
    for (uint32_t i = head; i != tail; i++) {
        uint32_t s = __atomic_load_n(&st[i % SN_STAMPS].start, __ATOMIC_RELAXED);
        if (s - at < len)
            __atomic_store_n(&st[i % SN_STAMPS].start, s + by, __ATOMIC_RELAXED);
    }
}

int64_t sn_sock_due_since(sn_arena *a, int s, int64_t since)
{
    sn_sock *k = sn_sock_at(a, s);
    if (!sn_sock_faulty(k))
        return 0;
    int64_t due = sn_timeouts_give_up(k, atomic_load_explicit(&k->stall_ns,
                                                              memory_order_relaxed));
    /* Read as is, not through sn_sock_conn_pending: a round trip that
     * ended after `since` was still pending when the caller looked. */
    int64_t cd = k->state == SN_LISTEN ? sn_conn_accept_due(a, k) : atomic_load(&k->conn_due);
    if (cd > since && (!due || cd < due))
        due = cd;
    uint32_t start;
    int64_t sd;
    if (first_pending(a, k, since, &start, &sd) && (!due || sd < due))
        due = sd;
    int64_t td = sn_toxics_due(k, since);   /* a slow close's FIN, a slice */
    if (td && (!due || td < due))
        due = td;
    return due;
}

bool sn_faults_fin_hidden(sn_arena *a, sn_sock *k)
{
    int64_t now = sn_mono_ns();
    uint32_t start;
    int64_t due;
    return sn_toxics_fin_pending(k, now) || first_pending(a, k, now, &start, &due);
}

int64_t sn_sock_due(sn_arena *a, int s)
{
    return sn_sock_due_since(a, s, sn_mono_ns());
}

/* Connection s ends with err, as a reset or TCP giving up does: no more
 * sending, the peer gone, its waiters woken (lock held). */
static void end_conn(sn_arena *a, int s, int err)
{
    sn_sock *k = sn_sock_at(a, s);
    sn_sock_set_error(k, err);
    atomic_fetch_or(&k->shut, SN_SHUT_WR | SN_PEER_GONE | SN_RESET);
    k->peer_ref = -1;
    k->state = SN_CLOSED;
    atomic_store(&k->stall_ns, 0);
    sn_wake(a, s);
}

void sn_faults_check_stall(sn_arena *a, int s)
{
    sn_sock *k = sn_sock_at(a, s);
    if (atomic_load_explicit(&k->fin_due, memory_order_relaxed))
        sn_toxics_fin_arrives(a, s, sn_mono_ns());
    if (!atomic_load_explicit(&k->stall_ns, memory_order_relaxed))
        return;
    if (k->state == SN_CONNECTING) {
        sn_conn_check_held(a, s);
        return;
    }
    int64_t due = sn_timeouts_give_up(k, atomic_load(&k->stall_ns));
    if (!due || sn_mono_ns() < due)
        return;
    sn_ctl_lock(a);
    due = sn_timeouts_give_up(k, atomic_load(&k->stall_ns));
    if (due && sn_mono_ns() >= due && k->state == SN_CONNECTED) {
        if (sn_faultlog_on(a))
            sn_faultlog_timed_out(a, k);
        end_conn(a, s, ETIMEDOUT);
    }
    sn_ctl_unlock(a);
}

void sn_faults_reset_end(sn_arena *a, int s)
{
    end_conn(a, s, ECONNRESET);
}

uint32_t sn_faults_limit(sn_arena *a, sn_sock *k, sn_sock *p, uint32_t n, bool *cut)
{
    uint64_t lim = sn_links_limit(a, sn_sock_end(k), sn_sock_end(p));
    if (!lim)
        return n;
    uint64_t sent = k->bytes_tx;
    if (sent + n >= lim) {
        *cut = true;
        return sent >= lim ? 0 : (uint32_t)(lim - sent);
    }
    return n;
}

void sn_faults_cut(sn_arena *a, int s)
{
    sn_ctl_lock(a);
    sn_sock *k = sn_sock_at(a, s);
    int ps;
    sn_sock *p = sn_sock_peer(a, k, &ps);
    if (k->state == SN_CONNECTED) {
        if (p && p->state == SN_CONNECTED)
            sn_faults_reset_end(a, ps);
        sn_faults_reset_end(a, s);
    }
    sn_ctl_unlock(a);
}
