/*
 * fuzz_api — a seeded random walk over the socket API, printed call by
 * call, so that a run on the kernel and a run under libsimnet can be
 * compared line by line (tests/test_diff.c runs the default seeds).
 *
 *   fuzz_api                 seeds 1-12, 150 calls each
 *   FUZZ_SEEDS=100-999 FUZZ_STEPS=300 fuzz_api     more, by hand
 *
 * Each step picks a call (socket, bind, listen, connect, accept,
 * shutdown, getsockopt, setsockopt, ioctl, send*, recv*, names, close)
 * and random arguments: families, types, protocols, address families and
 * lengths, ports, levels, option names, values and lengths, flags.  The
 * generator is the program's own, so a seed means the same walk anywhere.
 *
 * What is printed is what is deterministic on the kernel: results and
 * errno names, lengths, option values except those the kernel makes up
 * (cookies, pids, autotuned buffers, timing), addresses as text and ports
 * as names ("0", "s2" for the port socket 2 is bound to, "eph").
 *
 * Safety: every address that could make a packet is a loopback one
 * (127.0.0.0/8, ::1, the wildcards that mean "this host"); non-local
 * addresses appear only in bind, which sends nothing.  Options that act
 * outside the socket (multicast membership, which sends IGMP/MLD; TCP_ULP,
 * which loads modules; TCP_REPAIR; iptables' getsockopts) and ioctls other
 * than a fixed safe list are never called.  Blocking is bounded: receive
 * and send calls use MSG_DONTWAIT, accept runs on a non-blocking copy of
 * the flags, and connect has SO_SNDTIMEO of 200 ms (never changed here).
 */
#include "probe.h"

#include <stdbool.h>
#include <netinet/udp.h>
#include <linux/sockios.h>

#define NSLOT 6

static uint64_t rng;
static uint32_t rnd(void)
{
    /* xorshift64*: small, and the same on every machine */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (uint32_t)((rng * 2685821657736338717ULL) >> 32);
}
static uint32_t pick(uint32_t n) { return rnd() % n; }
#define ONE_OF(...) ({ const long v_[] = { __VA_ARGS__ }; \
                       v_[pick(sizeof v_ / sizeof v_[0])]; })

static int slot[NSLOT];          /* fd, -1: empty */
static unsigned slot_gen[NSLOT]; /* sockets made in each slot so far */
static int seen_port[8], seen_type[8], seen_id[8], nseen;  /* ports our
                                   sockets were bound to, type, socket */

static int free_slot(void)
{
    for (int i = 0; i < NSLOT; i++)
        if (slot[i] < 0)
            return i;
    return -1;
}

/* A slot for a call on an fd: usually a live socket, sometimes an empty
 * slot (EBADF path) or a plain file (ENOTSOCK path). */
static int any_fd(int *which)
{
    int n = (int)pick(NSLOT + 2);
    *which = n;
    if (n < NSLOT)
        return slot[n];
    return n == NSLOT ? -1 : 0;   /* stdin: not a socket */
}

static int sock_type(int fd)
{
    int t = 0;
    socklen_t l = sizeof t;
    int e = errno;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &l) < 0)
        t = 0;
    errno = e;
    return t;
}

/* Ports are printed by name, never by number: "0", "s2" for the port of
 * socket 2, "old1" for one a socket held before, "eph" for another.  A
 * TCP and a UDP socket may hold the same number (two port spaces); the
 * kernel picks ephemeral ports at random and the library does not, so
 * such coincidences differ between the runs.  Hence a port we drew is
 * named by where it was drawn from, and a port we are told (accept,
 * recvfrom, names) is looked up among sockets of the same type as the
 * one the call was made on. */
static const char *port_name(int port, int type)
{
    static char buf[4][16];
    static int k;
    char *b = buf[k++ & 3];
    if (port == 0)
        return "0";
    for (int i = 0; i < NSLOT; i++)
        if (slot[i] >= 0 && local_port(slot[i]) == port && sock_type(slot[i]) == type) {
            snprintf(b, 16, "s%d", i);
            return b;
        }
    for (int i = 0; i < nseen; i++)
        if (seen_port[i] == port && seen_type[i] == type) {
            snprintf(b, 16, "old%d", i);
            return b;
        }
    return "eph";
}

