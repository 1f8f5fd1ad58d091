#include "core/procs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/bell.h"
#include "core/sock.h"
#include "core/sys_linux.h"

/* Start time of a process, 0 if it does not exist or is a zombie (dead,
 * not yet waited for: its sockets must go all the same). */
uint64_t sn_proc_start_time(int pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    int saved = errno;      /* core leaves errno alone, even when open fails */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    errno = saved;
    if (fd < 0)
        return 0;
    long n = sn_sys_read(fd, buf, sizeof buf - 1);
    sn_sys_close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    /* The command name may contain spaces and parentheses: fields are
     * counted from the last ')'.  starttime is field 22; the state after
     * ')' is field 3. */
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
        return 0;
    for (int field = 2; field < 22 && p; field++)
        p = strchr(p + 1, ' ');
    return p ? strtoull(p + 1, NULL, 10) : 0;
}

bool sn_proc_alive(const sn_proc *p)
{
    if (p->pid == -1)
        return true;                /* reserved: see sn_procs_alive */
    if (p->pid <= 0)
        return false;
    uint64_t st = sn_proc_start_time(p->pid);
    if (st)
        return p->start_time == 0 || st == p->start_time;
    /* No /proc here (a chroot): ask the kernel whether the pid exists. */
    int saved = errno;
    bool alive = false;
    if (access("/proc/self/stat", F_OK) != 0)
        alive = kill(p->pid, 0) == 0 || errno == EPERM;
    errno = saved;
    return alive;
}

/* ---- reservations and their markers (procs.h) ---- */

