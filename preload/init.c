#include "preload/init.h"

#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/lock.h"
#include "core/net.h"
#include "preload/fdtab.h"
#include "preload/identity.h"
#include "preload/pcap.h"
#include "preload/process.h"
#include "preload/real.h"
#include "preload/trap.h"

int                   sn_debug_fd = -1;
static sn_arena       net;
static bool           net_ok;
static int            fd_base;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static __thread bool  in_init;   /* init's own calls must not wait for it */
static _Atomic bool   started;   /* init has run (in whichever thread) */
static int            handed = -1;   /* process entry named by SN_ENV_HELD */
static int            handed_marker = -1;   /* its reservation's marker fd */

/* The environment as it was when the program started: start-up may come
 * much later, after a server wiped its environment (clearenv, a fresh
 * envp for itself).  Copied in the constructor; "" when unset. */
static struct {
    char network[256], dir[PATH_MAX], xdg[PATH_MAX - 16], debug[PATH_MAX];
    char shared[4], fd_base[32], pcap[PATH_MAX], host[SN_HOST_NAME + 1], addr[512],
         seed[32];
} env;

/* Longer values are cut, which keeps them invalid where they are checked
 * (a network name longer than 64, an fd base); a path that long would not
 * have worked either. */
static void keep(char *buf, size_t n, const char *name)
{
    const char *v = getenv(name);
    if (v)
        snprintf(buf, n, "%s", v);
}

/* Diagnostics go straight to fd 2 with a system call: no stdio state, no
 * interposed write(). */
static void say(const char *fmt, const char *a, const char *b)
{
    char line[600];
    int n = snprintf(line, sizeof line, fmt, a, b);
    if (n > (int)sizeof line - 1)
        n = (int)sizeof line - 1;
    syscall(SYS_write, 2, line, (size_t)n);
}

static const char *arena_path = "";   /* once the network is open */

/* Memory the network found no room for since the last traced call (core
 * counts, core/arena.h): one line saying what, before the call's own. */
static void trace_room(void)
{
    static _Atomic uint32_t seen;
    uint32_t k = atomic_load(&net.room.fails);
    if (k == atomic_exchange(&seen, k))
        return;
    char line[PATH_MAX + 200];
    int n = snprintf(line, sizeof line,
                     "libsimnet[%d]: no room for %s (%llu bytes) in the file system "
                     "of %s: %s; see \"Memory\" in the user guide\n",
                     (int)getpid(), net.room.what, (unsigned long long)net.room.bytes,
                     arena_path, net.room.err == EFAULT ? "it is full" : strerror(net.room.err));
    if (n > 0)
        syscall(SYS_write, sn_debug_fd, line, (size_t)(n < (int)sizeof line ? n : (int)sizeof line - 1));
}

void sn_trace(const char *fn, int fd, long r)
{
    char line[160];
    int n;
    if (net_ok)
        trace_room();
    if (r >= 0)
        n = snprintf(line, sizeof line, "libsimnet[%d]: %s(%d) = %ld\n",
                     (int)getpid(), fn, fd, r);
    else
        n = snprintf(line, sizeof line, "libsimnet[%d]: %s(%d) = -1 %s (%s)\n",
                     (int)getpid(), fn, fd, strerrorname_np((int)-r) ?: "?",
                     strerror((int)-r));
    if (n > 0)
        syscall(SYS_write, sn_debug_fd, line, (size_t)(n < (int)sizeof line ? n : (int)sizeof line - 1));
}

/* What a fault did (core/faultlog.h), in the trace: one line with the
 * rule that did it.  Set only while tracing, so that core has nothing to
 * do for it otherwise. */
static void fault_line(sn_arena *a, const char *what, int rule)
{
    int fd = sn_debug_fd;
    if (fd < 0)
        return;
    char rt[256] = "", line[600];
    if (rule >= 0 && sn_net_link_text(a, rule, rt, sizeof rt) <= 0)
        rt[0] = 0;
    int n = snprintf(line, sizeof line, "libsimnet[%d]: fault: %s%s%s%s\n", (int)getpid(),
                     what, *rt ? " (rule: " : "", rt, *rt ? ")" : "");
    if (n > 0)
        syscall(SYS_write, fd, line, (size_t)(n < (int)sizeof line ? n : (int)sizeof line - 1));
}

