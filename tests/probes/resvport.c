/*
 * resvport — bindresvport(), rresvport() and rresvport_af(): glibc binds
 * their sockets through internal calls.  Ports in glibc's order (the
 * first from the pid, 600..1023, then 512..599), errno for a wrong
 * family, a bound socket, a non-local address, and when every port is
 * taken (EADDRINUSE; EAGAIN for rresvport).  glibc has no IPv6 variant
 * (bindresvport6 is declared, not exported); libtirpc's bindresvport_sa,
 * which binds through the exported bind(), is checked for IPv6 too.
 */
#include "probe.h"
#include <dlfcn.h>
#include <netdb.h>

#define NPORTS (1023 - 600 + 1)

static void show_resv(const char *label, int r, const struct sockaddr_in *sin)
{
    int e = errno;
    if (r < 0)
        say("%s: ret=-1 errno=%s\n", label, errname(e));
    else
        say("%s: ret=%d errno_after=%s\n", label, r, errname(e));
    errno = e;
    (void)sin;
}

/* Take every port from lo to hi on ip (UDP or TCP); what is already taken
 * stays taken, which is all that matters here. */
static void fill(int family, int type, const char *ip, int lo, int hi)
{
    for (int p = lo; p <= hi; p++) {
        struct sockaddr_storage ss;
        socklen_t len = sa_make(family, ip, p, &ss);
        int fd = NEED(socket(family, type, 0));
        if (bind(fd, (struct sockaddr *)&ss, len) < 0)
            close(fd);
    }
}

/* libtirpc's bindresvport_sa (loaded if present: both runs say so). */
static void tirpc(void)
{
    void *h = dlopen("libtirpc.so.3", RTLD_NOW);
    int (*resv_sa)(int, struct sockaddr *) = h ? dlsym(h, "bindresvport_sa") : NULL;
    if (!resv_sa) {
        say("libtirpc: not installed\n");
        return;
    }
    int fd = NEED(socket(AF_INET6, SOCK_DGRAM, 0));
    struct sockaddr_in6 a6 = sa6("::1", 0);
    SHOW("libtirpc bindresvport_sa ::1", resv_sa(fd, (struct sockaddr *)&a6));
    CHECK("port in 512..1023", local_port(fd) >= 512 && local_port(fd) <= 1023);
    show_name("name", fd, 0);
    close(fd);
    fd = NEED(socket(AF_INET6, SOCK_STREAM, 0));
    SHOW("libtirpc bindresvport_sa NULL on v6", resv_sa(fd, NULL));
    CHECK("port in 512..1023", local_port(fd) >= 512 && local_port(fd) <= 1023);
    show_name("name", fd, 0);
    close(fd);
}

int main(void)
{
    probe_init();
    say("== bindresvport ==\n");
    int fd = NEED(socket(AF_INET, SOCK_STREAM, 0));
    struct sockaddr_in sin = sa4("127.0.0.1", 5);
    errno = 0;
    show_resv("tcp 127.0.0.1", bindresvport(fd, &sin), &sin);
    int first = ntohs(sin.sin_port);
    CHECK("first port from pid", first == getpid() % NPORTS + 600);
    CHECK("bound to it", local_port(fd) == first);
    show_name("name", fd, 0);

    int fd2 = NEED(socket(AF_INET, SOCK_STREAM, 0));
    errno = 0;
    show_resv("tcp NULL", bindresvport(fd2, NULL), NULL);
    CHECK("next port", local_port(fd2) == first + 1 ||
                       (first == 1023 && local_port(fd2) == 600));
    show_name("name", fd2, 0);

    SHOW("again on a bound socket", bindresvport(fd, &sin));
    struct sockaddr_in6 s6 = sa6("::1", 0);
    int fd6 = NEED(socket(AF_INET6, SOCK_STREAM, 0));
    SHOW("sockaddr_in6", bindresvport(fd6, (struct sockaddr_in *)&s6));
    SHOW("v6 socket, NULL", bindresvport(fd6, NULL));
    sin = sa4("127.0.0.1", 0);
    SHOW("v6 socket, v4 address", bindresvport(fd6, &sin));
    sin = sa4("10.1.2.3", 0);
    int u = NEED(socket(AF_INET, SOCK_DGRAM, 0));
    SHOW("non-local address", bindresvport(u, &sin));
    SHOW("bad fd", bindresvport(999, &sin));
    close(u);
    tirpc();

    /* 600..1023 taken: glibc moves to 512..599, for good. */
    fill(AF_INET, SOCK_DGRAM, "127.0.0.1", 600, 1023);
    u = NEED(socket(AF_INET, SOCK_DGRAM, 0));
    sin = sa4("127.0.0.1", 0);
    errno = 0;
    show_resv("udp, 600..1023 taken", bindresvport(u, &sin), &sin);
    int low = ntohs(sin.sin_port);
    CHECK("port in 512..599", low >= 512 && low <= 599);
    CHECK("bound to it", local_port(u) == low);
    fill(AF_INET, SOCK_DGRAM, "127.0.0.1", 512, 599);
    u = NEED(socket(AF_INET, SOCK_DGRAM, 0));
    sin = sa4("127.0.0.1", 0);
    show_resv("udp, all taken", bindresvport(u, &sin), &sin);
    CHECK("unbound", local_port(u) == 0);
    sin = sa4("127.0.0.2", 0);
    errno = 0;
    show_resv("udp 127.0.0.2", bindresvport(u, &sin), &sin);
    CHECK("port in 512..1023", local_port(u) >= 512 && local_port(u) <= 1023);

    say("== rresvport ==\n");
    int p = 2000;
    fd = SHOWFD("rresvport_af AF_INET from 2000", rresvport_af(&p, AF_INET));
    say("port=%d bound=%d\n", p, local_port(fd));
    show_name("name", fd, 0);
    p = 100;
    fd = SHOWFD("rresvport_af AF_INET6 from 100", rresvport_af(&p, AF_INET6));
    say("port=%d bound=%d\n", p, local_port(fd));
    show_name("name", fd, 0);
    p = 700;
    SHOW("rresvport_af AF_UNIX", rresvport_af(&p, AF_UNIX));
    say("port=%d\n", p);
    p = 1023;
    errno = 0;
    fd = SHOWFD("rresvport from 1023", rresvport(&p));
    say("port=%d bound=%d errno_after=%s\n", p, local_port(fd), errname(errno));
    say("type=%d cloexec=%d\n", get_int_opt(fd, SOL_SOCKET, SO_TYPE),
        fcntl(fd, F_GETFD) & FD_CLOEXEC);
    fill(AF_INET6, SOCK_STREAM, "::", 512, 1023);
    p = 800;
    SHOW("rresvport, all taken", rresvport(&p));
    say("port=%d\n", p);
    SHOW("rresvport_af AF_INET6, all taken", rresvport_af(&p, AF_INET6));
    say("port=%d\n", p);
    return 0;
}
