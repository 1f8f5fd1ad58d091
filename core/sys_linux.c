/* Raw system calls (sys_linux.h): where they are made. */
#include "core/sys_linux.h"

unsigned long sn_sys_gate;
