/* The listener's side of a connection: a SYN that reaches a listener
 * (connected, queued while the backlog is full, or refused), the server
 * end it makes, and the accept queue that holds it until accept takes it
 * (core/accept.h).  Control-plane lock held throughout, as in conn.c. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <time.h>

#include "core/accept.h"
#include "core/capture.h"
#include "core/clock.h"
#include "core/holders.h"
#include "core/links.h"
#include "core/lqueue.h"
#include "core/net.h"
#include "core/ports.h"
#include "core/procs.h"
#include "core/reap.h"
#include "core/repair.h"
#include "core/slots.h"
#include "core/sockwait.h"
#include "core/tap.h"

/* A listener whose every holder died is a closed port: reap them (which
 * destroys it) before anyone queues on it.  Arena lock held. */
static bool listener_orphaned(sn_arena *a, int l)
{
    sn_sock *L = sn_sock_at(a, l);
    int procs[SN_MAX_PROCS];
    int n = sn_sock_holders_of(a, L, procs, SN_MAX_PROCS);
    if (n == 0 || sn_sock_held_by(L, a->proc))
        return false;
    for (int i = 0; i < n; i++)
        if (!sn_proc_gone(a, procs[i]))
            return false;
    for (int i = 0; i < n; i++)
        sn_reap_proc(a, procs[i]);
    return true;
}

/* Server end S of C's delayed connect to listener L: accept sees it when
 * the handshake's third packet arrives, one more trip after C's connect
 * completes (C's conn_due, core/handshake.c's round_trip).  Before S is
 * queued: readers of the queue take no lock. */
static void accept_after(sn_arena *a, sn_sock *C, sn_sock *S, sn_sock *L)
{
    int64_t cd = atomic_load(&C->conn_due);
    if (!cd || !sn_sock_faulty(C))
        return;
    int64_t ack = sn_links_due(a, sn_sock_end(C), sn_sock_end(L), 0, true, cd);
    atomic_store(&S->conn_due, ack ? ack : cd);
    atomic_store(&S->faulty, 1);
    atomic_store(&L->faulty, 1);
}

/* Connection C to listener L completes: make the server end and queue it
 * for accept. */
static int establish(sn_arena *a, int c, int l, const sn_addr *dst)
{
    sn_sock *L = sn_sock_at(a, l), *C = sn_sock_at(a, c);
    int s = sn_slot_alloc(a);
    if (s < 0)
        return s;
    sn_sock *S = sn_sock_at(a, s);
    S->family = L->family;
    S->host = L->host;
    S->type = SOCK_STREAM;
    S->protocol = IPPROTO_TCP;
    /* Options an accepted socket inherits from its listener. */
    S->opt = atomic_load(&L->opt) & ~(SN_O_NONBLOCK | SN_O_BOUND_PORT);
    S->sndbuf = L->sndbuf;
    S->rcvbuf = L->rcvbuf;
    S->linger = L->linger;
    S->rcvlowat = 1;
    memcpy(S->xopt, L->xopt, sizeof S->xopt);
    S->local = *dst;
    S->peer = C->local;
    S->state = SN_CONNECTED;
    S->was_connected = 1;
    S->passive = 1;
    S->listener = l;                /* until accepted */
    S->peer_ref = SN_PEER_REF(c, C->gen);
    C->peer = *dst;
    C->peer_ref = SN_PEER_REF(s, S->gen);
    C->state = SN_CONNECTED;
    C->was_connected = 1;
    C->listener = -1;
    if (sn_cap_on(a))
        sn_tap_connect(a, C, S);
    accept_after(a, C, S, L);
    sn_q_push(a, &L->acc_head, &L->acc_tail, s);
    L->acc_len++;
    sn_wake(a, l);
    sn_wake(a, c);
    return 0;
}

/* Linux drops a SYN while the accept queue holds more than backlog. */
static bool backlog_full(const sn_sock *L)
{
    return L->acc_len > L->backlog;
}

