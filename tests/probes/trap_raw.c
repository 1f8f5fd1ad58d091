/*
 * trap_raw — system calls that never pass through an interposed libc
 * function: raw syscall(2) for socket, bind, listen, connect, accept4,
 * sendto, recvfrom, read, write, poll, getsockname, fcntl, shutdown,
 * close, epoll_create1/ctl/wait/pwait, and stdio's own read/write on a connected socket (fdopen,
 * fprintf, fgets).  Under the library the trap runs them through the
 * simulated network (trap.h); in an isolated network namespace, where
 * loopback is down, any that reached the kernel would fail.
 */
#include "probe.h"
#include <sys/syscall.h>

#define RAW(...) syscall(__VA_ARGS__)

static void tcp_echo(void)
{
    struct sockaddr_in a = sa4("127.0.0.1", 0);
    socklen_t al = sizeof a;
    int l = (int)NEED(RAW(SYS_socket, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    SHOW("raw bind", RAW(SYS_bind, l, &a, sizeof a));
    SHOW("raw listen", RAW(SYS_listen, l, 4));
    SHOW("raw getsockname", RAW(SYS_getsockname, l, &a, &al));
    CHECK("port_nonzero", a.sin_port != 0);
    int c = (int)NEED(RAW(SYS_socket, AF_INET, SOCK_STREAM, 0));
    SHOW("raw connect", RAW(SYS_connect, c, &a, sizeof a));
    int s = (int)NEED(RAW(SYS_accept4, l, NULL, NULL, SOCK_CLOEXEC));
    SHOW("raw fcntl F_GETFD", RAW(SYS_fcntl, s, F_GETFD));
    SHOW("raw sendto", RAW(SYS_sendto, c, "ping", 4, 0, NULL, 0));
    struct pollfd p = {.fd = s, .events = POLLIN};
    SHOW("raw poll", RAW(SYS_poll, &p, 1, 1000));
    say("revents=%#x\n", p.revents);
    char buf[16] = {0};
    SHOW("raw recvfrom", RAW(SYS_recvfrom, s, buf, sizeof buf, 0, NULL, NULL));
    SHOW("raw write", RAW(SYS_write, s, buf, 4));
    memset(buf, 0, sizeof buf);
    SHOW("raw read", RAW(SYS_read, c, buf, sizeof buf));
    say("echo=%s\n", buf);
    SHOW("raw shutdown", RAW(SYS_shutdown, c, SHUT_WR));
    SHOW("raw read eof", RAW(SYS_read, s, buf, sizeof buf));
    SHOW("raw close", RAW(SYS_close, s));
    SHOW("raw close again", RAW(SYS_close, s));
    RAW(SYS_close, c);
    RAW(SYS_close, l);
}

static void udp(void)
{
    struct sockaddr_in a = sa4("127.0.0.1", 0);
    socklen_t al = sizeof a;
    int u = (int)NEED(RAW(SYS_socket, AF_INET, SOCK_DGRAM, 0));
    SHOW("raw udp bind", RAW(SYS_bind, u, &a, sizeof a));
    RAW(SYS_getsockname, u, &a, &al);
    int v = (int)NEED(RAW(SYS_socket, AF_INET6, SOCK_DGRAM, 0));
    struct sockaddr_in6 b = sa6("::ffff:127.0.0.1", ntohs(a.sin_port));
    SHOW("raw udp6 sendto v4-mapped", RAW(SYS_sendto, v, "dgram", 5, 0, &b, sizeof b));
    char buf[16] = {0};
    SHOW("raw udp recvfrom", RAW(SYS_recvfrom, u, buf, sizeof buf, 0, NULL, NULL));
    say("got=%s\n", buf);
    RAW(SYS_close, u);
    RAW(SYS_close, v);
}

/* Go's poller: a raw epoll instance over raw sockets. */
static void raw_epoll(void)
{
    struct sockaddr_in a = sa4("127.0.0.1", 0);
    socklen_t al = sizeof a;
    int l = (int)NEED(RAW(SYS_socket, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    NEED(RAW(SYS_bind, l, &a, sizeof a));
    NEED(RAW(SYS_listen, l, 4));
    NEED(RAW(SYS_getsockname, l, &a, &al));
    int ep = (int)NEED(RAW(SYS_epoll_create1, EPOLL_CLOEXEC));
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7}, out[4];
    SHOW("raw epoll_ctl ADD listener", RAW(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, l, &ev));
    SHOW("raw epoll_pwait nothing yet", RAW(SYS_epoll_pwait, ep, out, 4, 0, NULL, 8));
    int c = (int)NEED(RAW(SYS_socket, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    long r = RAW(SYS_connect, c, &a, sizeof a);
    say("raw nonblocking connect: %s\n", r == 0 || errno == EINPROGRESS ? "ok" : errname(errno));
    SHOW("raw epoll_pwait listener ready", RAW(SYS_epoll_pwait, ep, out, 4, 2000, NULL, 8));
    say("event data=%u in=%d\n", out[0].data.u32, !!(out[0].events & EPOLLIN));
    int s = (int)SHOWFD("raw accept4", RAW(SYS_accept4, l, NULL, NULL, SOCK_NONBLOCK));
    ev = (struct epoll_event){.events = EPOLLOUT, .data.u32 = 9};
    SHOW("raw epoll_ctl ADD client", RAW(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, c, &ev));
    SHOW("raw epoll_wait client writable", RAW(SYS_epoll_wait, ep, out, 4, 2000));
    SHOW("raw close epoll", RAW(SYS_close, ep));
    RAW(SYS_close, s);
    RAW(SYS_close, c);
    RAW(SYS_close, l);
}

/* stdio: glibc's FILE reads and writes with its own internal calls. */
static void stdio(void)
{
    struct sockaddr_in a = sa4("127.0.0.1", 0);
    socklen_t al = sizeof a;
    int l = NEED(socket(AF_INET, SOCK_STREAM, 0));
    NEED(bind(l, (struct sockaddr *)&a, sizeof a));
    NEED(listen(l, 4));
    NEED(getsockname(l, (struct sockaddr *)&a, &al));
    int c = NEED(socket(AF_INET, SOCK_STREAM, 0));
    NEED(connect(c, (struct sockaddr *)&a, sizeof a));
    int s = NEED(accept(l, NULL, NULL));
    FILE *out = fdopen(c, "w"), *in = fdopen(s, "r");
    CHECK("fdopen", out && in);
    fprintf(out, "hello %d\nsecond line\n", 42);
    SHOW("fflush", fflush(out));
    char line[64];
    say("fgets1=%s", fgets(line, sizeof line, in) ? line : "(null)\n");
    say("fgets2=%s", fgets(line, sizeof line, in) ? line : "(null)\n");
    SHOW("fclose out", fclose(out));
    say("fgets eof=%d\n", fgets(line, sizeof line, in) == NULL && feof(in));
    SHOW("fclose in", fclose(in));
    close(l);
}

/* An inet socketpair is refused by the kernel itself. */
static void socketpair_inet(void)
{
    int sv[2];
    SHOW("raw socketpair AF_INET", RAW(SYS_socketpair, AF_INET, SOCK_STREAM, 0, sv));
}

int main(void)
{
    probe_init();
    tcp_echo();
    udp();
    raw_epoll();
    stdio();
    socketpair_inet();
    return 0;
}
