/* Packets as a capture shows them: an IPv4 or IPv6 header and a TCP, UDP
 * or ICMP header, synthesized from addresses and sequence numbers, with
 * real checksums.  Pure functions over a buffer: who sends what is
 * core/tap.c's business, where it goes core/capture.c's. */
#ifndef SN_PKT_H
#define SN_PKT_H

#include <stdint.h>

#include "core/addr.h"
#include "core/iov.h"

/* The largest TCP payload of one captured segment: loopback's MSS for
 * IPv4 (MTU 65536 less 20 + 20 bytes of headers and 12 of timestamps). */
#define SN_PKT_MSS     65483
/* Headers of one packet, at most: IPv6 (40) + TCP with options (28). */
#define SN_PKT_HDR_MAX 72

#define SN_TCP_FIN 0x01
#define SN_TCP_SYN 0x02
#define SN_TCP_RST 0x04
#define SN_TCP_PSH 0x08
#define SN_TCP_ACK 0x10
#define SN_TCP_URG 0x20

typedef struct sn_pkt {
    sn_addr  src, dst;     /* IPv4 when both are (v4-mapped) */
    uint8_t  proto;        /* IPPROTO_TCP, IPPROTO_UDP, or IPPROTO_ICMP
                              (ICMPv6 for IPv6): port unreachable */
    uint8_t  ttl;          /* TTL / hop limit */
    uint8_t  tos;
    uint8_t  flags;        /* TCP: SN_TCP_* */
    uint32_t seq, ack;     /* TCP */
    uint16_t ident;        /* IPv4 identification */
    uint16_t urp;          /* TCP urgent pointer (with SN_TCP_URG) */
} sn_pkt;

/* Write p's headers into out (SN_PKT_HDR_MAX bytes) for a payload of plen
 * bytes read through a copy of *payload (for the checksum); the header
 * length.  ICMP: the payload is the quoted packet. */
uint32_t sn_pkt_build(uint8_t *out, const sn_pkt *p, const sn_iovc *payload,
                      uint32_t plen);

#endif
