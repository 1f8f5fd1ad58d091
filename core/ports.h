/* The port table: for each (type, port) a chain of the sockets bound to
 * it, and the rules that decide who may share a port (wildcards, dual
 * stack, SO_REUSEADDR, SO_REUSEPORT), who gets an ephemeral port, and which
 * socket an arriving connection or datagram is delivered to.  Every
 * function runs under the control-plane lock (core/repair.h).  Also a
 * socket's own binding: bind_locked, autobind, release_implicit. */
#ifndef SN_PORTS_H
#define SN_PORTS_H

#include <stdbool.h>

#include "core/addr.h"
#include "core/arena.h"

/* Bind socket s to *want (port 0: pick an ephemeral one, which is written
 * back).  -EADDRINUSE on a conflict or when no port is left.  for_connect:
 * the implicit bind of connect(), which may take a port in TIME_WAIT. */
int  sn_ports_bind(sn_arena *a, int s, sn_addr *want, bool for_connect);
void sn_ports_unbind(sn_arena *a, int s);
/* Relink every bound socket: after a process died mid-update. */
void sn_ports_rebuild(sn_arena *a);
/* Linux re-checks at listen(): of two SO_REUSEADDR sockets on one port,
 * only one may listen. */
int  sn_ports_can_listen(sn_arena *a, int s);
/* TIME_WAIT: after an active close the endpoint keeps its port for 60 s.
 * bind() honours it (shared only when both sides had SO_REUSEADDR);
 * connect()'s ephemeral ports ignore it, as Linux's tcp_tw_reuse does for
 * loopback. */
void sn_ports_timewait(sn_arena *a, int s);
/* Listener l leaves its port: the connections accepted on that port that
 * are still alive keep it (Linux binds them to it), so they enter the
 * chain now.  While a listener is there they stay out of it: it already
 * claims their address, and a chain of one keeps bind() cheap for a server
 * with thousands of connections. */
void sn_ports_adopt_accepted(sn_arena *a, int l);
/* The listener that a connection to dst on host `host` (the host dst
 * reaches: sn_hosts_owner) reaches, or -1. */
int  sn_ports_listener(sn_arena *a, int host, const sn_addr *dst);
/* The datagram socket of `protocol` (UDP, UDP-Lite) that a datagram from
 * src to dst on host `host` reaches, or -1. */
int  sn_ports_dgram_target(sn_arena *a, int protocol, int host,
                           const sn_addr *dst, const sn_addr *src);
/* Something sn_ports_dgram_target looks at changed (a UDP socket bound,
 * unbound, connected or disconnected): bump hdr->dgram_gen. */
void sn_ports_dgram_changed(sn_arena *a);

/* Bind socket s (in_chain, state BOUND) to *want as sn_ports_bind. */
int  sn_sock_bind_locked(sn_arena *a, int s, sn_addr *want, bool for_connect);
/* The implicit bind of connect (dst) or send/listen (dst NULL): a no-op
 * when already bound.  -EADDRNOTAVAIL when connect runs out of ports. */
int  sn_sock_autobind(sn_arena *a, int s, const sn_addr *dst);
/* Give back what an implicit bind took, after a failed connect or a UDP
 * disconnect. */
void sn_sock_release_implicit(sn_arena *a, int s);

#endif
