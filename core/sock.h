/* A simulated socket: the slot layout of the arena's socket table, its
 * states and flags.  The operations on sockets are in the modules of the
 * socket table (slots, holders, lifetime, repair, ports) and of the
 * protocols (conn, stream, dgram, opts, ready, proto); the ones preload
 * calls are declared in core/net.h.
 *
 * State machine (stream):
 *   NEW --bind--> BOUND --listen--> LISTEN
 *   NEW/BOUND --connect--> CONNECTING (queued: listener backlog full)
 *                       \-> CONNECTED
 *   CONNECTED: half-closes and the peer's end are flags in `shut`;
 *   a reset or a refused connect ends in CLOSED with so_error set.
 * Datagram sockets use NEW, BOUND and CONNECTED (a default peer).
 *
 * Ownership: control fields change under the control-plane lock
 * (core/repair.h).  The data path (send/recv) does not take it: it reads
 * state with atomic loads and serialises on the receiving socket's
 * rx_prod / rx_cons locks.  Preload never writes a field: it calls
 * core/net.h.
 */
#ifndef SN_SOCK_H
#define SN_SOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "core/addr.h"
#include "core/arena.h"
#include "core/clock.h"
#include "core/links.h"
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
#define SN_O_BOUND_ADDR 0x4000  /* address chosen by the user (not a wildcard) */
#define SN_O_RECVTTL    0x8000  /* IP_RECVTTL */
#define SN_O_RECVTOS    0x10000 /* IP_RECVTOS */
#define SN_O_RECVHOPS   0x20000 /* IPV6_RECVHOPLIMIT */
#define SN_O_RECVTCLASS 0x40000 /* IPV6_RECVTCLASS */
#define SN_O_STAMPED    0x80000 /* a datagram was read: SIOCGSTAMP answers */
#define SN_O_REFUSED    0x100000 /* a TCP connect was refused: Linux's
                                    listen says EINVAL from then on */
#define SN_O_DISCONNECTING 0x200000 /* shut after a refused non-blocking
                                    connect (SS_DISCONNECTING): connect and
                                    listen say EINVAL */

#define SN_CSCOV_SEND 1
#define SN_CSCOV_RECV 2

/* sock.urg: Linux's urg_data states (no NOTYET: the byte always comes
 * with its mark here). */
#define SN_URG_VALID 1   /* the urgent byte waits in the slot */
#define SN_URG_READ  2   /* recv(MSG_OOB) took it; the mark still stands */

#define SN_SOCK_BELLS 8
/* A stamp (core/faults.h); SN_STAMPS of them fill one 4 KiB heap block:
 * delayed sends in flight to one socket before they share stamps. */
typedef struct sn_stamp {
    uint32_t         start;
    uint32_t         pad;
    _Atomic int64_t  due;
} sn_stamp;
#define SN_STAMP_BLOCK 4096u
#define SN_STAMPS      (SN_STAMP_BLOCK / sizeof(sn_stamp))

/* A small store for options Linux accepts and reads back but that change
 * nothing in a network without wires (TCP_KEEPIDLE, IP_TOS, ...). */
#define SN_XOPTS 24
typedef struct sn_xopt {
    int16_t level, name;
    int32_t val;
} sn_xopt;

