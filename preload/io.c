/* Moving data: read, write, readv, writev, recv*, send*, sendfile and the
 * fortified __*_chk variants.  They all funnel into io_recv / io_send,
 * which add what core leaves out: blocking, MSG_WAITALL, partial writes,
 * SIGPIPE, and pointer checks. */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/net.h"
#include "preload/block.h"
#include "preload/cmsg.h"
#include "preload/fdtab.h"
#include "preload/init.h"
#include "preload/netlink.h"
#include "preload/real.h"
#include "preload/ret.h"
#include "preload/uaccess.h"

extern void __chk_fail(void) __attribute__((noreturn));

typedef struct io_ctx {
    sn_msg *m;
    int     flags;
} io_ctx;

static ssize_t try_recv(int s, void *c)
{
    io_ctx *x = c;
    return sn_sock_recv(sn_net(), s, x->m, x->flags);
}

static ssize_t try_send(int s, void *c)
{
    io_ctx *x = c;
    return sn_sock_send(sn_net(), s, x->m, x->flags);
}

static int check_iov(const struct iovec *iov, int n, bool write)
{
    if (n < 0 || n > IOV_MAX)
        return -EINVAL;
    int r = sn_uaccess_iov(iov, n, write);
    if (r < 0)
        return r;
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        if (iov[i].iov_len > SSIZE_MAX - total)
            return -EINVAL;
        total += iov[i].iov_len;
    }
    return 0;
}

/* Drop the first `done` bytes of an iovec array, in a copy. */
static int iov_advance(struct iovec *dst, const struct iovec *src, int n, size_t done)
{
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (done >= src[i].iov_len) {
            done -= src[i].iov_len;
            continue;
        }
        dst[k].iov_base = (char *)src[i].iov_base + done;
        dst[k].iov_len = src[i].iov_len - done;
        done = 0;
        k++;
    }
    return k;
}

/* The buffer is bad: Linux only finds out when it copies, so the call
 * waits, reports EOF or errors as usual, and says EFAULT only once there
 * is data -- a datagram is consumed by the failed copy, stream bytes are
 * not.  A zero-length receive tells which case we are in. */
static ssize_t try_recv_fault(int s, void *c)
{
    io_ctx *x = c;
    sn_arena *a = sn_net();
    sn_msg none = {.iov = NULL, .iovcnt = 0};
    if (sn_sock_type(a, s) == SOCK_STREAM) {
        if (x->flags & MSG_OOB) {
            /* Linux takes the urgent byte, then fails to copy it. */
            ssize_t r = sn_sock_recv(a, s, &none, x->flags);
            return r == 0 && none.oob ? -EFAULT : r;
        }
        if (sn_sock_inq(a, s) > 0)
            return -EFAULT;
        return sn_sock_recv(a, s, &none, x->flags);
    }
    ssize_t r = sn_sock_recv(a, s, &none, x->flags & ~MSG_PEEK);
    return r >= 0 ? -EFAULT : r;
}

/* Keep going after `done` bytes until the whole iovec is through, or a
 * call moves nothing (EOF, error, signal, timeout): blocking stream sends
 * and MSG_WAITALL.  What moved so far is the answer then, and an error
 * that ended it (a reset) is the next call's (keep_error). */
static ssize_t io_rest(int s, io_ctx *x, sn_try_fn try, int64_t timeout_ns,
                       size_t done)
{
    sn_msg *m = x->m;
    size_t want = sn_iov_total(m->iov, m->iovcnt);
    struct iovec rest[IOV_MAX];
    const struct iovec *orig = m->iov;
    int orig_n = m->iovcnt;
    m->keep_error = true;
    while (done < want) {
        m->iovcnt = iov_advance(rest, orig, orig_n, done);
        m->iov = rest;
        ssize_t n = sn_block(s, false, timeout_ns, try, x);
        if (n <= 0)
            break;
        done += (size_t)n;
        if (m->at_mark)
            break;                      /* a read stops at the urgent mark */
    }
    m->iov = orig;
    m->iovcnt = orig_n;
    m->keep_error = false;
    return (ssize_t)done;
}