/* SIMNET_DEBUG=1: trace to stderr; SIMNET_DEBUG=/a/file: append there. */
static void debug_init(void)
{
    const char *d = env.debug;
    if (!*d || strcmp(d, "0") == 0)
        return;
    if (strcmp(d, "1") == 0) {
        sn_debug_fd = 2;
        return;
    }
    int fd = open(d, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        say("libsimnet: cannot open SIMNET_DEBUG file %s: %s\n", d, strerror(errno));
    else
        sn_debug_fd = fd;
}

void sn_trace_stop(const char *why)
{
    if (sn_debug_fd < 0)
        return;
    char line[200];
    int n = snprintf(line, sizeof line, "libsimnet[%d]: no more lines from this process: %s\n",
                     (int)getpid(), why);
    if (n > 0)
        syscall(SYS_write, sn_debug_fd, line, (size_t)(n < (int)sizeof line ? n : (int)sizeof line - 1));
    sn_debug_fd = -1;   /* left open: the program may count its fds */
}

static bool valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64 || s[0] == '.' || s[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= 'A' && s[i] <= 'Z') &&
            !(s[i] >= '0' && s[i] <= '9') && s[i] != '.' && s[i] != '_' &&
            s[i] != '-')
            return false;
    return true;
}

/* A file system this large holds a few hundred busy connections (each
 * direction's ring is up to 256 KiB by default, see "Memory" in the user
 * guide); a smaller one, like a container's 64 MiB /dev/shm, is passed
 * over for the next place.  Its total size, not its free space: every
 * process of the user must pick the same place. */
#define ROOMY_FS (256ULL << 20)

static bool roomy(const char *dir)
{
    struct statvfs v;
    return statvfs(dir, &v) == 0 && (uint64_t)v.f_blocks * v.f_frsize >= ROOMY_FS;
}

/* Where arenas live: $SIMNET_DIR, else the first roomy one of
 * $XDG_RUNTIME_DIR/simnet, /dev/shm/simnet-$UID (tmpfs: no write-back of
 * ring memory to a disk) and /tmp/simnet-$UID, else the first of them
 * (scripts/simnet's runtime_dir makes the same choice). */
static int runtime_dir(char *out, size_t n, bool shared)
{
    static char cand[3][PATH_MAX];  /* once; not on a signal stack */
    const char *fs[3], *pick = env.dir;
    int k = 0;
    if (!*pick) {
        if (*env.xdg) {
            fs[k] = env.xdg;
            snprintf(cand[k++], PATH_MAX, "%s/simnet", env.xdg);
        }
        if (access("/dev/shm", W_OK) == 0) {
            fs[k] = "/dev/shm";
            snprintf(cand[k++], PATH_MAX, "/dev/shm/simnet-%u", (unsigned)getuid());
        }
        fs[k] = "/tmp";
        snprintf(cand[k++], PATH_MAX, "/tmp/simnet-%u", (unsigned)getuid());
        int i = 0;
        while (i < k && !roomy(fs[i]))
            i++;
        pick = cand[i < k ? i : 0];
    }
    size_t len = strlen(pick) < n ? strlen(pick) : n - 1;
    memcpy(out, pick, len);
    out[len] = 0;
    /* Shared: a directory every user may add to, like /tmp. */
    if (mkdir(out, shared ? 01777 : 0700) < 0 && errno != EEXIST)
        return -errno;
    if (shared)
        chmod(out, 01777);          /* umask took bits away */
    struct stat st;
    if (stat(out, &st) < 0 || !S_ISDIR(st.st_mode))
        return -ENOTDIR;
    return 0;
}

static const char *net_name(void)
{
    return *env.network ? env.network : "default";
}

int sn_net_env(const char *name, char *out, size_t n)
{
    static const struct { const char *name; size_t off; } vars[] = {
        {"SIMNET_NETWORK", offsetof(__typeof__(env), network)},
        {"SIMNET_DIR", offsetof(__typeof__(env), dir)},
        {"XDG_RUNTIME_DIR", offsetof(__typeof__(env), xdg)},
        {"SIMNET_SHARED", offsetof(__typeof__(env), shared)},
    };
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *v = (const char *)&env + vars[i].off;
        if (strcmp(name, vars[i].name) == 0 && *v)
            return snprintf(out, n, "%s=%s", name, v) < (int)n ? 0 : -1;
    }
    return -1;
}

bool sn_net_shared(void)
{
    return strcmp(env.shared, "1") == 0;
}

/* The arena's path, once found (start-up or a pin), is kept: the
 * runtime directory may depend on the uid, which may change later. */
static char dir[PATH_MAX], path[PATH_MAX + 80];

int sn_net_path(const char **out)
{
    static int r = 1;               /* 1: not looked for yet */
    if (r == 1) {
        if (!valid_name(net_name()))
            r = -EINVAL;
        else if ((r = runtime_dir(dir, sizeof dir, sn_net_shared())) == 0)
            snprintf(path, sizeof path, "%s/%s.arena", dir, net_name());
    }
    *out = path;
    return r;
}

