/* Unit tests of core/dns.c: queries read and replies written byte by byte,
 * the format errors a server answers FORMERR to, and input that is
 * truncated or garbage (read within its bounds: run once under
 * -fsanitize=address,undefined, see docs/design.md). */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "tests/test_core_dns.h"

TestSuite(core_dns, .timeout = 20);

static int parse(const uint8_t *m, size_t n, sn_dns_query *q)
{
    return sn_dns_parse(m, n, q);
}

Test(core_dns, plain_query)
{
    uint8_t m[512];
    size_t n = td_query(m, 0xbeef, "WwW.Example.ORG", SN_DNS_AAAA, false);
    sn_dns_query q;
    cr_assert_eq(parse(m, n, &q), 0);
    cr_assert_eq(q.rcode, SN_DNS_NOERROR);
    cr_assert_eq(q.id, 0xbeef);
    cr_assert(q.has_question);
    cr_assert_eq(q.qtype, SN_DNS_AAAA);
    cr_assert_eq(q.qclass, SN_DNS_IN);
    cr_assert_not(q.edns);
    cr_assert_eq(q.qname_len, 17);
    char t[SN_DNS_TEXT_MAX];
    cr_assert_eq(sn_dns_qname_text(&q, t), 15);
    cr_assert_str_eq(t, "www.example.org");
}

Test(core_dns, reply_echoes_id_rd_question)
{
    uint8_t m[512], r[SN_DNS_UDP_MAX];
    size_t n = td_query(m, 0x4242, "LocalHost", SN_DNS_A, false);
    sn_dns_query q;
    cr_assert_eq(parse(m, n, &q), 0);
    static const uint8_t ip[4] = {127, 0, 0, 1};
    sn_dns_rr rr = {SN_DNS_A, ip, 4};
    size_t rl = sn_dns_reply(&q, SN_DNS_NOERROR, &rr, 1, r, sizeof r);
    cr_assert_eq(rl, n + 16);
    cr_assert_eq(td_get16(r), 0x4242);
    cr_assert_eq(td_get16(r + 2), 0x8180);     /* QR RD RA, NOERROR */
    cr_assert_eq(td_get16(r + 4), 1);
    cr_assert_eq(td_ancount(r), 1);
    cr_assert_eq(td_arcount(r), 0);
    /* the question as sent, case kept (resolvers compare it) */
    cr_assert_eq(memcmp(r + 12, m + 12, n - 12), 0);
    static const uint8_t an[16] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, SN_DNS_TTL,
                                   0, 4, 127, 0, 0, 1};
    cr_assert_eq(memcmp(r + n, an, 16), 0);
}

Test(core_dns, nxdomain_keeps_cd_drops_other_bits)
{
    uint8_t m[512], r[SN_DNS_UDP_MAX];
    size_t n = td_query(m, 7, "nosuchname.example", SN_DNS_A, false);
    m[2] = 0x05;                /* AA and TC set by an odd client: not copied */
    m[3] = 0x10 | 0x20;         /* CD copied, AD not */
    sn_dns_query q;
    cr_assert_eq(parse(m, n, &q), 0);
    size_t rl = sn_dns_reply(&q, SN_DNS_NXDOMAIN, NULL, 0, r, sizeof r);
    cr_assert_eq(rl, n);
    cr_assert_eq(td_get16(r + 2), 0x8000 | 0x0100 | 0x0080 | 0x0010 | 3);
    cr_assert_eq(td_ancount(r), 0);
}

