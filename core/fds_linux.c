/* Listing fds on Linux: the names in /proc/self/fd (sys_linux.h). */
#include "core/fds.h"

#include <fcntl.h>
#include <stdint.h>

#include "core/sys_linux.h"

struct each_fd {
    void (*fn)(int fd, void *arg);
    void *arg;
};

static void one_fd(const char *name, int dirfd, void *arg)
{
    struct each_fd *e = arg;
    long long fd = sn_parse_dec(&name);
    if (fd >= 0 && !*name && fd != dirfd)
        e->fn((int)fd, e->arg);
}

int sn_os_list_fds(void (*fn)(int fd, void *arg), void *arg)
{
    struct each_fd e = {fn, arg};
    return sn_sys_each_name("/proc/self/fd", one_fd, &e);
}
