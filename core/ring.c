#include "core/ring.h"

#include <string.h>

/* The two halves of a wrapped region [pos, pos+len) in a ring of cap. */
static inline void split(uint32_t cap, uint32_t pos, uint32_t len,
                         uint32_t *first, uint32_t *start)
{
    *start = pos & (cap - 1);
    *first = cap - *start < len ? cap - *start : len;
}

void sn_ring_put_iov(sn_ring *r, uint8_t *buf, sn_iovc *src, uint32_t len,
                     uint32_t at)
{
    uint32_t in = atomic_load_explicit(&r->in, memory_order_relaxed) + at;
    uint32_t first, start;
    split(r->cap, in, len, &first, &start);
    sn_iovc_read(src, buf + start, first);
    sn_iovc_read(src, buf, len - first);
}

void sn_ring_put(sn_ring *r, uint8_t *buf, const void *src, uint32_t len,
                 uint32_t at)
{
    uint32_t in = atomic_load_explicit(&r->in, memory_order_relaxed) + at;
    uint32_t first, start;
    split(r->cap, in, len, &first, &start);
    memcpy(buf + start, src, first);
    memcpy(buf, (const uint8_t *)src + first, len - first);
}

void sn_ring_publish(sn_ring *r, uint32_t len)
{
    /* Pairs with the acquire load of `in` in sn_ring_used(). */
    atomic_fetch_add_explicit(&r->in, len, memory_order_release);
}

void sn_ring_get_iov(const sn_ring *r, const uint8_t *buf, uint32_t skip,
                     sn_iovc *dst, uint32_t len)
{
    uint32_t out = atomic_load_explicit(&r->out, memory_order_relaxed) + skip;
    uint32_t first, start;
    split(r->cap, out, len, &first, &start);
    sn_iovc_write(dst, buf + start, first);
    sn_iovc_write(dst, buf, len - first);
}

void sn_ring_get(const sn_ring *r, const uint8_t *buf, uint32_t skip,
                 void *dst, uint32_t len)
{
    uint32_t out = atomic_load_explicit(&r->out, memory_order_relaxed) + skip;
    uint32_t first, start;
    split(r->cap, out, len, &first, &start);
    memcpy(dst, buf + start, first);
    memcpy((uint8_t *)dst + first, buf, len - first);
}

void sn_ring_shift(sn_ring *r, uint8_t *buf, uint32_t skip, uint32_t len, uint32_t by)
{
    uint32_t mask = r->cap - 1;
    uint32_t end = atomic_load_explicit(&r->out, memory_order_relaxed) + skip + len;
    /* From the end back, one stretch at a time that is contiguous at both
     * places: what a stretch overwrites lies past every byte still to be
     * moved, so nothing is overwritten before it is read. */
    while (len) {
        uint32_t src = (end - 1) & mask, dst = (end + by - 1) & mask;
        uint32_t n = src < dst ? src + 1 : dst + 1;
        if (n > len)
            n = len;
        memmove(buf + dst + 1 - n, buf + src + 1 - n, n);
        end -= n;
        len -= n;
    }
}

void sn_ring_consume(sn_ring *r, uint32_t len)
{
    /* Pairs with the acquire load of `out` in sn_ring_space(): the
     * producer may overwrite these bytes only after it sees this store. */
    atomic_fetch_add_explicit(&r->out, len, memory_order_release);
}
