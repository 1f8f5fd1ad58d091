/* The arena's layout: what is where in the shared file, the header and
 * the element types of the tables the arena lays out, and a process's view
 * of a mapped arena (struct sn_arena).  Declarations only; core/arena.h
 * maps and makes the file, core/heap.h reserves its memory.  Nothing in
 * the arena is a pointer: everything is found by offset from the
 * mapping's base, and each process derives its own pointers. */
#ifndef SN_LAYOUT_H
#define SN_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/addr.h"
#include "core/lock.h"

#define SN_MAGIC          0x74656e6d69736e00ULL   /* "\0snimnet" */
#define SN_LAYOUT_VERSION 15  /* 4: reserved table rooms, heap holes;
                                 5: reservation marker in sn_proc, keep flag;
                                 6: more host limits, sock.passive, UDP-Lite;
                                 7: urgent data and owner in sn_sock;
                                 8: 24 stored options per socket;
                                 9: packet capture (sn_cap, sock.isn);
                                 10: named hosts (table, proc/sock/TIME_WAIT
                                     host index);
                                 11: links (faults), seed, held data;
                                 12: links' refuse and limit_data;
                                 13: sock.faulty on the first line;
                                 14: links' correlations, distribution,
                                     reorder; port, slicer, slow close;
                                     sock.stall_idle (timeouts);
                                 15: bell.claimer */
#define SN_MAX_SOCKS      65536   /* 10,000 connections are 20,001 sockets */
#define SN_MAX_PROCS      1024    /* bits in each socket's holder bitmap */
/* Port spaces, each a table of 65536 bind chains: TCP, UDP, UDP-Lite
 * (Linux keeps UDP-Lite's ports apart from UDP's). */
#define SN_PORT_SPACES    3
#define SN_HEAP_MIN_SHIFT 12      /* smallest heap block: 4 KiB */
#define SN_HEAP_CLASSES   13      /* ... largest: 16 MiB */
/* 32 GiB, sparse: only touched pages cost.  Room for a 256 KiB ring on
 * each of the 65,536 sockets (16 GiB), and then some. */
#define SN_DEFAULT_SIZE   (32ULL << 30)
/* Free ring memory kept for reuse beyond this is given back to the
 * system (the pages are punched out of the file). */
#define SN_HEAP_KEEP      (64ULL << 20)
/* The socket and doorbell tables are reserved this much at a time. */
#define SN_TABLE_CHUNK    (64u << 10)

/* Linux defaults that shape what programs observe; copied from the host's
 * sysctls when the network is created so differential tests agree. */
typedef struct sn_limits {
    int32_t tcp_wmem_def, tcp_rmem_def;  /* net.ipv4.tcp_{w,r}mem[1] */
    int32_t wmem_def, rmem_def;          /* net.core.{w,r}mem_default */
    int32_t wmem_max, rmem_max;          /* net.core.{w,r}mem_max */
    int32_t somaxconn;
    int32_t port_lo, port_hi;            /* ip_local_port_range */
    int32_t tcp_rmem_max;                /* net.ipv4.tcp_rmem[2] */
    int32_t tcp_reordering;              /* net.ipv4.tcp_reordering */
    int32_t ip_ttl;                      /* net.ipv4.ip_default_ttl */
    int32_t ipv6_hops;                   /* net.ipv6.conf.all.hop_limit:
                                            what getsockopt reports */
    int32_t ipv6_hops_lo;                /* net.ipv6.conf.lo.hop_limit:
                                            what loopback packets carry */
} sn_limits;

typedef struct sn_proc {
    sn_lock_t alive;      /* held by the process for its whole life (procs.c) */
    int32_t   pid;        /* 0: free entry, -1: reserved for a child in fork */
    int32_t   maker;      /* pid -1: the process that reserved it ... */
    uint64_t  start_time; /* /proc/pid/stat field 22: tells pid reuse apart */
    uint32_t  mark;       /* ... and its marker socket, 0: none (procs.h) */
    uint32_t  host;       /* its host (core/hosts.h): 0 the default host */
} sn_proc;

