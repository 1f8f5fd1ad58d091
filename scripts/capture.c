/* simnet-capture: drains a network's capture ring (core/capture.h) into a
 * classic pcap file (nanosecond timestamps, LINKTYPE_RAW: each packet
 * starts with its IPv4 or IPv6 header).  The launcher runs it:
 *
 *   simnet-capture [options] DIR NAME
 *     -w FILE|-       where to write (default: standard output)
 *     -a FILE         append to FILE if it holds a capture of ours already
 *                     (else start it afresh)
 *     --port P        only packets to or from port P (TCP, UDP, and the
 *                     datagram an ICMP error quotes)
 *     --host ADDR     only packets to or from ADDR (an IPv4 or IPv6
 *                     address; repeatable: any of them; simnet capture
 *                     turns a host name into its addresses)
 *     --create        make the network if it does not exist yet
 *     --background    detach once capturing: print the drainer's pid
 *     --ring BYTES    the ring's size (power of two, 64 KiB..16 MiB)
 *     --while-used    end once no other process is in the network (the
 *                     bare preload's SIMNET_PCAP, preload/pcap.c); a
 *                     capture already attached is not an error then
 *
 * It joins the network as a process (so the network stays while it
 * captures), attaches as its one reader, and writes until SIGINT or
 * SIGTERM; then it stops the senders, writes what is left, reports
 * dropped packets on stderr, and exits 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/net.h"

#define SNAPLEN (256u << 10)

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

#define MAX_HOST_ADDRS 8            /* a host has at most SN_HOST_ADDRS */
typedef struct filter {
    int     port;                   /* -1: any */
    int     naddr;                  /* 0: any host */
    int     fam[MAX_HOST_ADDRS];    /* 4 or 6 */
    uint8_t host[MAX_HOST_ADDRS][16];
} filter;

/* Is one of the packet's addresses (IP version ver) among the filter's? */
static bool match_addr(const uint8_t *s, const uint8_t *d, int ver, const filter *flt)
{
    size_t n = ver == 4 ? 4 : 16;
    for (int i = 0; i < flt->naddr; i++)
        if (flt->fam[i] == ver &&
            (memcmp(s, flt->host[i], n) == 0 || memcmp(d, flt->host[i], n) == 0))
            return true;
    return false;
}

