/* Helpers shared by setsockopt (opts.c) and getsockopt (optget.c). */
#ifndef SN_OPTS_H
#define SN_OPTS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/sock.h"

#ifndef UDPLITE_SEND_CSCOV
#define UDPLITE_SEND_CSCOV 10
#define UDPLITE_RECV_CSCOV 11
#endif

/* Names older headers lack (Linux's numbers). */
#ifndef SO_TIMESTAMP_NEW
#define SO_TIMESTAMP_NEW 63
#define SO_TIMESTAMPNS_NEW 64
#define SO_TIMESTAMPING_NEW 65
#endif
#ifndef SO_RCVTIMEO_NEW
#define SO_RCVTIMEO_NEW 66
#define SO_SNDTIMEO_NEW 67
#endif
#ifndef SO_RESERVE_MEM
#define SO_RESERVE_MEM 73
#endif
#ifndef SO_TXREHASH
#define SO_TXREHASH 74
#endif
#ifndef IPV6_ADDR_PREFERENCES
#define IPV6_ADDR_PREFERENCES 72
#endif
#ifndef IPV6_UNICAST_IF
#define IPV6_UNICAST_IF 76
#endif

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

#endif
