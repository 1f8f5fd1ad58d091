/* The protocols' operations, one set per socket type, and the one place
 * that picks between them (proto.c: a switch on the type, so the data
 * path pays a branch, not an indirect call).  Stream and datagram never
 * call each other. */
#ifndef SN_PROTO_H
#define SN_PROTO_H

#include "core/net.h"
#include "core/sock.h"

/* stream.c: bytes into the peer's ring */
ssize_t sn_stream_send(sn_arena *a, int s, sn_msg *m, int flags);
ssize_t sn_stream_recv(sn_arena *a, int s, sn_msg *m, int flags);
/* dgram.c: records in the receiver's ring */
ssize_t sn_dgram_send(sn_arena *a, int s, sn_msg *m, int flags);
ssize_t sn_dgram_recv(sn_arena *a, int s, sn_msg *m, int flags);
int     sn_dgram_next_len(sn_arena *a, int s);  /* first datagram's size */
/* ready.c: what poll reports */
int     sn_stream_poll(sn_arena *a, sn_sock *k);
int     sn_dgram_poll(sn_arena *a, sn_sock *k);

#endif
