/*
 * bind_accepted — a port stays taken by the connections a listener
 * accepted after the listener itself is closed: a new bind() of the port
 * overlapping their address fails with EADDRINUSE unless both the
 * listener (whose options the accepted sockets inherit) and the new
 * socket have SO_REUSEADDR, or both SO_REUSEPORT; a bind to another
 * address of the port, or after the connections are gone, succeeds.
 */
#include "probe.h"

/* Bind a new socket to ip:port with the given options; listen on it if
 * that worked and `do_listen` (only ever on loopback addresses). */
static void try_bind(const char *label, int family, const char *ip, int port,
                     int reuseaddr, int reuseport, int do_listen)
{
    struct sockaddr_storage ss;
    socklen_t len = sa_make(family, ip, port, &ss);
    int fd = NEED(socket(family, SOCK_STREAM, 0));
    if (reuseaddr)
        NEED(set_int_opt(fd, SOL_SOCKET, SO_REUSEADDR, 1));
    if (reuseport)
        NEED(set_int_opt(fd, SOL_SOCKET, SO_REUSEPORT, 1));
    char l[160];
    snprintf(l, sizeof l, "%s: bind %s ra=%d rp=%d", label, ip, reuseaddr,
             reuseport);
    if (SHOW(l, bind(fd, (struct sockaddr *)&ss, len)) == 0 && do_listen) {
        snprintf(l, sizeof l, "%s: listen %s", label, ip);
        SHOW(l, listen(fd, 1));
    }
    close(fd);
}

/* A listener on lip with the given options, one accepted connection
 * (client *c, server end *s); the listener is closed on return. */
static int accepted_pair(int family, const char *lip, const char *cip,
                         int reuseaddr, int reuseport, int *c, int *s)
{
    struct sockaddr_storage ss;
    socklen_t len = sa_make(family, lip, 0, &ss);
    int l = NEED(socket(family, SOCK_STREAM, 0));
    if (reuseaddr)
        NEED(set_int_opt(l, SOL_SOCKET, SO_REUSEADDR, 1));
    if (reuseport)
        NEED(set_int_opt(l, SOL_SOCKET, SO_REUSEPORT, 1));
    NEED(bind(l, (struct sockaddr *)&ss, len));
    NEED(listen(l, 4));
    int port = local_port(l);
    *c = tcp_connect(strchr(cip, ':') ? AF_INET6 : AF_INET, cip, port);
    *s = NEED(accept(l, NULL, NULL));
    close(l);
    return port;
}

int main(void)
{
    probe_init();
    int c, s;
    for (int lra = 0; lra < 2; lra++) {
        for (int nra = 0; nra < 2; nra++) {
            int port = accepted_pair(AF_INET, "127.0.0.1", "127.0.0.1", lra, 0,
                                     &c, &s);
            char label[64];
            snprintf(label, sizeof label, "v4 listener ra=%d", lra);
            try_bind(label, AF_INET, "127.0.0.1", port, nra, 0, 1);
            try_bind(label, AF_INET, "0.0.0.0", port, nra, 0, 0);
            try_bind(label, AF_INET, "127.0.0.2", port, nra, 0, 1);
            try_bind(label, AF_INET6, "::", port, nra, 0, 0);
            try_bind(label, AF_INET6, "::1", port, nra, 0, 1);
            try_bind(label, AF_INET, "127.0.0.1", port, nra, 1, 0);
            /* The client closes first: the server end leaves no
             * TIME_WAIT behind, and the port is free again. */
            close(c);
            NEED(WAIT_UNTIL(recv(s, &(char){0}, 1, MSG_DONTWAIT) == 0, 2000) ? 0 : -1);
            close(s);
            try_bind(label, AF_INET, "127.0.0.1", port, nra, 0, 1);
        }
    }

    /* A dual-stack listener with SO_REUSEPORT; its accepted socket has a
     * v4-mapped address and inherits SO_REUSEPORT. */
    int port = accepted_pair(AF_INET6, "::", "127.0.0.1", 0, 1, &c, &s);
    try_bind("v6 listener rp=1", AF_INET, "127.0.0.1", port, 0, 1, 1);
    try_bind("v6 listener rp=1", AF_INET, "127.0.0.1", port, 0, 0, 0);
    try_bind("v6 listener rp=1", AF_INET6, "::1", port, 0, 0, 1);
    try_bind("v6 listener rp=1", AF_INET, "127.0.0.1", port, 1, 0, 0);
    /* The server end closes first: its TIME_WAIT holds the port. */
    close(s);
    try_bind("after server close", AF_INET, "127.0.0.1", port, 0, 0, 0);
    close(c);

    /* Several accepted connections, some closed: the last one alive still
     * holds the port. */
    int l = tcp_listener(AF_INET, "127.0.0.1", 8, &port);
    int cs[3], ss_[3];
    for (int i = 0; i < 3; i++) {
        cs[i] = tcp_connect(AF_INET, "127.0.0.1", port);
        ss_[i] = NEED(accept(l, NULL, NULL));
    }
    close(l);
    for (int i = 0; i < 2; i++) {
        close(cs[i]);
        NEED(WAIT_UNTIL(recv(ss_[i], &(char){0}, 1, MSG_DONTWAIT) == 0, 2000) ? 0 : -1);
        close(ss_[i]);
    }
    try_bind("one of three left", AF_INET, "127.0.0.1", port, 0, 0, 0);
    close(cs[2]);
    NEED(WAIT_UNTIL(recv(ss_[2], &(char){0}, 1, MSG_DONTWAIT) == 0, 2000) ? 0 : -1);
    close(ss_[2]);
    try_bind("none left", AF_INET, "127.0.0.1", port, 0, 0, 1);
    return 0;
}
