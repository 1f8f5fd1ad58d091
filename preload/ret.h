/* The one place where core's -errno becomes errno and -1.  Every
 * interposed function returns through sn_ret(); on success errno is left
 * as it was, as the kernel does. */
#ifndef SN_RET_H
#define SN_RET_H

#include <errno.h>

static inline long sn_ret(long r)
{
    if (r < 0) {
        errno = (int)-r;
        return -1;
    }
    return r;
}

/* SIMNET_DEBUG: one line per simulated call, "name(fd) = result" or
 * "= -1 ENAME" (init.c).  SN_RET is sn_ret with that line. */
extern int sn_debug_fd;   /* owner: init.c; -1 when tracing is off */
void sn_trace(const char *fn, int fd, long r);
/* One last line saying why, then no more (init.c). */
void sn_trace_stop(const char *why);

static inline long sn_ret_traced(const char *fn, int fd, long r)
{
    if (__builtin_expect(sn_debug_fd >= 0, 0))
        sn_trace(fn, fd, r);
    return sn_ret(r);
}
#define SN_RET(fd, r) sn_ret_traced(__func__, (fd), (r))

#endif
