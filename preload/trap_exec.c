/* execve and execveat under the trap (trap.h).  The filter outlives exec
 * and cannot be taken away; the new image is caught by it whether or not
 * it loads the library.  So every exec is looked at first:
 *  - a dynamic program whose environment lost the library (LD_PRELOAD
 *    removed or replaced, env -i) gets it back, with the variables that
 *    name the network (SIMNET_NETWORK, SIMNET_DIR...) as the program
 *    started with them: it runs under the library, in the same network;
 *  - a program that cannot load it (a static executable, one that the
 *    loader runs in secure mode: set-user-ID or set-group-ID to someone
 *    else, file capabilities) runs without it: its first caught call (an
 *    inet socket, or an fd in the ranges) is stopped by the kernel with
 *    SIGSYS, before it reaches anything.  The exec says so on stderr,
 *    once per process, so that the signal is not a mystery.
 * Then the exec is made as asked, through the gate. */
#include "preload/trap.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/sys_linux.h"
#include "preload/init.h"

enum image { IMG_UNKNOWN, IMG_DYNAMIC, IMG_STATIC, IMG_SECURE, IMG_32BIT };

static long sys(long n, long a, long b, long c, long d, long e, long f)
{
    return sn_raw_syscall6(n, a, b, c, d, e, f);
}

static bool secure(int fd, const struct stat *st)
{
    if (sys(SYS_prctl, PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0, 0) == 1)
        return false;               /* no_new_privs: nothing is gained */
    if ((st->st_mode & S_ISUID) && st->st_uid != (uid_t)sys(SYS_geteuid, 0, 0, 0, 0, 0, 0))
        return true;
    if ((st->st_mode & S_ISGID) && st->st_gid != (gid_t)sys(SYS_getegid, 0, 0, 0, 0, 0, 0))
        return true;
    return sys(SYS_fgetxattr, fd, (long)"security.capability", 0, 0, 0, 0) > 0;
}

static enum image classify_fd(int fd, int depth);

/* "#!interpreter ...": what runs is the interpreter. */
static enum image script(const char *buf, long n, int depth)
{
    char path[256];
    long i = 2, k = 0;
    while (i < n && (buf[i] == ' ' || buf[i] == '\t'))
        i++;
    while (i < n && k < (long)sizeof path - 1 && buf[i] != ' ' && buf[i] != '\t' &&
           buf[i] != '\n')
        path[k++] = buf[i++];
    path[k] = 0;
    if (!k || depth > 0)
        return IMG_UNKNOWN;
    long fd = sys(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC, 0, 0, 0);
    if (fd < 0)
        return IMG_UNKNOWN;
    enum image r = classify_fd((int)fd, depth + 1);
    sys(SYS_close, fd, 0, 0, 0, 0, 0);
    return r;
}

static enum image classify_fd(int fd, int depth)
{
    char buf[1024] __attribute__((aligned(8)));
    struct stat st;
    if (sys(SYS_fstat, fd, (long)&st, 0, 0, 0, 0) < 0)
        return IMG_UNKNOWN;
    long n = sys(SYS_pread64, fd, (long)buf, sizeof buf, 0, 0, 0);
    if (n >= 2 && buf[0] == '#' && buf[1] == '!')
        return script(buf, n, depth);
    if (n < (long)sizeof(Elf64_Ehdr) || memcmp(buf, ELFMAG, SELFMAG) != 0)
        return IMG_UNKNOWN;
    if (buf[EI_CLASS] != ELFCLASS64)
        return IMG_32BIT;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)buf;
    if (eh->e_phentsize != sizeof(Elf64_Phdr))
        return IMG_UNKNOWN;
    bool interp = false;
    for (unsigned i = 0; i < eh->e_phnum && !interp; i++) {
        /* The headers follow the ELF header in the 1 KiB read, as a
         * rule: one system call for them all (an exec's cost). */
        Elf64_Phdr ph;
        uint64_t at = eh->e_phoff + i * sizeof ph;
        if (at + sizeof ph <= (uint64_t)n)
            memcpy(&ph, buf + at, sizeof ph);
        else if (sys(SYS_pread64, fd, (long)&ph, sizeof ph, (long)at, 0, 0) != (long)sizeof ph)
            return IMG_UNKNOWN;
        interp = ph.p_type == PT_INTERP;
    }
    if (!interp)
        return IMG_STATIC;
    return secure(fd, &st) ? IMG_SECURE : IMG_DYNAMIC;
}

static enum image classify(long nr, const long a[6])
{
    if (nr == SYS_execveat && (a[4] & AT_EMPTY_PATH) && a[1] && !*(const char *)a[1])
        return classify_fd((int)a[0], 0);
    int dirfd = nr == SYS_execveat ? (int)a[0] : AT_FDCWD;
    const char *path = (const char *)(nr == SYS_execveat ? a[1] : a[0]);
    long fd = sys(SYS_openat, dirfd, (long)path, O_RDONLY | O_CLOEXEC, 0, 0, 0);
    if (fd < 0)
        return IMG_UNKNOWN;         /* the exec will say why */
    enum image r = classify_fd((int)fd, 0);
    sys(SYS_close, fd, 0, 0, 0, 0, 0);
    return r;
}

static void warn_once(const char *path, enum image img)
{
    static bool said;
    if (said)
        return;
    said = true;
    const char *why = img == IMG_STATIC   ? "a static executable"
                      : img == IMG_32BIT ? "a 32-bit executable"
                                         : "the loader runs it in secure mode";
    const char *how = img == IMG_32BIT
                          ? "its inet sockets fail with EAFNOSUPPORT"
                          : "the kernel stops it with SIGSYS at its first inet socket call";
    char line[PATH_MAX + 300];
    int n = snprintf(line, sizeof line,
                     "libsimnet: %s runs without the library (%s): %s; "
                     "nothing of it reaches the network\n", path, why, how);
    if (n > 0)
        sys(SYS_write, 2, (long)line, n < (int)sizeof line ? n : (int)sizeof line - 1, 0, 0, 0);
}

