/*
 * sockopts — getsockopt/setsockopt: defaults and round trips of common
 * SOL_SOCKET, IPPROTO_TCP, IPPROTO_IP and IPPROTO_IPV6 options, value
 * normalisation (booleans read back as 1, buffer sizes doubled), range
 * errors, read-only options, unknown options/levels, short and long
 * option lengths, and what SO_REUSEADDR actually permits (a port held by
 * a TIME_WAIT connection, a port held by a listener), plus SO_REUSEPORT.
 *
 * Buffer sizes: only values set explicitly are printed (doubled by the
 * kernel); defaults of connected sockets are autotuned and never printed.
 */
#include "probe.h"

/* Print an int option as "label: ret=value" or the error. */
static void get_show(const char *label, int fd, int level, int opt)
{
    int v = -12345;
    socklen_t len = sizeof v;
    if (getsockopt(fd, level, opt, &v, &len) < 0)
        say("%s: ret=-1 errno=%s\n", label, errname(errno));
    else
        say("%s: value=%d optlen=%u\n", label, v, (unsigned)len);
}

/* Set an int option, print the result, then print what reads back. */
static void set_get(const char *name, int fd, int level, int opt, int val)
{
    char l[96];
    snprintf(l, sizeof l, "set %s=%d", name, val);
    SHOW(l, set_int_opt(fd, level, opt, val));
    snprintf(l, sizeof l, "  get %s", name);
    get_show(l, fd, level, opt);
}

static void timeo_show(const char *label, int fd, int opt)
{
    struct timeval tv = { -1, -1 };
    socklen_t len = sizeof tv;
    if (getsockopt(fd, SOL_SOCKET, opt, &tv, &len) < 0)
        say("%s: ret=-1 errno=%s\n", label, errname(errno));
    else
        say("%s: %ld.%06ld optlen=%u\n", label, (long)tv.tv_sec, (long)tv.tv_usec,
            (unsigned)len);
}