static socklen_t mark_name(sn_arena *a, int maker, uint32_t mark,
                           struct sockaddr_un *out)
{
    memset(out, 0, sizeof *out);
    out->sun_family = AF_UNIX;
    /* Abstract (sun_path[0] == 0), apart from the doorbells' names. */
    int n = snprintf(out->sun_path + 1, sizeof out->sun_path - 1,
                     "simnet.%016llx.fork.%d.%u",
                     (unsigned long long)a->hdr->token, maker, mark);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

int sn_procs_mark(sn_arena *a, uint32_t *mark)
{
    static _Atomic uint32_t next = 1;
    long fd = sn_raw_syscall6(SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0,
                              0, 0, 0);
    if (fd < 0)
        return (int)fd;
    int me = getpid();
    /* A name can still be bound by a marker a dead process with our pid
     * left in a child that never claimed: take the next one. */
    for (int attempt = 0; attempt < 16; attempt++) {
        uint32_t m = atomic_fetch_add(&next, 1) ?: atomic_fetch_add(&next, 1);
        struct sockaddr_un u;
        socklen_t len = mark_name(a, me, m, &u);
        long r = sn_raw_syscall6(SYS_bind, fd, (long)&u, len, 0, 0, 0);
        if (r == 0) {
            *mark = m;
            return (int)fd;
        }
        if (r != -EADDRINUSE)
            break;
    }
    sn_sys_close((int)fd);
    return -EADDRINUSE;
}

/* Is the reservation in entry i still wanted?  Its marker is bound, or,
 * without one, its maker lives. */
static bool reservation_live(sn_arena *a, const sn_proc *p)
{
    if (p->mark) {
        long fd = sn_raw_syscall6(SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC,
                                  0, 0, 0, 0);
        if (fd >= 0) {
            struct sockaddr_un u;
            socklen_t len = mark_name(a, p->maker, p->mark, &u);
            long r = sn_raw_syscall6(SYS_connect, fd, (long)&u, len, 0, 0, 0);
            sn_sys_close((int)fd);
            /* Unbound: ECONNREFUSED.  Anything else (a full fd table)
             * cannot tell: keep it. */
            return r != -ECONNREFUSED && r != -ENOENT;
        }
    }
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
    struct sockaddr_un want, got;
    socklen_t wlen = mark_name(a, p->maker, p->mark, &want), glen = sizeof got;
    if (fd >= 0 && p->mark &&
        sn_raw_syscall6(SYS_getsockname, fd, (long)&got, (long)&glen, 0, 0, 0) == 0 &&
        glen == wlen && memcmp(&got, &want, wlen) == 0)
        sn_sys_close(fd);
}

_Static_assert(offsetof(pthread_mutex_t, __data.__lock) == 0,
               "the robust futex word is the first int of a pthread mutex");

_Atomic uint32_t *sn_proc_word(sn_arena *a, int i)
{
    return (_Atomic uint32_t *)&a->procs[i].alive;
}

bool sn_proc_word_dead(uint32_t w)
{
    return (w & FUTEX_OWNER_DIED) || (w & FUTEX_TID_MASK) == 0;
}

void sn_procs_lock_alive(sn_arena *a, int i)
{
    sn_lock_forever(&a->procs[i].alive);   /* EOWNERDEAD (after exec) is fine */
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

bool sn_procs_collect(sn_arena *a, int i)
{
    if (!sn_proc_gone(a, i))
        return false;
    sn_procs_reap(a, i);
    return true;
}

void sn_procs_sweep(sn_arena *a)
{
    for (uint32_t i = 0; i < a->hdr->proc_hwm; i++)
        sn_procs_collect(a, (int)i);
}

void sn_procs_reap(sn_arena *a, int i)
{
    uint32_t hwm = a->hdr->sock_hwm;
    for (uint32_t s = 0; s < hwm; s++) {
        sn_sock *k = sn_sock_at(a, (int)s);
        if (k->state != SN_FREE && (k->holders[i / 8] & (1u << (i % 8))))
            sn_sock_drop_holder(a, (int)s, i);
    }
    sn_bells_reap(a, i);
    atomic_fetch_add(&a->hdr->proc_gen, 1);
    a->procs[i].pid = 0;            /* the mutex stays: it is reused */
    a->procs[i].start_time = 0;
}

/* A free entry: never used, released, or left by a process that is gone
 * (its sockets are released first). */
static int alloc_entry(sn_arena *a)
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
    for (uint32_t i = 0; i < h->proc_hwm; i++)
        if (!sn_procs_alive(a, (int)i)) {
            sn_procs_reap(a, (int)i);
            return (int)i;
        }
    return -EMFILE;
}

int sn_procs_attach(sn_arena *a)
{
    sn_hdr *h = a->hdr;
    int pid = getpid();
    uint64_t st = 0;
    /* posix_spawn returns to the parent once we have exec'd, and it claims
     * our entry then: we may get here first.  An entry it named that is
     * still reserved (pid -1: nobody else takes those) is ours. */
    int named = a->handed - 1;
    if (named >= 0 && (uint32_t)named < h->proc_hwm && a->procs[named].pid == -1) {
        sn_procs_claim(a, named, pid, 0);
        a->reattached = true;
        return named;
    }
    for (uint32_t i = 0; i < h->proc_hwm; i++) {
        sn_proc *p = &a->procs[i];
        if (p->pid != pid)
            continue;
        /* An entry never identified held nothing (sn_procs_identify):
         * ours before an execve or left by a dead process with our pid,
         * it is free to take either way, without reading /proc. */
        if (p->start_time == 0) {
            sn_bells_reap(a, (int)i);
            return (int)i;
        }
        if (!st)
            st = sn_proc_start_time(pid);
        if (p->start_time == st) {
            /* Ourselves before an execve, or an entry our parent took for
             * us in fork/posix_spawn: its holds are ours.  Doorbells made
             * by the old program image are gone with it. */
            sn_bells_reap(a, (int)i);
            a->reattached = true;
            return (int)i;
        }
    }
    int i = alloc_entry(a);
    if (i >= 0)
        sn_procs_claim(a, i, pid, 0);
    return i;
}

void sn_procs_identify(sn_arena *a)
{
    sn_proc *p = &a->procs[a->proc];
    if (__builtin_expect(atomic_load_explicit((_Atomic uint64_t *)&p->start_time,
                                              memory_order_relaxed) != 0, 1))
        return;
    int pid = getpid();
    uint64_t st = sn_proc_start_time(pid);  /* outside the lock: slow */
    sn_arena_lock(a);
    if (p->pid == pid && p->start_time == 0)
        p->start_time = st;
    sn_arena_unlock(a);
}

int sn_procs_find(sn_arena *a, int pid)
{
    for (uint32_t i = 0; i < a->hdr->proc_hwm; i++)
        if (a->procs[i].pid == pid)
            return (int)i;
    return -1;
}

int sn_procs_reserve(sn_arena *a, uint32_t mark)
{
    int i = alloc_entry(a);
    if (i >= 0) {
        a->procs[i].pid = -1;       /* taken, owner not born yet */
        a->procs[i].start_time = 0;
        a->procs[i].maker = getpid();
        a->procs[i].mark = mark;
    }
    return i;
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
