/* Simulated sockets: the objects in the arena's socket table and every
 * operation on them.  All functions return a value >= 0 or -errno and never
 * block: an operation that cannot proceed returns -EAGAIN, and the caller
 * waits with sn_wait (core/wait.h) and tries again.
 *
 * State machine (stream):
 *   NEW --bind--> BOUND --listen--> LISTEN
 *   NEW/BOUND --connect--> CONNECTING (queued: listener backlog full)
 *                       \-> CONNECTED
 *   CONNECTED: half-closes and the peer's end are flags in `shut`;
 *   a reset or a refused connect ends in CLOSED with so_error set.
 * Datagram sockets use NEW, BOUND and CONNECTED (a default peer).
 *
 * Ownership: control fields change under the arena lock.  The data path
 * (send/recv) does not take it: it reads state with atomic loads and
 * serialises on the receiving socket's rx_prod / rx_cons locks.
 */
#ifndef SN_SOCK_H
#define SN_SOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/addr.h"
#include "core/arena.h"
#include "core/lock.h"
#include "core/ring.h"

enum sn_state {
    SN_FREE = 0,
    SN_NEW,
    SN_BOUND,
    SN_LISTEN,
    SN_CONNECTING,
    SN_CONNECTED,
    SN_CLOSED,
};

/* sock.shut: what has ended, each bit set once. */
#define SN_SHUT_RD    0x01  /* shutdown(SHUT_RD) here */
#define SN_SHUT_WR    0x02  /* shutdown(SHUT_WR) here: peer sees EOF */
#define SN_PEER_FIN   0x04  /* peer sends no more: EOF once rx drains */
#define SN_PEER_GONE  0x08  /* peer closed: what we send is discarded */
#define SN_RESET      0x10  /* connection reset (so_error tells how) */

/* sock.opt: boolean options and flags of the open file. */
#define SN_O_NONBLOCK   0x0001
#define SN_O_REUSEADDR  0x0002
#define SN_O_REUSEPORT  0x0004
#define SN_O_KEEPALIVE  0x0008
#define SN_O_V6ONLY     0x0010
#define SN_O_NODELAY    0x0020
#define SN_O_CORK       0x0040
#define SN_O_LINGER     0x0080
#define SN_O_BROADCAST  0x0100
#define SN_O_PKTINFO    0x0200  /* IP_PKTINFO */
#define SN_O_RECVPKTINFO6 0x0400 /* IPV6_RECVPKTINFO */
#define SN_O_BOUND_PORT 0x0800  /* port chosen by the user (not implicit) */
#define SN_O_OOBINLINE  0x1000
#define SN_O_QUICKACK   0x2000
#define SN_O_BOUND_ADDR 0x4000  /* address chosen by the user (not a wildcard) */
#define SN_O_RECVTTL    0x8000  /* IP_RECVTTL */
#define SN_O_RECVTOS    0x10000 /* IP_RECVTOS */
#define SN_O_RECVHOPS   0x20000 /* IPV6_RECVHOPLIMIT */
#define SN_O_RECVTCLASS 0x40000 /* IPV6_RECVTCLASS */

#define SN_CSCOV_SEND 1
#define SN_CSCOV_RECV 2

/* sock.urg: Linux's urg_data states (no NOTYET: the byte always comes
 * with its mark here). */
#define SN_URG_VALID 1   /* the urgent byte waits in the slot */
#define SN_URG_READ  2   /* recv(MSG_OOB) took it; the mark still stands */

#define SN_SOCK_BELLS 8

/* A small store for options Linux accepts and reads back but that change
 * nothing in a network without wires (TCP_KEEPIDLE, IP_TOS, ...). */
#define SN_XOPTS 12
typedef struct sn_xopt {
    int16_t level, name;
    int32_t val;
} sn_xopt;

