/* socket, bind, listen, accept, accept4, connect, shutdown, close.
 * Each has one shape: not ours -> the real libc; ours -> core, then
 * sn_ret() turns -errno into errno and -1. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/net.h"
#include "preload/block.h"
#include "preload/doorbell.h"
#include "preload/epoll.h"
#include "preload/fdtab.h"
#include "preload/identity.h"
#include "preload/init.h"
#include "preload/netlink.h"
#include "preload/real.h"
#include "preload/ret.h"
#include "preload/trap.h"
#include "preload/uaccess.h"

#define SOCK_FLAGS (SOCK_NONBLOCK | SOCK_CLOEXEC)

/* The kernel object behind a simulated fd: an unbound AF_UNIX socket, so
 * fstat says S_IFSOCK, dup/fork/close-on-exec work natively, and the
 * number is allocated like any socket's.  Its (st_dev, st_ino) lets any
 * process recognise it later. */
typedef struct placeholder {
    int      fd;
    uint64_t dev, ino;
} placeholder;

/* Make a placeholder not yet tied to a socket: 0 or -errno. */
static int placeholder_new(placeholder *p, int flags)
{
    int fd = REAL(socket)(AF_UNIX, SOCK_STREAM | (flags & SOCK_FLAGS), 0);
    if (fd < 0)
        return -errno;
    int base = sn_fd_base();
    if (base > 0 && fd < base) {
        int moved = REAL(fcntl)(fd, (flags & SOCK_CLOEXEC) ? F_DUPFD_CLOEXEC : F_DUPFD, base);
        int e = errno;
        REAL(close)(fd);
        if (moved < 0)
            return -e;
        fd = moved;
    }
    /* Made by a caught call (Go, glibc's resolver, a raw syscall): where
     * the filter looks, so that the same code's next raw calls on it are
     * caught too.  Through libc: the lowest free number, as Linux gives
     * (programs size tables by it). */
    if (sn_trap_caught())
        fd = sn_trap_place(fd, flags & SOCK_CLOEXEC);
    struct stat st;
    p->fd = fd;
    p->dev = p->ino = 0;
    if (fstat(fd, &st) == 0) {
        p->dev = st.st_dev;
        p->ino = st.st_ino;
    }
    return 0;
}

/* The placeholder now stands for socket `slot`; returns its fd. */
static int placeholder_attach(const placeholder *p, int slot, int flags)
{
    if (p->ino)
        sn_sock_set_ident(sn_net(), slot, p->dev, p->ino);
    /* A number we still list was closed behind our back (an internal
     * libc close, a raw system call): forget the old socket first. */
    if (sn_fd_slot(p->fd) >= 0)
        sn_fdtab_forget(p->fd);
    sn_fdtab_add(p->fd, slot);
    if (flags & SOCK_NONBLOCK)
        sn_sock_set_nonblock(sn_net(), slot, true);
    return p->fd;
}

static int make_placeholder(int slot, int flags)
{
    placeholder p;
    int r = placeholder_new(&p, flags);
    return r < 0 ? r : placeholder_attach(&p, slot, flags);
}

int socket(int domain, int type, int protocol)
{
    if (domain != AF_INET && domain != AF_INET6) {
        bool mine;
        int fd = sn_nl_socket(domain, type, protocol, &mine);
        return mine ? fd : REAL(socket)(domain, type, protocol);
    }
    sn_trap_need();          /* from now on its fd may be used raw */
    sn_arena *a = sn_net();
    if (!a)
        return (int)SN_RET(-1, -ENETDOWN);
    if (type & ~(0xf | SOCK_FLAGS))
        return (int)SN_RET(-1, -EINVAL);
    int s = sn_sock_create(a, domain, type & 0xf, protocol);
    if (s < 0)
        return (int)SN_RET(-1, s);
    int fd = make_placeholder(s, type);
    if (fd < 0)
        sn_sock_release(a, s);
    return (int)SN_RET(-1, fd);
}

int close(int fd)
{
    if (sn_fd_slot(fd) < 0) {
        if (sn_epoll_is(fd))
            sn_epoll_fd_closed(fd);
        else if (sn_libfd_is(fd))
            sn_libfds_closed((unsigned)fd, (unsigned)fd);
        else if (sn_nl_is(fd))
            return sn_nl_close(fd);
        else
            sn_pin_closed(fd);      /* then start-up uses the path */
        return REAL(close)(fd);
    }
    /* Forget first: once the number is closed the kernel may hand it to
     * another thread's open(). */
    sn_fdtab_forget(fd);
    return REAL(close)(fd);
}

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    int s = sn_fd_slot(fd);
    if (s < 0)
        return sn_nl_is(fd) ? sn_nl_bind(fd, addr, len) : REAL(bind)(fd, addr, len);
    struct sockaddr_storage ss;
    int r = sn_copy_sockaddr_in(&ss, addr, len);
    if (r == 0)
        r = sn_sock_bind(sn_net(), s, (struct sockaddr *)&ss, len);
    return (int)SN_RET(fd, r);
}

