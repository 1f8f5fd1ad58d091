/* Control messages of datagram sockets (cmsg.c). */
#ifndef SN_CMSG_H
#define SN_CMSG_H

#include <sys/socket.h>

#include "core/net.h"

/* recvmsg: write the control messages socket s asked for about datagram
 * m into msg, Linux's order and truncation; sets msg_controllen and
 * MSG_CTRUNC. */
void sn_cmsg_recv(int s, const sn_msg *m, struct msghdr *msg);

/* sendmsg: read msg's control messages into m (source address, TTL or
 * hop limit, TOS or traffic class), by the rules of the family the
 * datagram leaves with (m->name already set, or the socket's peer).
 * 0, -EINVAL for a malformed or unknown one, -EFAULT. */
int sn_cmsg_send(int s, const struct msghdr *msg, sn_msg *m);

#endif
