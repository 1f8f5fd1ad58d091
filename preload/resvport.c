/* bindresvport, rresvport, rresvport_af: glibc makes and binds their
 * sockets through its internal __socket and __bind, which we do not see,
 * so under the library the bind would land on the placeholder (EINVAL)
 * and rresvport's socket would be a kernel one.  The same algorithms as
 * glibc's (sunrpc/bindrsvprt.c, inet/rcmd.c), through our socket() and
 * bind(): same ports in the same order, same errno, including the
 * EADDRINUSE that a success after busy ports leaves in errno. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/lock.h"
#include "preload/fdtab.h"
#include "preload/real.h"

#define START_PORT 600                      /* first range: 600..1023 */
#define LOW_PORT   512                      /* then 512..599, for good */
#define END_PORT   (IPPORT_RESERVED - 1)
#define NPORTS     (END_PORT - START_PORT + 1)

/* glibc keeps the next port to try per process, starting from the pid. */
static pthread_mutex_t resv_lock = PTHREAD_MUTEX_INITIALIZER;
static int resv_next, resv_start = START_PORT;

int bindresvport(int fd, struct sockaddr_in *sin)
{
    if (sn_fd_slot(fd) < 0)
        return REAL(bindresvport)(fd, sin);
    struct sockaddr_in mine;
    if (!sin) {
        memset(&mine, 0, sizeof mine);
        mine.sin_family = AF_INET;
        sin = &mine;
    } else if (sin->sin_family != AF_INET) {
        errno = EAFNOSUPPORT;
        return -1;
    }
    /* A critical section (sn_plock): a handler calling us meanwhile is
     * held back instead of waiting for this lock.  Order: resv_lock ->
     * the arena lock that bind takes. */
    sn_plock(&resv_lock);
    if (resv_next == 0)
        resv_next = getpid() % NPORTS + START_PORT;
    int r = -1, nports = END_PORT - resv_start + 1, end = END_PORT, i;
    for (;;) {
        for (i = 0; i < nports; i++) {
            sin->sin_port = htons((uint16_t)resv_next++);
            if (resv_next > end)
                resv_next = resv_start;
            r = bind(fd, (struct sockaddr *)sin, sizeof *sin);
            if (r >= 0 || errno != EADDRINUSE)
                break;
        }
        if (i < nports || resv_start == LOW_PORT)
            break;
        /* 600..1023 all busy: 512..599, and from now on 512..1023. */
        resv_start = LOW_PORT;
        end = START_PORT - 1;
        nports = START_PORT - LOW_PORT;
        resv_next = LOW_PORT + resv_next % (START_PORT - LOW_PORT);
    }
    sn_punlock(&resv_lock);
    return r;
}

int rresvport_af(int *alport, sa_family_t family)
{
    struct sockaddr_storage ss;
    socklen_t len;
    in_port_t *port;
    memset(&ss, 0, sizeof ss);
    switch (family) {
    case AF_INET:
        len = sizeof(struct sockaddr_in);
        port = &((struct sockaddr_in *)&ss)->sin_port;
        break;
    case AF_INET6:
        len = sizeof(struct sockaddr_in6);
        port = &((struct sockaddr_in6 *)&ss)->sin6_port;
        break;
    default:
        errno = EAFNOSUPPORT;
        return -1;
    }
    int fd = socket(family, SOCK_STREAM, 0);   /* no SOCK_CLOEXEC: glibc's */
    if (fd < 0)
        return -1;
    ss.ss_family = family;
    /* From *alport (clamped to 512..1023) down, wrapping at 512. */
    if (*alport < IPPORT_RESERVED / 2)
        *alport = IPPORT_RESERVED / 2;
    else if (*alport >= IPPORT_RESERVED)
        *alport = IPPORT_RESERVED - 1;
    int start = *alport;
    do {
        *port = htons((uint16_t)*alport);
        if (bind(fd, (struct sockaddr *)&ss, len) >= 0)
            return fd;
        if (errno != EADDRINUSE) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        if ((*alport)-- == IPPORT_RESERVED / 2)
            *alport = IPPORT_RESERVED - 1;
    } while (*alport != start);
    close(fd);
    errno = EAGAIN;
    return -1;
}

int rresvport(int *alport)
{
    return rresvport_af(alport, AF_INET);
}
