/* Listing fds on Linux: /proc/self/fd through getdents64 (opendir would
 * allocate, and set errno on its way). */
#include "core/fds.h"

#include <fcntl.h>
#include <stdint.h>

#include "core/sys_linux.h"

struct linux_dirent64 {
    uint64_t       d_ino;
    int64_t        d_off;
    unsigned short d_reclen;
    unsigned char  d_type;
    char           d_name[];
};

int sn_os_list_fds(void (*fn)(int fd, void *arg), void *arg)
{
    long dir = sn_sys_open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (dir < 0)
        return (int)dir;
    char buf[4096] __attribute__((aligned(8)));
    for (;;) {
        long n = sn_raw_syscall6(SYS_getdents64, dir, (long)buf, sizeof buf, 0, 0, 0);
        if (n <= 0)
            break;
        for (long off = 0; off < n;) {
            struct linux_dirent64 *e = (struct linux_dirent64 *)(buf + off);
            off += e->d_reclen;
            const char *p = e->d_name;
            long long fd = sn_parse_dec(&p);
            if (fd < 0 || *p || fd == dir)
                continue;
            fn((int)fd, arg);
        }
    }
    sn_sys_close((int)dir);
    return 0;
}
