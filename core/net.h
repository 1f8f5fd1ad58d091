/* core's API: what preload/ and scripts/inspect.c call, and nothing else
 * of core do they need.  Every function returns a value >= 0 or -errno,
 * leaves errno alone, and never blocks: an operation that cannot proceed
 * returns -EAGAIN, and the caller waits with sn_wait and tries again.
 * Functions that change shared state take the control-plane lock
 * themselves: preload never takes a core lock, and never writes a field of
 * the arena (the inline accessors below only read).
 *
 * The functions are defined in the modules of core/LAYERS (the comment on
 * each group says where); this header only declares them, so any core file
 * may include it to have its definitions checked against it.  Internal
 * operations are in each module's own header. */
#ifndef SN_NET_H
#define SN_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>

#include "core/addr.h"
#include "core/arena.h"
#include "core/capture.h"   /* the capture reader: sn_cap_start ... */
#include "core/lock.h"
#include "core/sock.h"
#include "core/wait.h"

/* ---- the network (net.c) ---- */

/* Map the arena file at `path` (flags: SN_ARENA_CREATE, SN_ARENA_SHARED,
 * SN_ARENA_HANDED, core/arena.h).  SN_ARENA_ATTACH also registers the
 * calling process, under the file's lock, after resetting a network whose
 * processes are all gone (a stale one: its sockets belong to nobody).  On
 * failure returns -errno and writes a one-line reason into err. */
int  sn_net_open(sn_arena *a, const char *path, size_t size, int flags,
                 char *err, size_t errlen);
/* The same on an arena file already open for reading and writing (an fd
 * pinned before the process changed user or root); `name` is for
 * messages.  The fd stays open.  Without SN_ARENA_CREATE an empty file
 * (pinned, never used) is -ENOENT. */
int  sn_net_open_fd(sn_arena *a, int fd, const char *name, size_t size,
                    int flags, char *err, size_t errlen);
/* No process of the network is alive. */
bool sn_net_stale(sn_arena *a);

/* Networks leave nothing behind.  A file is removed only under its lock
 * (the one creation and attach take), and an opener that finds, once it
 * holds the lock, that the path no longer names the file it opened
 * starts again: so nobody attaches to a removed file while others make
 * a new one (core/arena.h).
 *
 * sn_net_leave: the calling process leaves for good (exit(): the
 * destructor; not exec, which keeps the entry): its entry is freed, and
 * if no other process of the network is alive and the network is not
 * kept, the file is removed.  1 removed, 0 not. */
int  sn_net_leave(sn_arena *a, const char *path);
/* Remove the arena file if its network is stale and not kept (`force`:
 * kept or not, `simnet rm`): 1 removed, 0 in use (or kept), -errno. */
int  sn_net_remove_if_stale(const char *path);
int  sn_net_remove_unused(const char *path, bool force);
/* Processes killed with SIGKILL (or leaving through _exit) never run
 * sn_net_leave: their networks are removed by a sweep of the directory
 * holding `path` (every stale, unkept arena but `path`'s own), made when
 * a process creates a network and by `simnet run`, `ls` and `rm`. */
void sn_net_sweep_dir(const char *path);
/* `simnet run --keep`: mark the network (made if missing) kept. */
int  sn_net_keep(const char *path, char *err, size_t errlen);
/* Register the calling process; sets a->proc. */
int  sn_net_attach_proc(sn_arena *a);
/* Record the calling process's start time in its entry, if not yet done
 * (one load when it is): called as it takes its first socket. */
void sn_net_identify(sn_arena *a);
/* Our alive lock must be held by a living thread of ours, or our death
 * would go unnoticed; the attaching thread may have exited: take it. */
void sn_net_keep_alive(sn_arena *a);
/* fork and posix_spawn: an entry reserved for the child (-1: none free),
 * its holds taken with sn_sock_hold_each; the parent settles it once it
 * knows the child's pid (pid <= 0: no child, the holds are given back);
 * the child takes it as its own.  The reservation's marker (core/procs.h)
 * is made first (an fd and its mark, or -errno; mark 0: none), and the
 * child closes it with sn_net_unmark once it claimed the entry. */
int  sn_net_fork_mark(sn_arena *a, uint32_t *mark);
int  sn_net_fork_reserve(sn_arena *a, uint32_t mark);
void sn_net_unmark(sn_arena *a, int entry, int fd);
void sn_net_fork_settle(sn_arena *a, int child, int pid);
void sn_net_fork_child(sn_arena *a, int child);
/* Our parent's entry: -1 when it is not attached, 0 when it never held a
 * socket, 1 when it did. */
