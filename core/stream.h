/* The stream (TCP) data path: bytes into the peer's ring.  Called through
 * core/proto.c, which picks by socket type. */
#ifndef SN_STREAM_H
#define SN_STREAM_H

#include "core/net.h"

ssize_t sn_stream_send(sn_arena *a, int s, sn_msg *m, int flags);
ssize_t sn_stream_recv(sn_arena *a, int s, sn_msg *m, int flags);

#endif
