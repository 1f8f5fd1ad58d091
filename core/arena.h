/* The shared arena: one file per network, mapped MAP_SHARED by every
 * process of that network.
 *
 * Layout (all found by offset from the mapping's base; nothing in the
 * arena is a pointer):
 *   header | proc table | socket table | port table | heap
 * The header carries a magic, a layout version and the size; a mismatch is
 * reported as a one-line error, never a crash.  The heap holds ring
 * buffers, allocated lazily by power-of-two size class.
 *
 * Locks: hdr->lock guards every control-plane change (socket table, port
 * table, listener queues, peer links, procs, bells); taking it repairs
 * what a dead owner left half-done (core/repair.h).  hdr->heap_lock
 * guards the heap only (a leaf: nothing is locked inside it).
 *
 * This module maps and lays out the file; the tables' contents belong to
 * the modules above (procs, bell, sock, ports), the heap to heap.c.
 */
#ifndef SN_ARENA_H
#define SN_ARENA_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/addr.h"
#include "core/lock.h"

#define SN_MAGIC          0x74656e6d69736e00ULL   /* "\0snimnet" */
#define SN_LAYOUT_VERSION 3   /* 3: sleeper bit in sock.seq, no nwait */
#define SN_MAX_SOCKS      65536   /* 10,000 connections are 20,001 sockets */
#define SN_MAX_PROCS      1024    /* bits in each socket's holder bitmap */
#define SN_HEAP_MIN_SHIFT 12      /* smallest heap block: 4 KiB */
#define SN_HEAP_CLASSES   13      /* ... largest: 16 MiB */
/* 32 GiB, sparse: only touched pages cost.  Room for a 256 KiB ring on
 * each of the 65,536 sockets (16 GiB), and then some. */
#define SN_DEFAULT_SIZE   (32ULL << 30)
/* Free ring memory kept for reuse beyond this is given back to the
 * system (the pages are punched out of the file). */
#define SN_HEAP_KEEP      (64ULL << 20)

/* Linux defaults that shape what programs observe; copied from the host's
 * sysctls when the network is created so differential tests agree. */
typedef struct sn_limits {
    int32_t tcp_wmem_def, tcp_rmem_def;  /* net.ipv4.tcp_{w,r}mem[1] */
    int32_t wmem_def, rmem_def;          /* net.core.{w,r}mem_default */
    int32_t wmem_max, rmem_max;          /* net.core.{w,r}mem_max */
    int32_t somaxconn;
    int32_t port_lo, port_hi;            /* ip_local_port_range */
} sn_limits;

typedef struct sn_proc {
    sn_lock_t alive;      /* held by the process for its whole life (procs.c) */
    int32_t   pid;        /* 0: free entry, -1: reserved for a child in fork */
    uint32_t  pad;
    uint64_t  start_time; /* /proc/pid/stat field 22: tells pid reuse apart */
} sn_proc;

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
    uint32_t  port_next[2];        /* ephemeral port hint: stream, dgram */
    uint32_t  rr;                  /* SO_REUSEPORT round-robin counter */
    uint32_t  tw_next;             /* next TIME_WAIT slot to use (a ring) */
    uint64_t  token;               /* random: names this network's doorbells */
    uint32_t  bell_hwm;
    /* bumped (control-plane lock held) whenever a datagram's destination could
     * resolve to another socket: senders' cached routes are then stale
     * (core/dgram.c) */
    _Atomic uint32_t dgram_gen;
    /* heap */
    uint64_t  heap_off, heap_end, heap_top;
    uint64_t  heap_free[SN_HEAP_CLASSES];
    uint64_t  heap_kept;           /* bytes of free blocks still resident */
} sn_hdr;

/* A socket slot (core/sock.h) is SN_SOCK_BYTES long; its layout is the
 * socket table's business, its size the arena's. */
struct sn_sock;
#define SN_SOCK_BYTES 592

/* A doorbell (core/bell.h): how a process sleeping in the kernel's poll
 * or epoll_wait learns that a simulated socket changed. */
#define SN_MAX_BELLS 4096
#define SN_BELL_Q    1024
typedef struct sn_bell {
    int32_t          owner;     /* proc index; -1: free */
    _Atomic uint32_t pending;   /* when rung (ms), 0 once drained */
    uint8_t          queued;    /* keeps a queue of changed sockets (epoll) */
    uint8_t          overflow;  /* the queue overflowed: look at everything */
    uint16_t         pad;
    uint32_t         qhead, qlen;
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
    uint8_t  pad[7];
} sn_timewait;

/* A process's view of one attached arena.  Pointers here are local. */
typedef struct sn_arena {
    uint8_t        *base;
    size_t          size;
    sn_hdr         *hdr;
    sn_proc        *procs;
    struct sn_sock *socks;
    int32_t        *ports;      /* [2][65536] heads of bind chains */
    sn_timewait    *timewait;   /* [SN_TIMEWAIT_SLOTS] */
    sn_bell        *bells;      /* [SN_MAX_BELLS] */
    int             bell_tx;    /* this process's socket for ringing; -1 */
    bool            reattached; /* attach found an entry already ours */
    int             handed;     /* entry our parent named for us + 1; 0: none */
    int             fd_high;    /* the library's own fds go at or above */
    uint8_t        *heap;       /* == base; heap offsets are from base */
    int             proc;       /* this process's index in procs */
} sn_arena;

/* Map the arena file at `path` (SN_ARENA_CREATE: make it if missing, at
 * `size` bytes, sparse).  Returns 0 with the file locked (flock; *fd is
 * its descriptor, for sn_arena_file_done), having checked the header of
 * an existing file or written a fresh one (*fresh).  On failure returns
 * -errno with a one-line reason in err, and nothing to release. */
#define SN_ARENA_CREATE 1
#define SN_ARENA_ATTACH 2   /* (core/net.h: also register the caller) */
#define SN_ARENA_SHARED 4   /* a new file is readable and writable by all */
/* With SN_ARENA_ATTACH: the entry the parent reserved for us (posix_spawn)
 * or had itself (execve), as it told us through the environment: it may
 * not carry our pid yet (sn_net_attach_proc). */
#define SN_ARENA_HANDED(entry) (((entry) + 1) << 8)
int  sn_arena_map(sn_arena *a, const char *path, size_t size, int flags,
                  int *fd, bool *fresh, char *err, size_t errlen);
/* File still locked: start the network afresh (every table empty), giving
 * the memory of old rings back by truncating the file. */
void sn_arena_reset(sn_arena *a, int fd);
/* Unlock and close what sn_arena_map left open. */
void sn_arena_file_done(int fd);
/* Initialise an anonymous shared arena (unit tests; inherited by fork). */
int  sn_arena_anon(sn_arena *a, size_t size);
void sn_arena_close(sn_arena *a);
size_t sn_arena_min_size(void);

#endif