int  sn_net_parent_held(sn_arena *a);
/* The process of entry i is alive (the inspector asks). */
bool sn_net_proc_alive(sn_arena *a, int i);
static inline bool sn_net_kept(sn_arena *a) { return a->hdr->keep != 0; }
/* Hosts (core/hosts.h).  sn_net_host_add: host `name` (made if new) with
 * addresses addrs[0..n) added; its index, or -errno with a one-line
 * reason in err.  sn_net_host_join: the same, and the calling process is
 * on it from now on (its children after it). */
int  sn_net_host_add(sn_arena *a, const char *name, const sn_addr *addrs, int n,
                     char *err, size_t errlen);
int  sn_net_host_join(sn_arena *a, const char *name, const sn_addr *addrs, int n,
                      char *err, size_t errlen);
/* Parse SIMNET_ADDR's list (core/hosts.h). */
int  sn_net_parse_addrs(const char *list, sn_addr *out, int max, char *err,
                        size_t errlen);
/* Name lookups: the host called `name` (core/hosts.h: also NAME.simnet),
 * or the host that has address x; -1 when none. */
int  sn_net_host_lookup(sn_arena *a, const char *name);
int  sn_net_host_of(sn_arena *a, const sn_addr *x);
/* x is an address of the calling process's host (loopback, its own, or a
 * wildcard). */
bool sn_net_addr_mine(sn_arena *a, const sn_addr *x);
/* Doorbells (core/bell.h explains them): a bell of this process, id > 0
 * or -ENOSPC; `queued` records which attached sockets changed (epoll). */
int  sn_bell_alloc(sn_arena *a, bool queued);
void sn_bell_free(sn_arena *a, int id);

/* ---- links and faults (links.c, faults.c; core/links.h explains) ----
 * A link rule's hosts: an index, SN_LINK_ANY ("*"), or 0, the default
 * host, named SN_LINK_DEFAULT_HOST on the command line.
 * sn_net_link_host: the index for a name (a new name makes the host),
 * or -errno with a reason in err.  sn_net_link_set: change the rule
 * (src, dst), made if missing; fields at -1 stay as they are; `clear`
 * first sets delay, jitter, rate and loss to none.  0 or -ENOSPC.
 * sn_net_heal: the partitions of the rules (src, dst) end (either may be
 * SN_LINK_ANY: every rule); how many did.  sn_net_reset: the established
 * connections between hosts x and y get ECONNRESET at both ends; how
 * many.  Held bytes and connects go on as soon as nothing cuts them. */
#define SN_LINK_DEFAULT_HOST "default"
typedef struct sn_link_set {
    int64_t delay_ns, jitter_ns, rate_Bps, loss_ppm;
    int     partition;
    bool    clear;
    int64_t dup_ppm;
    /* Gilbert-Elliott loss, ppm: p, r, 1-h, 1-k (netem's gemodel);
     * ge[0] -1: unchanged.  Setting it or loss_ppm replaces the other. */
    int64_t ge[4];
    /* Toxiproxy's: refuse new connections (1, 0: not), cut a connection
     * with a reset after that many bytes (0: no limit); -1 unchanged. */
    int     refuse;
    int64_t limit_data;
    /* netem's random models: the correlations (ppm) of loss, duplicate
     * and delay (the jitter's draws); reorder's chance and correlation
     * (ppm) and gap (1 or more); the jitter's distribution (SN_DIST_*);
     * -1 unchanged. */
    int64_t loss_corr, dup_corr, delay_corr;
    int64_t reorder_ppm, reorder_corr, gap;
    int     dist;
    /* The rule of the pair for this port only (0: for any port): it
     * holds for traffic with the port at either end (core/links.h). */
    int     port;
    /* Toxiproxy's slicer: slices of slice_size (0: none) give or take
     * slice_var bytes, slice_delay_ns apart; slow close: the FIN that
     * much later (0: at once); -1 unchanged. */
    int64_t slice_size, slice_var, slice_delay_ns, slow_close_ns;
} sn_link_set;
#define SN_LINK_SET_NONE {-1, -1, -1, -1, -1, false, -1, {-1, -1, -1, -1}, -1, -1, \
                          -1, -1, -1, -1, -1, -1, -1, 0, -1, -1, -1, -1}
