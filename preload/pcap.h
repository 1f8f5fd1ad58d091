/* SIMNET_PCAP=FILE: capture without the launcher.  The first process of a
 * network that starts the library while no capture is attached starts
 * the drainer (simnet-capture, beside libsimnet.so) and waits until it
 * captures; the drainer joins the network, so it stays while it writes,
 * appends to FILE (a capture already there is continued), and ends
 * once no other process is in the network. */
#ifndef SN_PCAP_H
#define SN_PCAP_H

#include "core/net.h"

/* At start-up, attached to `a` whose file is `arena_path`. */
void sn_pcap_begin(sn_arena *a, const char *file, const char *arena_path);

#endif
