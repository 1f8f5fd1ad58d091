/* Reaping processes that are gone (see reap.h). */
#include "core/reap.h"

#include <errno.h>

#include "core/bell.h"
#include "core/crit.h"
#include "core/holders.h"
#include "core/net.h"
#include "core/sockbell.h"
#include "core/procs.h"
#include "core/repair.h"

void sn_reap_proc(sn_arena *a, int i)
{
    uint32_t hwm = a->hdr->sock_hwm;
    for (uint32_t s = 0; s < hwm; s++) {
        sn_sock *k = sn_sock_at(a, (int)s);
        if (k->state != SN_FREE && sn_sock_held_by(k, i))
            sn_sock_drop_holder(a, (int)s, i);
    }
    sn_bells_reap_all(a, i);
    sn_procs_release(a, i);
}

bool sn_reap_if_gone(sn_arena *a, int i)
{
    if (!sn_proc_gone(a, i))
        return false;
    sn_reap_proc(a, i);
    return true;
}

void sn_reap_sweep(sn_arena *a)
{
    for (uint32_t i = 0; i < a->hdr->proc_hwm; i++)
        sn_reap_if_gone(a, (int)i);
}

int sn_reap_entry(sn_arena *a)
{
    int i = sn_procs_free_entry(a);
    if (i >= 0)
        return i;
    if ((i = sn_procs_first_dead(a)) >= 0) {
        sn_reap_proc(a, i);
        return i;
    }
    return -EMFILE;
}

bool sn_sock_collect(sn_arena *a, const int *procs, int n)
{
    bool any = false;
    for (int i = 0; i < n; i++)
        if (sn_proc_gone(a, procs[i])) {
            sn_ctl_lock(a);
            any |= sn_reap_if_gone(a, procs[i]);
            sn_ctl_unlock(a);
        }
    return any;
}

static SN_TLS unsigned calls_since_look;

void sn_reap_now_and_then(sn_arena *a, int64_t now_ns)
{
    if (now_ns) {
        int64_t ms = now_ns / 1000000, last = atomic_load(&a->reap_look_ms);
        if (ms - last < SN_REAP_LOOK_MS ||
            !atomic_compare_exchange_strong(&a->reap_look_ms, &last, ms))
            return;                     /* looked lately, or another thread is */
        calls_since_look = 0;
    } else if (++calls_since_look < SN_REAP_LOOK_CALLS) {
        return;
    } else {
        calls_since_look = 0;
    }
    uint32_t hwm = a->hdr->proc_hwm;
    for (uint32_t i = 0; i < hwm; i++) {
        int p = (int)i;
        /* The kernel marks the word of a process that died holding it (a
         * robust futex): a load per entry, sn_proc_gone confirms. */
        if (p != a->proc && a->procs[i].pid > 0 &&
            sn_proc_word_dead(atomic_load(sn_proc_word(a, p))))
            sn_sock_collect(a, &p, 1);
    }
}

void sn_reap_bell_owners(sn_arena *a, int s)
{
    if (atomic_load(&sn_sock_at(a, s)->nbells) < SN_SOCK_BELLS)
        return;
    int owners[SN_SOCK_BELLS];
    sn_ctl_lock(a);
    int n = sn_bells_stale(a, s, owners, SN_SOCK_BELLS);
    for (int i = 0; i < n; i++)
        sn_reap_if_gone(a, owners[i]);
    sn_ctl_unlock(a);
}
