/* The end of a socket: destroying it when nobody holds it any more, and
 * what its end tells others (the stream peer sees EOF or a reset, queued
 * connections are reset, waiting connectors are refused, the active
 * closer's port goes to TIME_WAIT).  Control-plane lock held. */
#ifndef SN_LIFETIME_H
#define SN_LIFETIME_H

#include <stdbool.h>

#include "core/sock.h"

void sn_sock_destroy(sn_arena *a, int s);
/* A listener stops: queued connections are reset, waiting connectors
 * refused. */
void sn_sock_stop_listening(sn_arena *a, int l);
/* A connection attempt meets a closed port (RST): the socket ends in
 * CLOSE with both directions shut, its error set, its implicit port given
 * back. */
void sn_sock_refuse(sn_arena *a, int c);
/* The same end of a connection attempt with error `err`, nothing sent
 * (a SYN that timed out: ETIMEDOUT). */
void sn_sock_fail_connect(sn_arena *a, int c, int err);
/* connect(AF_UNSPEC) on a TCP socket (Linux's tcp_disconnect): a
 * listener stops listening; a connection or an attempt is aborted (the
 * peer is reset, ECONNRESET waits here); unread data is dropped; a port
 * or address the user did not bind goes back; the socket is as new and
 * may bind, listen or connect again. */
void sn_sock_disconnect_stream(sn_arena *a, int s);
/* Both directions have seen their FIN: the connection is over. */
void sn_sock_fin_check(sn_sock *k);
/* k is about to send its FIN to p: a link with a slow close (Toxiproxy's
 * slow_close) makes p see it that much later (p->fin_due; core/faults.h
 * hides it till then).  Call before the FIN is set in p's shut word. */
void sn_sock_fin_delay_slow(sn_arena *a, sn_sock *k, sn_sock *p);
static inline void sn_sock_fin_delay(sn_arena *a, sn_sock *k, sn_sock *p)
{
    if (sn_links_any(a))                /* no call at all without faults */
        sn_sock_fin_delay_slow(a, k, p);
}

#endif
