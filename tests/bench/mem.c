/*
 * mem — memory used per TCP connection (both ends), idle and with data in
 * flight.
 *
 *   mem [-n CONNS] [-b BYTES]
 *
 * Opens CONNS connections to itself over 127.0.0.1 (default 2000), then
 * writes BYTES (default 1024) on each client end without reading, then
 * reads everything back (checked), then closes all.
 *
 * Under libsimnet (SIMNET_DIR and SIMNET_NETWORK set) memory is the
 * arena file's allocated size (st_blocks * 512; the file is sparse, so
 * that is what the network uses).  On the kernel it is the growth of the
 * slab objects in use (/proc/slabinfo active_objs * objsize, else
 * /proc/meminfo Slab) plus /proc/net/sockstat's TCP buffer pages: a
 * system-wide figure, so approximate.  Prints bytes per connection:
 * idle, with data in flight (total, not the increment), and what is
 * still held after every connection is closed.
 */
#include "bench.h"

#include <sys/stat.h>

static char arena[4096];

static long long meminfo_kb(const char *key)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f)
        die("/proc/meminfo:");
    char line[256];
    long long v = -1;
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, kl) && line[kl] == ':') {
            v = atoll(line + kl + 1);
            break;
        }
    fclose(f);
    if (v < 0)
        die("no %s in /proc/meminfo", key);
    return v;
}

static long long tcp_mem_pages(void)
{
    FILE *f = fopen("/proc/net/sockstat", "r");
    if (!f)
        return 0;
    char line[256];
    long long v = 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "TCP:", 4)) {
            char *m = strstr(line, " mem ");
            if (m)
                v = atoll(m + 5);
        }
    fclose(f);
    return v;
}

/* Bytes of slab objects in use (active_objs * objsize over all caches);
 * -1 if /proc/slabinfo is not readable. */
static long long slab_active(void)
{
    FILE *f = fopen("/proc/slabinfo", "r");
    if (!f)
        return -1;
    char line[512];
    long long v = 0;
    while (fgets(line, sizeof line, f)) {
        char name[128];
        long long active, total, size;
        if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
            continue;
        if (sscanf(line, "%127s %lld %lld %lld", name, &active, &total, &size) == 4)
            v += active * size;
    }
    fclose(f);
    return v;
}

/* Bytes in use now. */
static long long used(void)
{
    if (arena[0]) {
        struct stat st;
        if (stat(arena, &st) != 0)
            die("stat %s:", arena);
        return (long long)st.st_blocks * 512;
    }
    long long s = slab_active();
    if (s < 0)
        s = meminfo_kb("Slab") * 1024;
    return s + tcp_mem_pages() * 4096;
}

int main(int argc, char **argv)
{
    int n = 2000;
    size_t bytes = 1024;
    int c;
    while ((c = getopt(argc, argv, "n:b:")) != -1) {
        switch (c) {
        case 'n': n = atoi(optarg); break;
        case 'b': bytes = (size_t)atol(optarg); break;
        default: return 2;
        }
    }
    if (n < 1 || n > 9000 || bytes < 1 || bytes > 65536)
        die("bad arguments");
    bench_bound(30);
    if (raise_nofile((rlim_t)(2 * n + 64)) < 2 * n + 64)
        die("RLIMIT_NOFILE too low for %d connections", n);
    const char *dir = getenv("SIMNET_DIR"), *net = getenv("SIMNET_NETWORK");
    const char *pre = getenv("LD_PRELOAD");
    if (pre && strstr(pre, "simnet")) {
        if (!dir || !net)
            die("preloaded: set SIMNET_DIR and SIMNET_NETWORK");
        snprintf(arena, sizeof arena, "%s/%s.arena", dir, net);
    }

    int *cli = calloc((size_t)n, sizeof *cli), *srv = calloc((size_t)n, sizeof *srv);
    unsigned char *pat = pattern_new(), *buf = malloc(bytes);
    if (!cli || !srv || !buf)
        die("malloc:");
    int port;
    int lfd = tcp_listener(&port, 1024);
    /* Warm up allocators (one connection, used and closed) before the base. */
    {
        int a = tcp_connect(port), b = tcp_accept(lfd);
        write_all(a, "x", 1);
        read_all(b, buf, 1);
        close(a);
        close(b);
    }
    long long base = used();

    for (int i = 0; i < n; i++) {
        cli[i] = tcp_connect(port);
        srv[i] = tcp_accept(lfd);
    }
    long long idle = used();

    for (int i = 0; i < n; i++)
        write_all(cli[i], pat + (uint64_t)i * 7 % PAT_PERIOD, bytes);
    long long busy = used();

    for (int i = 0; i < n; i++) {
        read_all(srv[i], buf, bytes);
        if (memcmp(buf, pat + (uint64_t)i * 7 % PAT_PERIOD, bytes) != 0)
            corrupt("connection %d: data differs", i);
    }
    for (int i = 0; i < n; i++) {
        close(cli[i]);
        close(srv[i]);
    }
    long long after = used();
    close(lfd);

    result("mem_idle_conn", (double)(idle - base) / n, "B/conn", "lower");
    char name[64];
    snprintf(name, sizeof name, "mem_inflight_%zu_conn", bytes);
    result(name, (double)(busy - base) / n, "B/conn", "lower");
    result("mem_after_close", (double)(after - base) / n, "B/conn", "info");
    return 0;
}
