/* Byte ring in shared memory: power-of-two capacity, free-running 32-bit
 * indices (in - out is the fill level, wrap-around is free).
 *
 * Locking contract, as in the kernel's kfifo: one producer and one consumer
 * may run at once without a lock.  Several producers serialise on the
 * owning socket's rx_prod lock, several consumers on rx_cons.
 * `in` is stored with release after the bytes are copied and loaded with
 * acquire before reading them (and the same for `out` and free space).
 *
 * The buffer is found by offset from the arena's heap: the mapping sits at
 * a different address in every process.
 */
#ifndef SN_RING_H
#define SN_RING_H

#include <stdatomic.h>
#include <stdint.h>

#include "core/iov.h"

typedef struct sn_ring {
    uint64_t         off;   /* heap offset of the buffer; 0: not allocated */
    uint32_t         cap;   /* bytes, power of two; 0: not allocated */
    uint32_t         room;  /* bytes from the buffer's start whose memory
                               is reserved (core/heap.h); cap once the
                               first pass is done */
    _Atomic uint32_t in;    /* written by the producer */
    _Atomic uint32_t out;   /* written by the consumer */
} sn_ring;

static inline uint32_t sn_ring_used(const sn_ring *r)
{
    return atomic_load_explicit(&r->in, memory_order_acquire) -
           atomic_load_explicit(&r->out, memory_order_acquire);
}

static inline uint32_t sn_ring_space(const sn_ring *r)
{
    return r->cap - sn_ring_used(r);
}

/* Copy len bytes from the cursor / a flat buffer into the ring `at` bytes
 * past `in`; the caller checked the space.  Nothing is visible to the
 * consumer until sn_ring_publish advances `in`, so a record made of
 * several pieces appears whole. */
void sn_ring_put_iov(sn_ring *r, uint8_t *buf, sn_iovc *src, uint32_t len,
                     uint32_t at);
void sn_ring_put(sn_ring *r, uint8_t *buf, const void *src, uint32_t len,
                 uint32_t at);
void sn_ring_publish(sn_ring *r, uint32_t len);

/* Copy len bytes starting `skip` bytes past `out` into the cursor / a flat
 * buffer, without consuming them. */
void sn_ring_get_iov(const sn_ring *r, const uint8_t *buf, uint32_t skip,
                     sn_iovc *dst, uint32_t len);
void sn_ring_get(const sn_ring *r, const uint8_t *buf, uint32_t skip,
                 void *dst, uint32_t len);
void sn_ring_consume(sn_ring *r, uint32_t len);

/* Move the len bytes that start `skip` past `out` by `by` bytes towards
 * `in`, into space the producer checked and reserved, so that something
 * can be written in the gap (sn_ring_put with `at` = the gap's start
 * minus `in`, modulo 2^32).  The caller holds both the producer's and
 * the consumer's lock: bytes move under the consumer's feet. */
void sn_ring_shift(sn_ring *r, uint8_t *buf, uint32_t skip, uint32_t len, uint32_t by);

#endif
