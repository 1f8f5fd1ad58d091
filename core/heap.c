/* The heap of ring buffers inside the arena. */
#include "core/heap.h"

#include <errno.h>

#include "core/mapfile.h"

/* ---- heap: power-of-two blocks, one free list per class ---- */

static int size_class(uint32_t size)
{
    int c = 0;
    while (((uint64_t)1 << (c + SN_HEAP_MIN_SHIFT)) < size)
        c++;
    return c;
}

uint64_t sn_heap_alloc(sn_arena *a, uint32_t size)
{
    int c = size_class(size);
    if (c >= SN_HEAP_CLASSES)
        return 0;
    uint64_t bsize = (uint64_t)1 << (c + SN_HEAP_MIN_SHIFT), off = 0;
    sn_hdr *h = a->hdr;
    sn_lock(&h->heap_lock);
    if (h->heap_free[c]) {
        off = h->heap_free[c];
        h->heap_free[c] = *(uint64_t *)(a->heap + off);
        h->heap_kept = h->heap_kept > bsize ? h->heap_kept - bsize : 0;
    } else if (h->heap_top + bsize <= h->heap_end) {
        off = h->heap_top;
        h->heap_top += bsize;
    }
    sn_unlock(&h->heap_lock);
    return off;
}

void sn_heap_free(sn_arena *a, uint64_t off, uint32_t size)
{
    int c = size_class(size);
    uint64_t bsize = (uint64_t)1 << (c + SN_HEAP_MIN_SHIFT);
    sn_hdr *h = a->hdr;
    /* Plenty kept for reuse already: give this block's memory back (it
     * reads as zeros afterwards; the free-list link is written after). */
    bool punch = __atomic_load_n(&h->heap_kept, __ATOMIC_RELAXED) >= SN_HEAP_KEEP;
    if (punch)
        sn_os_punch(a->heap + off, bsize);
    sn_lock(&h->heap_lock);
    *(uint64_t *)(a->heap + off) = h->heap_free[c];
    h->heap_free[c] = off;
    if (!punch)
        h->heap_kept += bsize;
    sn_unlock(&h->heap_lock);
}

int sn_ring_alloc(sn_arena *a, sn_ring *r, uint32_t cap)
{
    uint64_t off = sn_heap_alloc(a, cap);
    if (!off)
        return -ENOBUFS;
    r->off = off;
    r->cap = cap;
    return 0;
}
