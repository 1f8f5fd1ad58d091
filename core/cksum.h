/* The Internet checksum (RFC 1071): a ones' complement sum of 16-bit
 * words, folded.  Sums are carried unfolded in 32 bits so pieces (a
 * pseudo-header, a header, a payload in several buffers) add up. */
#ifndef SN_CKSUM_H
#define SN_CKSUM_H

#include <stddef.h>
#include <stdint.h>

#include "core/iov.h"

/* Add len bytes at p to sum; *done counts the bytes summed so far (odd:
 * p's first byte is the low half of a word begun before). */
uint32_t sn_cksum_add(uint32_t sum, const void *p, size_t len, size_t *done);
/* The same over the next len bytes of a cursor (which advances). */
uint32_t sn_cksum_iov(uint32_t sum, sn_iovc *c, size_t len, size_t *done);
/* Fold and complement: the value a header carries. */
uint16_t sn_cksum_fold(uint32_t sum);

#endif