/* The first port each socket (slot and generation) was seen bound to:
 * one entry per socket, not per number, since the library may hand the
 * same number out again where the kernel would not. */
static void remember_port(int w, int fd)
{
    if (fd < 0 || w >= NSLOT)
        return;
    int p = local_port(fd), id = w << 16 | (int)(slot_gen[w] & 0xffff);
    if (p <= 0)
        return;
    for (int i = 0; i < nseen; i++)
        if (seen_id[i] == id)
            return;
    seen_type[nseen % 8] = sock_type(fd);
    seen_id[nseen % 8] = id;
    seen_port[nseen++ % 8] = p;
    if (nseen > 8)
        nseen = 8;
}

/* A port for an address: 0, a port one of our sockets holds or held;
 * *name says where it came from. */
static int any_port(char *name, size_t n)
{
    int r = (int)pick(4);
    snprintf(name, n, "0");
    if (r == 0 || (r == 3 && nseen == 0))
        return 0;
    if (r == 3) {
        int i = (int)pick((uint32_t)nseen);
        snprintf(name, n, "old%d", i);
        return seen_port[i];
    }
    int i = (int)pick(NSLOT);
    int p = slot[i] >= 0 ? local_port(slot[i]) : 0;
    if (p > 0)
        snprintf(name, n, "s%d", i);
    return p;
}

/* An address, its length and a printable description.  local_only: only
 * addresses a packet may go to (connect, sendto). */
static socklen_t any_addr(struct sockaddr_storage *ss, char *desc, size_t dn,
                          bool local_only)
{
    static const char *v4_local[] = { "127.0.0.1", "127.0.0.2", "0.0.0.0" };
    static const char *v4_other[] = { "255.255.255.255", "192.0.2.1", "224.0.0.1" };
    static const char *v6_local[] = { "::1", "::", "::ffff:127.0.0.1" };
    static const char *v6_other[] = { "2001:db8::1", "::ffff:192.0.2.1" };
    memset(ss, 0, sizeof *ss);
    char pname[16];
    int port = any_port(pname, sizeof pname);
    int fam = (int)ONE_OF(AF_INET, AF_INET6, AF_INET, AF_INET6, AF_UNSPEC, AF_UNIX);
    const char *ip = "-";
    socklen_t len;
    if (fam == AF_INET || (fam == AF_UNSPEC && pick(2))) {
        bool other = !local_only && pick(4) == 0;
        ip = other ? v4_other[pick(3)] : v4_local[pick(3)];
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = (sa_family_t)fam;
        a->sin_port = htons((uint16_t)port);
        inet_pton(AF_INET, ip, &a->sin_addr);
        len = sizeof *a;
    } else if (fam == AF_INET6 || fam == AF_UNSPEC) {
        bool other = !local_only && pick(4) == 0;
        ip = other ? v6_other[pick(2)] : v6_local[pick(3)];
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = (sa_family_t)fam;
        a->sin6_port = htons((uint16_t)port);
        inet_pton(AF_INET6, ip, &a->sin6_addr);
        len = sizeof *a;
    } else {
        ss->ss_family = AF_UNIX;
        len = sizeof(sa_family_t) + 1;   /* an unnamed/abstract-ish stub */
    }
    /* Now and then a wrong length. */
    switch (pick(8)) {
    case 0: len = (socklen_t)ONE_OF(0, 1, 2, 8, 15, 16, 23, 24, 27, 28, 32, 128, 129, 200); break;
    default: break;
    }
    snprintf(desc, dn, "%s/%s:%s len=%u", family_name(fam), ip,
             pname, (unsigned)len);
    return len;
}

/* An address our calls returned: its text, the port by name. */
static const char *addr_text(const struct sockaddr_storage *ss, socklen_t len,
                             int type)
{
    static char buf[2][96];
    static int k;
    char *b = buf[k++ & 1], ip[64] = "?";
    int port = -1;
    if (ss->ss_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, ip, sizeof ip);
        port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
    } else if (ss->ss_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, ip, sizeof ip);
        port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
    }
    if (port < 0)
        snprintf(b, 96, "family=%d", ss->ss_family);
    else
        snprintf(b, 96, "%s:%s", ip, port_name(port, type));
    return b;
}

