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

struct __res_state;
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

/* An entry may change once under a running thread (sn_real_gate): read
 * it as one load. */
#define REAL(name)                                                        \
    ({                                                                    \
        __typeof__(sn_real.name) r_ = __atomic_load_n(&sn_real.name, __ATOMIC_RELAXED); \
        __builtin_expect(r_ != NULL, 1) ? r_ : sn_real_get_##name();      \
    })

#endif