/* The capture ring (core/capture.c): packets the senders record while a
 * reader (`simnet capture`) is attached, one ring per network. */
typedef struct sn_cap {
    _Atomic uint32_t on;         /* a reader is attached: senders record */
    int32_t          reader;     /* its pid */
    sn_lock_t        lock;       /* reserving room, in order */
    uint64_t         off;        /* heap offset of the buffer; 0: none */
    uint32_t         cap;        /* bytes, a power of two */
    uint16_t         ident;      /* next IPv4 identification */
    uint8_t          closed;     /* the reader stopped: no more records */
    uint8_t          stalled;    /* a live writer's record was given up
                                    on: the ring is never freed */
    _Atomic uint64_t head;       /* reserved up to (free-running) */
    _Atomic uint64_t tail;       /* read up to */
    _Atomic uint64_t drops;      /* packets lost: the ring was full */
    uint64_t         last_ns;    /* the last timestamp given */
} sn_cap;
/* A named host (core/hosts.h).  Entry 0 is the default host: no name, no
 * address, only its loopback.  Entries are only ever added (under the
 * control-plane lock) and an entry's addresses only appended, each
 * published by a release store of the count, so lookups read without the
 * lock. */
#define SN_MAX_HOSTS      256
#define SN_HOST_ADDRS     4
#define SN_HOST_NAME      64      /* HOST_NAME_MAX + 1 */
typedef struct sn_host {
    char     name[SN_HOST_NAME];
    uint8_t  addr[SN_HOST_ADDRS][16];  /* IPv4 as ::ffff:a.b.c.d (addr.h) */
    uint32_t naddr;
    uint32_t pad;
} sn_host;

/* A link rule (core/links.h): the faults on traffic from host src to
 * host dst, one way; SN_LINK_ANY in either stands for every host.
 * Written under the control-plane lock; the data path reads its words
 * with relaxed loads and takes `lock` for the generator's state. */
#define SN_MAX_LINKS      256
/* netem's correlated generator: a draw is (1 - rho) of a new one and rho
 * of the last (rho in ppm; 0: uncorrelated; `last` under the link's
 * lock). */
typedef struct sn_corr {
    uint32_t rho, last;
} sn_corr;
#define SN_LINK_ANY       0xFFFFu
typedef struct sn_link {
    sn_lock_t         lock;        /* the generator and the bucket */
    uint16_t          src, dst;    /* host indices or SN_LINK_ANY */
    _Atomic uint8_t   partition;   /* nothing passes */
    uint8_t           used;        /* the entry holds a rule */
    _Atomic uint8_t   refuse;      /* new connections get a reset */
    uint8_t           pad;
    _Atomic uint32_t  loss_ppm;    /* random loss, parts per million */
    _Atomic uint32_t  dup_ppm;     /* datagrams delivered twice */
    /* Gilbert-Elliott loss (netem's gemodel), ppm: p good -> bad, r bad
     * -> good, loss in the bad state (1-h) and in the good one (1-k);
     * ge_p 0: not used.  ge_bad: the state (under `lock`). */
    uint32_t          ge_p, ge_r, ge_bad_loss, ge_good_loss;
    uint32_t          ge_bad;
    int64_t           delay_ns, jitter_ns;   /* recorded, see links.h */
    uint64_t          rate_Bps;    /* bytes per second; 0: unlimited */
    uint64_t          rng;         /* the link's generator state */
    int64_t           bucket_ns;   /* token bucket: when the link is free */
    /* A connection is cut with a reset once it has sent that many bytes
     * this way; 0: no limit. */
    _Atomic uint64_t  limit_data;
    /* netem's random models (core/links.h): the correlations of loss,
     * duplication, delay (its jitter) and reorder; the reorder chance
     * (ppm) and gap, the count of datagrams since the last one reordered
     * (under `lock`); the jitter's distribution (SN_DIST_*). */
    sn_corr           loss_c, dup_c, delay_c, reorder_c;
    _Atomic uint32_t  reorder_ppm;
    uint32_t          gap, gap_count;
    uint8_t           dist;
    uint8_t           pad_netem[3];
    /* The rule holds only for traffic with this port at either end (0:
     * any port; core/links.h). */
    uint16_t          port;
    /* Bumped each time the entry takes a new rule: a socket that names
     * the rule (sn_sock.slice_rule) knows it when the slot was reused. */
    uint16_t          gen;
    /* Toxiproxy's slicer: a stream is read in slices of slice_size give
     * or take slice_var bytes, each slice_delay_ns after the one before
     * (slice_size 0: not sliced); slow close: a FIN reaches the other end
     * slow_close_ns after it was sent (0: at once). */
    uint32_t          slice_size, slice_var;
    int64_t           slice_delay_ns;
    int64_t           slow_close_ns;
    /* The slicer's own generator (under `lock`): slices open when their
     * reader gets to them, so their draws must not move the loss's,
     * jitter's and RTO's sequence of `rng`. */
    uint64_t          slice_rng;
} sn_link;

