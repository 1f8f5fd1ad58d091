/* The process table: the processes attached to a network.  Each has an
 * entry (pid + start time, so a recycled pid is not mistaken for the old
 * process) and an index that is its bit in every socket's holder bitmap.
 * A leaf over the arena: what a process holds, and releasing it when the
 * process is gone, is the socket table's (core/reap.h).  Functions that
 * change entries run under the control-plane lock (core/repair.h).
 *
 * Entry states: pid 0 free; -1 reserved by a parent in fork/posix_spawn
 * for a child not yet recorded; > 0 taken.  The start time is not read at
 * attach: /proc/<pid>/stat costs a fresh process some 50 us (its /proc
 * entries are made on first use), and most processes started under the
 * library never open a socket.  An entry's start time stays 0 until the
 * process takes its first fd to a socket (sn_net_identify, a moment after
 * the hold).  So an entry with start time 0 holds nothing but for that
 * moment, and while it is 0 any live process with its pid counts as its
 * owner (never reaped by mistake; at worst kept until that pid is gone). */
#ifndef SN_PROCS_H
#define SN_PROCS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"

/* A free entry (never used or released), or -1 when every entry is
 * taken (the caller may reap a dead one: sn_procs_first_dead). */
int      sn_procs_free_entry(sn_arena *a);
/* An entry whose process is gone, or -1. */
int      sn_procs_first_dead(sn_arena *a);
/* The entry of process pid, or -1. */
int      sn_procs_find(sn_arena *a, int pid);
/* fork: the parent takes an entry for the child before the child exists
 * (sn_procs_mark_reserved); both sides then claim it with the child's
 * pid, the parent with its start time.
 *
 * A reserved entry (pid -1) has no pid to watch, and its maker may die
 * inside fork() -- before the child exists, or after it exists but before
 * either side wrote its pid.  Its liveness is a marker (core/alive.h): a
 * kernel object bound to a name (network token, maker's pid, `mark`) that
 * the maker makes before reserving and keeps open until it has claimed
 * the entry for the child.  The child inherits it (fork, or posix_spawn's
 * exec: SN_ENV_HELD names the fd) and closes it once it claimed the entry
 * itself.  The kernel keeps the name bound while any process has it open,
 * so "nobody has it bound" means: the maker is gone and no child exists
 * that has not claimed -- a reservation to reap like any dead process.
 * Reap (which tests the name) and claim both run under the control-plane
 * lock, so they cannot cross.  Without a marker (mark 0) the maker's pid
 * is watched instead, which misses the window where the child exists
 * unclaimed.
 *
 * sn_procs_mark: a bound marker (an fd, close-on-exec) and its mark, or
 * -errno. */
int      sn_procs_mark(sn_arena *a, uint32_t *mark);
/* Reserve entry i for a child of the calling process, with marker `mark`
 * (0: none).  Lock held. */
void     sn_procs_mark_reserved(sn_arena *a, int i, uint32_t mark);
/* Close fd if it is the marker of entry i (the child, after claiming:
 * the fd number came from its parent and is checked by name). */
void     sn_procs_unmark(sn_arena *a, int i, int fd);
void     sn_procs_claim(sn_arena *a, int i, int pid, uint64_t start_time);
/* The entry is free again (what it held is released already). */
void     sn_procs_release(sn_arena *a, int i);
/* No process of the network is alive (nor a fork in progress). */
bool     sn_procs_none_alive(sn_arena *a);
/* For a reserved entry (pid -1) this cannot tell and says true:
 * sn_procs_alive looks at the marker. */
bool     sn_proc_alive(const sn_proc *p);
bool     sn_procs_alive(sn_arena *a, int i);
uint64_t sn_proc_start_time(int pid);

/* Death without close (SIGKILL, a crash, _exit).
 *
 * Each process holds the robust lock `alive` of its entry from the
 * thread that attached, for as long as it lives (core/alive.h).  When it
 * dies its word says so and a sleeper on the word is woken; so a process
 * blocked on a peer also waits on the peer process's word (core/sockwait.h)
 * and is woken by its death, with no polling.  The word also changes at
 * execve (the kernel buries the robust list there too) and when the
 * attaching thread exits early, so a dead word is confirmed against the
 * start time before anything is released. */
void              sn_procs_lock_alive(sn_arena *a, int i);  /* by process i itself */
/* Process i leaves for good: its word reads "dead" from now on (EPERM
 * when another thread attached: the kernel marks it when we are gone). */
void              sn_procs_unlock_alive(sn_arena *a, int i);
_Atomic uint32_t *sn_proc_word(sn_arena *a, int i);
bool              sn_proc_word_dead(uint32_t w);
/* Arm entry i's word for a sleeper: false if its process looks dead,
 * else the word and the value to sleep on. */
bool              sn_proc_watch(sn_arena *a, int i, _Atomic uint32_t **word,
                                uint32_t *val);
/* Word dead and process confirmed gone (a reservation: its marker
 * unbound). */
bool              sn_proc_gone(sn_arena *a, int i);

#endif
