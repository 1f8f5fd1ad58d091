/* Reserving arena memory (see heap.h) and the heap: power-of-two blocks,
 * one set of free lists per size class.
 *
 * A block is reserved from its start: its first page when it is handed
 * out, the rest as its ring is first written (sn_ring_writable), so a
 * ring that carries little costs little, as when pages were only touched.
 * `room` says how much of it is reserved.  A free block is kept with its
 * room (heap_free) for the next ring of its size while less than
 * heap_keep bytes are; beyond that its pages go back to the file system
 * (heap_holes), all but the first, which holds the free-list link and
 * room: writing them into a page given back would need room again. */
#include "core/heap.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <unistd.h>

#include "core/mapfile.h"

#define BLOCK(c) ((uint64_t)1 << ((c) + SN_HEAP_MIN_SHIFT))

static uint64_t page_size(void) { return (uint64_t)getpagesize(); }

/* The head of a free block. */
typedef struct free_block {
    uint64_t next;
    uint32_t room;
} free_block;

static free_block *fb(sn_arena *a, uint64_t off) { return (free_block *)(a->heap + off); }

static uint32_t first_page(int c)
{
    return BLOCK(c) < page_size() ? (uint32_t)BLOCK(c) : (uint32_t)page_size();
}

static long populate(sn_arena *a, uint64_t off, uint64_t len)
{
    uint64_t pg = page_size(), lo = off & ~(pg - 1), hi = (off + len + pg - 1) & ~(pg - 1);
    return sn_os_reserve(a->base + lo, hi - lo);
}

/* No room: give back the pages of the resident free blocks, moving them
 * to the holes.  True if there were any.  heap_lock held. */
static bool trim(sn_arena *a)
{
    sn_hdr *h = a->hdr;
    uint64_t pg = page_size(), off;
    bool any = false;
    for (int c = 0; c < SN_HEAP_CLASSES; c++) {
        while (BLOCK(c) > pg && (off = h->heap_free[c])) {
            free_block *b = fb(a, off);
            h->heap_free[c] = b->next;
            h->heap_kept = h->heap_kept > b->room ? h->heap_kept - b->room : 0;
            if (b->room > pg) {
                sn_os_punch(a->heap + off + pg, BLOCK(c) - pg);
                any = true;
            }
            b->room = (uint32_t)pg;
            b->next = h->heap_holes[c];
            h->heap_holes[c] = off;
        }
    }
    return any;
}

int sn_arena_reserve(sn_arena *a, uint64_t off, uint64_t len, const char *what,
                     int how)
{
    long r = populate(a, off, len);
    bool held = (how & SN_RESERVE_TRIM_HELD) == SN_RESERVE_TRIM_HELD;
    if (r < 0 && (how & SN_RESERVE_TRIM)) {
        if (!held)
            sn_lock(&a->hdr->heap_lock);
        bool again = trim(a);
        if (!held)
            sn_unlock(&a->hdr->heap_lock);
        if (again)
            r = populate(a, off, len);
    }
    if (r == 0)
        return 0;
    if (how & SN_RESERVE_QUIET)
        return -ENOMEM;
    a->room.err = (int)-r;
    a->room.bytes = len;
    a->room.what = what;
    atomic_fetch_add(&a->room.fails, 1);
    return -ENOMEM;
}

static int size_class(uint32_t size)
{
    int c = 0;
    while (BLOCK(c) < size)
        c++;
    return c;
}

/* A block of class c, at least its first page reserved (*room says how
 * much); 0 if the file system has no room for that or the arena is used
 * up.  heap_lock held. */
static uint64_t take(sn_arena *a, int c, uint32_t *room)
{
    sn_hdr *h = a->hdr;
    uint64_t off;
    uint32_t first = first_page(c);
    if ((off = h->heap_free[c])) {
        free_block *b = fb(a, off);
        h->heap_free[c] = b->next;
        *room = b->room;
        h->heap_kept = h->heap_kept > b->room ? h->heap_kept - b->room : 0;
    } else if ((off = h->heap_holes[c])) {
        h->heap_holes[c] = fb(a, off)->next;    /* its first page stayed */
        *room = first;
    } else if (h->heap_top + BLOCK(c) <= h->heap_end) {
        off = h->heap_top;
        if (sn_arena_reserve(a, off, first, "a ring", SN_RESERVE_TRIM_HELD) < 0) {
            sn_os_punch(a->heap + off, first);
            return 0;
        }
        h->heap_top += BLOCK(c);
        *room = first;
    }
    return off;
}

uint64_t sn_heap_alloc(sn_arena *a, uint32_t size, uint32_t *room)
{
    int c = size_class(size);
    if (c >= SN_HEAP_CLASSES)
        return 0;
    sn_lock(&a->hdr->heap_lock);
    uint64_t off = take(a, c, room);
    sn_unlock(&a->hdr->heap_lock);
    return off;
}

void sn_heap_free(sn_arena *a, uint64_t off, uint32_t size, uint32_t room)
{
    int c = size_class(size);
    uint64_t pg = page_size();
    sn_hdr *h = a->hdr;
    /* Plenty kept for reuse already: give this block's memory back. */
    bool punch = BLOCK(c) > pg &&
                 __atomic_load_n(&h->heap_kept, __ATOMIC_RELAXED) >= h->heap_keep;
    if (punch && room > pg)
        sn_os_punch(a->heap + off + pg, BLOCK(c) - pg);
    sn_lock(&h->heap_lock);
    uint64_t *list = punch ? &h->heap_holes[c] : &h->heap_free[c];
    free_block *b = fb(a, off);
    b->next = *list;
    b->room = punch ? (uint32_t)pg : room;
    *list = off;
    if (!punch)
        h->heap_kept += room;
    sn_unlock(&h->heap_lock);
}

/* A failed reservation may have found some of the pages: give them back,
 * so that what is reserved is exactly room (page-aligned: a ring's room
 * and capacity are whole pages). */
static int grow_to(sn_arena *a, sn_ring *r, uint32_t to, int quiet)
{
    if (sn_arena_reserve(a, r->off + r->room, to - r->room, "a ring",
                         SN_RESERVE_TRIM | quiet) < 0) {
        sn_os_punch(a->heap + r->off + r->room, to - r->room);
        return -ENOMEM;
    }
    r->room = to;
    return 0;
}

uint32_t sn_ring_grow(sn_arena *a, sn_ring *r, uint32_t len)
{
    uint64_t pg = page_size();
    uint32_t pos = atomic_load_explicit(&r->in, memory_order_relaxed) & (r->cap - 1);
    uint64_t end = (uint64_t)pos + len;
    uint32_t need = end > r->cap ? r->cap : (uint32_t)((end + pg - 1) & ~(pg - 1));
    if (need > r->cap)
        need = r->cap;
    if (need > r->room) {
        /* Double, so that a ring's first pass costs few reservations;
         * short of room for that, what this write needs. */
        uint32_t want = r->room * 2 > need ? r->room * 2 : need;
        if (want > r->cap)
            want = r->cap;
        if (want == need)
            grow_to(a, r, need, 0);
        else if (grow_to(a, r, want, SN_RESERVE_QUIET) < 0)
            grow_to(a, r, need, 0);
    }
    if (r->room == r->cap || end <= r->room)
        return len;
    return pos < r->room ? r->room - pos : 0;
}

int sn_ring_alloc(sn_arena *a, sn_ring *r, uint32_t cap)
{
    uint32_t room;
    uint64_t off = sn_heap_alloc(a, cap, &room);
    if (!off)
        return -ENOBUFS;
    r->off = off;
    r->cap = cap;
    r->room = room;
    return 0;
}