typedef struct sn_hdr {
    uint64_t  magic;
    uint32_t  version;
    uint32_t  hdr_size;
    uint64_t  size;
    sn_lock_t lock;
    sn_lock_t heap_lock;
    sn_limits lim;
    /* socket table: slots below sock_hwm have initialised locks */
    uint32_t  sock_hwm;
    int32_t   sock_free;           /* free-list head, linked by sock.next */
    uint32_t  nsocks;              /* slots in use */
    uint32_t  proc_hwm;
    _Atomic uint32_t proc_gen;     /* bumped when a process joins or goes */
    /* ephemeral port hint: stream, dgram (UDP and UDP-Lite share one, so
     * a UDP-Lite socket bound implicitly never takes the number a UDP
     * socket just got: it would talk to itself when connected there) */
    uint32_t  port_next[2];
    uint32_t  rr;                  /* SO_REUSEPORT round-robin counter */
    uint32_t  tw_next;             /* next TIME_WAIT slot to use (a ring) */
    uint64_t  token;               /* random: names this network's doorbells */
    uint32_t  bell_hwm;
    /* entries below these have their memory reserved (arena.c) */
    uint32_t  sock_room, bell_room;
    /* `simnet run --keep`: the last process out leaves the file, and
     * stale sweeps spare it; only `simnet rm` removes it. */
    uint32_t  keep;
    /* bumped (control-plane lock held) whenever a datagram's destination could
     * resolve to another socket: senders' cached routes are then stale
     * (core/dgram.c) */
    _Atomic uint32_t dgram_gen;
    /* heap */
    uint64_t  heap_off, heap_end, heap_top;
    uint64_t  heap_free[SN_HEAP_CLASSES];   /* resident free blocks */
    /* free blocks whose pages were given back, all but the first (which
     * holds the link): reserved again as they are written */
    uint64_t  heap_holes[SN_HEAP_CLASSES];
    uint64_t  heap_kept;           /* reserved bytes of heap_free blocks */
    uint64_t  heap_keep;           /* ... kept up to this (SN_HEAP_KEEP) */
    sn_cap    cap;
    /* hosts: entries in use (entry 0, the default host, always is), and
     * how many default addresses were handed out (core/hosts.c) */
    uint32_t  nhosts;
    uint32_t  host_auto[2];        /* IPv4, IPv6 */
    /* CLOCK_REALTIME seconds of the last host made or changed: sweeps
     * spare a network that got a host a moment ago (core/hosts.h) */
    int64_t   hosts_touched;
    /* links (core/links.h): how many rules have a fault (0: the data
     * path does nothing more), entries used, the seed of every link's
     * generator and whether one was given (SIMNET_SEED, --seed) */
    _Atomic uint32_t faults;
    uint32_t  nlinks;
    uint64_t  seed;
    uint32_t  seed_set;
    uint32_t  pad_links;
} sn_hdr;