/* FNV-1a of what names the network in the environment (not the runtime
 * directory, which follows the uid). */
uint64_t sn_net_tag(void)
{
    uint64_t h = 0xcbf29ce484222325ull;
    const char *parts[2] = {net_name(), env.dir};
    for (int i = 0; i < 2; i++)
        for (const unsigned char *c = (const unsigned char *)parts[i];; c++) {
            h = (h ^ *c) * 0x100000001b3ull;
            if (!*c)
                break;
        }
    return h;
}

/* The library's own fds live in the upper half of the fd limit, out of
 * the way of the numbers a program expects; 0 where that is unknown. */
int sn_libfd_floor(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < 64 ||
        rl.rlim_cur == RLIM_INFINITY)
        return 0;
    rlim_t half = rl.rlim_cur / 2,
           cap = (rlim_t)(sn_fdtab_size ? sn_fdtab_size : sn_fdtab_planned_size()) / 2;
    return (int)(half < cap ? half : cap);
}

static int open_network(char *err, size_t errlen)
{
    int flags = SN_ARENA_CREATE | SN_ARENA_ATTACH |
                (sn_net_shared() ? SN_ARENA_SHARED : 0) |
                (handed >= 0 ? SN_ARENA_HANDED(handed) : 0);
    int pin = sn_pin_fd();
    if (pin >= 0) {
        char label[400];
        snprintf(label, sizeof label, "of network %s (fd %d, pinned before a change of user)",
                 net_name(), pin);
        return sn_net_open_fd(&net, pin, label, SN_DEFAULT_SIZE, flags, err, errlen);
    }
    const char *p;
    int r = sn_net_path(&p);
    if (r == -EINVAL)
        snprintf(err, errlen, "invalid SIMNET_NETWORK '%s': use 1-64 of "
                 "[A-Za-z0-9._-], not starting with '.' or '-'", net_name());
    else if (r < 0)
        snprintf(err, errlen, "unusable runtime directory %s: %s", dir, strerror(-r));
    else
        r = sn_net_open(&net, p, SN_DEFAULT_SIZE, flags, err, errlen);
    return r;
}

/* SIMNET_HOST: this process (and its children) on that host, made if
 * new, with the addresses of SIMNET_ADDR (`simnet run --addr`) added.  On failure the process leaves the network again: its sockets
 * then fail (ENETDOWN) rather than run on the wrong host. */
static int join_host(char *err, size_t errlen)
{
    if (!*env.host) {
        if (*env.addr)      /* as `simnet run --addr` without --host */
            say("libsimnet: ignoring SIMNET_ADDR '%s'%s: it needs SIMNET_HOST\n",
                env.addr, "");
        return 0;
    }
    sn_addr addrs[SN_HOST_ADDRS];
    int n = sn_net_parse_addrs(env.addr, addrs, SN_HOST_ADDRS, err, errlen);
    int r = n < 0 ? n : sn_net_host_join(&net, env.host, addrs, n, err, errlen);
    if (r < 0)
        sn_net_leave(&net, *path ? path : NULL);
    return r;
}

/* SIMNET_SEED: the network's generators start from it, unless a seed
 * was given already (`simnet run --seed`, an earlier process). */
static void set_seed(void)
{
    if (!*env.seed)
        return;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(env.seed, &end, 10);
    if (*end || errno || env.seed[0] == '-')
        say("libsimnet: ignoring invalid SIMNET_SEED '%s'%s\n", env.seed, "");
    else
        sn_net_set_seed(&net, v, false);
}

const char *sn_host_name(void)
{
    return env.host;
}

static void init(void)
{
    int saved = errno;
    in_init = true;
    sn_crit_enter();                /* a signal handler must not start us too */
    if (sn_fdtab_init() < 0) {
        say("libsimnet: %s%s\n", "cannot allocate the fd table", "");
        goto out;
    }
    debug_init();
    const char *b = env.fd_base;
    if (*b) {
        char *end;
        long v = strtol(b, &end, 10);
        if (*end || v < 0 || v >= sn_fdtab_size)
            say("libsimnet: ignoring invalid SIMNET_FD_BASE '%s'%s\n", b, "");
        else
            fd_base = (int)v;
    }
    char err[PATH_MAX + 200];
    if (open_network(err, sizeof err) < 0 || join_host(err, sizeof err) < 0) {
        say("libsimnet: %s%s\n", err, "");
    } else {
        net_ok = true;
        net.fd_high = sn_libfd_floor();
        if (sn_debug_fd >= 0)
            net.on_fault = fault_line;
        set_seed();
        arena_path = *path ? path : "the network's file (pinned)";
        /* The entry is claimed: let its reservation's marker go. */
        if (handed >= 0)
            sn_net_unmark(&net, handed, handed_marker);
    }
    sn_process_init();
    if (net_ok)
        sn_process_adopt_inherited();
    if (net_ok && *env.pcap)
        sn_pcap_begin(&net, env.pcap, path);
out:
    atomic_store(&started, true);
    in_init = false;
    sn_crit_leave();
    errno = saved;
}

