/* Checking user pointers before core copies through them.  The kernel
 * answers EFAULT for a buffer that is not mapped (or not writable, for
 * output); a library that just memcpy'd would crash the program instead.
 *
 * A range is checked by having the kernel copy one byte of each page with
 * process_vm_readv (and write it back with process_vm_writev for output
 * buffers).  Ranges that passed are remembered for the process (1,024
 * entries each way, by first page), so a program that reuses its buffers
 * pays for the check once per buffer.  The cache can go stale
 * if the program unmaps a buffer and passes it again: then, as with any
 * use of freed memory, the copy may fault.
 */
#ifndef SN_UACCESS_H
#define SN_UACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/uio.h>

int sn_uaccess(const void *p, size_t len, bool write);   /* 0 or -EFAULT */
int sn_uaccess_iov(const struct iovec *iov, int n, bool write);
/* Copy a user sockaddr in: -EINVAL for a bad length, -EFAULT. */
int sn_copy_sockaddr_in(struct sockaddr_storage *dst, const struct sockaddr *src,
                        socklen_t len);
/* Give a sockaddr of full length `full` back through (addr, *lenp) the
 * Linux way: copy min(*lenp, full) bytes, then store full in *lenp. */
int sn_copy_sockaddr_out(struct sockaddr *addr, socklen_t *lenp,
                         const struct sockaddr_storage *src, socklen_t full);

#endif