Test(core_dns, edns_echoed)
{
    uint8_t m[512], r[SN_DNS_UDP_MAX];
    size_t n = td_header(m, 1, 0x0100, 1, 0, 0, 1);
    n = td_name(m, n, "a.example");
    n = td_put16(m, n, SN_DNS_A);
    n = td_put16(m, n, SN_DNS_IN);
    n = td_opt(m, n, 1400, 0, true);
    sn_dns_query q;
    cr_assert_eq(parse(m, n, &q), 0);
    cr_assert_eq(q.rcode, SN_DNS_NOERROR);
    cr_assert(q.edns);
    cr_assert(q.edns_do);
    cr_assert_eq(q.udp_size, 1400);
    size_t rl = sn_dns_reply(&q, SN_DNS_NXDOMAIN, NULL, 0, r, sizeof r);
    cr_assert_eq(rl, n);
    cr_assert_eq(td_arcount(r), 1);
    const uint8_t *o = r + rl - 11;
    cr_assert_eq(o[0], 0);
    cr_assert_eq(td_get16(o + 1), SN_DNS_OPT);
    cr_assert_eq(td_get16(o + 3), SN_DNS_UDP_MAX);
    cr_assert_eq(o[5], 0);                    /* extended rcode */
    cr_assert_eq(o[6], 0);                    /* version */
    cr_assert_eq(td_get16(o + 7), 0x8000);    /* DO copied */
    cr_assert_eq(td_get16(o + 9), 0);
}

Test(core_dns, edns_options_and_other_records_tolerated)
{
    uint8_t m[512];
    size_t n = td_header(m, 1, 0x0100, 1, 0, 0, 2);
    n = td_name(m, n, "a.example");
    n = td_put16(m, n, SN_DNS_A);
    n = td_put16(m, n, SN_DNS_IN);
    /* an OPT carrying a cookie option (8 bytes) */
    n = td_opt(m, n, 1232, 0, false);
    n = td_put16(m, n - 2, 12);
    n = td_put16(m, n, 10);
    n = td_put16(m, n, 8);
    memset(m + n, 0xab, 8);
    n += 8;
    /* a TSIG-like record with a compressed owner name: skipped */
    n = td_put16(m, n, 0xc00c);
    n = td_put16(m, n, 250);
    n = td_put16(m, n, 255);
    n = td_put16(m, n, 0);
    n = td_put16(m, n, 0);
    n = td_put16(m, n, 3);
    memset(m + n, 1, 3);
    n += 3;
    sn_dns_query q;
    cr_assert_eq(parse(m, n, &q), 0);
    cr_assert_eq(q.rcode, SN_DNS_NOERROR);
    cr_assert(q.edns);
    cr_assert_eq(q.udp_size, 1232);
}

Test(core_dns, edns_version_1_badvers)
{
    uint8_t m[512], r[SN_DNS_UDP_MAX];
    size_t n = td_header(m, 1, 0x0100, 1, 0, 0, 1);
    n = td_name(m, n, "a.example");
    n = td_put16(m, n, SN_DNS_A);
    n = td_put16(m, n, SN_DNS_IN);
    n = td_opt(m, n, 1232, 1, false);
    sn_dns_query q;
    cr_assert_eq(parse(m, n, &q), 0);
    cr_assert_eq(q.rcode, SN_DNS_BADVERS);
    size_t rl = sn_dns_reply(&q, q.rcode, NULL, 0, r, sizeof r);
    cr_assert_eq(td_rcode(r), 0);             /* 16: low bits in the header */
    cr_assert_eq(r[rl - 11 + 5], 1);          /* high bits in the OPT */
}

/* ---- what a server drops, and what it answers FORMERR / NOTIMP ---- */

Test(core_dns, too_short_or_response_dropped)
{
    uint8_t m[512];
    size_t n = td_query(m, 1, "a.example", SN_DNS_A, false);
    sn_dns_query q;
    for (size_t l = 0; l < SN_DNS_HDR; l++)
        cr_assert_eq(parse(m, l, &q), -1, "length %zu", l);
    cr_assert_eq(parse(NULL, 0, &q), -1);
    m[2] |= 0x80;                             /* QR: a response */
    cr_assert_eq(parse(m, n, &q), -1);
}

static int rcode_of(const uint8_t *m, size_t n)
{
    sn_dns_query q;
    cr_assert_eq(parse(m, n, &q), 0);
    return q.rcode;
}

Test(core_dns, every_truncation_formerr)
{
    uint8_t m[512];
    size_t n = td_query(m, 1, "abc.example.org", SN_DNS_A, true);
    for (size_t l = SN_DNS_HDR; l < n; l++)
        cr_assert_eq(rcode_of(m, l), SN_DNS_FORMERR, "length %zu", l);
    cr_assert_eq(rcode_of(m, n), SN_DNS_NOERROR);
    m[n] = 0;
    cr_assert_eq(rcode_of(m, n + 1), SN_DNS_FORMERR, "trailing byte");
}

