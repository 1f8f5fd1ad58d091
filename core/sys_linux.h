/* Raw Linux system calls, for the core's *_linux.c files only.
 *
 * Core must leave errno alone when it succeeds (a program's errno after a
 * successful call is what it was before), and it must not call an
 * interposed libc function (close, read, ...).  So the OS files make their
 * system calls here: on x86-64 with the instruction itself, which never
 * touches errno; elsewhere through syscall() with errno saved and
 * restored.  Every function returns the result or -errno. */
#ifndef SN_SYS_LINUX_H
#define SN_SYS_LINUX_H

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The gate (preload/trap.h): when the library traps system calls, the
 * seccomp filter lets through only those made from one page mapped at a
 * fixed address, holding "syscall; ret".  Then every raw call goes there
 * (a call, below the red zone the compiler may be using); 0: the
 * instruction is made here.  Set once, before the filter exists. */
extern unsigned long sn_sys_gate;   /* owner: core/sys_linux.c */

static inline long sn_raw_syscall6(long n, long a1, long a2, long a3, long a4,
                                   long a5, long a6)
{
#if defined(__x86_64__)
    long ret;
    register long r10 __asm__("r10") = a4;
    register long r8 __asm__("r8") = a5;
    register long r9 __asm__("r9") = a6;
    unsigned long gate = __atomic_load_n(&sn_sys_gate, __ATOMIC_RELAXED);
    if (gate)
        __asm__ volatile("sub $128, %%rsp\n\t"
                         "call *%[gate]\n\t"
                         "add $128, %%rsp"
                         : "=a"(ret)
                         : [gate] "r"(gate), "a"(n), "D"(a1), "S"(a2), "d"(a3),
                           "r"(r10), "r"(r8), "r"(r9)
                         : "rcx", "r11", "memory", "cc");
    else
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

static inline long sn_sys_open(const char *path, int flags, int mode)
{
    return sn_raw_syscall6(SYS_openat, -100 /* AT_FDCWD */, (long)path, flags,
                           mode, 0, 0);
}

static inline long sn_sys_close(int fd)
{
    return sn_raw_syscall6(SYS_close, fd, 0, 0, 0, 0, 0);
}

static inline long sn_sys_read(int fd, void *buf, size_t n)
{
    return sn_raw_syscall6(SYS_read, fd, (long)buf, (long)n, 0, 0, 0);
}

/* A small unsigned decimal at *p (strtoull would set errno on overflow);
 * *p moves past it.  -1 when there is no digit. */
static inline long long sn_parse_dec(const char **p)
{
    const char *s = *p;
    int neg = *s == '-';
    s += neg;
    if (*s < '0' || *s > '9')
        return -1;
    unsigned long long v = 0;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (unsigned)(*s++ - '0');
    *p = s;
    return neg ? -(long long)v : (long long)v;
}

/* Each name in directory `path`, read with getdents64 (opendir would
 * allocate, and set errno on its way): fn(name, the directory's own fd,
 * arg).  0, or -errno when the directory cannot be opened or read. */
struct sn_linux_dirent64 {
    uint64_t       d_ino;
    int64_t        d_off;
    unsigned short d_reclen;
    unsigned char  d_type;
    char           d_name[];
};

static inline int sn_sys_each_name(const char *path,
                                   void (*fn)(const char *name, int dirfd, void *arg),
                                   void *arg)
{
    long fd = sn_sys_open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0)
        return (int)fd;
    char buf[4096] __attribute__((aligned(8)));
    long n;
    while ((n = sn_raw_syscall6(SYS_getdents64, fd, (long)buf, sizeof buf, 0, 0, 0)) > 0)
        for (long off = 0; off < n;) {
            struct sn_linux_dirent64 *e = (struct sn_linux_dirent64 *)(buf + off);
            off += e->d_reclen;
            fn(e->d_name, (int)fd, arg);
        }
    sn_sys_close((int)fd);
    return n < 0 ? (int)n : 0;
}

#endif
