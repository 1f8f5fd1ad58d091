/* epoll over any mix of real and simulated fds.
 *
 * An epoll instance is a real kernel epoll fd, which holds the real fds,
 * plus, here, the list of simulated ones.  The instance owns a queued
 * doorbell (core/bell.h), kept in the kernel set under a marker cookie and
 * attached to each simulated socket of the list: a change rings it and
 * queues the socket, so epoll_wait looks only at sockets that changed (and
 * at level-triggered ones still ready), never at the whole list.  A pidfd
 * per process holding a peer joins the kernel set too: a peer that dies
 * wakes the waiter, which buries it (and so ends its connections).
 *
 * Semantics follow Linux: level by default; EPOLLET reports an edge per
 * new event of a kind asked for; EPOLLONESHOT disarms after one report
 * until EPOLL_CTL_MOD; EPOLLEXCLUSIVE rings one instance of those sharing
 * a socket; the cookie comes back untouched.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <time.h>

#include "core/net.h"
#include "preload/doorbell.h"
#include "preload/epoll.h"
#include "preload/fdtab.h"
#include "preload/init.h"
#include "preload/real.h"
#include "preload/ret.h"
#include "preload/uaccess.h"

/* Cookies of our own entries in the kernel set.  A program's cookie could
 * collide only by using these very 64-bit values. */
#define TAG_BELL  0x534e42454c000000ULL          /* "SNBEL" + bell id */
#define TAG_PID   0x534e504944000000ULL          /* "SNPID" + proc */
#define TAG_MASK  0xffffffffff000000ULL

#define USER_FLAGS (EPOLLET | EPOLLONESHOT | EPOLLEXCLUSIVE | EPOLLWAKEUP)

typedef struct ep_item {
    int             fd, slot;
    uint32_t        gen;          /* the socket's slot generation: Linux
                                     keys an item by (file, fd), not fd */
    uint32_t        events;       /* as given, flags included */
    epoll_data_t    data;
    uint32_t        last_in, last_out;   /* event counters at last report */
    bool            disarmed;     /* EPOLLONESHOT fired */
    bool            checking;     /* on the check list */
    uint32_t        stamp;        /* the epoll_wait call that last reported
                                     it: never twice in one call */
    struct ep_item *next_fd, *next_slot, *next_check;
} ep_item;

typedef struct ep_inst {
    pthread_mutex_t lock;
    int             refs;         /* fds of this process naming it */
    int             epfd;         /* one of them, for our own epoll_ctl */
    int             nreal;        /* real fds added: 0 spares a system call */
    bool            bell_seen;    /* the kernel said the bell is readable */
    bool            nested;       /* someone polls this epoll fd itself */
    int             sleepers;     /* threads in the kernel wait on it */
    uint32_t        calls;        /* epoll_wait calls so far: their stamps */
    sn_doorbell     bell;
    /* Direct tables (reserved, not committed): an fd's item, and the
     * items of a socket slot (several when dups of it are registered). */
    ep_item       **by_fd;        /* [sn_fdtab_size] */
    ep_item       **by_slot;      /* [SN_MAX_SOCKS] */
    ep_item        *check;        /* to look at on the next wait */
    int             watched[SN_MAX_PROCS];   /* pidfd in the kernel set, or 0 */
    int             watched_pid[SN_MAX_PROCS];
    int             nwatched;
    unsigned        fork_gen;     /* sn_fork_generation of the process that
                                     made it: after fork the child shares
                                     its bell and must leave it alone */
    uint32_t        watch_gen;    /* proc_gen when watched[] was made */
    int64_t         due;          /* CLOCK_MONOTONIC ns when time alone
                                     makes a checked item ready (a fault's
                                     delay, core/net.h sn_sock_due); 0 none */
    bool            unwatched;    /* a live process got no pidfd (a lowered
                                     fd limit): wake to look, see sim_wait */
    struct ep_inst *next;         /* all instances of the process */
} ep_inst;

static ep_inst       **eptab;     /* fd -> instance (owner: this file) */
static ep_inst        *all;
static pthread_mutex_t all_lock = PTHREAD_MUTEX_INITIALIZER;

static ep_inst *inst_of(int fd)
{
    if (!eptab || (unsigned)fd >= (unsigned)sn_fdtab_size)
        return NULL;
    return __atomic_load_n(&eptab[fd], __ATOMIC_ACQUIRE);
}

