/* DNS messages: reading a query and writing its reply, within the bounds
 * given.  What a real server does with odd input is the model: a message
 * too short for a header, or a response, gets nothing; one that breaks
 * the format gets FORMERR; another opcode, NOTIMP. */
#include <string.h>

#include "core/dns.h"

#define F_QR     0x8000
#define F_OPCODE 0x7800
#define F_TC     0x0200
#define F_RD     0x0100
#define F_RA     0x0080
#define F_CD     0x0010
#define OPT_DO   0x8000
#define MAX_HOPS 64              /* compression pointers followed per name */

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* Read the name at off into out (wire form, pointers followed: a pointer
 * must go backwards, and hops are counted, so a loop ends).  Returns the
 * offset after the name where it was found, or 0 when it is broken. */
static size_t read_name(const uint8_t *msg, size_t len, size_t off,
                        uint8_t *out, size_t *outlen)
{
    size_t pos = off, next = 0, n = 0;
    int hops = 0;
    for (;;) {
        if (pos >= len)
            return 0;
        uint8_t c = msg[pos];
        if ((c & 0xC0) == 0xC0) {
            if (pos + 1 >= len)
                return 0;
            size_t to = (size_t)(c & 0x3F) << 8 | msg[pos + 1];
            if (!next)
                next = pos + 2;
            if (to >= pos || ++hops > MAX_HOPS)
                return 0;
            pos = to;
            continue;
        }
        if (c & 0xC0)                   /* 0x40, 0x80: label types no
                                           resolver sends (RFC 6891) */
            return 0;
        if (n + c + 1 > SN_DNS_NAME_MAX || pos + 1 + c > len)
            return 0;
        if (out)
            memcpy(out + n, msg + pos, (size_t)c + 1);
        n += (size_t)c + 1;
        if (c == 0)
            break;
        pos += (size_t)c + 1;
    }
    if (outlen)
        *outlen = n;
    return next ? next : pos + 1;
}

/* One record of the additional section at *off: an OPT is taken in q,
 * anything else (TSIG...) skipped.  false: the message is malformed. */
static bool read_additional(const uint8_t *msg, size_t len, size_t *off,
                            sn_dns_query *q, bool *seen_opt, int *version)
{
    uint8_t name[SN_DNS_NAME_MAX];
    size_t nlen = 0, p = read_name(msg, len, *off, name, &nlen);
    if (!p || p + 10 > len)
        return false;
    uint16_t type = get16(msg + p), cls = get16(msg + p + 2);
    size_t rdlen = get16(msg + p + 8);
    if (p + 10 + rdlen > len)
        return false;
    if (type == SN_DNS_OPT) {
        if (*seen_opt || nlen != 1)     /* one OPT, owned by the root */
            return false;
        *seen_opt = true;
        q->edns = true;
        q->udp_size = cls;
        *version = msg[p + 5];
        q->edns_do = (get16(msg + p + 6) & OPT_DO) != 0;
    }
    *off = p + 10 + rdlen;
    return true;
}

static int parse_body(const uint8_t *msg, size_t len, sn_dns_query *q)
{
    uint16_t qd = get16(msg + 4), an = get16(msg + 6), ns = get16(msg + 8),
             ar = get16(msg + 10);
    size_t off = SN_DNS_HDR;
    if (qd == 1) {
        off = read_name(msg, len, off, q->qname, &q->qname_len);
        if (!off || off + 4 > len)
            return SN_DNS_FORMERR;
        q->qtype = get16(msg + off);
        q->qclass = get16(msg + off + 2);
        q->has_question = true;
        off += 4;
    }
    if ((q->flags & F_OPCODE) != 0)
        return SN_DNS_NOTIMP;
    if (qd != 1 || an != 0 || ns != 0)
        return SN_DNS_FORMERR;
    bool seen_opt = false;
    int version = 0;
    for (unsigned i = 0; i < ar; i++)
        if (!read_additional(msg, len, &off, q, &seen_opt, &version)) {
            q->edns = false;            /* a broken OPT is not echoed */
            return SN_DNS_FORMERR;
        }
    if (off != len)                     /* trailing bytes */
        return SN_DNS_FORMERR;
    if (q->qtype == SN_DNS_OPT)         /* RFC 6891: OPT is no question */
        return SN_DNS_FORMERR;
    return version ? SN_DNS_BADVERS : SN_DNS_NOERROR;
}

