/*
 * epoll_idle — cost of epoll_wait(timeout 0) against the number of idle
 * connections registered.
 *
 *   epoll_idle [-n BIG]
 *
 * The server (parent) accepts connections from a forked client over
 * 127.0.0.1 and registers the accepted ends (level-triggered EPOLLIN) in
 * one epoll instance: 10, then BIG (default 10000).  Each step asks the
 * client (through shared memory, outside the timed part) to write one byte
 * on one connection (a different one each time), then times one
 * epoll_wait(..., 0) call, checks that it reported exactly that connection,
 * and reads the byte back (checked), so all the others stay idle.  Prints
 * microseconds per epoll_wait call.  (Two processes because 2 x 10000 fds
 * do not fit under the usual RLIMIT_NOFILE of one process.)
 * A ready connection that epoll_wait does not report at once is counted
 * ("misses") and asked again; more than a few is an error.
 */
#include "bench.h"

#include <stdatomic.h>

#include <sched.h>
#include <sys/epoll.h>
#include <sys/mman.h>

/* Shared with the client: the parent posts (step, connection), the client
 * writes the byte and echoes the step in `done`. */
struct ctl {
    _Atomic uint64_t want_conns;   /* client: have this many connected */
    _Atomic uint64_t conns;        /* client: connected so far */
    _Atomic uint64_t step;         /* 0 idle; UINT64_MAX: exit */
    _Atomic int32_t  conn;
    _Atomic uint64_t done;
};
static struct ctl *ctl;
static int *srv;
static int made;

static void spin_until(_Atomic uint64_t *w, uint64_t v)
{
    uint64_t end = now_ns() + 10ull * 1000000000ull;
    for (unsigned k = 0; atomic_load(w) != v; k++) {
        if (k > 64)
            sched_yield();
        if ((k & 1023) == 0 && now_ns() > end)
            die("peer did not answer for 10 s");
    }
}

static void client(int port, int big)
{
    int *cli = calloc((size_t)big, sizeof *cli);
    if (!cli)
        die("calloc:");
    int n = 0;
    uint64_t seen = 0;
    for (;;) {
        uint64_t want = atomic_load(&ctl->want_conns);
        while ((uint64_t)n < want) {
            cli[n++] = tcp_connect(port);
            atomic_store(&ctl->conns, (uint64_t)n);
        }
        uint64_t s = atomic_load(&ctl->step);
        if (s == UINT64_MAX)
            _exit(0);
        if (s != seen) {
            unsigned char b = (unsigned char)s;
            write_all(cli[atomic_load(&ctl->conn)], &b, 1);
            seen = s;
            atomic_store(&ctl->done, s);
            continue;
        }
        sched_yield();
    }
}

static void grow(int lfd, int n)
{
    atomic_store(&ctl->want_conns, (uint64_t)n);
    for (; made < n; made++)
        srv[made] = tcp_accept(lfd);
    spin_until(&ctl->conns, (uint64_t)n);
}

static void measure(int n, const char *name)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        die("epoll_create1:");
    for (int i = 0; i < n; i++) {
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, srv[i], &ev) != 0)
            die("epoll_ctl ADD #%d:", i);
    }
    struct epoll_event evs[16];
    /* Nothing may be ready before we start. */
    int k0 = epoll_wait(ep, evs, 16, 0);
    if (k0 != 0)
        die("%s: %d connections ready before any write", name, k0);

    static uint64_t step;
    uint64_t calls = 0, spent = 0, misses = 0, i = 0;
    uint64_t end = now_ns() + (uint64_t)(bench_secs() * 1e9);
    do {
        int c = (int)((i * 7919u) % (uint64_t)n);
        atomic_store(&ctl->conn, c);
        atomic_store(&ctl->step, ++step);
        spin_until(&ctl->done, step);
        unsigned char b = (unsigned char)step, x;
        for (int tries = 0;; tries++) {
            uint64_t t0 = now_ns();
            int k = epoll_wait(ep, evs, 16, 0);
            uint64_t t1 = now_ns();
            spent += t1 - t0;
            calls++;
            if (k < 0 && errno == EINTR)
                continue;
            if (k < 0)
                die("epoll_wait:");
            if (k == 1 && evs[0].data.u32 == (uint32_t)c && (evs[0].events & EPOLLIN))
                break;
            if (k > 1 || (k == 1 && evs[0].data.u32 != (uint32_t)c))
                die("%s: epoll_wait reported %d events, first #%u (0x%x), "
                    "only #%d is ready", name, k, evs[0].data.u32,
                    evs[0].events, c);
            misses++;
            if (tries > 1000)
                die("%s: connection #%d readable but not reported by "
                    "epoll_wait after %d calls", name, c, tries);
        }
        if (read_all(srv[c], &x, 1) != 1 || x != b)
            corrupt("%s: connection #%d: got 0x%02x, want 0x%02x", name, c, x, b);
        i++;
    } while (now_ns() < end);
    close(ep);
    if (misses)
        fprintf(stderr, "epoll_idle: %s: %llu of %llu steps needed more than "
                "one epoll_wait\n", name, (unsigned long long)misses,
                (unsigned long long)i);
    if (misses * 100 > i)
        die("%s: too many misses", name);
    result(name, (double)spent / 1e3 / (double)calls, "us", "lower");
}

int main(int argc, char **argv)
{
    int big = 10000;
    int c;
    while ((c = getopt(argc, argv, "n:")) != -1) {
        if (c != 'n')
            return 2;
        big = atoi(optarg);
    }
    if (big < 10 || big > 30000)
        die("bad -n");
    bench_bound(40);
    signal(SIGPIPE, SIG_IGN);
    int lim = raise_nofile((rlim_t)(big + 64));
    if (lim < big + 64)
        die("need %d fds, RLIMIT_NOFILE allows %d", big + 64, lim);
    srv = calloc((size_t)big, sizeof *srv);
    ctl = mmap(NULL, sizeof *ctl, PROT_READ | PROT_WRITE,
               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (!srv || ctl == MAP_FAILED)
        die("memory:");
    int port;
    int lfd = tcp_listener(&port, 1024);
    pid_t parent = getpid(), pid = fork();
    if (pid < 0)
        die("fork:");
    if (pid == 0) {
        child_init(parent, 40);
        close(lfd);
        client(port, big);
    }

    grow(lfd, 10);
    measure(10, "epoll_wait_10");
    uint64_t t0 = now_ns();
    grow(lfd, big);
    uint64_t t1 = now_ns();
    char name[64];
    snprintf(name, sizeof name, "epoll_wait_%d", big);
    measure(big, name);
    snprintf(name, sizeof name, "open_%d_conns", big);
    atomic_store(&ctl->step, UINT64_MAX);
    if (reap(pid, "client") != 0)
        return 1;
    result(name, (double)(t1 - t0) / 1e6, "ms", "lower");
    return 0;
}
