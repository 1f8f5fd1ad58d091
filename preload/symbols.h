/* The one list of interposed libc functions.  It generates the table of
 * real functions (real.h) and the export list of the library
 * (exports.map.in): the .so exports exactly these names.
 *   X(return type, name, (parameters))
 */
#ifndef SN_SYMBOLS_H
#define SN_SYMBOLS_H

#define SN_SYMBOLS(X)                                                          \
    /* sockets and connections: socket.c */                                   \
    X(int, socket, (int, int, int))                                           \
    X(int, bind, (int, const struct sockaddr *, socklen_t))                   \
    X(int, listen, (int, int))                                                \
    X(int, accept, (int, struct sockaddr *, socklen_t *))                     \
    X(int, accept4, (int, struct sockaddr *, socklen_t *, int))               \
    X(int, connect, (int, const struct sockaddr *, socklen_t))                \
    X(int, shutdown, (int, int))                                              \
    X(int, close, (int))                                                      \
    /* names: names.c */                                                      \
    X(int, getsockname, (int, struct sockaddr *, socklen_t *))                \
    X(int, getpeername, (int, struct sockaddr *, socklen_t *))                \
    /* options: sockopt.c */                                                  \
    X(int, getsockopt, (int, int, int, void *, socklen_t *))                  \
    X(int, setsockopt, (int, int, int, const void *, socklen_t))              \
    /* data: io.c */                                                          \
    X(ssize_t, read, (int, void *, size_t))                                   \
    X(ssize_t, write, (int, const void *, size_t))                            \
    X(ssize_t, readv, (int, const struct iovec *, int))                       \
    X(ssize_t, writev, (int, const struct iovec *, int))                      \
    X(ssize_t, recv, (int, void *, size_t, int))                              \
    X(ssize_t, recvfrom, (int, void *, size_t, int, struct sockaddr *,        \
                          socklen_t *))                                       \
    X(ssize_t, recvmsg, (int, struct msghdr *, int))                          \
    X(int, recvmmsg, (int, struct mmsghdr *, unsigned int, int,               \
                      struct timespec *))                                     \
    X(ssize_t, send, (int, const void *, size_t, int))                        \
    X(ssize_t, sendto, (int, const void *, size_t, int,                       \
                        const struct sockaddr *, socklen_t))                  \
    X(ssize_t, sendmsg, (int, const struct msghdr *, int))                    \
    X(int, sendmmsg, (int, struct mmsghdr *, unsigned int, int))              \
    X(ssize_t, sendfile, (int, int, off_t *, size_t))                         \
    X(ssize_t, sendfile64, (int, int, off64_t *, size_t))                     \
    X(ssize_t, __read_chk, (int, void *, size_t, size_t))                     \
    X(ssize_t, __recv_chk, (int, void *, size_t, size_t, int))                \
    X(ssize_t, __recvfrom_chk, (int, void *, size_t, size_t, int,             \
                                struct sockaddr *, socklen_t *))              \
    /* processes: process.c */                                                \
    X(pid_t, fork, (void))                                                    \
    /* descriptors: fdops.c */                                                \
    X(int, fcntl, (int, int, ...))                                            \
    X(int, fcntl64, (int, int, ...))                                          \
    X(int, ioctl, (int, unsigned long, ...))                                  \
    X(int, dup, (int))                                                        \
    X(int, dup2, (int, int))                                                  \
    X(int, dup3, (int, int, int))

#endif