bool sn_epoll_is(int fd)
{
    return inst_of(fd) != NULL;
}

static void set_inst(int fd, ep_inst *in)
{
    __atomic_store_n(&eptab[fd], in, __ATOMIC_RELEASE);
}

/* ---- items ---- */

static ep_item *find_item(ep_inst *in, int fd, int slot)
{
    uint32_t gen = sn_sock_gen(sn_net(), slot);
    for (ep_item *it = in->by_fd[fd]; it; it = it->next_fd)
        if (it->slot == slot && it->gen == gen)
            return it;
    return NULL;
}

/* The socket behind the item is gone (its slot freed, maybe reused). */
static bool item_dead(const ep_item *it)
{
    return sn_sock_gone(sn_net(), it->slot, it->gen);
}

static bool ours(const ep_inst *in)
{
    return in->fork_gen == sn_fork_generation;
}

void sn_epoll_nested(int fd)
{
    ep_inst *in = inst_of(fd);
    if (!in || in->nested)
        return;
    sn_plock(&in->lock);
    in->nested = true;
    /* Something may be ready already: show it. */
    for (ep_item *it = in->check; it; it = it->next_check) {
        uint32_t want = (it->events & ~USER_FLAGS) | EPOLLERR | EPOLLHUP;
        if (!it->disarmed && !item_dead(it) &&
            ((uint32_t)sn_sock_poll(sn_net(), it->slot) & want)) {
            sn_bell_ring(sn_net(), in->bell.id);
            break;
        }
    }
    sn_punlock(&in->lock);
}


static bool slot_used(ep_inst *in, int slot, ep_item *except)
{
    for (ep_item *it = in->by_slot[slot]; it; it = it->next_slot)
        if (it != except)
            return true;
    return false;
}

static void to_check(ep_inst *in, ep_item *it)
{
    if (!it->checking) {
        it->checking = true;
        it->next_check = in->check;
        in->check = it;
    }
}

static void unlink_item(ep_inst *in, ep_item *it)
{
    ep_item **p;
    for (p = &in->by_fd[it->fd]; *p != it; p = &(*p)->next_fd)
        ;
    *p = it->next_fd;
    for (p = &in->by_slot[it->slot]; *p != it; p = &(*p)->next_slot)
        ;
    *p = it->next_slot;
    for (p = &in->check; *p; p = &(*p)->next_check)
        if (*p == it) {
            *p = it->next_check;
            break;
        }
    /* The bell leaves a live socket once no item of ours needs it; a freed
     * slot dropped its bells already (and may carry a new socket's). */
    if (ours(in) && !item_dead(it) && !slot_used(in, it->slot, NULL))
        sn_bell_detach(sn_net(), it->slot, in->bell.id);
    free(it);
}

/* Pidfds of the network's other processes, so that a death wakes a
 * sleeping epoll_wait, which buries the process (and so ends its
 * connections).  Which processes hold the peers of our sockets changes
 * with every fork and close; watching them all is simpler, and cheap while
 * networks have a few processes: refreshed only when one joins or goes,
 * at most WATCH_MAX of them. */
#define WATCH_MAX 64

static void watch_processes(ep_inst *in)
{
    sn_arena *a = sn_net();
    uint32_t gen = sn_net_proc_gen(a);
    if (gen == in->watch_gen && !in->unwatched)
        return;
    in->watch_gen = gen;
    in->unwatched = false;
    for (uint32_t i = 0; i < sn_net_proc_hwm(a) && in->nwatched < WATCH_MAX; i++) {
        int pid = sn_net_proc_pid(a, (int)i);
        if (in->watched[i] && in->watched_pid[i] != pid) {
            /* The entry went to another process; its old pidfd may have
             * been closed (and left the set) already. */
            REAL(epoll_ctl)(in->epfd, EPOLL_CTL_DEL, in->watched[i], NULL);
            in->watched[i] = 0;
            in->nwatched--;
        }
        if (in->watched[i] || (int)i == a->proc || pid <= 0)
            continue;
        int pfd = sn_proc_pidfd((int)i);
        if (pfd < 0) {
            /* No pidfd: the process is already gone (and waited for).
             * Bury it now; nothing would ever wake us for it. */
            int proc = (int)i;
            sn_punlock(&in->lock);
            bool buried = sn_sock_collect(a, &proc, 1);
            sn_plock(&in->lock);
            /* Or alive with no fd to be had (the program lowered its fd
             * limit): try again at the next wait, which wakes to look. */
            in->unwatched |= !buried && sn_net_proc_pid(a, (int)i) == pid;
            continue;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_PID | (uint64_t)i};
        if (pfd >= 0 && REAL(epoll_ctl)(in->epfd, EPOLL_CTL_ADD, pfd, &ev) == 0) {
            in->watched[i] = pfd;
            in->watched_pid[i] = pid;
            in->nwatched++;
        }
    }
}

