/*
 * tcp_basic — the ordinary life of an IPv4 TCP connection: socket, bind,
 * listen, connect, accept, names on both ends, data through every
 * send/recv flavour, socket options that describe the socket, type flags
 * (SOCK_NONBLOCK/SOCK_CLOEXEC, accept4), accept-queue FIFO order, and a
 * connection handled by a forked peer process.
 */
#include "probe.h"

/* Forked peer: connect to the port passed in, send "ping", expect "pong". */
static int ping_peer(void *arg)
{
    int port = *(int *)arg;
    int fd = tcp_connect(AF_INET, "127.0.0.1", port);
    char buf[8];
    if (write_full(fd, "ping", 4) != 4)
        return 2;
    if (read_full(fd, buf, 4) != 4 || memcmp(buf, "pong", 4) != 0)
        return 3;
    /* EOF once the server closes. */
    if (recv(fd, buf, sizeof buf, 0) != 0)
        return 4;
    close(fd);
    return 0;
}

int main(void)
{
    probe_init();
    char buf[256];
    struct sockaddr_storage ss;
    socklen_t len;

    /* --- listener --- */
    int lfd = SHOWFD("socket(AF_INET,SOCK_STREAM,0)",
                     socket(AF_INET, SOCK_STREAM, 0));
    show_name("unbound getsockname", lfd, 0);
    CHECK("unbound port_zero", local_port(lfd) == 0);
    struct sockaddr_in a = sa4("127.0.0.1", 0);
    SHOW("bind 127.0.0.1:0", bind(lfd, (struct sockaddr *)&a, sizeof a));
    show_name("bound getsockname", lfd, 0);
    int port = local_port(lfd);
    CHECK("bound port_nonzero", port > 0);
    SHOW("listen(5)", listen(lfd, 5));
    SHOW("SO_ACCEPTCONN listener", get_int_opt(lfd, SOL_SOCKET, SO_ACCEPTCONN));
    show_name("listener getpeername", lfd, 1);

    /* --- client: explicit IPPROTO_TCP must be accepted like 0 --- */
    int cfd = SHOWFD("socket(AF_INET,SOCK_STREAM,IPPROTO_TCP)",
                     socket(AF_INET, SOCK_STREAM, IPPROTO_TCP));
    a = sa4("127.0.0.1", port);
    SHOW("connect", connect(cfd, (struct sockaddr *)&a, sizeof a));
    show_name("client getsockname", cfd, 0);
    show_name("client getpeername", cfd, 1);
    CHECK("client peer_port==listener port", peer_port(cfd) == port);
    CHECK("client local port differs", local_port(cfd) != port &&
                                           local_port(cfd) > 0);
    SHOW("SO_ACCEPTCONN client", get_int_opt(cfd, SOL_SOCKET, SO_ACCEPTCONN));
    SHOW("SO_TYPE", get_int_opt(cfd, SOL_SOCKET, SO_TYPE));
    SHOW("SO_DOMAIN", get_int_opt(cfd, SOL_SOCKET, SO_DOMAIN));
    SHOW("SO_PROTOCOL", get_int_opt(cfd, SOL_SOCKET, SO_PROTOCOL));
    show_so_error("SO_ERROR", cfd);

    /* --- accept with address --- */
    len = sizeof ss;
    memset(&ss, 0, sizeof ss);
    int sfd = SHOWFD("accept", accept(lfd, (struct sockaddr *)&ss, &len));
    say("accept addr: %s len=%u\n", sa_str(&ss), (unsigned)len);
    CHECK("accept addr port==client local port", sa_port(&ss) == local_port(cfd));
    CHECK("accepted local port==listener port", local_port(sfd) == port);
    CHECK("accepted peer port==client local port",
          peer_port(sfd) == local_port(cfd));
    show_name("accepted getsockname", sfd, 0);

    /* --- data, every flavour --- */
    SHOW("send hello", send(cfd, "hello", 5, 0));
    memset(buf, 0, sizeof buf);
    SHOW("recv", recv(sfd, buf, sizeof buf, 0));
    say("recv data: %s\n", buf);

    SHOW("write world", write(sfd, "world", 5));
    memset(buf, 0, sizeof buf);
    SHOW("read", read(cfd, buf, sizeof buf));
    say("read data: %s\n", buf);

    /* sendto with a NULL address on a connected socket is plain send. */
    SHOW("sendto NULL addr", sendto(cfd, "abc", 3, 0, NULL, 0));
    /* sendto with an address on a connected TCP socket: the address is
     * ignored (Linux does not return EISCONN for TCP). */
    a = sa4("127.0.0.1", port);
    SHOW("sendto with addr", sendto(cfd, "def", 3, 0, (struct sockaddr *)&a,
                                    sizeof a));
    memset(buf, 0, sizeof buf);
    SHOW("read_full 6", read_full(sfd, buf, 6));
    say("sendto data: %s\n", buf);
    /* recvfrom on TCP never reports an address: addrlen comes back 0. */
    SHOW("send xyz", send(cfd, "xyz", 3, 0));
    memset(buf, 0, sizeof buf);
    memset(&ss, 0xAA, sizeof ss);
    len = sizeof ss;
    SHOW("recvfrom with addr", recvfrom(sfd, buf, sizeof buf, 0,
                                        (struct sockaddr *)&ss, &len));
    say("recvfrom addrlen=%u data=%s addr_untouched=%d\n", (unsigned)len, buf,
        ((unsigned char *)&ss)[0] == 0xAA);

    /* sendmsg/recvmsg with scatter/gather. */
    struct iovec iov[3] = {
        { "one-", 4 }, { "two-", 4 }, { "three", 5 },
    };
    struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 3 };
    SHOW("sendmsg 3 iov", sendmsg(sfd, &mh, 0));
    char p1[5] = { 0 }, p2[9] = { 0 };
    struct iovec riov[2] = { { p1, 4 }, { p2, 8 } };
    struct msghdr rmh = { .msg_iov = riov, .msg_iovlen = 2 };
    SHOW("recvmsg 2 iov MSG_WAITALL", recvmsg(cfd, &rmh, MSG_WAITALL));
    say("recvmsg parts: [%s] [%s] flags=%#x namelen=%u\n", p1, p2,
        (unsigned)rmh.msg_flags, (unsigned)rmh.msg_namelen);
    memset(buf, 0, sizeof buf);
    SHOW("recv rest", recv(cfd, buf, sizeof buf, 0));
    say("rest: %s\n", buf);

    close(cfd);
    SHOW("recv after peer close", recv(sfd, buf, sizeof buf, 0));
    close(sfd);

    /* --- three clients queued before any accept come out FIFO --- */
    int cl[3];
    for (int i = 0; i < 3; i++) {
        cl[i] = tcp_connect(AF_INET, "127.0.0.1", port);
        char tag = (char)('A' + i);
        NEED(send(cl[i], &tag, 1, 0));
    }
    for (int i = 0; i < 3; i++) {
        int s = NEED(accept(lfd, NULL, NULL));
        char tag = '?';
        NEED(recv(s, &tag, 1, 0));
        say("accept #%d got tag %c, peer matches client %d: %d\n", i, tag, i,
            peer_port(s) == local_port(cl[i]));
        close(s);
        close(cl[i]);
    }

    /* --- type flags --- */
    int nfd = SHOWFD("socket(SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC)",
                     socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    say("O_NONBLOCK=%d FD_CLOEXEC=%d SO_TYPE=%d\n",
        !!(fcntl(nfd, F_GETFL) & O_NONBLOCK), !!(fcntl(nfd, F_GETFD) & FD_CLOEXEC),
        get_int_opt(nfd, SOL_SOCKET, SO_TYPE));
    close(nfd);

    /* accept() does not copy O_NONBLOCK from the listener on Linux;
     * accept4 sets flags explicitly. */
    cfd = tcp_connect(AF_INET, "127.0.0.1", port);
    NEED(set_nonblock(lfd, 1));
    /* The server half of the handshake may still be in flight when
     * connect() returns, so retry EAGAIN until the connection is queued. */
    WAIT_UNTIL((sfd = accept(lfd, NULL, NULL)) >= 0 || errno != EAGAIN, 2000);
    probe_report_ok("accept on nonblocking listener", sfd, errno);
    say("accepted O_NONBLOCK=%d FD_CLOEXEC=%d\n",
        !!(fcntl(sfd, F_GETFL) & O_NONBLOCK), !!(fcntl(sfd, F_GETFD) & FD_CLOEXEC));
    close(sfd);
    close(cfd);
    NEED(set_nonblock(lfd, 0));
    cfd = tcp_connect(AF_INET, "127.0.0.1", port);
    sfd = SHOWFD("accept4(SOCK_NONBLOCK|SOCK_CLOEXEC)",
                 accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC));
    say("accept4 O_NONBLOCK=%d FD_CLOEXEC=%d\n",
        !!(fcntl(sfd, F_GETFL) & O_NONBLOCK), !!(fcntl(sfd, F_GETFD) & FD_CLOEXEC));
    SHOW("accept4 bad flags", accept4(lfd, NULL, NULL, 0x4000000));
    close(sfd);
    close(cfd);

    /* --- a connection served for a forked peer process --- */
    pid_t pid = fork_peer(ping_peer, &port);
    sfd = SHOWFD("accept forked peer", accept(lfd, NULL, NULL));
    memset(buf, 0, sizeof buf);
    SHOW("recv from peer", read_full(sfd, buf, 4));
    say("peer said: %s\n", buf);
    SHOW("send pong", send(sfd, "pong", 4, 0));
    close(sfd);
    say("peer exit=%d\n", wait_peer(pid));

    SHOW("close listener", close(lfd));
    return 0;
}
