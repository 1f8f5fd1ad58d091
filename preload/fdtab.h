/* This process's table from fd to simulated socket.
 *
 * The kernel placeholder behind each simulated fd is what dup, fork and
 * close-on-exec act on; this table is a cache telling which fds are ours,
 * plus a count per socket of the fds here that refer to it: when the last
 * one closes, the process drops its hold on the socket in the arena.
 *
 * The lookup on the pass-through path is one bounds check and one load.
 */
#ifndef SN_FDTAB_H
#define SN_FDTAB_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

extern _Atomic int32_t *sn_fdtab;     /* owner: fdtab.c; slot + 1, 0: not ours */
extern int              sn_fdtab_size;   /* 0 until the library starts */

/* Before start-up the table is empty (size 0) and fds are checked one by
 * one (init.c): a bit here says fd was seen and is not a socket.  Out of
 * the table and not checked: sn_fd_slot_cold checks it, starting the
 * library for a socket we do not know (it may be inherited: init.h). */
#define SN_FD_CHECKED_MAX 65536
extern _Atomic uint64_t sn_fd_checked[SN_FD_CHECKED_MAX / 64];
int sn_fd_slot_cold(int fd);

/* The pass-through path: a bounds check and a load, after start-up and
 * before it. */
static inline int sn_fd_slot(int fd)
{
    if (__builtin_expect((unsigned)fd < (unsigned)sn_fdtab_size, 1))
        return atomic_load_explicit(&sn_fdtab[fd], memory_order_relaxed) - 1;
    if ((unsigned)fd < SN_FD_CHECKED_MAX &&
        (atomic_load_explicit(&sn_fd_checked[fd / 64], memory_order_relaxed) &
         (1ull << (fd % 64))))
        return -1;
    return sn_fd_slot_cold(fd);
}

int  sn_fdtab_init(void);
/* The size sn_fdtab_init gives the table (from the hard fd limit). */
int  sn_fdtab_planned_size(void);
/* fd now refers to socket slot (a new fd: socket, accept, dup). */
void sn_fdtab_add(int fd, int slot);
/* fd no longer refers to a simulated socket (it was closed or replaced);
 * releases the socket if it was this process's last fd to it. */
void sn_fdtab_forget(int fd);
/* Hold every socket the table refers to for process entry `proc`
 * (fdtab lock held by the caller). */
void sn_fdtab_hold_all(int proc);
/* No fd here names a simulated socket (fdtab lock held by the caller). */
bool sn_fdtab_empty(void);
/* At exit: the kernel is about to close every fd; let go of every socket
 * so peers see EOF (a process killed without exiting is the lifecycle
 * reaper's business). */
void sn_fdtab_release_all(void);
/* Make this process's holds in the arena match the table: hold what an fd
 * here names, let go of the rest (after execve closed the close-on-exec
 * ones). */
void sn_fdtab_sync_holds(void);
/* An fd we did not make names a simulated socket (inherited across exec,
 * received with SCM_RIGHTS)?  Then add it to the table; true if so. */
bool sn_fdtab_adopt(int fd);
void sn_fdtab_lock(void);
void sn_fdtab_unlock(void);

#endif