/* Does envp's LD_PRELOAD name this library?  *at: its index, or -1. */
static bool has_self(char *const *envp, long *at, long *count)
{
    bool found = false;
    long i = 0;
    *at = -1;
    for (; envp && envp[i]; i++)
        if (strncmp(envp[i], "LD_PRELOAD=", 11) == 0) {
            *at = i;
            found = strstr(envp[i] + 11, sn_trap_self) != NULL;
        }
    *count = i;
    return found;
}

static bool has_var(char *const *envp, const char *name, size_t len)
{
    for (long i = 0; envp && envp[i]; i++)
        if (strncmp(envp[i], name, len) == 0 && envp[i][len] == '=')
            return true;
    return false;
}

/* ---- before an exec, when the trap is deferred (trap.c) ----
 * A program that runs without the library, or whose environment lost
 * it, is covered only by a filter it inherits: the exec installs it
 * first.  Any other exec leaves it deferred (a shell, make, a test
 * runner pay nothing for their children). */

static enum image classify_path(const char *path)
{
    long fd = sys(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC, 0, 0, 0);
    if (fd < 0)
        return IMG_UNKNOWN;
    enum image r = classify_fd((int)fd, 0);
    sys(SYS_close, fd, 0, 0, 0, 0, 0);
    return r;
}

/* execvp's search: the first executable file of that name in PATH. */
static enum image classify_search(const char *file)
{
    if (strchr(file, '/'))
        return classify_path(file);
    const char *p = getenv("PATH");
    if (!p || !*p)
        p = "/bin:/usr/bin";
    char cand[PATH_MAX];
    while (*p) {
        const char *e = strchrnul(p, ':');
        int n = snprintf(cand, sizeof cand, "%.*s%s%s", (int)(e - p), p,
                         e > p ? "/" : "", file);
        if (n > 0 && n < (int)sizeof cand &&
            sys(SYS_faccessat, AT_FDCWD, (long)cand, X_OK, 0, 0, 0) == 0)
            return classify_path(cand);
        p = *e ? e + 1 : e;
    }
    return IMG_UNKNOWN;
}

void sn_trap_exec_need(int fd, const char *path, bool search, char *const *envp)
{
    if (!__atomic_load_n(&sn_trap_pending, __ATOMIC_ACQUIRE) || !*sn_trap_self)
        return;
    long at, n;
    if (!has_self(envp, &at, &n)) {
        sn_trap_need();             /* to be mended: the trap does it */
        return;
    }
    enum image img = fd >= 0 ? classify_fd(fd, 0)
                     : !path  ? IMG_UNKNOWN
                     : search ? classify_search(path)
                              : classify_path(path);
    if (img == IMG_STATIC || img == IMG_SECURE || img == IMG_32BIT)
        sn_trap_need();
}

static long exec_with(long nr, const long a[6], char *const *envp)
{
    if (nr == SYS_execve)
        return sys(nr, a[0], a[1], (long)envp, 0, 0, 0);
    return sys(nr, a[0], a[1], a[2], (long)envp, a[4], 0);
}

long sn_trap_exec(long nr, const long a[6])
{
    char *const *envp = (char *const *)(nr == SYS_execve ? a[2] : a[3]);
    const char *path = (const char *)(nr == SYS_execve ? a[0] : a[1]);
    enum image img = classify(nr, a);
    if (img == IMG_STATIC || img == IMG_SECURE || img == IMG_32BIT)
        warn_once(path && *path ? path : "the program", img);
    long at, n;
    if (img != IMG_DYNAMIC || !*sn_trap_self || has_self(envp, &at, &n) || n > 65536)
        return exec_with(nr, a, envp);
    /* Mend: the library in front of whatever LD_PRELOAD was left, and
     * the network the parent was in. */
    static const char *const names[] = {"SIMNET_NETWORK", "SIMNET_DIR",
                                        "XDG_RUNTIME_DIR", "SIMNET_SHARED"};
    enum { NV = sizeof names / sizeof *names, ON_STACK = 256 };
    /* Little stack: this may run on a vfork child's (posix_spawn's is
     * 32 KiB and more).  A large environment's array is mapped. */
    char *small[ON_STACK + 2 + NV], **nenv = small;
    size_t big = (size_t)(n + 2 + NV) * sizeof *nenv;
    if (n > ON_STACK) {
        long p = sys(SYS_mmap, 0, (long)big, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p < 0 && p > -4096)
            return exec_with(nr, a, envp);
        nenv = (char **)p;
    }
    char buf[6144];
    long k = 0;
    size_t used = 0;
    for (long i = 0; i < n; i++)
        if (i != at)
            nenv[k++] = envp[i];
    int w = snprintf(buf, sizeof buf, "LD_PRELOAD=%s%s%s", sn_trap_self, at >= 0 ? " " : "",
                     at >= 0 ? envp[at] + 11 : "");
    if (w > 0 && (size_t)w < sizeof buf) {
        nenv[k++] = buf;
        used = (size_t)w + 1;
        for (int i = 0; i < NV; i++)
            if (!has_var(envp, names[i], strlen(names[i])) &&
                sn_net_env(names[i], buf + used, sizeof buf - used) == 0) {
                nenv[k++] = buf + used;
                used += strlen(buf + used) + 1;
            }
    }
    nenv[k] = NULL;
    long r = exec_with(nr, a, nenv);
    if (nenv != small)
        sys(SYS_munmap, (long)nenv, (long)big, 0, 0, 0, 0);
    return r;
}
