#include "preload/doorbell.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/alive.h"
#include "core/net.h"
#include "preload/fdtab.h"
#include "preload/init.h"
#include "preload/real.h"

unsigned sn_fork_generation;

/* ---- our own fds ---- */

static _Atomic uint8_t *libfd;       /* fd -> 1 when the library owns it */
static pthread_once_t   libfd_once = PTHREAD_ONCE_INIT;

static void libfd_init(void)
{
    void *m = mmap(NULL, (size_t)sn_fdtab_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m != MAP_FAILED)
        libfd = m;
}

void sn_libfd_mark(int fd, bool ours)
{
    pthread_once(&libfd_once, libfd_init);
    if (libfd && fd >= 0 && fd < sn_fdtab_size)
        atomic_store(&libfd[fd], ours);
}

int sn_libfd_place(int fd)
{
    sn_arena *a = sn_net();
    if (fd < 0 || !a || a->fd_high <= fd)
        return fd;
    int saved = errno;
    int hi = REAL(fcntl)(fd, F_DUPFD_CLOEXEC, a->fd_high);
    errno = saved;
    if (hi < 0)
        return fd;
    REAL(close)(fd);
    return hi;
}

bool sn_libfd_is(int fd)
{
    return libfd && fd >= 0 && fd < sn_fdtab_size && atomic_load(&libfd[fd]);
}

/* Defined below: the pidfd cache forgets fds in [lo, hi]. */
static void pidfds_closed(unsigned lo, unsigned hi);

void sn_libfds_closed(unsigned lo, unsigned hi)
{
    if (!libfd)
        return;
    unsigned top = (unsigned)sn_fdtab_size;
    for (unsigned fd = lo; fd <= hi && fd < top; fd++)
        atomic_store(&libfd[fd], 0);
    pidfds_closed(lo, hi);
    sn_arena *a = sn_net();
    if (a && a->bell_tx >= 0 && (unsigned)a->bell_tx >= lo && (unsigned)a->bell_tx <= hi)
        a->bell_tx = -1;
}

int sn_doorbell_open(sn_doorbell *b, bool queued)
{
    sn_arena *a = sn_net();
    b->id = 0;
    b->fd = -1;
    if (!a)
        return -ENETDOWN;
    int id = sn_bell_alloc(a, queued);
    if (id < 0)
        return id;
    int fd = sn_libfd_place(REAL(socket)(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    struct sockaddr_un un;
    socklen_t len = sn_bell_name(a, id, &un);
    if (fd < 0 || REAL(bind)(fd, (struct sockaddr *)&un, len) < 0) {
        int e = errno;
        if (fd >= 0)
            REAL(close)(fd);
        sn_bell_free(a, id);
        return -e;
    }
    b->id = id;
    b->fd = fd;
    sn_libfd_mark(fd, true);
    return 0;
}

void sn_doorbell_close(sn_doorbell *b)
{
    if (b->fd >= 0 && sn_libfd_is(b->fd)) {
        sn_libfd_mark(b->fd, false);
        REAL(close)(b->fd);
    }
    if (b->id && sn_net())
        sn_bell_free(sn_net(), b->id);
    b->id = 0;
    b->fd = -1;
}

void sn_doorbell_drain(sn_doorbell *b, bool force)
{
    if (!force && !sn_bell_rung(sn_net(), b->id))
        return;
    /* A ring sends one byte: one recv takes it.  Strays (a re-taken
     * stale flag) are emptied when the kernel reports the socket. */
    char buf[64];
    int saved = errno;      /* the last recv ends in EAGAIN: not the caller's */
    while (REAL(recv)(b->fd, buf, sizeof buf, MSG_DONTWAIT) > 0 && force)
        ;
    errno = saved;
    sn_bell_rearm(sn_net(), b->id);
}

/* ---- one bell per thread ---- */

static __thread sn_doorbell tbell = {0, -1};
static __thread unsigned    tbell_gen;
static pthread_key_t        tbell_key;
static pthread_once_t       tbell_once = PTHREAD_ONCE_INIT;

static void tbell_release(void *p)
{
    (void)p;
    sn_doorbell_close(&tbell);
}

static void tbell_key_init(void)
{
    pthread_key_create(&tbell_key, tbell_release);
}

static sn_doorbell *thread_doorbell(void)
{
    if (tbell.id && tbell_gen != sn_fork_generation) {
        /* Inherited from the parent: its socket and id are the parent's. */
        if (sn_libfd_is(tbell.fd))
            REAL(close)(tbell.fd);
        tbell.id = 0;
        tbell.fd = -1;
    } else if (tbell.id && !sn_libfd_is(tbell.fd)) {
        /* The program closed it: the id is still ours, the fd is not. */
        sn_bell_free(sn_net(), tbell.id);
        tbell.id = 0;
        tbell.fd = -1;
    }
    if (!tbell.id) {
        if (sn_doorbell_open(&tbell, false) < 0)
            return NULL;
        tbell_gen = sn_fork_generation;
        pthread_once(&tbell_once, tbell_key_init);
        pthread_setspecific(tbell_key, &tbell);
    }
    return &tbell;
}

/* Made and checked in several steps: a signal handler's own wait must
 * find it whole (core/lock.h). */
sn_doorbell *sn_thread_doorbell(void)
{
    sn_crit_enter();
    sn_doorbell *b = thread_doorbell();
    sn_crit_leave();
    return b;
}

/* ---- pidfds ---- */

typedef struct pidfd_entry { int pid; int fd; } pidfd_entry;
static pidfd_entry     pidfds[SN_MAX_PROCS];
static pthread_mutex_t pidfd_lock = PTHREAD_MUTEX_INITIALIZER;

void sn_pidfd_fork_lock(void)   { sn_plock(&pidfd_lock); }
void sn_pidfd_fork_unlock(void) { sn_punlock(&pidfd_lock); }

static void pidfds_closed(unsigned lo, unsigned hi)
{
    sn_plock(&pidfd_lock);
    for (int i = 0; i < SN_MAX_PROCS; i++)
        if (pidfds[i].fd > 0 && (unsigned)pidfds[i].fd >= lo && (unsigned)pidfds[i].fd <= hi)
            pidfds[i].fd = 0;
    sn_punlock(&pidfd_lock);
}

int sn_proc_pidfd(int proc)
{
    sn_arena *a = sn_net();
    int pid = sn_net_proc_pid(a, proc);
    if (pid <= 0)
        return -1;
    sn_plock(&pidfd_lock);
    pidfd_entry *e = &pidfds[proc];
    if (e->pid != pid || e->fd <= 0) {
        if (e->fd > 0 && sn_libfd_is(e->fd)) {
            sn_libfd_mark(e->fd, false);
            REAL(close)(e->fd);
        }
        /* pidfd_open gives a close-on-exec fd that polls readable once
         * the process has exited. */
        long fd = sn_os_pidfd(pid);
        if (fd >= 0)
            fd = sn_libfd_place((int)fd);
        e->fd = fd < 0 ? 0 : (int)fd;
        e->pid = pid;
        if (e->fd > 0)
            sn_libfd_mark(e->fd, true);
    }
    int fd = e->fd > 0 ? e->fd : -1;
    sn_punlock(&pidfd_lock);
    return fd;
}
