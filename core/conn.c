/* Connections and bindings: create, bind, listen, connect, accept,
 * shutdown, names -- the control plane of both protocols.  Everything
 * here runs under the control-plane lock; the data path is stream.c and
 * dgram.c. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "core/conn.h"
#include "core/faultlog.h"
#include "core/holders.h"
#include "core/hosts.h"
#include "core/lifetime.h"
#include "core/links.h"
#include "core/lqueue.h"
#include "core/nameserver.h"
#include "core/net.h"
#include "core/ports.h"
#include "core/procs.h"
#include "core/reap.h"
#include "core/repair.h"
#include "core/slots.h"
#include "core/sockwait.h"
#include "core/tap.h"
#include "core/timeouts.h"
#include "core/capture.h"

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
    sn_ctl_lock(a);
    int s = sn_slot_alloc(a);
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
        k->host = (uint16_t)(a->proc >= 0 ? a->procs[a->proc].host : 0);
        k->state = SN_NEW;
        sn_sock_set_holder(k, a->proc);
    }
    sn_ctl_unlock(a);
    return s;
}

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

static int64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* ---- connections ---- */

/* Server end S of C's delayed connect to listener L: accept sees it when
 * the handshake's third packet arrives, one more trip after C's connect
 * completes (C's conn_due, round_trip).  Before S is queued: readers of
 * the queue take no lock. */