/* The jitter's distributions (tc-netem(8)'s names, sn_net_parse_dist). */
enum { SN_DIST_UNIFORM, SN_DIST_NORMAL, SN_DIST_PARETO, SN_DIST_PARETONORMAL };
int  sn_net_link_host(sn_arena *a, const char *name, char *err, size_t errlen);
int  sn_net_link_set(sn_arena *a, int src, int dst, const sn_link_set *c);
int  sn_net_heal(sn_arena *a, int src, int dst);
int  sn_net_reset(sn_arena *a, int x, int y);
/* tc's units (tc(8)): a time ("50ms", "1.5s", "200us"; a bare number is
 * microseconds), a rate ("1mbit", "100kbps"; a bare number is bits per
 * second) into bytes per second, a percentage ("2%", "0.5%") into parts
 * per million.  0, or -EINVAL for anything else (negative, empty, an
 * unknown unit, out of range). */
int sn_net_parse_time(const char *s, int64_t *ns);
int sn_net_parse_rate(const char *s, uint64_t *Bps);
int sn_net_parse_percent(const char *s, uint32_t *ppm);
/* A distribution's name ("uniform", "normal", "pareto", "paretonormal")
 * into SN_DIST_*, or -EINVAL; and back. */
int sn_net_parse_dist(const char *s);
const char *sn_net_dist_name(int dist);

/* The seed of the network's generators (SIMNET_SEED, --seed); without
 * `force`, only if none was given yet. */
void sn_net_set_seed(sn_arena *a, uint64_t seed, bool force);
static inline uint64_t sn_net_seed(sn_arena *a) { return a->hdr->seed; }
/* Rule i as one line of text: 1, 0 an unused entry, -1 past the end. */
int  sn_net_link_text(sn_arena *a, int i, char *buf, size_t n);
/* When time alone changes socket s (CLOCK_MONOTONIC ns: data or a
 * connect becomes due, a listener's delayed connection arrives, TCP
 * gives up under a partition: core/timeouts.h), 0 never: a wait on s
 * sleeps no longer. */
int64_t sn_sock_due(sn_arena *a, int s);
/* The same for a caller that looked at s (poll, a try) at `since`: what
 * was not due then counts, even if it is due by now -- or the data that
 * came due between the look and this question would wake nobody.  A due
 * time in the past means: look again now. */
int64_t sn_sock_due_since(sn_arena *a, int s, int64_t since);
/* False while s has never met a fault (its `faulty` byte, which never
 * clears): sn_sock_due_since is 0 then, so a waiter reads the clock for
 * `since` only when this is true -- the no-fault path reads no clock.
 * A socket that turns faulty after this question and before the look
 * is asked about with since 0: its due time comes no later (at worst a
 * time already past, one more look, which then reads the clock). */
static inline bool sn_sock_may_be_due(sn_arena *a, int s)
{
    return sn_sock_faulty(sn_sock_at(a, s));   /* inline: asked on every wait */
}

/* ---- doorbells (bell.c, sockbell.c) ---- */

socklen_t sn_bell_name(sn_arena *a, int id, struct sockaddr_un *out);
void sn_bell_ring(sn_arena *a, int id);
void sn_bell_rearm(sn_arena *a, int id);     /* after draining the fd */
/* This process's socket for ringing, made if missing (ahead of a lowered
 * fd limit): 0 or -errno. */
int  sn_bell_tx_open(sn_arena *a);
/* Attach to / detach from socket s.  -ENOSPC when s has no free place. */
int  sn_bell_attach(sn_arena *a, int s, int id, bool exclusive);
void sn_bell_detach(sn_arena *a, int s, int id);
/* Next changed socket from a queued bell: slot, -1 when empty, -2 when
 * the queue overflowed (look at every socket).  The socket's "queued" mark
 * is cleared first, so a change after this call queues it again. */
int  sn_bell_pop(sn_arena *a, int id);

/* ---- socket lifetime (slots.c, holders.c, reap.c) ---- */