void sn_epoll_fork_lock(void)
{
    sn_plock(&all_lock);
    for (ep_inst *in = all; in; in = in->next)
        sn_plock(&in->lock);
}

void sn_epoll_fork_unlock(void)
{
    for (ep_inst *in = all; in; in = in->next)
        sn_punlock(&in->lock);
    sn_punlock(&all_lock);
}

/* ---- create, close ---- */

static void table_init(void)
{
    void *t = mmap(NULL, (size_t)sn_fdtab_size * sizeof *eptab, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (t != MAP_FAILED)
        eptab = t;
}

static int make_inst(int epfd)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    if (epfd < 0 || !sn_net() || (unsigned)epfd >= (unsigned)sn_fdtab_size)
        return epfd;
    pthread_once(&once, table_init);
    /* Where the filter looks: a raw epoll_wait on it is caught too. */
    ep_inst *in = calloc(1, sizeof *in);
    void *f = MAP_FAILED, *s = MAP_FAILED;
    if (in) {
        f = mmap(NULL, (size_t)sn_fdtab_size * sizeof(ep_item *), PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        s = mmap(NULL, SN_MAX_SOCKS * sizeof(ep_item *), PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    }
    int bell = 0;
    if (!eptab || !in || f == MAP_FAILED || s == MAP_FAILED ||
        (bell = sn_doorbell_open(&in->bell, true)) < 0) {
        if (f != MAP_FAILED)
            munmap(f, (size_t)sn_fdtab_size * sizeof(ep_item *));
        if (s != MAP_FAILED)
            munmap(s, SN_MAX_SOCKS * sizeof(ep_item *));
        free(in);
        if (bell == -ENOMEM) {
            /* No memory for its doorbell (the network's file system is
             * full): fail as Linux does when it has none for the
             * instance, rather than hand out one that cannot watch
             * simulated sockets. */
            REAL(close)(epfd);
            return (int)sn_ret_traced("epoll_create", -1, -ENOMEM);
        }
        return epfd;                 /* a plain kernel epoll, no simulation */
    }
    in->by_fd = f;
    in->by_slot = s;
    /* Edge-triggered: after a fork the kernel set is shared with the
     * other process, whose bell must not keep waking us (see adopt). */
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET,
                             .data.u64 = TAG_BELL | (uint64_t)in->bell.id};
    REAL(epoll_ctl)(epfd, EPOLL_CTL_ADD, in->bell.fd, &ev);
    pthread_mutex_init(&in->lock, NULL);
    in->refs = 1;
    in->epfd = epfd;
    in->fork_gen = sn_fork_generation;
    sn_plock(&all_lock);
    in->next = all;
    all = in;
    sn_punlock(&all_lock);
    set_inst(epfd, in);
    return epfd;
}

int epoll_create(int size)
{
    return make_inst(REAL(epoll_create)(size));
}

int epoll_create1(int flags)
{
    return make_inst(REAL(epoll_create1)(flags));
}

static void destroy(ep_inst *in)
{
    sn_plock(&all_lock);
    for (ep_inst **p = &all; *p; p = &(*p)->next)
        if (*p == in) {
            *p = in->next;
            break;
        }
    sn_punlock(&all_lock);
    for (int fd = 0; fd < sn_fdtab_size; fd++)
        while (in->by_fd[fd])
            unlink_item(in, in->by_fd[fd]);
    munmap(in->by_fd, (size_t)sn_fdtab_size * sizeof(ep_item *));
    munmap(in->by_slot, SN_MAX_SOCKS * sizeof(ep_item *));
    if (ours(in))
        sn_doorbell_close(&in->bell);
    else
        REAL(close)(in->bell.fd);   /* our copy; the bell is the parent's */
    pthread_mutex_destroy(&in->lock);
    free(in);
}

void sn_epoll_fd_closed(int fd)
{
    ep_inst *in = inst_of(fd);
    if (!in)
        return;
    set_inst(fd, NULL);
    sn_plock(&in->lock);
    bool last = --in->refs == 0;
    sn_punlock(&in->lock);
    if (last)
        destroy(in);
}

void sn_epoll_fd_dup(int fd, int nfd)
{
    ep_inst *in = inst_of(fd);
    if (!in || nfd < 0 || (unsigned)nfd >= (unsigned)sn_fdtab_size)
        return;
    sn_plock(&in->lock);
    in->refs++;
    sn_punlock(&in->lock);
    set_inst(nfd, in);
}

/* An epoll fd inherited across fork: the kernel set is shared, but the
 * bell (and its queue of changed sockets) is the parent's.  The child
 * takes a bell of its own, in the same kernel set, attached to the same
 * sockets, so neither steals the other's wake-ups.  Instance lock held. */
static void adopt(ep_inst *in)
{
    if (ours(in))
        return;
    sn_doorbell mine;
    if (sn_doorbell_open(&mine, true) < 0)
        return;
    REAL(close)(in->bell.fd);       /* our copy of the parent's socket */
    in->bell = mine;
    in->fork_gen = sn_fork_generation;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET,
                             .data.u64 = TAG_BELL | (uint64_t)mine.id};
    REAL(epoll_ctl)(in->epfd, EPOLL_CTL_ADD, mine.fd, &ev);
    memset(in->watched, 0, sizeof in->watched);   /* the parent's pidfds */
    in->nwatched = 0;
    in->watch_gen = 0;
    for (int fd = 0; fd < sn_fdtab_size; fd++)
        for (ep_item *it = in->by_fd[fd]; it; it = it->next_fd)
            if (!item_dead(it)) {
                sn_bell_attach(sn_net(), it->slot, mine.id,
                               (it->events & EPOLLEXCLUSIVE) != 0);
                to_check(in, it);
            }
}