static void result(long r, int e)
{
    if (r < 0)
        say(" -> -1 %s\n", errname(e));
    else
        say(" -> %ld\n", r);
}

static void op_socket(void)
{
    int s = free_slot();
    if (s < 0)
        return;
    int fam = (int)ONE_OF(AF_INET, AF_INET6, AF_INET, AF_INET6, AF_UNSPEC, 77);
    int type = (int)ONE_OF(SOCK_STREAM, SOCK_DGRAM, SOCK_STREAM, SOCK_DGRAM, 9, SOCK_RDM);
    int flags = (int)ONE_OF(0, 0, SOCK_NONBLOCK, SOCK_CLOEXEC, 0x1000000);
    int proto = (int)ONE_OF(0, 0, 0, IPPROTO_TCP, IPPROTO_UDP, 99);
    errno = 0;
    int fd = socket(fam, type | flags, proto);
    int e = errno;
    say("socket(%s, %d|%#x, %d) s%d", family_name(fam), type, flags, proto, s);
    if (fd >= 0) {
        slot[s] = fd;
        slot_gen[s]++;
        struct timeval tv = { 0, 200000 };   /* bounds a blocking connect */
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        say(" -> ok\n");
    } else {
        result(fd, e);
    }
}

static void op_bind_connect(bool is_connect)
{
    int w, fd = any_fd(&w);
    struct sockaddr_storage ss;
    char d[128];
    socklen_t len = any_addr(&ss, d, sizeof d, is_connect);
    errno = 0;
    long r = is_connect ? connect(fd, (struct sockaddr *)&ss, len)
                        : bind(fd, (struct sockaddr *)&ss, len);
    int e = errno;
    say("%s(s%d, %s)", is_connect ? "connect" : "bind", w, d);
    result(r, e);
    if (r == 0 && fd >= 0)
        remember_port(w, fd);
}

static void op_listen(void)
{
    int w, fd = any_fd(&w);
    int bl = (int)ONE_OF(0, 1, 5, 128, -1, 100000);
    errno = 0;
    long r = listen(fd, bl);
    int e = errno;
    say("listen(s%d, %d)", w, bl);
    result(r, e);
    if (r == 0 && fd >= 0)
        remember_port(w, fd);
}

static void op_accept(void)
{
    int w, fd = any_fd(&w);
    int s = free_slot();
    if (s < 0)
        return;
    struct sockaddr_storage ss;
    socklen_t len = (socklen_t)ONE_OF(sizeof ss, sizeof ss, 0, 4);
    int fl = fd >= 0 ? fcntl(fd, F_GETFL) : 0;
    if (fd >= 0 && fl >= 0)
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    errno = 0;
    int n = accept4(fd, (struct sockaddr *)&ss, &len, pick(3) ? 0 : SOCK_NONBLOCK);
    int e = errno;
    if (fd >= 0 && fl >= 0)
        fcntl(fd, F_SETFL, fl);
    say("accept(s%d) s%d", w, s);
    if (n >= 0) {
        slot[s] = n;
        slot_gen[s]++;
        say(" -> ok len=%u peer=%s\n", (unsigned)len, addr_text(&ss, len, sock_type(fd)));
    } else {
        result(n, e);
    }
}

static void op_shutdown(void)
{
    int w, fd = any_fd(&w);
    int how = (int)ONE_OF(SHUT_RD, SHUT_WR, SHUT_RDWR, 3, -1);
    errno = 0;
    long r = shutdown(fd, how);
    int e = errno;
    say("shutdown(s%d, %d)", w, how);
    result(r, e);
}

/* Option names per level, within the ranges that are safe to call. */
static int any_level(void)
{
    return (int)ONE_OF(SOL_SOCKET, SOL_SOCKET, IPPROTO_IP, IPPROTO_IPV6,
                       IPPROTO_TCP, IPPROTO_TCP, IPPROTO_UDP, 999, -1);
}

/* IPv6 names that reach netfilter (ip6_tables' IP6T_SO_* 64, 65, 68, 69;
 * nf_conntrack's IP6T_SO_ORIGINAL_DST 80): the kernel's answer depends on
 * which modules the host has loaded, so no run can expect one. */
