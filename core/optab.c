/* The options Linux accepts and reports on a loopback socket whose only
 * effect is what getsockopt gives back: their defaults, the values
 * setsockopt accepts, the fixed errors.  Read off Linux's
 * sk_{get,set}sockopt, do_ip_{get,set}sockopt, do_ipv6_{get,set}sockopt,
 * do_tcp_{get,set}sockopt and udp_lib_{get,set}sockopt, and checked on
 * the kernel with the differential fuzzer (tests/probes/fuzz_api.c).
 * Options with effects in the simulation (SO_REUSEADDR, IP_TTL, ...) are
 * handled in opts.c; this table is what is left. */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>

#include "core/optab.h"

#define B SN_OS_BOOL
#define R SN_OS_RANGE
#define AC SN_OS_ACCEPT
#define NO SN_OS_NONE
#define XE SN_OS_ERR
#define I SN_OG_INT
#define E SN_OG_EMPTY
#define Z SN_OG_ZEROS
#define GE SN_OG_ERR
#define GN SN_OG_NONE
#define A (SN_OT_STREAM | SN_OT_DGRAM)
#define S SN_OT_STREAM
#define D SN_OT_DGRAM

/* level, name, types, get, set, minlen, get error, set error, size,
 * default, lo, hi.  minlen: a shorter setsockopt value is EINVAL (IP
 * options take a byte, or nothing for 0; IPv6 ones mostly need an int). */
