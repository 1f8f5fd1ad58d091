/* Helpers shared by the unit tests of core/ (tests/test_core_*.c).
 *
 * These tests drive core/ directly, without LD_PRELOAD: an anonymous
 * MAP_SHARED arena (inherited by fork), simulated sockets addressed by slot
 * number, and the core's own non-blocking calls.  Where a test has to wait
 * it uses sn_wait_prepare / sn_wait exactly as the preload
 * layer does, always with a deadline so a lost wake-up fails the test
 * instead of hanging it.
 *
 * Everything is static inline: a test file that does not use a helper does
 * not trip -Wunused-function.
 */
#ifndef TEST_CORE_UTIL_H
#define TEST_CORE_UTIL_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include "core/net.h"
#include "core/ports.h"
#include "core/repair.h"

/* The fixture every core suite uses: an anonymous shared arena named
 * `a`, this process attached to it (setup), unmapped after (teardown).
 * Needs <criterion/criterion.h> first. */
#define TC_ARENA_FIXTURE(a)                                               \
    static sn_arena a;                                                    \
    static void setup(void)                                               \
    {                                                                     \
        cr_assert_eq(sn_arena_anon(&a, 0), 0);                            \
        cr_assert_eq(sn_net_attach_proc(&a), 0);                          \
    }                                                                     \
    static void teardown(void) { sn_arena_close(&a); }

/* ---- addresses ---- */

static inline struct sockaddr_in tc_sa4(const char *ip, int port)
{
    struct sockaddr_in s;
    memset(&s, 0, sizeof s);
    s.sin_family = AF_INET;
    s.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, ip, &s.sin_addr);
    return s;
}

static inline struct sockaddr_in6 tc_sa6(const char *ip, int port)
{
    struct sockaddr_in6 s;
    memset(&s, 0, sizeof s);
    s.sin6_family = AF_INET6;
    s.sin6_port = htons((uint16_t)port);
    inet_pton(AF_INET6, ip, &s.sin6_addr);
    return s;
}

static inline int tc_bind4(sn_arena *a, int s, const char *ip, int port)
{
    struct sockaddr_in sa = tc_sa4(ip, port);
    return sn_sock_bind(a, s, (struct sockaddr *)&sa, sizeof sa);
}

static inline int tc_bind6(sn_arena *a, int s, const char *ip, int port)
{
    struct sockaddr_in6 sa = tc_sa6(ip, port);
    return sn_sock_bind(a, s, (struct sockaddr *)&sa, sizeof sa);
}

/* connect() as a blocking socket makes it (nonblock = false): 0, or
 * -EINPROGRESS when queued behind a full backlog, or the error. */
static inline int tc_connect4(sn_arena *a, int s, const char *ip, int port)
{
    struct sockaddr_in sa = tc_sa4(ip, port);
    return sn_sock_connect(a, s, (struct sockaddr *)&sa, sizeof sa, false);
}

static inline int tc_connect6(sn_arena *a, int s, const char *ip, int port)
{
    struct sockaddr_in6 sa = tc_sa6(ip, port);
    return sn_sock_connect(a, s, (struct sockaddr *)&sa, sizeof sa, false);
}

/* The same as a non-blocking socket makes it. */
static inline int tc_connect4_nb(sn_arena *a, int s, const char *ip, int port)
{
    struct sockaddr_in sa = tc_sa4(ip, port);
    return sn_sock_connect(a, s, (struct sockaddr *)&sa, sizeof sa, true);
}

/* Port of a socket's local name (host order), or -errno. */
static inline int tc_local_port(sn_arena *a, int s)
{
    struct sockaddr_storage ss;
    int r = sn_sock_name(a, s, false, &ss);
    if (r < 0)
        return r;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* "a.b.c.d:port" / "[v6]:port" of a socket address as the user sees it. */
static inline void tc_fmt(const struct sockaddr_storage *ss, char *out, size_t n)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
        snprintf(out, n, "%s:%d", ip, ntohs(in->sin_port));
    } else {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
        snprintf(out, n, "[%s]:%d", ip, ntohs(in6->sin6_port));
    }
}

/* A socket's local (peer=false) or peer name as text; "ENOTCONN" etc. on
 * error. */
static inline void tc_name(sn_arena *a, int s, bool peer, char *out, size_t n)
{
    struct sockaddr_storage ss;
    int r = sn_sock_name(a, s, peer, &ss);
    if (r < 0)
        snprintf(out, n, "error %d", -r);
    else
        tc_fmt(&ss, out, n);
}

/* An sn_addr as the socket s would report it. */
static inline void tc_addr_str(sn_arena *a, int s, const sn_addr *x,
                               char *out, size_t n)
{
    struct sockaddr_storage ss;
    sn_sock_format(a, s, x, &ss);
    tc_fmt(&ss, out, n);
}

/* ---- data, one call each (non-blocking) ---- */

/* send, or sendto when `to` is given. */
static inline ssize_t tc_sendmsg(sn_arena *a, int s, const void *buf, size_t len,
                                 int flags, const void *to, socklen_t tolen)
{
    struct iovec v = {(void *)buf, len};
    sn_msg m;
    memset(&m, 0, sizeof m);
    m.iov = &v;
    m.iovcnt = 1;
    m.name = to;
    m.namelen = tolen;
    return sn_sock_send(a, s, &m, flags);
}

static inline ssize_t tc_send(sn_arena *a, int s, const void *buf, size_t len,
                              int flags)
{
    return tc_sendmsg(a, s, buf, len, flags, NULL, 0);
}

