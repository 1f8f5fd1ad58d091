/* A cursor over a user iovec array, so that one copy loop serves read,
 * readv, recvmsg and their send twins.  The preload layer has already
 * checked that every byte the cursor may touch is mapped. */
#ifndef SN_IOV_H
#define SN_IOV_H

#include <stddef.h>
#include <sys/uio.h>

typedef struct sn_iovc {
    const struct iovec *iov;
    int    n;       /* entries in iov */
    int    i;       /* current entry */
    size_t off;     /* offset inside iov[i] */
} sn_iovc;

void   sn_iovc_init(sn_iovc *c, const struct iovec *iov, int n);
size_t sn_iov_total(const struct iovec *iov, int n);
/* Copy up to len bytes out of the cursor into dst / into the cursor from
 * src, advancing it; returns the bytes copied (less at the end of iov). */
size_t sn_iovc_read(sn_iovc *c, void *dst, size_t len);
size_t sn_iovc_write(sn_iovc *c, const void *src, size_t len);
size_t sn_iovc_skip(sn_iovc *c, size_t len);

#endif
