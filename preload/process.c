/* fork: a child shares its parent's simulated sockets.
 *
 * The child must hold them before fork() returns in the parent: a parent
 * that forks and at once closes its copy (pre-fork servers, inetd-style
 * code) would otherwise drop the last hold and reset a connection the
 * child still owns.  So our fork() reserves the child's process entry and
 * takes its holds first, then forks; both sides then record the child's
 * pid in the entry.
 *
 * A fork that does not come through our fork() (glibc's daemon() calls
 * its internal one) is caught by the atfork child handler, which attaches
 * the child late: best effort, as the race above is open then. */
#include <pthread.h>
#include <unistd.h>

#include "core/procs.h"
#include "core/sock.h"
#include "preload/doorbell.h"
#include "preload/fdtab.h"
#include "preload/init.h"
#include "preload/process.h"
#include "preload/real.h"

static __thread int in_our_fork;

static void atfork_prepare(void)
{
    if (!in_our_fork)
        sn_fdtab_lock();
}

static void atfork_parent(void)
{
    if (!in_our_fork)
        sn_fdtab_unlock();
}

static void atfork_child(void)
{
    sn_arena *a = sn_net();
    if (in_our_fork)
        return;
    sn_fork_generation++;
    sn_fdtab_unlock();
    if (a && sn_arena_attach_proc(a) == 0)
        sn_fdtab_hold_all(a->proc);
}

void sn_process_init(void)
{
    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

pid_t fork(void)
{
    sn_arena *a = sn_net();
    if (!a)
        return REAL(fork)();
    /* No socket may appear or vanish in this process between the
     * snapshot of its holds and the fork. */
    sn_fdtab_lock();
    sn_arena_lock(a);
    int child = sn_procs_reserve(a);
    sn_arena_unlock(a);
    if (child >= 0)
        sn_fdtab_hold_all(child);
    in_our_fork = 1;
    pid_t pid = REAL(fork)();
    in_our_fork = 0;
    sn_fdtab_unlock();
    if (child < 0)
        return pid;                 /* proc table full: child is unattached */
    sn_arena_lock(a);
    if (pid == 0) {
        sn_fork_generation++;
        a->proc = child;
        sn_procs_claim(a, child, getpid());
        sn_arena_unlock(a);
        sn_procs_lock_alive(a, child);
        return 0;
    } else if (pid > 0) {
        sn_procs_claim(a, child, pid);
    } else {
        sn_procs_reap(a, child);    /* no child: give its holds back */
    }
    sn_arena_unlock(a);
    return pid;
}
