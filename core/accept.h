/* The listener's side of a connection (core/accept.c): what other
 * modules of core call; accept itself is core/net.h's sn_sock_accept. */
#ifndef SN_ACCEPT_H
#define SN_ACCEPT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/sock.h"

/* Connect s to whoever listens at dst on host `host`, as a SYN that
 * got through does: connected, queued (backlog full) or refused.
 * Control-plane lock held. */
int sn_conn_connect_to(sn_arena *a, int s, int host, sn_addr *dst);
/* Room appeared in listener l's accept queue: let waiting connectors in
 * (lock held). */
void sn_conn_admit_waiters(sn_arena *a, int l);

/* Listener L has a connection accept may take now: the first in its
 * queue whose handshake's last packet has arrived (a delayed link:
 * sock.conn_due of the server end), which a later one over a faster
 * link may pass, as on Linux. */
bool sn_conn_acceptable(sn_arena *a, sn_sock *L);
/* When L's queue has none acceptable: when the first of them becomes
 * acceptable (the smallest conn_due to come, CLOCK_MONOTONIC ns); 0
 * otherwise. */
int64_t sn_conn_accept_due(sn_arena *a, sn_sock *L);

#endif
