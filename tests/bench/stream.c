/*
 * stream — TCP stream throughput over 127.0.0.1 with 64 KiB writes.
 *
 *   stream [-m proc|thread] [-c any|one|two] [-w WRITE_BYTES]
 *
 * -m proc: the sender is a forked process; thread: a second thread.
 * -c one: both ends pinned to one CPU; two: sender and receiver each
 *    pinned to its own CPU (the first two of the affinity mask); the
 *    taskset variants, done with sched_setaffinity.  any: no pinning.
 * The sender writes a prime-period pattern for BENCH_SECS, then closes;
 * the receiver compares every byte with the pattern, checks the total
 * against the sender's count, and prints MB/s (10^6 bytes per second).
 */
#include "bench.h"

#include <pthread.h>

static size_t wsize = 65536;
static unsigned char *pat;
static int port;
static int cpu_mode;          /* 0 any, 1 one CPU, 2 two CPUs */
static int cpu_a, cpu_b;      /* sender's and receiver's CPUs */
static uint64_t sent_total;   /* thread mode */

static uint64_t sender(void)
{
    if (cpu_mode)
        pin_cpu(cpu_a);
    int fd = tcp_connect(port);
    double secs = bench_secs();
    uint64_t off = 0, end = now_ns() + (uint64_t)(secs * 1e9);
    do {
        for (int k = 0; k < 4; k++) {
            write_all(fd, pat + off % PAT_PERIOD, wsize);
            off += wsize;
        }
    } while (now_ns() < end);
    if (close(fd) != 0)
        die("close:");
    return off;
}

static void *sender_thread(void *arg)
{
    (void)arg;
    sent_total = sender();
    return NULL;
}

int main(int argc, char **argv)
{
    const char *mode = "proc", *cpus = "any";
    int c;
    while ((c = getopt(argc, argv, "m:c:w:")) != -1) {
        switch (c) {
        case 'm': mode = optarg; break;
        case 'c': cpus = optarg; break;
        case 'w': wsize = (size_t)atol(optarg); break;
        default: return 2;
        }
    }
    if (wsize == 0 || wsize > PAT_SLACK)
        die("bad write size");
    int threads = !strcmp(mode, "thread");
    if (!threads && strcmp(mode, "proc"))
        die("bad -m %s", mode);
    cpu_mode = !strcmp(cpus, "one") ? 1 : !strcmp(cpus, "two") ? 2 : 0;
    cpu_a = allowed_cpu(0);
    cpu_b = cpu_mode == 2 ? allowed_cpu(1) : cpu_a;
    if (cpu_mode && (cpu_a < 0 || cpu_b < 0))
        die("-c %s: not enough CPUs in the affinity mask", cpus);
    bench_bound(20);
    signal(SIGPIPE, SIG_IGN);

    pat = pattern_new();
    int lfd = tcp_listener(&port, 16);

    int tot[2] = { -1, -1 };
    pid_t pid = -1;
    pthread_t th;
    if (threads) {
        if (pthread_create(&th, NULL, sender_thread, NULL) != 0)
            die("pthread_create");
    } else {
        if (pipe(tot) != 0)
            die("pipe:");
        pid_t parent = getpid();
        pid = fork();
        if (pid < 0)
            die("fork:");
        if (pid == 0) {
            child_init(parent, 20);
            close(tot[0]);
            close(lfd);
            uint64_t n = sender();
            write_all(tot[1], &n, sizeof n);
            _exit(0);
        }
        close(tot[1]);
    }
    if (cpu_mode)
        pin_cpu(cpu_b);

    int fd = tcp_accept(lfd);
    size_t bufsz = wsize > 65536 ? wsize : 65536;
    unsigned char *buf = malloc(bufsz);
    if (!buf)
        die("malloc:");
    uint64_t off = 0, t0 = 0, base = 0;
    for (;;) {
        ssize_t r = read(fd, buf, bufsz);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            die("read:");
        if (r == 0)
            break;
        if (memcmp(buf, pat + off % PAT_PERIOD, (size_t)r) != 0) {
            size_t i = 0;
            while (buf[i] == pat[(off + i) % PAT_PERIOD])
                i++;
            corrupt("stream byte %llu: got 0x%02x, want 0x%02x",
                    (unsigned long long)(off + i), buf[i],
                    pat[(off + i) % PAT_PERIOD]);
        }
        off += (uint64_t)r;
        if (!t0) {
            t0 = now_ns();
            base = off;
        }
    }
    uint64_t t1 = now_ns();
    close(fd);

    uint64_t want;
    if (threads) {
        pthread_join(th, NULL);
        want = sent_total;
    } else {
        if (read_all(tot[0], &want, sizeof want) != sizeof want)
            die("sender reported no total");
        if (reap(pid, "sender") != 0)
            return 1;
    }
    if (want != off)
        corrupt("received %llu bytes, sender wrote %llu",
                (unsigned long long)off, (unsigned long long)want);
    if (t1 <= t0 || off - base < wsize)
        die("too little data to measure");

    char name[64];
    snprintf(name, sizeof name, "stream_%s%s", mode,
             cpu_mode == 1 ? "_1cpu" : cpu_mode == 2 ? "_2cpu" : "");
    result(name, (double)(off - base) / 1e6 / ((double)(t1 - t0) / 1e9),
           "MB/s", "higher");
    return 0;
}
