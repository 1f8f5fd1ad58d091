/* Reserving arena memory before it is touched, and the heap of ring
 * buffers (heap.c): power-of-two blocks with free lists per size class,
 * under hdr->heap_lock (a leaf lock), named by their offset from the
 * arena's base (0 is "none").  Internal to core: arena.c's tables use the
 * reservations, rings (stream.c, dgram.c) the heap.
 *
 * The arena file is sparse: a page of it costs room in its file system
 * only once touched, and touching one the file system has no room for
 * raises SIGBUS.  So every range is reserved (populated for writing)
 * before the first store into it, and a full file system fails the
 * reservation instead: the call that needed the memory fails with ENOBUFS
 * or ENOMEM, as Linux's do when socket memory runs out.  Reservations are
 * made when a table chunk is allocated, and for a ring as its first pass
 * reaches memory not yet reserved, by doubling: a handful of system calls
 * in a ring's life, none once it has wrapped.
 */
#ifndef SN_HEAP_H
#define SN_HEAP_H

#include <stdint.h>

#include "core/layout.h"
#include "core/ring.h"

/* How sn_arena_reserve may make room when the file system has none
 * (flags): */
enum {
    SN_RESERVE_ONLY = 0,        /* not at all (the header is not written yet) */
    SN_RESERVE_TRIM = 1,        /* give back the pages of resident free heap
                                   blocks and try once more (takes heap_lock) */
    SN_RESERVE_TRIM_HELD = 3,   /* the same, the caller holds heap_lock */
    SN_RESERVE_QUIET = 4,       /* a failure is not recorded: the caller
                                   will try something smaller */
};

/* Reserve [off, off + len) of the arena for writing.  0, or -ENOMEM with
 * the failure recorded in a->room (for the SIMNET_DEBUG trace).  What a
 * failure found is not given back (a table's chunk may share its first
 * page with entries in use): the caller does that where it can. */
int sn_arena_reserve(sn_arena *a, uint64_t off, uint64_t len, const char *what,
                     int how);

/* Heap blocks: power-of-two size class, offset from base; 0 on failure
 * (no room in the file system, or the arena's address space is used up).
 * *room: how many bytes from the block's start are reserved (at least its
 * first page); the rest is reserved before it is written.  Freeing passes
 * the room back. */
uint64_t sn_heap_alloc(sn_arena *a, uint32_t size, uint32_t *room);
void     sn_heap_free(sn_arena *a, uint64_t off, uint32_t size, uint32_t room);
/* A ring of `cap` bytes (a power of two) for r: 0, or -ENOBUFS when the
 * heap is exhausted or the file system holding the arena has no room.
 * Only the start of the buffer is reserved: writers reserve the rest as
 * they reach it (sn_ring_writable). */
int      sn_ring_alloc(sn_arena *a, sn_ring *r, uint32_t cap);

/* How many of the next len bytes written at r's `in` may be written:
 * len, after reserving more of the ring if needed; fewer (down to 0) when
 * the file system has no room.  The producer's lock (rx_prod) held. */
uint32_t sn_ring_grow(sn_arena *a, sn_ring *r, uint32_t len);
static inline uint32_t sn_ring_writable(sn_arena *a, sn_ring *r, uint32_t len)
{
    return __builtin_expect(r->room == r->cap, 1) ? len : sn_ring_grow(a, r, len);
}

#endif