Test(core_dns, section_counts)
{
    uint8_t m[512];
    size_t n = td_query(m, 1, "a.example", SN_DNS_A, false);
    m[5] = 0;                                 /* no question */
    cr_assert_eq(rcode_of(m, n), SN_DNS_FORMERR);
    m[5] = 2;                                 /* two */
    cr_assert_eq(rcode_of(m, n), SN_DNS_FORMERR);
    m[5] = 1;
    m[7] = 1;                                 /* an answer in a query */
    cr_assert_eq(rcode_of(m, n), SN_DNS_FORMERR);
    m[7] = 0;
    m[9] = 1;                                 /* an authority record */
    cr_assert_eq(rcode_of(m, n), SN_DNS_FORMERR);
    m[9] = 0;
    m[11] = 1;                                /* an additional that is not there */
    cr_assert_eq(rcode_of(m, n), SN_DNS_FORMERR);
}

Test(core_dns, bad_names)
{
    uint8_t m[600];
    size_t h = td_header(m, 1, 0x0100, 1, 0, 0, 0), n;
    /* a pointer to itself, forward, and a loop of two */
    static const uint8_t self[] = {0xc0, 12, 0, 1, 0, 1};
    static const uint8_t fwd[] = {0xc0, 20, 0, 1, 0, 1, 0, 0, 0, 0};
    static const uint8_t loop[] = {1, 'a', 0xc0, 12, 0, 1, 0, 1};
    static const uint8_t ext[] = {0x41, 0, 0, 1, 0, 1};   /* label type 01 */
    static const uint8_t bits[] = {0x80, 0, 0, 1, 0, 1};  /* label type 10 */
    const uint8_t *bad[] = {self, fwd, loop, ext, bits};
    size_t len[] = {sizeof self, sizeof fwd, sizeof loop, sizeof ext, sizeof bits};
    for (int i = 0; i < 5; i++) {
        memcpy(m + h, bad[i], len[i]);
        cr_assert_eq(rcode_of(m, h + len[i]), SN_DNS_FORMERR, "name %d", i);
    }
    /* 255 bytes in wire form is the most: three labels of 63, one of
     * 61, the root; one byte more is FORMERR */
    for (int last = 61; last <= 62; last++) {
        n = h;
        for (int i = 0; i < 4; i++) {
            int l = i < 3 ? 63 : last;
            m[n++] = (uint8_t)l;
            memset(m + n, 'x', (size_t)l);
            n += (size_t)l;
        }
        m[n++] = 0;
        cr_assert_eq(n - h, (size_t)last + 194);
        n = td_put16(m, n, 1);
        n = td_put16(m, n, 1);
        cr_assert_eq(rcode_of(m, n), last == 61 ? SN_DNS_NOERROR : SN_DNS_FORMERR);
    }
}

Test(core_dns, pointer_back_into_question_is_fine)
{
    uint8_t m[512];
    size_t n = td_header(m, 1, 0x0100, 1, 0, 0, 1);
    n = td_name(m, n, "a.example");
    n = td_put16(m, n, SN_DNS_A);
    n = td_put16(m, n, SN_DNS_IN);
    /* an additional record owned by the question's name, then one
     * pointing into the middle of it */
    n = td_put16(m, n, 0xc00c);
    n = td_put16(m, n, 16);
    n = td_put16(m, n, 1);
    n = td_put16(m, n, 0);
    n = td_put16(m, n, 0);
    n = td_put16(m, n, 0);
    cr_assert_eq(rcode_of(m, n), SN_DNS_NOERROR);
}

