/* The process table (see procs.h). */
#include "core/procs.h"

#include <errno.h>
#include <stdatomic.h>
#include <unistd.h>

#include "core/alive.h"

uint64_t sn_proc_start_time(int pid)
{
    return sn_os_start_time(pid);
}

bool sn_proc_alive(const sn_proc *p)
{
    if (p->pid == -1)
        return true;                /* reserved: see sn_procs_alive */
    if (p->pid <= 0)
        return false;
    uint64_t st = sn_os_start_time(p->pid);
    if (st)
        return p->start_time == 0 || st == p->start_time;
    /* No /proc here (a chroot): ask the kernel whether the pid exists. */
    return sn_os_pid_exists_blind(p->pid);
}

/* ---- reservations and their markers (procs.h) ---- */

int sn_procs_mark(sn_arena *a, uint32_t *mark)
{
    return sn_os_marker_make(a->hdr->token, mark);
}

/* Is the reservation in entry i still wanted?  Its marker is bound, or,
 * without one, its maker lives. */
static bool reservation_live(sn_arena *a, const sn_proc *p)
{
    if (p->mark)
        return sn_os_marker_bound(a->hdr->token, p->maker, p->mark);
    sn_proc maker = { .pid = p->maker };
    return p->maker > 0 && sn_proc_alive(&maker);
}

bool sn_procs_alive(sn_arena *a, int i)
{
    sn_proc *p = &a->procs[i];
    return p->pid == -1 ? reservation_live(a, p) : sn_proc_alive(p);
}

void sn_procs_unmark(sn_arena *a, int i, int fd)
{
    sn_proc *p = &a->procs[i];
    if (fd >= 0 && p->mark && sn_os_marker_is(fd, a->hdr->token, p->maker, p->mark))
        sn_os_close(fd);
}

_Atomic uint32_t *sn_proc_word(sn_arena *a, int i)
{
    return sn_os_alive_word(&a->procs[i].alive);
}

bool sn_proc_word_dead(uint32_t w)
{
    return sn_os_alive_word_dead(w);
}

bool sn_proc_watch(sn_arena *a, int i, _Atomic uint32_t **word, uint32_t *val)
{
    _Atomic uint32_t *w = sn_proc_word(a, i);
    if (sn_os_alive_word_dead(atomic_load(w)))
        return false;
    uint32_t v = sn_os_alive_word_arm(w);
    if (sn_os_alive_word_dead(v))
        return false;
    *word = w;
    *val = v;
    return true;
}

void sn_procs_lock_alive(sn_arena *a, int i)
{
    sn_lock_forever(&a->procs[i].alive);   /* EOWNERDEAD (after exec) is fine */
}

void sn_procs_unlock_alive(sn_arena *a, int i)
{
    sn_unlock_forever(&a->procs[i].alive);
}

bool sn_proc_gone(sn_arena *a, int i)
{
    sn_proc *p = &a->procs[i];
    if (p->pid == -1)               /* nobody holds a reservation's word */
        return !reservation_live(a, p);
    if (p->pid <= 0 || !sn_proc_word_dead(atomic_load(sn_proc_word(a, i))))
        return false;
    return !sn_proc_alive(p);
}

bool sn_procs_none_alive(sn_arena *a)
{
    for (uint32_t i = 0; i < a->hdr->proc_hwm; i++) {
        sn_proc *p = &a->procs[i];
        if (p->pid == -1 && sn_procs_alive(a, (int)i))
            return false;           /* a fork in progress */
        if (p->pid > 0 && (!sn_proc_word_dead(atomic_load(sn_proc_word(a, (int)i))) ||
                           sn_proc_alive(p)))
            return false;
    }
    return true;
}

int sn_procs_free_entry(sn_arena *a)
{
    sn_hdr *h = a->hdr;
    /* (A free entry whose word is still held belongs to a process that
     * left at exit() and is not gone yet: its word would block us.) */
    for (uint32_t i = 0; i < h->proc_hwm; i++)
        if (a->procs[i].pid == 0 &&
            sn_proc_word_dead(atomic_load(sn_proc_word(a, (int)i))))
            return (int)i;
    if (h->proc_hwm < SN_MAX_PROCS) {
        sn_lock_init(&a->procs[h->proc_hwm].alive);
        return (int)h->proc_hwm++;
    }
    return -1;
}

int sn_procs_first_dead(sn_arena *a)
{
    for (uint32_t i = 0; i < a->hdr->proc_hwm; i++)
        if (!sn_procs_alive(a, (int)i))
            return (int)i;
    return -1;
}

void sn_procs_release(sn_arena *a, int i)
{
    atomic_fetch_add(&a->hdr->proc_gen, 1);
    a->procs[i].pid = 0;            /* the mutex stays: it is reused */
    a->procs[i].start_time = 0;
    a->procs[i].host = 0;
}

int sn_procs_find(sn_arena *a, int pid)
{
    for (uint32_t i = 0; i < a->hdr->proc_hwm; i++)
        if (a->procs[i].pid == pid)
            return (int)i;
    return -1;
}

void sn_procs_mark_reserved(sn_arena *a, int i, uint32_t mark)
{
    a->procs[i].pid = -1;           /* taken, owner not born yet */
    a->procs[i].start_time = 0;
    a->procs[i].maker = getpid();
    a->procs[i].mark = mark;
    /* The child is on its parent's host (core/hosts.h). */
    a->procs[i].host = a->proc >= 0 ? a->procs[a->proc].host : 0;
}

void sn_procs_claim(sn_arena *a, int i, int pid, uint64_t start_time)
{
    atomic_fetch_add(&a->hdr->proc_gen, 1);
    sn_proc *p = &a->procs[i];
    /* Parent and child of a fork both claim; whichever knows the start
     * time (the parent) sets it, the other leaves it be. */
    if (start_time || p->pid != pid)
        p->start_time = start_time;
    p->pid = pid;
}