/* ---- epoll_ctl ---- */

static int ctl_sim(ep_inst *in, int op, int fd, int slot, struct epoll_event *ev)
{
    struct epoll_event e = {0};
    if (op != EPOLL_CTL_DEL) {
        if (sn_uaccess(ev, sizeof *ev, false) < 0)
            return -EFAULT;
        e = *ev;
    }
    /* Linux checks the flags before it looks the fd up. */
    if (op == EPOLL_CTL_ADD && (e.events & EPOLLEXCLUSIVE) &&
        ((e.events & EPOLLONESHOT) ||
         (e.events & ~(uint32_t)(EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP |
                                 EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE))))
        return -EINVAL;
    if (op == EPOLL_CTL_MOD && (e.events & EPOLLEXCLUSIVE))
        return -EINVAL;
    ep_item *it = find_item(in, fd, slot);
    switch (op) {
    case EPOLL_CTL_ADD: {
        if (it)
            return -EEXIST;
        if (!slot_used(in, slot, NULL)) {
            int r = sn_bell_attach(sn_net(), slot, in->bell.id,
                                   (e.events & EPOLLEXCLUSIVE) != 0);
            if (r < 0)
                return r;
        }
        it = calloc(1, sizeof *it);
        if (!it)
            return -ENOMEM;
        it->fd = fd;
        it->slot = slot;
        it->gen = sn_sock_gen(sn_net(), slot);
        it->next_fd = in->by_fd[fd];
        in->by_fd[fd] = it;
        it->next_slot = in->by_slot[slot];
        in->by_slot[slot] = it;
        break;
    }
    case EPOLL_CTL_MOD:
        if (!it)
            return -ENOENT;
        if (it->events & EPOLLEXCLUSIVE)
            return -EINVAL;
        break;
    case EPOLL_CTL_DEL:
        if (!it)
            return -ENOENT;
        unlink_item(in, it);
        return 0;
    default:
        return -EINVAL;
    }
    it->events = e.events;
    it->data = e.data;
    it->disarmed = false;
    /* Report what is ready now once, edge-triggered or not. */
    uint32_t ein, eout;
    sn_sock_events(sn_net(), slot, &ein, &eout);
    it->last_in = ein - 1;
    it->last_out = eout - 1;
    to_check(in, it);
    /* Ready already: like Linux's ready list, make the epoll fd readable
     * now (a thread sleeping in epoll_wait, or a poll on the epoll fd,
     * must see it).  The sleeper is woken by the kernel set's bell. */
    uint32_t want = (it->events & ~USER_FLAGS) | EPOLLERR | EPOLLHUP;
    if ((uint32_t)sn_sock_poll(sn_net(), slot) & want)
        sn_bell_ring(sn_net(), in->bell.id);
    return 0;
}

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
    int slot = sn_fd_slot(fd);
    ep_inst *in = inst_of(epfd);
    if (slot < 0) {
        if (op == EPOLL_CTL_ADD)
            sn_epoll_nested(fd);    /* an epoll fd of ours inside another */
        int r = REAL(epoll_ctl)(epfd, op, fd, ev);
        if (r == 0 && in && op != EPOLL_CTL_MOD)
            __atomic_add_fetch(&in->nreal, op == EPOLL_CTL_ADD ? 1 : -1, __ATOMIC_RELAXED);
        return r;
    }
    if (!in) {
        /* Not an epoll fd of ours: let the kernel name the error. */
        if (REAL(fcntl)(epfd, F_GETFD) < 0)
            return (int)SN_RET(fd, -EBADF);
        return (int)SN_RET(fd, -EINVAL);
    }
    if (op == EPOLL_CTL_ADD)
        sn_reap_bell_owners(sn_net(), slot);   /* before in->lock */
    sn_plock(&in->lock);
    adopt(in);
    int r = ctl_sim(in, op, fd, slot, ev);
    sn_punlock(&in->lock);
    return (int)SN_RET(fd, r);
}

