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

#endif
