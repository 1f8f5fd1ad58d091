/* The no-fault cost of waits (tests/integration/faults_free.sh): counts
 * the clock_gettime calls of 1000 poll, select and epoll_wait with a
 * zero timeout on a connected simulated TCP socket.
 *
 * Built twice: with -DSHIM, the counting clock_gettime (preloaded after
 * the library, it takes the library's calls); without, the program,
 * which reads the count through the shim's symbol.  Usage: clock_count
 * PORT; prints "poll N select N epoll N". */
#define _GNU_SOURCE
#include <time.h>

#ifdef SHIM
#include <sys/syscall.h>
#include <unistd.h>

long clock_count_calls;

int clock_gettime(clockid_t c, struct timespec *t)
{
    __atomic_add_fetch(&clock_count_calls, 1, __ATOMIC_RELAXED);
    return (int)syscall(SYS_clock_gettime, c, t);
}
#else
#include <arpa/inet.h>
#include <dlfcn.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>

static long *calls;

static long taken(long since)
{
    return __atomic_load_n(calls, __ATOMIC_RELAXED) - since;
}

int main(int argc, char **argv)
{
    calls = dlsym(RTLD_DEFAULT, "clock_count_calls");
    if (!calls || argc != 2) {
        fprintf(stderr, "usage: clock_count PORT, with the shim preloaded\n");
        return 2;
    }
    int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1]))};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    int s;
    if (bind(l, (void *)&sa, sizeof sa) || listen(l, 1) ||
        connect(c, (void *)&sa, sizeof sa) || (s = accept(l, NULL, NULL)) < 0) {
        perror("clock_count: connection");
        return 1;
    }
    long b = taken(0);
    for (int i = 0; i < 1000; i++) {
        struct pollfd p = {s, POLLIN, 0};
        poll(&p, 1, 0);
    }
    long np = taken(b);
    b = taken(0);
    for (int i = 0; i < 1000; i++) {
        fd_set r;
        FD_ZERO(&r);
        FD_SET(s, &r);
        struct timeval tv = {0, 0};
        select(s + 1, &r, NULL, NULL, &tv);
    }
    long ns = taken(b);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = s};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) < 0) {
        perror("clock_count: epoll_ctl");
        return 1;
    }
    b = taken(0);
    for (int i = 0; i < 1000; i++)
        epoll_wait(ep, &ev, 1, 0);
    printf("poll %ld select %ld epoll %ld\n", np, ns, taken(b));
    return 0;
}
#endif
