/* The doorbell table (see bell.h). */
#include "core/bell.h"

#include <errno.h>

#include "core/belltx.h"
#include "core/clock.h"
#include "core/procs.h"

int sn_bell_take(sn_arena *a, bool queued)
{
    sn_hdr *h = a->hdr;
    int id = -ENOSPC;
    for (uint32_t i = 0; i < h->bell_hwm; i++)
        if (a->bells[i].owner < 0) {
            id = (int)i + 1;
            break;
        }
    if (id < 0 && h->bell_hwm < SN_MAX_BELLS) {
        if (sn_arena_reserve_bells(a, h->bell_hwm) < 0)
            return -ENOMEM;     /* no room in the file system */
        sn_lock_init(&a->bells[h->bell_hwm].qlock);   /* once per entry */
        id = (int)++h->bell_hwm;
    }
    if (id > 0) {
        sn_bell *b = &a->bells[id - 1];
        b->owner = a->proc;
        b->queued = queued;
        atomic_store(&b->overflow, 0);
        b->qhead = b->qlen = 0;
        atomic_store(&b->pending, 0);
        atomic_store(&b->claimer, 0);
        atomic_fetch_add(&b->gen, 1);
    }
    return id;
}

void sn_bell_put(sn_arena *a, int id)
{
    a->bells[id - 1].owner = -1;
}

void sn_bells_reap(sn_arena *a, int proc)
{
    for (uint32_t i = 0; i < a->hdr->bell_hwm; i++)
        if (a->bells[i].owner == proc)
            a->bells[i].owner = -1;
}

socklen_t sn_bell_name(sn_arena *a, int id, struct sockaddr_un *out)
{
    return sn_os_bell_name(a->hdr->token, id,
                           (unsigned)atomic_load(&a->bells[id - 1].gen), out);
}

#define RING_STALE_MS 100

static uint32_t now_ms(void)
{
    uint32_t ms = (uint32_t)(sn_mono_ns() / 1000000);
    return ms ? ms : 1;
}

/* Made on first use, or ahead of time by a process about to lower its
 * fd limit (preload/sandbox.c). */
int sn_bell_tx_open(sn_arena *a)
{
    return sn_os_bell_tx_open(&a->bell_tx, a->fd_high);
}

/* The ringer that took `pending` last died (its alive word says so):
 * maybe between taking it and sending, which would leave the bell
 * silent.  A load; a wrong "dead" costs one spare ring. */
static bool claimer_dead(sn_arena *a, const sn_bell *b)
{
    int c = atomic_load(&b->claimer) - 1;
    return c >= 0 && c != a->proc && (uint32_t)c < a->hdr->proc_hwm &&
           sn_proc_word_dead(atomic_load(sn_proc_word(a, c)));
}

void sn_bell_ring(sn_arena *a, int id)
{
    sn_bell *b = &a->bells[id - 1];
    uint32_t now = now_ms(), old = atomic_load(&b->pending);
    if (old && now - old < RING_STALE_MS && !claimer_dead(a, b))
        return;                         /* rung, not yet drained */
    if (!atomic_compare_exchange_strong(&b->pending, &old, now))
        return;                         /* another ringer took it */
    atomic_store(&b->claimer, a->proc + 1);
    struct sockaddr_un to;
    socklen_t len = sn_bell_name(a, id, &to);
    sn_os_bell_send(&a->bell_tx, a->fd_high, &to, len);
}

void sn_bell_rearm(sn_arena *a, int id)
{
    atomic_store(&a->bells[id - 1].pending, 0);
}

bool sn_bell_push(sn_arena *a, int id, int s)
{
    sn_bell *b = &a->bells[id - 1];
    if (b->qlen >= SN_BELL_Q) {
        atomic_store(&b->overflow, 1);
        return false;
    }
    /* The slot first, then the count: a ringer killed between the two
     * leaves the queue as it was. */
    b->q[(b->qhead + b->qlen) % SN_BELL_Q] = s;
    b->qlen++;
    return true;
}

int sn_bell_next(sn_arena *a, int id)
{
    sn_bell *b = &a->bells[id - 1];
    if (!b->qlen)
        return -1;
    int s = b->q[b->qhead];
    b->qhead = (b->qhead + 1) % SN_BELL_Q;
    b->qlen--;
    return s;
}

bool sn_bell_take_overflow(sn_arena *a, int id)
{
    sn_bell *b = &a->bells[id - 1];
    return atomic_exchange(&b->overflow, 0) != 0;
}
