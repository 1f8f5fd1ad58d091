/* The process side of doorbells (core/bell.h): the bound AF_UNIX socket
 * a waiter hands to the kernel, one per thread for poll/select and one
 * per epoll instance; and pidfds, which let the same kernel wait notice a
 * peer process that died. */
#ifndef SN_DOORBELL_H
#define SN_DOORBELL_H

#include <stdbool.h>

typedef struct sn_doorbell {
    int id;     /* core bell id, 0: none */
    int fd;     /* bound socket, -1: none */
} sn_doorbell;

int  sn_doorbell_open(sn_doorbell *b, bool queued);   /* 0 or -errno */
void sn_doorbell_close(sn_doorbell *b);
/* Empty the socket, then let ringers ring again (in that order: see
 * core/bell.h).  Unless `force` (the kernel said the socket is readable),
 * a bell nobody rang costs no system call. */
void sn_doorbell_drain(sn_doorbell *b, bool force);
/* This thread's bell for poll and select; NULL if none can be made. */
sn_doorbell *sn_thread_doorbell(void);

/* A pidfd for the process of entry `proc`, cached; -1 if unavailable. */
int  sn_proc_pidfd(int proc);
void sn_pidfd_fork_lock(void);       /* held across fork */
void sn_pidfd_fork_unlock(void);

/* The library's own fds (bells, pidfds, the ringing socket): a program
 * that closes them (closefrom, a loop to the fd limit, daemonizing) gets
 * its way; we notice here and make new ones when next needed. */
void sn_libfd_mark(int fd, bool ours);
/* Move a new fd of ours out of the program's way (to the upper half of
 * its fd limit), as close-on-exec; returns the fd to use. */
int  sn_libfd_place(int fd);
bool sn_libfd_is(int fd);
void sn_libfds_closed(unsigned lo, unsigned hi);

/* Bumped in a forked child: per-thread state from the parent is stale. */
extern unsigned sn_fork_generation;   /* owner: doorbell.c */

#endif