static ssize_t io_recv(int s, sn_msg *m, int flags)
{
    /* Nothing ever waits on a socket's error queue here (no ICMP errors
     * are queued): Linux's answer for an empty one, before anything. */
    if (flags & MSG_ERRQUEUE)
        return -EAGAIN;
    /* TCP MSG_TRUNC throws the bytes away: the buffer is never touched. */
    bool discard = sn_sock_type(sn_net(), s) == SOCK_STREAM && (flags & MSG_TRUNC);
    int r = check_iov(m->iov, m->iovcnt, !discard);
    bool fault = r == -EFAULT && !discard;
    if (r < 0 && r != -EFAULT)
        return r;
    bool nb = sn_nonblocking(s, flags);
    /* Core waits for nothing; MSG_DONTWAIT tells it the caller won't
     * either.  MSG_WAITALL stays only with MSG_PEEK (no progress to add
     * up: core itself says "not yet" until everything is there). */
    int cf = (flags & ~MSG_WAITALL) | (nb ? MSG_DONTWAIT : 0);
    if ((flags & MSG_PEEK) && (flags & MSG_WAITALL))
        cf |= MSG_WAITALL;
    io_ctx x = {m, cf};
    if (fault)
        return sn_block(s, nb, sn_sock_rcvtimeo(sn_net(), s), try_recv_fault, &x);
    ssize_t n = sn_block(s, nb, sn_sock_rcvtimeo(sn_net(), s), try_recv, &x);
    if (n <= 0 || !(flags & MSG_WAITALL) || sn_sock_type(sn_net(), s) != SOCK_STREAM ||
        (flags & (MSG_PEEK | MSG_TRUNC | MSG_OOB)) || nb || m->at_mark)
        return n;
    return io_rest(s, &x, try_recv, sn_sock_rcvtimeo(sn_net(), s), (size_t)n);   /* MSG_WAITALL */
}

static ssize_t io_send(int s, sn_msg *m, int flags)
{
    int r = check_iov(m->iov, m->iovcnt, false);
    if (r < 0)
        return r;
    bool nb = sn_nonblocking(s, flags);
    io_ctx x = {m, flags | (nb ? MSG_DONTWAIT : 0)};
    ssize_t n = sn_block(s, nb, sn_sock_sndtimeo(sn_net(), s), try_send, &x);
    if (n >= 0 && sn_sock_type(sn_net(), s) == SOCK_STREAM && !nb) {
        /* A blocking stream send returns when everything is queued. */
        ssize_t done = io_rest(s, &x, try_send, sn_sock_sndtimeo(sn_net(), s), (size_t)n);
        n = done ? done : n;
    }
    /* Only stream sockets raise SIGPIPE (UDP just says EPIPE). */
    if (n == -EPIPE && sn_sock_type(sn_net(), s) == SOCK_STREAM && !(flags & MSG_NOSIGNAL))
        raise(SIGPIPE);
    return n;
}

/* ---- read/write family ---- */

ssize_t read(int fd, void *buf, size_t len)
{
    int s = sn_fd_slot(fd);
    if (s < 0)
        return REAL(read)(fd, buf, len);
    if (len == 0)
        return 0;               /* read(2) of nothing is 0 at once (recv waits) */
    struct iovec v = {buf, len};
    sn_msg m = {.iov = &v, .iovcnt = 1};
    return SN_RET(fd, io_recv(s, &m, 0));
}

ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
    if (len > buflen)
        __chk_fail();
    if (sn_fd_slot(fd) < 0)
        return REAL(__read_chk)(fd, buf, len, buflen);
    return read(fd, buf, len);
}

ssize_t write(int fd, const void *buf, size_t len)
{
    int s = sn_fd_slot(fd);
    if (s < 0)
        return REAL(write)(fd, buf, len);
    struct iovec v = {(void *)buf, len};
    sn_msg m = {.iov = &v, .iovcnt = 1};
    return SN_RET(fd, io_send(s, &m, 0));
}

/* readv/writev of nothing return at once, before the protocol (recv and
 * sendmsg of nothing do reach it). */
static bool iov_empty(const struct iovec *iov, int n, bool write)
{
    return n >= 0 && n <= IOV_MAX && sn_uaccess_iov(iov, n, write) == 0 &&
           sn_iov_total(iov, n) == 0;
}

