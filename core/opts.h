/* Socket options (opts.c): what other protocol modules need of them.  The get/set calls themselves are in core/net.h. */
#ifndef SN_OPTS_H
#define SN_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/sock.h"

/* What a datagram from socket k to an IPv4 (v4) or IPv6 destination
 * carries by default: its TTL or hop limit, its TOS or traffic class
 * (IP_TTL, IPV6_UNICAST_HOPS, IP_TOS, IPV6_TCLASS, else the host's
 * defaults). */
uint8_t sn_sock_ttl(sn_arena *a, const sn_sock *k, bool v4);
uint8_t sn_sock_tos(const sn_sock *k, bool v4);

#endif
