/* Doorbells on Linux: AF_UNIX datagram sockets with abstract names. */
#include "core/belltx.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>

#include "core/sys_linux.h"

static char *put_dec(char *p, unsigned long v)
{
    char t[20];
    int n = 0;
    do
        t[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (n)
        *p++ = t[--n];
    return p;
}

/* "simnet.<token, 16 hex digits>.<id>.<gen>", written by hand: every ring
 * makes the name, and snprintf (with a memset of the address) cost some
 * 1,700 instructions, most of a ring's work besides the system call. */
socklen_t sn_os_bell_name(uint64_t token, int id, unsigned gen,
                          struct sockaddr_un *out)
{
    static const char hex[] = "0123456789abcdef";
    out->sun_family = AF_UNIX;
    char *p = out->sun_path;
    *p++ = 0;       /* sun_path[0] == 0: the abstract namespace, no file */
    memcpy(p, "simnet.", 7);
    p += 7;
    for (int i = 60; i >= 0; i -= 4)
        *p++ = hex[(token >> i) & 15];
    *p++ = '.';
    if (id < 0) {
        *p++ = '-';
        p = put_dec(p, 0UL - (unsigned long)(long)id);
    } else {
        p = put_dec(p, (unsigned long)id);
    }
    *p++ = '.';
    p = put_dec(p, gen);
    return (socklen_t)(p - (char *)out);
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
