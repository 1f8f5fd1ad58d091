/* Start-up is lazy: a process that never uses a socket pays only for
 * loading the library.  The library starts (reads the environment, maps
 * the network's arena, registers the process, adopts inherited sockets)
 * at the first of: a call that needs the network (socket(), epoll, ...),
 * a call on an fd that fstat says is a socket we do not know (it may be
 * an inherited one: sn_fd_slot_cold), or at once in the constructor when
 * the parent left SN_ENV_HELD in the environment, saying that it handed
 * sockets down (process.c).
 *
 * sn_net() starts the library if needed and is the attached arena, or
 * NULL when the network could not be opened: then AF_INET/AF_INET6
 * sockets fail with ENETDOWN after one line on stderr saying why, and
 * nothing reaches the kernel. */
#ifndef SN_INIT_H
#define SN_INIT_H

#include "core/net.h"

#include <stdbool.h>

/* In the environment of a program started by a process that holds
 * simulated sockets, naming the process entry that holds them for it
 * (process.c); the new program's constructor removes it. */
#define SN_ENV_HELD "SIMNET_HELD_SOCKETS"

sn_arena *sn_net(void);
/* Has the library started (in any thread)? */
bool      sn_started(void);
/* SIMNET_FD_BASE: lowest fd for new simulated sockets (0: no constraint). */
int sn_fd_base(void);

#endif
