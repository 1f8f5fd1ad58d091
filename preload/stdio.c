/* fdopen, fclose: stdio on a simulated socket, under the trap (trap.h).
 *
 * glibc's FILE reads and writes through internal calls no interposed
 * function sees; the trap catches them only on an fd in its ranges, and
 * a socket made through libc keeps the lowest free number (programs size
 * tables by it).  So fdopen of such a socket gives stdio a twin of it: a
 * dup at a number in the range, which the FILE uses from then on
 * (fileno() says the twin's number; both name the same socket).  fclose
 * then closes the program's own number too, as it would have closed it,
 * unless the program closed it already and the number now names
 * something else. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "preload/fdtab.h"
#include "preload/real.h"
#include "preload/trap.h"

typedef struct twin {
    int32_t orig;   /* the program's fd + 1; 0: not a twin */
    int32_t slot;   /* the socket it named + 1 */
} twin;

static _Atomic(twin *) twins;   /* indexed by the twin's fd */

static twin *table(void)
{
    twin *t = atomic_load(&twins);
    if (t || sn_fdtab_size <= 0)
        return t;
    void *p = mmap(NULL, (size_t)sn_fdtab_size * sizeof *t, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    twin *none = NULL;
    if (!atomic_compare_exchange_strong(&twins, &none, (twin *)p)) {
        munmap(p, (size_t)sn_fdtab_size * sizeof *t);
        return none;
    }
    return p;
}

FILE *fdopen(int fd, const char *mode)
{
    int slot;
    if (sn_fd_slot(fd) >= 0)
        sn_trap_need();      /* glibc's internal read/write on it */
    if (!sn_trap_on() || sn_trap_in_range(fd) || (slot = sn_fd_slot(fd)) < 0)
        return REAL(fdopen)(fd, mode);
    twin *t = table();
    int saved = errno, cloexec = fcntl(fd, F_GETFD);
    int m = t && cloexec >= 0 ? fcntl(fd, (cloexec & FD_CLOEXEC) ? F_DUPFD_CLOEXEC : F_DUPFD,
                                      sn_trap_base())
                              : -1;
    if (m < 0 || !sn_trap_in_range(m) || m >= sn_fdtab_size) {
        if (m >= 0)
            close(m);
        errno = saved;
        return REAL(fdopen)(fd, mode);     /* not covered: fdtab full */
    }
    FILE *f = REAL(fdopen)(m, mode);
    if (!f) {
        saved = errno;
        close(m);
        errno = saved;
        return NULL;
    }
    t[m] = (twin){.orig = fd + 1, .slot = slot + 1};
    errno = saved;
    return f;
}

int fclose(FILE *f)
{
    twin *t = atomic_load(&twins);
    int m = t && f ? fileno(f) : -1;
    twin w = {0, 0};
    if (m >= 0 && m < sn_fdtab_size) {
        w = t[m];
        t[m] = (twin){0, 0};
    }
    int r = REAL(fclose)(f);
    if (w.orig && sn_fd_slot(w.orig - 1) == w.slot - 1) {
        int saved = errno;
        close(w.orig - 1);
        errno = saved;
    }
    return r;
}
