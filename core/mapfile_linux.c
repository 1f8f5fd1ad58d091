/* The arena file on Linux, with raw system calls (errno untouched). */
#include "core/mapfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include "core/sys_linux.h"

int sn_os_file_open(const char *path, bool create, bool readonly)
{
    int flags = (readonly ? O_RDONLY : O_RDWR) | (create ? O_CREAT : 0) |
                O_CLOEXEC | O_NOFOLLOW;
    return (int)sn_sys_open(path, flags, 0600);
}

void sn_os_file_close(int fd) { sn_sys_close(fd); }

static int record_lock(int fd, short type)
{
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET};
    long r;
    while ((r = sn_raw_syscall6(SYS_fcntl, fd, F_SETLKW, (long)&fl, 0, 0, 0)) == -EINTR)
        ;
    return (int)r;
}

int sn_os_file_lock(int fd, bool exclusive)
{
    return record_lock(fd, exclusive ? F_WRLCK : F_RDLCK);
}

int sn_os_file_unlock(int fd)
{
    return record_lock(fd, F_UNLCK);
}

static void fill(sn_os_stat *st, const struct stat *k)
{
    st->size = (int64_t)k->st_size;
    st->mode = k->st_mode;
    st->dev = (uint64_t)k->st_dev;
    st->ino = (uint64_t)k->st_ino;
}

int sn_os_file_stat(int fd, sn_os_stat *st)
{
    struct stat k;
    long r = sn_raw_syscall6(SYS_fstat, fd, (long)&k, 0, 0, 0, 0);
    if (r < 0)
        return (int)r;
    fill(st, &k);
    return 0;
}

int sn_os_path_stat(const char *path, sn_os_stat *st)
{
    struct stat k;
    long r = sn_raw_syscall6(SYS_newfstatat, AT_FDCWD, (long)path, (long)&k,
                             AT_SYMLINK_NOFOLLOW, 0, 0);
    if (r < 0)
        return (int)r;
    fill(st, &k);
    return 0;
}

struct each_name {
    void (*fn)(const char *name, void *arg);
    void *arg;
};

static void one_name(const char *name, int dirfd, void *arg)
{
    struct each_name *e = arg;
    (void)dirfd;
    e->fn(name, e->arg);
}

int sn_os_list_dir(const char *dir, void (*fn)(const char *name, void *arg),
                   void *arg)
{
    struct each_name e = {fn, arg};
    return sn_sys_each_name(dir, one_name, &e);
}

int sn_os_file_resize(int fd, uint64_t size)
{
    return (int)sn_raw_syscall6(SYS_ftruncate, fd, (long)size, 0, 0, 0, 0);
}

int sn_os_file_share(int fd)
{
    return (int)sn_raw_syscall6(SYS_fchmod, fd, 0666, 0, 0, 0, 0);
}

int sn_os_file_remove(const char *path)
{
    return (int)sn_raw_syscall6(SYS_unlinkat, AT_FDCWD, (long)path, 0, 0, 0, 0);
}

int sn_os_map(int fd, size_t size, void **out)
{
    long flags = fd < 0 ? MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE : MAP_SHARED;
    long p = sn_raw_syscall6(SYS_mmap, 0, (long)size, PROT_READ | PROT_WRITE,
                             flags, fd, 0);
    if (p < 0 && p > -4096)
        return (int)p;
    *out = (void *)p;
    return 0;
}

void sn_os_unmap(void *p, size_t size)
{
    sn_raw_syscall6(SYS_munmap, (long)p, (long)size, 0, 0, 0, 0);
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

long sn_os_reserve(void *p, size_t len)
{
    long r = sn_raw_syscall6(SYS_madvise, (long)p, (long)len,
                             MADV_POPULATE_WRITE, 0, 0, 0);
    /* -EINVAL: a kernel before 5.14, which cannot reserve; go on as
     * before. */
    return r == -EINVAL ? 0 : r;
}

void sn_os_punch(void *p, size_t len)
{
    sn_raw_syscall6(SYS_madvise, (long)p, (long)len, MADV_REMOVE, 0, 0, 0);
}

int sn_os_sysctl_ints(const char *name, int32_t *v, int n)
{
    char path[128], buf[128];
    snprintf(path, sizeof path, "/proc/sys/%s", name);
    for (char *c = path + 10; *c; c++)
        if (*c == '.')
            *c = '/';
    long fd = sn_sys_open(path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    long k = sn_sys_read((int)fd, buf, sizeof buf - 1);
    sn_sys_close((int)fd);
    if (k <= 0)
        return -1;
    buf[k] = 0;
    const char *p = buf;
    for (int i = 0; i < n; i++) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        const char *start = p;
        long long x = sn_parse_dec(&p);
        if (p == start)
            return -1;
        v[i] = (int32_t)x;
    }
    return 0;
}

uint64_t sn_os_random_seed(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return ((uint64_t)t.tv_nsec << 32) ^ (uint64_t)t.tv_sec ^
           ((uint64_t)sn_raw_syscall6(SYS_getpid, 0, 0, 0, 0, 0, 0) << 16);
}
