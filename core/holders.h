/* Who holds a socket: a bitmap with one bit per attached process and a
 * count; SCM_RIGHTS copies in flight count too.  The last holder's going
 * destroys the socket (core/lifetime.h).  Control-plane lock held; the
 * locking operations for preload are in core/net.h. */
#ifndef SN_HOLDERS_H
#define SN_HOLDERS_H

#include "core/sock.h"

void sn_sock_set_holder(sn_sock *k, int proc);
/* Process proc no longer holds s: the last holder destroys it. */
void sn_sock_drop_holder(sn_arena *a, int s, int proc);
/* The processes holding k other than the caller, at most max. */
int  sn_sock_holders_of(sn_arena *a, const sn_sock *k, int *procs, int max);

#endif