static bool netfilter_name(int level, int name)
{
    return level == IPPROTO_IPV6 &&
           (name == 64 || name == 65 || name == 68 || name == 69 || name == 80);
}

static int any_name(int level)
{
    switch (level) {
    case SOL_SOCKET:   return (int)pick(80);
    case IPPROTO_IP:   return (int)pick(50);
    case IPPROTO_IPV6: return (int)pick(82);
    case IPPROTO_TCP:  return (int)pick(40);
    case IPPROTO_UDP:  return (int)ONE_OF(0, 1, 2, 3, 100, 101, 102, 103, 104, 105);
    default:           return (int)pick(10);
    }
}

/* Never set: they act outside the socket, need modules, change what the
 * walk can observe (buffer sizes, the connect bound), or misbehave. */
static bool unsafe_set(int level, int name)
{
    if (level == SOL_SOCKET)
        return name == SO_SNDTIMEO_OLD || name == SO_RCVTIMEO_OLD ||
               name == SO_SNDTIMEO_NEW || name == SO_RCVTIMEO_NEW ||
               name == SO_SNDBUF || name == SO_RCVBUF ||
               name == SO_SNDBUFFORCE || name == SO_RCVBUFFORCE ||
               name == SO_ATTACH_FILTER || name == SO_ATTACH_BPF ||
               name == SO_ATTACH_REUSEPORT_CBPF || name == SO_ATTACH_REUSEPORT_EBPF ||
               name == SO_BINDTODEVICE || name == SO_BINDTOIFINDEX ||
               name == SO_MARK || name == SO_RCVMARK ||
               name == SO_ZEROCOPY || name == SO_TXTIME ||
               name == SO_BUSY_POLL || name == SO_PREFER_BUSY_POLL ||
               name == SO_BUSY_POLL_BUDGET || name == SO_MAX_PACING_RATE ||
               name == SO_PEEK_OFF || name == SO_DETACH_FILTER ||
               name == SO_LOCK_FILTER || name == SO_DEBUG;
    if (level == IPPROTO_IP)
        return (name >= IP_ADD_MEMBERSHIP && name <= 48) || name == IP_TRANSPARENT ||
               name == IP_HDRINCL || name == IP_OPTIONS || name == IP_MTU_DISCOVER ||
               name == IP_MULTICAST_IF || name == IP_MSFILTER || name == IP_XFRM_POLICY ||
               name == IP_IPSEC_POLICY || name == IP_ROUTER_ALERT || name == IP_FREEBIND;
    if (level == IPPROTO_IPV6)
        return name == IPV6_ADD_MEMBERSHIP || name == IPV6_DROP_MEMBERSHIP ||
               (name >= 42 && name <= 48) || name == IPV6_IPSEC_POLICY ||
               name == IPV6_XFRM_POLICY || name == IPV6_TRANSPARENT ||
               name == IPV6_ROUTER_ALERT || name == IPV6_FREEBIND ||
               name == IPV6_MULTICAST_IF || name == IPV6_MTU_DISCOVER ||
               name == IPV6_2292PKTOPTIONS || name == IPV6_HOPOPTS ||
               name == IPV6_RTHDR || name == IPV6_DSTOPTS || name == IPV6_RTHDRDSTOPTS ||
               name == IPV6_ADDRFORM || name == 32 /* IPV6_FLOWLABEL_MGR */;
    if (level == IPPROTO_TCP)
        return name == TCP_REPAIR || name == TCP_REPAIR_QUEUE ||
               name == TCP_QUEUE_SEQ || name == TCP_REPAIR_OPTIONS ||
               name == TCP_REPAIR_WINDOW || name == TCP_ULP ||
               name == TCP_MD5SIG || name == TCP_MD5SIG_EXT ||
               name == TCP_FASTOPEN_CONNECT || name == TCP_ZEROCOPY_RECEIVE ||
               name == TCP_CONGESTION || name == TCP_TX_DELAY ||
               name == TCP_WINDOW_CLAMP || name == TCP_MAXSEG;
    if (level == IPPROTO_UDP)
        return name >= 100;   /* encapsulation, GSO/GRO */
    return false;
}

/* Values the kernel makes up, or that depend on timing or the machine:
 * their bytes are not printed (length and result still are). */