void sn_sock_set_ident(sn_arena *a, int s, uint64_t dev, uint64_t ino);
int  sn_sock_find_ident(sn_arena *a, uint64_t dev, uint64_t ino);
void sn_sock_hold(sn_arena *a, int s);      /* this process holds s */
void sn_sock_release(sn_arena *a, int s);   /* ... no longer */
/* SCM_RIGHTS: a copy leaves in a message / arrives. */
void sn_sock_send_copy(sn_arena *a, int s);
void sn_sock_recv_copy(sn_arena *a, int s);
/* A socket this process received or inherited, known by its placeholder's
 * identity: held now (and a copy in flight counted as arrived); its slot
 * or -1. */
int  sn_sock_adopt(sn_arena *a, uint64_t dev, uint64_t ino);
/* Process proc holds every socket s with refs[s] != 0 (s < n). */
void sn_sock_hold_each(sn_arena *a, int proc, const uint32_t *refs, int n);
/* This process holds exactly the sockets with refs[s] != 0 (after an
 * execve closed some). */
void sn_sock_sync_holds(sn_arena *a, const uint32_t *refs, int n);
/* The processes whose death would end a wait on s: the holders of the
 * peer (a connected stream) or of the listener (a queued connect), not
 * counting this process.  Read without the lock: a stale answer costs one
 * extra wake-up. */
int  sn_sock_watch(sn_arena *a, int s, int *procs, int max);
/* Reap the processes sn_sock_watch named that are gone; true if any. */
bool sn_sock_collect(sn_arena *a, const int *procs, int n);
/* A waiter that returns without sleeping (something is always ready, or
 * a timeout of 0) never hears a peer's pidfd: call this at each wait.  It
 * looks for processes of the network that died (a word in the arena the
 * kernel marks: a load per process, no system call while none did) and
 * reaps them, ending their connections -- at most every SN_REAP_LOOK_MS
 * when the caller read the clock anyway (now_ns, CLOCK_MONOTONIC), else
 * every SN_REAP_LOOK_CALLS calls of the thread (no clock read added). */
#define SN_REAP_LOOK_MS    10
#define SN_REAP_LOOK_CALLS 64
void sn_reap_now_and_then(sn_arena *a, int64_t now_ns);
/* Before attaching a bell to socket s: when all its places are taken,
 * free those of bells whose owners are gone (dead processes not reaped
 * yet, images replaced by execve).  Takes the control-plane lock. */
void sn_reap_bell_owners(sn_arena *a, int s);

/* ---- waiting (sockwait.c) ---- */

/* The seq to sleep on: read it before looking at the condition. */
uint32_t sn_wait_prepare(sn_arena *a, int s);
/* Sleep until seq moves away from `seq` or the CLOCK_MONOTONIC deadline
 * passes (NULL: none).  0, -ETIMEDOUT or -EINTR. */
int  sn_wait(sn_arena *a, int s, uint32_t seq, const struct timespec *deadline);
/* As sn_wait, and also wake when one of the processes `procs` dies.
 * Returns 1 when a watched process may have died (the caller collects it
 * and retries), else as sn_wait. */
int  sn_wait_watch(sn_arena *a, int s, uint32_t seq, const int *procs,
                   int n, const struct timespec *deadline);

/* ---- connections (conn.c; accept: accept.c) ---- */

int  sn_sock_create(sn_arena *a, int family, int type, int protocol);
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
int  sn_dgram_disconnect(sn_arena *a, int s);
/* Local or peer name as a sockaddr of the socket's family; returns its
 * full length or -ENOTCONN. */
int  sn_sock_name(sn_arena *a, int s, bool peer, struct sockaddr_storage *out);
/* The user-visible sockaddr for an address of socket s; its length. */
socklen_t sn_sock_format(sn_arena *a, int s, const sn_addr *x,
                         struct sockaddr_storage *out);

/* ---- data (proto.c picks stream.c or dgram.c) ----
 * msghdr buffers are the caller's, already checked.  MSG_DONTWAIT in
 * flags tells core the caller will not wait: what a blocking call waits
 * for (SO_RCVLOWAT, MSG_PEEK|MSG_WAITALL) is then not waited for. */
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
    /* stream: the call already moved bytes (a blocking send, MSG_WAITALL):
     * a pending error (a reset) ends it but stays for the next call, as
     * Linux leaves sk_err when it returns a partial count. */
    bool                   keep_error;
} sn_msg;

