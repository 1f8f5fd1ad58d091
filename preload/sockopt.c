/* getsockopt, setsockopt: values are copied through a local buffer, so
 * core only ever sees checked memory. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "core/net.h"
#include "preload/fdtab.h"
#include "preload/init.h"
#include "preload/netlink.h"
#include "preload/real.h"
#include "preload/ret.h"
#include "preload/uaccess.h"

#define OPT_MAX 512   /* larger than any option value we know */

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
    int s = sn_fd_slot(fd);
    if (s < 0)
        return sn_nl_is(fd) ? sn_nl_setsockopt(fd, level, name, val, len)
                            : REAL(setsockopt)(fd, level, name, val, len);
    if ((int)len < 0)
        return (int)SN_RET(fd, -EINVAL);
    char buf[OPT_MAX];
    socklen_t n = len < OPT_MAX ? len : OPT_MAX;
    if (sn_uaccess(val, n, false) < 0)
        return (int)SN_RET(fd, -EFAULT);
    memcpy(buf, val, n);
    return (int)SN_RET(fd, sn_sock_setopt(sn_net(), s, level, name, buf, n));
}

int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
    int s = sn_fd_slot(fd);
    if (s < 0)
        return REAL(getsockopt)(fd, level, name, val, len);
    if (sn_uaccess(len, sizeof *len, true) < 0)
        return (int)SN_RET(fd, -EFAULT);
    if ((int)*len < 0)
        return (int)SN_RET(fd, -EINVAL);
    char buf[OPT_MAX];
    socklen_t n = *len < OPT_MAX ? *len : OPT_MAX;
    int r = sn_sock_getopt(sn_net(), s, level, name, buf, &n);
    if (r < 0)
        return (int)SN_RET(fd, r);
    if (sn_uaccess(val, n, true) < 0)
        return (int)SN_RET(fd, -EFAULT);
    memcpy(val, buf, n);
    *len = n;
    return (int)SN_RET(fd, 0);
}
