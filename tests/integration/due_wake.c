/* Wake-ups for data stamped with a due time a little later
 * (tests/integration/faults_wake.sh), run under the library on two hosts
 * with a delayed, jittered link between them:
 *
 *   due_wake echo PORT MODE            accept one connection, echo it
 *                                      byte by byte to EOF
 *   due_wake ping HOST PORT MODE N     connect, then N one-byte round trips
 *
 * Each waits for its next byte by MODE (block, select, poll, epoll), each
 * wait bounded by WAIT_MS.  With a link of tens of microseconds the data
 * is often due while the waiter is between its look and its sleep; a wait
 * that ends only at its bound missed the wake-up of data that was due
 * long before.  Each prints its count of such waits: "echo late L",
 * "ping N late L slowest_us".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WAIT_MS 300
#define LATE_MS 250   /* woken by the bound, not by the data */

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static long long now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000LL + t.tv_nsec / 1000;
}

/* Wait until fd is readable (or the bound passes), by mode. */
static void wait_in(int fd, const char *mode, int ep)
{
    if (strcmp(mode, "select") == 0) {
        fd_set r;
        FD_ZERO(&r);
        FD_SET(fd, &r);
        struct timeval tv = {0, WAIT_MS * 1000};
        if (select(fd + 1, &r, NULL, NULL, &tv) < 0)
            die("select");
    } else if (strcmp(mode, "poll") == 0) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, WAIT_MS) < 0)
            die("poll");
    } else if (strcmp(mode, "epoll") == 0) {
        struct epoll_event e;
        if (epoll_wait(ep, &e, 1, WAIT_MS) < 0)
            die("epoll_wait");
    }
    /* block: recv itself waits, bounded by SO_RCVTIMEO */
}

/* One byte from fd, waiting by mode: 1, 0 at EOF; *late counts waits
 * that lasted until their bound. */
static int get_byte(int fd, const char *mode, int ep, char *c, int *late,
                    long long *slowest)
{
    for (;;) {
        long long t0 = now_us();
        wait_in(fd, mode, ep);
        int flags = strcmp(mode, "block") == 0 ? 0 : MSG_DONTWAIT;
        ssize_t r = recv(fd, c, 1, flags);
        long long dt = now_us() - t0;
        if (dt > *slowest)
            *slowest = dt;
        if (dt >= LATE_MS * 1000LL)
            (*late)++;
        if (r >= 0)
            return (int)r;
        if (errno != EAGAIN && errno != EINTR)
            die("recv");
    }
}

static int setup(int fd, const char *mode)
{
    struct timeval tv = {0, WAIT_MS * 1000};
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0)
        die("SO_RCVTIMEO");
    int ep = -1;
    if (strcmp(mode, "epoll") == 0) {
        ep = epoll_create1(0);
        struct epoll_event e = {.events = EPOLLIN, .data.fd = fd};
        if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) < 0)
            die("epoll");
    }
    return ep;
}

static int echo(int port, const char *mode)
{
    int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(l, 1) < 0)
        die("listen");
    printf("listening\n");
    fflush(stdout);
    int fd = accept(l, NULL, NULL);
    if (fd < 0)
        die("accept");
    int ep = setup(fd, mode), late = 0;
    long long slowest = 0;
    char c;
    while (get_byte(fd, mode, ep, &c, &late, &slowest) == 1)
        if (send(fd, &c, 1, 0) != 1)
            die("send");
    printf("echo late %d\n", late);
    return 0;
}

static int ping(const char *host, const char *port, const char *mode, int n)
{
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *ai;
    if (getaddrinfo(host, port, &hints, &ai) != 0)
        die("getaddrinfo");
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0)
        die("connect");
    int ep = setup(fd, mode), late = 0;
    long long slowest = 0;
    for (int i = 0; i < n; i++) {
        char c = (char)i, back;
        if (send(fd, &c, 1, 0) != 1)
            die("send");
        if (get_byte(fd, mode, ep, &back, &late, &slowest) != 1 || back != c) {
            fprintf(stderr, "round trip %d: no echo\n", i);
            return 1;
        }
    }
    shutdown(fd, SHUT_WR);
    printf("ping %d late %d slowest_us %lld\n", n, late, slowest);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "echo") == 0)
        return echo(atoi(argv[2]), argv[3]);
    if (argc == 6 && strcmp(argv[1], "ping") == 0)
        return ping(argv[2], argv[3], argv[4], atoi(argv[5]));
    fprintf(stderr, "usage: due_wake echo PORT MODE | ping HOST PORT MODE N\n");
    return 2;
}
