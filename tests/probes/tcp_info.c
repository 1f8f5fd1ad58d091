/*
 * tcp_info — getsockopt(TCP_INFO) on loopback: the initial values of a
 * socket that never connected (RTO 1 s, RTT variance 250 ms, MSS 536,
 * cwnd 10), a listener (queue length and backlog), and a connection
 * (options, window scale, RTO floor, a measured RTT, delayed-ACK timer
 * once data came, byte counts, states through close).  Only fields the
 * kernel reports deterministically are printed; timings as ranges.
 */
#include "probe.h"

/* Fields of Linux's struct tcp_info past glibc's 104 bytes. */
#define OFF_PACING      104
#define OFF_MAX_PACING  112
#define OFF_BYTES_ACKED 120
#define OFF_BYTES_RECV  128
#define OFF_MIN_RTT     148
#define OFF_BYTES_SENT  200

typedef struct {
    struct tcp_info t;
    unsigned char raw[512];
    socklen_t len;
} info;

static uint64_t u64_at(const info *i, size_t off)
{
    uint64_t v;
    memcpy(&v, i->raw + off, sizeof v);
    return v;
}

static uint32_t u32_at(const info *i, size_t off)
{
    uint32_t v;
    memcpy(&v, i->raw + off, sizeof v);
    return v;
}

static int get_info(int fd, info *i)
{
    memset(i, 0, sizeof *i);
    i->len = sizeof i->raw;
    int r = getsockopt(fd, IPPROTO_TCP, TCP_INFO, i->raw, &i->len);
    memcpy(&i->t, i->raw, sizeof i->t);
    return r;
}

static uint64_t bytes_acked(int fd)
{
    info i;
    return get_info(fd, &i) < 0 ? 0 : u64_at(&i, OFF_BYTES_ACKED);
}

/* The congestion window is printed only where it is still the initial
 * 10: it grows as data is acknowledged. */
static void show_common(const char *label, int fd, info *i)
{
    if (get_info(fd, i) < 0) {
        say("%s: errno=%s\n", label, errname(errno));
        return;
    }
    struct tcp_info *t = &i->t;
    say("%s: len_big_ok=%d state=%u ca_state=%u retransmits=%u probes=%u "
        "backoff=%u unacked=%u sacked=%u lost=%u retrans=%u "
        "total_retrans=%u\n",
        label, i->len >= 232 && i->len <= 512, t->tcpi_state, t->tcpi_ca_state,
        t->tcpi_retransmits, t->tcpi_probes, t->tcpi_backoff, t->tcpi_unacked,
        t->tcpi_sacked, t->tcpi_lost, t->tcpi_retrans, t->tcpi_total_retrans);
}

/* A socket that never connected. */
static void show_fresh(const char *label, int fd)
{
    info i;
    show_common(label, fd, &i);
    struct tcp_info *t = &i.t;
    say("  options=%u wscale=%u/%u rto=%u ato=%u snd_mss=%u rcv_mss=%u "
        "pmtu=%u rcv_ssthresh=%u rtt=%u rttvar=%u snd_ssthresh=%u "
        "advmss=%u rcv_rtt=%u rcv_space=%u snd_cwnd=%u reordering=%u\n",
        t->tcpi_options, t->tcpi_snd_wscale, t->tcpi_rcv_wscale, t->tcpi_rto,
        t->tcpi_ato, t->tcpi_snd_mss, t->tcpi_rcv_mss, t->tcpi_pmtu,
        t->tcpi_rcv_ssthresh, t->tcpi_rtt, t->tcpi_rttvar, t->tcpi_snd_ssthresh,
        t->tcpi_advmss, t->tcpi_rcv_rtt, t->tcpi_rcv_space, t->tcpi_snd_cwnd,
        t->tcpi_reordering);
    say("  app_limited=%u pacing=%llx max_pacing=%llx min_rtt=%x bytes=%llu/%llu/%llu\n",
        i.raw[7] & 1, (unsigned long long)u64_at(&i, OFF_PACING),
        (unsigned long long)u64_at(&i, OFF_MAX_PACING), u32_at(&i, OFF_MIN_RTT),
        (unsigned long long)u64_at(&i, OFF_BYTES_ACKED),
        (unsigned long long)u64_at(&i, OFF_BYTES_RECV),
        (unsigned long long)u64_at(&i, OFF_BYTES_SENT));
}

