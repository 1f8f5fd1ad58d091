/*
 * ready_epoll_many — 1,000 connections through one epoll loop.
 *
 * The parent runs the server: a v4 and a v6 listener (level-triggered)
 * and every accepted connection (non-blocking, EPOLLIN|EPOLLRDHUP|
 * EPOLLET, drained to EAGAIN on each event) in one epoll set; it echoes
 * what it reads and closes a connection at EOF.  A forked child is the
 * client: it opens all 1,000 connections (alternating v4 and v6), sends
 * on each a message whose length and bytes depend on its index, then
 * reads every echo back and checks it, then (told by the parent that
 * every echo is out) closes them all: each EOF is an EPOLLRDHUP event.  The child
 * reports through its exit status; the parent prints only counts.
 */
#include "probe.h"
#include <sys/resource.h>

#define NCONN 1000

static int msg_len(int i) { return 16 + i % 97; }

struct client_arg {
    int port4, port6;
    int go;             /* read end of a pipe: "every echo is out" */
};

static int client_main(void *p)
{
    struct client_arg *a = p;
    static int fd[NCONN];
    unsigned char buf[256];
    for (int i = 0; i < NCONN; i++) {
        int fam = i % 2 ? AF_INET6 : AF_INET;
        struct sockaddr_storage ss;
        socklen_t len = sa_make(fam, fam == AF_INET6 ? "::1" : "127.0.0.1",
                                fam == AF_INET6 ? a->port6 : a->port4, &ss);
        fd[i] = socket(fam, SOCK_STREAM, 0);
        if (fd[i] < 0)
            return 2;
        if (connect(fd[i], (struct sockaddr *)&ss, len) < 0)
            return 3;
        pattern_fill(buf, (size_t)msg_len(i), (uint64_t)i * 1000);
        if (write_full(fd[i], buf, (size_t)msg_len(i)) != msg_len(i))
            return 4;
    }
    for (int i = 0; i < NCONN; i++) {
        if (read_full(fd[i], buf, (size_t)msg_len(i)) != msg_len(i))
            return 5;
        if (!pattern_ok(buf, (size_t)msg_len(i), (uint64_t)i * 1000))
            return 6;
    }
    /* Close only once the server has echoed everything and drained, so
     * each EOF reaches it as an event of its own. */
    if (sync_wait(a->go) < 0)
        return 7;
    for (int i = 0; i < NCONN; i++)
        close(fd[i]);
    return 0;
}

int main(void)
{
    probe_init();
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4096) {
        rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    static struct client_arg ca;
    int l4 = tcp_listener(AF_INET, "127.0.0.1", 1024, &ca.port4);
    int l6 = tcp_listener(AF_INET6, "::1", 1024, &ca.port6);
    NEED(set_nonblock(l4, 1));
    NEED(set_nonblock(l6, 1));
    int ep = NEED(epoll_create1(EPOLL_CLOEXEC));
    /* Cookies: listeners are 1 and 2; a connection's cookie is its fd
     * shifted up, so it never collides with them. */
    NEED(ep_ctl(ep, EPOLL_CTL_ADD, l4, EPOLLIN, 1));
    NEED(ep_ctl(ep, EPOLL_CTL_ADD, l6, EPOLLIN, 2));

    int go[2];
    NEED(pipe(go));
    ca.go = go[0];
    pid_t pid = fork_peer(client_main, &ca);
    close(go[0]);
    int signalled = 0;

    long accepted4 = 0, accepted6 = 0, closed = 0, rdhup = 0, bytes = 0;
    long expected = 0, idle_timeouts = 0, errors = 0;
    for (int i = 0; i < NCONN; i++)
        expected += msg_len(i);
    struct epoll_event ev[64];
    unsigned char buf[4096];
    while (closed < NCONN) {
        int n = epoll_wait(ep, ev, 64, 5000);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            idle_timeouts++;
            break;
        }
        for (int i = 0; i < n; i++) {
            uint64_t ck = ev[i].data.u64;
            if (ck == 1 || ck == 2) {
                int l = ck == 1 ? l4 : l6;
                for (;;) {
                    int c = accept4(l, NULL, NULL, SOCK_NONBLOCK);
                    if (c < 0)
                        break;
                    if (ck == 1)
                        accepted4++;
                    else
                        accepted6++;
                    if (ep_ctl(ep, EPOLL_CTL_ADD, c, EPOLLIN | EPOLLRDHUP | EPOLLET,
                               ((uint64_t)c << 8)) < 0)
                        errors++;
                }
                continue;
            }
            int c = (int)(ck >> 8);
            if (ev[i].events & EPOLLRDHUP)
                rdhup++;
            for (;;) {
                ssize_t r = recv(c, buf, sizeof buf, 0);
                if (r > 0) {
                    bytes += r;
                    if (write_full(c, buf, (size_t)r) != r)
                        errors++;
                    continue;
                }
                if (r == 0) {
                    close(c);
                    closed++;
                } else if (errno != EAGAIN) {
                    errors++;
                    close(c);
                    closed++;
                }
                break;
            }
        }
        if (bytes == expected && !signalled) {
            sync_signal(go[1]);
            signalled = 1;
        }
    }
    close(go[1]);
    say("client exit: %d\n", wait_peer(pid));
    say("accepted v4=%ld v6=%ld\n", accepted4, accepted6);
    say("bytes echoed == sent: %d\n", bytes == expected);
    say("closed at EOF=%ld\n", closed);
    say("connections that saw EPOLLRDHUP=%ld\n", rdhup);
    say("errors=%ld idle timeouts=%ld\n", errors, idle_timeouts);
    show_epoll("listeners idle at the end", ep, ev, 64, 0);
    close(ep);
    close(l4);
    close(l6);
    return 0;
}