Test(core_dns, opt_rules)
{
    uint8_t m[512];
    size_t h = td_header(m, 1, 0x0100, 1, 0, 0, 2);
    h = td_name(m, h, "a.example");
    h = td_put16(m, h, SN_DNS_A);
    h = td_put16(m, h, SN_DNS_IN);
    size_t n = td_opt(m, h, 1232, 0, false);
    n = td_opt(m, n, 1232, 0, false);
    sn_dns_query q;
    cr_assert_eq(parse(m, n, &q), 0);
    cr_assert_eq(q.rcode, SN_DNS_FORMERR, "two OPT records");
    cr_assert_not(q.edns, "a broken OPT is not echoed");
    m[11] = 1;
    n = td_name(m, h, "x");                   /* OPT not owned by the root */
    n = td_opt(m, n - 1, 1232, 0, false);
    cr_assert_eq(rcode_of(m, n), SN_DNS_FORMERR);
    /* OPT as the question's type */
    n = td_query(m, 1, "a.example", SN_DNS_OPT, false);
    cr_assert_eq(rcode_of(m, n), SN_DNS_FORMERR);
}

Test(core_dns, other_opcodes_notimp)
{
    uint8_t m[512], r[SN_DNS_UDP_MAX];
    size_t n = td_query(m, 9, "a.example", 6 /* SOA */, false);
    for (int op = 1; op < 16; op++) {
        m[2] = (uint8_t)(op << 3 | 1);
        sn_dns_query q;
        cr_assert_eq(parse(m, n, &q), 0);
        cr_assert_eq(q.rcode, SN_DNS_NOTIMP, "opcode %d", op);
        size_t rl = sn_dns_reply(&q, q.rcode, NULL, 0, r, sizeof r);
        cr_assert_eq(rl, n);
        cr_assert_eq(td_get16(r + 2), 0x8000 | op << 11 | 0x0100 | 0x0080 | 4);
    }
}

/* ---- names ---- */

Test(core_dns, qname_text_escapes_odd_bytes)
{
    uint8_t m[512];
    size_t n = td_header(m, 1, 0x0100, 1, 0, 0, 0);
    static const uint8_t name[] = {5, 'l', 'o', '.', 'c', 'A', 3, 0, ' ', 0xff, 0};
    memcpy(m + n, name, sizeof name);
    n += sizeof name;
    n = td_put16(m, n, 1);
    n = td_put16(m, n, 1);
    sn_dns_query q;
    cr_assert_eq(parse(m, n, &q), 0);
    char t[SN_DNS_TEXT_MAX];
    sn_dns_qname_text(&q, t);
    cr_assert_str_eq(t, "lo\\046ca.\\000\\032\\255");
    n = td_query(m, 1, "", SN_DNS_A, false);
    cr_assert_eq(parse(m, n, &q), 0);
    cr_assert_eq(sn_dns_qname_text(&q, t), 0, "the root");
}

Test(core_dns, name_wire)
{
    uint8_t w[SN_DNS_NAME_MAX];
    cr_assert_eq(sn_dns_name_wire("localhost", w), 11);
    cr_assert_eq(memcmp(w, "\x09localhost", 11), 0);
    cr_assert_eq(sn_dns_name_wire("db.sim.", w), 8);
    cr_assert_eq(sn_dns_name_wire(".", w), 1);
    cr_assert_eq(sn_dns_name_wire("", w), 1);
    cr_assert_eq(sn_dns_name_wire("a..b", w), -1);
    cr_assert_eq(sn_dns_name_wire(".a", w), -1);
    cr_assert_eq(sn_dns_name_wire("a b", w), -1);
    char big[300];
    memset(big, 'x', 64);
    big[64] = 0;
    cr_assert_eq(sn_dns_name_wire(big, w), -1, "label of 64");
    for (int i = 0; i < 300; i++)
        big[i] = i % 2 ? '.' : 'x';
    big[299] = 0;
    cr_assert_eq(sn_dns_name_wire(big, w), -1, "longer than 255");
}

