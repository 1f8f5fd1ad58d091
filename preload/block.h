/* Blocking on a simulated socket: core never waits, this does.
 *
 * sn_block() runs `try` until it gives something other than -EAGAIN, or
 * once only when the call is non-blocking.  In between it sleeps on the
 * socket's sequence word (core/wait.h) until another thread or process
 * changes the socket, the timeout passes (-EAGAIN, Linux's answer to an
 * expired SO_RCVTIMEO/SO_SNDTIMEO) or a signal handler runs (-EINTR; the
 * kernel restarts the sleep itself after a SA_RESTART handler when there
 * is no timeout, as it does for a socket).
 */
#ifndef SN_BLOCK_H
#define SN_BLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef ssize_t (*sn_try_fn)(int slot, void *ctx);

ssize_t sn_block(int slot, bool nonblock, int64_t timeout_ns,
                 sn_try_fn try, void *ctx);
bool    sn_nonblocking(int slot, int msg_flags);

#endif