static void die(const char *msg)
{
    fprintf(stderr, "simnet: capture: %s\n", msg);
    exit(2);
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static void write_or_die(FILE *f, const void *p, size_t n)
{
    if (fwrite(p, 1, n, f) != n) {
        if (errno == EPIPE)
            exit(0);                /* the reader went away */
        die("cannot write the capture");
    }
}

static bool while_used;

/* Is any process but this one in the network? */
static bool others(sn_arena *a)
{
    for (uint32_t i = 0; i < sn_net_proc_hwm(a); i++) {
        int pid = sn_net_proc_pid(a, (int)i);
        if (pid != 0 && pid != getpid() && (pid < 0 || sn_net_proc_alive(a, (int)i)))
            return true;
    }
    return false;
}

/* -a: a file that starts with our header is continued. */
static FILE *open_append(const char *path, bool *fresh)
{
    FILE *f = fopen(path, "rb");
    uint8_t h[24];
    uint32_t magic = 0, link = 0;
    if (f && fread(h, 1, sizeof h, f) == sizeof h) {
        memcpy(&magic, h, 4);
        memcpy(&link, h + 20, 4);
    }
    if (f)
        fclose(f);
    *fresh = !(magic == 0xa1b23c4d && link == 101);
    return fopen(path, *fresh ? "wb" : "ab");
}

static void pcap_header(FILE *f)
{
    uint8_t h[24];
    put32(h, 0xa1b23c4d);           /* nanosecond resolution */
    uint16_t v[2] = {2, 4};
    memcpy(h + 4, v, 4);
    put32(h + 8, 0);                /* this zone */
    put32(h + 12, 0);               /* accuracy */
    put32(h + 16, SNAPLEN);
    put32(h + 20, 101);             /* LINKTYPE_RAW */
    write_or_die(f, h, sizeof h);
}

/* Does the packet's address or port (or, for an ICMP error, the quoted
 * datagram's) match? */
static bool match_l4(const uint8_t *p, uint32_t len, const filter *flt, int depth)
{
    if (len < 1)
        return false;
    int ver = p[0] >> 4;
    uint32_t ihl = ver == 4 ? (uint32_t)(p[0] & 15) * 4 : 40;
    if (len < ihl || (ver != 4 && ver != 6))
        return false;
    uint8_t proto = ver == 4 ? p[9] : p[6];
    if (flt->naddr &&
        !match_addr(ver == 4 ? p + 12 : p + 8, ver == 4 ? p + 16 : p + 24, ver, flt))
        return false;
    if (flt->port < 0)
        return true;
    const uint8_t *t = p + ihl;
    if ((proto == IPPROTO_TCP || proto == IPPROTO_UDP) && len >= ihl + 4)
        return (t[0] << 8 | t[1]) == flt->port || (t[2] << 8 | t[3]) == flt->port;
    if ((proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) && !depth && len >= ihl + 8) {
        filter ports = *flt;
        ports.naddr = 0;
        return match_l4(t + 8, len - ihl - 8, &ports, 1);
    }
    return false;
}

static void write_record(FILE *f, const sn_cap_rec *r, const uint8_t *buf,
                         uint64_t *last)
{
    uint64_t ns = r->ns > *last ? r->ns : *last;
    *last = ns;
    uint8_t h[16];
    put32(h, (uint32_t)(ns / 1000000000u));
    put32(h + 4, (uint32_t)(ns % 1000000000u));
    put32(h + 8, r->len);
    put32(h + 12, r->len);
    write_or_die(f, h, sizeof h);
    write_or_die(f, buf, r->len);
}

static uint64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void nap(long ns)
{
    struct timespec t = {0, ns};
    nanosleep(&t, NULL);
}

/* Drain until stopped, then what is left.  Records a dead writer left
 * unfinished are skipped after a second (core/capture.c). */
static void drain(sn_arena *a, FILE *f, const filter *flt)
{
    static uint8_t buf[SNAPLEN];
    uint64_t last = 0, torn = 0;
    bool stopping = false;
    int quiet = 0, alone = 0;
    uint64_t looked = mono_ns();
    for (;;) {
        if (stop && !stopping) {
            stopping = true;
            sn_cap_stop(a);
            nap(20 * 1000 * 1000);  /* senders inside an append finish */
        }
        sn_cap_rec r;
        int n = sn_cap_read(a, &r, buf, sizeof buf, 1000000000ull, &torn);
        if (n == 1) {
            quiet = 0;
            if (match_l4(buf, r.len, flt, 0))
                write_record(f, &r, buf, &last);
            continue;
        }
        fflush(f);
        if (n == 0 && stopping)
            break;
        /* --while-used: two looks 100 ms apart find nobody else */
        uint64_t t = mono_ns();
        if (while_used && t - looked >= 100000000u) {
            looked = t;
            alone = others(a) ? 0 : alone + 1;
            if (alone >= 2)
                stop = 1;
        }
        /* 2 ms while traffic flows, 10 ms once quiet for 50 ms: an idle
         * capture wakes 100 times a second */
        nap(quiet++ < 25 ? 2000000 : 10000000);
    }
    uint64_t drops = sn_cap_drops(a);
    if (drops || torn)
        fprintf(stderr, "simnet: capture: %llu packets dropped (ring full), "
                "%llu lost with their writer\n",
                (unsigned long long)drops, (unsigned long long)torn);
}

/* --host ADDR, repeatable (simnet capture passes each address of a host
 * given by name): packets to or from any of them. */
static void parse_host(const char *h, filter *flt)
{
    if (flt->naddr == MAX_HOST_ADDRS)
        die("too many --host addresses");
    int i = flt->naddr;
    if (inet_pton(AF_INET, h, flt->host[i]) == 1)
        flt->fam[i] = 4;
    else if (inet_pton(AF_INET6, h, flt->host[i]) == 1)
        flt->fam[i] = 6;
    else {
        fprintf(stderr, "simnet: capture: no such host '%s'\n", h);
        exit(2);
    }
    flt->naddr++;
}

typedef struct opts {
    const char *out;
    bool        append, create, background;
    long        ring;
    filter      flt;
} opts;

/* The options; the index of DIR. */
static int parse_args(int argc, char **argv, opts *o)
{
    *o = (opts){.out = "-", .ring = SN_CAP_DEFAULT, .flt = {.port = -1}};
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        const char *a = argv[i];
        bool arg = i + 1 < argc;
        if ((!strcmp(a, "-w") || !strcmp(a, "-a")) && arg) {
            o->append = a[1] == 'a';
            o->out = argv[++i];
        } else if (!strcmp(a, "--port") && arg) {
            char *end;
            long p = strtol(argv[++i], &end, 10);
            if (*end || p < 0 || p > 65535)
                die("--port: give a number 0..65535");
            o->flt.port = (int)p;
        } else if (!strcmp(a, "--host") && arg) {
            parse_host(argv[++i], &o->flt);
        } else if (!strcmp(a, "--ring") && arg) {
            o->ring = strtol(argv[++i], NULL, 0);
        } else if (!strcmp(a, "--create")) {
            o->create = true;
        } else if (!strcmp(a, "--background")) {
            o->background = true;
        } else if (!strcmp(a, "--while-used")) {
            while_used = true;
        } else {
            fprintf(stderr, "simnet: capture: unknown option '%s'\n", a);
            exit(2);
        }
    }
    if (argc - i != 2)
        die("usage: simnet-capture [-w FILE|-] [--port P] [--host ADDR] DIR NAME");
    return i;
}

