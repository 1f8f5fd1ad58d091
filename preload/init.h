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
#include <stddef.h>
#include <stdint.h>

/* In the environment of a program started by a process that holds
 * simulated sockets, naming the process entry that holds them for it
 * (process.c); the new program's constructor removes it. */
#define SN_ENV_HELD "SIMNET_HELD_SOCKETS"

sn_arena *sn_net(void);
/* SIMNET_HOST as the program started: this process's host, "" for the
 * default host. */
const char *sn_host_name(void);
/* Has the library started (in any thread)? */
bool      sn_started(void);
/* SIMNET_FD_BASE: lowest fd for new simulated sockets (0: no constraint). */
int sn_fd_base(void);

/* "NAME=value" of a variable that names the network (SIMNET_NETWORK,
 * SIMNET_DIR, XDG_RUNTIME_DIR, SIMNET_SHARED) as it was when the program
 * started, into out: 0, or -1 when it was unset (or too long). */
int sn_net_env(const char *name, char *out, size_t n);

/* For pinning the network (identity.h), before start-up or after it.
 * The arena file's path: 0, -EINVAL (bad SIMNET_NETWORK) or -errno (the
 * runtime directory, made if missing).  Found once, then kept. */
int      sn_net_path(const char **path);
bool     sn_net_shared(void);             /* SIMNET_SHARED=1 */
/* A hash of what names the network in the environment as the program
 * started (SIMNET_NETWORK, SIMNET_DIR). */
uint64_t sn_net_tag(void);
/* Lowest fd for the library's own fds (0: no constraint). */
int      sn_libfd_floor(void);

#endif