/* ---- epoll_wait ---- */

#define IN_KIND  (EPOLLIN | EPOLLRDNORM | EPOLLRDHUP | EPOLLPRI | EPOLLHUP | EPOLLERR)
#define OUT_KIND (EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND)

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* Look at the sockets that changed and the level-triggered ones still
 * ready; fill up to max events, none already reported by this call
 * (`call`, its stamp: Linux returns an fd once per call).  Instance lock
 * held. */
static int collect(ep_inst *in, struct epoll_event *out, int max, uint32_t call)
{
    sn_arena *a = sn_net();
    /* Empty the bell completely when the kernel said so, or when someone
     * polls this epoll fd (a stray byte would read as "ready" there). */
    sn_doorbell_drain(&in->bell, in->bell_seen || in->nested);
    in->bell_seen = false;
    for (int s; (s = sn_bell_pop(a, in->bell.id)) != -1;) {
        for (int fd = 0; s == -2 && fd < sn_fdtab_size; fd++)  /* overflow: all */
            for (ep_item *it = in->by_fd[fd]; it; it = it->next_fd)
                to_check(in, it);
        if (s >= 0)
            for (ep_item *it = in->by_slot[s]; it; it = it->next_slot)
                to_check(in, it);
    }
    int n = 0;
    bool still_ready = false;
    in->due = 0;
    /* Read before the first look at a socket that met a fault, so no
     * later than its look or any after it; 0 for the others (core/net.h
     * sn_sock_may_be_due): the no-fault path reads no clock. */
    int64_t seen = 0;
    ep_item *kept = NULL, **kept_tail = &kept;
    ep_item **p = &in->check;
    while (*p && n < max) {
        ep_item *it = *p;
        if (item_dead(it)) {        /* closed everywhere: it leaves the set */
            unlink_item(in, it);
            continue;
        }
        if (it->stamp == call) {    /* reported by this call: the next one */
            *p = it->next_check;
            it->next_check = NULL;
            *kept_tail = it;
            kept_tail = &it->next_check;
            still_ready = true;
            continue;
        }
        uint32_t want = (it->events & ~USER_FLAGS) | EPOLLERR | EPOLLHUP;
        int64_t since = 0;
        if (!it->disarmed && sn_sock_may_be_due(a, it->slot))
            since = seen ? seen : (seen = now_ns());
        /* The event counters before the state: an event between the two
         * looks shows in the state and moves a counter past what we
         * record, so it is reported (again) next time.  The other way
         * round, an input arriving after the state was read but before
         * the counters would be recorded as reported and never be: a
         * lost edge (Go's netpoller waited forever for a reply). */
        uint32_t ein, eout;
        sn_sock_events(a, it->slot, &ein, &eout);
        uint32_t m = it->disarmed ? 0 : ((uint32_t)sn_sock_poll(a, it->slot) & want);
        if (m && (it->events & EPOLLET)) {
            /* An edge: a new event of a kind asked for since the last
             * report. */
            bool edge = ((m & IN_KIND) && ein != it->last_in) ||
                        ((m & OUT_KIND) && eout != it->last_out);
            if (!edge)
                m = 0;
        }
        bool keep = false;
        if (m) {
            out[n].events = m;
            out[n].data = it->data;
            n++;
            it->stamp = call;
            it->last_in = ein;
            it->last_out = eout;
            if (it->events & EPOLLONESHOT)
                it->disarmed = true;
            /* Level-triggered: still ready next time unless it changes. */
            keep = !(it->events & (EPOLLET | EPOLLONESHOT));
        }
        bool later = false;
        if (!m && !it->disarmed) {
            /* Data on its way (a delayed link): look again when due. */
            int64_t due = sn_sock_due_since(a, it->slot, since);
            if (due && (!in->due || due < in->due))
                in->due = due;
            later = due != 0;
        }
        *p = it->next_check;
        if (keep || later) {
            /* Level-triggered and reported: to the back of the line, so
             * that a small maxevents lets every ready item have its turn. */
            still_ready |= keep;
            it->next_check = NULL;
            *kept_tail = it;
            kept_tail = &it->next_check;
        } else {
            it->checking = false;
        }
    }
    bool cut = *p != NULL;
    while (*p)
        p = &(*p)->next_check;
    *p = kept;
    /* Something is left: keep the kernel's epoll fd readable, for the
     * other threads asleep on it and for a program that polls the epoll
     * fd itself -- only then, as a ring is a system call and our own next
     * epoll_wait looks at the kept items anyway. */
    if (cut || (still_ready && (in->nested || __atomic_load_n(&in->sleepers, __ATOMIC_RELAXED))))
        sn_bell_ring(a, in->bell.id);
    return n;
}

