/* fcntl, fcntl64, ioctl, dup, dup2, dup3.  The placeholder is a real
 * kernel file, so the kernel does the fd work (numbering, FD_CLOEXEC,
 * O_NONBLOCK in F_GETFL); we only keep the fd table and the socket's
 * non-blocking flag in step. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "core/net.h"
#include "preload/epoll.h"
#include "preload/fdtab.h"
#include "preload/identity.h"
#include "preload/ifaces.h"
#include "preload/init.h"
#include "preload/real.h"
#include "preload/ret.h"
#include "preload/uaccess.h"

static void set_nonblock(int s, bool on)
{
    sn_sock_set_nonblock(sn_net(), s, on);
}

/* A new fd number now refers to socket s (dup, F_DUPFD...). */
static int adopt(int nfd, int s)
{
    if (nfd >= 0)
        sn_fdtab_add(nfd, s);
    return nfd;
}

/* Duplicating an epoll fd: the copy names the same instance. */
static int adopt_epoll(int fd, int nfd)
{
    if (nfd >= 0 && nfd != fd)
        sn_epoll_fd_dup(fd, nfd);
    return nfd;
}

static int fcntl_common(int (*real)(int, int, ...), int fd, int cmd, void *arg)
{
    int s = sn_fd_slot(fd);
    if (s < 0) {
        int r = real(fd, cmd, arg);
        if ((cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) && sn_epoll_is(fd))
            adopt_epoll(fd, r);
        return r;
    }
    int r = real(fd, cmd, arg);
    if (r < 0)
        return r;
    switch (cmd) {
    case F_SETFL:
        set_nonblock(s, ((long)arg & O_NONBLOCK) != 0);
        break;
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
        adopt(r, s);
        break;
    case F_SETOWN:      /* the placeholder keeps it for F_GETOWN; core */
        sn_sock_set_owner(sn_net(), s, (int32_t)(long)arg);   /* signals */
        break;
    case F_SETOWN_EX: {
        const struct f_owner_ex *o = arg;   /* the kernel read it: valid */
        sn_sock_set_owner(sn_net(), s, o->type == F_OWNER_PGRP ? -o->pid : o->pid);
        break;
    }
    }
    return r;
}

/* SIOCGSTAMP, SIOCGSTAMPNS: when the last datagram read arrived.  ENOENT
 * before any (and always on TCP, whose reads do not stamp the socket);
 * delivery here is immediate, so the time is the moment of asking, as
 * Linux's when the host keeps no packet timestamps. */
static int get_stamp(int s, bool ns, void *arg)
{
    if (!(sn_sock_opts(sn_net(), s) & SN_O_STAMPED))
        return -ENOENT;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if (ns) {
        if (sn_uaccess(arg, sizeof now, true) < 0)
            return -EFAULT;
        memcpy(arg, &now, sizeof now);
    } else {
        struct timeval tv = {now.tv_sec, now.tv_nsec / 1000};
        if (sn_uaccess(arg, sizeof tv, true) < 0)
            return -EFAULT;
        memcpy(arg, &tv, sizeof tv);
    }
    return 0;
}

/* Linux reads the third argument as a long-sized word; so does glibc. */
int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return fcntl_common(REAL(fcntl), fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return fcntl_common(REAL(fcntl64), fd, cmd, arg);
}

int ioctl(int fd, unsigned long req, ...)
{
    va_list ap;
    va_start(ap, req);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    int s = sn_fd_slot(fd);
    if (s < 0)
        return REAL(ioctl)(fd, req, arg);
    int r, *ip = arg;
    /* TCP's own requests: a datagram socket's protocol does not know them
     * (inet_ioctl: ENOIOCTLCMD, ENOTTY). */
    if ((req == SIOCATMARK || req == SIOCOUTQNSD) &&
        sn_sock_type(sn_net(), s) != SOCK_STREAM)
        return (int)SN_RET(fd, -ENOTTY);
    switch (req) {
    case FIONBIO:
        if (sn_uaccess(ip, sizeof *ip, false) < 0)
            return (int)SN_RET(fd, -EFAULT);
        r = REAL(ioctl)(fd, req, arg);
        if (r == 0)
            set_nonblock(s, *ip != 0);
        return r;
    case SIOCINQ:          /* == FIONREAD */
    case SIOCOUTQ:
    case SIOCOUTQNSD:      /* bytes not yet sent: never any here */
    case SIOCATMARK:
        if (sn_uaccess(ip, sizeof *ip, true) < 0)
            return (int)SN_RET(fd, -EFAULT);
        r = req == SIOCINQ ? sn_sock_inq(sn_net(), s)
          : req == SIOCATMARK ? sn_sock_atmark(sn_net(), s)
          : sn_sock_outq(sn_net(), s);
        if (r < 0)
            return (int)SN_RET(fd, r);
        *ip = r;
        return 0;
    case SIOCGSTAMP:
    case SIOCGSTAMPNS:
        return (int)SN_RET(fd, get_stamp(s, req == SIOCGSTAMPNS, arg));
    case FIOSETOWN:        /* F_SETOWN by another name */
    case SIOCSPGRP:
        r = REAL(ioctl)(fd, req, arg);
        if (r == 0)
            sn_sock_set_owner(sn_net(), s, *ip);
        return r;
    default:
        /* Interface queries (SIOCGIFCONF...) work on any socket: a named
         * host's are answered from the host table (ifreq.c), the default
         * host's by the placeholder, as the kernel would. */
        r = sn_ifreq(req, arg);
        if (r != 1)
            return (int)SN_RET(fd, r);
        return REAL(ioctl)(fd, req, arg);
    }
}

int dup(int fd)
{
    int s = sn_fd_slot(fd);
    if (s < 0)
        return sn_epoll_is(fd) ? adopt_epoll(fd, REAL(dup)(fd)) : REAL(dup)(fd);
    return adopt(REAL(dup)(fd), s);
}

/* After a successful dup2/dup3 the kernel closed `nfd`'s old file. */
static bool involved(int fd, int nfd)
{
    return sn_fd_slot(fd) >= 0 || sn_fd_slot(nfd) >= 0 || sn_epoll_is(fd) ||
           sn_epoll_is(nfd) || nfd == sn_pin_number();
}

static int after_dup(int r, int fd, int nfd)
{
    if (r < 0 || fd == nfd)
        return r;
    sn_pin_closed(nfd);
    int s = sn_fd_slot(fd);
    if (sn_fd_slot(nfd) >= 0)
        sn_fdtab_forget(nfd);
    if (sn_epoll_is(nfd))
        sn_epoll_fd_closed(nfd);
    if (s >= 0)
        adopt(nfd, s);
    else if (sn_epoll_is(fd))
        adopt_epoll(fd, nfd);
    return r;
}

int dup2(int fd, int nfd)
{
    if (!involved(fd, nfd))
        return REAL(dup2)(fd, nfd);
    return after_dup(REAL(dup2)(fd, nfd), fd, nfd);
}

int dup3(int fd, int nfd, int flags)
{
    if (!involved(fd, nfd))
        return REAL(dup3)(fd, nfd, flags);
    return after_dup(REAL(dup3)(fd, nfd, flags), fd, nfd);
}