ssize_t readv(int fd, const struct iovec *iov, int n)
{
    int s = sn_fd_slot(fd);
    if (s < 0)
        return REAL(readv)(fd, iov, n);
    sn_msg m = {.iov = iov, .iovcnt = n};
    if (iov_empty(iov, n, true))
        return 0;
    return SN_RET(fd, io_recv(s, &m, 0));
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
    int s = sn_fd_slot(fd);
    if (s < 0)
        return REAL(writev)(fd, iov, n);
    sn_msg m = {.iov = iov, .iovcnt = n};
    if (iov_empty(iov, n, false))   /* no empty datagram, unlike write(2) */
        return 0;
    return SN_RET(fd, io_send(s, &m, 0));
}

/* ---- recv family ---- */

/* Fill the source address for recvfrom/recvmsg: datagram sockets only;
 * TCP leaves it empty (length 0), as Linux does. */
static int give_source(int s, const sn_msg *m, struct sockaddr *addr,
                       socklen_t *alen)
{
    sn_arena *a = sn_net();
    if (!addr || !alen)
        return 0;
    if (sn_sock_type(a, s) != SOCK_DGRAM) {
        if (sn_uaccess(alen, sizeof *alen, true) < 0)
            return -EFAULT;
        *alen = 0;
        return 0;
    }
    struct sockaddr_storage ss;
    socklen_t full = sn_sock_format(a, s, &m->from, &ss);
    return sn_copy_sockaddr_out(addr, alen, &ss, full);
}

ssize_t recvfrom(int fd, void *buf, size_t len, int flags,
                 struct sockaddr *addr, socklen_t *alen)
{
    int s = sn_fd_slot(fd);
    if (s < 0 && sn_nl_is(fd)) {
        struct iovec v = {buf, len};
        struct msghdr m = {.msg_name = addr, .msg_namelen = addr && alen ? *alen : 0,
                           .msg_iov = &v, .msg_iovlen = 1};
        ssize_t r = sn_nl_recvmsg(fd, &m, flags);
        if (r >= 0 && addr && alen)
            *alen = m.msg_namelen;
        return r;
    }
    if (s < 0)
        return REAL(recvfrom)(fd, buf, len, flags, addr, alen);
    /* The address buffer is looked at after the data moved, as Linux
     * does: a bad one fails the call but the data is gone. */
    struct iovec v = {buf, len};
    sn_msg m = {.iov = &v, .iovcnt = 1};
    ssize_t n = io_recv(s, &m, flags);
    if (n >= 0) {
        int r = give_source(s, &m, addr, alen);
        if (r < 0)
            n = r;
    }
    return SN_RET(fd, n);
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    if (sn_fd_slot(fd) < 0 && !sn_nl_is(fd))
        return REAL(recv)(fd, buf, len, flags);
    return recvfrom(fd, buf, len, flags, NULL, NULL);
}

ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags)
{
    if (len > buflen)
        __chk_fail();
    if (sn_fd_slot(fd) < 0)
        return REAL(__recv_chk)(fd, buf, len, buflen, flags);
    return recvfrom(fd, buf, len, flags, NULL, NULL);
}

ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
                       struct sockaddr *addr, socklen_t *alen)
{
    if (len > buflen)
        __chk_fail();
    if (sn_fd_slot(fd) < 0)
        return REAL(__recvfrom_chk)(fd, buf, len, buflen, flags, addr, alen);
    return recvfrom(fd, buf, len, flags, addr, alen);
}

static ssize_t do_recvmsg(int s, struct msghdr *msg, int flags)
{
    if (sn_uaccess(msg, sizeof *msg, true) < 0)
        return -EFAULT;
    if (msg->msg_controllen &&
        sn_uaccess(msg->msg_control, msg->msg_controllen, true) < 0)
        return -EFAULT;
    if (msg->msg_name && (int)msg->msg_namelen < 0)
        return -EINVAL;
    sn_msg m = {.iov = msg->msg_iov, .iovcnt = (int)msg->msg_iovlen};
    if (msg->msg_iovlen > IOV_MAX)
        return -EMSGSIZE;
    ssize_t n = io_recv(s, &m, flags);
    if (n < 0)
        return n;
    msg->msg_flags = (m.truncated ? MSG_TRUNC : 0) | (m.oob ? MSG_OOB : 0);
    if (msg->msg_name) {
        socklen_t l = msg->msg_namelen;
        int r = give_source(s, &m, msg->msg_name, &l);
        if (r < 0)
            return r;
        msg->msg_namelen = l;
    } else {
        msg->msg_namelen = 0;
    }
    sn_cmsg_recv(s, &m, msg);
    return n;
}

