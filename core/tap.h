/* What a socket's actions look like on the wire, for the capture ring
 * (core/capture.h): TCP segments and UDP datagrams synthesized from the
 * socket's addresses, initial sequence numbers and byte counts.  Called
 * only while sn_cap_on(), by the process doing the action, so each packet
 * is recorded once, by its sender (or, for what a kernel would answer on
 * its own -- the peer's ACK of a FIN, a reset, an ICMP error -- by the
 * process whose packet provoked it).
 *
 * Sequence numbers: an end sends isn + 1 + the bytes it sent (+1 once it
 * sent FIN); it acknowledges peer_isn + 1 + the bytes put in its own
 * receive ring (+1 once the peer's FIN came).  Both are derived, not
 * kept: the counts are the rings' free-running indices and bytes_tx. */
#ifndef SN_TAP_H
#define SN_TAP_H

#include <stdint.h>

#include "core/sock.h"

/* Connection C -> S is made: choose the ISNs; SYN, SYN-ACK, ACK. */
void sn_tap_connect(sn_arena *a, sn_sock *C, sn_sock *S);
/* k's connect to dst met no listener: SYN, and RST-ACK from dst. */
void sn_tap_refused(sn_arena *a, sn_sock *k, const sn_addr *dst);
/* k sends n bytes from the cursor, the first being byte `at` of its
 * stream (the peer's ring index), in segments of at most SN_PKT_MSS;
 * `urgent`: the last byte is urgent data (MSG_OOB). */
void sn_tap_data(sn_arena *a, sn_sock *k, uint32_t at, const sn_iovc *c,
                 uint32_t n, bool urgent);
/* k sends FIN; its peer (gone or not) acknowledges it. */
void sn_tap_fin(sn_arena *a, sn_sock *k);
/* k resets the connection (peer: 0), or its peer answers k with a reset
 * (peer: 1). */
void sn_tap_rst(sn_arena *a, sn_sock *k, int peer);
/* A UDP datagram; `unreach`: nobody was there, and the destination
 * answers with ICMP port unreachable. */
void sn_tap_dgram(sn_arena *a, const sn_addr *from, const sn_addr *to,
                  uint8_t ttl, uint8_t tos, const sn_iovc *c, uint32_t len,
                  int unreach);

#endif