void sn_conn_admit_waiters(sn_arena *a, int l)
{
    sn_sock *L = sn_sock_at(a, l);
    while (L->syn_head >= 0 && !backlog_full(L)) {
        int c = sn_q_pop(a, &L->syn_head, &L->syn_tail);
        sn_sock *C = sn_sock_at(a, c);
        sn_addr dst = C->peer;
        if (establish(a, c, l, &dst) < 0) {
            sn_sock_set_error(C, ENOBUFS);
            C->state = SN_CLOSED;
            sn_wake(a, c);
        }
    }
}

int sn_conn_connect_to(sn_arena *a, int s, int host, sn_addr *dst)
{
    sn_sock *k = sn_sock_at(a, s);
    int l = sn_ports_listener(a, host, dst);
    if (l >= 0 && listener_orphaned(a, l))
        l = sn_ports_listener(a, host, dst);
    if (l < 0) {
        if (sn_cap_on(a))
            sn_tap_refused(a, k, dst);
        return -ECONNREFUSED;
    }
    sn_sock *L = sn_sock_at(a, l);
    if (backlog_full(L)) {
        /* The kernel would drop our SYN and retry: wait in line. */
        k->peer = *dst;
        k->state = SN_CONNECTING;
        k->listener = l;
        sn_q_push(a, &L->syn_head, &L->syn_tail, s);
        return -EINPROGRESS;
    }
    return establish(a, s, l, dst);
}

/* The first connection of L's queue whose handshake is over (Linux
 * queues one when its third packet arrives: its conn_due passed), -1
 * none; *due: the smallest conn_due still to come among the others, 0
 * none.  Lock held, or a racy look (poll) that only sets a wake time: the
 * walk is bounded, the queue may change under it. */
static int accept_ready(sn_arena *a, sn_sock *L, int64_t *due)
{
    *due = 0;
    int c = __atomic_load_n(&L->acc_head, __ATOMIC_RELAXED);
    if (c < 0 || !sn_sock_faulty(L))
        return c;
    int64_t now = sn_mono_ns();
    for (int n = 0; c >= 0 && c < SN_MAX_SOCKS && n < SN_MAX_SOCKS; n++) {
        sn_sock *C = sn_sock_at(a, c);
        int64_t cd = atomic_load(&C->conn_due);
        if (!sn_sock_faulty(C) || cd <= now)
            return c;
        if (!*due || cd < *due)
            *due = cd;
        c = __atomic_load_n(&C->qnext, __ATOMIC_RELAXED);
    }
    return -1;
}

bool sn_conn_acceptable(sn_arena *a, sn_sock *L)
{
    int64_t due;
    return accept_ready(a, L, &due) >= 0;
}

int64_t sn_conn_accept_due(sn_arena *a, sn_sock *L)
{
    int64_t due;
    return accept_ready(a, L, &due) >= 0 ? 0 : due;
}

int sn_sock_accept(sn_arena *a, int s, sn_addr *peer)
{
    sn_sock *L = sn_sock_at(a, s);
    if (L->type != SOCK_STREAM)
        return -EOPNOTSUPP;
    sn_ctl_lock(a);
    int c;
    int64_t due;
    if (L->state != SN_LISTEN) {
        c = -EINVAL;
    } else if ((c = accept_ready(a, L, &due)) < 0) {
        c = -EAGAIN;                    /* none, or no handshake over */
    } else {
        sn_q_remove(a, &L->acc_head, &L->acc_tail, c);
        L->acc_len--;
        sn_sock *C = sn_sock_at(a, c);
        sn_sock_set_holder(C, a->proc);
        C->listener = -1;
        *peer = C->peer;
        sn_conn_admit_waiters(a, s);
        /* A client already waiting on this connection now depends on us:
         * wake it to watch this process instead of the listener's. */
        int pc;
        if (sn_sock_peer(a, C, &pc))
            sn_wake(a, pc);
    }
    sn_ctl_unlock(a);
    return c;
}
