/* Start-up: the library's constructor reads the environment once (some
 * servers wipe it later), maps the network's arena and registers the
 * process.  sn_net() is the attached arena, or NULL when the network could
 * not be opened: then AF_INET/AF_INET6 sockets fail with ENETDOWN after
 * one line on stderr saying why, and nothing reaches the kernel. */
#ifndef SN_INIT_H
#define SN_INIT_H

#include "core/arena.h"

sn_arena *sn_net(void);
/* SIMNET_FD_BASE: lowest fd for new simulated sockets (0: no constraint). */
int sn_fd_base(void);

#endif
