/* OS interface: signal the owner of a socket (F_SETOWN), as the kernel
 * signals the owner of a file.  Linux: kill(2) (core/owner_linux.c).
 *
 * Does not touch errno. */
#ifndef SN_OWNER_H
#define SN_OWNER_H

#include <stdint.h>

/* SIGURG to owner: a process, or a process group when negative, as
 * F_SETOWN reads it.  Failures are ignored, as Linux ignores an owner it
 * may not signal. */
void sn_os_sigurg(int32_t owner);

#endif
