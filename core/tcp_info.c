/* getsockopt(TCP_INFO): what Linux's tcp_get_info reports for a socket
 * on loopback, in Linux's own struct (glibc's is its first 104 bytes). */
#include <stddef.h>
#include <string.h>

#include "core/tcp_info.h"

/* Linux's TCP state numbers, for TCP_INFO. */
static uint8_t tcp_state(const sn_sock *k)
{
    uint32_t sh = atomic_load(&k->shut);
    switch (k->state) {
    case SN_LISTEN:     return 10;                  /* TCP_LISTEN */
    case SN_CONNECTING: return 2;                   /* TCP_SYN_SENT */
    case SN_CONNECTED:
        if ((sh & SN_SHUT_WR) && (sh & SN_PEER_FIN)) return 9;  /* LAST_ACK */
        if (sh & SN_SHUT_WR) return 5;              /* TCP_FIN_WAIT2 */
        if (sh & SN_PEER_FIN) return 8;             /* TCP_CLOSE_WAIT */
        return 1;                                   /* TCP_ESTABLISHED */
    default:            return 7;                   /* TCP_CLOSE */
    }
}

/* Linux's struct tcp_info (include/uapi/linux/tcp.h) as of 6.18, which
 * returns 280 bytes; glibc's <netinet/tcp.h> has only its first 104.
 * Fields after tcpi_snd_wnd stay 0. */
typedef struct linux_tcp_info {
    uint8_t  state, ca_state, retransmits, probes, backoff, options;
    uint8_t  snd_wscale : 4, rcv_wscale : 4;
    uint8_t  delivery_rate_app_limited : 1, fastopen_client_fail : 2;
    uint32_t rto, ato, snd_mss, rcv_mss;
    uint32_t unacked, sacked, lost, retrans, fackets;
    uint32_t last_data_sent, last_ack_sent, last_data_recv, last_ack_recv;
    uint32_t pmtu, rcv_ssthresh, rtt, rttvar, snd_ssthresh, snd_cwnd;
    uint32_t advmss, reordering, rcv_rtt, rcv_space, total_retrans;
    uint64_t pacing_rate, max_pacing_rate, bytes_acked, bytes_received;
    uint32_t segs_out, segs_in, notsent_bytes, min_rtt;
    uint32_t data_segs_in, data_segs_out;
    uint64_t delivery_rate, busy_time, rwnd_limited, sndbuf_limited;
    uint32_t delivered, delivered_ce;
    uint64_t bytes_sent, bytes_retrans;
    uint32_t dsack_dups, reord_seen, rcv_ooopack, snd_wnd;
    uint8_t  later[280 - 236];
} linux_tcp_info;
_Static_assert(offsetof(linux_tcp_info, pacing_rate) == 104, "tcp_info layout");
_Static_assert(sizeof(linux_tcp_info) == 280, "tcp_info size");

#define TCPI_OPT_TIMESTAMPS 1
#define TCPI_OPT_SACK       2
#define TCPI_OPT_WSCALE     4
#define TCP_INFINITE_SSTHRESH 0x7fffffff

/* Window scale Linux offers (tcp_select_initial_window): from the larger
 * of tcp_rmem[2] and rmem_max. */
static uint8_t rcv_wscale(const sn_limits *l)
{
    uint32_t space = (uint32_t)(l->tcp_rmem_max > l->rmem_max ? l->tcp_rmem_max
                                                              : l->rmem_max);
    int w = space ? 31 - __builtin_clz(space) - 15 : 0;
    return (uint8_t)(w < 0 ? 0 : w > 14 ? 14 : w);
}

/* What Linux's tcp_get_info reports on loopback.  A socket that never
 * connected shows the initial values (RTO 1 s, RTT variance 250 ms, MSS
 * 536); a listener only its queue and backlog; a connection the options
 * loopback negotiates, an RTO at its 200 ms floor and a small measured
 * RTT (a fixed 20 us: loopback's takes a few tens).  Times since the last
 * send and receive are not kept: 0. */
static void fill_tcp_info(sn_arena *a, const sn_sock *k, linux_tcp_info *t)
{
    const sn_limits *l = &a->hdr->lim;
    memset(t, 0, sizeof *t);
    t->state = tcp_state(k);
    t->pacing_rate = t->max_pacing_rate = ~0ULL;
    t->reordering = (uint32_t)l->tcp_reordering;
    t->snd_cwnd = 10;                    /* TCP_INIT_CWND */
    if (k->state == SN_LISTEN) {
        t->unacked = (uint32_t)k->acc_len;
        t->sacked = (uint32_t)k->backlog;
        return;
    }
    t->delivery_rate_app_limited = 1;
    t->snd_ssthresh = TCP_INFINITE_SSTHRESH;
    if (!k->was_connected) {
        t->rto = 1000000;                /* TCP_TIMEOUT_INIT */
        t->rttvar = 250000;
        t->snd_mss = 536;                /* TCP_MSS_DEFAULT */
        t->min_rtt = ~0u;
        return;
    }
    /* Loopback's MTU is 65536; IPv4 caps a packet at 65535.  The MSS
     * leaves out the IP and TCP headers and 12 bytes of timestamps. */
    bool v4 = sn_addr_is_v4(&k->local);
    uint32_t sh = atomic_load(&k->shut);
    t->pmtu = v4 ? 65535 : 65536;
    t->advmss = t->pmtu - (v4 ? 20 : 40) - 20 - 12;
    t->options = TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE;
    t->snd_wscale = t->rcv_wscale = rcv_wscale(l);
    t->rto = 200000;                     /* TCP_RTO_MIN */
    t->ato = k->bytes_rx ? 40000 : 0;    /* TCP_ATO_MIN once data came */
    t->snd_mss = 32768;                  /* half the peer's first window */
    t->rcv_mss = k->bytes_rx >= 536 ? t->advmss : 536;
    /* The connecting side sizes its window before it knows that the
     * peer takes timestamps. */
    t->rcv_ssthresh = t->rcv_space = t->advmss + (k->passive ? 0 : 12);
    t->rtt = t->min_rtt = 20;
    t->rttvar = 10;
    /* Sequence space: the client's SYN and either side's FIN count. */
    t->bytes_acked = k->bytes_tx + !k->passive + !!(sh & SN_SHUT_WR);
    t->bytes_received = k->bytes_rx + !!(sh & SN_PEER_FIN);
    t->bytes_sent = k->bytes_tx;
    t->snd_wnd = 65536;
}

int sn_tcp_info(sn_arena *a, const sn_sock *k, void *val, socklen_t *len)
{
    linux_tcp_info ti;
    fill_tcp_info(a, k, &ti);
    socklen_t n = *len < sizeof ti ? *len : sizeof ti;
    memcpy(val, &ti, n);
    *len = n;
    return 0;
}
