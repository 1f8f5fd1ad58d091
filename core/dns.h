/* DNS messages (RFC 1035, EDNS from RFC 6891): read a query, write the
 * reply.  Bytes only, no arena: what the network knows about names is
 * asked by the caller (core/nameserver.c), which hands the answers in.
 *
 * Everything is bounded by the lengths given: input of any length and
 * content is read without going past its end, and never crashes. */
#ifndef SN_DNS_H
#define SN_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SN_DNS_PORT      53
#define SN_DNS_TTL       60     /* seconds, every answer: hosts come and go */
#define SN_DNS_HDR       12
#define SN_DNS_NAME_MAX  255    /* a name in wire form, final 0 included */
#define SN_DNS_TEXT_MAX  1024   /* the same as text, every byte "\DDD" */
#define SN_DNS_UDP_MAX   1232   /* what we advertise with EDNS; our reply
                                   buffer (RFC 9715's safe size) */

enum { SN_DNS_NOERROR = 0, SN_DNS_FORMERR = 1, SN_DNS_SERVFAIL = 2,
       SN_DNS_NXDOMAIN = 3, SN_DNS_NOTIMP = 4, SN_DNS_REFUSED = 5,
       SN_DNS_BADVERS = 16 };   /* extended: only with EDNS */

enum { SN_DNS_A = 1, SN_DNS_PTR = 12, SN_DNS_AAAA = 28, SN_DNS_OPT = 41,
       SN_DNS_IXFR = 251, SN_DNS_AXFR = 252, SN_DNS_ANY = 255 };
enum { SN_DNS_IN = 1, SN_DNS_CLASS_ANY = 255 };

typedef struct sn_dns_query {
    uint16_t id, flags;          /* header as received */
    int      rcode;              /* what reading found: NOERROR, FORMERR,
                                    NOTIMP (opcode) or BADVERS */
    bool     has_question;       /* the question was read: echo it */
    uint8_t  qname[SN_DNS_NAME_MAX];  /* wire form, uncompressed, its case */
    size_t   qname_len;
    uint16_t qtype, qclass;
    bool     edns;               /* an OPT record came: answer with one */
    bool     edns_do;            /* its DO bit, copied back (RFC 3225) */
    uint16_t udp_size;           /* the requester's payload size */
} sn_dns_query;

/* Read a query.  -1: nothing to answer (shorter than a header, or a
 * response: a server drops those); else 0 and q->rcode says how to
 * answer. */
int sn_dns_parse(const uint8_t *msg, size_t len, sn_dns_query *q);

/* q's name as text: lower case, labels joined by '.', no final dot ("" is
 * the root), any byte but [a-z0-9_-] written "\DDD" so that no odd name
 * ever equals a plain one.  Returns its length. */
size_t sn_dns_qname_text(const sn_dns_query *q, char out[SN_DNS_TEXT_MAX]);

/* A plain dotted name (labels of [A-Za-z0-9_-], 1-63 bytes, final dot
 * optional) in wire form: its length, or -1 when it is not one. */
int sn_dns_name_wire(const char *text, uint8_t out[SN_DNS_NAME_MAX]);

/* The address a reverse name stands for: "4.3.2.1.in-addr.arpa" (IPv4,
 * put as ::ffff:1.2.3.4) or 32 nibbles and "ip6.arpa".  The text is
 * sn_dns_qname_text's.  false when it is not such a name. */
bool sn_dns_reverse_addr(const char *text, uint8_t ip[16]);

/* One answer record for q's name: A (4 bytes), AAAA (16) or PTR (a name
 * in wire form). */
typedef struct sn_dns_rr {
    uint16_t       type;
    const uint8_t *data;
    uint16_t       len;
} sn_dns_rr;

/* The reply to q: its id, QR, q's opcode, RD and CD, RA, `rcode`, the
 * question echoed, the answers (TTL SN_DNS_TTL), an OPT when q had one.
 * Answers that do not fit the requester's size (512 without EDNS) are
 * left out and TC set, as servers do.  Returns the length, or 0 when out
 * cannot hold even the header. */
size_t sn_dns_reply(const sn_dns_query *q, int rcode, const sn_dns_rr *an,
                    int nan, uint8_t *out, size_t cap);

#endif
