/*
 * sigpipe — when writing raises SIGPIPE: every call that fails with EPIPE
 * on a stream socket (send, write, writev, sendto, sendmsg) raises it
 * unless MSG_NOSIGNAL is given; ECONNRESET does not raise it; blocked
 * SIGPIPE stays pending; SIG_IGN suppresses it; UDP never raises it.
 * Signals are counted by a handler; the count is read after each call
 * (SIGPIPE is delivered synchronously to the writing thread).
 */
#include "probe.h"

static volatile sig_atomic_t pipes;
static void on_pipe(int sig)
{
    (void)sig;
    pipes++;
}

/* Run a call, then print its result and how many SIGPIPEs it raised. */
#define PIPE_CHECK(label, expr)                                           \
    do {                                                                  \
        pipes = 0;                                                        \
        long r_ = QUIET(expr);                                            \
        int e_ = errno;                                                   \
        int n_ = pipes;                                                   \
        if (r_ < 0)                                                       \
            say("%s: ret=%ld errno=%s sigpipes=%d\n", (label), r_,        \
                errname(e_), n_);                                         \
        else                                                              \
            say("%s: ret=%ld sigpipes=%d\n", (label), r_, n_);            \
    } while (0)

static int rst_peer(void *arg)
{
    int port = *(int *)arg;
    int fd = tcp_connect(AF_INET, "127.0.0.1", port);
    struct linger lg = { 1, 0 };
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
    return 0;
}

int main(void)
{
    probe_init();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_pipe;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGPIPE, &sa, NULL);

    say("== never-connected socket ==\n");
    int t = NEED(socket(AF_INET, SOCK_STREAM, 0));
    PIPE_CHECK("send", send(t, "x", 1, 0));
    PIPE_CHECK("send MSG_NOSIGNAL", send(t, "x", 1, MSG_NOSIGNAL));
    PIPE_CHECK("write", write(t, "x", 1));
    close(t);

    say("== after SHUT_WR ==\n");
    int c, s;
    tcp_pair(AF_INET, &c, &s);
    NEED(shutdown(c, SHUT_WR));
    PIPE_CHECK("send", send(c, "x", 1, 0));
    PIPE_CHECK("send MSG_NOSIGNAL", send(c, "x", 1, MSG_NOSIGNAL));
    PIPE_CHECK("write", write(c, "x", 1));
    struct iovec iov = { "x", 1 };
    PIPE_CHECK("writev", writev(c, &iov, 1));
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    PIPE_CHECK("sendmsg", sendmsg(c, &mh, 0));
    PIPE_CHECK("sendmsg MSG_NOSIGNAL", sendmsg(c, &mh, MSG_NOSIGNAL));
    PIPE_CHECK("sendto", sendto(c, "x", 1, 0, NULL, 0));
    PIPE_CHECK("send len 0", send(c, "", 0, 0));
    PIPE_CHECK("write len 0", write(c, "", 0));
    /* The receiving direction is unaffected. */
    PIPE_CHECK("peer send", send(s, "y", 1, 0));
    close(c);
    close(s);

    say("== peer reset the connection ==\n");
    int port;
    int l = tcp_listener(AF_INET, "127.0.0.1", 2, &port);
    pid_t pid = fork_peer(rst_peer, &port);
    c = NEED(accept(l, NULL, NULL));
    say("peer exit=%d\n", wait_peer(pid));
    sleep_ms(50); /* let the RST land (see tcp_eof_reset) */
    PIPE_CHECK("first send (reports the reset)", send(c, "x", 1, 0));
    PIPE_CHECK("second send", send(c, "x", 1, 0));
    PIPE_CHECK("third send MSG_NOSIGNAL", send(c, "x", 1, MSG_NOSIGNAL));
    close(c);
    close(l);

    say("== blocked and ignored SIGPIPE ==\n");
    tcp_pair(AF_INET, &c, &s);
    NEED(shutdown(c, SHUT_WR));
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sigprocmask(SIG_BLOCK, &set, &old);
    PIPE_CHECK("send with SIGPIPE blocked", send(c, "x", 1, 0));
    sigset_t pend;
    sigpending(&pend);
    say("SIGPIPE pending=%d\n", sigismember(&pend, SIGPIPE));
    /* Consume it before unblocking so the handler does not run. */
    struct timespec zero = { 0, 0 };
    SHOW("sigtimedwait", sigtimedwait(&set, NULL, &zero));
    sigprocmask(SIG_SETMASK, &old, NULL);
    signal(SIGPIPE, SIG_IGN);
    PIPE_CHECK("send with SIG_IGN", send(c, "x", 1, 0));
    sigaction(SIGPIPE, &sa, NULL);
    close(c);
    close(s);

    say("== UDP never raises SIGPIPE ==\n");
    int up;
    int u = udp_bound(AF_INET, "127.0.0.1", &up);
    int us = NEED(socket(AF_INET, SOCK_DGRAM, 0));
    struct sockaddr_in to = sa4("127.0.0.1", up);
    NEED(connect(us, (struct sockaddr *)&to, sizeof to));
    NEED(shutdown(us, SHUT_WR));
    PIPE_CHECK("udp send after SHUT_WR", send(us, "x", 1, 0));
    PIPE_CHECK("udp send unconnected", send(u, "x", 1, 0));
    close(us);
    close(u);
    return 0;
}