typedef struct sn_sock {
    /* --- kept when the slot is reused: locks are initialised once --- */
    sn_lock_t         rx_prod, rx_cons;   /* producers / consumers of rx */
    uint32_t          gen;       /* bumped when the slot is freed */
    _Atomic uint32_t  seq;       /* bumped on every change worth a look;
                                    bit 0: a thread sleeps on it (wait.c) */
    /* --- zeroed when the slot is allocated (from `state` on) --- */
    _Atomic uint8_t   state;
    uint8_t           family;    /* AF_INET, AF_INET6 */
    uint8_t           type;      /* SOCK_STREAM, SOCK_DGRAM */
    uint8_t           protocol;  /* IPPROTO_TCP, IPPROTO_UDP */
    uint8_t           in_chain;  /* linked in the port table */
    uint8_t           was_connected;
    uint8_t           nb_connect;  /* a non-blocking connect answered
                                      EINPROGRESS; the next connect()
                                      reports how it ended */
    uint8_t           fin_first; /* we sent FIN before the peer did:
                                    the active close, TIME_WAIT follows */
    uint8_t           passive;   /* made by a listener: the server end */
    _Atomic uint32_t  opt;       /* SN_O_* */
    _Atomic uint32_t  shut;      /* SN_SHUT_*, SN_PEER_*, SN_RESET */
    _Atomic int32_t   so_error;  /* positive errno, reported once */
    int32_t           sndbuf, rcvbuf;   /* as getsockopt reports them */
    int32_t           linger;
    int32_t           rcvlowat;
    /* UDP-Lite checksum coverage (UDPLITE_SEND_CSCOV, _RECV_CSCOV): 0 is
     * the whole datagram; each counts only once set (SN_CSCOV_*). */
    uint16_t          cscov_send, cscov_recv;
    uint8_t           cscov_set;
    int64_t           rcvtimeo_ns, sndtimeo_ns;  /* 0: none */
    sn_addr           local, peer;
    /* stream peer, packed (slot << 32 | gen) so it reads in one load;
     * -1 when there is none. */
    _Atomic int64_t   peer_ref;
    int32_t           next;      /* port chain / free list */
    /* listener */
    int32_t           backlog;
    int32_t           acc_head, acc_tail, acc_len;  /* ready connections */
    int32_t           syn_head, syn_tail;           /* waiting connectors */
    int32_t           qnext;     /* link while in a listener queue */
    int32_t           listener;  /* CONNECTING: listener whose syn queue */
    /* data */
    sn_ring           rx;        /* stream bytes or datagram records */
    /* TCP urgent data (core/urgent.c): the mark and the one-byte slot,
     * written under rx_cons.  urg is 0 while no mark stands, so the
     * reader's only extra work without urgent data is one test. */
    _Atomic uint8_t   urg;       /* 0, SN_URG_VALID or SN_URG_READ */
    uint8_t           urg_byte;  /* the urgent byte, for recv(MSG_OOB) */
    uint32_t          urg_seq;   /* its position: a free-running rx index */
    _Atomic int32_t   owner;     /* F_SETOWN: gets SIGURG; 0 none */
    uint64_t          bytes_rx, bytes_tx;
    /* readiness for poll/epoll (core/bell.c, core/ready.c) */
    _Atomic uint32_t  ev_in, ev_out;       /* count input / output events */
    _Atomic uint32_t  nbells;
    _Atomic int32_t   cpu;       /* where a thread last sent or read here */
    _Atomic uint8_t   nospace;   /* a send found the peer's ring full:
                                    tell it when room comes back */
    _Atomic uint32_t  bells[SN_SOCK_BELLS]; /* id << 1 | exclusive; 0 free */
    uint32_t          excl_rr;
    /* identity of the placeholder kernel socket (preload fills it) */
    uint64_t          dev, ino;
    /* lifetime: which processes hold an fd to it, and how many copies are
     * travelling in SCM_RIGHTS messages not yet received */
    uint32_t          nref;
    uint32_t          inflight;
    uint8_t           holders[SN_MAX_PROCS / 8];
    sn_xopt           xopt[SN_XOPTS];
} sn_sock;

static inline sn_sock *sn_sock_at(sn_arena *a, int s) { return &a->socks[s]; }

