/*
 * tcp_shutdown — half-close semantics: SHUT_WR (peer sees EOF, reverse
 * direction keeps working), SHUT_RD (local reads end, but on Linux data
 * that arrives later is still readable), SHUT_RDWR, repeated shutdowns,
 * shutdown on a listener (SHUT_RD stops it listening), and a half-closed
 * request/response exchange with a forked peer.
 */
#include "probe.h"

/* Peer for the half-close exchange: read the request until EOF, answer
 * with its length and a checksum, then close. */
static int echo_len_peer(void *arg)
{
    int port = *(int *)arg;
    int fd = tcp_connect(AF_INET, "127.0.0.1", port);
    char buf[4096];
    size_t total = 0;
    uint64_t h = FNV_INIT;
    for (;;) {
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r < 0)
            return 2;
        if (r == 0)
            break;
        h = fnv1a(h, buf, (size_t)r);
        total += (size_t)r;
    }
    char reply[64];
    int n = snprintf(reply, sizeof reply, "%zu %016llx", total,
                     (unsigned long long)h);
    if (write_full(fd, reply, (size_t)n) != n)
        return 3;
    close(fd);
    return 0;
}

int main(void)
{
    probe_init();
    char buf[256];
    int c, s;

    say("== SHUT_WR ==\n");
    tcp_pair(AF_INET, &c, &s);
    SHOW("send before shutdown", send(c, "req", 3, 0));
    SHOW("shutdown(client, SHUT_WR)", shutdown(c, SHUT_WR));
    memset(buf, 0, sizeof buf);
    SHOW("server recv data", read_full(s, buf, 3));
    say("data: %s\n", buf);
    SHOW("server recv EOF", recv(s, buf, sizeof buf, 0));
    SHOW("client send after SHUT_WR", send(c, "x", 1, 0));
    SHOW("client write after SHUT_WR", write(c, "x", 1));
    SHOW("server send reply", send(s, "resp", 4, 0));
    memset(buf, 0, sizeof buf);
    SHOW("client recv reply", read_full(c, buf, 4));
    say("data: %s\n", buf);
    SHOW("shutdown(client, SHUT_WR) again", shutdown(c, SHUT_WR));
    SHOW("server shutdown(SHUT_WR)", shutdown(s, SHUT_WR));
    SHOW("client recv EOF", recv(c, buf, sizeof buf, 0));
    /* Both FINs exchanged and acknowledged: the client went to TIME_WAIT
     * and the server to CLOSED, which the socket API reports as
     * unconnected on both ends. */
    SHOW("client getpeername after both FINs",
         getpeername(c, (struct sockaddr *)buf, &(socklen_t){ sizeof buf }));
    SHOW("server getpeername after both FINs",
         getpeername(s, (struct sockaddr *)buf, &(socklen_t){ sizeof buf }));
    SHOW("server send after own SHUT_WR", send(s, "x", 1, 0));
    close(c);
    close(s);

    say("== SHUT_RD ==\n");
    tcp_pair(AF_INET, &c, &s);
    SHOW("send before SHUT_RD", send(s, "early", 5, 0));
    /* Let the data reach the client before it shuts down reading. */
    WAIT_UNTIL(recv(c, buf, 5, MSG_PEEK | MSG_DONTWAIT) == 5, 1000);
    SHOW("shutdown(client, SHUT_RD)", shutdown(c, SHUT_RD));
    memset(buf, 0, sizeof buf);
    SHOW("recv queued data after SHUT_RD", recv(c, buf, sizeof buf, 0));
    say("data: %s\n", buf);
    SHOW("recv after SHUT_RD, queue empty", recv(c, buf, sizeof buf, 0));
    SHOW("recv MSG_DONTWAIT after SHUT_RD", recv(c, buf, sizeof buf, MSG_DONTWAIT));
    /* The peer is not told about SHUT_RD: it can keep sending, and Linux
     * still queues that data for the reader. */
    SHOW("server send after client SHUT_RD", send(s, "late", 4, 0));
    sleep_ms(20);
    memset(buf, 0, sizeof buf);
    SHOW("recv late data", recv(c, buf, sizeof buf, 0));
    say("data: %s\n", buf);
    SHOW("client can still send", send(c, "up", 2, 0));
    memset(buf, 0, sizeof buf);
    SHOW("server recv", read_full(s, buf, 2));
    say("data: %s\n", buf);
    close(c);
    close(s);

    say("== SHUT_RDWR ==\n");
    tcp_pair(AF_INET, &c, &s);
    SHOW("shutdown(client, SHUT_RDWR)", shutdown(c, SHUT_RDWR));
    SHOW("client recv", recv(c, buf, sizeof buf, 0));
    SHOW("client send", send(c, "x", 1, 0));
    SHOW("server recv EOF", recv(s, buf, sizeof buf, 0));
    /* Data arriving after the reader shut down in FIN_WAIT makes Linux
     * reset the connection (RFC 1122), unlike SHUT_RD alone above. */
    SHOW("server send", send(s, "y", 1, 0));
    sleep_ms(20);
    SHOW("server recv after its data hit a shut reader", recv(s, buf, sizeof buf, 0));
    SHOW("shutdown(client, SHUT_RD) after RDWR", shutdown(c, SHUT_RD));
    SHOW("shutdown(client, SHUT_RDWR) again", shutdown(c, SHUT_RDWR));
    show_so_error("client", c);
    close(c);
    close(s);

    say("== invalid ==\n");
    tcp_pair(AF_INET, &c, &s);
    SHOW("shutdown how=3", shutdown(c, 3));
    close(c);
    close(s);

    say("== shutdown on a listener ==\n");
    int port;
    int lfd = tcp_listener(AF_INET, "127.0.0.1", 4, &port);
    /* SHUT_WR has nothing to do on a listener. */
    SHOW("listener shutdown(SHUT_WR)", shutdown(lfd, SHUT_WR));
    SHOW("SO_ACCEPTCONN", get_int_opt(lfd, SOL_SOCKET, SO_ACCEPTCONN));
    c = tcp_connect(AF_INET, "127.0.0.1", port);
    s = SHOWFD("accept still works", accept(lfd, NULL, NULL));
    close(s);
    close(c);
    /* SHUT_RD makes it stop listening. */
    SHOW("listener shutdown(SHUT_RD)", shutdown(lfd, SHUT_RD));
    SHOW("SO_ACCEPTCONN", get_int_opt(lfd, SOL_SOCKET, SO_ACCEPTCONN));
    SHOW("accept after SHUT_RD", accept(lfd, NULL, NULL));
    c = NEED(socket(AF_INET, SOCK_STREAM, 0));
    struct sockaddr_in a = sa4("127.0.0.1", port);
    SHOW("connect after listener SHUT_RD", connect(c, (struct sockaddr *)&a, sizeof a));
    close(c);
    /* The port was chosen by the kernel (bind to port 0), so stopping the
     * listener released it; listen() binds a fresh ephemeral port.  (Its
     * value is random, so only its existence is checked.) */
    SHOW("listen again", listen(lfd, 4));
    CHECK("re-listen port_nonzero", local_port(lfd) > 0);
    c = tcp_connect(AF_INET, "127.0.0.1", local_port(lfd));
    s = SHOWFD("accept after re-listen", accept(lfd, NULL, NULL));
    close(s);
    close(c);
    close(lfd);

    say("== half-closed exchange with a forked peer ==\n");
    lfd = tcp_listener(AF_INET, "127.0.0.1", 4, &port);
    pid_t pid = fork_peer(echo_len_peer, &port);
    s = NEED(accept(lfd, NULL, NULL));
    close(lfd);
    uint32_t seed = 12345;
    uint64_t h = FNV_INIT;
    unsigned char chunk[1000];
    size_t total = 0;
    for (int i = 0; i < 50; i++) {
        prng_fill(&seed, chunk, sizeof chunk);
        h = fnv1a(h, chunk, sizeof chunk);
        if (write_full(s, chunk, sizeof chunk) != (ssize_t)sizeof chunk)
            say("write failed at chunk %d\n", i);
        total += sizeof chunk;
    }
    SHOW("shutdown(SHUT_WR) after request", shutdown(s, SHUT_WR));
    memset(buf, 0, sizeof buf);
    ssize_t n = read_full(s, buf, sizeof buf - 1);
    char expect[64];
    snprintf(expect, sizeof expect, "%zu %016llx", total, (unsigned long long)h);
    say("reply: %s\n", buf);
    CHECK("reply matches request", n > 0 && strcmp(buf, expect) == 0);
    SHOW("recv EOF", recv(s, buf, sizeof buf, 0));
    say("peer exit=%d\n", wait_peer(pid));
    close(s);
    return 0;
}
