/* OS interface: the doorbell transport.  A doorbell is a kernel object
 * that a process sleeping in poll/select/epoll_wait has in its set, and
 * that any process of the network can make readable by name.
 *
 * Linux: an AF_UNIX datagram socket bound to an abstract name (no file;
 * core/belltx_linux.c).  A macOS port has no abstract namespace: a socket
 * bound to a path in the runtime directory, or a kqueue EVFILT_USER per
 * bell where the waiter's set is a kqueue.
 *
 * None of these touches errno. */
#ifndef SN_BELLTX_H
#define SN_BELLTX_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

/* The address of bell `id` (allocated `gen` times) of the network whose
 * token is `token`. */
socklen_t sn_os_bell_name(uint64_t token, int id, unsigned gen,
                          struct sockaddr_un *out);
/* The sending socket: *tx made if it is -1, at or above fd_high (out of
 * the way of the program's own numbering).  0 or -errno. */
int       sn_os_bell_tx_open(int *tx, int fd_high);
/* Ring: one byte to `to`, never blocking.  *tx is the caller's sending
 * socket (-1: none yet), made on demand at or above fd_high, and made
 * again if the program closed it. */
void      sn_os_bell_send(int *tx, int fd_high, const struct sockaddr_un *to,
                          socklen_t len);

#endif