int main(void)
{
    probe_init();
    int t = NEED(socket(AF_INET, SOCK_STREAM, 0));
    int u = NEED(socket(AF_INET, SOCK_DGRAM, 0));
    int t6 = NEED(socket(AF_INET6, SOCK_STREAM, 0));

    say("== SOL_SOCKET booleans ==\n");
    get_show("SO_REUSEADDR default", t, SOL_SOCKET, SO_REUSEADDR);
    set_get("SO_REUSEADDR", t, SOL_SOCKET, SO_REUSEADDR, 1);
    set_get("SO_REUSEADDR", t, SOL_SOCKET, SO_REUSEADDR, 5);
    set_get("SO_REUSEADDR", t, SOL_SOCKET, SO_REUSEADDR, 0);
    get_show("SO_REUSEPORT default", t, SOL_SOCKET, SO_REUSEPORT);
    set_get("SO_REUSEPORT", t, SOL_SOCKET, SO_REUSEPORT, 1);
    get_show("SO_KEEPALIVE default", t, SOL_SOCKET, SO_KEEPALIVE);
    set_get("SO_KEEPALIVE", t, SOL_SOCKET, SO_KEEPALIVE, 7);
    get_show("SO_BROADCAST default (udp)", u, SOL_SOCKET, SO_BROADCAST);
    set_get("SO_BROADCAST", u, SOL_SOCKET, SO_BROADCAST, 1);
    get_show("SO_OOBINLINE default", t, SOL_SOCKET, SO_OOBINLINE);
    get_show("SO_DONTROUTE default", t, SOL_SOCKET, SO_DONTROUTE);
    set_get("SO_PRIORITY", t, SOL_SOCKET, SO_PRIORITY, 3);

    say("== SOL_SOCKET read-only ==\n");
    get_show("SO_TYPE tcp", t, SOL_SOCKET, SO_TYPE);
    get_show("SO_TYPE udp", u, SOL_SOCKET, SO_TYPE);
    get_show("SO_PROTOCOL udp", u, SOL_SOCKET, SO_PROTOCOL);
    get_show("SO_DOMAIN v6", t6, SOL_SOCKET, SO_DOMAIN);
    get_show("SO_ACCEPTCONN", t, SOL_SOCKET, SO_ACCEPTCONN);
    SHOW("set SO_TYPE", set_int_opt(t, SOL_SOCKET, SO_TYPE, SOCK_DGRAM));
    SHOW("set SO_ACCEPTCONN", set_int_opt(t, SOL_SOCKET, SO_ACCEPTCONN, 1));
    SHOW("set SO_ERROR", set_int_opt(t, SOL_SOCKET, SO_ERROR, 0));
    SHOW("set SO_DOMAIN", set_int_opt(t, SOL_SOCKET, SO_DOMAIN, AF_INET6));

    say("== buffer sizes (explicitly set: the kernel doubles them) ==\n");
    set_get("SO_RCVBUF", t, SOL_SOCKET, SO_RCVBUF, 65536);
    set_get("SO_SNDBUF", t, SOL_SOCKET, SO_SNDBUF, 100000);
    set_get("SO_RCVBUF", u, SOL_SOCKET, SO_RCVBUF, 32768);
    set_get("SO_SNDBUF", u, SOL_SOCKET, SO_SNDBUF, 50000);

    say("== SO_LINGER ==\n");
    struct linger lg = { -1, -1 };
    socklen_t len = sizeof lg;
    SHOW("get SO_LINGER", getsockopt(t, SOL_SOCKET, SO_LINGER, &lg, &len));
    say("  onoff=%d linger=%d optlen=%u\n", lg.l_onoff, lg.l_linger, (unsigned)len);
    lg.l_onoff = 3;
    lg.l_linger = 5;
    SHOW("set SO_LINGER {3,5}", setsockopt(t, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
    len = sizeof lg;
    memset(&lg, 0xff, sizeof lg);
    SHOW("get SO_LINGER", getsockopt(t, SOL_SOCKET, SO_LINGER, &lg, &len));
    say("  onoff=%d linger=%d\n", lg.l_onoff, lg.l_linger);
    SHOW("set SO_LINGER short optlen", setsockopt(t, SOL_SOCKET, SO_LINGER, &lg, 4));

    say("== SO_RCVTIMEO / SO_SNDTIMEO ==\n");
    timeo_show("SO_RCVTIMEO default", t, SO_RCVTIMEO);
    struct timeval tv = { 1, 500000 };
    SHOW("set SO_RCVTIMEO 1.5s", setsockopt(t, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    timeo_show("SO_RCVTIMEO", t, SO_RCVTIMEO);
    tv = (struct timeval){ 0, 200000 };
    SHOW("set SO_SNDTIMEO 0.2s", setsockopt(t, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv));
    timeo_show("SO_SNDTIMEO", t, SO_SNDTIMEO);
    tv = (struct timeval){ 0, 1000000 };
    SHOW("set SO_RCVTIMEO usec=1000000", setsockopt(t, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    SHOW("set SO_RCVTIMEO short optlen", setsockopt(t, SOL_SOCKET, SO_RCVTIMEO, &tv, 4));
    tv = (struct timeval){ 0, 0 };
    SHOW("set SO_RCVTIMEO 0 (= no timeout)", setsockopt(t, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    timeo_show("SO_RCVTIMEO", t, SO_RCVTIMEO);

    say("== IPPROTO_TCP ==\n");
    get_show("TCP_NODELAY default", t, IPPROTO_TCP, TCP_NODELAY);
    set_get("TCP_NODELAY", t, IPPROTO_TCP, TCP_NODELAY, 1);
    set_get("TCP_NODELAY", t, IPPROTO_TCP, TCP_NODELAY, 42);
    get_show("TCP_CORK default", t, IPPROTO_TCP, TCP_CORK);
    get_show("TCP_KEEPIDLE default", t, IPPROTO_TCP, TCP_KEEPIDLE);
    get_show("TCP_KEEPINTVL default", t, IPPROTO_TCP, TCP_KEEPINTVL);
    get_show("TCP_KEEPCNT default", t, IPPROTO_TCP, TCP_KEEPCNT);
    set_get("TCP_KEEPIDLE", t, IPPROTO_TCP, TCP_KEEPIDLE, 60);
    set_get("TCP_KEEPIDLE", t, IPPROTO_TCP, TCP_KEEPIDLE, 0);
    set_get("TCP_KEEPINTVL", t, IPPROTO_TCP, TCP_KEEPINTVL, 10);
    set_get("TCP_KEEPCNT", t, IPPROTO_TCP, TCP_KEEPCNT, 3);
    set_get("TCP_KEEPCNT", t, IPPROTO_TCP, TCP_KEEPCNT, 1000);
    get_show("TCP_NODELAY on v6", t6, IPPROTO_TCP, TCP_NODELAY);
    get_show("TCP_NODELAY on udp", u, IPPROTO_TCP, TCP_NODELAY);
    SHOW("set TCP_NODELAY on udp", set_int_opt(u, IPPROTO_TCP, TCP_NODELAY, 1));

    say("== IPPROTO_IP / IPPROTO_IPV6 ==\n");
    get_show("IP_TTL default", t, IPPROTO_IP, IP_TTL);
    set_get("IP_TTL", t, IPPROTO_IP, IP_TTL, 10);
    set_get("IP_TTL", t, IPPROTO_IP, IP_TTL, 0);
    set_get("IP_TTL", t, IPPROTO_IP, IP_TTL, 256);
    set_get("IP_TTL (-1 = default)", t, IPPROTO_IP, IP_TTL, -1);
    get_show("IP_TOS default", u, IPPROTO_IP, IP_TOS);
    set_get("IP_TOS", u, IPPROTO_IP, IP_TOS, 0x10);
    get_show("IP_MULTICAST_LOOP default", u, IPPROTO_IP, IP_MULTICAST_LOOP);
    get_show("IP_MULTICAST_TTL default", u, IPPROTO_IP, IP_MULTICAST_TTL);
    get_show("IPV6_V6ONLY on v4 socket", t, IPPROTO_IPV6, IPV6_V6ONLY);
    SHOW("set IPV6_V6ONLY on v4 socket", set_int_opt(t, IPPROTO_IPV6, IPV6_V6ONLY, 1));
    get_show("IPV6_UNICAST_HOPS default", t6, IPPROTO_IPV6, IPV6_UNICAST_HOPS);
    set_get("IPV6_UNICAST_HOPS", t6, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 7);
    set_get("IPV6_V6ONLY", t6, IPPROTO_IPV6, IPV6_V6ONLY, 1);
    /* IPv4-level options on a v6 socket are accepted (for mapped use). */
    get_show("IP_TTL on v6 socket", t6, IPPROTO_IP, IP_TTL);

    say("== unknown options and levels ==\n");
    get_show("SOL_SOCKET opt 9999", t, SOL_SOCKET, 9999);
    SHOW("set SOL_SOCKET opt 9999", set_int_opt(t, SOL_SOCKET, 9999, 1));
    get_show("IPPROTO_TCP opt 9999", t, IPPROTO_TCP, 9999);
    get_show("IPPROTO_IP opt 9999", t, IPPROTO_IP, 9999);
    get_show("level 12345", t, 12345, 1);
    SHOW("set level 12345", set_int_opt(t, 12345, 1, 1));
    get_show("level IPPROTO_UDP on tcp", t, IPPROTO_UDP, 1);

    say("== option lengths ==\n");
    int one = 1;
    SHOW("set SO_REUSEADDR optlen 0", setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, 0));
    SHOW("set SO_REUSEADDR optlen 2", setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, 2));
    long long big = 1;
    SHOW("set SO_REUSEADDR optlen 8", setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &big, sizeof big));
    SHOW("set TCP_NODELAY optlen 2", setsockopt(t, IPPROTO_TCP, TCP_NODELAY, &one, 2));
    unsigned char small[8];
    memset(small, 0xee, sizeof small);
    len = 2;
    SHOW("get SO_TYPE optlen 2", getsockopt(t, SOL_SOCKET, SO_TYPE, small, &len));
    say("  optlen=%u bytes=%02x %02x %02x\n", (unsigned)len, small[0], small[1], small[2]);
    memset(small, 0xee, sizeof small);
    len = 0;
    SHOW("get SO_TYPE optlen 0", getsockopt(t, SOL_SOCKET, SO_TYPE, small, &len));
    say("  optlen=%u byte0=%02x\n", (unsigned)len, small[0]);
    memset(small, 0xee, sizeof small);
    len = 8;
    SHOW("get SO_TYPE optlen 8", getsockopt(t, SOL_SOCKET, SO_TYPE, small, &len));
    say("  optlen=%u byte4=%02x\n", (unsigned)len, small[4]);
    memset(small, 0xee, sizeof small);
    len = 1;
    SHOW("get IP_TTL optlen 1", getsockopt(u, IPPROTO_IP, IP_TTL, small, &len));
    say("  optlen=%u byte0=%u byte1=%02x\n", (unsigned)len, small[0], small[1]);
    memset(small, 0xee, sizeof small);
    len = 2;
    SHOW("get TCP_NODELAY optlen 2", getsockopt(t, IPPROTO_TCP, TCP_NODELAY, small, &len));
    say("  optlen=%u\n", (unsigned)len);
    len = (socklen_t)-1;
    SHOW("get SO_TYPE optlen -1", getsockopt(t, SOL_SOCKET, SO_TYPE, small, &len));
    len = sizeof(struct linger) - 1;
    SHOW("get SO_LINGER short optlen", getsockopt(t, SOL_SOCKET, SO_LINGER, small, &len));
    say("  optlen=%u\n", (unsigned)len);
    /* Not bound to a device: an empty name, whatever room is given. */
    char dev[16];
    len = sizeof dev;
    SHOW("get SO_BINDTODEVICE", getsockopt(t, SOL_SOCKET, SO_BINDTODEVICE, dev, &len));
    say("  optlen=%u\n", (unsigned)len);
    len = 4;
    SHOW("get SO_BINDTODEVICE udp optlen 4", getsockopt(u, SOL_SOCKET, SO_BINDTODEVICE, dev, &len));
    say("  optlen=%u\n", (unsigned)len);

    close(t);
    close(u);
    close(t6);

    say("== SO_REUSEADDR and TIME_WAIT ==\n");
    /* The side that closes first ends up in TIME_WAIT.  When that is the
     * server, its TIME_WAIT connection keeps the listening port busy, and
     * SO_REUSEADDR on the new socket only helps if the old connection had
     * it too (inherited from its listener): both sides must agree. */
    static const struct {
        const char *what;
        int server_first, listener_reuse;
    } tw[] = {
        { "server closed first, listener without SO_REUSEADDR", 1, 0 },
        { "server closed first, listener with SO_REUSEADDR", 1, 1 },
        { "client closed first", 0, 0 },
    };
    for (size_t i = 0; i < sizeof tw / sizeof tw[0]; i++) {
        int l = NEED(socket(AF_INET, SOCK_STREAM, 0));
        if (tw[i].listener_reuse)
            NEED(set_int_opt(l, SOL_SOCKET, SO_REUSEADDR, 1));
        struct sockaddr_in a = sa4("127.0.0.1", 0);
        NEED(bind(l, (struct sockaddr *)&a, sizeof a));
        NEED(listen(l, 4));
        int port = local_port(l);
        int c = tcp_connect(AF_INET, "127.0.0.1", port);
        int s = NEED(accept(l, NULL, NULL));
        int first = tw[i].server_first ? s : c;
        int second = tw[i].server_first ? c : s;
        char b;
        close(first);
        recv(second, &b, 1, 0); /* returns 0 once the FIN is in */
        close(second);
        close(l);
        sleep_ms(20); /* let the final ACK land */
        say("-- %s --\n", tw[i].what);
        a = sa4("127.0.0.1", port);
        int n = NEED(socket(AF_INET, SOCK_STREAM, 0));
        SHOW("bind old port without SO_REUSEADDR", bind(n, (struct sockaddr *)&a, sizeof a));
        close(n);
        n = NEED(socket(AF_INET, SOCK_STREAM, 0));
        NEED(set_int_opt(n, SOL_SOCKET, SO_REUSEADDR, 1));
        if (SHOW("bind old port with SO_REUSEADDR", bind(n, (struct sockaddr *)&a, sizeof a)) == 0)
            SHOW("listen", listen(n, 1));
        close(n);
    }

    say("== SO_REUSEADDR does not allow two listeners ==\n");
    {
        int a1 = NEED(socket(AF_INET, SOCK_STREAM, 0));
        int a2 = NEED(socket(AF_INET, SOCK_STREAM, 0));
        NEED(set_int_opt(a1, SOL_SOCKET, SO_REUSEADDR, 1));
        NEED(set_int_opt(a2, SOL_SOCKET, SO_REUSEADDR, 1));
        struct sockaddr_in a = sa4("127.0.0.1", 0);
        NEED(bind(a1, (struct sockaddr *)&a, sizeof a));
        a = sa4("127.0.0.1", local_port(a1));
        /* Neither listens yet: both may bind... */
        SHOW("second bind, both SO_REUSEADDR, none listening", bind(a2, (struct sockaddr *)&a, sizeof a));
        SHOW("first listens", listen(a1, 1));
        /* ...but only one may listen. */
        SHOW("second listens", listen(a2, 1));
        close(a2);
        a2 = NEED(socket(AF_INET, SOCK_STREAM, 0));
        NEED(set_int_opt(a2, SOL_SOCKET, SO_REUSEADDR, 1));
        SHOW("bind while first is listening", bind(a2, (struct sockaddr *)&a, sizeof a));
        close(a2);
        close(a1);
    }

    say("== SO_REUSEPORT ==\n");
    {
        int a1 = NEED(socket(AF_INET, SOCK_STREAM, 0));
        int a2 = NEED(socket(AF_INET, SOCK_STREAM, 0));
        int a3 = NEED(socket(AF_INET, SOCK_STREAM, 0));
        NEED(set_int_opt(a1, SOL_SOCKET, SO_REUSEPORT, 1));
        NEED(set_int_opt(a2, SOL_SOCKET, SO_REUSEPORT, 1));
        struct sockaddr_in a = sa4("127.0.0.1", 0);
        NEED(bind(a1, (struct sockaddr *)&a, sizeof a));
        NEED(listen(a1, 4));
        a = sa4("127.0.0.1", local_port(a1));
        SHOW("second bind with SO_REUSEPORT", bind(a2, (struct sockaddr *)&a, sizeof a));
        SHOW("second listen", listen(a2, 4));
        SHOW("third bind without SO_REUSEPORT", bind(a3, (struct sockaddr *)&a, sizeof a));
        /* Which listener gets a connection is a hash: only check that
         * exactly one of them has it. */
        int c = tcp_connect(AF_INET, "127.0.0.1", local_port(a1));
        NEED(set_nonblock(a1, 1));
        NEED(set_nonblock(a2, 1));
        int got = 0;
        WAIT_UNTIL(({
            int s1 = accept(a1, NULL, NULL), s2 = accept(a2, NULL, NULL);
            if (s1 >= 0) { got++; close(s1); }
            if (s2 >= 0) { got++; close(s2); }
            got > 0;
        }), 1000);
        say("connection accepted by exactly one listener: %d\n", got == 1);
        close(c);
        close(a3);
        close(a2);
        close(a1);
    }
    return 0;
}
