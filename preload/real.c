#include "preload/real.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

sn_real_table sn_real;

void sn_real_init(void)
{
    /* Racing threads write the same values: harmless. */
#define X(ret, name, params) \
    sn_real.name = (ret(*) params)dlsym(RTLD_NEXT, #name);
    SN_SYMBOLS(X)
#undef X
    if (!sn_real.close || !sn_real.socket || !sn_real.read) {
        static const char msg[] = "libsimnet: cannot find libc's socket functions\n";
        syscall(SYS_write, 2, msg, sizeof msg - 1);   /* not our write() */
        abort();
    }
}
