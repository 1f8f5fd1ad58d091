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
 * sockets released first).  Returns the index or -EMFILE when full. */
int      sn_procs_attach(sn_arena *a);
/* fork: the parent takes an entry for the child before the child exists,
 * and holds the child's sockets in it, so that the parent closing its
 * copies right after fork() cannot destroy them; both sides then claim
 * the entry with the child's pid. */
int      sn_procs_reserve(sn_arena *a);
void     sn_procs_claim(sn_arena *a, int i, int pid);
bool     sn_proc_alive(const sn_proc *p);
uint64_t sn_proc_start_time(int pid);
/* Release every socket held by entry i and free it. */
void     sn_procs_reap(sn_arena *a, int i);

#endif
