/*
 * fd_limit — a process that holds a connection, then lowers RLIMIT_NOFILE
 * so that no new fd can be made (as sshd's sandboxed child does, to 1):
 * what it has keeps working.  poll and select sleep until the peer's data
 * comes, a blocking recv waits for the next, and a poll with the limit
 * below every open fd wakes when the peer dies (SIGKILL), and so does an
 * epoll_wait made before.  A new socket
 * fails with EMFILE.  (Under the library the doorbell and the ringing
 * socket are made before the limit goes down; a dead peer without a
 * pidfd is noticed by a timer.)
 */
#include <sys/resource.h>

#include "probe.h"

static int port;

/* Connect, then at 150 ms steps: "hello", "world", "again", death.
 * The second peer only connects, and dies 300 ms after the first. */
static int peer_main(void *second)
{
    int fd = tcp_connect(AF_INET, "127.0.0.1", port);
    if (fd < 0)
        return 2;
    const char *words[] = {"hello", "world", "again"};
    for (int i = 0; i < 3; i++) {
        sleep_ms(150);
        if (!second && send(fd, words[i], 5, 0) != 5)
            return 3;
    }
    sleep_ms(second ? 450 : 150);
    raise(SIGKILL);
    return 4;
}

static void set_nofile(const char *label, rlim_t n)
{
    struct rlimit rl = {n, n};
    say("%s: ", label);
    SHOW("setrlimit(RLIMIT_NOFILE)", setrlimit(RLIMIT_NOFILE, &rl));
}

int main(void)
{
    probe_init();
    char buf[16] = {0};
    int lfd = tcp_listener(AF_INET, "127.0.0.1", 8, &port);
    pid_t pid = fork_peer(peer_main, NULL);
    int s = NEED(accept(lfd, NULL, NULL));
    pid_t pid2 = fork_peer(peer_main, (void *)1);
    int s2 = NEED(accept(lfd, NULL, NULL));
    int ep = NEED(epoll_create1(0));
    NEED(ep_ctl(ep, EPOLL_CTL_ADD, s2, EPOLLIN | EPOLLRDHUP, 2));
    int high = ep > s2 ? ep : s2;
    set_nofile("limit = highest fd + 1", (rlim_t)high + 1);
    SHOW("socket (no fd left)", socket(AF_INET, SOCK_STREAM, 0));

    struct pollfd p = {.fd = s, .events = POLLIN};
    int r = poll(&p, 1, 5000);
    say("poll: ret=%d revents=%s\n", r, pollbits(p.revents));
    SHOW("recv", recv(s, buf, 5, 0));
    say("got %.5s\n", buf);

    SHOW("blocking recv", recv(s, buf, 5, MSG_WAITALL));
    say("got %.5s\n", buf);

    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(s, &rs);
    struct timeval tv = {5, 0};
    SHOW("select", select(s + 1, &rs, NULL, NULL, &tv));
    say("readable=%d\n", FD_ISSET(s, &rs) ? 1 : 0);
    SHOW("recv", recv(s, buf, 5, 0));
    say("got %.5s\n", buf);

    /* Below every open fd: only a poll of one entry is allowed now. */
    set_nofile("limit = 1", 1);
    p = (struct pollfd){.fd = s, .events = POLLIN | POLLRDHUP};
    r = poll(&p, 1, 5000);
    say("poll until the peer dies: ret=%d revents=%s\n", r, pollbits(p.revents));
    SHOW("recv after death", recv(s, buf, sizeof buf, 0));
    SHOW("peer status (128+SIGKILL)", wait_peer(pid));

    struct epoll_event ev[2];
    r = epoll_wait(ep, ev, 2, 5000);
    say("epoll_wait until the second peer dies: ret=%d events=%s\n", r,
        r == 1 ? epbits(ev[0].events) : "-");
    SHOW("recv after death", recv(s2, buf, sizeof buf, 0));
    SHOW("second peer status (128+SIGKILL)", wait_peer(pid2));
    return 0;
}
