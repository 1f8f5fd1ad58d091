/* Socket lifecycle: create, hold and release, bind, listen, connect,
 * accept, shutdown, names.  Everything here runs under the arena lock; the
 * data path lives in stream.c and dgram.c. */
#include "core/sock.h"

#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>

#include "core/ports.h"
#include "core/procs.h"
#include "core/wait.h"

#define PEER_REF(slot, gen) (((int64_t)(slot) << 32) | (uint32_t)(gen))

/* ---- slots ---- */

static int slot_alloc(sn_arena *a)
{
    sn_hdr *h = a->hdr;
    int s;
    if (h->sock_free >= 0) {
        s = h->sock_free;
        h->sock_free = a->socks[s].next;
    } else if (h->sock_hwm < SN_MAX_SOCKS) {
        /* A new slot's memory is reserved first (a chunk at a time): with
         * no room in the file system, socket() fails with ENOBUFS, as
         * Linux's does when it cannot allocate a sock. */
        if (sn_arena_reserve_socks(a, h->sock_hwm) < 0)
            return -ENOBUFS;
        s = (int)h->sock_hwm++;
        sn_sock *k = sn_sock_at(a, s);
        sn_lock_init(&k->rx_prod);
        sn_lock_init(&k->rx_cons);
    } else {
        return -ENOBUFS;
    }
    sn_sock *k = sn_sock_at(a, s);
    memset(&k->state, 0, sizeof *k - offsetof(sn_sock, state));
    k->next = k->acc_head = k->acc_tail = k->syn_head = k->syn_tail = -1;
    k->qnext = k->listener = -1;
    k->peer_ref = -1;
    h->nsocks++;
    return s;
}

static void slot_free(sn_arena *a, int s)
{
    sn_sock *k = sn_sock_at(a, s);
    sn_lock(&k->rx_prod);
    sn_lock(&k->rx_cons);
    if (k->rx.off)
        sn_heap_free(a, k->rx.off, k->rx.cap, k->rx.room);
    memset(&k->rx, 0, sizeof k->rx);
    k->state = SN_FREE;
    k->gen++;
    sn_unlock(&k->rx_cons);
    sn_unlock(&k->rx_prod);
    k->next = a->hdr->sock_free;
    a->hdr->sock_free = s;
    a->hdr->nsocks--;
    sn_wake(a, s);
}

static void set_holder(sn_sock *k, int proc)
{
    uint8_t bit = (uint8_t)(1u << (proc % 8));
    if (!(k->holders[proc / 8] & bit)) {
        k->holders[proc / 8] |= bit;
        k->nref++;
    }
}

int sn_sock_create(sn_arena *a, int family, int type, int protocol)
{
    if (family != AF_INET && family != AF_INET6)
        return -EAFNOSUPPORT;
    if (type == SOCK_STREAM) {
        if (protocol != 0 && protocol != IPPROTO_TCP)
            return -EPROTONOSUPPORT;
        protocol = IPPROTO_TCP;
    } else if (type == SOCK_DGRAM) {
        if (protocol != 0 && protocol != IPPROTO_UDP && protocol != IPPROTO_UDPLITE)
            return -EPROTONOSUPPORT;
        if (protocol == 0)
            protocol = IPPROTO_UDP;
    } else {
        return -ESOCKTNOSUPPORT;    /* raw, seqpacket: not simulated */
    }
    sn_arena_lock(a);
    int s = slot_alloc(a);
    if (s >= 0) {
        sn_sock *k = sn_sock_at(a, s);
        const sn_limits *l = &a->hdr->lim;
        k->family = (uint8_t)family;
        k->type = (uint8_t)type;
        k->protocol = (uint8_t)protocol;
        k->sndbuf = type == SOCK_STREAM ? l->tcp_wmem_def : l->wmem_def;
        k->rcvbuf = type == SOCK_STREAM ? l->tcp_rmem_def : l->rmem_def;
        k->rcvlowat = 1;
        sn_addr_any(family, &k->local);
        k->state = SN_NEW;
        set_holder(k, a->proc);
    }
    sn_arena_unlock(a);
    return s;
}

void sn_sock_set_ident(sn_arena *a, int s, uint64_t dev, uint64_t ino)
{
    sn_sock *k = sn_sock_at(a, s);
    k->dev = dev;
    k->ino = ino;
}