/* SCM_RIGHTS on a real (AF_UNIX) socket: a simulated socket may travel
 * in it.  The sender counts a copy in flight, so that closing its own fd
 * right after cannot destroy the socket; the receiver recognises the
 * placeholder it got and holds the socket. */
enum { SCM_RECEIVED, SCM_SENDING, SCM_NOT_SENT };

static void scm_rights(const struct msghdr *msg, int what)
{
    if (!msg || !msg->msg_control || msg->msg_controllen < sizeof(struct cmsghdr) ||
        !sn_net())
        return;
    for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)msg); c;
         c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (int i = 0; i < n; i++) {
            int f;
            memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof f);
            int s = sn_fd_slot(f);
            if (what == SCM_RECEIVED) {
                sn_fdtab_adopt(f);
            } else if (s >= 0) {
                /* Counted before the send: the receiver may take it
                 * before sendmsg even returns here. */
                if (what == SCM_SENDING)
                    sn_sock_send_copy(sn_net(), s);
                else
                    sn_sock_recv_copy(sn_net(), s);
            }
        }
    }
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
    int s = sn_fd_slot(fd);
    if (s < 0 && sn_nl_is(fd))
        return sn_nl_recvmsg(fd, msg, flags);
    if (s < 0) {
        ssize_t r = REAL(recvmsg)(fd, msg, flags);
        if (r >= 0 && msg->msg_controllen)
            scm_rights(msg, SCM_RECEIVED);
        return r;
    }
    return SN_RET(fd, do_recvmsg(s, msg, flags));
}

int recvmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags,
             struct timespec *timeout)
{
    int s = sn_fd_slot(fd);
    if (s < 0)
        return REAL(recvmmsg)(fd, v, n, flags, timeout);
    if (n > UIO_MAXIOV)
        n = UIO_MAXIOV;
    unsigned i;
    ssize_t r = 0;
    for (i = 0; i < n; i++) {
        /* After the first message, MSG_WAITFORONE makes the rest
         * non-blocking. */
        int f = (i > 0 && (flags & MSG_WAITFORONE)) ? flags | MSG_DONTWAIT : flags;
        r = do_recvmsg(s, &v[i].msg_hdr, f & ~MSG_WAITFORONE);
        if (r < 0)
            break;
        v[i].msg_len = (unsigned)r;
    }
    if (i > 0)
        return (int)i;
    return (int)SN_RET(fd, r);
}

/* ---- send family ---- */

ssize_t sendto(int fd, const void *buf, size_t len, int flags,
               const struct sockaddr *addr, socklen_t alen)
{
    int s = sn_fd_slot(fd);
    if (s < 0 && sn_nl_is(fd))
        return sn_nl_send(fd, &(struct iovec){(void *)buf, len}, 1, flags);
    if (s < 0)
        return REAL(sendto)(fd, buf, len, flags, addr, alen);
    struct sockaddr_storage ss;
    struct iovec v = {(void *)buf, len};
    sn_msg m = {.iov = &v, .iovcnt = 1};
    if (addr) {
        /* Copied for every type (a bad pointer is EFAULT even on TCP);
         * TCP then ignores it. */
        int r = sn_copy_sockaddr_in(&ss, addr, alen);
        if (r < 0)
            return SN_RET(fd, r);
        if (sn_sock_type(sn_net(), s) == SOCK_DGRAM) {
            m.name = (struct sockaddr *)&ss;
            m.namelen = alen;
        }
    }
    return SN_RET(fd, io_send(s, &m, flags));
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    if (sn_fd_slot(fd) < 0 && !sn_nl_is(fd))
        return REAL(send)(fd, buf, len, flags);
    return sendto(fd, buf, len, flags, NULL, 0);
}

