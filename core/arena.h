/* The shared arena: one file per network, mapped MAP_SHARED by every
 * process of that network.
 *
 * Layout (all found by offset from the mapping's base; nothing in the
 * arena is a pointer):
 *   header | procs | hosts | sockets | ports | TIME_WAIT | doorbells | heap
 * (core/layout.h)
 * The header carries a magic, a layout version and the size; a mismatch is
 * reported as a one-line error, never a crash.  The heap holds ring
 * buffers, allocated lazily by power-of-two size class.
 *
 * Memory: the file is sparse, and a page of it that the file system has
 * no room for raises SIGBUS when first touched.  So nothing is touched
 * before it is reserved (arena.c, heap.c): the header and the tables used whole
 * from the start when the arena is made, the socket and doorbell tables a
 * chunk at a time as they grow, a ring as it is first written.  A full
 * file system fails the call that needed memory (ENOBUFS, ENOMEM).
 *
 * Locks: hdr->lock guards every control-plane change (socket table, port
 * table, listener queues, peer links, procs, bells); taking it repairs
 * what a dead owner left half-done (core/repair.h).  hdr->heap_lock
 * guards the heap only (a leaf: nothing is locked inside it).
 *
 * This module maps and lays out the file; the tables' contents belong to
 * the modules above (procs, bell, sock, ports), the heap to heap.c.
 */
#ifndef SN_ARENA_H
#define SN_ARENA_H

#include <stdbool.h>
#include <stddef.h>

#include "core/layout.h"
#include "core/mapfile.h"

/* The arena file, opened and locked.  Creating, attaching and removing
 * are serialised by a whole-file write lock (core/mapfile.h: a record
 * lock, which belongs to the process).  A remover unlinks under the lock,
 * and whoever opened the file before must not go on in a removed one: so
 * sn_arena_open_file makes sure, once it holds the lock, that the path
 * still names the file it opened, else opens again (and with `create`
 * makes a new file, which every later opener then finds).  The fd, locked,
 * and *st; or -errno (-ENOENT: removed meanwhile). */
int  sn_arena_open_file(const char *path, bool create, sn_os_stat *st);
/* The same for a file already open (a pinned fd): lock it and stat it. */
int  sn_arena_lock_fd(int fd, sn_os_stat *st);
void sn_arena_file_done(int fd);     /* unlock */
void sn_arena_file_close(int fd);    /* unlock, then close */

/* Map the arena file open and locked at fd, with status st (`name` is for
 * messages).  SN_ARENA_CREATE: an empty file is sized (`size` bytes,
 * sparse) and made; without it an empty file (pinned by a process, never
 * used yet) is -ENOENT.  0 having checked the header of an existing file
 * or written a fresh one (*fresh); or -errno with a one-line reason in
 * err.  The lock is the caller's. */
#define SN_ARENA_CREATE 1
#define SN_ARENA_ATTACH 2   /* (core/net.h: also register the caller) */
#define SN_ARENA_SHARED 4   /* a new file is readable and writable by all */
/* With SN_ARENA_ATTACH: the entry the parent reserved for us (posix_spawn)
 * or had itself (execve), as it told us through the environment: it may
 * not carry our pid yet (sn_net_attach_proc). */
#define SN_ARENA_HANDED(entry) (((entry) + 1) << 8)
int  sn_arena_map(sn_arena *a, int fd, const sn_os_stat *st, const char *name,
                  size_t size, int flags, bool *fresh, char *err, size_t errlen);
/* File still locked: start the network afresh (every table empty), giving
 * the memory of old rings back by truncating the file.  With no room for
 * the fixed tables: -ENOSPC with a reason in err, the file emptied and the
 * arena unmapped.  A kept network stays kept. */
int  sn_arena_reset(sn_arena *a, int fd, const char *path, char *err,
                    size_t errlen);
/* Initialise an anonymous shared arena (unit tests; inherited by fork). */
int  sn_arena_anon(sn_arena *a, size_t size);
void sn_arena_close(sn_arena *a);
size_t sn_arena_min_size(void);

/* Reserve the memory of socket slot / doorbell entry n (and the rest of
 * its chunk) before its first use; control-plane lock held.  0, or
 * -ENOMEM when the file system has no room. */
int  sn_arena_reserve_socks(sn_arena *a, uint32_t n);
int  sn_arena_reserve_bells(sn_arena *a, uint32_t n);

#endif
