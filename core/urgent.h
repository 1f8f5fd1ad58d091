/* TCP urgent data (core/urgent.c): the stream data path's side of the
 * mark and the one-byte slot.  What preload calls (SIOCATMARK, F_SETOWN)
 * is in core/net.h. */
#ifndef SN_URGENT_H
#define SN_URGENT_H

#include "core/net.h"
#include "core/sock.h"

/* The sender's half: n bytes are written (not yet published) at rx.in of
 * the receiver p, rx_prod held; the last one becomes the urgent byte.
 * Returns p's owner, to be sent SIGURG (sn_urg_signal) once the bytes
 * are published. */
int32_t  sn_urg_mark(sn_arena *a, sn_sock *p, uint32_t n);
void     sn_urg_signal(int32_t owner);
/* recv(MSG_OOB) on a stream socket. */
ssize_t  sn_urg_recv(sn_arena *a, sn_sock *k, sn_msg *m, int flags);
/* The reader meets the mark (rx_cons held, k->urg set): how many of the
 * `used` bytes one read may take, and how many to step over first (the
 * out-of-line urgent byte when the read starts on it). */
uint32_t sn_urg_span(sn_sock *k, uint32_t used, uint32_t *skip, sn_msg *m);
/* After a read consumed up to rx.out: the mark is passed, clear it. */
void     sn_urg_passed(sn_sock *k);
/* FIONREAD stops at the mark; POLLIN needs a byte besides the urgent one
 * when the reader stands on it (read without a lock, as poll does). */
uint32_t sn_urg_inq(const sn_sock *k, uint32_t used);
int      sn_urg_poll(const sn_sock *k, uint32_t used, uint32_t lowat);

#endif
