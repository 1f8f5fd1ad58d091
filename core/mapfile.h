/* OS interface: the arena's file and its mapping, and small reads of
 * system settings.
 *
 * Linux: open/fcntl locks/ftruncate/mmap through raw system calls,
 * MADV_POPULATE_WRITE to reserve pages and MADV_REMOVE to give them back
 * (core/mapfile_linux.c).  POSIX covers most of it; a macOS port differs
 * in reserving (fcntl F_PREALLOCATE on the file's range), in giving pages
 * back (F_PUNCHHOLE on APFS, or keep them) and in the settings read
 * (sysctlbyname instead of /proc/sys).
 *
 * All return >= 0 or -errno and leave errno alone. */
#ifndef SN_MAPFILE_H
#define SN_MAPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Open the arena file (create: make it if missing, mode 0600), fd or
 * -errno.  Never follows a symbolic link. */
int  sn_os_file_open(const char *path, bool create, bool readonly);
void sn_os_file_close(int fd);
/* A whole-file lock, blocking: a write lock (exclusive, the fd open for
 * writing) or a read lock.  A POSIX record lock, not flock: it belongs to
 * the process, so two processes sharing one open file (an fd pinned before
 * a fork or an exec, preload/identity.c) still exclude each other, where
 * flock's lock belongs to the open file and would let both in.  (Closing
 * any fd of the file drops the process's lock: nothing does so while
 * holding it.) */
int  sn_os_file_lock(int fd, bool exclusive);
int  sn_os_file_unlock(int fd);
/* What the arena code needs of a file's status. */
typedef struct sn_os_stat {
    int64_t  size;
    unsigned mode;               /* permission bits and type */
    uint64_t dev, ino;           /* identity */
} sn_os_stat;
int  sn_os_file_stat(int fd, sn_os_stat *st);
/* The same for a path, not following a symbolic link; -errno. */
int  sn_os_path_stat(const char *path, sn_os_stat *st);
/* Calls fn(name, arg) for each entry of directory dir ("." and ".."
 * included); 0 or -errno. */
int  sn_os_list_dir(const char *dir, void (*fn)(const char *name, void *arg),
                    void *arg);
int  sn_os_file_resize(int fd, uint64_t size);   /* sparse */
int  sn_os_file_share(int fd);                   /* readable/writable by all */
int  sn_os_file_remove(const char *path);
/* Map the whole file shared, or (fd < 0) anonymous shared memory that a
 * fork inherits.  0 and *out, or -errno. */
int  sn_os_map(int fd, size_t size, void **out);
void sn_os_unmap(void *p, size_t size);
/* Reserve the pages of [p, p + len) of a shared file mapping for writing:
 * the file system finds a page for each now, so that a full one answers
 * here (-EFAULT, -ENOMEM) instead of with SIGBUS at the first store.  0
 * also where the system cannot reserve (Linux before 5.14): the file
 * system had better have room then. */
long sn_os_reserve(void *p, size_t len);
/* Give the pages of [p, p + len) back; they read as zeros afterwards and
 * cost nothing. */
void sn_os_punch(void *p, size_t len);
/* Integers from a system setting (a /proc/sys file on Linux: "tcp_wmem"
 * is "net.ipv4.tcp_wmem"); 0 when all n were read, else -1. */
int  sn_os_sysctl_ints(const char *name, int32_t *v, int n);
/* Some randomness for names (not for security). */
uint64_t sn_os_random_seed(void);

#endif
