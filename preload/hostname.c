/* gethostname, uname: a process on a named host (SIMNET_HOST, core/hosts.h)
 * sees that name as its machine's, as a process in its own UTS namespace
 * would; on the default host the kernel's answer stands.  No network is
 * needed: the name is the environment's as the program started. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "preload/init.h"
#include "preload/real.h"
#include "preload/ret.h"

int gethostname(char *name, size_t len)
{
    const char *h = sn_host_name();
    if (!*h)
        return REAL(gethostname)(name, len);
    size_t n = strlen(h) + 1;
    /* glibc: what fits is copied, and a name that does not fit (with its
     * terminator) is ENAMETOOLONG. */
    memcpy(name, h, n < len ? n : len);
    return (int)sn_ret(n > len ? -ENAMETOOLONG : 0);
}

int uname(struct utsname *u)
{
    int r = REAL(uname)(u);
    const char *h = sn_host_name();
    if (r == 0 && *h)
        snprintf(u->nodename, sizeof u->nodename, "%s", h);
    return r;
}
