/*
 * tcp_eof_reset — how the end of a connection looks from the surviving
 * side, with the other side in a forked process:
 *   - orderly close (FIN): pending data, then EOF forever; writing to the
 *     closed peer succeeds once, the peer answers with RST, then EPIPE;
 *   - abortive close (SO_LINGER {1,0} -> RST) seen by recv, by SO_ERROR
 *     and by send, and what each call returns afterwards;
 *   - close with unread data in the receive queue (also sends RST);
 *   - a blocked recv woken by EOF and by RST;
 *   - a peer that just exits without closing.
 */
#include "probe.h"

enum mode {
    M_SEND_BYE_CLOSE,   /* send "bye", close */
    M_RST,              /* SO_LINGER {1,0}, close */
    M_DELAYED_FIN,      /* sleep, close (parent is blocked in recv) */
    M_DELAYED_RST,      /* sleep, RST */
    M_UNREAD_CLOSE,     /* wait until data arrived, close without reading */
    M_EXIT,             /* send "x", exit without close() */
};

struct peer_arg {
    int port;
    enum mode mode;
};

static int peer(void *p)
{
    struct peer_arg *pa = p;
    int fd = tcp_connect(AF_INET, "127.0.0.1", pa->port);
    struct linger lg = { 1, 0 };
    char c;
    switch (pa->mode) {
    case M_SEND_BYE_CLOSE:
        if (write_full(fd, "bye", 3) != 3)
            return 2;
        break;
    case M_RST:
        break;
    case M_DELAYED_FIN:
        sleep_ms(50);
        break;
    case M_DELAYED_RST:
        sleep_ms(50);
        break;
    case M_UNREAD_CLOSE:
        /* A blocking MSG_PEEK returns once the parent's data is queued
         * here, without consuming it. */
        if (recv(fd, &c, 1, MSG_PEEK) != 1)
            return 3;
        break;
    case M_EXIT:
        if (write_full(fd, "x", 1) != 1)
            return 2;
        return 0; /* _exit() closes the socket */
    }
    if (pa->mode == M_RST || pa->mode == M_DELAYED_RST)
        if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) < 0)
            return 4;
    close(fd);
    return 0;
}

static int lfd, lport;

/* Fork a peer in the given mode and accept its connection. */
static int start(enum mode m, pid_t *pid)
{
    static struct peer_arg pa;
    pa.port = lport;
    pa.mode = m;
    *pid = fork_peer(peer, &pa);
    return NEED(accept(lfd, NULL, NULL));
}

/* Give a just-sent RST/FIN time to be processed by the receiving socket
 * (on loopback this normally happens before close() returns in the peer;
 * the pause only guards against deferred softirq processing). */
static void settle(pid_t pid, const char *what)
{
    say("%s peer exit=%d\n", what, wait_peer(pid));
    sleep_ms(50);
}

int main(void)
{
    probe_init();
    char buf[64];
    pid_t pid;
    int fd;

    lfd = tcp_listener(AF_INET, "127.0.0.1", 8, &lport);

    say("== orderly close ==\n");
    fd = start(M_SEND_BYE_CLOSE, &pid);
    memset(buf, 0, sizeof buf);
    SHOW("recv pending data", read_full(fd, buf, 3));
    say("data: %s\n", buf);
    SHOW("recv at EOF", recv(fd, buf, sizeof buf, 0));
    SHOW("recv at EOF again", recv(fd, buf, sizeof buf, 0));
    SHOW("read at EOF", read(fd, buf, sizeof buf));
    SHOW("recv MSG_DONTWAIT at EOF", recv(fd, buf, sizeof buf, MSG_DONTWAIT));
    settle(pid, "orderly");
    /* The peer's socket is gone; our data makes it answer with RST. */
    SHOW("first send after peer closed", send(fd, "a", 1, 0));
    sleep_ms(50);
    SHOW("second send after peer closed", send(fd, "b", 1, 0));
    SHOW("third send after peer closed", send(fd, "c", 1, 0));
    SHOW("recv after RST (FIN seen earlier)", recv(fd, buf, sizeof buf, 0));
    show_so_error("SO_ERROR", fd);
    SHOW("getpeername", getpeername(fd, (struct sockaddr *)buf, &(socklen_t){ sizeof buf }));
    close(fd);

    say("== abortive close seen by recv ==\n");
    fd = start(M_RST, &pid);
    settle(pid, "rst");
    SHOW("recv after RST", recv(fd, buf, sizeof buf, 0));
    SHOW("recv again", recv(fd, buf, sizeof buf, 0));
    show_so_error("SO_ERROR", fd);
    SHOW("send", send(fd, "a", 1, 0));
    SHOW("send again", send(fd, "a", 1, 0));
    SHOW("getpeername", getpeername(fd, (struct sockaddr *)buf, &(socklen_t){ sizeof buf }));
    CHECK("getsockname port_nonzero", local_port(fd) > 0);
    SHOW("shutdown(SHUT_RDWR)", shutdown(fd, SHUT_RDWR));
    close(fd);

    say("== abortive close seen by SO_ERROR ==\n");
    fd = start(M_RST, &pid);
    settle(pid, "rst");
    show_so_error("SO_ERROR", fd);
    show_so_error("SO_ERROR again", fd);
    SHOW("recv", recv(fd, buf, sizeof buf, 0));
    SHOW("send", send(fd, "a", 1, 0));
    close(fd);

    say("== abortive close seen by send ==\n");
    fd = start(M_RST, &pid);
    settle(pid, "rst");
    SHOW("send", send(fd, "a", 1, 0));
    SHOW("send again", send(fd, "a", 1, 0));
    SHOW("recv", recv(fd, buf, sizeof buf, 0));
    close(fd);

    say("== blocked recv woken by FIN ==\n");
    fd = start(M_DELAYED_FIN, &pid);
    SHOW("blocking recv", recv(fd, buf, sizeof buf, 0));
    say("fin peer exit=%d\n", wait_peer(pid));
    close(fd);

    say("== blocked recv woken by RST ==\n");
    fd = start(M_DELAYED_RST, &pid);
    SHOW("blocking recv", recv(fd, buf, sizeof buf, 0));
    SHOW("recv again", recv(fd, buf, sizeof buf, 0));
    say("rst peer exit=%d\n", wait_peer(pid));
    close(fd);

    say("== peer closes with unread data ==\n");
    fd = start(M_UNREAD_CLOSE, &pid);
    SHOW("send data peer never reads", send(fd, "unread", 6, 0));
    settle(pid, "unread");
    SHOW("recv", recv(fd, buf, sizeof buf, 0));
    SHOW("recv again", recv(fd, buf, sizeof buf, 0));
    SHOW("send", send(fd, "a", 1, 0));
    close(fd);

    say("== peer exits without close ==\n");
    fd = start(M_EXIT, &pid);
    settle(pid, "exit");
    memset(buf, 0, sizeof buf);
    SHOW("recv data", recv(fd, buf, sizeof buf, 0));
    say("data: %s\n", buf);
    SHOW("recv EOF", recv(fd, buf, sizeof buf, 0));
    close(fd);

    close(lfd);
    return 0;
}