Test(core_dns, reverse_names)
{
    uint8_t ip[16];
    static const uint8_t v4[16] = {[10] = 0xff, [11] = 0xff, 192, 0, 2, 10};
    cr_assert(sn_dns_reverse_addr("10.2.0.192.in-addr.arpa", ip));
    cr_assert_eq(memcmp(ip, v4, 16), 0);
    static const uint8_t lo6[16] = {[15] = 1};
    cr_assert(sn_dns_reverse_addr("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
                                  "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa", ip));
    cr_assert_eq(memcmp(ip, lo6, 16), 0);
    static const uint8_t db8[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0xab};
    cr_assert(sn_dns_reverse_addr("b.a.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
                                  "0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", ip));
    cr_assert_eq(memcmp(ip, db8, 16), 0);
    const char *no[] = {"in-addr.arpa", ".in-addr.arpa", "0.127.in-addr.arpa",
                        "1.0.0.0.127.in-addr.arpa", "256.0.0.127.in-addr.arpa",
                        "01.0.0.127.in-addr.arpa", "1.0.0.127x.in-addr.arpa",
                        "a.0.0.127.in-addr.arpa", "1.0.0.127.in-addr.arpa.x",
                        "1.0.ip6.arpa", "localhost", ""};
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        cr_assert_not(sn_dns_reverse_addr(no[i], ip), "%s", no[i]);
}

/* ---- sizes ---- */

Test(core_dns, truncated_at_512_without_edns)
{
    uint8_t m[512], r[SN_DNS_UDP_MAX];
    size_t n = td_query(m, 1, "many.example", SN_DNS_AAAA, false);
    sn_dns_query q;
    cr_assert_eq(parse(m, n, &q), 0);
    static const uint8_t ip[16] = {0x20, 0x01, 0x0d, 0xb8};
    sn_dns_rr rr[40];
    for (int i = 0; i < 40; i++)
        rr[i] = (sn_dns_rr){SN_DNS_AAAA, ip, 16};
    size_t rl = sn_dns_reply(&q, SN_DNS_NOERROR, rr, 40, r, sizeof r);
    cr_assert_leq(rl, 512);
    cr_assert(r[2] & 0x02, "TC");
    cr_assert_eq(td_ancount(r), (int)(rl - n) / 28);
    /* with EDNS and room, all of them */
    n = td_query(m, 1, "many.example", SN_DNS_AAAA, true);
    cr_assert_eq(parse(m, n, &q), 0);
    rl = sn_dns_reply(&q, SN_DNS_NOERROR, rr, 40, r, sizeof r);
    cr_assert_not(r[2] & 0x02);
    cr_assert_eq(td_ancount(r), 40);
    cr_assert_eq(rl, n + 40 * 28);
    cr_assert_eq(sn_dns_reply(&q, SN_DNS_NOERROR, rr, 40, r, 20), 0, "no room");
}

/* ---- garbage ---- */

static void check_reply_bounds(const uint8_t *m, size_t n)
{
    sn_dns_query q;
    /* exactly n bytes of heap: the sanitizer sees a read past the end */
    uint8_t *copy = malloc(n ? n : 1);
    memcpy(copy, m, n);
    if (sn_dns_parse(copy, n, &q) == 0) {
        uint8_t r[SN_DNS_UDP_MAX];
        char t[SN_DNS_TEXT_MAX];
        size_t rl = sn_dns_reply(&q, q.rcode, NULL, 0, r, sizeof r);
        cr_assert(rl >= SN_DNS_HDR && rl <= 512 + 0u + (q.edns ? SN_DNS_UDP_MAX : 0));
        cr_assert_lt(sn_dns_qname_text(&q, t), sizeof t);
        uint8_t ip[16];
        sn_dns_reverse_addr(t, ip);
    }
    free(copy);
}

Test(core_dns, random_and_mutated_input)
{
    srandom(12345);
    uint8_t m[600], base[512];
    size_t bn = td_query(base, 1, "abc.def.example", SN_DNS_A, true);
    for (int it = 0; it < 200000; it++) {
        size_t n;
        if (it % 2) {
            n = (size_t)random() % sizeof m;
            for (size_t i = 0; i < n; i++)
                m[i] = (uint8_t)random();
            m[2] &= 0x7f;                     /* a query, mostly */
        } else {
            memcpy(m, base, bn);
            n = bn;
            for (int k = random() % 4; k >= 0; k--)
                m[(size_t)random() % bn] = (uint8_t)random();
            if (random() % 3 == 0)
                n = (size_t)random() % (bn + 1);
        }
        check_reply_bounds(m, n);
    }
}
