/* A connect's handshake over the links (core/handshake.c), for conn.c
 * and the faults: the SYN held by a partition, refused by a link or
 * delayed by a round trip (core/links.h). */
#ifndef SN_HANDSHAKE_H
#define SN_HANDSHAKE_H

#include "core/arena.h"
#include "core/sock.h"

/* Stream socket s, bound and with its source address, sends its SYN to
 * dst (lock held): held by a partition (-EINPROGRESS, SN_CONNECTING
 * until sn_conn_retry_held or sn_conn_check_held), refused by a link
 * (-ECONNREFUSED), else as sn_conn_connect_to (core/accept.h) says, but
 * -EINPROGRESS for a connection a delayed link completes one round trip
 * later (sock.conn_due: sn_sock_connect_result waits). */
int sn_conn_send_syn(sn_arena *a, int s, sn_addr *dst);
/* A connect held by a partition (core/faults.h), its link healed: its
 * SYN goes again at Linux's next retransmission (core/timeouts.h),
 * stored in sock.conn_due, the time its waiters now wake for.
 * Control-plane lock held. */
void sn_conn_retry_held(sn_arena *a, int s);
/* A held connect whose SYNs Linux would have given up on by now
 * (core/timeouts.h) fails with ETIMEDOUT; one whose retransmitted SYN
 * is due (sn_conn_retry_held) goes on as its SYN would now (connected,
 * a round trip later on a delayed link; queued or refused), or stays
 * held if the link was cut again.  Its waiters wake.  Takes the
 * control-plane lock when it acts. */
void sn_conn_check_held(sn_arena *a, int s);

#endif
