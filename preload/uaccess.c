#include "preload/uaccess.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define PAGE_SHIFT 12
#define PAGE (1u << PAGE_SHIFT)
#define BATCH 256
#define SLOTS 1024          /* per direction: 16 KiB of cache in all */
#define MAX_PAGES 4095      /* what an entry's low 12 bits can count */

/* Ranges that passed, for the whole process (memory is mapped for every
 * thread alike): one direct-mapped entry per first page, holding that page
 * number and how many pages from it passed, in a single word, so a
 * reader never sees half an entry and a signal handler can use it too.
 * An epoll server with a buffer per connection hits after each buffer's
 * first use. */
static _Atomic uint64_t ok_read[SLOTS], ok_write[SLOTS];

static _Atomic uint64_t *entry(_Atomic uint64_t *t, uintptr_t page)
{
    return &t[(page ^ (page >> 10)) & (SLOTS - 1)];
}

static bool cached(_Atomic uint64_t *t, uintptr_t lo, uintptr_t hi)
{
    uintptr_t first = lo >> PAGE_SHIFT, last = (hi - 1) >> PAGE_SHIFT;
    uint64_t e = atomic_load_explicit(entry(t, first), memory_order_relaxed);
    return e && (e >> PAGE_SHIFT) == first && last - first < (e & MAX_PAGES);
}

static void remember(_Atomic uint64_t *t, uintptr_t lo, uintptr_t hi)
{
    uintptr_t first = lo >> PAGE_SHIFT, pages = ((hi - 1) >> PAGE_SHIFT) - first + 1;
    if (pages <= MAX_PAGES)
        atomic_store_explicit(entry(t, first), ((uint64_t)first << PAGE_SHIFT) | pages,
                              memory_order_relaxed);
}

/* One byte per page of [lo, hi), BATCH pages per system call. */
static int probe(uintptr_t lo, uintptr_t hi, bool write)
{
    pid_t self = getpid();
    char scratch[BATCH];
    struct iovec local[1], remote[BATCH];
    for (uintptr_t p = lo; p < hi;) {
        int n = 0;
        for (; n < BATCH && p < hi; n++) {
            remote[n].iov_base = (void *)p;
            remote[n].iov_len = 1;
            p = (p & ~(uintptr_t)(PAGE - 1)) + PAGE;
        }
        local[0].iov_base = scratch;
        local[0].iov_len = (size_t)n;
        ssize_t r = process_vm_readv(self, local, 1, remote, (unsigned long)n, 0);
        if (r < 0 && (errno == ENOSYS || errno == EPERM))
            return 0;              /* no way to check here: trust the caller */
        if (r != n)
            return -EFAULT;
        if (write && process_vm_writev(self, local, 1, remote, (unsigned long)n, 0) != n)
            return -EFAULT;
    }
    return 0;
}

int sn_uaccess(const void *p, size_t len, bool write)
{
    if (len == 0)
        return 0;
    uintptr_t lo = (uintptr_t)p, hi = lo + len;
    if (hi < lo || lo < PAGE)
        return -EFAULT;            /* wraps, or the NULL page */
    _Atomic uint64_t *c = write ? ok_write : ok_read;
    if (cached(c, lo, hi))
        return 0;
    int saved = errno;
    int r = probe(lo, hi, write);
    errno = saved;
    if (r == 0)
        remember(c, lo, hi);
    return r;
}

int sn_uaccess_iov(const struct iovec *iov, int n, bool write)
{
    int r = sn_uaccess(iov, (size_t)n * sizeof *iov, false);
    for (int i = 0; r == 0 && i < n; i++)
        r = sn_uaccess(iov[i].iov_base, iov[i].iov_len, write);
    return r;
}

int sn_copy_sockaddr_in(struct sockaddr_storage *dst, const struct sockaddr *src,
                        socklen_t len)
{
    if ((int)len < 0 || len > sizeof *dst)
        return -EINVAL;
    int r = sn_uaccess(src, len, false);
    if (r < 0)
        return r;
    memset(dst, 0, sizeof *dst);
    memcpy(dst, src, len);
    return 0;
}

int sn_copy_sockaddr_out(struct sockaddr *addr, socklen_t *lenp,
                         const struct sockaddr_storage *src, socklen_t full)
{
    if (!addr)
        return 0;
    int r = sn_uaccess(lenp, sizeof *lenp, true);
    if (r < 0)
        return r;
    int len = (int)*lenp;
    if (len < 0)
        return -EINVAL;
    socklen_t n = (socklen_t)len < full ? (socklen_t)len : full;
    if ((r = sn_uaccess(addr, n, true)) < 0)
        return r;
    memcpy(addr, src, n);
    *lenp = full;
    return 0;
}
