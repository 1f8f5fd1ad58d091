/* Route netlink on a named host (netlink.c): socket(AF_NETLINK,
 * NETLINK_ROUTE) made through libc answers link and address dumps from
 * the host table.  The other calls ask sn_nl_is() on their
 * pass-through path (cheap while no such socket exists). */
#ifndef SN_NETLINK_H
#define SN_NETLINK_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

extern int sn_nl_open;          /* how many there are now */

/* A route netlink socket of a named host: -1 when the kernel should make
 * it (another protocol, the default host), else the fd or -1 and errno. */
int  sn_nl_socket(int domain, int type, int protocol, bool *mine);
bool sn_nl_find(int fd);
static inline bool sn_nl_is(int fd)
{
    return __atomic_load_n(&sn_nl_open, __ATOMIC_RELAXED) > 0 && sn_nl_find(fd);
}
int     sn_nl_close(int fd);
int     sn_nl_bind(int fd, const struct sockaddr *addr, socklen_t len);
int     sn_nl_getsockname(int fd, struct sockaddr *addr, socklen_t *len);
int     sn_nl_setsockopt(int fd, int level, int name, const void *val, socklen_t len);
ssize_t sn_nl_send(int fd, const struct iovec *iov, int iovcnt, int flags);
ssize_t sn_nl_recvmsg(int fd, struct msghdr *msg, int flags);

#endif
