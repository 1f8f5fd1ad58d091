/* Connections: most of conn.c is core/net.h's API; this is what other
 * modules of core call. */
#ifndef SN_CONN_H
#define SN_CONN_H

#include "core/arena.h"

/* A connect held by a partition (core/faults.h): if its link is no
 * longer cut, it goes on as its SYN would now (connected, queued or
 * refused) and its waiters wake.  Control-plane lock held. */
void sn_conn_retry_held(sn_arena *a, int s);

#endif