typedef struct sn_sock {
    /* --- kept when the slot is reused: locks are initialised once --- */
    sn_lock_t         rx_prod, rx_cons;   /* producers / consumers of rx */
    uint32_t          gen;       /* bumped when the slot is freed */
    _Atomic uint32_t  seq;       /* bumped on every change worth a look;
                                    bit 0: a thread may sleep on it
                                    (SN_SEQ_SLEEPER, core/wait.h) */
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
    /* TCP urgent data (core/urgent.c): the mark (urg_seq, below) and the
     * one-byte slot, written under rx_cons.  urg is 0 while no mark
     * stands, so without urgent data the reader tests one byte. */
    _Atomic uint8_t   urg;       /* 0, SN_URG_VALID or SN_URG_READ */
    uint8_t           urg_byte;  /* the urgent byte, for recv(MSG_OOB) */
    /* Set (for good) when any of held, timed, stall_ns or conn_due
     * (below) is: the data path tests this one byte and nothing else of
     * faults.  Here, on the line every send, receive and poll reads
     * anyway, in what was padding. */
    _Atomic uint8_t   faulty;
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
    /* the host it belongs to (core/hosts.h): its creator's, for good */
    uint16_t          host;
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
    uint32_t          urg_seq;   /* the urgent byte's place: an rx index */
    sn_ring           rx;        /* stream bytes or datagram records */
    uint64_t          bytes_rx, bytes_tx;
    /* readiness for poll/epoll (core/sockbell.c, core/ready.c) */
    _Atomic uint32_t  ev_in, ev_out;       /* count input / output events */
    _Atomic uint32_t  nbells;
    _Atomic int32_t   cpu;       /* where a thread last sent or read here */
    _Atomic uint8_t   nospace;   /* a send found the peer's ring full:
                                    tell it when room comes back */
    _Atomic uint32_t  bells[SN_SOCK_BELLS]; /* id << 2 | exclusive << 1 |
                                  queued-mark (core/sockbell.c); 0 free */
    uint32_t          excl_rr;
    /* identity of the placeholder kernel socket (preload fills it) */
    uint64_t          dev, ino;
    /* lifetime: which processes hold an fd to it, and how many copies are
     * travelling in SCM_RIGHTS messages not yet received */
    uint32_t          nref;
    uint32_t          inflight;
    uint8_t           holders[SN_MAX_PROCS / 8];
    sn_xopt           xopt[SN_XOPTS];
    _Atomic int32_t   owner;     /* F_SETOWN: gets SIGURG (urgent.c); 0 none */
    /* initial sequence numbers of a connection made while a capture was
     * on (core/tap.c): this end's and the peer's; 0 otherwise */
    uint32_t          isn, peer_isn;
    /* Faults (core/faults.h).  held: a partition holds the bytes of rx
     * past hold_at (written by host held_from); held_conn: a connect
     * waits for a partition to heal; stall_ns: CLOCK_MONOTONIC time our
     * data first met a partition, or a held connect sent its SYN, or
     * (stall_idle) the link of an idle connection was cut: the clocks of
     * core/timeouts.h count from it. */
    _Atomic uint8_t   held;
    uint8_t           held_conn;
    uint16_t          held_from;
    _Atomic uint32_t  hold_at;
    _Atomic int64_t   stall_ns;
    /* Delay and rate (core/faults.h): bytes of rx from stamp i's start
     * on are not visible before its due time (CLOCK_MONOTONIC ns).  The
     * stamps are a queue of SN_STAMPS in a heap block (st_off, made at
     * the first stamp, freed with the slot) with one producer (under
     * rx_prod) and one consumer (under rx_cons); `timed` says the block
     * exists.  last_due: the latest due given, so that nothing overtakes;
     * conn_due: a connect completes for its caller then (one round
     * trip); on the server end, its listener's accept sees it then (the
     * handshake's third packet arrives). */
    _Atomic uint8_t   timed;
    uint8_t           stall_idle;  /* stall_ns is a cut, no data held;
                                      written under the peer's rx_prod */
    uint8_t           pad_t[2];
    uint32_t          st_room;
    uint64_t          st_off;
    _Atomic uint32_t  st_head, st_tail;
    int64_t           last_due;
    _Atomic int64_t   conn_due;
    /* Toxiproxy's faults (core/faults.h).  fin_due: the FIN in `shut` is
     * not seen before then (slow close).  The slicer: slice_rule names the
     * link rule that slices what this socket reads: its generation
     * (sn_link.gen) << 16 | its index + 1 (0: none); while slice_open, a read sees nothing of rx past slice_end;
     * after it, the next slice opens at slice_next.  The reader's, under
     * rx_cons, but for slice_rule (the sender's, under rx_prod). */
    _Atomic int64_t   fin_due;
    _Atomic int64_t   slice_next;
    _Atomic uint32_t  slice_end;
    _Atomic uint32_t  slice_rule;
    _Atomic uint8_t   slice_open;
    uint8_t           pad_s[39];
    /* A whole number of cache lines (isn and peer_isn above took the
     * padding): the next slot's locks and seq, which its users write all
     * the time, must not share a line with words of this one that every
     * send and receive reads. */
} sn_sock;

_Static_assert(sizeof(sn_sock) == SN_SOCK_BYTES,
               "the socket slot is the size the arena lays out");

static inline sn_sock *sn_sock_at(sn_arena *a, int s) { return &a->socks[s]; }

/* Stream peer reference: slot and generation in one word. */
#define SN_PEER_REF(slot, gen) (((int64_t)(slot) << 32) | (uint32_t)(gen))

/* The stream peer of k, or NULL (none, or its slot was reused). */
static inline sn_sock *sn_sock_peer(sn_arena *a, sn_sock *k, int *peer_slot)
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

static inline void sn_sock_set_error(sn_sock *k, int err)
{
    atomic_store(&k->so_error, err);
}

/* A connect over a delayed link completes for its caller only after a
 * round trip (conn_due): until then it still looks under way.  One load
 * for every other socket. */
static inline bool sn_sock_faulty(const sn_sock *k)
{
    return __builtin_expect(atomic_load_explicit(&k->faulty, memory_order_relaxed), 0);
}

static inline bool sn_sock_conn_pending(sn_sock *k)
{
    if (!sn_sock_faulty(k))
        return false;
    int64_t cd = atomic_load_explicit(&k->conn_due, memory_order_relaxed);
    if (!cd)
        return false;
    if (sn_mono_ns() < cd)
        return true;
    atomic_store_explicit(&k->conn_due, 0, memory_order_relaxed);
    return false;
}

/* k's end of the traffic it sends or reads, for the links' rules
 * (core/links.h): its host and its port. */
static inline int sn_sock_end(const sn_sock *k)
{
    return sn_links_end(k->host, k->local.port);
}

static inline bool sn_sock_held_by(const sn_sock *k, int proc)
{
    return k->holders[proc / 8] & (1u << (proc % 8));
}

#endif
