/* Readiness: what poll/select/epoll report for a simulated socket, one
 * function per type (core/proto.c picks). */
#ifndef SN_READY_H
#define SN_READY_H

#include "core/sock.h"

int sn_stream_poll(sn_arena *a, sn_sock *k);
int sn_dgram_poll(sn_arena *a, sn_sock *k);

#endif