int sn_sock_find_ident(sn_arena *a, uint64_t dev, uint64_t ino)
{
    uint32_t hwm = a->hdr->sock_hwm;
    for (uint32_t s = 0; s < hwm; s++) {
        sn_sock *k = sn_sock_at(a, (int)s);
        if (k->state != SN_FREE && k->ino == ino && k->dev == dev)
            return (int)s;
    }
    return -1;
}

void sn_sock_hold_for(sn_arena *a, int s, int proc)
{
    if (sn_sock_at(a, s)->state != SN_FREE)
        set_holder(sn_sock_at(a, s), proc);
}

void sn_sock_send_copy(sn_arena *a, int s)
{
    if (sn_sock_at(a, s)->state != SN_FREE)
        sn_sock_at(a, s)->inflight++;
}

void sn_sock_recv_copy(sn_arena *a, int s)
{
    sn_sock *k = sn_sock_at(a, s);
    if (k->state != SN_FREE && k->inflight)
        k->inflight--;
}

void sn_sock_hold(sn_arena *a, int s)
{
    sn_arena_lock(a);
    if (sn_sock_at(a, s)->state != SN_FREE)
        set_holder(sn_sock_at(a, s), a->proc);
    sn_arena_unlock(a);
}

/* ---- death of holders ---- */

static int holders_of(sn_arena *a, const sn_sock *k, int *procs, int max)
{
    int n = 0;
    for (int i = 0; i < SN_MAX_PROCS / 8 && n < max; i++) {
        uint8_t b = k->holders[i];
        for (int j = 0; b && j < 8 && n < max; j++, b >>= 1)
            if ((b & 1) && i * 8 + j != a->proc)
                procs[n++] = i * 8 + j;
    }
    return n;
}

int sn_sock_watch(sn_arena *a, int s, int *procs, int max)
{
    sn_sock *k = sn_sock_at(a, s);
    if (k->type != SOCK_STREAM)
        return 0;
    if (k->state == SN_CONNECTING && k->listener >= 0)
        return holders_of(a, sn_sock_at(a, k->listener), procs, max);
    sn_sock *p = sn_sock_peer(a, k, NULL);
    if (!p)
        return 0;
    /* Not accepted yet: its fate is the listener's. */
    if (p->nref == 0 && p->listener >= 0)
        return holders_of(a, sn_sock_at(a, p->listener), procs, max);
    return holders_of(a, p, procs, max);
}

bool sn_sock_collect(sn_arena *a, const int *procs, int n)
{
    bool any = false;
    for (int i = 0; i < n; i++)
        if (sn_proc_gone(a, procs[i])) {
            sn_arena_lock(a);
            any |= sn_procs_collect(a, procs[i]);
            sn_arena_unlock(a);
        }
    return any;
}

/* A listener whose every holder died is a closed port: reap them (which
 * destroys it) before anyone queues on it.  Arena lock held. */
static bool listener_orphaned(sn_arena *a, int l)
{
    sn_sock *L = sn_sock_at(a, l);
    int procs[SN_MAX_PROCS];
    int n = holders_of(a, L, procs, SN_MAX_PROCS);
    if (n == 0 || (L->holders[a->proc / 8] & (1u << (a->proc % 8))))
        return false;
    for (int i = 0; i < n; i++)
        if (!sn_proc_gone(a, procs[i]))
            return false;
    for (int i = 0; i < n; i++)
        sn_procs_reap(a, procs[i]);
    return true;
}

/* ---- peers ---- */

sn_sock *sn_sock_peer(sn_arena *a, sn_sock *k, int *peer_slot)
{
    int64_t ref = atomic_load(&k->peer_ref);
    if (ref < 0)
        return NULL;
    int s = (int)(ref >> 32);
    sn_sock *p = sn_sock_at(a, s);
    if (p->gen != (uint32_t)ref)
        return NULL;
    if (peer_slot)
        *peer_slot = s;
    return p;
}

void sn_sock_set_error(sn_sock *k, int err)
{
    atomic_store(&k->so_error, err);
}

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
        atomic_fetch_or(&p->shut, SN_PEER_FIN | SN_PEER_GONE);
        sn_sock_fin_check(p);
    }
    p->peer_ref = -1;
    sn_wake(a, ps);
}

/* Both directions have seen their FIN: the connection is over (Linux
 * moves the socket to CLOSE; getpeername says ENOTCONN).  Data still in
 * the ring stays readable. */
