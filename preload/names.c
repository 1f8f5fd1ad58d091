/* getsockname, getpeername. */
#include <errno.h>
#include <sys/socket.h>

#include "core/net.h"
#include "preload/fdtab.h"
#include "preload/init.h"
#include "preload/netlink.h"
#include "preload/real.h"
#include "preload/ret.h"
#include "preload/uaccess.h"

static int name_of(int s, bool peer, struct sockaddr *addr, socklen_t *alen)
{
    if (sn_uaccess(alen, sizeof *alen, true) < 0)
        return -EFAULT;
    if ((int)*alen < 0)
        return -EINVAL;
    struct sockaddr_storage ss;
    int full = sn_sock_name(sn_net(), s, peer, &ss);
    if (full < 0)
        return full;
    if (!addr && *alen)
        return -EFAULT;
    return sn_copy_sockaddr_out(addr, alen, &ss, (socklen_t)full);
}

int getsockname(int fd, struct sockaddr *addr, socklen_t *alen)
{
    int s = sn_fd_slot(fd);
    if (s < 0)
        return sn_nl_is(fd) ? sn_nl_getsockname(fd, addr, alen)
                            : REAL(getsockname)(fd, addr, alen);
    return (int)SN_RET(fd, name_of(s, false, addr, alen));
}

int getpeername(int fd, struct sockaddr *addr, socklen_t *alen)
{
    int s = sn_fd_slot(fd);
    if (s < 0)
        return REAL(getpeername)(fd, addr, alen);
    return (int)SN_RET(fd, name_of(s, true, addr, alen));
}
