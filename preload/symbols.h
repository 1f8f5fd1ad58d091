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
    /* reserved ports, bound by libc's internal calls: resvport.c */        \
    X(int, bindresvport, (int, struct sockaddr_in *))                         \
    X(int, rresvport, (int *))                                                \
    X(int, rresvport_af, (int *, sa_family_t))                                \
    /* the resolver's lower interface, passed through: resquery.c */          \
    X(int, res_query, (const char *, int, int, unsigned char *, int))         \
    X(int, res_search, (const char *, int, int, unsigned char *, int))        \
    X(int, res_querydomain, (const char *, const char *, int, int,            \
                             unsigned char *, int))                           \
    X(int, res_send, (const unsigned char *, int, unsigned char *, int))      \
    X(int, res_nquery, (struct __res_state *, const char *, int, int,         \
                        unsigned char *, int))                                \
    X(int, res_nsearch, (struct __res_state *, const char *, int, int,        \
                         unsigned char *, int))                               \
    X(int, res_nquerydomain, (struct __res_state *, const char *,             \
                              const char *, int, int, unsigned char *, int))  \
    X(int, res_nsend, (struct __res_state *, const unsigned char *, int,      \
                       unsigned char *, int))                                 \
    X(int, __res_query, (const char *, int, int, unsigned char *, int))       \
    X(int, __res_search, (const char *, int, int, unsigned char *, int))      \
    X(int, __res_querydomain, (const char *, const char *, int, int,          \
                               unsigned char *, int))                         \
    X(int, __res_send, (const unsigned char *, int, unsigned char *, int))    \
    X(int, __res_nquery, (struct __res_state *, const char *, int, int,       \
                          unsigned char *, int))                              \
    X(int, __res_nsearch, (struct __res_state *, const char *, int, int,      \
                           unsigned char *, int))                             \
    X(int, __res_nquerydomain, (struct __res_state *, const char *,           \
                                const char *, int, int, unsigned char *,      \
                                int))                                         \
    X(int, __res_nsend, (struct __res_state *, const unsigned char *, int,    \
                         unsigned char *, int))                               \
    /* the host's name: hostname.c */                                         \
    X(int, gethostname, (char *, size_t))                                     \
    X(int, uname, (struct utsname *))                                         \
    /* the hosts' names and addresses: resolve.c */                           \
    X(int, getaddrinfo, (const char *, const char *, const struct addrinfo *, \
                         struct addrinfo **))                                 \
    X(int, getnameinfo, (const struct sockaddr *, socklen_t, char *,          \
                         socklen_t, char *, socklen_t, int))                  \
    X(struct hostent *, gethostbyname, (const char *))                        \
    X(struct hostent *, gethostbyname2, (const char *, int))                  \
    X(int, gethostbyname_r, (const char *, struct hostent *, char *, size_t,  \
                             struct hostent **, int *))                       \
    X(int, gethostbyname2_r, (const char *, int, struct hostent *, char *,    \
                              size_t, struct hostent **, int *))              \
    X(struct hostent *, gethostbyaddr, (const void *, socklen_t, int))        \
    X(int, gethostbyaddr_r, (const void *, socklen_t, int, struct hostent *,  \
                             char *, size_t, struct hostent **, int *))       \
    /* a named host's interfaces: ifaddrs.c */                                \
    X(int, getifaddrs, (struct ifaddrs **))                                   \
    X(struct if_nameindex *, if_nameindex, (void))                            \
    X(unsigned int, if_nametoindex, (const char *))                           \
    X(char *, if_indextoname, (unsigned int, char[IF_NAMESIZE]))               \
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
    /* readiness: poll.c, epoll.c */                                          \
    X(int, poll, (struct pollfd *, nfds_t, int))                              \
    X(int, ppoll, (struct pollfd *, nfds_t, const struct timespec *,          \
                   const sigset_t *))                                         \
    X(int, __poll_chk, (struct pollfd *, nfds_t, int, size_t))                \
    X(int, __ppoll_chk, (struct pollfd *, nfds_t, const struct timespec *,    \
                         const sigset_t *, size_t))                           \
    X(int, select, (int, fd_set *, fd_set *, fd_set *, struct timeval *))     \
    X(int, pselect, (int, fd_set *, fd_set *, fd_set *,                       \
                     const struct timespec *, const sigset_t *))              \
    X(int, epoll_create, (int))                                               \
    X(int, epoll_create1, (int))                                              \
    X(int, epoll_ctl, (int, int, int, struct epoll_event *))                  \
    X(int, epoll_wait, (int, struct epoll_event *, int, int))                 \
    X(int, epoll_pwait, (int, struct epoll_event *, int, int,                 \
                         const sigset_t *))                                   \
    X(int, epoll_pwait2, (int, struct epoll_event *, int,                     \
                          const struct timespec *, const sigset_t *))         \
    /* processes: process.c */                                                \
    X(pid_t, fork, (void))                                                    \
    X(pid_t, vfork, (void))                                                   \
    X(int, daemon, (int, int))                                                \
    X(int, posix_spawn, (pid_t *, const char *,                               \
                         const posix_spawn_file_actions_t *,                  \
                         const posix_spawnattr_t *, char *const[],            \
                         char *const[]))                                      \
    X(int, posix_spawnp, (pid_t *, const char *,                              \
                          const posix_spawn_file_actions_t *,                 \
                          const posix_spawnattr_t *, char *const[],           \
                          char *const[]))                                     \
    X(int, execve, (const char *, char *const[], char *const[]))              \
    X(int, execv, (const char *, char *const[]))                              \
    X(int, execvp, (const char *, char *const[]))                             \
    X(int, execvpe, (const char *, char *const[], char *const[]))             \
    X(int, fexecve, (int, char *const[], char *const[]))                      \
    X(int, execl, (const char *, const char *, ...))                          \
    X(int, execlp, (const char *, const char *, ...))                         \
    X(int, execle, (const char *, const char *, ...))                         \
    X(int, close_range, (unsigned int, unsigned int, int))                    \
    X(void, closefrom, (int))                                                 \
    /* changes of user and root, which pin the network first: identity.c */  \
    X(int, setuid, (uid_t))                                                   \
    X(int, seteuid, (uid_t))                                                  \
    X(int, setreuid, (uid_t, uid_t))                                          \
    X(int, setresuid, (uid_t, uid_t, uid_t))                                  \
    X(int, setgid, (gid_t))                                                   \
    X(int, setegid, (gid_t))                                                  \
    X(int, setregid, (gid_t, gid_t))                                          \
    X(int, setresgid, (gid_t, gid_t, gid_t))                                  \
    X(int, setfsuid, (uid_t))                                                 \
    X(int, setfsgid, (gid_t))                                                 \
    X(int, setgroups, (size_t, const gid_t *))                                \
    X(int, initgroups, (const char *, gid_t))                                 \
    X(int, chroot, (const char *))                                            \
    /* sandboxes that would stop the library: sandbox.c */                   \
    X(int, prctl, (int, ...))                                                 \
    X(long, syscall, (long, ...))                                             \
    X(int, setrlimit, (__rlimit_resource_t, const struct rlimit *))           \
    X(int, setrlimit64, (__rlimit_resource_t, const struct rlimit64 *))       \
    X(int, prlimit, (pid_t, __rlimit_resource_t, const struct rlimit *,       \
                     struct rlimit *))                                        \
    X(int, prlimit64, (pid_t, __rlimit_resource_t, const struct rlimit64 *,   \
                       struct rlimit64 *))                                    \
    /* signal handlers that call socket functions: signals.c */               \
    X(int, sigaction, (int, const struct sigaction *, struct sigaction *))    \
    X(sighandler_t, signal, (int, sighandler_t))                              \
    X(sighandler_t, bsd_signal, (int, sighandler_t))                          \
    X(sighandler_t, sysv_signal, (int, sighandler_t))                         \
    X(sighandler_t, __sysv_signal, (int, sighandler_t))                       \
    X(sighandler_t, sigset, (int, sighandler_t))                              \
    X(int, siginterrupt, (int, int))                                          \
    /* masks that would block the trap's SIGSYS: sigmask.c */                \
    X(int, sigprocmask, (int, const sigset_t *, sigset_t *))                  \
    X(int, pthread_sigmask, (int, const sigset_t *, sigset_t *))              \
    /* stdio on a socket, under the trap: stdio.c */                         \
    X(FILE *, fdopen, (int, const char *))                                    \
    X(int, fclose, (FILE *))                                                  \
    /* descriptors: fdops.c */                                                \
    X(int, fcntl, (int, int, ...))                                            \
    X(int, fcntl64, (int, int, ...))                                          \
    X(int, ioctl, (int, unsigned long, ...))                                  \
    X(int, dup, (int))                                                        \
    X(int, dup2, (int, int))                                                  \
    X(int, dup3, (int, int, int))

#endif
