/*
 * fdops — sockets as file descriptors: fcntl flags (O_NONBLOCK shared
 * between duplicates, FD_CLOEXEC per descriptor), F_DUPFD with a minimum,
 * dup/dup2/dup3, closing one duplicate keeps the connection open, fstat,
 * lseek, ioctl FIONBIO/FIONREAD/SIOCINQ/SIOCOUTQ, and a socket inherited
 * across fork().
 */
#include "probe.h"
#include <linux/sockios.h>
#include <sys/stat.h>
#include <termios.h>

static int fl_nonblock(int fd) { return !!(fcntl(fd, F_GETFL) & O_NONBLOCK); }
static int fd_cloexec(int fd) { return !!(fcntl(fd, F_GETFD) & FD_CLOEXEC); }

static int ioctl_int(int fd, unsigned long req)
{
    int v = -1;
    return ioctl(fd, req, &v) < 0 ? -1 : v;
}

/* Forked child writing through an inherited socket. */
static int inherit_child(void *arg)
{
    int fd = *(int *)arg;
    if (write_full(fd, "from child", 10) != 10)
        return 2;
    char b[8];
    if (read_full(fd, b, 5) != 5 || memcmp(b, "reply", 5) != 0)
        return 3;
    close(fd);
    return 0;
}

int main(void)
{
    probe_init();
    char buf[64];
    int c, s;
    tcp_pair(AF_INET, &c, &s);

    say("== fcntl ==\n");
    int fl = fcntl(c, F_GETFL);
    say("F_GETFL accmode==O_RDWR=%d nonblock=%d\n", (fl & O_ACCMODE) == O_RDWR,
        !!(fl & O_NONBLOCK));
    say("F_GETFD cloexec=%d\n", fd_cloexec(c));
    SHOW("F_SETFL O_NONBLOCK", fcntl(c, F_SETFL, fl | O_NONBLOCK));
    say("nonblock=%d\n", fl_nonblock(c));
    SHOW("recv now", recv(c, buf, sizeof buf, 0));
    SHOW("F_SETFL 0", fcntl(c, F_SETFL, fl & ~O_NONBLOCK));
    say("nonblock=%d\n", fl_nonblock(c));
    SHOW("F_SETFD FD_CLOEXEC", fcntl(c, F_SETFD, FD_CLOEXEC));
    say("cloexec=%d\n", fd_cloexec(c));
    SHOW("F_SETFD 0", fcntl(c, F_SETFD, 0));
    say("cloexec=%d\n", fd_cloexec(c));
    /* O_APPEND etc. are accepted; access mode bits are ignored. */
    SHOW("F_SETFL O_RDONLY|O_NONBLOCK", fcntl(c, F_SETFL, O_RDONLY | O_NONBLOCK));
    fl = fcntl(c, F_GETFL);
    say("accmode still O_RDWR=%d nonblock=%d\n", (fl & O_ACCMODE) == O_RDWR,
        !!(fl & O_NONBLOCK));
    NEED(set_nonblock(c, 0));

    say("== ioctl FIONBIO ==\n");
    int on = 1;
    SHOW("FIONBIO 1", ioctl(c, FIONBIO, &on));
    say("nonblock=%d\n", fl_nonblock(c));
    SHOW("recv now", recv(c, buf, sizeof buf, 0));
    on = 0;
    SHOW("FIONBIO 0", ioctl(c, FIONBIO, &on));
    say("nonblock=%d\n", fl_nonblock(c));

    say("== F_DUPFD / dup / dup2 / dup3 ==\n");
    int d1 = SHOWFD("F_DUPFD min 100", fcntl(c, F_DUPFD, 100));
    say("fd >= 100: %d cloexec=%d\n", d1 >= 100, fd_cloexec(d1));
    int d2 = SHOWFD("F_DUPFD_CLOEXEC min 200", fcntl(c, F_DUPFD_CLOEXEC, 200));
    say("fd >= 200: %d cloexec=%d\n", d2 >= 200, fd_cloexec(d2));
    int d3 = SHOWFD("dup", dup(c));
    CHECK("dup same local port", local_port(d3) == local_port(c));
    CHECK("dup same peer port", peer_port(d3) == peer_port(c));
    /* Status flags live in the shared open file description... */
    NEED(set_nonblock(d3, 1));
    say("nonblock set via dup: orig=%d d1=%d\n", fl_nonblock(c), fl_nonblock(d1));
    NEED(set_nonblock(d3, 0));
    /* ...descriptor flags do not. */
    NEED(fcntl(d3, F_SETFD, FD_CLOEXEC));
    say("cloexec set via dup: orig=%d dup=%d\n", fd_cloexec(c), fd_cloexec(d3));
    SHOW("send via dup", send(d3, "dup!", 4, 0));
    memset(buf, 0, sizeof buf);
    SHOW("peer recv", read_full(s, buf, 4));
    say("data: %s\n", buf);
    SHOW("send to orig", send(s, "back", 4, 0));
    memset(buf, 0, sizeof buf);
    SHOW("recv via F_DUPFD copy", read_full(d1, buf, 4));
    say("data: %s\n", buf);

    /* dup2 over an unrelated descriptor (a pipe end) replaces it. */
    int pfd[2];
    NEED(pipe(pfd));
    SHOW("dup2 onto pipe fd (returns target)", dup2(c, pfd[0]) == pfd[0]);
    CHECK("target is now the socket", local_port(pfd[0]) == local_port(c));
    SHOW("dup2 fd onto itself (returns fd)", dup2(c, c) == c);
    SHOW("dup3 fd onto itself", dup3(c, c, 0));
    SHOW("dup3 bad flags", dup3(c, pfd[1], 12345));
    SHOW("dup3 O_CLOEXEC (returns target)", dup3(c, pfd[1], O_CLOEXEC) == pfd[1]);
    say("dup3 target cloexec=%d\n", fd_cloexec(pfd[1]));
    int closed = NEED(socket(AF_INET, SOCK_STREAM, 0));
    close(closed);
    SHOW("dup2 from closed fd", dup2(closed, pfd[1]));

    say("== closing duplicates ==\n");
    /* The connection lives until the last descriptor is closed. */
    int dups[] = { c, d1, d2, d3, pfd[0] };
    for (int i = 0; i < 5; i++) {
        NEED(close(dups[i]));
        int r = (int)recv(s, buf, sizeof buf, MSG_DONTWAIT);
        say("closed %d of 6: peer recv %s\n", i + 1,
            r == 0 ? "EOF" : r < 0 ? errname(errno) : "data");
    }
    SHOW("send via last duplicate", send(pfd[1], "last", 4, 0));
    NEED(close(pfd[1]));
    SHOW("peer recv data", read_full(s, buf, 4));
    SHOW("peer recv after last close", recv(s, buf, sizeof buf, 0));
    SHOW("close again", close(pfd[1]));
    close(s);

    say("== shutdown through a duplicate ==\n");
    tcp_pair(AF_INET, &c, &s);
    d1 = dup(c);
    SHOW("shutdown(dup, SHUT_WR)", shutdown(d1, SHUT_WR));
    SHOW("send via original", send(c, "x", 1, 0));
    SHOW("peer recv", recv(s, buf, sizeof buf, 0));
    close(d1);
    close(c);
    close(s);

    say("== fstat / lseek ==\n");
    tcp_pair(AF_INET, &c, &s);
    struct stat st;
    SHOW("fstat", fstat(c, &st));
    say("S_ISSOCK=%d\n", S_ISSOCK(st.st_mode));
    SHOW("lseek", lseek(c, 0, SEEK_SET));
    SHOW("pread", pread(c, buf, 1, 0));
    int ud = NEED(socket(AF_INET, SOCK_DGRAM, 0));
    SHOW("fstat udp", fstat(ud, &st));
    say("S_ISSOCK=%d\n", S_ISSOCK(st.st_mode));
    close(ud);

    say("== FIONREAD / SIOCINQ / SIOCOUTQ ==\n");
    SHOW("FIONREAD empty", ioctl_int(s, FIONREAD));
    SHOW("send 10", send(c, "0123456789", 10, 0));
    WAIT_UNTIL(ioctl_int(s, FIONREAD) == 10, 1000);
    SHOW("FIONREAD", ioctl_int(s, FIONREAD));
    SHOW("SIOCINQ", ioctl_int(s, SIOCINQ));
    SHOW("recv 4", recv(s, buf, 4, 0));
    SHOW("FIONREAD after partial read", ioctl_int(s, FIONREAD));
    SHOW("recv rest", recv(s, buf, sizeof buf, 0));
    /* Sent data leaves SIOCOUTQ once the peer acknowledged it; that
     * happens on arrival, not when the application reads it. */
    WAIT_UNTIL(ioctl_int(c, SIOCOUTQ) == 0, 1000);
    SHOW("SIOCOUTQ after peer received", ioctl_int(c, SIOCOUTQ));
    WAIT_UNTIL(ioctl_int(c, SIOCOUTQNSD) == 0, 1000);
    SHOW("SIOCOUTQNSD", ioctl_int(c, SIOCOUTQNSD));
    int port;
    int l = tcp_listener(AF_INET, "127.0.0.1", 1, &port);
    SHOW("FIONREAD on listener", ioctl_int(l, FIONREAD));
    SHOW("SIOCOUTQ on listener", ioctl_int(l, SIOCOUTQ));
    close(l);
    /* isatty() relies on this one. */
    SHOW("TCGETS (tty ioctl) on socket", ioctl(c, TCGETS, buf));
    SHOW("isatty", isatty(c));
    close(c);
    close(s);

    say("== socket inherited across fork ==\n");
    tcp_pair(AF_INET, &c, &s);
    pid_t pid = fork_peer(inherit_child, &c);
    /* The parent's copy stays open, so the peer gets no EOF from the
     * child's close; close ours too before waiting for EOF. */
    close(c);
    memset(buf, 0, sizeof buf);
    SHOW("recv from child", read_full(s, buf, 10));
    say("data: %s\n", buf);
    SHOW("reply", send(s, "reply", 5, 0));
    SHOW("EOF after child closed", recv(s, buf, sizeof buf, 0));
    say("child exit=%d\n", wait_peer(pid));
    close(s);
    return 0;
}
