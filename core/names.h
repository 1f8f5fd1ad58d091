/* The names the network knows, for its nameserver (core/nameserver.c):
 * `localhost` (127.0.0.1 and ::1, and back) and the named hosts of the
 * arena's host table (NAME and NAME.simnet give the host's addresses; a
 * host address gives NAME).  The default host has no name.
 *
 * Names are given as sn_dns_qname_text writes them: lower case, no final
 * dot, odd bytes escaped (so they match nothing). */
#ifndef SN_NAMES_H
#define SN_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

#define SN_NAMES_MAX_ADDRS 16   /* addresses one name gives at most */

/* The addresses of `name` (IPv4 as ::ffff:a.b.c.d), at most max: their
 * count, 0 when the name exists without an address, -ENOENT when the
 * network has no such name. */
int sn_names_addrs(sn_arena *a, const char *name, uint8_t ips[][16], int max);

/* The name of address ip (IPv4 as ::ffff:a.b.c.d), for reverse lookups:
 * its length, written into out, or -ENOENT (-ENAMETOOLONG when cap is
 * too small). */
int sn_names_host(sn_arena *a, const uint8_t ip[16], char *out, size_t cap);

#endif
