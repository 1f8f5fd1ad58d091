/*
 * tcp_nonblock — non-blocking TCP without poll/select: connect returning
 * EINPROGRESS and its completion observed by calling connect() again,
 * a refused non-blocking connect reported through SO_ERROR, EAGAIN from
 * accept/recv/send, MSG_DONTWAIT on a blocking socket, and filling the
 * send path until EAGAIN then draining it completely.
 *
 * Completion of asynchronous steps is awaited with bounded retry loops;
 * only the final, deterministic state is printed.
 */
#include "probe.h"

/* Call connect() again until it stops saying EALREADY; return its final
 * result (errno preserved). */
static int finish_connect(int fd, const struct sockaddr *a, socklen_t len)
{
    int r = -1;
    WAIT_UNTIL((r = connect(fd, a, len)) == 0 || errno != EALREADY, 2000);
    return r;
}

int main(void)
{
    probe_init();
    char buf[256];
    int port;
    int lfd = tcp_listener(AF_INET, "127.0.0.1", 8, &port);
    struct sockaddr_in a = sa4("127.0.0.1", port);

    say("== non-blocking connect ==\n");
    int c = NEED(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    /* Even on loopback the handshake is not finished when connect()
     * returns, so a non-blocking connect always says EINPROGRESS. */
    SHOW("connect", connect(c, (struct sockaddr *)&a, sizeof a));
    /* While in progress connect says EALREADY; the first call after the
     * handshake completed returns 0 and later ones EISCONN. */
    SHOW("connect until not EALREADY", finish_connect(c, (struct sockaddr *)&a, sizeof a));
    SHOW("connect once more", connect(c, (struct sockaddr *)&a, sizeof a));
    show_so_error("after connect", c);
    CHECK("peer port==listener", peer_port(c) == port);

    say("== non-blocking accept ==\n");
    NEED(set_nonblock(lfd, 1));
    int s = -1;
    /* The server side is queued when the client's ACK is processed, which
     * may lag connect() slightly. */
    WAIT_UNTIL((s = accept(lfd, NULL, NULL)) >= 0 || errno != EAGAIN, 2000);
    probe_report_ok("accept (retrying EAGAIN)", s, errno);
    SHOW("accept on empty queue", accept(lfd, NULL, NULL));
    SHOW("accept4 on empty queue", accept4(lfd, NULL, NULL, SOCK_CLOEXEC));
    NEED(set_nonblock(lfd, 0));

    say("== EAGAIN on recv ==\n");
    SHOW("recv nonblocking, nothing queued", recv(c, buf, sizeof buf, 0));
    SHOW("read nonblocking, nothing queued", read(c, buf, sizeof buf));
    SHOW("recv MSG_DONTWAIT on blocking socket", recv(s, buf, sizeof buf, MSG_DONTWAIT));
    SHOW("recvfrom MSG_DONTWAIT", recvfrom(s, buf, sizeof buf, MSG_DONTWAIT, NULL, NULL));
    struct iovec iov = { buf, sizeof buf };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    SHOW("recvmsg MSG_DONTWAIT", recvmsg(s, &mh, MSG_DONTWAIT));
    SHOW("send 4", send(s, "data", 4, 0));
    WAIT_UNTIL(recv(c, buf, 4, MSG_PEEK) == 4, 1000);
    memset(buf, 0, sizeof buf);
    SHOW("recv nonblocking with data", recv(c, buf, sizeof buf, 0));
    say("data: %s\n", buf);
    SHOW("recv nonblocking again", recv(c, buf, sizeof buf, 0));

    say("== O_NONBLOCK toggled with fcntl ==\n");
    SHOW("clear O_NONBLOCK", set_nonblock(c, 0));
    SHOW("O_NONBLOCK now", !!(fcntl(c, F_GETFL) & O_NONBLOCK));
    SHOW("recv MSG_DONTWAIT", recv(c, buf, sizeof buf, MSG_DONTWAIT));
    SHOW("set O_NONBLOCK", set_nonblock(c, 1));
    SHOW("O_NONBLOCK now", !!(fcntl(c, F_GETFL) & O_NONBLOCK));
    SHOW("recv", recv(c, buf, sizeof buf, 0));

    say("== fill until EAGAIN, then drain ==\n");
    /* How much fits depends on autotuned buffers, so the amount is never
     * printed: only that the receiver gets exactly what was accepted. */
    static unsigned char big[65536];
    uint64_t sent = 0;
    ssize_t r;
    for (int rounds = 0; rounds < 100000; rounds++) {
        pattern_fill(big, sizeof big, sent);
        r = send(c, big, sizeof big, 0);
        if (r < 0)
            break;
        sent += (uint64_t)r;
    }
    probe_report("send until full: last", r, errno);
    CHECK("sent something", sent > 0);
    /* MSG_DONTWAIT makes a blocking socket behave the same way.  (Room
     * can reappear meanwhile as the kernel collapses queues or grows
     * buffers, so keep going until EAGAIN rather than expecting it on
     * the first try.) */
    NEED(set_nonblock(c, 0));
    for (int rounds = 0; rounds < 100000; rounds++) {
        pattern_fill(big, sizeof big, sent);
        r = send(c, big, sizeof big, MSG_DONTWAIT);
        if (r < 0)
            break;
        sent += (uint64_t)r;
    }
    probe_report("blocking socket, send MSG_DONTWAIT until full: last", r, errno);
    NEED(set_nonblock(c, 1));
    uint64_t got = 0;
    int good = 1;
    while (got < sent) {
        size_t want = sent - got < sizeof buf ? (size_t)(sent - got) : sizeof buf;
        r = recv(s, buf, want, 0);
        if (r <= 0)
            break;
        good &= pattern_ok(buf, (size_t)r, got);
        got += (uint64_t)r;
    }
    CHECK("drained == sent", got == sent);
    CHECK("drained content matches", good);
    SHOW("receiver empty afterwards", recv(s, buf, sizeof buf, MSG_DONTWAIT));
    SHOW("send after drain", send(c, "ok", 2, 0));
    close(c);
    close(s);

    say("== refused non-blocking connect ==\n");
    int holder;
    int dport = dead_port(AF_INET, &holder);
    c = NEED(socket(AF_INET, SOCK_STREAM, 0));
    NEED(set_nonblock(c, 1));
    a = sa4("127.0.0.1", dport);
    SHOW("connect", connect(c, (struct sockaddr *)&a, sizeof a));
    int err = 0;
    WAIT_UNTIL((err = get_int_opt(c, SOL_SOCKET, SO_ERROR)) != 0, 2000);
    say("SO_ERROR (awaited)=%s\n", errname(err));
    show_so_error("SO_ERROR again", c);
    SHOW("recv", recv(c, buf, sizeof buf, 0));
    close(c);
    close(holder);

    say("== EINPROGRESS then I/O before completion is checked ==\n");
    c = NEED(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    a = sa4("127.0.0.1", port);
    SHOW("connect", connect(c, (struct sockaddr *)&a, sizeof a));
    WAIT_UNTIL(peer_port(c) == port, 2000);
    SHOW("send once established", send(c, "hi", 2, 0));
    s = NEED(accept(lfd, NULL, NULL));
    memset(buf, 0, sizeof buf);
    SHOW("server recv", read_full(s, buf, 2));
    say("data: %s\n", buf);
    close(c);
    close(s);

    close(lfd);
    return 0;
}
