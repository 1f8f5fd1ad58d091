/*
 * epoll_rr — one epoll server, NCONN connections doing round trips.
 *
 *   epoll_rr [-n NCONN] [-s SIZE]
 *
 * The server (parent) accepts NCONN connections and serves them from one
 * level-triggered epoll loop: whatever a connection has readable is sent
 * back with every byte XOR 0xA5; a connection that reads EOF is closed.
 * The client (forked child) keeps one SIZE-byte request outstanding on each
 * connection, driven by its own epoll loop, checks every response byte and
 * counts completed round trips for BENCH_SECS.  Prints round trips/s.
 */
#include "bench.h"

#include <sys/epoll.h>

#define MAXSZ 4096

typedef struct {
    int fd;
    uint64_t seq;
    size_t got;
    unsigned char buf[MAXSZ];
} conn;

static void client(int port, int nconn, size_t size, int report)
{
    conn *cs = calloc((size_t)nconn, sizeof *cs);
    if (!cs)
        die("calloc:");
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        die("epoll_create1:");
    unsigned char req[MAXSZ];
    for (int i = 0; i < nconn; i++) {
        cs[i].fd = tcp_connect(port);
        nodelay(cs[i].fd);
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev) != 0)
            die("epoll_ctl ADD:");
    }
    for (int i = 0; i < nconn; i++) {
        msg_fill(req, size, (uint32_t)i, 0);
        write_all(cs[i].fd, req, size);
    }
    struct epoll_event evs[64];
    uint64_t n = 0, nstop = 0, t0 = now_ns();
    uint64_t end = t0 + (uint64_t)(bench_secs() * 1e9), t1 = t0;
    int stopping = 0, open = nconn;
    while (open > 0) {
        int k = epoll_wait(ep, evs, 64, 2000);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            die("epoll_wait:");
        if (k == 0)
            die("client: no event for 2 s (%d connections waiting)", open);
        for (int e = 0; e < k; e++) {
            conn *c = &cs[evs[e].data.u32];
            if (c->fd < 0)
                die("event for a closed connection");
            ssize_t r = read(c->fd, c->buf + c->got, size - c->got);
            if (r < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (r <= 0)
                die("client read returned %zd:", r);
            c->got += (size_t)r;
            if (c->got < size)
                continue;
            int bad = msg_check_reply(c->buf, size, evs[e].data.u32, c->seq);
            if (bad >= 0)
                corrupt("connection %u round trip %llu byte %d: got 0x%02x",
                        evs[e].data.u32, (unsigned long long)c->seq, bad,
                        c->buf[bad]);
            c->got = 0;
            c->seq++;
            n++;
            if (stopping) {
                close(c->fd);
                c->fd = -1;
                open--;
                continue;
            }
            msg_fill(req, size, evs[e].data.u32, c->seq);
            write_all(c->fd, req, size);
        }
        if (!stopping && (t1 = now_ns()) >= end) {
            stopping = 1;    /* check the ones in flight, then close */
            nstop = n;
        }
    }
    if (report)
        result("epoll_rr", (double)nstop / ((double)(t1 - t0) / 1e9), "rt/s", "higher");
}

int main(int argc, char **argv)
{
    int nconn = 256;
    size_t size = 64;
    int c;
    while ((c = getopt(argc, argv, "n:s:")) != -1) {
        switch (c) {
        case 'n': nconn = atoi(optarg); break;
        case 's': size = (size_t)atol(optarg); break;
        default: return 2;
        }
    }
    if (nconn < 1 || nconn > 10000 || size < 1 || size > MAXSZ)
        die("bad arguments");
    bench_bound(25);
    signal(SIGPIPE, SIG_IGN);
    raise_nofile((rlim_t)nconn + 64);
    int port;
    int lfd = tcp_listener(&port, nconn + 16);
    int res[2];
    if (pipe(res) != 0)
        die("pipe:");

    pid_t parent = getpid(), pid = fork();
    if (pid < 0)
        die("fork:");
    if (pid == 0) {
        child_init(parent, 25);
        close(lfd);
        close(res[0]);
        /* The result line goes through the parent: one writer on stdout. */
        if (dup2(res[1], 1) < 0)
            die("dup2:");
        client(port, nconn, size, 1);
        _exit(0);
    }
    close(res[1]);

    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        die("epoll_create1:");
    for (int i = 0; i < nconn; i++) {
        int fd = tcp_accept(lfd);
        nodelay(fd);
        struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
            die("epoll_ctl ADD:");
    }
    close(lfd);
    struct epoll_event evs[64];
    unsigned char buf[MAXSZ];
    int open = nconn;
    while (open > 0) {
        int k = epoll_wait(ep, evs, 64, 5000);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            die("epoll_wait:");
        if (k == 0)
            die("server: no event for 5 s (%d connections open)", open);
        for (int e = 0; e < k; e++) {
            int fd = evs[e].data.fd;
            ssize_t r = read(fd, buf, sizeof buf);
            if (r < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (r < 0)
                die("server read:");
            if (r == 0) {
                close(fd);    /* close alone removes it from the set */
                open--;
                continue;
            }
            for (ssize_t i = 0; i < r; i++)
                buf[i] ^= REPLY_XOR;
            write_all(fd, buf, (size_t)r);
        }
    }
    char line[256];
    ssize_t r = read(res[0], line, sizeof line - 1);
    if (reap(pid, "client") != 0)
        return 1;
    if (r <= 0)
        die("client printed no result");
    line[r] = 0;
    fputs(line, stdout);
    return 0;
}
