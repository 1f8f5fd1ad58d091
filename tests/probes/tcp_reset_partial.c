/*
 * tcp_reset_partial — a reset that ends a blocking call which already
 * moved bytes (the peer, a forked process, closes with SO_LINGER {1,0}):
 *   - a blocking send of more than fits returns the count that went; the
 *     next send fails with ECONNRESET, once, then EPIPE (Linux keeps
 *     sk_err when it returns a partial count);
 *   - a recv with MSG_WAITALL returns the bytes that came before the
 *     reset; the next recv fails with ECONNRESET, then says EOF.
 */
#include "probe.h"

#define TAKEN 100000            /* what the reading peer takes before its reset */
#define SENT  (8 << 20)         /* more than any buffer holds */
#define GIVEN 1000              /* what the writing peer sends before its reset */

static int lport;

static int rst_close(int fd)
{
    struct linger lg = {1, 0};
    if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) < 0)
        return 4;
    close(fd);
    return 0;
}

/* Read TAKEN bytes, then reset. */
static int reader(void *unused)
{
    int fd = tcp_connect(AF_INET, "127.0.0.1", lport);
    static char buf[65536];
    size_t got = 0;
    while (got < TAKEN) {
        size_t want = TAKEN - got < sizeof buf ? TAKEN - got : sizeof buf;
        ssize_t r = recv(fd, buf, want, 0);
        if (r <= 0)
            return 2;
        got += (size_t)r;
    }
    return rst_close(fd);
}

/* Send GIVEN bytes, wait a little, then reset. */
static int writer(void *unused)
{
    int fd = tcp_connect(AF_INET, "127.0.0.1", lport);
    static char buf[GIVEN];
    if (write_full(fd, buf, sizeof buf) != GIVEN)
        return 2;
    sleep_ms(100);
    return rst_close(fd);
}

int main(void)
{
    probe_init();
    int lfd = tcp_listener(AF_INET, "127.0.0.1", 4, &lport);

    say("== a blocking send cut by a reset ==\n");
    pid_t pid = fork_peer(reader, NULL);
    int fd = NEED(accept(lfd, NULL, NULL));
    set_int_opt(fd, SOL_SOCKET, SO_SNDBUF, 4096);
    char *big = calloc(1, SENT);
    ssize_t n = QUIET(send(fd, big, SENT, MSG_NOSIGNAL));
    CHECK("blocking send returns a partial count", n >= TAKEN && n < SENT);
    SHOW("next send", send(fd, "a", 1, MSG_NOSIGNAL));
    SHOW("send after that", send(fd, "a", 1, MSG_NOSIGNAL));
    SHOW("write after that", write(fd, "a", 1));
    say("reader peer exit=%d\n", wait_peer(pid));
    close(fd);
    free(big);

    say("== a MSG_WAITALL recv cut by a reset ==\n");
    pid = fork_peer(writer, NULL);
    fd = NEED(accept(lfd, NULL, NULL));
    char buf[5000];
    SHOW("recv MSG_WAITALL", recv(fd, buf, sizeof buf, MSG_WAITALL));
    SHOW("next recv", recv(fd, buf, sizeof buf, 0));
    SHOW("recv after that", recv(fd, buf, sizeof buf, 0));
    say("writer peer exit=%d\n", wait_peer(pid));
    close(fd);

    close(lfd);
    return 0;
}