int sn_dns_parse(const uint8_t *msg, size_t len, sn_dns_query *q)
{
    memset(q, 0, sizeof *q);
    if (!msg || len < SN_DNS_HDR)
        return -1;
    q->id = get16(msg);
    q->flags = get16(msg + 2);
    if (q->flags & F_QR)
        return -1;
    q->rcode = parse_body(msg, len, q);
    return 0;
}

static bool plain_char(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

size_t sn_dns_qname_text(const sn_dns_query *q, char out[SN_DNS_TEXT_MAX])
{
    size_t n = 0;
    for (size_t i = 0; i < q->qname_len && q->qname[i]; ) {
        size_t l = q->qname[i++];
        if (n)
            out[n++] = '.';
        for (size_t j = 0; j < l && i < q->qname_len; j++, i++) {
            uint8_t c = q->qname[i];
            if (c >= 'A' && c <= 'Z')
                c = (uint8_t)(c - 'A' + 'a');
            if (plain_char(c)) {
                out[n++] = (char)c;
            } else {
                out[n++] = '\\';
                out[n++] = (char)('0' + c / 100);
                out[n++] = (char)('0' + c / 10 % 10);
                out[n++] = (char)('0' + c % 10);
            }
        }
    }
    out[n] = 0;                         /* 255 wire bytes: < 4 * 255 */
    return n;
}

int sn_dns_name_wire(const char *text, uint8_t out[SN_DNS_NAME_MAX])
{
    size_t n = 0;
    const char *p = text;
    if (p[0] == '.' && p[1] == 0)
        p++;                            /* "." is the root */
    while (*p) {
        size_t l = 0;
        while (p[l] && p[l] != '.')
            l++;
        if (l < 1 || l > 63 || n + 1 + l + 1 > SN_DNS_NAME_MAX)
            return -1;
        for (size_t j = 0; j < l; j++) {
            uint8_t c = (uint8_t)p[j];
            if (c >= 'A' && c <= 'Z')
                c = (uint8_t)(c - 'A' + 'a');
            if (!plain_char(c))
                return -1;
        }
        out[n] = (uint8_t)l;
        memcpy(out + n + 1, p, l);
        n += 1 + l;
        p += l;
        if (*p == '.')
            p++;
    }
    out[n++] = 0;
    return (int)n;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* "d.c.b.a" of in-addr.arpa, each 0-255 without leading zeros. */
static bool reverse_v4(const char *t, size_t len, uint8_t ip[16])
{
    memset(ip, 0, 16);
    ip[10] = ip[11] = 0xff;
    size_t i = 0;
    for (int k = 3; k >= 0; k--) {
        unsigned v = 0, digits = 0;
        while (i < len && t[i] >= '0' && t[i] <= '9' && digits < 4) {
            v = v * 10 + (unsigned)(t[i++] - '0');
            digits++;
        }
        if (!digits || digits > 3 || v > 255 || (digits > 1 && t[i - digits] == '0'))
            return false;
        ip[12 + k] = (uint8_t)v;
        if (k && (i >= len || t[i++] != '.'))
            return false;
    }
    return i == len;
}

/* 32 nibbles of ip6.arpa, lowest first. */
static bool reverse_v6(const char *t, size_t len, uint8_t ip[16])
{
    if (len != 63)
        return false;
    memset(ip, 0, 16);
    for (int k = 0; k < 32; k++) {
        int d = hex_digit(t[2 * k]);
        if (d < 0 || (k < 31 && t[2 * k + 1] != '.'))
            return false;
        int nib = 31 - k;
        ip[nib / 2] |= (uint8_t)(nib % 2 ? d : d << 4);
    }
    return true;
}

bool sn_dns_reverse_addr(const char *text, uint8_t ip[16])
{
    static const char v4[] = ".in-addr.arpa", v6[] = ".ip6.arpa";
    size_t n = strlen(text);
    if (n > sizeof v4 - 1 && strcmp(text + n - (sizeof v4 - 1), v4) == 0)
        return reverse_v4(text, n - (sizeof v4 - 1), ip);
    if (n > sizeof v6 - 1 && strcmp(text + n - (sizeof v6 - 1), v6) == 0)
        return reverse_v6(text, n - (sizeof v6 - 1), ip);
    return false;
}

/* ---- writing ---- */

typedef struct wbuf {
    uint8_t *p;
    size_t   n, cap;
} wbuf;

static void put16(wbuf *w, uint16_t v)
{
    w->p[w->n++] = (uint8_t)(v >> 8);
    w->p[w->n++] = (uint8_t)v;
}

static void put32(wbuf *w, uint32_t v)
{
    put16(w, (uint16_t)(v >> 16));
    put16(w, (uint16_t)v);
}

static void putn(wbuf *w, const void *d, size_t n)
{
    memcpy(w->p + w->n, d, n);
    w->n += n;
}

#define OPT_SIZE 11              /* root, type, class, TTL, rdlength 0 */

/* How large the reply may be: 512 bytes, or what an EDNS requester
 * announced (never under 512: RFC 6891), within cap. */
static size_t reply_limit(const sn_dns_query *q, size_t cap)
{
    size_t lim = 512;
    if (q->edns && q->udp_size > lim)
        lim = q->udp_size;
    return lim < cap ? lim : cap;
}

size_t sn_dns_reply(const sn_dns_query *q, int rcode, const sn_dns_rr *an,
                    int nan, uint8_t *out, size_t cap)
{
    size_t lim = reply_limit(q, cap);
    size_t fixed = SN_DNS_HDR + (q->has_question ? q->qname_len + 4 : 0) +
                   (q->edns ? OPT_SIZE : 0);
    if (fixed > lim)
        return 0;
    wbuf w = {out, 0, lim};
    uint16_t flags = F_QR | (q->flags & (F_OPCODE | F_RD | F_CD)) | F_RA |
                     (uint16_t)(rcode & 0xF);
    put16(&w, q->id);
    put16(&w, flags);
    put16(&w, q->has_question);
    w.n += 6;                           /* counts of the other sections */
    if (q->has_question) {
        putn(&w, q->qname, q->qname_len);
        put16(&w, q->qtype);
        put16(&w, q->qclass);
    }
    int written = 0;
    for (int i = 0; q->has_question && i < nan; i++, written++) {
        if (w.n + 12 + an[i].len + (q->edns ? OPT_SIZE : 0) > lim) {
            out[2] |= F_TC >> 8;
            break;
        }
        put16(&w, 0xC000 | SN_DNS_HDR); /* the question's name */
        put16(&w, an[i].type);
        put16(&w, SN_DNS_IN);
        put32(&w, SN_DNS_TTL);
        put16(&w, an[i].len);
        putn(&w, an[i].data, an[i].len);
    }
    if (q->edns) {
        w.p[w.n++] = 0;
        put16(&w, SN_DNS_OPT);
        put16(&w, SN_DNS_UDP_MAX);
        put32(&w, (uint32_t)(rcode >> 4) << 24 | (q->edns_do ? OPT_DO : 0));
        put16(&w, 0);
    }
    out[6] = (uint8_t)(written >> 8);
    out[7] = (uint8_t)written;
    out[8] = out[9] = 0;
    out[10] = 0;
    out[11] = q->edns;
    return w.n;
}
