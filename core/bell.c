#include "core/bell.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <time.h>
#include <stdio.h>
#include <string.h>

#include "core/sock.h"
#include "core/sys_linux.h"

int sn_bell_alloc(sn_arena *a, bool queued)
{
    sn_hdr *h = a->hdr;
    int id = -ENOSPC;
    sn_arena_lock(a);
    for (uint32_t i = 0; i < h->bell_hwm; i++)
        if (a->bells[i].owner < 0) {
            id = (int)i + 1;
            break;
        }
    if (id < 0 && h->bell_hwm < SN_MAX_BELLS) {
        if (sn_arena_reserve_bells(a, h->bell_hwm) < 0) {
            sn_arena_unlock(a);
            return -ENOMEM;     /* no room in the file system */
        }
        sn_lock_init(&a->bells[h->bell_hwm].qlock);   /* once per entry */
        id = (int)++h->bell_hwm;
    }
    if (id > 0) {
        sn_bell *b = &a->bells[id - 1];
        b->owner = a->proc;
        b->queued = queued;
        b->overflow = 0;
        b->qhead = b->qlen = 0;
        atomic_store(&b->pending, 0);
        atomic_fetch_add(&b->gen, 1);
    }
    sn_arena_unlock(a);
    return id;
}

void sn_bell_free(sn_arena *a, int id)
{
    sn_arena_lock(a);
    a->bells[id - 1].owner = -1;
    sn_arena_unlock(a);
}

void sn_bells_reap(sn_arena *a, int proc)
{
    for (uint32_t i = 0; i < a->hdr->bell_hwm; i++)
        if (a->bells[i].owner == proc)
            a->bells[i].owner = -1;
}

socklen_t sn_bell_name(sn_arena *a, int id, struct sockaddr_un *out)
{
    memset(out, 0, sizeof *out);
    out->sun_family = AF_UNIX;
    /* sun_path[0] == 0: the abstract namespace, no file is created. */
    int n = snprintf(out->sun_path + 1, sizeof out->sun_path - 1,
                     "simnet.%016llx.%d.%u", (unsigned long long)a->hdr->token, id,
                     (unsigned)atomic_load(&a->bells[id - 1].gen));
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

/* `pending` holds when the bell was rung (milliseconds, never 0) until
 * the owner drains it.  A ringer killed between taking the flag and
 * sending would otherwise silence the bell for good: a flag older than
 * RING_STALE_MS is taken again. */
#define RING_STALE_MS 100

static uint32_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    uint32_t ms = (uint32_t)(t.tv_sec * 1000 + t.tv_nsec / 1000000);
    return ms ? ms : 1;
}

/* Made on first use, or ahead of time by a process about to lower its
 * fd limit (preload/sandbox.c). */
int sn_bell_tx_open(sn_arena *a)
{
    if (a->bell_tx >= 0)
        return 0;
    long fd = sn_raw_syscall6(SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, 0, 0, 0);
    if (fd < 0)
        return (int)fd;
    /* Out of the way of the program's own numbering. */
    long hi = a->fd_high > fd
                  ? sn_raw_syscall6(SYS_fcntl, fd, F_DUPFD_CLOEXEC, a->fd_high, 0, 0, 0)
                  : -1;
    if (hi >= 0) {
        sn_sys_close((int)fd);
        fd = hi;
    }
    a->bell_tx = (int)fd;
    return 0;
}

void sn_bell_ring(sn_arena *a, int id)
{
    sn_bell *b = &a->bells[id - 1];
    uint32_t now = now_ms(), old = atomic_load(&b->pending);
    if (old && now - old < RING_STALE_MS)
        return;                         /* rung, not yet drained */
    if (!atomic_compare_exchange_strong(&b->pending, &old, now))
        return;                         /* another ringer took it */
    struct sockaddr_un to;
    socklen_t len = sn_bell_name(a, id, &to);
    char byte = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        sn_bell_tx_open(a);             /* on failure, sendto says EBADF */
        long r = sn_raw_syscall6(SYS_sendto, a->bell_tx, (long)&byte, 1,
                                 MSG_DONTWAIT | MSG_NOSIGNAL, (long)&to, len);
        /* The program may have closed our socket (closefrom) or reused its
         * number: make a new one and try once more. */
        if (r == -EBADF || r == -ENOTSOCK || r == -EPROTOTYPE || r == -EISCONN) {
            a->bell_tx = -1;
            continue;
        }
        break;
    }
}