/* Drop our own entries from what the kernel returned; bury dead peers. */
static int filter(ep_inst *in, struct epoll_event *ev, int n)
{
    int k = 0;
    for (int i = 0; i < n; i++) {
        uint64_t tag = ev[i].data.u64 & TAG_MASK;
        if (tag == TAG_BELL) {
            if (ev[i].data.u64 == (TAG_BELL | (uint64_t)in->bell.id))
                in->bell_seen = true;   /* drain it even if nobody says rung */
            continue;               /* another process's bell: not ours */
        }
        if (tag == TAG_PID) {
            int proc = (int)(ev[i].data.u64 & 0xffffff);
            if (proc < SN_MAX_PROCS) {
                sn_sock_collect(sn_net(), &proc, 1);
                sn_plock(&in->lock);
                if (in->watched[proc]) {
                    /* The process is gone (or was never ours to bury):
                     * its pidfd stays readable, so out of the set. */
                    REAL(epoll_ctl)(in->epfd, EPOLL_CTL_DEL, in->watched[proc], NULL);
                    in->watched[proc] = 0;
                    in->nwatched--;
                }
                sn_punlock(&in->lock);
            }
            continue;
        }
        ev[k++] = ev[i];
    }
    return k;
}

#define UNWATCHED_NS (200 * 1000000LL)   /* as in poll.c */

