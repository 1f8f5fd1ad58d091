/* A named host's interfaces, as getifaddrs (ifaddrs.c), the interface
 * ioctls (ifreq.c) and getaddrinfo's AI_ADDRCONFIG (resolve.c) show
 * them: "lo" (index 1: 127.0.0.1/8, ::1/128) and "eth0" (index 2: the
 * host's addresses).  On the default host the kernel's answer stands. */
#ifndef SN_IFACES_H
#define SN_IFACES_H

#include <stdint.h>

#include "core/net.h"

#define SN_IF_ETH "eth0"
#define SN_IF_LO_FLAGS  (IFF_UP | IFF_LOOPBACK | IFF_RUNNING)
#define SN_IF_ETH_FLAGS (IFF_UP | IFF_BROADCAST | IFF_RUNNING | IFF_MULTICAST)

/* This process's named host, or NULL on the default host. */
const sn_host *sn_if_host(void);
/* eth0's hardware address: locally administered, made of the host's
 * index (02:73:6e = "sn"). */
void sn_if_mac(const sn_host *x, unsigned char mac[6]);
/* The prefix length eth0 gives a host address. */
int sn_if_prefix(const uint8_t ip[16]);
/* An interface ioctl on a simulated socket of a named host: 0 or
 * -errno; 1 when req is not one of them (the caller goes on). */
int sn_ifreq(unsigned long req, void *arg);

#endif
