/*
 * rr — TCP request/response round trips between two processes.
 *
 *   rr [-s SIZE] [-c any|one|two]
 *
 * The client (parent) sends SIZE bytes, the server (forked child) reads
 * exactly SIZE, answers SIZE bytes (each request byte XOR 0xA5); the client
 * checks every byte and times each round trip.  TCP_NODELAY on both ends.
 * Prints the median and the 99th percentile in microseconds.
 * -c one: both processes on one CPU; two: one CPU each (as in stream).
 */
#include "bench.h"

#define MAXSZ 65536
#define WARMUP 200
#define MAXSAMPLES 4000000

int main(int argc, char **argv)
{
    size_t size = 1;
    const char *cpus = "any";
    int c;
    while ((c = getopt(argc, argv, "s:c:")) != -1) {
        switch (c) {
        case 's': size = (size_t)atol(optarg); break;
        case 'c': cpus = optarg; break;
        default: return 2;
        }
    }
    int cpu_mode = !strcmp(cpus, "one") ? 1 : !strcmp(cpus, "two") ? 2 : 0;
    int cpu_a = allowed_cpu(0), cpu_b = cpu_mode == 2 ? allowed_cpu(1) : cpu_a;
    if (cpu_mode && (cpu_a < 0 || cpu_b < 0))
        die("-c %s: not enough CPUs in the affinity mask", cpus);
    if (size < 1 || size > MAXSZ)
        die("bad size");
    bench_bound(20);
    signal(SIGPIPE, SIG_IGN);

    int port, lfd;
    static unsigned char req[MAXSZ], rsp[MAXSZ];

    pid_t parent = getpid(), pid = fork_server(argv, &lfd, &port, 16);
    if (pid < 0)
        die("fork:");
    if (pid == 0) {
        child_init(parent, 20);
        if (cpu_mode)
            pin_cpu(cpu_b);
        int fd = tcp_accept(lfd);
        close(lfd);
        nodelay(fd);
        while (read_all(fd, req, size) == size) {
            for (size_t i = 0; i < size; i++)
                req[i] ^= REPLY_XOR;
            write_all(fd, req, size);
        }
        close(fd);
        _exit(0);
    }
    close(lfd);
    if (cpu_mode)
        pin_cpu(cpu_a);

    int fd = tcp_connect(port);
    nodelay(fd);
    uint64_t *lat = malloc(MAXSAMPLES * sizeof *lat);
    if (!lat)
        die("malloc:");
    double secs = bench_secs();
    uint64_t end = 0, n = 0;
    for (uint64_t seq = 0;; seq++) {
        msg_fill(req, size, 0, seq);
        uint64_t t0 = now_ns();
        write_all(fd, req, size);
        if (read_all(fd, rsp, size) != size)
            corrupt("server closed at round trip %llu", (unsigned long long)seq);
        uint64_t t1 = now_ns();
        int bad = msg_check_reply(rsp, size, 0, seq);
        if (bad >= 0)
            corrupt("round trip %llu byte %d: got 0x%02x", (unsigned long long)seq,
                    bad, rsp[bad]);
        if (seq == WARMUP)
            end = t1 + (uint64_t)(secs * 1e9);
        if (seq >= WARMUP) {
            lat[n++] = t1 - t0;
            if (t1 >= end || n == MAXSAMPLES)
                break;
        }
    }
    close(fd);
    if (reap(pid, "server") != 0)
        return 1;

    qsort(lat, n, sizeof *lat, cmp_u64);
    char name[64];
    const char *sfx = cpu_mode == 1 ? "_1cpu" : cpu_mode == 2 ? "_2cpu" : "";
    snprintf(name, sizeof name, "rr%zu%s_median", size, sfx);
    result(name, (double)pct(lat, n, 0.5) / 1e3, "us", "lower");
    snprintf(name, sizeof name, "rr%zu%s_p99", size, sfx);
    result(name, (double)pct(lat, n, 0.99) / 1e3, "us", "lower");
    return 0;
}
