/* Connections and bindings: create, bind, listen, connect, shutdown,
 * names -- the control plane of both protocols.  Everything here runs
 * under the control-plane lock; the data path is stream.c and dgram.c.
 * A connect's SYN over the links is handshake.c's, what it finds at the
 * listener (and accept) accept.c's. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "core/accept.h"
#include "core/handshake.h"
#include "core/holders.h"
#include "core/hosts.h"
#include "core/lifetime.h"
#include "core/nameserver.h"
#include "core/net.h"
#include "core/ports.h"
#include "core/reap.h"
#include "core/repair.h"
#include "core/slots.h"
#include "core/sockwait.h"
#include "core/tap.h"
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
        sn_conn_admit_waiters(a, s);
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

/* ---- connect ---- */

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
    return sn_conn_send_syn(a, s, dst);
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