static bool opaque_value(int level, int name)
{
    if (level == SOL_SOCKET)
        return name == SO_SNDBUF || name == SO_RCVBUF || name == SO_COOKIE ||
               name == SO_PEERCRED || name == SO_INCOMING_CPU ||
               name == SO_MEMINFO || name == SO_NETNS_COOKIE ||
               name == SO_INCOMING_NAPI_ID || name == SO_PEERSEC ||
               name == SO_PEERGROUPS || name == 77 /* SO_PEERPIDFD */ ||
               name == SO_PEERNAME || name == SO_RCVLOWAT ||
               name == SO_SNDTIMEO_OLD || name == SO_RCVTIMEO_OLD ||
               name == SO_SNDTIMEO_NEW || name == SO_RCVTIMEO_NEW;
    if (level == IPPROTO_TCP)
        return name == TCP_INFO || name == TCP_CC_INFO || name == TCP_TIMESTAMP || name == TCP_MAXSEG ||
               name == TCP_WINDOW_CLAMP || name == TCP_QUEUE_SEQ ||
               name == TCP_CONGESTION || name == TCP_SAVED_SYN;
    if (level == IPPROTO_IP)
        return name == IP_MTU || name == IP_PKTOPTIONS;
    if (level == IPPROTO_IPV6)
        return name == IPV6_MTU || name == IPV6_2292PKTOPTIONS || name == IPV6_PATHMTU;
    return false;
}

static void op_getsockopt(void)
{
    int w, fd = any_fd(&w);
    int level = any_level(), name = any_name(level);
    if ((level == IPPROTO_IP && name >= 48) || netfilter_name(level, name))
        return;
    unsigned char buf[256];
    memset(buf, 0xa5, sizeof buf);
    socklen_t len = (socklen_t)ONE_OF(0, 1, 2, 4, 4, 4, 8, 16, 64, 256);
    errno = 0;
    long r = getsockopt(fd, level, name, buf, &len);
    int e = errno;
    say("getsockopt(s%d, %d, %d)", w, level, name);
    if (r < 0) {
        result(r, e);
        return;
    }
    say(" -> %ld len=%u", r, (unsigned)len);
    if (!opaque_value(level, name) && len <= 16) {
        say(" val=");
        for (socklen_t i = 0; i < len; i++)
            say("%02x", buf[i]);
    }
    say("\n");
}

static void op_setsockopt(void)
{
    int w, fd = any_fd(&w);
    int level = any_level(), name = any_name(level);
    if (unsafe_set(level, name) || (level == IPPROTO_IP && name >= 48) ||
        netfilter_name(level, name))
        return;
    int32_t v[4] = { (int32_t)ONE_OF(0, 1, 1, -1, 2, 7, 255, 256, 65536),
                     (int32_t)ONE_OF(0, 1, 5), 0, 0 };
    socklen_t len = (socklen_t)ONE_OF(0, 1, 2, 4, 4, 4, 4, 8, 16);
    errno = 0;
    long r = setsockopt(fd, level, name, v, len);
    int e = errno;
    say("setsockopt(s%d, %d, %d, [%d,%d], %u)", w, level, name, v[0], v[1],
        (unsigned)len);
    result(r, e);
}

static void op_ioctl(void)
{
    int w, fd = any_fd(&w);
    unsigned long req = (unsigned long)ONE_OF(FIONREAD, SIOCOUTQ, SIOCATMARK,
                                              SIOCGSTAMP, FIONBIO, SIOCOUTQNSD);
    int v = (int)pick(2);
    struct timeval tv;
    void *arg = req == SIOCGSTAMP ? (void *)&tv : (void *)&v;
    errno = 0;
    long r = ioctl(fd, req, arg);
    int e = errno;
    say("ioctl(s%d, %#lx)", w, req);
    if (r >= 0 && (req == FIONREAD || req == SIOCATMARK))
        say(" -> %ld val=%d\n", r, v);
    else
        result(r, e);
}

