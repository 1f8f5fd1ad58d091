/* Connections: most of conn.c is core/net.h's API; this is what other
 * modules of core call. */
#ifndef SN_CONN_H
#define SN_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/sock.h"

/* A connect held by a partition (core/faults.h): if its link is no
 * longer cut, it goes on as its SYN would now (connected, queued or
 * refused) and its waiters wake.  Control-plane lock held. */
void sn_conn_retry_held(sn_arena *a, int s);
/* A held connect whose SYNs Linux would have given up on by now
 * (core/timeouts.h) fails with ETIMEDOUT and its waiters wake.  Takes
 * the control-plane lock when it acts. */
void sn_conn_check_held(sn_arena *a, int s);

/* Listener L has a connection accept may take now: the first in its
 * queue, once the handshake's last packet has arrived (a delayed
 * link: sock.conn_due of the server end). */
bool sn_conn_acceptable(sn_arena *a, sn_sock *L);
/* When the first connection in L's queue becomes acceptable, if later
 * than now (CLOCK_MONOTONIC ns); 0 otherwise. */
int64_t sn_conn_accept_due(sn_arena *a, sn_sock *L);

#endif
