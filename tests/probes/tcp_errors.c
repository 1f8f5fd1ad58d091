/*
 * tcp_errors — error returns of the socket API on TCP (and a few generic
 * ones): bad socket() arguments, ECONNREFUSED, bind conflicts and bad
 * addresses, operations in the wrong state (EISCONN, ENOTCONN, EINVAL,
 * EPIPE), EBADF and ENOTSOCK.
 *
 * SIGPIPE is ignored (probe_init), so operations that would raise it only
 * show their EPIPE here; the sigpipe probe covers the signal itself.
 */
#include "probe.h"

int main(void)
{
    probe_init();
    char buf[64];
    struct sockaddr_in a;
    struct sockaddr_in6 a6;

    /* --- socket() argument errors --- */
    SHOW("socket(12345,STREAM)", socket(12345, SOCK_STREAM, 0));
    SHOW("socket(INET,STREAM,IPPROTO_UDP)", socket(AF_INET, SOCK_STREAM, IPPROTO_UDP));
    SHOW("socket(INET,DGRAM,IPPROTO_TCP)", socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP));
    SHOW("socket(INET6,STREAM,IPPROTO_UDP)", socket(AF_INET6, SOCK_STREAM, IPPROTO_UDP));
    SHOW("socket(INET,type 99)", socket(AF_INET, 99, 0));
    SHOW("socket(INET,STREAM|bad flag)", socket(AF_INET, SOCK_STREAM | 0x100000, 0));
    SHOW("socket(INET,STREAM,proto 99)", socket(AF_INET, SOCK_STREAM, 99));

    /* --- ECONNREFUSED: a bound but not listening port --- */
    int holder;
    int dport = dead_port(AF_INET, &holder);
    int fd = NEED(socket(AF_INET, SOCK_STREAM, 0));
    a = sa4("127.0.0.1", dport);
    SHOW("connect to bound-not-listening port", connect(fd, (struct sockaddr *)&a, sizeof a));
    /* The error was returned by connect, so nothing is left pending. */
    show_so_error("SO_ERROR after refused", fd);
    /* A refused socket is back in CLOSE state and may try again. */
    SHOW("connect again", connect(fd, (struct sockaddr *)&a, sizeof a));
    /* The refused socket forgets its source address but (Linux detail)
     * getsockname still reports the ephemeral port it had picked. */
    show_name("refused socket getsockname", fd, 0);
    CHECK("refused socket port_nonzero", local_port(fd) > 0);
    SHOW("refused socket getpeername", getpeername(fd, (struct sockaddr *)&a, &(socklen_t){ sizeof a }));
    close(fd);
    /* A different loopback address than the one bound: still refused. */
    /* Hold 127.0.0.1 on the listener's port ourselves (bound, not
     * listening) so that no unrelated listener can answer there. */
    int port2, l2, h2;
    for (int i = 0;; i++) {
        l2 = tcp_listener(AF_INET, "127.0.0.2", 1, &port2);
        h2 = NEED(socket(AF_INET, SOCK_STREAM, 0));
        a = sa4("127.0.0.1", port2);
        if (bind(h2, (struct sockaddr *)&a, sizeof a) == 0 || i == 20)
            break;
        close(h2);
        close(l2);
    }
    fd = NEED(socket(AF_INET, SOCK_STREAM, 0));
    a = sa4("127.0.0.1", port2);
    SHOW("connect 127.0.0.1 to listener on 127.0.0.2", connect(fd, (struct sockaddr *)&a, sizeof a));
    close(fd);
    fd = NEED(socket(AF_INET, SOCK_STREAM, 0));
    a = sa4("127.0.0.2", port2);
    SHOW("connect 127.0.0.2 to listener on 127.0.0.2", connect(fd, (struct sockaddr *)&a, sizeof a));
    close(fd);
    close(l2);
    close(h2);

    /* --- bind errors --- */
    int b1 = NEED(socket(AF_INET, SOCK_STREAM, 0));
    a = sa4("127.0.0.1", dport);
    SHOW("bind port held by another socket", bind(b1, (struct sockaddr *)&a, sizeof a));
    a = sa4("0.0.0.0", dport);
    SHOW("bind wildcard on that port", bind(b1, (struct sockaddr *)&a, sizeof a));
    close(b1);
    SHOW("bind same port other loopback addr",
         bind_pair(AF_INET, SOCK_STREAM, "127.0.0.1", -1, AF_INET, SOCK_STREAM, "127.0.0.2"));
    b1 = sock_bind(AF_INET, SOCK_STREAM, "127.0.0.1", 0);
    a = sa4("127.0.0.1", 0);
    SHOW("bind twice", bind(b1, (struct sockaddr *)&a, sizeof a));
    close(b1);

    b1 = NEED(socket(AF_INET, SOCK_STREAM, 0));
    /* 192.0.2.1 is TEST-NET-1: not an address of this host (bind only). */
    a = sa4("192.0.2.1", 0);
    SHOW("bind non-local 192.0.2.1", bind(b1, (struct sockaddr *)&a, sizeof a));
    a = sa4("127.0.0.1", 0);
    SHOW("bind addrlen 8", bind(b1, (struct sockaddr *)&a, 8));
    SHOW("bind addrlen 0", bind(b1, (struct sockaddr *)&a, 0));
    a6 = sa6("::1", 0);
    SHOW("bind AF_INET6 addr on v4 socket", bind(b1, (struct sockaddr *)&a6, sizeof a6));
    /* AF_UNSPEC is accepted as AF_INET for compatibility, but only with
     * INADDR_ANY; with another address it is EAFNOSUPPORT. */
    a = sa4("127.0.0.1", 0);
    a.sin_family = AF_UNSPEC;
    SHOW("bind AF_UNSPEC 127.0.0.1", bind(b1, (struct sockaddr *)&a, sizeof a));
    a = sa4("0.0.0.0", 0);
    a.sin_family = AF_UNSPEC;
    SHOW("bind AF_UNSPEC 0.0.0.0", bind(b1, (struct sockaddr *)&a, sizeof a));
    show_name("after AF_UNSPEC bind", b1, 0);
    CHECK("AF_UNSPEC bind port_nonzero", local_port(b1) > 0);
    close(b1);

    /* --- connect argument errors --- */
    fd = NEED(socket(AF_INET, SOCK_STREAM, 0));
    a = sa4("127.0.0.1", dport);
    SHOW("connect addrlen 8", connect(fd, (struct sockaddr *)&a, 8));
    a6 = sa6("::1", dport);
    SHOW("connect AF_INET6 addr on v4 socket", connect(fd, (struct sockaddr *)&a6, sizeof a6));
    /* AF_UNSPEC on an unconnected socket "disconnects": a no-op success. */
    struct sockaddr unspec = { .sa_family = AF_UNSPEC };
    SHOW("connect AF_UNSPEC unconnected", connect(fd, &unspec, sizeof unspec));
    close(fd);

    /* --- wrong-state operations on a never-connected socket --- */
    fd = NEED(socket(AF_INET, SOCK_STREAM, 0));
    SHOW("send never-connected", send(fd, "x", 1, 0));
    SHOW("write never-connected", write(fd, "x", 1));
    SHOW("send len0 never-connected", send(fd, "", 0, 0));
    SHOW("recv never-connected", recv(fd, buf, sizeof buf, 0));
    SHOW("read never-connected", read(fd, buf, sizeof buf));
    SHOW("recv MSG_DONTWAIT never-connected", recv(fd, buf, sizeof buf, MSG_DONTWAIT));
    SHOW("shutdown never-connected", shutdown(fd, SHUT_RDWR));
    SHOW("getpeername never-connected", getpeername(fd, (struct sockaddr *)&a, &(socklen_t){ sizeof a }));
    SHOW("accept non-listening", accept(fd, NULL, NULL));
    show_so_error("SO_ERROR", fd);
    close(fd);

    /* --- listening socket --- */
    int port;
    int lfd = tcp_listener(AF_INET, "127.0.0.1", 4, &port);
    SHOW("listen again (new backlog)", listen(lfd, 8));
    SHOW("send on listener", send(lfd, "x", 1, 0));
    SHOW("recv on listener", recv(lfd, buf, sizeof buf, MSG_DONTWAIT));
    a = sa4("127.0.0.1", port);
    SHOW("connect on listener", connect(lfd, (struct sockaddr *)&a, sizeof a));
    {
        int fl = fcntl(lfd, F_GETFL);
        fcntl(lfd, F_SETFL, fl | O_NONBLOCK);
        SHOW("accept nonblocking empty queue", accept(lfd, NULL, NULL));
        fcntl(lfd, F_SETFL, fl);
    }

    /* --- connected socket --- */
    int cfd = tcp_connect(AF_INET, "127.0.0.1", port);
    int sfd = NEED(accept(lfd, NULL, NULL));
    SHOW("connect again when connected", connect(cfd, (struct sockaddr *)&a, sizeof a));
    SHOW("bind when connected", bind(cfd, (struct sockaddr *)&a, sizeof a));
    SHOW("listen when connected", listen(cfd, 1));
    SHOW("accept on connected", accept(cfd, NULL, NULL));
    SHOW("accept on accepted", accept(sfd, NULL, NULL));
    SHOW("shutdown how=5", shutdown(cfd, 5));
    SHOW("shutdown how=-1", shutdown(cfd, -1));
    close(cfd);
    close(sfd);

    /* listen() on an unbound socket binds an ephemeral port. */
    fd = NEED(socket(AF_INET, SOCK_STREAM, 0));
    SHOW("listen unbound", listen(fd, 1));
    show_name("autobound listener", fd, 0);
    CHECK("autobound port_nonzero", local_port(fd) > 0);
    /* ...and it is a real listener reachable on 127.0.0.1. */
    cfd = tcp_connect(AF_INET, "127.0.0.1", local_port(fd));
    sfd = SHOWFD("accept on autobound listener", accept(fd, NULL, NULL));
    close(sfd);
    close(cfd);
    close(fd);
    close(lfd);

    /* --- EBADF: -1 and a closed descriptor --- */
    int closed = NEED(socket(AF_INET, SOCK_STREAM, 0));
    close(closed);
    int bads[2] = { -1, closed };
    for (int i = 0; i < 2; i++) {
        char l[64];
        const char *w = i ? "closed" : "-1";
        a = sa4("127.0.0.1", dport);
        snprintf(l, sizeof l, "bind(%s)", w);
        SHOW(l, bind(bads[i], (struct sockaddr *)&a, sizeof a));
        snprintf(l, sizeof l, "connect(%s)", w);
        SHOW(l, connect(bads[i], (struct sockaddr *)&a, sizeof a));
        snprintf(l, sizeof l, "listen(%s)", w);
        SHOW(l, listen(bads[i], 1));
        snprintf(l, sizeof l, "accept(%s)", w);
        SHOW(l, accept(bads[i], NULL, NULL));
        snprintf(l, sizeof l, "send(%s)", w);
        SHOW(l, send(bads[i], "x", 1, 0));
        snprintf(l, sizeof l, "recv(%s)", w);
        SHOW(l, recv(bads[i], buf, 1, 0));
        snprintf(l, sizeof l, "getsockopt(%s)", w);
        SHOW(l, getsockopt(bads[i], SOL_SOCKET, SO_TYPE, buf, &(socklen_t){ 4 }));
        snprintf(l, sizeof l, "shutdown(%s)", w);
        SHOW(l, shutdown(bads[i], SHUT_RDWR));
        snprintf(l, sizeof l, "close(%s)", w);
        SHOW(l, close(bads[i]));
    }

    /* --- ENOTSOCK: a pipe is a descriptor but not a socket --- */
    int pfd[2];
    NEED(pipe(pfd));
    a = sa4("127.0.0.1", dport);
    SHOW("bind(pipe)", bind(pfd[0], (struct sockaddr *)&a, sizeof a));
    SHOW("connect(pipe)", connect(pfd[0], (struct sockaddr *)&a, sizeof a));
    SHOW("listen(pipe)", listen(pfd[0], 1));
    SHOW("accept(pipe)", accept(pfd[0], NULL, NULL));
    SHOW("send(pipe)", send(pfd[1], "x", 1, 0));
    SHOW("sendto(pipe)", sendto(pfd[1], "x", 1, 0, (struct sockaddr *)&a, sizeof a));
    SHOW("recv(pipe)", recv(pfd[0], buf, 1, MSG_DONTWAIT));
    SHOW("getsockname(pipe)", getsockname(pfd[0], (struct sockaddr *)&a, &(socklen_t){ sizeof a }));
    SHOW("getpeername(pipe)", getpeername(pfd[0], (struct sockaddr *)&a, &(socklen_t){ sizeof a }));
    SHOW("getsockopt(pipe)", getsockopt(pfd[0], SOL_SOCKET, SO_TYPE, buf, &(socklen_t){ 4 }));
    SHOW("setsockopt(pipe)", set_int_opt(pfd[0], SOL_SOCKET, SO_REUSEADDR, 1));
    SHOW("shutdown(pipe)", shutdown(pfd[0], SHUT_RD));
    /* ...while plain write/read on it still work. */
    SHOW("write(pipe)", write(pfd[1], "x", 1));
    SHOW("read(pipe)", read(pfd[0], buf, 1));
    close(pfd[0]);
    close(pfd[1]);

    close(holder);
    return 0;
}
