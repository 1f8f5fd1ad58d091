/* OS interface: listing the calling process's open fds (what an execve
 * or a parent that is not ours handed down).
 *
 * Linux: /proc/self/fd read with getdents64 (core/fds_linux.c).  A macOS
 * port: proc_pidinfo(PROC_PIDLISTFDS).
 *
 * Leaves errno alone. */
#ifndef SN_FDS_H
#define SN_FDS_H

/* Calls fn(fd, arg) for each open fd (not the one used to list them).
 * 0, or -errno when the list cannot be read (no /proc): the caller then
 * tries the numbers itself. */
int sn_os_list_fds(void (*fn)(int fd, void *arg), void *arg);

#endif
