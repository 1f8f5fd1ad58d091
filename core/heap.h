/* The arena's heap: ring buffers, in power-of-two blocks with one free
 * list per size class, under hdr->heap_lock (a leaf lock).  Blocks are
 * named by their offset from the arena's base; 0 is "none". */
#ifndef SN_HEAP_H
#define SN_HEAP_H

#include <stdint.h>

#include "core/arena.h"
#include "core/ring.h"

uint64_t sn_heap_alloc(sn_arena *a, uint32_t size);     /* 0 on failure */
void     sn_heap_free(sn_arena *a, uint64_t off, uint32_t size);
/* A ring of `cap` bytes (a power of two) for r: 0, or -ENOBUFS when the
 * heap is exhausted. */
int      sn_ring_alloc(sn_arena *a, sn_ring *r, uint32_t cap);

#endif