int listen(int fd, int backlog)
{
    int s = sn_fd_slot(fd);
    if (s < 0)
        return REAL(listen)(fd, backlog);
    return (int)SN_RET(fd, sn_sock_listen(sn_net(), s, backlog));
}

static ssize_t try_connect(int s, void *ctx)
{
    return sn_sock_connect_result(sn_net(), s);
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    int s = sn_fd_slot(fd);
    if (s < 0)
        return REAL(connect)(fd, addr, len);
    sn_arena *a = sn_net();
    struct sockaddr_storage ss;
    int r = sn_copy_sockaddr_in(&ss, addr, len);
    bool nb = sn_nonblocking(s, 0);
    if (r == 0)
        r = sn_sock_connect(a, s, (struct sockaddr *)&ss, len, nb);
    if (r == -EINPROGRESS && !nb) {
        r = (int)sn_block(s, false, sn_sock_sndtimeo(a, s), try_connect, NULL);
        if (r == -EAGAIN)
            r = -EINPROGRESS;       /* SO_SNDTIMEO ran out */
    }
    return (int)SN_RET(fd, r);
}

typedef struct accept_ctx {
    sn_addr     peer;
    int         flags;
    bool        blocking;
    placeholder pre;        /* made while waiting; fd -1: none */
} accept_ctx;

static ssize_t try_accept(int s, void *p)
{
    accept_ctx *ctx = p;
    ssize_t c = sn_sock_accept(sn_net(), s, &ctx->peer);
    if (c != -EAGAIN || !ctx->blocking || ctx->pre.fd >= 0)
        return c;
    /* About to wait: make the new fd's kernel object now, not after the
     * connection arrives, where it would delay the answer the client
     * waits for (socket() costs microseconds).  Linux too allocates
     * accept's fd before it waits, and fails at once when it cannot. */
    int r = placeholder_new(&ctx->pre, ctx->flags);
    if (r < 0)
        return r;
    return sn_sock_accept(sn_net(), s, &ctx->peer);
}

/* A thread cancelled while it waits in accept must not keep the fd. */
static void drop_pre(void *p)
{
    accept_ctx *ctx = p;
    if (ctx->pre.fd >= 0)
        REAL(close)(ctx->pre.fd);
    ctx->pre.fd = -1;
}

int accept4(int fd, struct sockaddr *addr, socklen_t *alen, int flags)
{
    int s = sn_fd_slot(fd);
    if (s < 0)
        return REAL(accept4)(fd, addr, alen, flags);
    sn_arena *a = sn_net();
    if (flags & ~SOCK_FLAGS)
        return (int)SN_RET(fd, -EINVAL);
    bool nb = sn_nonblocking(s, 0);
    accept_ctx ctx = {.flags = flags, .blocking = !nb, .pre.fd = -1};
    int c;
    pthread_cleanup_push(drop_pre, &ctx);
    c = (int)sn_block(s, nb, sn_sock_rcvtimeo(a, s), try_accept, &ctx);
    pthread_cleanup_pop(0);
    if (c < 0) {
        drop_pre(&ctx);
        return (int)SN_RET(fd, c);
    }
    int nfd = ctx.pre.fd >= 0 ? placeholder_attach(&ctx.pre, c, flags)
                              : make_placeholder(c, flags);
    if (nfd < 0) {
        sn_sock_release(a, c);      /* no fd for it: the peer sees a reset */
        return (int)SN_RET(fd, nfd);
    }
    /* Linux copies the address out after accepting; when that fails the
     * new connection is closed and the call says why. */
    struct sockaddr_storage ss;
    socklen_t full = sn_sock_format(a, c, &ctx.peer, &ss);
    int r = sn_copy_sockaddr_out(addr, alen, &ss, full);
    if (r < 0) {
        close(nfd);
        return (int)SN_RET(fd, r);
    }
    return (int)SN_RET(fd, nfd);
}

int accept(int fd, struct sockaddr *addr, socklen_t *alen)
{
    if (sn_fd_slot(fd) < 0)
        return REAL(accept)(fd, addr, alen);
    return accept4(fd, addr, alen, 0);
}

int shutdown(int fd, int how)
{
    int s = sn_fd_slot(fd);
    if (s < 0)
        return REAL(shutdown)(fd, how);
    return (int)SN_RET(fd, sn_sock_shutdown(sn_net(), s, how));
}