/* A socket slot (core/sock.h) is SN_SOCK_BYTES long; its layout is the
 * socket table's business, its size the arena's. */
struct sn_sock;
#define SN_SOCK_BYTES 832   /* a multiple of 64 (core/sock.h) */

/* A doorbell (core/bell.h): how a process sleeping in the kernel's poll
 * or epoll_wait learns that a simulated socket changed. */
#define SN_MAX_BELLS 4096
#define SN_BELL_Q    1024
typedef struct sn_bell {
    int32_t          owner;     /* proc index; -1: free */
    _Atomic uint32_t pending;   /* when rung (ms), 0 once drained */
    uint8_t          queued;    /* keeps a queue of changed sockets (epoll) */
    _Atomic uint8_t  overflow;  /* the queue overflowed: look at everything
                                   (ringers skip the queue meanwhile) */
    /* bumped at each allocation; part of the bell's socket name, so that
     * a socket bound to the name of the id's previous use (inherited by a
     * child of its owner, which may outlive the owner's exit) never makes
     * the new owner's bind fail with EADDRINUSE */
    _Atomic uint16_t gen;
    uint32_t         qhead, qlen;
    _Atomic int32_t  claimer;   /* proc index + 1 of the last ringer to take
                                   `pending` (0: none): a dead one's claim
                                   is taken over (core/bell.c) */
    sn_lock_t        qlock;
    int32_t          q[SN_BELL_Q];   /* socket slots that changed */
} sn_bell;

/* A TCP endpoint in TIME_WAIT (ports.c): it keeps its port for 60 s after
 * an active close, although its socket is gone. */
#define SN_TIMEWAIT_SLOTS 4096
typedef struct sn_timewait {
    sn_addr  local;
    int64_t  expiry_ns;   /* CLOCK_MONOTONIC; 0: free */
    uint8_t  reuse;       /* SO_REUSEADDR of the closed socket */
    uint8_t  pad;
    uint16_t host;        /* the host whose port it keeps */
    uint32_t pad2;
} sn_timewait;

/* A process's view of one attached arena.  Pointers here are local. */
typedef struct sn_arena {
    uint8_t        *base;
    size_t          size;
    sn_hdr         *hdr;
    sn_proc        *procs;
    sn_host        *hosts;      /* [SN_MAX_HOSTS] */
    sn_link        *links;      /* [SN_MAX_LINKS] */
    struct sn_sock *socks;
    int32_t        *ports;      /* [SN_PORT_SPACES][65536] heads of bind chains */
    sn_timewait    *timewait;   /* [SN_TIMEWAIT_SLOTS] */
    sn_bell        *bells;      /* [SN_MAX_BELLS] */
    int             bell_tx;    /* this process's socket for ringing; -1 */
    bool            reattached; /* attach found an entry already ours */
    uint64_t        dev, ino;   /* the file mapped (sn_net_leave) */
    int             handed;     /* entry our parent named for us + 1; 0: none */
    int             fd_high;    /* the library's own fds go at or above */
    uint8_t        *heap;       /* == base; heap offsets are from base */
    int             proc;       /* this process's index in procs */
    /* Reservations of this process that found no room (the arena's file
     * system is full), for the SIMNET_DEBUG trace to report: core writes
     * no log itself.  `what` is a static string. */
    struct {
        _Atomic uint32_t fails;
        int              err;       /* EFAULT: no room; ENOMEM */
        uint64_t         bytes;
        const char      *what;
    } room;
    /* What faults do, for the SIMNET_DEBUG log (core/faultlog.h): one
     * line of text and the rule that caused it (its index for
     * sn_net_link_text, -1 none).  NULL: nobody logs (the default). */
    void (*on_fault)(struct sn_arena *a, const char *what, int rule);
    _Atomic int64_t reap_look_ms;   /* sn_reap_now_and_then's last look, ms */
} sn_arena;

#endif
