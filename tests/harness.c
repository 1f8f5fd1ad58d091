/*
 * harness.c — see harness.h.
 *
 * This file runs in Criterion worker processes, never under the
 * simulation, so it may freely use poll() and real pipes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* ------------------------------------------------------------------ */
/* Paths and names                                                     */
/* ------------------------------------------------------------------ */

const char *repo_root(void)
{
    static char root[4096];
    if (root[0])
        return root;
    const char *env = getenv("SIMNET_ROOT");
    if (env && env[0])
        snprintf(root, sizeof root, "%s", env);
    else if (!getcwd(root, sizeof root))
        snprintf(root, sizeof root, ".");
    return root;
}

char *repo_path(const char *fmt, ...)
{
    char rel[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rel, sizeof rel, fmt, ap);
    va_end(ap);
    char *out;
    if (asprintf(&out, "%s/%s", repo_root(), rel) < 0)
        abort();
    return out;
}

char *unique_network(const char *tag)
{
    static unsigned counter;
    char *out;
    if (asprintf(&out, "%s-%ld-%u", tag ? tag : "net", (long)getpid(),
                 __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED)) < 0)
        abort();
    return out;
}

const char *run_status_str(int status)
{
    static char buf[64];
    if (status == RUN_ERROR)
        return "could not run";
    if (status == RUN_TIMEOUT)
        return "timeout (killed)";
    if (status >= 128) {
        const char *abbrev = sigabbrev_np(status - 128);
        snprintf(buf, sizeof buf, "killed by signal %d (SIG%s)", status - 128,
                 abbrev ? abbrev : "?");
    } else {
        snprintf(buf, sizeof buf, "exit %d", status);
    }
    return buf;
}

/* "<$TMPDIR or /tmp>/<name>XXXXXX" into buf, for mkdtemp/mkstemp. */
static char *temp_template(char *buf, size_t size, const char *name)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !dir[0])
        dir = "/tmp";
    snprintf(buf, size, "%s/%sXXXXXX", dir, name);
    return buf;
}

/* ------------------------------------------------------------------ */
/* Growing output buffers                                              */
/* ------------------------------------------------------------------ */

struct sink {
    int fd;      /* read end, -1 once at EOF */
    char *buf;
    size_t len, cap;
};

static int sink_read(struct sink *s)
{
    if (s->cap - s->len < 4096) {
        size_t ncap = s->cap ? s->cap * 2 : 16384;
        char *n = realloc(s->buf, ncap);
        if (!n)
            return -1;
        s->buf = n;
        s->cap = ncap;
    }
    ssize_t r = read(s->fd, s->buf + s->len, s->cap - s->len - 1);
    if (r < 0 && (errno == EINTR || errno == EAGAIN))
        return 0;
    if (r <= 0) {
        close(s->fd);
        s->fd = -1;
        return 0;
    }
    s->len += (size_t)r;
    return 0;
}

static char *sink_take(struct sink *s, size_t *len)
{
    if (!s->buf) {
        s->buf = malloc(1);
        if (!s->buf)
            abort();
    }
    s->buf[s->len] = '\0';
    if (len)
        *len = s->len;
    return s->buf;
}

/* ------------------------------------------------------------------ */
/* Child environment                                                   */
/* ------------------------------------------------------------------ */

static int is_sim_var(const char *e)
{
    static const char *const names[] = { "LD_PRELOAD=", "SIMNET_NETWORK=",
                                         "SIMNET_DIR=" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strncmp(e, names[i], strlen(names[i])) == 0)
            return 1;
    return 0;
}

/* Copy of environ without the simulation variables, plus `extra`
 * (NULL-terminated, may be NULL).  Built before fork so the child only
 * has to call execve. */
static char **child_env(char *const extra[])
{
    size_t n = 0, k = 0;
    while (environ[n])
        n++;
    while (extra && extra[k])
        k++;
    char **env = calloc(n + k + 1, sizeof *env);
    if (!env)
        abort();
    size_t j = 0;
    for (size_t i = 0; i < n; i++)
        if (!is_sim_var(environ[i]))
            env[j++] = environ[i];
    for (size_t i = 0; i < k; i++)
        env[j++] = extra[i];
    env[j] = NULL;
    return env;
}

static int rm_entry(const char *path, const struct stat *sb, int type,
                    struct FTW *ftw)
{
    (void)sb;
    (void)type;
    (void)ftw;
    remove(path);
    return 0;
}