/* Start-up is lazy (init.h).  The constructor copies the environment and
 * reads the markers a parent leaves for a program it hands sockets or a
 * pinned network to (identity.h), and takes them out of the environment
 * the program sees.  (Fork handlers are registered at
 * start-up: before it no socket is held and no lock of ours taken.) */
__attribute__((constructor)) static void sn_constructor(void)
{
    keep(env.network, sizeof env.network, "SIMNET_NETWORK");
    keep(env.dir, sizeof env.dir, "SIMNET_DIR");
    keep(env.xdg, sizeof env.xdg, "XDG_RUNTIME_DIR");
    keep(env.debug, sizeof env.debug, "SIMNET_DEBUG");
    keep(env.shared, sizeof env.shared, "SIMNET_SHARED");
    keep(env.fd_base, sizeof env.fd_base, "SIMNET_FD_BASE");
    keep(env.pcap, sizeof env.pcap, "SIMNET_PCAP");
    /* The trap first: taken over when inherited, installed for a Go
     * program (nothing of it may bypass libc before it), else deferred
     * to the first inet socket or name lookup (trap.c). */
    char *end;
    long fb = *env.fd_base ? strtol(env.fd_base, &end, 10) : 0;
    sn_trap_start(fb > 0 && fb < INT_MAX && !*end ? (int)fb : 0);
    keep(env.host, sizeof env.host, "SIMNET_HOST");
    keep(env.addr, sizeof env.addr, "SIMNET_ADDR");
    keep(env.seed, sizeof env.seed, "SIMNET_SEED");
    const char *pin = getenv(SN_ENV_PIN);
    if (pin) {
        sn_pin_inherit(pin);
        unsetenv(SN_ENV_PIN);
    }
    const char *h = getenv(SN_ENV_HELD);
    if (h) {
        long e = strtol(h, &end, 10), m = -1;
        if (*end == ':')            /* <entry>:<marker fd> (process.c) */
            m = strtol(end + 1, &end, 10);
        if (*h && !*end && e >= 0 && e < SN_MAX_PROCS) {
            handed = (int)e;
            handed_marker = m >= 0 && m < INT_MAX ? (int)m : -1;
        }
        unsetenv(SN_ENV_HELD);
        pthread_once(&once, init);
    }
}

/* exit() (not _exit or a signal): runs after the program's atexit
 * handlers, which may still have used their sockets.  Then the process
 * leaves the network: its entry is freed, and the last one out removes
 * the file (core/arena.h).  (A forked child leaves its own entry:
 * sn_net_leave checks that it carries our pid.  execve runs no
 * destructor and keeps the entry for the new image.) */
__attribute__((destructor)) static void sn_destructor(void)
{
    if (net_ok && sn_fdtab)
        sn_fdtab_release_all();
    if (net_ok)
        sn_net_leave(&net, path);
}

sn_arena *sn_net(void)
{
    if (!in_init)
        pthread_once(&once, init);
    return net_ok ? &net : NULL;
}

bool sn_started(void)
{
    return atomic_load_explicit(&started, memory_order_acquire);
}

/* Before start-up, fds are looked at one by one: each number the program
 * uses is checked once, by fstat, and only a socket starts the library
 * (it may be inherited: init.h).  A program that works only with files,
 * pipes and terminals never starts it.  A number found not to be a socket
 * stays checked even if reused later: new fds are the program's own, and
 * an inherited socket moved to another number is used at its old number
 * first (by dup2 or fcntl). */
_Atomic uint64_t sn_fd_checked[SN_FD_CHECKED_MAX / 64];

int sn_fd_slot_cold(int fd)
{
    if (fd < 0 || in_init || sn_started())
        return -1;
    struct stat st;
    if (fd < SN_FD_CHECKED_MAX &&
        (syscall(SYS_fstat, fd, &st) < 0 || !S_ISSOCK(st.st_mode))) {
        atomic_fetch_or_explicit(&sn_fd_checked[fd / 64], 1ull << (fd % 64),
                                 memory_order_relaxed);
        return -1;
    }
    sn_net();
    return sn_fd_slot(fd);          /* started now: the table answers */
}

int sn_fd_base(void)
{
    return fd_base;
}