static const sn_optdef table[] = {
    /* SOL_SOCKET (every value is an int: shorter is EINVAL before the
     * name is looked at, see opts.c) */
    {SOL_SOCKET, SO_MARK, A, I, R, 4, 0, 0, 0, 0, INT_MIN, INT_MAX},
    {SOL_SOCKET, 1 /* SO_DEBUG */, A, I, B, 4, 0, 0, 0, 0, 0, 0},
    {SOL_SOCKET, 5 /* SO_DONTROUTE */, A, I, B, 4, 0, 0, 0, 0, 0, 0},
    {SOL_SOCKET, 11 /* SO_NO_CHECK */, A, I, B, 4, 0, 0, 0, 0, 0, 0},
    /* SO_PRIORITY: above 6 needs CAP_NET_ADMIN, which the tests have */
    {SOL_SOCKET, 12 /* SO_PRIORITY */, A, I, R, 4, 0, 0, 0, 0, INT_MIN, INT_MAX},
    {SOL_SOCKET, 14 /* SO_BSDCOMPAT */, A, I, AC, 4, 0, 0, 0, 0, 0, 0},
    /* Linux keeps credentials passing and security labels to AF_UNIX */
    {SOL_SOCKET, 16 /* SO_PASSCRED */, A, GE, XE, 4, EOPNOTSUPP, EOPNOTSUPP, 0, 0, 0, 0},
    {SOL_SOCKET, 17 /* SO_PEERCRED */, A, Z, NO, 4, 0, 0, 12, 0, 0, 0},
    {SOL_SOCKET, 26 /* SO_GET_FILTER */, A, E, NO, 4, 0, 0, 0, 0, 0, 0},
    {SOL_SOCKET, 34 /* SO_PASSSEC */, A, GE, XE, 4, EOPNOTSUPP, EOPNOTSUPP, 0, 0, 0, 0},
    {SOL_SOCKET, 40 /* SO_RXQ_OVFL */, A, I, B, 4, 0, 0, 0, 0, 0, 0},
    {SOL_SOCKET, 41 /* SO_WIFI_STATUS */, A, I, B, 4, 0, 0, 0, 0, 0, 0},
    {SOL_SOCKET, 42 /* SO_PEEK_OFF */, A, I, R, 4, 0, 0, 0, -1, INT_MIN, INT_MAX},
    {SOL_SOCKET, 43 /* SO_NOFCS */, A, I, B, 4, 0, 0, 0, 0, 0, 0},
    {SOL_SOCKET, 44 /* SO_LOCK_FILTER */, A, I, B, 4, 0, 0, 0, 0, 0, 0},
    {SOL_SOCKET, 45 /* SO_SELECT_ERR_QUEUE */, A, I, B, 4, 0, 0, 0, 0, 0, 0},
    {SOL_SOCKET, 46 /* SO_BUSY_POLL */, A, I, R, 4, 0, 0, 0, 0, 0, INT_MAX},
    {SOL_SOCKET, 48 /* SO_BPF_EXTENSIONS */, A, I, NO, 4, 0, 0, 0, 64, 0, 0},
    {SOL_SOCKET, 49 /* SO_INCOMING_CPU */, A, I, AC, 4, 0, 0, 0, 0, 0, 0},
    {SOL_SOCKET, 53 /* SO_CNX_ADVICE */, A, GN, AC, 4, 0, 0, 0, 0, 0, 0},
    {SOL_SOCKET, 55 /* SO_MEMINFO */, A, Z, NO, 4, 0, 0, 36, 0, 0, 0},
    {SOL_SOCKET, 56 /* SO_INCOMING_NAPI_ID */, A, I, NO, 4, 0, 0, 0, 0, 0, 0},
    {SOL_SOCKET, 59 /* SO_PEERGROUPS */, A, GE, NO, 4, ENODATA, 0, 0, 0, 0, 0},
    {SOL_SOCKET, 60 /* SO_ZEROCOPY */, A, I, B, 4, 0, 0, 0, 0, 0, 0},
    {SOL_SOCKET, 61 /* SO_TXTIME */, A, Z, AC, 4, 0, 0, 8, 0, 0, 0},
    {SOL_SOCKET, 62 /* SO_BINDTOIFINDEX */, A, I, AC, 4, 0, 0, 0, 0, 0, 0},
    {SOL_SOCKET, 68 /* SO_DETACH_REUSEPORT_BPF */, A, GN, XE, 4, 0, EINVAL, 0, 0, 0, 0},
    {SOL_SOCKET, 69 /* SO_PREFER_BUSY_POLL */, A, I, B, 4, 0, 0, 0, 0, 0, 0},
    {SOL_SOCKET, 72 /* SO_BUF_LOCK */, A, I, R, 4, 0, 0, 0, 0, 0, 3},
    /* SO_RESERVE_MEM needs a memory cgroup: a negative size is EINVAL
     * first (opts.c), then EOPNOTSUPP */
    {SOL_SOCKET, 73 /* SO_RESERVE_MEM */, A, I, XE, 4, 0, EOPNOTSUPP, 0, 0, 0, 0},
    {SOL_SOCKET, 74 /* SO_TXREHASH */, S, I, R, 4, 0, 0, 0, 1, -1, 1},
    {SOL_SOCKET, 74 /* SO_TXREHASH */, D, GE, XE, 4, EOPNOTSUPP, EOPNOTSUPP, 0, 0, 0, 0},
    {SOL_SOCKET, 75 /* SO_RCVMARK */, A, I, B, 4, 0, 0, 0, 0, 0, 0},
    {SOL_SOCKET, 76 /* SO_PASSPIDFD */, A, GE, XE, 4, EOPNOTSUPP, EOPNOTSUPP, 0, 0, 0, 0},
    {SOL_SOCKET, 77 /* SO_PEERPIDFD */, A, GE, NO, 4, ENODATA, 0, 0, 0, 0, 0},

    /* IPPROTO_IP (on IPv4 and IPv6 sockets alike) */
    /* IP_TOS, IP_TTL: opts.c keeps them (datagrams carry them) */
    {IPPROTO_IP, IP_TOS, A, I, R, 0, 0, 0, 0, 0, INT_MIN, INT_MAX},
    {IPPROTO_IP, IP_TTL, A, I, R, 0, 0, 0, 0, -1, -1, 255},
    {IPPROTO_IP, IP_HDRINCL, A, I, B, 0, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IP, IP_OPTIONS, A, E, AC, 0, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IP, IP_ROUTER_ALERT, A, I, B, 0, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IP, IP_RECVOPTS, A, I, B, 0, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IP, IP_RETOPTS, A, I, B, 0, 0, 0, 0, 0, 0, 0},
    /* IP_PKTOPTIONS: what a TCP socket kept of the last SYN's options */
    {IPPROTO_IP, IP_PKTOPTIONS, S, E, NO, 0, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IP, IP_MTU_DISCOVER, A, I, R, 0, 0, 0, 0, 1, 0, 5},
    {IPPROTO_IP, IP_RECVERR, A, I, B, 0, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IP, IP_FREEBIND, A, I, B, 0, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IP, IP_PASSSEC, A, I, B, 0, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IP, IP_TRANSPARENT, A, I, B, 0, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IP, IP_RECVORIGDSTADDR, A, I, B, 0, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IP, IP_MINTTL, A, I, R, 1, 0, 0, 0, 0, 0, 255},
    /* IP_NODEFRAG is for raw sockets */
    {IPPROTO_IP, IP_NODEFRAG, A, I, XE, 0, 0, ENOPROTOOPT, 0, 0, 0, 0},
    {IPPROTO_IP, IP_CHECKSUM, A, I, B, 0, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, A, I, B, 0, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IP, IP_RECVFRAGSIZE, S, I, XE, 0, 0, EINVAL, 0, 0, 0, 0},
    {IPPROTO_IP, IP_RECVFRAGSIZE, D, I, B, 0, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IP, IP_RECVERR_RFC4884, A, I, R, 0, 0, 0, 0, 0, 0, 1},
    {IPPROTO_IP, IP_MULTICAST_IF, A, Z, AC, 0, 0, 0, 4, 0, 0, 0},
    /* IP_MULTICAST_TTL: TCP refuses it; -1 is the default (1) */
    {IPPROTO_IP, IP_MULTICAST_TTL, S, I, XE, 0, 0, EINVAL, 0, 1, 0, 0},
    {IPPROTO_IP, IP_MULTICAST_TTL, D, I, R, 1, 0, 0, 0, 1, -1, 255},
    {IPPROTO_IP, IP_MULTICAST_LOOP, A, I, B, 1, 0, 0, 0, 1, 0, 0},
    {IPPROTO_IP, IP_MSFILTER, A, GE, AC, 0, EINVAL, 0, 0, 0, 0, 0},

    /* IPPROTO_IPV6 (IPv6 sockets) */
    {IPPROTO_IPV6, 16 /* IPV6_UNICAST_HOPS */, A, I, R, 4, 0, 0, 0, -1, -1, 255},
    {IPPROTO_IPV6, 67 /* IPV6_TCLASS */, A, I, R, 4, 0, 0, 0, 0, -1, 255},
    {IPPROTO_IPV6, 2 /* IPV6_2292PKTINFO */, A, I, B, 4, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IPV6, 3 /* IPV6_2292HOPOPTS */, A, I, B, 4, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IPV6, 4 /* IPV6_2292DSTOPTS */, A, I, B, 4, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IPV6, 5 /* IPV6_2292RTHDR */, A, I, B, 4, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IPV6, 6 /* IPV6_2292PKTOPTIONS */, S, E, AC, 0, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IPV6, 8 /* IPV6_2292HOPLIMIT */, A, I, B, 4, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IPV6, 11 /* IPV6_FLOWINFO */, A, I, B, 4, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IPV6, 17 /* IPV6_MULTICAST_IF */, A, I, AC, 4, 0, 0, 0, 0, 0, 0},
    /* TCP reads the multicast hop limit but cannot set it */
    {IPPROTO_IPV6, 18 /* IPV6_MULTICAST_HOPS */, S, I, NO, 4, 0, 0, 0, 1, 0, 0},
    {IPPROTO_IPV6, 18 /* IPV6_MULTICAST_HOPS */, D, I, R, 4, 0, 0, 0, 1, -1, 255},
    {IPPROTO_IPV6, 19 /* IPV6_MULTICAST_LOOP */, A, I, R, 4, 0, 0, 0, 1, 0, 1},
    {IPPROTO_IPV6, 22 /* IPV6_ROUTER_ALERT */, A, I, AC, 4, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IPV6, 23 /* IPV6_MTU_DISCOVER */, A, I, R, 4, 0, 0, 0, 1, 0, 5},
    {IPPROTO_IPV6, 25 /* IPV6_RECVERR */, A, I, B, 4, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IPV6, 29 /* IPV6_MULTICAST_ALL */, A, I, B, 4, 0, 0, 0, 1, 0, 0},
    {IPPROTO_IPV6, 30 /* IPV6_ROUTER_ALERT_ISOLATE */, A, I, B, 4, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IPV6, 31 /* IPV6_RECVERR_RFC4884 */, A, I, R, 4, 0, 0, 0, 0, 0, 1},
    {IPPROTO_IPV6, 32 /* IPV6_FLOWLABEL_MGR */, A, GE, AC, 0, EINVAL, 0, 0, 0, 0, 0},
    /* anycast membership and sticky pktinfo take a struct: an int is
     * too short */
    {IPPROTO_IPV6, 27 /* IPV6_JOIN_ANYCAST */, A, GN, XE, 0, 0, EINVAL, 0, 0, 0, 0},
    {IPPROTO_IPV6, 28 /* IPV6_LEAVE_ANYCAST */, A, GN, XE, 0, 0, EINVAL, 0, 0, 0, 0},
    {IPPROTO_IPV6, 50 /* IPV6_PKTINFO */, A, GN, XE, 0, 0, EINVAL, 0, 0, 0, 0},
    {IPPROTO_IPV6, 33 /* IPV6_FLOWINFO_SEND */, A, I, B, 4, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IPV6, 53 /* IPV6_RECVHOPOPTS */, A, I, B, 4, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IPV6, 54 /* IPV6_HOPOPTS */, A, E, AC, 0, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IPV6, 55 /* IPV6_RTHDRDSTOPTS */, A, E, AC, 0, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IPV6, 56 /* IPV6_RECVRTHDR */, A, I, B, 4, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IPV6, 57 /* IPV6_RTHDR */, A, E, AC, 0, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IPV6, 58 /* IPV6_RECVDSTOPTS */, A, I, B, 4, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IPV6, 59 /* IPV6_DSTOPTS */, A, E, AC, 0, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IPV6, 60 /* IPV6_RECVPATHMTU */, A, I, B, 4, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IPV6, 62 /* IPV6_DONTFRAG */, A, I, B, 0, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IPV6, 70 /* IPV6_AUTOFLOWLABEL */, A, I, B, 0, 0, 0, 0, 1, 0, 0},
    {IPPROTO_IPV6, 73 /* IPV6_MINHOPCOUNT */, A, I, R, 4, 0, 0, 0, 0, 0, 255},
    {IPPROTO_IPV6, 74 /* IPV6_RECVORIGDSTADDR */, A, I, B, 4, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IPV6, 75 /* IPV6_TRANSPARENT */, A, I, B, 4, 0, 0, 0, 0, 0, 0},
    /* IPV6_UNICAST_IF: opts.c (an interface index in network order) */
    {IPPROTO_IPV6, 76 /* IPV6_UNICAST_IF */, A, I, AC, 4, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IPV6, 77 /* IPV6_RECVFRAGSIZE */, A, I, B, 0, 0, 0, 0, 0, 0, 0},
    {IPPROTO_IPV6, 78 /* IPV6_FREEBIND */, A, I, B, 4, 0, 0, 0, 0, 0, 0},

    /* IPPROTO_TCP (every value is an int: shorter is EINVAL) */
    {IPPROTO_TCP, TCP_MAXSEG, S, I, R, 4, 0, 0, 0, 536, 0, 65535},
    {IPPROTO_TCP, TCP_KEEPIDLE, S, I, R, 4, 0, 0, 0, 7200, 1, 32767},
    {IPPROTO_TCP, TCP_KEEPINTVL, S, I, R, 4, 0, 0, 0, 75, 1, 32767},
    {IPPROTO_TCP, TCP_KEEPCNT, S, I, R, 4, 0, 0, 0, 9, 1, 127},
    {IPPROTO_TCP, TCP_SYNCNT, S, I, R, 4, 0, 0, 0, 6, 1, 127},
    /* TCP_LINGER2, TCP_DEFER_ACCEPT: opts.c converts them as Linux */
    {IPPROTO_TCP, TCP_LINGER2, S, I, R, 4, 0, 0, 0, 60, INT_MIN, INT_MAX},
    {IPPROTO_TCP, TCP_DEFER_ACCEPT, S, I, R, 4, 0, 0, 0, 0, INT_MIN, INT_MAX},
    {IPPROTO_TCP, TCP_WINDOW_CLAMP, S, I, R, 4, 0, 0, 0, 0, 0, INT_MAX},
    {IPPROTO_TCP, TCP_INFO, S, GN, NO, 4, 0, 0, 0, 0, 0, 0},
    /* TCP_QUICKACK reads 1 until a 0 puts the socket in pingpong mode */
    {IPPROTO_TCP, TCP_QUICKACK, S, I, B, 4, 0, 0, 0, 1, 0, 0},
    {IPPROTO_TCP, TCP_THIN_LINEAR_TIMEOUTS, S, I, R, 4, 0, 0, 0, 0, 0, 1},
    /* TCP_THIN_DUPACK is obsolete: 0 or 1 accepted, 0 reported */
    {IPPROTO_TCP, TCP_THIN_DUPACK, S, I, AC, 4, 0, 0, 0, 0, 0, 1},
    {IPPROTO_TCP, TCP_USER_TIMEOUT, S, I, R, 4, 0, 0, 0, 0, 0, INT_MAX},
    {IPPROTO_TCP, TCP_REPAIR, S, I, AC, 4, 0, 0, 0, 0, 0, 0},
    {IPPROTO_TCP, TCP_REPAIR_QUEUE, S, GE, AC, 4, EINVAL, 0, 0, 0, 0, 0},
    {IPPROTO_TCP, TCP_QUEUE_SEQ, S, GE, AC, 4, EINVAL, 0, 0, 0, 0, 0},
    {IPPROTO_TCP, TCP_FASTOPEN, S, I, R, 4, 0, 0, 0, 0, 0, INT_MAX},
    /* TCP_TIMESTAMP: settable only in repair mode */
    {IPPROTO_TCP, TCP_TIMESTAMP, S, I, XE, 4, 0, EPERM, 0, 0, 0, 0},
    {IPPROTO_TCP, TCP_NOTSENT_LOWAT, S, I, R, 4, 0, 0, 0, 0, INT_MIN, INT_MAX},
    {IPPROTO_TCP, TCP_CC_INFO, S, Z, NO, 4, 0, 0, 20, 0, 0, 0},
    {IPPROTO_TCP, TCP_SAVE_SYN, S, I, R, 4, 0, 0, 0, 0, 0, 2},
    {IPPROTO_TCP, TCP_SAVED_SYN, S, E, NO, 4, 0, 0, 0, 0, 0, 0},
    {IPPROTO_TCP, TCP_REPAIR_WINDOW, S, GE, AC, 4, EINVAL, 0, 0, 0, 0, 0},
    {IPPROTO_TCP, TCP_FASTOPEN_CONNECT, S, I, B, 4, 0, 0, 0, 0, 0, 0},
    {IPPROTO_TCP, TCP_ULP, S, E, AC, 4, 0, 0, 0, 0, 0, 0},
    {IPPROTO_TCP, TCP_FASTOPEN_KEY, S, E, XE, 4, 0, EINVAL, 0, 0, 0, 0},
    {IPPROTO_TCP, TCP_FASTOPEN_NO_COOKIE, S, I, R, 4, 0, 0, 0, 0, 0, 1},
    {IPPROTO_TCP, TCP_ZEROCOPY_RECEIVE, S, GE, AC, 4, EINVAL, 0, 0, 0, 0, 0},
    {IPPROTO_TCP, TCP_INQ, S, I, R, 4, 0, 0, 0, 0, 0, 1},
    {IPPROTO_TCP, TCP_TX_DELAY, S, I, AC, 4, 0, 0, 0, 0, 0, 0},

    /* IPPROTO_UDP (every value is an int): UDP_CORK is kept, not obeyed;
     * encapsulation, checksum and segmentation options read 0 */
    {IPPROTO_UDP, 1 /* UDP_CORK */, D, I, B, 4, 0, 0, 0, 0, 0, 0},
    {IPPROTO_UDP, 100 /* UDP_ENCAP */, D, I, AC, 4, 0, 0, 0, 0, 0, 0},
    {IPPROTO_UDP, 101 /* UDP_NO_CHECK6_TX */, D, I, AC, 4, 0, 0, 0, 0, 0, 0},
    {IPPROTO_UDP, 102 /* UDP_NO_CHECK6_RX */, D, I, AC, 4, 0, 0, 0, 0, 0, 0},
    {IPPROTO_UDP, 103 /* UDP_SEGMENT */, D, I, AC, 4, 0, 0, 0, 0, 0, 0},
    {IPPROTO_UDP, 104 /* UDP_GRO */, D, I, AC, 4, 0, 0, 0, 0, 0, 0},
};

const sn_optdef *sn_optdef_find(int level, int name, int type)
{
    unsigned t = type == SOCK_STREAM ? SN_OT_STREAM : SN_OT_DGRAM;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].level == level && table[i].name == name && (table[i].types & t))
            return &table[i];
    return NULL;
}
