#include "preload/fdtab.h"

#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "core/net.h"
#include "preload/epoll.h"
#include "preload/init.h"

_Atomic int32_t *sn_fdtab;
int              sn_fdtab_size;

static uint32_t       *refs;   /* per socket slot: fds here that refer to it */
static int             refs_hwm;   /* slots below it may have refs */
static int             nheld;      /* slots with refs */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

#define MAX_TABLE (1 << 20)

int sn_fdtab_planned_size(void)
{
    struct rlimit rl;
    rlim_t n = MAX_TABLE;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max < n)
        n = rl.rlim_max < 1024 ? 1024 : rl.rlim_max;
    return (int)n;
}

int sn_fdtab_init(void)
{
    rlim_t n = (rlim_t)sn_fdtab_planned_size();
    /* Reserved, not committed: untouched pages cost nothing. */
    void *t = mmap(NULL, n * sizeof(int32_t), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    void *r = mmap(NULL, SN_MAX_SOCKS * sizeof(uint32_t), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (t == MAP_FAILED || r == MAP_FAILED)
        return -1;
    refs = r;
    sn_fdtab = t;
    sn_fdtab_size = (int)n;
    return 0;
}

void sn_fdtab_lock(void)   { sn_plock(&lock); }
void sn_fdtab_unlock(void) { sn_punlock(&lock); }

void sn_fdtab_add(int fd, int slot)
{
    if ((unsigned)fd >= (unsigned)sn_fdtab_size)
        return;
    sn_net_identify(sn_net());      /* at our first socket: core/procs.h */
    sn_fdtab_lock();
    if (refs[slot]++ == 0)
        nheld++;
    if (slot >= refs_hwm)
        refs_hwm = slot + 1;
    atomic_store(&sn_fdtab[fd], slot + 1);
    sn_fdtab_unlock();
}

void sn_fdtab_forget(int fd)
{
    if ((unsigned)fd >= (unsigned)sn_fdtab_size)
        return;
    sn_fdtab_lock();
    int slot = atomic_exchange(&sn_fdtab[fd], 0) - 1;
    bool last = slot >= 0 && --refs[slot] == 0;
    if (last)
        nheld--;
    sn_fdtab_unlock();
    if (last)
        sn_sock_release(sn_net(), slot);
}

void sn_fdtab_release_all(void)
{
    for (int s = 0; s < refs_hwm; s++)
        if (refs[s]) {
            refs[s] = 0;
            nheld--;
            sn_sock_release(sn_net(), s);
        }
}

void sn_fdtab_sync_holds(void)
{
    sn_sock_sync_holds(sn_net(), refs, SN_MAX_SOCKS);
}

bool sn_fdtab_adopt(int fd)
{
    struct stat st;
    sn_arena *a = sn_net();
    if (!a || sn_fd_slot(fd) >= 0 || fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
        return false;
    int s = sn_sock_adopt(a, st.st_dev, st.st_ino);
    if (s >= 0)
        sn_fdtab_add(fd, s);
    return s >= 0;
}

bool sn_fdtab_empty(void)
{
    return nheld == 0;
}

void sn_fdtab_hold_all(int proc)
{
    sn_sock_hold_each(sn_net(), proc, refs, refs_hwm);
}
