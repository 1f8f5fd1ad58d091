/* The real libc functions, found with dlsym(RTLD_NEXT) from the list in
 * symbols.h.  REAL(name) is always callable: each entry is filled on first
 * use, even when another library's constructor calls us before ours ran. */
#ifndef SN_REAL_H
#define SN_REAL_H

#include <grp.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "preload/symbols.h"

typedef struct sn_real_table {
#define X(ret, name, params) ret(*name) params;
    SN_SYMBOLS(X)
#undef X
} sn_real_table;

/* The interposed functions themselves: the only symbols with default
 * visibility in the library (everything else is built hidden). */
#define X(ret, name, params) __attribute__((visibility("default"))) ret name params;
SN_SYMBOLS(X)
#undef X

extern sn_real_table sn_real;   /* owner: real.c; each entry set on first use */
#define X(ret, name, params) __typeof__(sn_real.name) sn_real_get_##name(void);
SN_SYMBOLS(X)
#undef X

/* Under the trap: the entries for the numbers it catches make their
 * calls through the gate (real.c, trap.h). */
void sn_real_gate(void);

#define REAL(name) \
    (__builtin_expect(sn_real.name != NULL, 1) ? sn_real.name : sn_real_get_##name())

#endif
