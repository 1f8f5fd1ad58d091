/* Addresses inside the simulated network.
 *
 * Every address is kept in one form, IPv6, with IPv4 stored as the mapped
 * address ::ffff:a.b.c.d.  That makes dual-stack matching a comparison of
 * bytes; the socket's family decides which sockaddr the user gets back.
 * Only 127.0.0.0/8 and ::1 (and the wildcards) are local: the simulated
 * network has no other host.
 */
#ifndef SN_ADDR_H
#define SN_ADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct sn_addr {
    uint8_t  ip[16];     /* network byte order; IPv4 as ::ffff:a.b.c.d */
    uint16_t port;       /* host byte order */
    uint16_t pad;
    uint32_t flowinfo;   /* IPv6 only, reported back as given */
    uint32_t scope_id;
} sn_addr;

/* Parse a user sockaddr for a socket of `family`.  `bind` selects bind()'s
 * rules (Linux accepts AF_UNSPEC with INADDR_ANY there).  Returns 0,
 * -EINVAL (short length, v4-mapped on a v6-only socket is the caller's
 * check), -EAFNOSUPPORT (family mismatch). */
int  sn_addr_parse(int family, const struct sockaddr *sa, socklen_t len,
                   bool bind, sn_addr *out);

/* Write `a` as the sockaddr of a socket of `family` into `out`; returns the
 * full length of that sockaddr. */
socklen_t sn_addr_format(int family, const sn_addr *a,
                         struct sockaddr_storage *out);

void sn_addr_any(int family, sn_addr *out);        /* 0.0.0.0 or :: */
bool sn_addr_is_v4(const sn_addr *a);               /* IPv4 or mapped */
bool sn_addr_is_any(const sn_addr *a);              /* 0.0.0.0 or :: */
bool sn_addr_is_local(const sn_addr *a);            /* 127/8, ::1, any */
bool sn_addr_same_ip(const sn_addr *a, const sn_addr *b);
bool sn_addr_equal(const sn_addr *a, const sn_addr *b); /* ip and port */

/* The source address Linux picks when talking to `dst` over loopback:
 * 127.0.0.1 for every IPv4 destination, ::1 for IPv6. */
void sn_addr_source_for(const sn_addr *dst, sn_addr *src);

/* A destination of 0.0.0.0 or :: means "this host" to Linux. */
void sn_addr_resolve_any(sn_addr *dst);

#endif