static void accept_after(sn_arena *a, sn_sock *C, sn_sock *S, sn_sock *L)
{
    int64_t cd = atomic_load(&C->conn_due);
    if (!cd || !sn_sock_faulty(C))
        return;
    int64_t ack = sn_links_due(a, sn_links_end(C->host, C->local.port),
                                sn_links_end(L->host, L->local.port), 0, true, cd);
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

/* Room appeared in L's accept queue: let waiting connectors in. */
static void admit_waiters(sn_arena *a, int l)
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

/* ---- bind, listen ---- */

/* Addresses bind takes (Linux's inet_addr_valid_or_nonlocal): the
 * socket's host's (core/hosts.h), and broadcast and multicast ones, IPv4's
 * and IPv6's. */
static bool bindable(sn_arena *a, const sn_sock *k, const sn_addr *x)
{
    static const uint8_t ones[4] = {255, 255, 255, 255};
    if (sn_hosts_owner(a, k->host, x) == k->host)
        return true;
    if (sn_addr_is_v4(x))
        return (x->ip[12] & 0xf0) == 0xe0 || memcmp(x->ip + 12, ones, 4) == 0;
    return x->ip[0] == 0xff;
}

/* Linux's order differs by family: IPv4 checks the address (EADDRNOTAVAIL)
 * before a second bind (EINVAL); IPv6 the other way round, after refusing
 * a multicast address to TCP. */
int sn_sock_bind(sn_arena *a, int s, const struct sockaddr *sa, socklen_t len)
{
    sn_sock *k = sn_sock_at(a, s);
    sn_addr want;
    int r = sn_addr_parse(k->family, sa, len, true, &want);   /* AF_UNSPEC:
                                     IPv4's INADDR_ANY only (addr.c) */
    if (r < 0)
        return r;
    bool v4 = sn_addr_is_v4(&want);
    if (k->family == AF_INET && !bindable(a, k, &want))
        return -EADDRNOTAVAIL;
    if (k->family == AF_INET6 && !v4 && want.ip[0] == 0xff && k->type == SOCK_STREAM)
        return -EINVAL;
    sn_ctl_lock(a);
    if (k->in_chain || (k->state != SN_NEW && k->state != SN_CLOSED) ||
        k->was_connected) {
        r = -EINVAL;
    } else if (k->family == AF_INET6 && v4 && (atomic_load(&k->opt) & SN_O_V6ONLY)) {
        r = -EINVAL;
    } else if (!bindable(a, k, &want)) {
        r = -EADDRNOTAVAIL;
    } else {
        bool user_port = want.port != 0, user_addr = !sn_addr_is_any(&want);
        sn_addr saved = want;
        r = sn_sock_bind_locked(a, s, &want, false);
        if (r == -EADDRINUSE) {
            /* The port may be held by processes that died without
             * closing: bury them and look again. */
            sn_reap_sweep(a);
            want = saved;
            r = sn_sock_bind_locked(a, s, &want, false);
        }
        if (r == 0 && user_port)
            atomic_fetch_or(&k->opt, SN_O_BOUND_PORT);
        if (r == 0 && user_addr)
            atomic_fetch_or(&k->opt, SN_O_BOUND_ADDR);
        /* Linux: an IPv6 socket bound to an IPv6 address (not a wildcard,
         * not v4-mapped) is IPv6-only from then on (IPV6_V6ONLY reads 1). */
        if (r == 0 && user_addr && k->family == AF_INET6 && !sn_addr_is_v4(&want))
            atomic_fetch_or(&k->opt, SN_O_V6ONLY);
    }
    sn_ctl_unlock(a);
    return r;
}

int sn_sock_listen(sn_arena *a, int s, int backlog)
{
    sn_sock *k = sn_sock_at(a, s);
    if (k->type != SOCK_STREAM)
        return -EOPNOTSUPP;
    sn_ctl_lock(a);
    int r = 0;
    uint32_t somax = (uint32_t)a->hdr->lim.somaxconn;
    if ((uint32_t)backlog > somax)      /* negative counts as huge, as Linux */
        backlog = (int)somax;
    if (k->state == SN_LISTEN) {
        k->backlog = backlog;
        admit_waiters(a, s);
    } else if ((k->state != SN_NEW && k->state != SN_BOUND) ||
               (atomic_load(&k->opt) & (SN_O_REFUSED | SN_O_DISCONNECTING))) {
        r = -EINVAL;
    } else if ((r = sn_sock_autobind(a, s, NULL)) == 0 &&
               (r = sn_ports_can_listen(a, s)) == 0) {
        k->backlog = backlog;
        k->acc_len = 0;
        k->state = SN_LISTEN;
    }
    sn_ctl_unlock(a);
    return r;
}

/* ---- connect, accept ---- */

/* The destination of a connect.  An IPv6 datagram socket also takes an
 * IPv4 address (sockaddr_in), as a v4-mapped one, unless IPv6-only
 * (Linux's ip6_datagram_connect: EAFNOSUPPORT). */
static int connect_target(sn_arena *a, sn_sock *k, const struct sockaddr *sa,
                          socklen_t len, sn_addr *dst)
{
    int fam = k->family;
    if (k->type == SOCK_DGRAM && fam == AF_INET6 && sa->sa_family == AF_INET) {
        if (atomic_load(&k->opt) & SN_O_V6ONLY)
            return -EAFNOSUPPORT;
        fam = AF_INET;
    }
    int r = sn_addr_parse(fam, sa, len, false, dst);
    if (r < 0)
        return r;
    if (k->family == AF_INET6 && sn_addr_is_v4(dst) &&
        (atomic_load(&k->opt) & SN_O_V6ONLY))
        return -ENETUNREACH;
    bool local_v4 = k->family == AF_INET6 && sn_addr_is_v4(&k->local) &&
                    !sn_addr_is_any(&k->local);
    /* "::" means this host: 127.0.0.1 to a socket whose address is IPv4 */
    if (local_v4 && !sn_addr_is_v4(dst) && sn_addr_is_any(dst)) {
        static const uint8_t lo4[16] = {[10] = 0xff, [11] = 0xff, [12] = 127, [15] = 1};
        memcpy(dst->ip, lo4, sizeof lo4);
    }
    /* A socket whose address is IPv4 (bound v4-mapped, or a UDP socket
     * connected to an IPv4 peer) cannot reach an IPv6 one. */
    if (local_v4 && !sn_addr_is_v4(dst))
        return -EAFNOSUPPORT;
    sn_addr_resolve_any(dst);
    /* Another host's address, or beyond the network: only the network's
     * nameserver answers, on UDP (DNS over TCP finds nobody listening:
     * ECONNREFUSED). */
    return sn_hosts_owner(a, k->host, dst) >= 0 || sn_nameserver_addr(k, dst)
           ? 0 : -ENETUNREACH;
}

/* What a stream socket's state says to a connect before its address is
 * looked at (Linux's __inet_stream_connect): 1 to go on. */
static int stream_state(const sn_sock *k)
{
    if (atomic_load(&k->opt) & SN_O_DISCONNECTING)
        return -EINVAL;
    switch (k->state) {
    case SN_CONNECTED:
    case SN_LISTEN:
        return -EISCONN;
    case SN_CONNECTING:
        return -EALREADY;
    case SN_CLOSED:
        return k->was_connected ? -EISCONN : 1;
    default:
        return 1;
    }
}

static int connect_to(sn_arena *a, int s, int host, sn_addr *dst);
static bool round_trip(sn_arena *a, sn_sock *k, int me, int host);

static int stream_connect_locked(sn_arena *a, int s, sn_addr *dst)
{
    sn_sock *k = sn_sock_at(a, s);
    int r = stream_state(k);
    if (r <= 0)
        return r;
    if (k->state == SN_CLOSED) {
        k->state = k->in_chain ? SN_BOUND : SN_NEW;  /* retry after refusal */
        atomic_store(&k->shut, 0);
    }
    r = sn_sock_autobind(a, s, dst);
    if (r < 0)
        return r;
    if (sn_addr_is_any(&k->local)) {
        uint16_t port = k->local.port;  /* bound to a wildcard: pick source */
        sn_hosts_source_for(a, k->host, dst, &k->local);
        k->local.port = port;
    }
    atomic_store(&k->so_error, 0);
    int host = sn_hosts_owner(a, k->host, dst);
    /* the ends for the links' rules: hosts and ports */
    int me = sn_links_end(k->host, k->local.port), there = sn_links_end(host, dst->port);
    if (host >= 0 && sn_links_any(a) && sn_links_cut(a, me, there)) {
        /* A partition: our SYNs get no answer, neither a refusal nor a
         * connection, until it heals (sn_conn_retry_held). */
        k->peer = *dst;
        k->state = SN_CONNECTING;
        k->listener = -1;
        k->held_conn = 1;
        sn_faultlog(a, SN_FE_CONN_HELD, k, &k->local, dst, me, there, 0);
        /* ... and they give up as Linux's do (sn_conn_check_held). */
        k->stall_idle = 0;
        atomic_store(&k->stall_ns, mono_ns());
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
    r = connect_to(a, s, host, dst);
    if (r == 0 && delayed)
        return -EINPROGRESS;            /* sn_sock_connect_result waits */
    if (delayed)
        atomic_store(&k->conn_due, 0);  /* refused, or waiting in line */
    return r;
}

/* A connect from k (end `me`) to host `host` (an end too: core/links.h)
 * over delayed links: its caller sees it complete one round trip from
 * now (the SYN there, the SYN-ACK back).  Set before the connection is
 * made, so that establish can time the server end from it (accept_after). */
static bool round_trip(sn_arena *a, sn_sock *k, int me, int host)
{
    int64_t now = mono_ns();
    int64_t there = sn_links_due(a, me, host, 0, true, now);
    int64_t back = sn_links_due(a, host, me, 0, true, there ? there : now);
    int64_t due = back ? back : there;
    if (!due)
        return false;
    atomic_store(&k->conn_due, due);
    atomic_store(&k->faulty, 1);
    return true;
}

/* Connect s to whoever listens at dst on host `host`, as a SYN that
 * got through does: connected, queued (backlog full) or refused. */
static int connect_to(sn_arena *a, int s, int host, sn_addr *dst)
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

/* The connect() after a non-blocking one said EINPROGRESS reports how
 * that attempt ended, as Linux's socket state machine does. */
static int nb_connect_outcome(sn_sock *k)
{
    switch (k->state) {
    case SN_CONNECTING:
        return -EALREADY;
    case SN_CONNECTED:
        if (sn_sock_conn_pending(k))
            return -EALREADY;
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
        sn_hosts_source_for(a, k->host, dst, &k->local);
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
    if (len < sizeof(sa_family_t))
        return -EINVAL;
    if (sa->sa_family == AF_UNSPEC) {
        if (k->type == SOCK_DGRAM)
            return sn_dgram_disconnect(a, s);
        sn_ctl_lock(a);
        sn_sock_disconnect_stream(a, s);
        sn_ctl_unlock(a);
        return 0;
    }
    /* Linux's order: a stream socket's state (and the outcome of its
     * non-blocking attempt) comes before the address; a datagram socket
     * takes its port (inet_autobind) before the address is read. */
    int r = 1;
    sn_ctl_lock(a);
    if (k->type == SOCK_STREAM)
        r = k->nb_connect ? nb_connect_outcome(k) : stream_state(k);
    else if (sn_sock_autobind(a, s, NULL) < 0)
        r = -EAGAIN;
    sn_ctl_unlock(a);
    if (r <= 0)
        return r;
    sn_addr dst;
    r = connect_target(a, k, sa, len, &dst);
    if (r < 0)
        return r;
    sn_ctl_lock(a);
    if (k->type == SOCK_DGRAM) {
        r = dgram_connect_locked(a, s, &dst);
    } else if (k->nb_connect) {
        r = nb_connect_outcome(k);
    } else {
        r = stream_connect_locked(a, s, &dst);
        if (r == -ECONNREFUSED)
            sn_sock_release_implicit(a, s);
        if (r == -ECONNREFUSED)
            atomic_fetch_or(&k->opt, SN_O_REFUSED);
        if (nonblock && (r == 0 || r == -EINPROGRESS || r == -ECONNREFUSED)) {
            /* Linux answers EINPROGRESS and lets the outcome arrive:
             * writable, or SO_ERROR = ECONNREFUSED with both ways shut. */
            if (r == -ECONNREFUSED)
                sn_sock_refuse(a, s);
            k->nb_connect = 1;
            r = -EINPROGRESS;
        }
    }
    sn_ctl_unlock(a);
    return r;
}

void sn_conn_retry_held(sn_arena *a, int s)
{
    sn_sock *k = sn_sock_at(a, s);
    if (!k->held_conn || k->state != SN_CONNECTING)
        return;
    sn_addr dst = k->peer;
    int host = sn_hosts_owner(a, k->host, &dst);
    int me = sn_links_end(k->host, k->local.port), there = sn_links_end(host, dst.port);
    if (host >= 0 && sn_links_cut(a, me, there))
        return;                         /* still cut */
    k->held_conn = 0;
    atomic_store(&k->stall_ns, 0);
    k->state = k->in_chain ? SN_BOUND : SN_NEW;
    int r = host < 0 || sn_links_refused(a, me, there) ? -ECONNREFUSED
                                                           : connect_to(a, s, host, &dst);
    if (r == -ECONNREFUSED || (r < 0 && r != -EINPROGRESS)) {
        k->state = SN_CONNECTING;       /* as sn_sock_refuse expects it */
        sn_sock_refuse(a, s);
    }
    sn_wake(a, s);
}

void sn_conn_check_held(sn_arena *a, int s)
{
    sn_sock *k = sn_sock_at(a, s);
    int64_t due = sn_timeouts_give_up(k, atomic_load(&k->stall_ns));
    if (!k->held_conn || !due || mono_ns() < due)
        return;
    sn_ctl_lock(a);
    if (k->held_conn && k->state == SN_CONNECTING) {
        /* As a refused connect ends (sn_sock_refuse), but no reset was
         * seen: the capture shows nothing more. */
        if (sn_faultlog_on(a)) {
            int host = sn_hosts_owner(a, k->host, &k->peer);
            sn_faultlog_note(a, SN_FE_TIMEDOUT, k, &k->local, &k->peer,
                             sn_links_end(k->host, k->local.port),
                             sn_links_end(host < 0 ? 0 : host, k->peer.port), 0);
        }
        k->held_conn = 0;
        atomic_store(&k->stall_ns, 0);
        sn_sock_set_error(k, ETIMEDOUT);
        atomic_fetch_or(&k->opt, SN_O_REFUSED);
        k->state = SN_CLOSED;
        k->listener = -1;
        atomic_store(&k->shut, SN_SHUT_RD | SN_SHUT_WR);
        sn_sock_release_implicit(a, s);
        sn_wake(a, s);
    }
    sn_ctl_unlock(a);
}

int sn_sock_connect_result(sn_arena *a, int s)
{
    sn_sock *k = sn_sock_at(a, s);
    if (sn_sock_faulty(k) && k->held_conn)
        sn_conn_check_held(a, s);
    uint8_t st = k->state;
    if (st == SN_CONNECTING)
        return -EAGAIN;
    if (st == SN_CONNECTED)
        return sn_sock_conn_pending(k) ? -EAGAIN : 0;
    /* Refused while we waited: report it and leave the socket as a
     * failed blocking connect does, ready for another attempt. */
    int e = atomic_exchange(&k->so_error, 0);
    atomic_store(&k->shut, 0);
    atomic_fetch_or(&k->opt, SN_O_REFUSED);
    return e ? -e : -ECONNREFUSED;
}

int sn_dgram_disconnect(sn_arena *a, int s)
{
    sn_sock *k = sn_sock_at(a, s);
    sn_ctl_lock(a);
    /* Linux's __udp_disconnect, connected or not: the peer goes, and a
     * port or address the user did not bind is given back. */
    memset(&k->peer, 0, sizeof k->peer);
    sn_sock_release_implicit(a, s);
    k->state = k->in_chain ? SN_BOUND : SN_NEW;
    sn_ports_dgram_changed(a);
    sn_ctl_unlock(a);
    return 0;
}

/* The server end at the head of L's queue, or NULL (lock held, or a
 * racy look that only sets a wake time). */
static sn_sock *accept_head(sn_arena *a, sn_sock *L)
{
    int c = L->acc_head;
    return c >= 0 ? sn_sock_at(a, c) : NULL;
}

bool sn_conn_acceptable(sn_arena *a, sn_sock *L)
{
    sn_sock *C = accept_head(a, L);
    return C && !(sn_sock_faulty(L) && sn_sock_conn_pending(C));
}

int64_t sn_conn_accept_due(sn_arena *a, sn_sock *L)
{
    sn_sock *C = accept_head(a, L);
    return C && sn_sock_conn_pending(C) ? atomic_load(&C->conn_due) : 0;
}

int sn_sock_accept(sn_arena *a, int s, sn_addr *peer)
{
    sn_sock *L = sn_sock_at(a, s);
    if (L->type != SOCK_STREAM)
        return -EOPNOTSUPP;
    sn_ctl_lock(a);
    int c;
    if (L->state != SN_LISTEN) {
        c = -EINVAL;
    } else if (L->acc_head >= 0 && !sn_conn_acceptable(a, L)) {
        c = -EAGAIN;                    /* its handshake is not over */
    } else if ((c = sn_q_pop(a, &L->acc_head, &L->acc_tail)) < 0) {
        c = -EAGAIN;
    } else {
        L->acc_len--;
        sn_sock *C = sn_sock_at(a, c);
        sn_sock_set_holder(C, a->proc);
        C->listener = -1;
        *peer = C->peer;
        admit_waiters(a, s);
        /* A client already waiting on this connection now depends on us:
         * wake it to watch this process instead of the listener's. */
        int pc;
        if (sn_sock_peer(a, C, &pc))
            sn_wake(a, pc);
    }
    sn_ctl_unlock(a);
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
    sn_ctl_lock(a);
    int r = 0, ps;
    /* Linux's inet_shutdown settles a non-blocking connect that got
     * through: the next connect says EISCONN, not 0. */
    if (k->nb_connect && k->state == SN_CONNECTED)
        k->nb_connect = 0;
    /* ... and leaves one that was refused disconnecting: connect and
     * listen say EINVAL from then on (until AF_UNSPEC). */
    if (k->type == SOCK_STREAM && k->nb_connect && k->state == SN_CLOSED) {
        k->nb_connect = 0;
        atomic_fetch_or(&k->opt, SN_O_DISCONNECTING);
    }
    switch (k->state) {
    case SN_LISTEN:
        /* Linux's inet_shutdown disconnects a listener shut for reading:
         * it stops listening and gives back a port it did not ask for */
        if (mask & SN_SHUT_RD)
            sn_sock_disconnect_stream(a, s);
        break;
    case SN_CONNECTED:
    case SN_CONNECTING:
        if ((mask & SN_SHUT_WR) && !(atomic_load(&k->shut) & (SN_SHUT_WR | SN_PEER_FIN)))
            k->fin_first = 1;
        /* a FIN goes out now (not at a second shutdown) */
        bool fin = (mask & SN_SHUT_WR) && !(atomic_load(&k->shut) & (SN_SHUT_WR | SN_RESET));
        atomic_fetch_or(&k->shut, mask);
        if ((mask & SN_SHUT_WR) && k->type == SOCK_STREAM) {
            if (sn_cap_on(a) && fin && k->state == SN_CONNECTED)
                sn_tap_fin(a, k);
            sn_sock *p = sn_sock_peer(a, k, &ps);
            if (p) {
                if (fin)
                    sn_sock_fin_delay(a, k, p);
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
    sn_ctl_unlock(a);
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
    sn_ctl_lock(a);
    sn_addr x = peer ? k->peer : k->local;
    uint8_t st = k->state;
    sn_ctl_unlock(a);
    /* A UDP socket connected to port 0 has no peer to name (Linux's
     * inet_getname tests the port). */
    if (peer && (st != SN_CONNECTED || x.port == 0))
        return -ENOTCONN;
    return (int)sn_sock_format(a, s, &x, out);
}
