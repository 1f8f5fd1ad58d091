/* TCP_INFO as Linux reports it on loopback (tcp_info.c). */
#ifndef SN_TCP_INFO_H
#define SN_TCP_INFO_H

#include <sys/socket.h>

#include "core/sock.h"

/* TCP_INFO into val (at most *len bytes, *len set to what was written). */
int sn_tcp_info(sn_arena *a, const sn_sock *k, void *val, socklen_t *len);

#endif