static int sim_wait(ep_inst *in, int epfd, struct epoll_event *ev, int max,
                    int64_t timeout_ns, const sigset_t *mask)
{
    if (max <= 0)
        return -EINVAL;
    if (sn_uaccess(ev, (size_t)max * sizeof *ev, true) < 0)
        return -EFAULT;
    int64_t now = timeout_ns < 0 ? 0 : now_ns();
    int64_t deadline = timeout_ns < 0 ? -1 : now + timeout_ns;
    /* A caller that never sleeps (always something ready, or a timeout
     * of 0) would never hear a pidfd: it looks for the dead now and then. */
    sn_arena *a = sn_net();
    sn_net_keep_alive(a);           /* our word must not read dead */
    sn_reap_now_and_then(a, now);
    /* This call's stamp, never 0 (a new item's). */
    uint32_t call = __atomic_add_fetch(&in->calls, 1, __ATOMIC_RELAXED);
    if (call == 0)
        call = __atomic_add_fetch(&in->calls, 1, __ATOMIC_RELAXED);
    for (;;) {
        sn_plock(&in->lock);
        adopt(in);
        int n = collect(in, ev, max, call);
        sn_punlock(&in->lock);
        if (n < max && in->nreal > 0) {
            int r = REAL(epoll_wait)(epfd, ev + n, max - n, 0);
            if (r > 0)
                n += filter(in, ev + n, r);
            /* The bell rang between collect() and this look, and the look
             * took its edge (the bell is edge-triggered): look at the
             * simulated sockets again now.  Left for later, the change
             * would wait for a ring that may never come -- and another
             * thread asleep on this epoll fd (Go's netpoller, while this
             * one polls with timeout 0) is not woken by an edge we took:
             * it would sleep on with the change unseen. */
            if (in->bell_seen && n < max) {
                sn_plock(&in->lock);
                n += collect(in, ev + n, max - n, call);
                sn_punlock(&in->lock);
            }
        }
        int64_t left = deadline < 0 ? -1 : deadline - now_ns();
        if (n > 0 || (deadline >= 0 && left <= 0))
            return n;
        struct timespec ts, *tsp = NULL;
        if (left >= 0) {
            ts.tv_sec = left / 1000000000LL;
            ts.tv_nsec = left % 1000000000LL;
            tsp = &ts;
        }
        sn_plock(&in->lock);
        watch_processes(in);
        /* A peer we have no pidfd for: wake every 200 ms to look whether
         * it died (the loop comes back here). */
        if (in->unwatched && (left < 0 || left > UNWATCHED_NS)) {
            ts = (struct timespec){0, UNWATCHED_NS};
            tsp = &ts;
            left = UNWATCHED_NS;
        }
        if (in->due) {
            int64_t until = in->due - now_ns() + 1000000;   /* just past it */
            if (until < 0)
                until = 0;
            if (left < 0 || until < left) {
                ts.tv_sec = until / 1000000000LL;
                ts.tv_nsec = until % 1000000000LL;
                tsp = &ts;
            }
        }
        sn_punlock(&in->lock);
        __atomic_add_fetch(&in->sleepers, 1, __ATOMIC_SEQ_CST);
        int r = REAL(epoll_pwait2)(epfd, ev, max, tsp, mask);
        __atomic_sub_fetch(&in->sleepers, 1, __ATOMIC_SEQ_CST);
        if (r < 0)
            return -errno;
        n = filter(in, ev, r);
        if (n > 0) {
            sn_plock(&in->lock);
            n += collect(in, ev + n, max - n, call);
            sn_punlock(&in->lock);
            return n;
        }
    }
}

int epoll_pwait2(int epfd, struct epoll_event *ev, int max,
                 const struct timespec *tmo, const sigset_t *mask)
{
    ep_inst *in = inst_of(epfd);
    if (!in)
        return REAL(epoll_pwait2)(epfd, ev, max, tmo, mask);
    int64_t ns = -1;
    if (tmo) {
        if (sn_uaccess(tmo, sizeof *tmo, false) < 0)
            return (int)SN_RET(epfd, -EFAULT);
        if (tmo->tv_sec < 0 || tmo->tv_nsec < 0 || tmo->tv_nsec >= 1000000000L)
            return (int)SN_RET(epfd, -EINVAL);
        ns = tmo->tv_sec * 1000000000LL + tmo->tv_nsec;
    }
    return (int)SN_RET(epfd, sim_wait(in, epfd, ev, max, ns, mask));
}

int epoll_pwait(int epfd, struct epoll_event *ev, int max, int timeout,
                const sigset_t *mask)
{
    ep_inst *in = inst_of(epfd);
    if (!in)
        return REAL(epoll_pwait)(epfd, ev, max, timeout, mask);
    return (int)SN_RET(epfd, sim_wait(in, epfd, ev, max,
                                timeout < 0 ? -1 : timeout * 1000000LL, mask));
}

int epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout)
{
    ep_inst *in = inst_of(epfd);
    if (!in)
        return REAL(epoll_wait)(epfd, ev, max, timeout);
    return (int)SN_RET(epfd, sim_wait(in, epfd, ev, max,
                                timeout < 0 ? -1 : timeout * 1000000LL, NULL));
}
