/*
 * ref — physical references for the socket figures (no sockets at all).
 *
 *   ref -m memcpy|futex
 *
 * memcpy: single-core memcpy bandwidth, MB/s (10^6 bytes copied per
 *         second), for 64 KiB blocks (cache-resident: the size of the
 *         stream test's writes) and for a 64 MiB buffer (memory).
 * futex:  round trip between two processes through a shared word:
 *         FUTEX_WAIT/FUTEX_WAKE (shared, not private), no spinning,
 *         us per round trip.
 */
#include "bench.h"

#include <linux/futex.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>

static double copy_rate(size_t block, size_t total)
{
    unsigned char *src = malloc(total), *dst = malloc(total);
    if (!src || !dst)
        die("malloc:");
    for (size_t i = 0; i < total; i++)
        src[i] = (unsigned char)(i * 131 + 7);
    memset(dst, 0, total);
    /* Through a volatile pointer: the copies cannot be optimised away. */
    void *(*volatile cp)(void *, const void *, size_t) = memcpy;
    double secs = bench_secs() / 2;
    uint64_t bytes = 0, t0 = now_ns(), end = t0 + (uint64_t)(secs * 1e9), t1;
    do {
        for (size_t off = 0; off < total; off += block)
            cp(dst + off, src + off, block);
        bytes += total;
    } while ((t1 = now_ns()) < end);
    if (memcmp(dst, src, total) != 0)
        corrupt("memcpy result differs");
    free(src);
    free(dst);
    return (double)bytes / 1e6 / ((double)(t1 - t0) / 1e9);
}

static long futex(_Atomic uint32_t *w, int op, uint32_t v)
{
    return syscall(SYS_futex, w, op, v, NULL, NULL, 0);
}

#define STOP UINT32_MAX

/* Wait until *w == want (or STOP); returns the value seen. */
static uint32_t await(_Atomic uint32_t *w, uint32_t want)
{
    uint32_t v;
    while ((v = atomic_load(w)) != want && v != STOP)
        if (futex(w, FUTEX_WAIT, v) != 0 && errno != EAGAIN && errno != EINTR)
            die("FUTEX_WAIT:");
    return v;
}

static void post(_Atomic uint32_t *w, uint32_t v)
{
    atomic_store(w, v);
    if (futex(w, FUTEX_WAKE, 1) < 0)
        die("FUTEX_WAKE:");
}

static void futex_rt(void)
{
    _Atomic uint32_t *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (w == MAP_FAILED)
        die("mmap:");
    _Atomic uint32_t *ping = &w[0], *pong = &w[16];
    pid_t parent = getpid(), pid = fork();
    if (pid < 0)
        die("fork:");
    if (pid == 0) {
        child_init(parent, 20);
        for (uint32_t i = 1;; i++) {
            if (await(ping, i) == STOP)
                _exit(0);
            post(pong, i);
        }
    }
    uint64_t t0 = 0, end = 0, t1;
    uint32_t i;
    for (i = 1;; i++) {
        post(ping, i);
        await(pong, i);
        t1 = now_ns();
        if (i == 100) {
            t0 = t1;
            end = t0 + (uint64_t)(bench_secs() * 1e9);
        } else if (i > 100 && t1 >= end) {
            break;
        }
    }
    post(ping, STOP);
    if (reap(pid, "futex peer") != 0)
        exit(1);
    result("futex_rt", (double)(t1 - t0) / 1e3 / (double)(i - 100), "us", "lower");
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
    if (!strcmp(mode, "memcpy")) {
        result("memcpy_64k", copy_rate(65536, 65536), "MB/s", "higher");
        result("memcpy_64m", copy_rate(65536, 64u << 20), "MB/s", "higher");
    } else if (!strcmp(mode, "futex")) {
        futex_rt();
    } else {
        die("usage: ref -m memcpy|futex");
    }
    return 0;
}