static void rm_tree(const char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ------------------------------------------------------------------ */
/* Running                                                             */
/* ------------------------------------------------------------------ */

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Child side of the fork: only async-signal-safe calls from here on. */
static void exec_child(char *const argv[], char **env, int out_w, int err_w,
                       int devnull, int netns)
{
    setpgid(0, 0);
    if (netns >= 0 && setns(netns, CLONE_NEWNET) < 0) {
        static const char msg[] = "harness: setns to the oracle's network failed\n";
        if (write(2, msg, sizeof msg - 1) < 0)
            _exit(127);
        _exit(127);
    }
    /* Start from a clean signal state whatever the test runner set up:
     * unblocked, default dispositions (ignored signals survive exec). */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int sig = 1; sig < NSIG; sig++)
        signal(sig, SIG_DFL);
    if (dup2(devnull, 0) < 0 || dup2(out_w, 1) < 0 || dup2(err_w, 2) < 0)
        _exit(127);
    execve(argv[0], argv, env);
    static const char msg[] = "harness: execve failed\n";
    if (write(2, msg, sizeof msg - 1) < 0)
        _exit(127);
    _exit(127);
}

static int run_impl(char *const argv[], int preload, const char *network,
                    int timeout_s, char **out, size_t *outlen, char **err,
                    size_t *errlen)
{
    int status = RUN_ERROR;
    char *extra[4] = { NULL, NULL, NULL, NULL };
    char *own_net = NULL;
    char dir[4096];
    int have_dir = 0;
    struct sink so = { -1, NULL, 0, 0 }, se = { -1, NULL, 0, 0 };
    int out_p[2] = { -1, -1 }, err_p[2] = { -1, -1 };
    int devnull = -1, netns = -1;
    char **env = NULL;

    /* The kernel oracle of an isolated run (scripts/run-tests runs the
     * suites in a network namespace with loopback down) runs in the
     * namespace the suites were started from, which has a loopback. */
    const char *oracle_ns = getenv("SIMNET_ORACLE_NETNS");
    if (preload == RUN_ORACLE && oracle_ns && *oracle_ns) {
        netns = open(oracle_ns, O_RDONLY | O_CLOEXEC);
        if (netns < 0)
            goto done;
    }
    if (preload == RUN_ORACLE)
        preload = 0;
    if (preload) {
        if (!network)
            network = own_net = unique_network("run");
        if (!mkdtemp(temp_template(dir, sizeof dir, "simnet-test-")))
            goto done;
        have_dir = 1;
        char *lib = repo_path("build/libsimnet.so");
        if (asprintf(&extra[0], "LD_PRELOAD=%s", lib) < 0 ||
            asprintf(&extra[1], "SIMNET_NETWORK=%s", network) < 0 ||
            asprintf(&extra[2], "SIMNET_DIR=%s", dir) < 0)
            abort();
        free(lib);
    }
    env = child_env(extra);

    devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull < 0 || pipe2(out_p, O_CLOEXEC) < 0)
        goto done;
    if (err && pipe2(err_p, O_CLOEXEC) < 0)
        goto done;

    /* waitpid() must see our child even if the runner ignores SIGCHLD
     * (which would make the kernel reap it behind our back). */
    struct sigaction dfl, old_chld;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGCHLD, &dfl, &old_chld);

    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        sigaction(SIGCHLD, &old_chld, NULL);
        goto done;
    }
    if (pid == 0)
        exec_child(argv, env, out_p[1], err ? err_p[1] : out_p[1], devnull, netns);
    /* Also from the parent, so the group exists before we might kill it. */
    setpgid(pid, pid);
    close(out_p[1]);
    out_p[1] = -1;
    if (err) {
        close(err_p[1]);
        err_p[1] = -1;
    }
    so.fd = out_p[0];
    out_p[0] = -1;
    if (err) {
        se.fd = err_p[0];
        err_p[0] = -1;
    }

    double deadline = mono_s() + timeout_s;
    int timed_out = 0, reaped = 0, wst = 0;
    for (;;) {
        if (!reaped) {
            pid_t w = waitpid(pid, &wst, WNOHANG);
            if (w == pid)
                reaped = 1;
        }
        if (reaped && so.fd < 0 && se.fd < 0)
            break;
        double left = deadline - mono_s();
        if (left <= 0 && !timed_out) {
            /* Kill the whole group: the program and anything it forked. */
            timed_out = 1;
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            deadline = mono_s() + 5; /* grace period to drain and reap */
            continue;
        }
        if (left <= 0 && timed_out)
            break; /* something survived SIGKILL holding a pipe: give up */
        struct pollfd pf[2];
        int n = 0;
        if (so.fd >= 0)
            pf[n++] = (struct pollfd){ .fd = so.fd, .events = POLLIN };
        if (se.fd >= 0)
            pf[n++] = (struct pollfd){ .fd = se.fd, .events = POLLIN };
        /* Wake up regularly to notice the exit of a child that left its
         * output pipe to a grandchild. */
        int ms = left > 0.05 ? 50 : (int)(left * 1000) + 1;
        if (n == 0) {
            struct timespec ts = { 0, ms * 1000000L };
            nanosleep(&ts, NULL);
            continue;
        }
        if (poll(pf, (nfds_t)n, ms) > 0) {
            for (int i = 0; i < n; i++) {
                if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
                    continue;
                struct sink *s = pf[i].fd == so.fd ? &so : &se;
                if (sink_read(s) < 0)
                    abort();
            }
        }
    }
    if (!reaped && waitpid(pid, &wst, 0) == pid)
        reaped = 1;
    sigaction(SIGCHLD, &old_chld, NULL);

    if (timed_out)
        status = RUN_TIMEOUT;
    else if (reaped && WIFEXITED(wst))
        status = WEXITSTATUS(wst);
    else if (reaped && WIFSIGNALED(wst))
        status = 128 + WTERMSIG(wst);