/* Socket lifecycle (sock.c) */
int  sn_sock_create(sn_arena *a, int family, int type, int protocol);
void sn_sock_set_ident(sn_arena *a, int s, uint64_t dev, uint64_t ino);
int  sn_sock_find_ident(sn_arena *a, uint64_t dev, uint64_t ino);
void sn_sock_hold(sn_arena *a, int s);      /* this process holds s */
void sn_sock_hold_for(sn_arena *a, int s, int proc);    /* arena locked */
/* SCM_RIGHTS: a copy leaves in a message / arrives (arena locked). */
void sn_sock_send_copy(sn_arena *a, int s);
void sn_sock_recv_copy(sn_arena *a, int s);
void sn_sock_release(sn_arena *a, int s);   /* ... no longer */
int  sn_sock_bind(sn_arena *a, int s, const struct sockaddr *sa, socklen_t len);
int  sn_sock_listen(sn_arena *a, int s, int backlog);
/* 0: connected; -EINPROGRESS: queued (backlog full), wait and call
 * sn_sock_connect_result; other -errno: failed.  A non-blocking stream
 * connect answers -EINPROGRESS even when done, as Linux does; the next
 * connect() then says 0 (done), -EALREADY (still queued) or the error. */
int  sn_sock_connect(sn_arena *a, int s, const struct sockaddr *sa,
                     socklen_t len, bool nonblock);
/* While CONNECTING: -EAGAIN; else 0 or the error that ended the attempt. */
int  sn_sock_connect_result(sn_arena *a, int s);
/* Returns the new socket, held by this process; *peer is its peer. */
int  sn_sock_accept(sn_arena *a, int s, sn_addr *peer);
int  sn_sock_shutdown(sn_arena *a, int s, int how);
/* Local or peer name as a sockaddr of the socket's family; returns its
 * full length or -ENOTCONN. */
int  sn_sock_name(sn_arena *a, int s, bool peer, struct sockaddr_storage *out);

/* Data (stream.c, dgram.c).  msghdr buffers are the caller's, already
 * checked.  MSG_DONTWAIT in flags tells core the caller will not wait:
 * what a blocking call waits for (SO_RCVLOWAT, MSG_PEEK|MSG_WAITALL) is
 * then not waited for. */
typedef struct sn_msg {
    const struct iovec    *iov;
    int                    iovcnt;
    const struct sockaddr *name;      /* send: destination, or NULL */
    socklen_t              namelen;
    sn_addr                src;       /* send: source asked for by pktinfo */
    bool                   has_src;
    sn_addr                from;      /* recv: source of the data */
    sn_addr                to;        /* recv: address it was sent to */
    size_t                 full_len;  /* recv: the datagram's real length */
    bool                   truncated; /* recv: datagram was cut */
    bool                   oob;       /* recv: the urgent byte (MSG_OOB) */
    bool                   at_mark;   /* recv: stopped short at the urgent
                                         mark (MSG_WAITALL stops too) */
    /* Datagram TTL / hop limit and TOS / traffic class.  send: given per
     * message (IP_TTL, IPV6_HOPLIMIT, IP_TOS, IPV6_TCLASS control
     * messages) when has_*, else the socket's; recv: what it carried. */
    bool                   has_ttl, has_tos;
    uint8_t                ttl, tos;
} sn_msg;

ssize_t sn_sock_send(sn_arena *a, int s, sn_msg *m, int flags);
ssize_t sn_sock_recv(sn_arena *a, int s, sn_msg *m, int flags);
ssize_t sn_stream_send(sn_arena *a, int s, sn_msg *m, int flags);
ssize_t sn_stream_recv(sn_arena *a, int s, sn_msg *m, int flags);
ssize_t sn_dgram_send(sn_arena *a, int s, sn_msg *m, int flags);
ssize_t sn_dgram_recv(sn_arena *a, int s, sn_msg *m, int flags);
int     sn_sock_inq(sn_arena *a, int s);    /* FIONREAD / SIOCINQ */
/* What poll reports now: POLLIN, POLLOUT, POLLRDHUP, POLLHUP, POLLERR...
 * (ready.c).  The same bits as EPOLL*. */
int     sn_sock_poll(sn_arena *a, int s);
int     sn_sock_outq(sn_arena *a, int s);   /* SIOCOUTQ */

