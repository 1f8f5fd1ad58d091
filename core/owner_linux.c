/* Signalling a socket's owner on Linux: a raw kill, so errno stays. */
#include "core/owner.h"

#include <signal.h>

#include "core/sys_linux.h"

void sn_os_sigurg(int32_t owner)
{
    sn_raw_syscall6(SYS_kill, owner, SIGURG, 0, 0, 0, 0);
}