/* A connection: RTT and RTO as ranges, the rest as loopback sets it. */
static void show_conn(const char *label, int fd)
{
    info i;
    show_common(label, fd, &i);
    struct tcp_info *t = &i.t;
    say("  options=%u wscale_same=%d rto_200ms=%d ato=%u rcv_mss=%u pmtu=%u "
        "rcv_ssthresh=%u rtt_measured=%d rttvar_set=%d snd_ssthresh=%u "
        "advmss=%u rcv_space=%u\n",
        t->tcpi_options, t->tcpi_snd_wscale == t->tcpi_rcv_wscale,
        t->tcpi_rto >= 200000 && t->tcpi_rto < 250000, t->tcpi_ato,
        t->tcpi_rcv_mss, t->tcpi_pmtu, t->tcpi_rcv_ssthresh,
        t->tcpi_rtt > 0 && t->tcpi_rtt < 100000, t->tcpi_rttvar > 0,
        t->tcpi_snd_ssthresh, t->tcpi_advmss, t->tcpi_rcv_space);
    uint32_t min_rtt = u32_at(&i, OFF_MIN_RTT);
    say("  app_limited=%u max_pacing=%llx min_rtt_measured=%d "
        "bytes_acked=%llu bytes_received=%llu bytes_sent=%llu\n",
        i.raw[7] & 1, (unsigned long long)u64_at(&i, OFF_MAX_PACING),
        min_rtt > 0 && min_rtt <= t->tcpi_rtt,
        (unsigned long long)u64_at(&i, OFF_BYTES_ACKED),
        (unsigned long long)u64_at(&i, OFF_BYTES_RECV),
        (unsigned long long)u64_at(&i, OFF_BYTES_SENT));
}

static int state_of(int fd)
{
    info i;
    return get_info(fd, &i) < 0 ? -1 : i.t.tcpi_state;
}

int main(void)
{
    probe_init();
    say("== never connected ==\n");
    int f4 = NEED(socket(AF_INET, SOCK_STREAM, 0));
    int f6 = NEED(socket(AF_INET6, SOCK_STREAM, 0));
    show_fresh("fresh v4", f4);
    show_fresh("fresh v6", f6);
    struct sockaddr_in b = sa4("127.0.0.1", 0);
    NEED(bind(f4, (struct sockaddr *)&b, sizeof b));
    show_fresh("bound v4", f4);

    say("== sizes ==\n");
    struct tcp_info t;
    socklen_t len = sizeof t;
    SHOW("glibc struct", getsockopt(f4, IPPROTO_TCP, TCP_INFO, &t, &len));
    say("len=%u\n", (unsigned)len);
    len = 8;
    SHOW("8 bytes", getsockopt(f4, IPPROTO_TCP, TCP_INFO, &t, &len));
    say("len=%u state=%u\n", (unsigned)len, t.tcpi_state);
    len = 0;
    SHOW("0 bytes", getsockopt(f4, IPPROTO_TCP, TCP_INFO, &t, &len));
    say("len=%u\n", (unsigned)len);
    int u = NEED(socket(AF_INET, SOCK_DGRAM, 0));
    len = sizeof t;
    SHOW("udp socket", getsockopt(u, IPPROTO_TCP, TCP_INFO, &t, &len));

    say("== listener ==\n");
    int port;
    int l = tcp_listener(AF_INET, "127.0.0.1", 4, &port);
    info i;
    show_common("listening", l, &i);
    say("  rto=%u rttvar=%u snd_mss=%u options=%u snd_cwnd=%u reordering=%u\n",
        i.t.tcpi_rto, i.t.tcpi_rttvar, i.t.tcpi_snd_mss, i.t.tcpi_options,
        i.t.tcpi_snd_cwnd, i.t.tcpi_reordering);
    int c = tcp_connect(AF_INET, "127.0.0.1", port);
    int c2 = tcp_connect(AF_INET, "127.0.0.1", port);
    show_common("two queued", l, &i);
    int s = NEED(accept(l, NULL, NULL));
    show_common("one accepted", l, &i);
    close(c2);

    say("== connection ==\n");
    show_conn("client", c);
    show_conn("server", s);
    say("initial cwnd: client=%u server=%u\n", (get_info(c, &i), i.t.tcpi_snd_cwnd),
        (get_info(s, &i), i.t.tcpi_snd_cwnd));
    nodelay(c);
    NEED(write_full(c, "hello", 5));
    char buf[16];
    NEED(read_full(s, buf, 5));
    NEED(WAIT_UNTIL(bytes_acked(c) == 6, 2000) ? 0 : -1);
    show_conn("client after 5 bytes", c);
    show_conn("server after 5 bytes", s);

    int c6, s6;
    tcp_pair(AF_INET6, &c6, &s6);
    show_conn("v6 client", c6);
    show_conn("v6 server", s6);

    say("== closing ==\n");
    NEED(shutdown(c, SHUT_WR));
    NEED(WAIT_UNTIL(state_of(c) == 5 && state_of(s) == 8, 2000) ? 0 : -1);
    say("client after shutdown: state=%d\n", state_of(c));
    show_conn("server after peer FIN", s);
    NEED(shutdown(s, SHUT_WR));
    NEED(WAIT_UNTIL(state_of(s) == 7 && state_of(c) == 7, 2000) ? 0 : -1);
    show_conn("server after both FINs", s);
    say("client: state=%d\n", state_of(c));
    close(c);
    close(s);
    close(l);
    return 0;
}
