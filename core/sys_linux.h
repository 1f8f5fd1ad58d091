/* Linux specifics of core: raw system calls made without touching
 * errno (core never writes errno, the preload layer owns it; nor calls an
 * interposed libc function such as close or read), and the
 * spin-wait hint.  A macOS port replaces this file (__ulock_wait/wake). */
#ifndef SN_SYS_LINUX_H
#define SN_SYS_LINUX_H

#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef FUTEX2_SIZE_U32          /* older uapi headers call it FUTEX_32 */
#define FUTEX2_SIZE_U32 0x02
#endif
#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif

static inline long sn_raw_syscall6(long n, long a1, long a2, long a3, long a4,
                                   long a5, long a6)
{
#if defined(__x86_64__)
    long ret;
    register long r10 __asm__("r10") = a4;
    register long r8 __asm__("r8") = a5;
    register long r9 __asm__("r9") = a6;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8),
                       "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
#else
    int saved = errno;
    long ret = syscall(n, a1, a2, a3, a4, a5, a6);
    if (ret < 0)
        ret = -errno;
    errno = saved;
    return ret;
#endif
}

/* Sleep while *word == val, until the absolute CLOCK_MONOTONIC deadline
 * (NULL: forever).  Returns 0 or -errno (-EAGAIN, -ETIMEDOUT, -EINTR). */
static inline long sn_futex_wait(_Atomic uint32_t *word, uint32_t val,
                                 const struct timespec *deadline)
{
    return sn_raw_syscall6(SYS_futex, (long)word, FUTEX_WAIT_BITSET, val,
                           (long)deadline, 0, FUTEX_BITSET_MATCH_ANY);
}

/* Sleep on several words at once (Linux 5.16+), any of them shared
 * between processes.  Returns the index of the word that woke us, or
 * -errno (-EAGAIN: a word no longer held its value; -ENOSYS on old
 * kernels). */
static inline long sn_futex_waitv(struct futex_waitv *w, unsigned n,
                                  const struct timespec *deadline)
{
    return sn_raw_syscall6(SYS_futex_waitv, (long)w, n, 0, (long)deadline,
                           CLOCK_MONOTONIC, 0);
}

static inline void sn_futex_wake_all(_Atomic uint32_t *word)
{
    sn_raw_syscall6(SYS_futex, (long)word, FUTEX_WAKE, INT32_MAX, 0, 0, 0);
}

static inline long sn_sys_close(int fd)
{
    return sn_raw_syscall6(SYS_close, fd, 0, 0, 0, 0, 0);
}

static inline long sn_sys_read(int fd, void *buf, size_t n)
{
    return sn_raw_syscall6(SYS_read, fd, (long)buf, (long)n, 0, 0, 0);
}

/* Arena memory (core/arena.c).  Populating a range of a shared file
 * mapping for writing makes the file system find a page for each page of
 * it now: a full file system then answers -EFAULT (the fault would have
 * raised SIGBUS) or -ENOMEM here, instead of SIGBUS at the first store.
 * Linux 5.14+; older kernels answer -EINVAL.  Releasing punches the pages
 * out of the file (MADV_REMOVE): they read as zeros and cost nothing. */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
static inline long sn_sys_populate(void *addr, size_t len)
{
    return sn_raw_syscall6(SYS_madvise, (long)addr, (long)len,
                           MADV_POPULATE_WRITE, 0, 0, 0);
}

static inline long sn_sys_release(void *addr, size_t len)
{
    return sn_raw_syscall6(SYS_madvise, (long)addr, (long)len, MADV_REMOVE,
                           0, 0, 0);
}

/* SIGURG to a socket's owner (F_SETOWN): a process, or a process group
 * when negative, as kill() reads it.  Failures are ignored, as Linux
 * ignores an owner it may not signal. */
static inline void sn_sys_sigurg(int32_t owner)
{
    sn_raw_syscall6(SYS_kill, owner, SIGURG, 0, 0, 0, 0);
}

static inline void sn_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

#endif
