/*
 * passthru — calls libsimnet does not simulate, which it must pass to the
 * kernel cheaply.
 *
 *   passthru -m devnull|pipe|spawn
 *
 * devnull: 1-byte write() to /dev/null, ns per call.
 * devread: 1-byte read() from /dev/zero, ns per call.
 * openclose: open() and close() of /dev/null, ns per pair.
 * pipe:    1-byte ping-pong over two pipes between two processes (the byte
 *          comes back incremented and is checked), us per round trip.
 * spawn:   posix_spawn of `sh -c true` and waitpid, median us per process;
 *          run preloaded, the shell starts preloaded too (environment).
 */
#include "bench.h"

#include <spawn.h>

extern char **environ;

static void devnull(void)
{
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        die("open /dev/null:");
    uint64_t n = 0, t0 = now_ns(), end = t0 + (uint64_t)(bench_secs() * 1e9), t1;
    do {
        for (int i = 0; i < 10000; i++)
            if (write(fd, "x", 1) != 1)
                die("write /dev/null:");
        n += 10000;
    } while ((t1 = now_ns()) < end);
    close(fd);
    result("devnull_write", (double)(t1 - t0) / (double)n, "ns", "lower");
}

static void devread(void)
{
    int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die("open /dev/zero:");
    char c;
    uint64_t n = 0, t0 = now_ns(), end = t0 + (uint64_t)(bench_secs() * 1e9), t1;
    do {
        for (int i = 0; i < 10000; i++)
            if (read(fd, &c, 1) != 1)
                die("read /dev/zero:");
        n += 10000;
    } while ((t1 = now_ns()) < end);
    close(fd);
    result("devzero_read", (double)(t1 - t0) / (double)n, "ns", "lower");
}

static void openclose(void)
{
    uint64_t n = 0, t0 = now_ns(), end = t0 + (uint64_t)(bench_secs() * 1e9), t1;
    do {
        for (int i = 0; i < 1000; i++) {
            int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
            if (fd < 0 || close(fd) != 0)
                die("open/close /dev/null:");
        }
        n += 1000;
    } while ((t1 = now_ns()) < end);
    result("open_close", (double)(t1 - t0) / (double)n, "ns", "lower");
}

static void pingpong(void)
{
    int a[2], b[2];
    if (pipe(a) != 0 || pipe(b) != 0)
        die("pipe:");
    pid_t parent = getpid(), pid = fork();
    if (pid < 0)
        die("fork:");
    if (pid == 0) {
        child_init(parent, 20);
        close(a[1]);
        close(b[0]);
        unsigned char c;
        while (read_all(a[0], &c, 1) == 1) {
            c++;
            write_all(b[1], &c, 1);
        }
        _exit(0);
    }
    close(a[0]);
    close(b[1]);
    uint64_t n = 0, t0 = 0, end = 0, t1;
    for (;;) {
        unsigned char c = (unsigned char)n, r;
        write_all(a[1], &c, 1);
        if (read_all(b[0], &r, 1) != 1 || r != (unsigned char)(c + 1))
            corrupt("pipe round trip %llu", (unsigned long long)n);
        t1 = now_ns();
        if (++n == 100) {          /* warm-up done */
            t0 = t1;
            end = t0 + (uint64_t)(bench_secs() * 1e9);
        } else if (n > 100 && t1 >= end) {
            break;
        }
    }
    close(a[1]);
    if (reap(pid, "pipe peer") != 0)
        exit(1);
    result("pipe_rt", (double)(t1 - t0) / 1e3 / (double)(n - 100), "us", "lower");
}

static void spawn(void)
{
    char *argv[] = { "sh", "-c", "true", NULL };
    enum { MAX = 100000 };
    static uint64_t t[MAX];
    uint64_t n = 0, end = now_ns() + (uint64_t)(bench_secs() * 1e9), t0;
    do {
        pid_t pid;
        t0 = now_ns();
        int e = posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ);
        if (e != 0) {
            errno = e;
            die("posix_spawn /bin/sh:");
        }
        if (reap(pid, "sh -c true") != 0)
            exit(1);
        t[n++] = now_ns() - t0;
    } while (now_ns() < end && n < MAX);
    /* The median spawn, not the mean: one process start is a few hundred
     * microseconds, and a neighbour's burst on a shared machine can make
     * a single one take milliseconds. */
    qsort(t, n, sizeof t[0], cmp_u64);
    result("spawn_sh", (double)t[n / 2] / 1e3, "us", "lower");
}

int main(int argc, char **argv)
{
    const char *mode = "";
    int c;
    while ((c = getopt(argc, argv, "m:")) != -1) {
        if (c != 'm')
            return 2;
        mode = optarg;
    }
    bench_bound(20);
    if (!strcmp(mode, "devnull"))
        devnull();
    else if (!strcmp(mode, "devread"))
        devread();
    else if (!strcmp(mode, "openclose"))
        openclose();
    else if (!strcmp(mode, "pipe"))
        pingpong();
    else if (!strcmp(mode, "spawn"))
        spawn();
    else
        die("usage: passthru -m devnull|devread|openclose|pipe|spawn");
    return 0;
}
