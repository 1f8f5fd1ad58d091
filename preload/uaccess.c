#include "preload/uaccess.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/lock.h"

#define PAGE 4096u
#define BATCH 256
#define CACHE 4

typedef struct range { uintptr_t lo, hi; } range;
static __thread range ok_read[CACHE], ok_write[CACHE];
static __thread unsigned next_read, next_write;

static bool cached(const range *c, uintptr_t lo, uintptr_t hi)
{
    for (int i = 0; i < CACHE; i++)
        if (lo >= c[i].lo && hi <= c[i].hi)
            return true;
    return false;
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
    range *c = write ? ok_write : ok_read;
    if (cached(c, lo, hi))
        return 0;
    int saved = errno;
    int r = probe(lo, hi, write);
    errno = saved;
    if (r == 0) {
        /* Two stores: a signal handler's own check must not see half. */
        sn_crit_enter();
        unsigned *next = write ? &next_write : &next_read;
        c[*next % CACHE] = (range){lo & ~(uintptr_t)(PAGE - 1),
                                   (hi + PAGE - 1) & ~(uintptr_t)(PAGE - 1)};
        (*next)++;
        sn_crit_leave();
    }
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