static ssize_t do_sendmsg(int s, const struct msghdr *msg, int flags)
{
    if (sn_uaccess(msg, sizeof *msg, false) < 0)
        return -EFAULT;
    if (msg->msg_iovlen > IOV_MAX)
        return -EMSGSIZE;
    struct sockaddr_storage ss;
    sn_msg m = {.iov = msg->msg_iov, .iovcnt = (int)msg->msg_iovlen};
    bool dgram = sn_sock_type(sn_net(), s) == SOCK_DGRAM;
    if (msg->msg_name && msg->msg_namelen && dgram) {
        int r = sn_copy_sockaddr_in(&ss, msg->msg_name, msg->msg_namelen);
        if (r < 0)
            return r;
        m.name = (struct sockaddr *)&ss;
        m.namelen = msg->msg_namelen;
    }
    if (dgram) {
        int r = sn_cmsg_send(s, msg, &m);   /* rules depend on the destination */
        if (r < 0)
            return r;
    }
    return io_send(s, &m, flags);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    int s = sn_fd_slot(fd);
    if (s < 0 && sn_nl_is(fd)) {
        if (sn_uaccess(msg, sizeof *msg, false) < 0)
            return sn_ret(-EFAULT);
        return sn_nl_send(fd, msg->msg_iov, (int)msg->msg_iovlen, flags);
    }
    if (s < 0) {
        bool ctl = msg && sn_uaccess(msg, sizeof *msg, false) == 0 &&
                   msg->msg_controllen &&
                   sn_uaccess(msg->msg_control, msg->msg_controllen, false) == 0;
        if (ctl)
            scm_rights(msg, SCM_SENDING);
        ssize_t r = REAL(sendmsg)(fd, msg, flags);
        if (r < 0 && ctl) {
            int e = errno;
            scm_rights(msg, SCM_NOT_SENT);
            errno = e;
        }
        return r;
    }
    return SN_RET(fd, do_sendmsg(s, msg, flags));
}

int sendmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags)
{
    int s = sn_fd_slot(fd);
    if (s < 0)
        return REAL(sendmmsg)(fd, v, n, flags);
    if (n > UIO_MAXIOV)
        n = UIO_MAXIOV;
    unsigned i;
    ssize_t r = 0;
    for (i = 0; i < n; i++) {
        r = do_sendmsg(s, &v[i].msg_hdr, flags);
        if (r < 0)
            break;
        v[i].msg_len = (unsigned)r;
    }
    if (i > 0)
        return (int)i;
    return (int)SN_RET(fd, r);
}

/* sendfile to a simulated socket from a real file: read a chunk with
 * pread, send it, and move the file offset by what was really sent. */
static ssize_t sendfile_sim(int s, int in_fd, off64_t *offset, size_t count)
{
    if (sn_fd_slot(in_fd) >= 0)
        return -EINVAL;                 /* a socket is no source for sendfile */
    if (offset && sn_uaccess(offset, sizeof *offset, true) < 0)
        return -EFAULT;
    off64_t pos = offset ? *offset : lseek64(in_fd, 0, SEEK_CUR);
    if (pos < 0)
        return -errno;
    char buf[64 * 1024];
    size_t done = 0;
    ssize_t r = 0;
    while (done < count) {
        size_t want = count - done < sizeof buf ? count - done : sizeof buf;
        ssize_t got = pread64(in_fd, buf, want, pos + (off64_t)done);
        if (got < 0) {
            r = -errno;
            break;
        }
        if (got == 0)
            break;
        struct iovec v = {buf, (size_t)got};
        sn_msg m = {.iov = &v, .iovcnt = 1};
        r = io_send(s, &m, 0);
        if (r <= 0)
            break;
        done += (size_t)r;
        if (r < got)
            break;                      /* non-blocking socket is full */
    }
    if (offset)
        *offset = pos + (off64_t)done;
    else
        lseek64(in_fd, pos + (off64_t)done, SEEK_SET);
    return done ? (ssize_t)done : r;
}

ssize_t sendfile64(int out_fd, int in_fd, off64_t *offset, size_t count)
{
    int s = sn_fd_slot(out_fd);
    if (s < 0) {
        if (sn_fd_slot(in_fd) >= 0)
            return SN_RET(out_fd, -EINVAL);
        return REAL(sendfile64)(out_fd, in_fd, offset, count);
    }
    return SN_RET(out_fd, sendfile_sim(s, in_fd, offset, count));
}

ssize_t sendfile(int out_fd, int in_fd, off_t *offset, size_t count)
{
    if (sn_fd_slot(out_fd) < 0 && sn_fd_slot(in_fd) < 0)
        return REAL(sendfile)(out_fd, in_fd, offset, count);
    /* off_t is 64 bits on the 64-bit targets this library supports. */
    return sendfile64(out_fd, in_fd, (off64_t *)offset, count);
}
