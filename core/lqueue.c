/* Listener queues (see lqueue.h). */
#include "core/lqueue.h"

void sn_q_push(sn_arena *a, int32_t *head, int32_t *tail, int s)
{
    a->socks[s].qnext = -1;
    if (*tail >= 0)
        a->socks[*tail].qnext = s;
    else
        *head = s;
    *tail = s;
}

int sn_q_pop(sn_arena *a, int32_t *head, int32_t *tail)
{
    int s = *head;
    if (s >= 0) {
        *head = a->socks[s].qnext;
        if (*head < 0)
            *tail = -1;
        a->socks[s].qnext = -1;
    }
    return s;
}

void sn_q_remove(sn_arena *a, int32_t *head, int32_t *tail, int s)
{
    int prev = -1;
    for (int i = *head; i >= 0; prev = i, i = a->socks[i].qnext) {
        if (i != s)
            continue;
        if (prev >= 0)
            a->socks[prev].qnext = a->socks[i].qnext;
        else
            *head = a->socks[i].qnext;
        if (*tail == s)
            *tail = prev;
        a->socks[s].qnext = -1;
        return;
    }
}
