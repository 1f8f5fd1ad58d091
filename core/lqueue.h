/* Listener queues: connections ready for accept (acc_*) and connectors
 * waiting for room (syn_*), linked through the sockets' qnext.
 * Control-plane lock held. */
#ifndef SN_LQUEUE_H
#define SN_LQUEUE_H

#include "core/sock.h"

void sn_q_push(sn_arena *a, int32_t *head, int32_t *tail, int s);
int  sn_q_pop(sn_arena *a, int32_t *head, int32_t *tail);   /* -1: empty */
void sn_q_remove(sn_arena *a, int32_t *head, int32_t *tail, int s);

#endif