/* TCP urgent data (urgent.c).  SIOCATMARK: 1 when the next byte read is
 * the urgent byte's place, -ENOTTY on a datagram socket. */
int     sn_sock_atmark(sn_arena *a, int s);
/* The sender's half: n bytes are written (not yet published) at rx.in of
 * the receiver p, rx_prod held; the last one becomes the urgent byte.
 * Returns p's owner, to be sent SIGURG (sn_urg_signal) once the bytes
 * are published. */
int32_t sn_urg_mark(sn_arena *a, sn_sock *p, uint32_t n);
void    sn_urg_signal(int32_t owner);
/* F_SETOWN and its ioctl cousins on s: who gets SIGURG. */
void    sn_sock_set_owner(sn_arena *a, int s, int32_t owner);
/* recv(MSG_OOB) on a stream socket. */
ssize_t sn_urg_recv(sn_arena *a, sn_sock *k, sn_msg *m, int flags);
/* The reader meets the mark (rx_cons held, k->urg set): how many of the
 * `used` bytes one read may take, and how many to step over first (the
 * out-of-line urgent byte when the read starts on it). */
uint32_t sn_urg_span(sn_sock *k, uint32_t used, uint32_t *skip, sn_msg *m);
/* After a read consumed up to rx.out: the mark is passed, clear it. */
void    sn_urg_passed(sn_sock *k);
/* FIONREAD stops at the mark; POLLIN needs a byte besides the urgent one
 * when the reader stands on it (read without a lock, as poll does). */
uint32_t sn_urg_inq(const sn_sock *k, uint32_t used);
int     sn_urg_poll(const sn_sock *k, uint32_t used, uint32_t lowat);
int     sn_dgram_disconnect(sn_arena *a, int s);
int     sn_dgram_next_len(sn_arena *a, int s);  /* first datagram's size */

/* Options (opts.c).  Values are already copied into local memory. */
int sn_sock_setopt(sn_arena *a, int s, int level, int name,
                   const void *val, socklen_t len);
int sn_sock_getopt(sn_arena *a, int s, int level, int name,
                   void *val, socklen_t *len);
/* TCP_INFO into val (at most *len bytes, *len set to what was written);
 * tcp_info.c. */
int sn_tcp_info(sn_arena *a, const sn_sock *k, void *val, socklen_t *len);

/* What a datagram from socket k to an IPv4 (v4) or IPv6 destination
 * carries by default: its TTL or hop limit, its TOS or traffic class
 * (IP_TTL, IPV6_UNICAST_HOPS, IP_TOS, IPV6_TCLASS, else the host's
 * defaults). */
uint8_t sn_sock_ttl(sn_arena *a, const sn_sock *k, bool v4);
uint8_t sn_sock_tos(const sn_sock *k, bool v4);

/* The user-visible sockaddr for an address of socket s; its length. */
socklen_t sn_sock_format(sn_arena *a, int s, const sn_addr *x,
                         struct sockaddr_storage *out);

/* The processes whose death would end a wait on s: the holders of the
 * peer (a connected stream) or of the listener (a queued connect), not
 * counting this process.  Read without the lock: a stale answer costs one
 * extra wake-up. */
int  sn_sock_watch(sn_arena *a, int s, int *procs, int max);
/* Reap the processes sn_sock_watch named that are gone; true if any. */
bool sn_sock_collect(sn_arena *a, const int *procs, int n);

/* Helpers shared by the core modules (arena lock held where noted). */
void     sn_sock_drop_holder(sn_arena *a, int s, int proc);  /* locked */
void     sn_sock_fin_check(sn_sock *k);                      /* locked */
int      sn_sock_autobind(sn_arena *a, int s, const sn_addr *dst); /* locked */
sn_sock *sn_sock_peer(sn_arena *a, sn_sock *k, int *peer_slot);
void     sn_sock_set_error(sn_sock *k, int err);
int      sn_ring_alloc(sn_arena *a, sn_ring *r, uint32_t want);
uint32_t sn_stream_ring_size(sn_arena *a, const sn_sock *rcv, const sn_sock *snd);

#endif
