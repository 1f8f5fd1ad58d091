/* The capture ring: one per network, in the arena's heap.  While a reader
 * is attached, every sender appends each packet it sends, once; the
 * reader (scripts/capture.c) drains the ring to a pcap file.
 *
 * Many writers, one reader, no blocking: a writer reserves room and takes
 * its timestamp under cap.lock (so the ring's order is the order of the
 * timestamps), copies its packet without the lock, and publishes it with
 * the record's commit word.  The reader reads committed records in order;
 * one left uncommitted by a writer that died is skipped once that
 * writer is gone, so a killed program never leaves a torn record.  A full
 * ring drops the packet and counts it: the data path never waits for the
 * reader.
 */
#ifndef SN_CAPTURE_H
#define SN_CAPTURE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/iov.h"

#define SN_CAP_DEFAULT (16u << 20)   /* bytes of ring: the heap's largest */
#define SN_CAP_MIN     (64u << 10)

/* Whether senders record: one relaxed load on the data path. */
static inline bool sn_cap_on(const sn_arena *a)
{
    return __builtin_expect(
        atomic_load_explicit(&a->hdr->cap.on, memory_order_relaxed), 0);
}

/* Append one packet: hlen bytes of headers, then plen bytes of payload
 * from a copy of *payload.  Dropped (and counted) when the ring is full. */
void sn_cap_append(sn_arena *a, const uint8_t *hdr, uint32_t hlen,
                   const sn_iovc *payload, uint32_t plen);
/* The next IPv4 identification (for the headers sn_cap_append takes). */
uint16_t sn_cap_ident(sn_arena *a);

/* ---- the reader ---- */

/* Attach as the network's reader with a ring of `bytes` (a power of two,
 * SN_CAP_MIN..SN_CAP_DEFAULT): 0, -EBUSY when another live reader is
 * attached, -ENOMEM without heap room. */
int  sn_cap_start(sn_arena *a, uint32_t bytes);
/* Stop recording (what is in the ring can still be read). */
void sn_cap_stop(sn_arena *a);
/* Detach: the ring goes back to the heap. */
void sn_cap_release(sn_arena *a);

typedef struct sn_cap_rec {
    uint64_t ns;     /* CLOCK_REALTIME when it was sent */
    uint32_t len;    /* bytes copied into buf */
} sn_cap_rec;

/* The next record, copied into buf (max bytes; a longer packet is cut):
 *   1  a record (rec filled), consumed
 *   0  nothing to read
 *  -EAGAIN  the next record is still being written; `give_up_ns` after
 *           the first such answer for this record, or at once when its
 *           writer is dead, it is skipped (counted in *torn) and the
 *           next one is looked at. */
int sn_cap_read(sn_arena *a, sn_cap_rec *rec, uint8_t *buf, uint32_t max,
                uint64_t give_up_ns, uint64_t *torn);
uint64_t sn_cap_drops(const sn_arena *a);

/* For tests: reserve a record and never commit it, as a writer killed
 * between its reservation and its commit would. */
void sn_cap_reserve_only(sn_arena *a, uint32_t len);

#endif