void sn_sock_fin_check(sn_sock *k)
{
    uint32_t sh = atomic_load(&k->shut);
    if ((sh & SN_SHUT_WR) && (sh & SN_PEER_FIN) && k->state == SN_CONNECTED)
        k->state = SN_CLOSED;
}

/* Give back what an implicit bind took (Linux: a port not locked by the
 * user's bind() is released, an address not chosen by the user is
 * forgotten) after a failed connect or a UDP disconnect.  TCP keeps
 * showing the released port in getsockname (Linux clears the bind, not
 * the socket's source port); UDP shows 0. */
static void release_implicit(sn_arena *a, int s)
{
    sn_sock *k = sn_sock_at(a, s);
    uint32_t o = atomic_load(&k->opt);
    uint16_t port = k->local.port;
    if (!(o & SN_O_BOUND_PORT) && k->in_chain) {
        sn_ports_unbind(a, s);
        k->in_chain = 0;
        if (k->type == SOCK_DGRAM)
            port = 0;
        if (k->state == SN_BOUND)
            k->state = SN_NEW;
    }
    if (!(o & SN_O_BOUND_ADDR))
        sn_addr_any(k->family, &k->local);
    k->local.port = port;
}

/* A connection attempt meets a closed port (RST): the socket ends in
 * CLOSE with both directions shut, its error set, its implicit port given
 * back. */
static void refuse(sn_arena *a, int c)
{
    sn_sock *C = sn_sock_at(a, c);
    sn_sock_set_error(C, ECONNREFUSED);
    C->state = SN_CLOSED;
    C->listener = -1;
    atomic_store(&C->shut, SN_SHUT_RD | SN_SHUT_WR);
    release_implicit(a, c);
    sn_wake(a, c);
}

/* ---- listener queues ---- */

static void q_push(sn_arena *a, int32_t *head, int32_t *tail, int s)
{
    a->socks[s].qnext = -1;
    if (*tail >= 0)
        a->socks[*tail].qnext = s;
    else
        *head = s;
    *tail = s;
}

static int q_pop(sn_arena *a, int32_t *head, int32_t *tail)
{
    int s = *head;
    if (s >= 0) {
        *head = a->socks[s].qnext;
        if (*head < 0)
            *tail = -1;
        a->socks[s].qnext = -1;
    }
    return s;
}

static void q_remove(sn_arena *a, int32_t *head, int32_t *tail, int s)
{
    int prev = -1;
    for (int i = *head; i >= 0; prev = i, i = a->socks[i].qnext) {
        if (i != s)
            continue;
        if (prev >= 0)
            a->socks[prev].qnext = a->socks[i].qnext;
        else
            *head = a->socks[i].qnext;
        if (*tail == s)
            *tail = prev;
        a->socks[s].qnext = -1;
        return;
    }
}

/* Connection C to listener L completes: make the server end and queue it
 * for accept. */