static void op_send(void)
{
    int w, fd = any_fd(&w);
    static char data[2048];
    size_t n = (size_t)ONE_OF(0, 1, 10, 100, 1000, 2000);
    for (size_t i = 0; i < n; i++)
        data[i] = (char)('a' + (i + n) % 26);
    int flags = MSG_DONTWAIT | MSG_NOSIGNAL |
                (int)ONE_OF(0, 0, 0, MSG_OOB, MSG_MORE, MSG_EOR, MSG_CONFIRM, MSG_PEEK);
    struct sockaddr_storage ss;
    char d[128] = "-";
    socklen_t len = 0;
    bool to = pick(2);
    if (to)
        len = any_addr(&ss, d, sizeof d, true);
    errno = 0;
    long r = to ? sendto(fd, data, n, flags, (struct sockaddr *)&ss, len)
                : send(fd, data, n, flags);
    int e = errno;
    say("%s(s%d, %zu, %#x, %s)", to ? "sendto" : "send", w, n,
        flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL), d);
    result(r, e);
}

static void op_recv(void)
{
    int w, fd = any_fd(&w);
    char buf[4096];
    size_t n = (size_t)ONE_OF(0, 1, 64, 4096);
    int flags = MSG_DONTWAIT |
                (int)ONE_OF(0, 0, 0, MSG_PEEK, MSG_TRUNC, MSG_OOB, MSG_WAITALL, MSG_ERRQUEUE);
    struct sockaddr_storage ss;
    socklen_t len = (socklen_t)ONE_OF(sizeof ss, sizeof ss, 0, 8);
    memset(&ss, 0, sizeof ss);
    errno = 0;
    long r = recvfrom(fd, buf, n, flags, (struct sockaddr *)&ss, &len);
    int e = errno;
    say("recvfrom(s%d, %zu, %#x)", w, n, flags & ~MSG_DONTWAIT);
    if (r < 0) {
        result(r, e);
        return;
    }
    say(" -> %ld len=%u from=%s\n", r, (unsigned)len, addr_text(&ss, len, sock_type(fd)));
}

static void op_name(void)
{
    int w, fd = any_fd(&w);
    bool peer = pick(2);
    struct sockaddr_storage ss;
    socklen_t len = (socklen_t)ONE_OF(sizeof ss, sizeof ss, 0, 4, 16);
    memset(&ss, 0, sizeof ss);
    errno = 0;
    long r = peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
                  : getsockname(fd, (struct sockaddr *)&ss, &len);
    int e = errno;
    say("%s(s%d)", peer ? "getpeername" : "getsockname", w);
    if (r < 0) {
        result(r, e);
        return;
    }
    say(" -> %ld len=%u %s\n", r, (unsigned)len, addr_text(&ss, len, sock_type(fd)));
}

static void op_close(void)
{
    int s = (int)pick(NSLOT);
    if (slot[s] < 0)
        return;
    say("close(s%d) -> %d\n", s, close(slot[s]));
    slot[s] = -1;
}

static void walk(unsigned seed, int steps)
{
    rng = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)seed * 0x100000001b3ULL);
    for (int i = 0; i < NSLOT; i++)
        slot[i] = -1;
    nseen = 0;
    say("== seed %u ==\n", seed);
    for (int i = 0; i < steps; i++) {
        switch (pick(16)) {
        case 0: case 1:  op_socket(); break;
        case 2: case 3:  op_bind_connect(false); break;
        case 4:          op_listen(); break;
        case 5: case 6:  op_bind_connect(true); break;
        case 7:          op_accept(); break;
        case 8:          op_shutdown(); break;
        case 9: case 10: op_getsockopt(); break;
        case 11:         op_setsockopt(); break;
        case 12:         op_ioctl(); break;
        case 13:         op_send(); break;
        case 14:         op_recv(); break;
        default:         if (pick(2)) op_name(); else op_close(); break;
        }
    }
    for (int i = 0; i < NSLOT; i++)
        if (slot[i] >= 0)
            close(slot[i]);
}

int main(void)
{
    probe_init();
    alarm(120);
    unsigned lo = 1, hi = 12;
    int steps = 150;
    const char *s = getenv("FUZZ_SEEDS"), *t = getenv("FUZZ_STEPS");
    if (s && sscanf(s, "%u-%u", &lo, &hi) < 2)
        hi = lo;
    if (t)
        steps = atoi(t);
    for (unsigned seed = lo; seed <= hi; seed++)
        walk(seed, steps);
    return 0;
}