static inline ssize_t tc_sendto4(sn_arena *a, int s, const void *buf,
                                 size_t len, const char *ip, int port)
{
    struct sockaddr_in sa = tc_sa4(ip, port);
    return tc_sendmsg(a, s, buf, len, 0, &sa, sizeof sa);
}

static inline ssize_t tc_sendto6(sn_arena *a, int s, const void *buf,
                                 size_t len, const char *ip, int port)
{
    struct sockaddr_in6 sa = tc_sa6(ip, port);
    return tc_sendmsg(a, s, buf, len, 0, &sa, sizeof sa);
}

/* recv into buf; m (optional) receives source, destination, lengths. */
static inline ssize_t tc_recv(sn_arena *a, int s, void *buf, size_t len,
                              int flags, sn_msg *mout)
{
    struct iovec v = {buf, len};
    sn_msg m;
    memset(&m, 0, sizeof m);
    m.iov = &v;
    m.iovcnt = 1;
    ssize_t r = sn_sock_recv(a, s, &m, flags);
    if (mout)
        *mout = m;
    return r;
}

/* ---- waiting ---- */

static inline struct timespec tc_deadline_ms(long ms)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

typedef ssize_t (*tc_try_fn)(sn_arena *a, int s, void *ctx);

/* Call try until it returns something other than -EAGAIN, sleeping on
 * slot `s` in between (register, re-check, sleep: the preload's loop).
 * Gives up with -ETIMEDOUT after ms milliseconds. */
static inline ssize_t tc_block(sn_arena *a, int s, long ms, tc_try_fn try,
                               void *ctx)
{
    struct timespec dl = tc_deadline_ms(ms);
    ssize_t r = try(a, s, ctx);
    while (r == -EAGAIN) {
        uint32_t seq = sn_wait_prepare(a, s);
        r = try(a, s, ctx);
        if (r != -EAGAIN)
            break;
        int w = sn_wait(a, s, seq, &dl);
        if (w == -ETIMEDOUT)
            return -ETIMEDOUT;
        r = try(a, s, ctx);
    }
    return r;
}

static inline ssize_t tc_try_accept(sn_arena *a, int s, void *ctx)
{
    return sn_sock_accept(a, s, (sn_addr *)ctx);
}

static inline ssize_t tc_try_connect_result(sn_arena *a, int s, void *ctx)
{
    (void)ctx;
    return sn_sock_connect_result(a, s);
}

typedef struct tc_io {
    void  *buf;
    size_t len;
    int    flags;
} tc_io;

static inline ssize_t tc_try_send(sn_arena *a, int s, void *ctx)
{
    tc_io *io = ctx;
    return tc_send(a, s, io->buf, io->len, io->flags);
}

static inline ssize_t tc_try_recv(sn_arena *a, int s, void *ctx)
{
    tc_io *io = ctx;
    return tc_recv(a, s, io->buf, io->len, io->flags, NULL);
}

/* Blocking accept with a deadline; returns the new slot or -errno. */
static inline int tc_accept_wait(sn_arena *a, int l, sn_addr *peer, long ms)
{
    sn_addr tmp;
    return (int)tc_block(a, l, ms, tc_try_accept, peer ? peer : &tmp);
}

/* Send all of buf, waiting for room; returns len or -errno. */
static inline ssize_t tc_send_all(sn_arena *a, int s, const void *buf,
                                  size_t len, long ms)
{
    size_t done = 0;
    while (done < len) {
        tc_io io = {(char *)buf + done, len - done, 0};
        ssize_t r = tc_block(a, s, ms, tc_try_send, &io);
        if (r < 0)
            return r;
        done += (size_t)r;
    }
    return (ssize_t)done;
}

/* Receive exactly len bytes (less at EOF), waiting; returns the count or
 * -errno. */
static inline ssize_t tc_recv_all(sn_arena *a, int s, void *buf, size_t len,
                                  long ms)
{
    size_t done = 0;
    while (done < len) {
        tc_io io = {(char *)buf + done, len - done, 0};
        ssize_t r = tc_block(a, s, ms, tc_try_recv, &io);
        if (r < 0)
            return r;
        if (r == 0)
            break;
        done += (size_t)r;
    }
    return (ssize_t)done;
}

/* A connected TCP pair through a fresh listener on 127.0.0.1 (or ::1):
 * *l listener, *c client, *s accepted server end.  0 or -errno. */
static inline int tc_tcp_pair(sn_arena *a, int family, int *l, int *c, int *s)
{
    *l = sn_sock_create(a, family, SOCK_STREAM, 0);
    if (*l < 0)
        return *l;
    int r = family == AF_INET ? tc_bind4(a, *l, "127.0.0.1", 0)
                              : tc_bind6(a, *l, "::1", 0);
    if (r < 0 || (r = sn_sock_listen(a, *l, 16)) < 0)
        return r;
    int port = tc_local_port(a, *l);
    *c = sn_sock_create(a, family, SOCK_STREAM, 0);
    if (*c < 0)
        return *c;
    r = family == AF_INET ? tc_connect4(a, *c, "127.0.0.1", port)
                          : tc_connect6(a, *c, "::1", port);
    if (r < 0)
        return r;
    sn_addr peer;
    *s = sn_sock_accept(a, *l, &peer);
    return *s < 0 ? *s : 0;
}

static inline int tc_getint(sn_arena *a, int s, int level, int name, int *v)
{
    socklen_t len = sizeof *v;
    *v = -12345;
    int r = sn_sock_getopt(a, s, level, name, v, &len);
    if (r == 0 && len != sizeof *v)
        return -ERANGE;
    return r;
}

static inline int tc_setint(sn_arena *a, int s, int level, int name, int v)
{
    return sn_sock_setopt(a, s, level, name, &v, sizeof v);
}

#endif