static int establish(sn_arena *a, int c, int l, const sn_addr *dst)
{
    sn_sock *L = sn_sock_at(a, l), *C = sn_sock_at(a, c);
    int s = slot_alloc(a);
    if (s < 0)
        return s;
    sn_sock *S = sn_sock_at(a, s);
    S->family = L->family;
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
    S->peer_ref = PEER_REF(c, C->gen);
    C->peer = *dst;
    C->peer_ref = PEER_REF(s, S->gen);
    C->state = SN_CONNECTED;
    C->was_connected = 1;
    C->listener = -1;
    q_push(a, &L->acc_head, &L->acc_tail, s);
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

/* Room appeared in L's accept queue: let waiting connectors in. */
static void admit_waiters(sn_arena *a, int l)
{
    sn_sock *L = sn_sock_at(a, l);
    while (L->syn_head >= 0 && !backlog_full(L)) {
        int c = q_pop(a, &L->syn_head, &L->syn_tail);
        sn_sock *C = sn_sock_at(a, c);
        sn_addr dst = C->peer;
        if (establish(a, c, l, &dst) < 0) {
            sn_sock_set_error(C, ENOBUFS);
            C->state = SN_CLOSED;
            sn_wake(a, c);
        }
    }
}

/* A listener stops: queued connections are reset, waiting connectors are
 * refused (their next SYN would meet a closed port). */
static void stop_listening(sn_arena *a, int l)
{
    sn_sock *L = sn_sock_at(a, l);
    int s;
    while ((s = q_pop(a, &L->acc_head, &L->acc_tail)) >= 0) {
        notify_peer_closed(a, sn_sock_at(a, s), true);
        if (sn_sock_at(a, s)->in_chain)
            sn_ports_unbind(a, s);
        slot_free(a, s);
    }
    L->acc_len = 0;
    while ((s = q_pop(a, &L->syn_head, &L->syn_tail)) >= 0)
        refuse(a, s);
}

/* ---- release ---- */

static void destroy(sn_arena *a, int s)
{
    sn_sock *k = sn_sock_at(a, s);
    switch (k->state) {
    case SN_LISTEN:
        stop_listening(a, s);
        sn_ports_adopt_accepted(a, s);
        break;
    case SN_CONNECTING:
        if (k->listener >= 0) {
            sn_sock *L = sn_sock_at(a, k->listener);
            q_remove(a, &L->syn_head, &L->syn_tail, s);
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
            notify_peer_closed(a, k, abort);
        }
        break;
    }
    if (k->in_chain)
        sn_ports_unbind(a, s);
    slot_free(a, s);
}

void sn_sock_drop_holder(sn_arena *a, int s, int proc)
{
    sn_sock *k = sn_sock_at(a, s);
    uint8_t bit = (uint8_t)(1u << (proc % 8));
    if (k->state == SN_FREE || !(k->holders[proc / 8] & bit))
        return;
    k->holders[proc / 8] &= (uint8_t)~bit;
    /* A copy in flight in an SCM_RIGHTS message keeps it alive: its
     * receiver will hold it (a message never received leaks it). */
    if (--k->nref == 0 && !k->inflight)
        destroy(a, s);
}

void sn_sock_release(sn_arena *a, int s)
{
    sn_arena_lock(a);
    sn_sock_drop_holder(a, s, a->proc);
    sn_arena_unlock(a);
}

/* ---- after a death inside the arena lock ---- */

/* Every update of the tables below happens under the arena lock, so when
 * its owner died the only damage is that owner's half-done update: a slot
 * taken but never set up, a server end made but not yet queued (or popped
 * by an accept that never took it), a holder bit without its count, a
 * chain or free list half-linked.  Rather than replay each step, rebuild
 * what can be derived from the sockets themselves.  Rare, and O(sockets). */
static uint32_t count_holders(const sn_sock *k)
{
    uint32_t n = 0;
    for (int i = 0; i < SN_MAX_PROCS / 8; i++)
        n += (uint32_t)__builtin_popcount(k->holders[i]);
    return n;
}

static bool valid_listener(sn_arena *a, int l)
{
    return l >= 0 && (uint32_t)l < a->hdr->sock_hwm &&
           sn_sock_at(a, l)->state == SN_LISTEN;
}

/* Listener queues, from each socket's `listener` field (in slot order:
 * the accept order of pending connections is not kept). */
static void requeue_all(sn_arena *a)
{
    uint32_t hwm = a->hdr->sock_hwm;
    for (uint32_t s = 0; s < hwm; s++) {
        sn_sock *k = sn_sock_at(a, (int)s);
        if (k->state == SN_LISTEN) {
            k->acc_head = k->acc_tail = k->syn_head = k->syn_tail = -1;
            k->acc_len = 0;
        }
    }
    for (uint32_t s = 0; s < hwm; s++) {
        sn_sock *k = sn_sock_at(a, (int)s);
        if (k->state == SN_FREE || k->listener < 0)
            continue;
        if (!valid_listener(a, k->listener)) {
            k->listener = -1;
            if (k->state == SN_CONNECTING)
                refuse(a, (int)s);
            continue;
        }
        sn_sock *L = sn_sock_at(a, k->listener);
        if (k->state == SN_CONNECTING) {
            q_push(a, &L->syn_head, &L->syn_tail, (int)s);
        } else if (k->nref == 0) {
            q_push(a, &L->acc_head, &L->acc_tail, (int)s);
            L->acc_len++;
        } else {
            k->listener = -1;       /* accepted: the accept died after */
        }
    }
}

void sn_arena_repair(sn_arena *a)
{
    sn_hdr *h = a->hdr;
    uint32_t hwm = h->sock_hwm;
    for (uint32_t s = 0; s < hwm; s++) {
        sn_sock *k = sn_sock_at(a, (int)s);
        if (k->state != SN_FREE)
            k->nref = count_holders(k);
    }
    sn_ports_rebuild(a);
    requeue_all(a);
    /* Held by nobody, in no queue, in no message: nobody can ever close
     * it. */
    for (uint32_t s = 0; s < hwm; s++) {
        sn_sock *k = sn_sock_at(a, (int)s);
        if (k->state != SN_FREE && k->nref == 0 && !k->inflight && k->listener < 0)
            destroy(a, (int)s);
    }
    h->sock_free = -1;
    h->nsocks = 0;
    for (uint32_t s = hwm; s-- > 0;) {
        sn_sock *k = sn_sock_at(a, (int)s);
        if (k->state == SN_FREE) {
            k->next = h->sock_free;
            h->sock_free = (int32_t)s;
        } else {
            h->nsocks++;
        }
    }
}

/* ---- bind, listen ---- */

static int bind_locked(sn_arena *a, int s, sn_addr *want, bool for_connect)
{
    sn_sock *k = sn_sock_at(a, s);
    int r = sn_ports_bind(a, s, want, for_connect);
    if (r == 0) {
        k->in_chain = 1;
        if (k->state == SN_NEW || k->state == SN_CLOSED)
            k->state = SN_BOUND;
    }
    return r;
}

int sn_sock_autobind(sn_arena *a, int s, const sn_addr *dst)
{
    sn_sock *k = sn_sock_at(a, s);
    if (k->in_chain)
        return 0;
    sn_addr want = k->local;            /* the wildcard of its family */
    if (dst)
        sn_addr_source_for(dst, &want);
    want.port = 0;
    int r = bind_locked(a, s, &want, dst != NULL);
    /* Linux: bind() ran out of ports is EADDRINUSE, connect() is
     * EADDRNOTAVAIL. */
    return r == -EADDRINUSE && dst ? -EADDRNOTAVAIL : r;
}

int sn_sock_bind(sn_arena *a, int s, const struct sockaddr *sa, socklen_t len)
{
    sn_sock *k = sn_sock_at(a, s);
    sn_addr want;
    int r = sn_addr_parse(k->family, sa, len, true, &want);
    if (r < 0)
        return r;
    if (k->family == AF_INET6 && sn_addr_is_v4(&want) &&
        (atomic_load(&k->opt) & SN_O_V6ONLY))
        return -EINVAL;
    if (!sn_addr_is_local(&want))
        return -EADDRNOTAVAIL;
    sn_arena_lock(a);
    if (k->in_chain || (k->state != SN_NEW && k->state != SN_CLOSED) ||
        k->was_connected) {
        r = -EINVAL;
    } else {
        bool user_port = want.port != 0, user_addr = !sn_addr_is_any(&want);
        sn_addr saved = want;
        r = bind_locked(a, s, &want, false);
        if (r == -EADDRINUSE) {
            /* The port may be held by processes that died without
             * closing: bury them and look again. */
            sn_procs_sweep(a);
            want = saved;
            r = bind_locked(a, s, &want, false);
        }
        if (r == 0 && user_port)
            atomic_fetch_or(&k->opt, SN_O_BOUND_PORT);
        if (r == 0 && user_addr)
            atomic_fetch_or(&k->opt, SN_O_BOUND_ADDR);
    }
    sn_arena_unlock(a);
    return r;
}

int sn_sock_listen(sn_arena *a, int s, int backlog)
{
    sn_sock *k = sn_sock_at(a, s);
    if (k->type != SOCK_STREAM)
        return -EOPNOTSUPP;
    sn_arena_lock(a);
    int r = 0;
    uint32_t somax = (uint32_t)a->hdr->lim.somaxconn;
    if ((uint32_t)backlog > somax)      /* negative counts as huge, as Linux */
        backlog = (int)somax;
    if (k->state == SN_LISTEN) {
        k->backlog = backlog;
        admit_waiters(a, s);
    } else if (k->state != SN_NEW && k->state != SN_BOUND) {
        r = -EINVAL;
    } else if ((r = sn_sock_autobind(a, s, NULL)) == 0 &&
               (r = sn_ports_can_listen(a, s)) == 0) {
        k->backlog = backlog;
        k->acc_len = 0;
        k->state = SN_LISTEN;
    }
    sn_arena_unlock(a);
    return r;
}

/* ---- connect, accept ---- */

static int connect_target(sn_arena *a, sn_sock *k, const struct sockaddr *sa,
                          socklen_t len, sn_addr *dst)
{
    int r = sn_addr_parse(k->family, sa, len, false, dst);
    if (r < 0)
        return r;
    if (k->family == AF_INET6 && sn_addr_is_v4(dst) &&
        (atomic_load(&k->opt) & SN_O_V6ONLY))
        return -ENETUNREACH;
    sn_addr_resolve_any(dst);
    return sn_addr_is_local(dst) ? 0 : -ENETUNREACH;
}

static int stream_connect_locked(sn_arena *a, int s, sn_addr *dst)
{
    sn_sock *k = sn_sock_at(a, s);
    switch (k->state) {
    case SN_CONNECTED:
    case SN_LISTEN:
        return -EISCONN;
    case SN_CONNECTING:
        return -EALREADY;
    case SN_CLOSED:
        if (k->was_connected)
            return -EISCONN;
        k->state = k->in_chain ? SN_BOUND : SN_NEW;  /* retry after refusal */
        atomic_store(&k->shut, 0);
        break;
    default:
        break;
    }
    int r = sn_sock_autobind(a, s, dst);
    if (r < 0)
        return r;
    if (sn_addr_is_any(&k->local)) {
        uint16_t port = k->local.port;  /* bound to a wildcard: pick source */
        sn_addr_source_for(dst, &k->local);
        k->local.port = port;
    }
    atomic_store(&k->so_error, 0);
    int l = sn_ports_listener(a, dst);
    if (l >= 0 && listener_orphaned(a, l))
        l = sn_ports_listener(a, dst);
    if (l < 0)
        return -ECONNREFUSED;
    sn_sock *L = sn_sock_at(a, l);
    if (backlog_full(L)) {
        /* The kernel would drop our SYN and retry: wait in line. */
        k->peer = *dst;
        k->state = SN_CONNECTING;
        k->listener = l;
        q_push(a, &L->syn_head, &L->syn_tail, s);
        return -EINPROGRESS;
    }
    return establish(a, s, l, dst);
}

/* The connect() after a non-blocking one said EINPROGRESS reports how
 * that attempt ended, as Linux's socket state machine does. */
static int nb_connect_outcome(sn_sock *k)
{
    switch (k->state) {
    case SN_CONNECTING:
        return -EALREADY;
    case SN_CONNECTED:
        k->nb_connect = 0;
        return 0;
    default: {
        k->nb_connect = 0;
        int e = atomic_exchange(&k->so_error, 0);
        atomic_store(&k->shut, 0);
        return e ? -e : -ECONNABORTED;
    }
    }
}

static int dgram_connect_locked(sn_arena *a, int s, const sn_addr *dst)
{
    sn_sock *k = sn_sock_at(a, s);
    int r = sn_sock_autobind(a, s, dst);
    if (r < 0)
        return r;
    if (sn_addr_is_any(&k->local)) {
        uint16_t port = k->local.port;
        sn_addr_source_for(dst, &k->local);
        k->local.port = port;
    }
    k->peer = *dst;
    k->state = SN_CONNECTED;
    sn_ports_dgram_changed(a);  /* it now takes only its peer's datagrams */
    return 0;
}

int sn_sock_connect(sn_arena *a, int s, const struct sockaddr *sa,
                    socklen_t len, bool nonblock)
{
    sn_sock *k = sn_sock_at(a, s);
    if (len >= sizeof(sa_family_t) && sa->sa_family == AF_UNSPEC) {
        if (k->type == SOCK_DGRAM)
            return sn_dgram_disconnect(a, s);
        return 0;
    }
    sn_addr dst;
    int r = connect_target(a, k, sa, len, &dst);
    if (r < 0)
        return r;
    sn_arena_lock(a);
    if (k->type == SOCK_DGRAM) {
        r = dgram_connect_locked(a, s, &dst);
    } else if (k->nb_connect) {
        r = nb_connect_outcome(k);
    } else {
        r = stream_connect_locked(a, s, &dst);
        if (r == -ECONNREFUSED)
            release_implicit(a, s);
        if (nonblock && (r == 0 || r == -EINPROGRESS || r == -ECONNREFUSED)) {
            /* Linux answers EINPROGRESS and lets the outcome arrive:
             * writable, or SO_ERROR = ECONNREFUSED with both ways shut. */
            if (r == -ECONNREFUSED)
                refuse(a, s);
            k->nb_connect = 1;
            r = -EINPROGRESS;
        }
    }
    sn_arena_unlock(a);
    return r;
}

int sn_sock_connect_result(sn_arena *a, int s)
{
    sn_sock *k = sn_sock_at(a, s);
    uint8_t st = k->state;
    if (st == SN_CONNECTING)
        return -EAGAIN;
    if (st == SN_CONNECTED)
        return 0;
    /* Refused while we waited: report it and leave the socket as a
     * failed blocking connect does, ready for another attempt. */
    int e = atomic_exchange(&k->so_error, 0);
    atomic_store(&k->shut, 0);
    return e ? -e : -ECONNREFUSED;
}

int sn_dgram_disconnect(sn_arena *a, int s)
{
    sn_sock *k = sn_sock_at(a, s);
    sn_arena_lock(a);
    if (k->state == SN_CONNECTED) {
        memset(&k->peer, 0, sizeof k->peer);
        release_implicit(a, s);
        k->state = k->in_chain ? SN_BOUND : SN_NEW;
        sn_ports_dgram_changed(a);
    }
    sn_arena_unlock(a);
    return 0;
}

int sn_sock_accept(sn_arena *a, int s, sn_addr *peer)
{
    sn_sock *L = sn_sock_at(a, s);
    if (L->type != SOCK_STREAM)
        return -EOPNOTSUPP;
    sn_arena_lock(a);
    int c;
    if (L->state != SN_LISTEN) {
        c = -EINVAL;
    } else if ((c = q_pop(a, &L->acc_head, &L->acc_tail)) < 0) {
        c = -EAGAIN;
    } else {
        L->acc_len--;
        sn_sock *C = sn_sock_at(a, c);
        set_holder(C, a->proc);
        C->listener = -1;
        *peer = C->peer;
        admit_waiters(a, s);
        /* A client already waiting on this connection now depends on us:
         * wake it to watch this process instead of the listener's. */
        int pc;
        if (sn_sock_peer(a, C, &pc))
            sn_wake(a, pc);
    }
    sn_arena_unlock(a);
    return c;
}

/* ---- shutdown, names ---- */

int sn_sock_shutdown(sn_arena *a, int s, int how)
{
    sn_sock *k = sn_sock_at(a, s);
    if (how < SHUT_RD || how > SHUT_RDWR)
        return -EINVAL;
    /* SHUT_RD=0, SHUT_WR=1, SHUT_RDWR=2 -> bit mask rd=1, wr=2 */
    uint32_t mask = (uint32_t)how + 1;
    sn_arena_lock(a);
    int r = 0, ps;
    switch (k->state) {
    case SN_LISTEN:
        if (mask & SN_SHUT_RD) {       /* Linux stops listening */
            stop_listening(a, s);
            k->state = SN_BOUND;
        }
        break;
    case SN_CONNECTED:
    case SN_CONNECTING:
        if ((mask & SN_SHUT_WR) && !(atomic_load(&k->shut) & (SN_SHUT_WR | SN_PEER_FIN)))
            k->fin_first = 1;
        atomic_fetch_or(&k->shut, mask);
        if ((mask & SN_SHUT_WR) && k->type == SOCK_STREAM) {
            sn_sock *p = sn_sock_peer(a, k, &ps);
            if (p) {
                atomic_fetch_or(&p->shut, SN_PEER_FIN);
                sn_sock_fin_check(p);
                sn_wake(a, ps);
            }
            sn_sock_fin_check(k);
        }
        break;
    default:
        /* Linux reports ENOTCONN but records the flags all the same. */
        atomic_fetch_or(&k->shut, mask);
        r = -ENOTCONN;
        break;
    }
    sn_arena_unlock(a);
    sn_wake(a, s);
    return r;
}

socklen_t sn_sock_format(sn_arena *a, int s, const sn_addr *x,
                         struct sockaddr_storage *out)
{
    return sn_addr_format(sn_sock_at(a, s)->family, x, out);
}

int sn_sock_name(sn_arena *a, int s, bool peer, struct sockaddr_storage *out)
{
    sn_sock *k = sn_sock_at(a, s);
    sn_arena_lock(a);
    sn_addr x = peer ? k->peer : k->local;
    uint8_t st = k->state;
    sn_arena_unlock(a);
    if (peer && st != SN_CONNECTED)
        return -ENOTCONN;
    return (int)sn_sock_format(a, s, &x, out);
}