void sn_bell_rearm(sn_arena *a, int id)
{
    atomic_store(&a->bells[id - 1].pending, 0);
}

/* A socket's bell entry: id << 2 | exclusive << 1 | queued-mark. */
#define ENTRY_ID(v)   ((int)((v) >> 2))
#define ENTRY_EXCL    2u
#define ENTRY_QUEUED  1u

int sn_bell_attach(sn_arena *a, int s, int id, bool exclusive)
{
    sn_sock *k = sn_sock_at(a, s);
    uint32_t v = ((uint32_t)id << 2) | (exclusive ? ENTRY_EXCL : 0u);
    for (int i = 0; i < SN_SOCK_BELLS; i++) {
        uint32_t zero = 0;
        if (atomic_compare_exchange_strong(&k->bells[i], &zero, v)) {
            atomic_fetch_add(&k->nbells, 1);
            return 0;
        }
    }
    return -ENOSPC;
}

void sn_bell_detach(sn_arena *a, int s, int id)
{
    sn_sock *k = sn_sock_at(a, s);
    for (int i = 0; i < SN_SOCK_BELLS; i++) {
        uint32_t v = atomic_load(&k->bells[i]);
        while (v && ENTRY_ID(v) == id) {
            if (atomic_compare_exchange_weak(&k->bells[i], &v, 0)) {
                atomic_fetch_sub(&k->nbells, 1);
                return;
            }
        }
    }
}

static void push(sn_arena *a, int id, int s)
{
    sn_bell *b = &a->bells[id - 1];
    sn_lock(&b->qlock);
    if (b->qlen < SN_BELL_Q)
        b->q[(b->qhead + b->qlen++) % SN_BELL_Q] = s;
    else
        b->overflow = 1;
    sn_unlock(&b->qlock);
}

int sn_bell_pop(sn_arena *a, int id)
{
    sn_bell *b = &a->bells[id - 1];
    int s = -1;
    sn_lock(&b->qlock);
    if (b->overflow) {
        b->overflow = 0;
        b->qlen = 0;
        s = -2;
    } else if (b->qlen) {
        s = b->q[b->qhead];
        b->qhead = (b->qhead + 1) % SN_BELL_Q;
        b->qlen--;
    }
    sn_unlock(&b->qlock);
    if (s >= 0) {
        sn_sock *k = sn_sock_at(a, s);
        for (int i = 0; i < SN_SOCK_BELLS; i++) {
            uint32_t v = atomic_load(&k->bells[i]);
            while (ENTRY_ID(v) == id && (v & ENTRY_QUEUED) &&
                   !atomic_compare_exchange_weak(&k->bells[i], &v, v & ~ENTRY_QUEUED))
                ;
        }
    }
    return s;
}

void sn_bells_ring_sock(sn_arena *a, int s)
{
    sn_sock *k = sn_sock_at(a, s);
    int excl[SN_SOCK_BELLS];
    int nexcl = 0;
    for (int i = 0; i < SN_SOCK_BELLS; i++) {
        uint32_t v = atomic_load(&k->bells[i]);
        if (!v)
            continue;
        int id = ENTRY_ID(v);
        /* Queue the socket once per bell until the owner takes it. */
        if (a->bells[id - 1].queued && !(v & ENTRY_QUEUED) &&
            atomic_compare_exchange_strong(&k->bells[i], &v, v | ENTRY_QUEUED))
            push(a, id, s);
        if (v & ENTRY_EXCL)
            excl[nexcl++] = id;
        else
            sn_bell_ring(a, id);
    }
    /* EPOLLEXCLUSIVE: one waiter of the group is enough; take turns. */
    if (nexcl)
        sn_bell_ring(a, excl[k->excl_rr++ % (uint32_t)nexcl]);
}
