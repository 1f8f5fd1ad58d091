/*
 * chroot_setuid — a process that changes root and user before its first
 * socket stays where its sockets live: a forked child chroots into an
 * empty directory (no /proc, no path to anything), drops to nobody,
 * closes every fd above its pipe (closefrom), then listens and echoes
 * 64 KiB; its parent, still root, connects and checks the echo.  Under
 * the library the network's file is out of the child's reach by then
 * (identity.c pins it first).  Not root: says so, on both sides.
 */
#include "probe.h"

#include <grp.h>

static int report_w;
static char dir[] = "/tmp/probe-chroot.XXXXXX";

static int child(void *arg)
{
    (void)arg;
    if (chroot(dir) < 0 || chdir("/") < 0)
        return 10;
    if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
        return 11;
    closefrom(report_w + 1);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    if (l < 0)
        return 20 + (errno == ENETDOWN);
    struct sockaddr_in a = sa4("127.0.0.1", 0);
    if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 4) < 0)
        return 30;
    int port = local_port(l);
    if (write(report_w, &port, sizeof port) != sizeof port)
        return 31;
    int c = accept(l, NULL, NULL);
    if (c < 0)
        return 32;
    char buf[8192];
    ssize_t n;
    while ((n = read(c, buf, sizeof buf)) > 0)
        if (write(c, buf, (size_t)n) != n)
            return 33;
    close(c);
    return n == 0 ? 0 : 34;
}

int main(void)
{
    probe_init();
    if (geteuid() != 0) {
        say("not root: chroot and setuid not tried\n");
        return 0;
    }
    NEED(mkdtemp(dir) ? 0 : -1);
    int fds[2];
    NEED(pipe(fds));
    report_w = fds[1];
    pid_t pid = fork_peer(child, NULL);
    close(fds[1]);
    int port = 0;
    ssize_t got = read(fds[0], &port, sizeof port);
    CHECK("child_listens", got == sizeof port);
    if (got == sizeof port) {
        int c = tcp_connect(AF_INET, "127.0.0.1", port);
        static char out[65536], in[65536];
        for (size_t i = 0; i < sizeof out; i++)
            out[i] = (char)(i * 7 + i / 251);
        NEED(send(c, out, sizeof out, 0));
        NEED(shutdown(c, SHUT_WR));
        size_t n = 0;
        ssize_t k;
        while (n < sizeof in && (k = recv(c, in + n, sizeof in - n, 0)) > 0)
            n += (size_t)k;
        say("echoed=%zu same=%d\n", n, n == sizeof in && memcmp(in, out, n) == 0);
        close(c);
    }
    say("child_exit=%d\n", wait_peer(pid));
    rmdir(dir);
    return 0;
}
