/* The Internet checksum (see cksum.h).  Byte order: the sum is taken over
 * big-endian words, so the folded result is stored big-endian too. */
#include "core/cksum.h"

uint32_t sn_cksum_add(uint32_t sum, const void *p, size_t len, size_t *done)
{
    const uint8_t *b = p;
    uint64_t s = sum;
    size_t i = 0;
    if (*done & 1 && len) {             /* finish the word begun before */
        s += b[0];
        i = 1;
    }
    for (; i + 1 < len; i += 2)
        s += (uint32_t)b[i] << 8 | b[i + 1];
    if (i < len)
        s += (uint32_t)b[i] << 8;
    *done += len;
    while (s >> 32)
        s = (s & 0xffffffffu) + (s >> 32);
    /* keep room for more: fold to 17 bits at most */
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    return (uint32_t)s;
}

uint32_t sn_cksum_iov(uint32_t sum, sn_iovc *c, size_t len, size_t *done)
{
    uint8_t buf[512];
    while (len) {
        size_t n = len < sizeof buf ? len : sizeof buf;
        n = sn_iovc_read(c, buf, n);
        if (!n)
            break;
        sum = sn_cksum_add(sum, buf, n, done);
        len -= n;
    }
    return sum;
}

uint16_t sn_cksum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}
