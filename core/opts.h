/* Socket options: what other protocol modules need of them (the TTL and
 * TOS a datagram carries), and the helpers setsockopt (opts.c) and
 * getsockopt (optget.c) share.  The get/set calls themselves are in
 * core/net.h. */
#ifndef SN_OPTS_H
#define SN_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/optab.h"
#include "core/sock.h"

/* Linux's timestamp flags (SOCK_RCVTSTAMP, SOCK_RCVTSTAMPNS,
 * SOCK_TSTAMP_NEW), kept in the store under SO_TIMESTAMP_OLD. */
#define SN_TS_RCV   1
#define SN_TS_RCVNS 2
#define SN_TS_NEW   4

/* Where the words of a TCP_FASTOPEN_KEY are kept in the store. */
#define SN_FASTOPEN_KEY_WORD(i) (TCP_FASTOPEN_KEY + 0x100 * ((i) + 1))

/* 0 if `level` reaches one of the socket's handlers, else the error
 * Linux gives for it (get: getsockopt's, which differs by family). */
int sn_opt_route(const sn_sock *k, int level, bool get);
/* The SN_O_* bit a boolean option is kept in, or 0. */
uint32_t sn_opt_flag(const sn_sock *k, int level, int name);
sn_xopt *sn_xopt_slot(sn_sock *k, int level, int name, bool create);
int      sn_xopt_value(const sn_sock *k, int level, int name, int def);

/* What a datagram from socket k to an IPv4 (v4) or IPv6 destination
 * carries by default: its TTL or hop limit, its TOS or traffic class
 * (IP_TTL, IPV6_UNICAST_HOPS, IP_TOS, IPV6_TCLASS, else the host's
 * defaults). */
uint8_t sn_sock_ttl(sn_arena *a, const sn_sock *k, bool v4);
uint8_t sn_sock_tos(const sn_sock *k, bool v4);

#endif
