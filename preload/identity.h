/* The network pinned across changes of user and root.
 *
 * Start-up is lazy (init.h), and a server often changes user or root
 * before its first socket (memcached -u, setpriv/su/runuser then exec,
 * sshd's privilege-separated child in its chroot): by then the arena file
 * of its network may be out of reach (root's 0600 file, another runtime
 * directory for the new uid, a path outside the chroot).  So the calls
 * that change them (setuid and its family, setgroups, initgroups, chroot:
 * identity.c) first open the arena file, once, as the process still is:
 * the *pin*, an fd in the library's own range, close-on-exec.  Start-up
 * maps the pin instead of opening the file by path.
 *
 * Our exec family and posix_spawn hand the pin to the new program: the fd
 * stays open across that exec and SN_ENV_PIN in its environment names it
 * (fd, device, inode, and a tag of the network's name and SIMNET_DIR), so
 * a program started under the new uid maps the inherited fd.  It is used
 * only if it is still that file and the program's own environment names
 * the same network; a program that closed it falls back to the path.
 * Only descendants of a process that could open the arena get a pin: a
 * process of another user that was never in the network still cannot
 * join it unless it is shared (SIMNET_SHARED).
 */
#ifndef SN_IDENTITY_H
#define SN_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>

#define SN_ENV_PIN "SIMNET_ARENA_FD"
/* "fd:dev:ino:tag" at most */
#define SN_PIN_VAR_MAX sizeof(SN_ENV_PIN "=2147483647:18446744073709551615:18446744073709551615:ffffffffffffffff")

/* Constructor: a pin handed down in the environment (value of
 * SN_ENV_PIN), checked against the fd (fstat) and made close-on-exec;
 * the caller removes the variable. */
void sn_pin_inherit(const char *v);
/* Before a change of user or root: open the arena file if not pinned. */
void sn_pin(void);
/* Start-up: the pinned fd if it is usable for this process's network,
 * else -1 (then the arena is opened by path). */
int  sn_pin_fd(void);
/* The program closed or replaced fd (close, dup2, dup3). */
void sn_pin_closed(int fd);
/* closefrom/close_range spare it: the number, or -1. */
int  sn_pin_number(void);
/* Around an exec or posix_spawn: if a pin is held, let it through the
 * exec and write "SIMNET_ARENA_FD=..." into var (SN_PIN_VAR_MAX bytes);
 * false if nothing is handed.  sn_pin_exec_end after a failed exec. */
bool sn_pin_exec_begin(char *var);
void sn_pin_exec_end(void);

#endif