done:
    if (so.fd >= 0)
        close(so.fd);
    if (se.fd >= 0)
        close(se.fd);
    for (int i = 0; i < 2; i++) {
        if (out_p[i] >= 0)
            close(out_p[i]);
        if (err_p[i] >= 0)
            close(err_p[i]);
    }
    if (devnull >= 0)
        close(devnull);
    if (netns >= 0)
        close(netns);
    if (have_dir)
        rm_tree(dir);
    for (int i = 0; i < 3; i++)
        free(extra[i]);
    free(env);
    free(own_net);
    so.fd = se.fd = -1;
    *out = sink_take(&so, outlen);
    if (err)
        *err = sink_take(&se, errlen);
    else
        free(se.buf);
    return status;
}

int run_capture(char *const argv[], int preload, const char *network,
                int timeout_s, char **out, size_t *outlen)
{
    return run_impl(argv, preload, network, timeout_s, out, outlen, NULL,
                    NULL);
}

int run_capture_split(char *const argv[], int preload, const char *network,
                      int timeout_s, char **out, size_t *outlen, char **err,
                      size_t *errlen)
{
    return run_impl(argv, preload, network, timeout_s, out, outlen, err,
                    errlen);
}

/* ------------------------------------------------------------------ */
/* Diffs                                                               */
/* ------------------------------------------------------------------ */

static int write_temp(char *path_template, const char *text)
{
    int fd = mkstemp(path_template);
    if (fd < 0)
        return -1;
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    close(fd);
    return 0;
}

char *text_diff(const char *label_a, const char *a, const char *label_b,
                const char *b)
{
    char *out = NULL;
    if (strcmp(a, b) == 0)
        return strdup("");
    char pa[4096], pb[4096];
    temp_template(pa, sizeof pa, "simnet-diff-a-");
    temp_template(pb, sizeof pb, "simnet-diff-b-");
    int wa = write_temp(pa, a);
    int wb = wa < 0 ? -1 : write_temp(pb, b);
    if (wa < 0 || wb < 0) {
        if (wa == 0)
            unlink(pa);
        if (asprintf(&out, "(could not write temporary files for diff)\n") < 0)
            abort();
        return out;
    }
    char la[256], lb[256];
    snprintf(la, sizeof la, "--label=%s", label_a);
    snprintf(lb, sizeof lb, "--label=%s", label_b);
    /* diff itself is a plain kernel run (preload=0). */
    char *argv[] = { "/usr/bin/diff", "-u", la, lb, pa, pb, NULL };
    size_t len;
    int st = run_capture(argv, 0, NULL, 30, &out, &len);
    unlink(pa);
    unlink(pb);
    if (st != 1) { /* diff exits 1 when the files differ */
        char *msg;
        if (asprintf(&msg, "(diff: %s)\n%s", run_status_str(st), out) < 0)
            abort();
        free(out);
        out = msg;
    }
    return out;
}
