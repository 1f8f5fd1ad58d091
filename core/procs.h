/* The processes attached to a network.  Each has an entry (pid + start
 * time, so a recycled pid is not mistaken for the old process) and an index
 * that is its bit in every socket's holder bitmap.  All functions run under
 * the arena lock. */
#ifndef SN_PROCS_H
#define SN_PROCS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"

/* Entry for the calling process: the one it had before an execve (same pid
 * and start time), else a free one, else one whose process is gone (its
 * sockets released first).  Returns the index or -EMFILE when full.
 *
 * The start time is not read here: /proc/<pid>/stat costs a fresh process
 * some 50 us (its /proc entries are made on first use), and most processes
 * started under the library never open a socket.  An entry's start time
 * stays 0 until sn_procs_identify, which the process calls as it takes
 * its first fd to a socket (sn_fdtab_add, a moment after the hold).  So an
 * entry with start time 0 holds nothing but for that moment, and while it
 * is 0 any live process with its pid counts as its owner (never reaped by
 * mistake; at worst kept until that pid is gone). */
int      sn_procs_attach(sn_arena *a);
/* (An entry named through SN_ARENA_HANDED and still reserved is taken
 * first: see sn_procs_attach.) */
/* Record the calling process's start time in its entry, if not yet done
 * (one load when it is).  Not under the arena lock. */
void     sn_procs_identify(sn_arena *a);
/* The entry of process pid, or -1.  (Its start time is 0 if it never
 * held a socket.) */
int      sn_procs_find(sn_arena *a, int pid);
/* fork: the parent takes an entry for the child before the child exists,
 * and holds the child's sockets in it, so that the parent closing its
 * copies right after fork() cannot destroy them; both sides then claim
 * the entry with the child's pid, the parent with its start time.
 *
 * A reserved entry (pid -1) has no pid to watch, and its maker may die
 * inside fork() -- before the child exists, or after it exists but before
 * either side wrote its pid.  Its liveness is a marker: an AF_UNIX
 * datagram socket bound to an abstract name (network token, maker's pid,
 * `mark`) that the maker makes before reserving and keeps open until it
 * has claimed the entry for the child.  The child inherits the open
 * socket (fork, or posix_spawn's exec: SN_ENV_HELD names the fd) and
 * closes it once it claimed the entry itself.  The kernel keeps the name
 * bound while any process has the socket open, so "nobody has it bound"
 * means: the maker is gone and no child exists that has not claimed --
 * a reservation to reap like any dead process.  Reap (which tests the
 * name) and claim both run under the arena lock, so they cannot cross.
 * Without a marker (socket() failed: mark 0) the maker's pid is watched
 * instead, which misses the window where the child exists unclaimed.
 *
 * sn_procs_mark: a bound marker socket (close-on-exec, made with raw
 * system calls) and its mark, or -errno. */
int      sn_procs_mark(sn_arena *a, uint32_t *mark);
/* Arena lock held: reserve an entry made by the calling process with
 * marker `mark` (0: none); -EMFILE when full. */
int      sn_procs_reserve(sn_arena *a, uint32_t mark);
void     sn_procs_claim(sn_arena *a, int i, int pid, uint64_t start_time);
/* Close fd if it is the marker of entry i (the child, after claiming:
 * the fd number came from its parent and is checked by name). */
void     sn_procs_unmark(sn_arena *a, int i, int fd);
/* For a reserved entry (pid -1) this cannot tell and says true:
 * sn_procs_alive looks at the marker. */
bool     sn_proc_alive(const sn_proc *p);
bool     sn_procs_alive(sn_arena *a, int i);
uint64_t sn_proc_start_time(int pid);
/* Release every socket held by entry i and free it. */
void     sn_procs_reap(sn_arena *a, int i);

/* Death without close (SIGKILL, a crash, _exit).
 *
 * Each process holds the robust mutex `alive` of its entry from the
 * thread that attached, for as long as it lives.  When it dies the kernel
 * walks the thread's robust list, marks the mutex word FUTEX_OWNER_DIED
 * and wakes a waiter of that word.  So a process blocked on a peer also
 * waits on the peer process's word (core/wait.c) and is woken by its
 * death, with no polling; anyone can tell a dead process by reading one
 * word.  The word also changes at execve (the kernel buries the robust
 * list there too) and when the attaching thread exits early, so a dead
 * word is confirmed against /proc before anything is released. */
void              sn_procs_lock_alive(sn_arena *a, int i);  /* by process i itself */
_Atomic uint32_t *sn_proc_word(sn_arena *a, int i);
bool              sn_proc_word_dead(uint32_t w);
bool              sn_proc_gone(sn_arena *a, int i);
/* Arena lock held: reap entry i if its process is gone; true if it was. */
bool              sn_procs_collect(sn_arena *a, int i);
/* Arena lock held: reap every process that is gone. */
void              sn_procs_sweep(sn_arena *a);

#endif