ssize_t sn_sock_send(sn_arena *a, int s, sn_msg *m, int flags);
ssize_t sn_sock_recv(sn_arena *a, int s, sn_msg *m, int flags);
int     sn_sock_inq(sn_arena *a, int s);    /* FIONREAD / SIOCINQ */
int     sn_sock_outq(sn_arena *a, int s);   /* SIOCOUTQ */
/* TCP urgent data (urgent.c).  SIOCATMARK: 1 when the next byte read is
 * the urgent byte's place, -ENOTTY on a datagram socket. */
int     sn_sock_atmark(sn_arena *a, int s);
/* F_SETOWN and its ioctl cousins on s: who gets SIGURG. */
void    sn_sock_set_owner(sn_arena *a, int s, int32_t owner);
/* What poll reports now: POLLIN, POLLOUT, POLLRDHUP, POLLHUP, POLLERR...
 * The same bits as EPOLL*. */
int     sn_sock_poll(sn_arena *a, int s);

/* ---- options (opts.c).  Values are already copied into local memory. */
int  sn_sock_setopt(sn_arena *a, int s, int level, int name,
                    const void *val, socklen_t len);
int  sn_sock_getopt(sn_arena *a, int s, int level, int name,
                    void *val, socklen_t *len);
/* O_NONBLOCK of the open file (fcntl, SOCK_NONBLOCK, ioctl FIONBIO). */
void sn_sock_set_nonblock(sn_arena *a, int s, bool on);

/* ---- read-only accessors (inline: the data path asks on every call) ---- */

static inline int sn_sock_type(sn_arena *a, int s) { return sn_sock_at(a, s)->type; }
static inline int sn_sock_family(sn_arena *a, int s) { return sn_sock_at(a, s)->family; }
static inline uint32_t sn_sock_opts(sn_arena *a, int s)
{
    return atomic_load(&sn_sock_at(a, s)->opt);
}
static inline bool sn_sock_nonblock(sn_arena *a, int s)
{
    return sn_sock_opts(a, s) & SN_O_NONBLOCK;
}
/* The connected peer's address is IPv4 (or v4-mapped). */
static inline bool sn_sock_peer_v4(sn_arena *a, int s)
{
    return sn_addr_is_v4(&sn_sock_at(a, s)->peer);
}
static inline int64_t sn_sock_rcvtimeo(sn_arena *a, int s) { return sn_sock_at(a, s)->rcvtimeo_ns; }
static inline int64_t sn_sock_sndtimeo(sn_arena *a, int s) { return sn_sock_at(a, s)->sndtimeo_ns; }
/* The slot's generation: a socket is (slot, gen); a reused slot has
 * another. */
static inline uint32_t sn_sock_gen(sn_arena *a, int s) { return sn_sock_at(a, s)->gen; }
static inline bool sn_sock_gone(sn_arena *a, int s, uint32_t gen)
{
    sn_sock *k = sn_sock_at(a, s);
    return k->gen != gen || k->state == SN_FREE;
}
/* Counts of input / output events (edge-triggered epoll). */
static inline void sn_sock_events(sn_arena *a, int s, uint32_t *in, uint32_t *out)
{
    *in = atomic_load(&sn_sock_at(a, s)->ev_in);
    *out = atomic_load(&sn_sock_at(a, s)->ev_out);
}
/* Bell id was rung and not yet drained (sn_bell_rearm). */
static inline bool sn_bell_rung(sn_arena *a, int id)
{
    return atomic_load(&a->bells[id - 1].pending) != 0;
}
static inline uint32_t sn_net_nsocks(sn_arena *a) { return a->hdr->nsocks; }
/* Process entries: bumped when a process joins or goes; how many entries
 * have been used; the pid of entry i (0 free, -1 reserved). */
static inline uint32_t sn_net_proc_gen(sn_arena *a) { return atomic_load(&a->hdr->proc_gen); }
static inline uint32_t sn_net_proc_hwm(sn_arena *a) { return a->hdr->proc_hwm; }
static inline int sn_net_proc_pid(sn_arena *a, int i) { return a->procs[i].pid; }
/* Hosts: entries in use (entry 0 is the default host), the host of
 * process entry i, host h's name and addresses. */
static inline uint32_t sn_net_nhosts(sn_arena *a)
{
    return __atomic_load_n(&a->hdr->nhosts, __ATOMIC_ACQUIRE);
}
static inline int sn_net_proc_host(sn_arena *a, int i) { return (int)a->procs[i].host; }
static inline const sn_host *sn_net_host(sn_arena *a, int h) { return &a->hosts[h]; }

#endif
