#include "preload/real.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

sn_real_table sn_real;

/* Each real function is looked up the first time it is needed: a process
 * that never touches epoll does not pay dlsym for it at start-up.
 * Racing threads write the same value: harmless. */
static void *lookup(const char *name)
{
    void *p = dlsym(RTLD_NEXT, name);
    if (!p) {
        static const char msg[] = "libsimnet: cannot find a libc function it wraps\n";
        syscall(SYS_write, 2, msg, sizeof msg - 1);   /* not our write() */
        abort();
    }
    return p;
}

#define X(ret, name, params)                                        \
    __typeof__(sn_real.name) sn_real_get_##name(void)               \
    {                                                               \
        if (!sn_real.name)                                          \
            sn_real.name = (__typeof__(sn_real.name))lookup(#name); \
        return sn_real.name;                                        \
    }
SN_SYMBOLS(X)
#undef X
