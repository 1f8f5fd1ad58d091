/* Waiting and waking on Linux: shared (not FUTEX_PRIVATE) futexes, so the
 * kernel keys a word in a MAP_SHARED file by (inode, offset) and any
 * process mapping it can wake it. */
#include "core/futex.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <string.h>

#include "core/sys_linux.h"

#ifndef FUTEX2_SIZE_U32          /* older uapi headers call it FUTEX_32 */
#define FUTEX2_SIZE_U32 0x02
#endif
#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif

long sn_os_wait(_Atomic uint32_t *word, uint32_t val,
                const struct timespec *deadline)
{
    /* FUTEX_WAIT_BITSET takes an absolute deadline (FUTEX_WAIT a
     * relative one): a restarted wait keeps its end. */
    return sn_raw_syscall6(SYS_futex, (long)word, FUTEX_WAIT_BITSET, val,
                           (long)deadline, 0, FUTEX_BITSET_MATCH_ANY);
}

long sn_os_wait_any(_Atomic uint32_t *const *words, const uint32_t *vals,
                    unsigned n, const struct timespec *deadline)
{
    struct futex_waitv w[64];
    if (n > 64)
        return -EINVAL;
    memset(w, 0, sizeof w[0] * n);
    for (unsigned i = 0; i < n; i++) {
        w[i].uaddr = (uintptr_t)words[i];
        w[i].val = vals[i];
        w[i].flags = FUTEX2_SIZE_U32;
    }
    /* Linux 5.16+; older kernels say -ENOSYS. */
    return sn_raw_syscall6(SYS_futex_waitv, (long)w, n, 0, (long)deadline,
                           CLOCK_MONOTONIC, 0);
}

void sn_os_wake_all(_Atomic uint32_t *word)
{
    sn_raw_syscall6(SYS_futex, (long)word, FUTEX_WAKE, INT_MAX, 0, 0, 0);
}
