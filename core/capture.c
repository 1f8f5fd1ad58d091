/* The capture ring (see capture.h).
 *
 * Records are 32-byte aligned and never wrap: one that would cross the end
 * of the buffer is preceded by a padding record to the end.  Each starts
 * with a header; `commit` is 0 while the record is written and
 * COMMIT ^ (position / 32) once it is whole, so a word left from an
 * earlier lap never passes for a commit (the header, zeroed commit
 * included, is written under the lock before `head` moves past it). */
#include "core/capture.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/alive.h"
#include "core/heap.h"
#include "core/lock.h"

#define ALIGN  32u
#define COMMIT 0x5a17cafeu
#define F_PAD  1u

typedef struct rec_hdr {
    _Atomic uint32_t commit;
    uint32_t len;       /* packet bytes that follow */
    uint32_t flags;     /* F_PAD: nothing to read, skip to the end */
    int32_t  pid;       /* the writer, for the reader's patience */
    uint64_t ns;
    uint64_t spare;
} rec_hdr;
_Static_assert(sizeof(rec_hdr) == ALIGN, "one header per alignment unit");

static uint32_t commit_word(uint64_t pos) { return COMMIT ^ (uint32_t)(pos / ALIGN); }
static uint32_t rec_size(uint32_t len) { return (uint32_t)sizeof(rec_hdr) + ((len + ALIGN - 1) & ~(ALIGN - 1)); }

static rec_hdr *rec_at(sn_arena *a, uint64_t pos)
{
    sn_cap *c = &a->hdr->cap;
    return (rec_hdr *)(a->heap + c->off + (pos & (c->cap - 1)));
}

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Is the process that wrote a record (or attached as the reader) still
 * there?  A zombie is not. */
static bool writer_alive(int pid)
{
    return pid > 0 && (sn_os_start_time(pid) != 0 || sn_os_pid_exists_blind(pid));
}

/* Room for a record of len bytes: its header, or NULL (dropped).  Lock
 * held.  Pads to the end of the buffer first when it would wrap. */
static rec_hdr *reserve(sn_arena *a, uint32_t len, uint64_t *at)
{
    sn_cap *c = &a->hdr->cap;
    uint32_t size = rec_size(len);
    if (!c->off || c->closed || size > c->cap / 2)
        return NULL;
    uint64_t pos = atomic_load_explicit(&c->head, memory_order_relaxed);
    uint64_t tail = atomic_load_explicit(&c->tail, memory_order_acquire);
    uint32_t off = (uint32_t)(pos & (c->cap - 1));
    uint32_t pad = off + size > c->cap ? c->cap - off : 0;
    if (pos + pad + size - tail > c->cap)
        return NULL;
    if (pad) {
        rec_hdr *p = rec_at(a, pos);
        p->len = pad - (uint32_t)sizeof *p;
        p->flags = F_PAD;
        p->pid = 0;
        atomic_store_explicit(&p->commit, commit_word(pos), memory_order_relaxed);
        pos += pad;
    }
    rec_hdr *r = rec_at(a, pos);
    atomic_store_explicit(&r->commit, 0, memory_order_relaxed);
    r->len = len;
    r->flags = 0;
    r->pid = getpid();
    uint64_t ns = now_ns();
    r->ns = c->last_ns = ns > c->last_ns ? ns : c->last_ns;   /* monotonic */
    *at = pos;
    atomic_store_explicit(&c->head, pos + size, memory_order_release);
    return r;
}

void sn_cap_append(sn_arena *a, const uint8_t *hdr, uint32_t hlen,
                   const sn_iovc *payload, uint32_t plen)
{
    sn_cap *c = &a->hdr->cap;
    uint64_t pos = 0;
    sn_lock(&c->lock);
    rec_hdr *r = reserve(a, hlen + plen, &pos);
    bool closed = c->closed;
    sn_unlock(&c->lock);
    if (!r) {
        if (!closed)
            atomic_fetch_add_explicit(&c->drops, 1, memory_order_relaxed);
        return;
    }
    uint8_t *body = (uint8_t *)(r + 1);
    memcpy(body, hdr, hlen);
    if (plen) {
        sn_iovc p = *payload;
        sn_iovc_read(&p, body + hlen, plen);
    }
    atomic_store_explicit(&r->commit, commit_word(pos), memory_order_release);
}

uint16_t sn_cap_ident(sn_arena *a)
{
    return __atomic_fetch_add(&a->hdr->cap.ident, 1, __ATOMIC_RELAXED);
}

void sn_cap_reserve_only(sn_arena *a, uint32_t len)
{
    uint64_t pos;
    sn_lock(&a->hdr->cap.lock);
    reserve(a, len, &pos);
    sn_unlock(&a->hdr->cap.lock);
}

