/* Doorbells on Linux: AF_UNIX datagram sockets with abstract names. */
#include "core/belltx.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/sys_linux.h"

socklen_t sn_os_bell_name(uint64_t token, int id, unsigned gen,
                          struct sockaddr_un *out)
{
    memset(out, 0, sizeof *out);
    out->sun_family = AF_UNIX;
    /* sun_path[0] == 0: the abstract namespace, no file is created. */
    int n = snprintf(out->sun_path + 1, sizeof out->sun_path - 1,
                     "simnet.%016llx.%d.%u", (unsigned long long)token, id, gen);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

int sn_os_bell_tx_open(int *tx, int fd_high)
{
    if (*tx >= 0)
        return 0;
    long fd = sn_raw_syscall6(SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, 0, 0, 0);
    if (fd < 0)
        return (int)fd;
    long hi = fd_high > fd
                  ? sn_raw_syscall6(SYS_fcntl, fd, F_DUPFD_CLOEXEC, fd_high, 0, 0, 0)
                  : -1;
    if (hi >= 0) {
        sn_sys_close((int)fd);
        fd = hi;
    }
    *tx = (int)fd;
    return 0;
}

void sn_os_bell_send(int *tx, int fd_high, const struct sockaddr_un *to,
                     socklen_t len)
{
    char byte = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        sn_os_bell_tx_open(tx, fd_high);    /* on failure, sendto says EBADF */
        long r = sn_raw_syscall6(SYS_sendto, *tx, (long)&byte, 1,
                                 MSG_DONTWAIT | MSG_NOSIGNAL, (long)to, len);
        /* The program may have closed our socket (closefrom) or reused its
         * number: make a new one and try once more. */
        if (r == -EBADF || r == -ENOTSOCK || r == -EPROTOTYPE || r == -EISCONN) {
            *tx = -1;
            continue;
        }
        break;
    }
}
