/* epoll instances (epoll.c): what the rest of preload needs to know. */
#ifndef SN_EPOLL_H
#define SN_EPOLL_H

#include <stdbool.h>

bool sn_epoll_is(int fd);                 /* an epoll fd with an instance */
/* The epoll fd is itself waited on (poll, select, another epoll): from
 * now on its kernel readiness must follow its simulated items too. */
void sn_epoll_nested(int fd);
/* fork: hold every epoll lock across it, so that the child never finds
 * one taken by a thread it does not have. */
void sn_epoll_fork_lock(void);
void sn_epoll_fork_unlock(void);
void sn_epoll_fd_closed(int fd);          /* before the real close */
void sn_epoll_fd_dup(int fd, int nfd);    /* nfd now names fd's instance */

#endif
