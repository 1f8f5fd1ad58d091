/* Per-type dispatch: the socket calls that differ between stream and
 * datagram sockets go through here, the one place that knows both.  A
 * switch on the type, so the data path pays a branch, not an indirect
 * call; stream.c and dgram.c never call each other. */
#include <errno.h>

#include "core/dgram.h"
#include "core/faults.h"
#include "core/net.h"
#include "core/ready.h"
#include "core/stream.h"
#include "core/urgent.h"

ssize_t sn_sock_send(sn_arena *a, int s, sn_msg *m, int flags)
{
    if (sn_sock_at(a, s)->type == SOCK_STREAM)
        return sn_stream_send(a, s, m, flags);
    return sn_dgram_send(a, s, m, flags);
}

ssize_t sn_sock_recv(sn_arena *a, int s, sn_msg *m, int flags)
{
    if (sn_sock_at(a, s)->type == SOCK_STREAM)
        return sn_stream_recv(a, s, m, flags);
    return sn_dgram_recv(a, s, m, flags);
}

int sn_sock_poll(sn_arena *a, int s)
{
    sn_sock *k = sn_sock_at(a, s);
    return k->type == SOCK_STREAM ? sn_stream_poll(a, k) : sn_dgram_poll(a, k);
}

int sn_sock_inq(sn_arena *a, int s)
{
    sn_sock *k = sn_sock_at(a, s);
    if (k->type == SOCK_STREAM)
        return k->state == SN_LISTEN ? -EINVAL
                                     : (int)sn_urg_inq(k, sn_faults_visible(a, k, sn_ring_used(&k->rx)));
    return sn_dgram_next_len(a, s);
}

int sn_sock_outq(sn_arena *a, int s)
{
    sn_sock *k = sn_sock_at(a, s);
    if (k->type == SOCK_STREAM && k->state == SN_LISTEN)
        return -EINVAL;
    /* Bytes in the peer's ring are already "acknowledged" in Linux terms:
     * nothing is ever waiting in a send queue here. */
    return 0;
}
