/* The datagram (UDP) data path: records in the receiver's ring.  Called
 * through core/proto.c, which picks by socket type. */
#ifndef SN_DGRAM_H
#define SN_DGRAM_H

#include "core/net.h"

ssize_t sn_dgram_send(sn_arena *a, int s, sn_msg *m, int flags);
ssize_t sn_dgram_recv(sn_arena *a, int s, sn_msg *m, int flags);
int     sn_dgram_next_len(sn_arena *a, int s);  /* first datagram's size */

#endif
