/* The network's own nameserver.  A UDP datagram to port 53 of a unicast
 * address where no simulated socket receives it (the resolv.conf
 * nameserver, 8.8.8.8, 127.0.0.53...) is a query the network answers
 * itself: core/dgram.c queues the reply into the sender's own receive
 * queue, from the address it asked.  So no name lookup ever leaves, and
 * a user's own DNS server bound there still comes first. */
#ifndef SN_NAMESERVER_H
#define SN_NAMESERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/arena.h"
#include "core/dns.h"
#include "core/sock.h"

/* Socket k talking to dst talks to the nameserver, if nobody else is
 * there: dst is port 53 of a unicast address (not a wildcard, broadcast
 * or multicast one), and k is UDP (answered) or TCP (refused: nobody
 * listens); UDP-Lite is no DNS transport. */
bool sn_nameserver_addr(const sn_sock *k, const sn_addr *dst);

/* The reply to the len bytes of query into out (cap >= SN_DNS_UDP_MAX):
 * its length, or 0 when a server would send nothing back. */
size_t sn_nameserver_answer(sn_arena *a, const uint8_t *query, size_t len,
                            uint8_t *out, size_t cap);

#endif