/* --background: the parent waits until the child captures, prints its
 * pid and exits; the child goes on (its end of the pipe in *ready). */
static void detach(int *ready)
{
    int p[2];
    if (pipe(p) < 0)
        die("pipe");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid > 0) {
        close(p[1]);
        char c;
        if (read(p[0], &c, 1) != 1)
            exit(2);                    /* the child said why */
        printf("%d\n", (int)pid);
        exit(0);
    }
    close(p[0]);
    setsid();
    *ready = p[1];
}

/* Join the network and attach as its reader; exits on failure. */
static void attach(sn_arena *a, const char *path, const opts *o,
                   const char *dir, const char *name)
{
    char err[256];
    int flags = SN_ARENA_ATTACH | (o->create ? SN_ARENA_CREATE : 0);
    if (sn_net_open(a, path, SN_DEFAULT_SIZE, flags, err, sizeof err) < 0) {
        if (!o->create && access(path, F_OK) < 0)
            fprintf(stderr, "simnet: capture: no network '%s' in %s\n", name, dir);
        else
            fprintf(stderr, "simnet: capture: %s\n", err);
        exit(2);
    }
    int r = sn_cap_start(a, (uint32_t)o->ring);
    if (r == 0)
        return;
    sn_net_leave(a, path);
    if (r == -EBUSY && while_used)
        exit(0);                        /* another drainer was quicker */
    fprintf(stderr, "simnet: capture: %s\n",
            r == -EBUSY ? "another capture is attached to this network"
            : r == -EINVAL ? "--ring: a power of two from 65536 to 16777216"
            : "no room for the capture ring");
    exit(2);
}

int main(int argc, char **argv)
{
    opts o;
    int i = parse_args(argc, argv, &o);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.arena", argv[i], argv[i + 1]);
    /* started by a program (SIMNET_PCAP): hold none of its fds open */
    if (while_used)
        close_range(3, ~0u, 0);
    bool fresh = true;
    FILE *f = !strcmp(o.out, "-") ? stdout
            : o.append ? open_append(o.out, &fresh) : fopen(o.out, "wb");
    if (!f) {
        fprintf(stderr, "simnet: capture: cannot open %s: %s\n", o.out, strerror(errno));
        return 2;
    }
    int ready = -1;
    if (o.background)
        detach(&ready);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    sn_arena a;
    attach(&a, path, &o, argv[i], argv[i + 1]);
    if (fresh)
        pcap_header(f);
    fflush(f);
    if (o.background) {
        if (write(ready, "r", 1) != 1)
            return 2;
        close(ready);
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, 0);
            if (f != stdout)
                dup2(null, 1);
        }
    }
    drain(&a, f, &o.flt);
    if (fclose(f) != 0)
        die("cannot write the capture");
    sn_cap_release(&a);
    sn_net_leave(&a, path);
    return 0;
}
