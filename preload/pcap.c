/* SIMNET_PCAP: starting the drainer (see pcap.h). */
#include "preload/pcap.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "preload/real.h"

extern char **environ;

/* The drainer is installed beside the library. */
static bool drainer_path(char *out, size_t n)
{
    Dl_info info;
    if (!dladdr((void *)sn_pcap_begin, &info) || !info.dli_fname)
        return false;
    const char *slash = strrchr(info.dli_fname, '/');
    int dir = slash ? (int)(slash - info.dli_fname) : 1;
    snprintf(out, n, "%.*s/simnet-capture", dir, slash ? info.dli_fname : ".");
    return access(out, X_OK) == 0;
}

void sn_pcap_begin(sn_arena *a, const char *file, const char *arena_path)
{
    if (!*file || sn_cap_on(a) || !*arena_path)
        return;
    char exe[PATH_MAX], dir[PATH_MAX], name[256];
    if (!drainer_path(exe, sizeof exe)) {
        fprintf(stderr, "libsimnet: SIMNET_PCAP: cannot find simnet-capture "
                "beside libsimnet.so; not capturing\n");
        return;
    }
    const char *slash = strrchr(arena_path, '/');
    size_t len = strlen(slash + 1);
    if (!slash || len <= 6 || len - 6 >= sizeof name)
        return;
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - arena_path), arena_path);
    snprintf(name, sizeof name, "%.*s", (int)(len - 6), slash + 1);
    /* The drainer runs without the library: its environment is ours
     * less LD_PRELOAD. */
    size_t ne = 0;
    while (environ && environ[ne])
        ne++;
    char *envp[ne + 1], **e = envp;
    for (size_t i = 0; i < ne; i++)
        if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0)
            *e++ = environ[i];
    *e = NULL;
    char *argv[] = {exe, "--background", "--while-used", "-a", (char *)file,
                    dir, name, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    /* a mask the program set at that moment must not keep SIGTERM from
     * the drainer */
    posix_spawnattr_t at;
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_init(&at);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK);
    pid_t pid;
    /* The real call: the drainer is not a process of ours to hand
     * sockets to.  It returns once capturing (--background). */
    if (REAL(posix_spawn)(&pid, exe, &fa, &at, argv, envp) == 0)
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
    posix_spawnattr_destroy(&at);
    posix_spawn_file_actions_destroy(&fa);
}
