/* OS interface: is a process still alive, and how does a sleeper learn
 * that it died.
 *
 * Each attached process holds, for its whole life, a robust lock in its
 * process entry; its first word (the "alive word") tells whether the owner
 * died, and a sleeper waiting on that word is woken by the death.  A pid
 * alone can be reused, so a death is confirmed with the process's start
 * time.  Linux: robust futex lists, /proc/<pid>/stat, pidfd_open
 * (core/alive_linux.c).  A macOS port has no robust list: it would confirm
 * deaths with kqueue EVFILT_PROC NOTE_EXIT and proc_pidinfo's start time,
 * and give sleepers a kqueue in place of the alive word.
 *
 * None of these touches errno. */
#ifndef SN_ALIVE_H
#define SN_ALIVE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/lock.h"

/* Start time of process pid (clock ticks since boot), 0 if it does not
 * exist or is a zombie (dead, not yet waited for). */
uint64_t sn_os_start_time(int pid);
/* Where the start time cannot be read (no /proc: a chroot): does pid
 * exist?  False when the start time can be read (it said 0). */
bool     sn_os_pid_exists_blind(int pid);
/* The word of a robust lock that the kernel marks at its owner's death. */
_Atomic uint32_t *sn_os_alive_word(sn_lock_t *l);
/* The owner died (or the lock is free: nobody holds it). */
bool     sn_os_alive_word_dead(uint32_t w);
/* Ask the kernel to wake waiters of this word at the owner's death; the
 * value to sleep on. */
uint32_t sn_os_alive_word_arm(_Atomic uint32_t *w);
/* An fd that polls readable once process pid has exited, or -errno
 * (close-on-exec). */
int      sn_os_pidfd(int pid);

/* Reservation markers (core/procs.h): a kernel object whose name stays
 * bound while any process has it open.  Linux: an AF_UNIX datagram socket
 * bound to an abstract name (network token, maker's pid, mark).
 *
 * Make one for the calling process: the fd (close-on-exec) and *mark, or
 * -errno. */
int  sn_os_marker_make(uint64_t token, uint32_t *mark);
/* Is the marker (token, maker, mark) still bound?  True when it cannot
 * tell (a full fd table). */
bool sn_os_marker_bound(uint64_t token, int maker, uint32_t mark);
/* Is fd that marker? */
bool sn_os_marker_is(int fd, uint64_t token, int maker, uint32_t mark);
void sn_os_close(int fd);

#endif
