/* When Linux's TCP gives up on a connection a partition cuts: the SYN
 * retransmissions of a connect (TCP_SYNCNT, net.ipv4.tcp_syn_retries),
 * the retransmissions of data (net.ipv4.tcp_retries2), keepalive probes
 * (SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT), and
 * TCP_USER_TIMEOUT over all of them.  Pure arithmetic on a socket's
 * options; core/faults.h and core/handshake.h decide when the clock starts
 * (sock.stall_ns) and what it counts (sock.stall_idle). */
#ifndef SN_TIMEOUTS_H
#define SN_TIMEOUTS_H

#include <stdint.h>

#include "core/sock.h"

/* Linux's defaults for what a simulated host cannot change:
 * net.ipv4.tcp_syn_retries and net.ipv4.tcp_retries2. */
#define SN_TCP_SYN_RETRIES 6
#define SN_TCP_RETRIES2    15

/* When stream socket k gives up with ETIMEDOUT (CLOCK_MONOTONIC ns),
 * counting from `start`: a held connect (state CONNECTING) from its
 * first SYN; a connection with data held (stall_idle 0) from the first
 * held send; an idle one (stall_idle 1) from the cut.  0: never (an
 * idle connection without SO_KEEPALIVE). */
int64_t sn_timeouts_give_up(const sn_sock *k, int64_t start);
/* When connecting socket k, whose first SYN went at `start`, sends its
 * next SYN after `now`: Linux retransmits it 1, 3, 7, 15... s after the
 * first (its RTO from 1 s, doubling up to 120 s).  0: no retry left
 * (TCP_SYNCNT; with TCP_USER_TIMEOUT, sn_timeouts_give_up ends it). */
int64_t sn_timeouts_syn_retry(const sn_sock *k, int64_t start, int64_t now);

#endif
