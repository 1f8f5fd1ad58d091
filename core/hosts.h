/* The hosts of a network: named machines, each with its own loopback
 * (127.0.0.0/8 and ::1, seen only from inside it) and host addresses seen
 * from every host.  Entry 0 is the default host (processes started with no
 * host name): it has no name, and no address until the first named host
 * is made (then SN_HOSTS_DEFAULT_V4 and _V6), so a network without named
 * hosts behaves as one machine's loopback.
 *
 * An address names a host as follows (sn_hosts_owner): a host address
 * names its owner, wherever it is used; any other loopback address and the
 * wildcards name the host that uses it.  A host address inside 127/8 is so
 * taken out of every host's loopback.  Default addresses: IPv4 from
 * SN_HOSTS_V4 (inside 127/8: nothing sent there can leave the machine
 * even if a call escaped the library), IPv6 from SN_HOSTS_V6 (a ULA
 * prefix), one of each per host unless given explicitly.
 *
 * Lookups read without the lock (layout.h: entries and addresses are only
 * appended); sn_hosts_add runs under the control-plane lock. */
#ifndef SN_HOSTS_H
#define SN_HOSTS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/addr.h"
#include "core/arena.h"

#define SN_HOSTS_V4 "127.100.0.0/16"   /* host n: 127.100.n/256.n%256 */
#define SN_HOSTS_V6 "fd73:6e::/64"     /* host n: fd73:6e::n */
#define SN_HOSTS_DEFAULT_V4 "127.100.255.254"
#define SN_HOSTS_DEFAULT_V6 "fd73:6e::fffe"

/* RFC 1123 host names: dot-separated labels of letters, digits and '-',
 * 1-63 each, no '-' at either end, 63 characters in all; not all digits
 * and dots (that reads as an address).  NULL if valid, else why not. */
const char *sn_hosts_bad_name(const char *name);
/* A list of addresses separated by commas or spaces (SIMNET_ADDR), each
 * IPv4 or IPv6, into out[0..max): how many, or -EINVAL with why in err. */
int  sn_hosts_parse_addrs(const char *list, sn_addr *out, int max, char *err,
                          size_t errlen);
/* The host named `name` (case does not matter), or -1. */
int  sn_hosts_find(sn_arena *a, const char *name);
/* Name lookups (getaddrinfo & co.): `name`, or `name.simnet`
 * (SN_HOSTS_DOMAIN), with or without a final dot, or -1. */
#define SN_HOSTS_DOMAIN "simnet"
int  sn_hosts_lookup(sn_arena *a, const char *name);
/* Host `name`, made if new, with the addresses addrs[0..n) added (and a
 * default IPv4 and IPv6 one for each family none was given of, when
 * made).  Lock held.  Its index, or -errno with a one-line reason in err:
 * -EINVAL a bad name or an address no host may have, -EADDRINUSE an
 * address another host has, -ENOSPC too many hosts or addresses. */
int  sn_hosts_add(sn_arena *a, const char *name, const sn_addr *addrs, int n,
                  char *err, size_t errlen);
/* `simnet run --host` makes the host before its command joins the
 * network (lazily: maybe much later), and a network no process has
 * joined looks abandoned to a sweep: for SN_HOSTS_FRESH_S seconds after
 * a host was made or given an address, sweeps spare it (its last process
 * leaving still removes it). */
#define SN_HOSTS_FRESH_S 10
bool sn_hosts_fresh(sn_arena *a);
/* The host that has host address x, or -1. */
int  sn_hosts_addr_owner(sn_arena *a, const sn_addr *x);
/* The host that x reaches when used on host `from`, or -1 when none
 * (not a local address: the caller's ENETUNREACH). */
int  sn_hosts_owner(sn_arena *a, int from, const sn_addr *x);
/* The source address Linux picks on host h toward dst: 127.0.0.1 or ::1
 * toward its loopback, dst itself toward its own host address, else its
 * first host address of dst's family (loopback's when it has none). */
void sn_hosts_source_for(sn_arena *a, int h, const sn_addr *dst, sn_addr *src);

#endif