/* The reader's memory of the record it is waiting for. */
static __thread struct { uint64_t pos, since; } waiting = {~0ull, 0};

int sn_cap_start(sn_arena *a, uint32_t bytes)
{
    waiting.pos = ~0ull;                /* positions start again at 0 */
    sn_cap *c = &a->hdr->cap;
    if (bytes < SN_CAP_MIN || bytes > SN_CAP_DEFAULT || (bytes & (bytes - 1)))
        return -EINVAL;
    int r = 0;
    sn_lock(&c->lock);
    if (atomic_load(&c->on) && c->reader != getpid() && writer_alive(c->reader)) {
        r = -EBUSY;
    } else {
        atomic_store(&c->on, 0);
        if (c->off && c->stalled)
            bytes = c->cap;             /* that block stays the ring */
        if (c->off && c->cap != bytes) {
            sn_heap_free(a, c->off, c->cap, c->cap);
            c->off = 0;
        }
        uint32_t room = 0;
        if (!c->off && (c->off = sn_heap_alloc(a, bytes, &room)) != 0 &&
            room < bytes &&
            sn_arena_reserve(a, c->off, bytes, "capture ring", SN_RESERVE_TRIM) < 0) {
            sn_heap_free(a, c->off, bytes, room);
            c->off = 0;
        }
        if (!c->off) {
            r = -ENOMEM;
        } else {
            c->cap = bytes;
            memset(a->heap + c->off, 0, bytes);
            atomic_store(&c->head, 0);
            atomic_store(&c->tail, 0);
            atomic_store(&c->drops, 0);
            c->reader = getpid();
            c->closed = 0;
            atomic_store(&c->on, 1);
        }
    }
    sn_unlock(&c->lock);
    return r;
}

void sn_cap_stop(sn_arena *a)
{
    sn_cap *c = &a->hdr->cap;
    atomic_store(&c->on, 0);
    /* Senders that saw `on` a moment ago reserve no more: once the
     * reader has read up to head, nobody writes into the ring. */
    sn_lock(&c->lock);
    c->closed = 1;
    sn_unlock(&c->lock);
}

void sn_cap_release(sn_arena *a)
{
    sn_cap *c = &a->hdr->cap;
    sn_lock(&c->lock);
    if (c->reader == getpid()) {
        atomic_store(&c->on, 0);
        c->closed = 1;
        /* A writer given up on while alive (stopped?) may still write:
         * then the block stays the ring's, for good. */
        if (c->off && !c->stalled) {
            sn_heap_free(a, c->off, c->cap, c->cap);
            c->off = 0;
        }
        c->reader = 0;
    }
    sn_unlock(&c->lock);
}

uint64_t sn_cap_drops(const sn_arena *a)
{
    return atomic_load(&a->hdr->cap.drops);
}

int sn_cap_read(sn_arena *a, sn_cap_rec *rec, uint8_t *buf, uint32_t max,
                uint64_t give_up_ns, uint64_t *torn)
{
    sn_cap *c = &a->hdr->cap;
    for (;;) {
        uint64_t pos = atomic_load_explicit(&c->tail, memory_order_relaxed);
        if (!c->off || pos == atomic_load_explicit(&c->head, memory_order_acquire))
            return 0;
        rec_hdr *r = rec_at(a, pos);
        uint32_t size = rec_size(r->len);
        if (r->flags & F_PAD)
            size = r->len + (uint32_t)sizeof *r;
        if (atomic_load_explicit(&r->commit, memory_order_acquire) != commit_word(pos)) {
            uint64_t t = now_ns();
            if (waiting.pos != pos) {
                waiting.pos = pos;
                waiting.since = t;
            }
            /* a writer is usually done within microseconds: look at
             * its liveness (a /proc read) only after a while */
            if (t - waiting.since < give_up_ns / 16 ||
                (t - waiting.since < give_up_ns && writer_alive(r->pid)))
                return -EAGAIN;
            if (torn)
                ++*torn;                /* its writer died mid-record */
            if (writer_alive(r->pid))
                c->stalled = 1;         /* ... or stopped: see release */
        } else if (!(r->flags & F_PAD)) {
            rec->ns = r->ns;
            rec->len = r->len < max ? r->len : max;
            memcpy(buf, r + 1, rec->len);
        }
        bool got = atomic_load_explicit(&r->commit, memory_order_relaxed) ==
                   commit_word(pos) && !(r->flags & F_PAD);
        atomic_store_explicit(&r->commit, 0, memory_order_relaxed);
        atomic_store_explicit(&c->tail, pos + size, memory_order_release);
        waiting.pos = ~0ull;
        if (got)
            return 1;
    }
}
