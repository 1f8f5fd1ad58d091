/* dns_send SERVER — what glibc's resolver does on the wire (send_dg):
 * a non-blocking UDP socket connected to SERVER:53, the A and AAAA
 * queries of one name sent together with sendmmsg, poll, recvfrom each
 * reply and check it came from the server; the queries are made and the
 * replies read by glibc's own res_mkquery and ns_parserr.
 *
 * Not a differential probe (the kernel has no such nameserver): run under
 * the library by tests/integration/dns.sh, which checks its lines. */
#include <arpa/nameser.h>
#include <resolv.h>

#include "probe.h"

static union {
    struct sockaddr sa;
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
} ns;
static socklen_t nslen;

static int ns_parse(const char *ip)
{
    memset(&ns, 0, sizeof ns);
    if (inet_pton(AF_INET, ip, &ns.in.sin_addr) == 1) {
        ns.in.sin_family = AF_INET;
        ns.in.sin_port = htons(53);
        nslen = sizeof ns.in;
    } else if (inet_pton(AF_INET6, ip, &ns.in6.sin6_addr) == 1) {
        ns.in6.sin6_family = AF_INET6;
        ns.in6.sin6_port = htons(53);
        nslen = sizeof ns.in6;
    } else {
        return -1;
    }
    return 0;
}

static const char *type_name(int t)
{
    return t == ns_t_a ? "A" : t == ns_t_aaaa ? "AAAA" : t == ns_t_ptr ? "PTR" : "?";
}

static const char *rcode_name(int r)
{
    static const char *names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                  "NOTIMP", "REFUSED"};
    return r >= 0 && r < 6 ? names[r] : "?";
}

/* One answer's data as text. */
static void print_rr(const char *tag, ns_msg *m, int i)
{
    ns_rr rr;
    char buf[NS_MAXDNAME];
    if (ns_parserr(m, ns_s_an, i, &rr) < 0) {
        printf("%s: answer %d unreadable\n", tag, i);
        return;
    }
    int t = ns_rr_type(rr);
    if (t == ns_t_a)
        inet_ntop(AF_INET, ns_rr_rdata(rr), buf, sizeof buf);
    else if (t == ns_t_aaaa)
        inet_ntop(AF_INET6, ns_rr_rdata(rr), buf, sizeof buf);
    else if (t == ns_t_ptr &&
             dn_expand(ns_msg_base(*m), ns_msg_end(*m), ns_rr_rdata(rr), buf,
                       sizeof buf) < 0)
        strcpy(buf, "(bad name)");
    printf("%s: %s ttl %u\n", tag, buf, (unsigned)ns_rr_ttl(rr));
}

/* Send the queries for name of both types at once, read both replies. */
static int ask(int s, const char *name, int t1, int t2)
{
    unsigned char q[2][512];
    struct iovec v[2];
    struct mmsghdr mm[2];
    memset(mm, 0, sizeof mm);
    int types[2] = {t1, t2};
    for (int i = 0; i < 2; i++) {
        int n = res_mkquery(ns_o_query, name, ns_c_in, types[i], NULL, 0, NULL,
                            q[i], sizeof q[i]);
        if (n < 0)
            return printf("res_mkquery failed\n"), -1;
        v[i] = (struct iovec){q[i], (size_t)n};
        mm[i].msg_hdr.msg_iov = &v[i];
        mm[i].msg_hdr.msg_iovlen = 1;
    }
    int sent = sendmmsg(s, mm, 2, MSG_NOSIGNAL);
    if (sent != 2)
        return printf("sendmmsg: %d %s\n", sent, errname(errno)), -1;
    for (int got = 0; got < 2; ) {
        struct pollfd p = {s, POLLIN, 0};
        if (poll(&p, 1, 2000) != 1)
            return printf("%s: no reply in 2 s\n", name), -1;
        unsigned char r[1232];
        struct sockaddr_storage from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(s, r, sizeof r, 0, (struct sockaddr *)&from, &fl);
        if (n < 0)
            return printf("recvfrom: %s\n", errname(errno)), -1;
        if (fl != nslen || memcmp(&from, &ns, nslen) != 0)
            printf("%s: reply not from the server\n", name);
        ns_msg m;
        if (ns_initparse(r, (int)n, &m) < 0)
            return printf("%s: reply unreadable\n", name), -1;
        int i = ns_msg_id(m) == (q[0][0] << 8 | q[0][1]) ? 0 : 1;
        char tag[300];
        snprintf(tag, sizeof tag, "%s %s", name, type_name(types[i]));
        printf("%s: rcode %s answers %d\n", tag, rcode_name(ns_msg_getflag(m, ns_f_rcode)),
               ns_msg_count(m, ns_s_an));
        for (int k = 0; k < ns_msg_count(m, ns_s_an); k++)
            print_rr(tag, &m, k);
        got++;
    }
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc != 2 || ns_parse(argv[1]) < 0) {
        fprintf(stderr, "usage: dns_send NAMESERVER-ADDRESS\n");
        return 2;
    }
    int s = socket(ns.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0 || connect(s, &ns.sa, nslen) < 0) {
        printf("socket/connect: %s\n", errname(errno));
        return 1;
    }
    int bad = ask(s, "nosuchname.example", ns_t_a, ns_t_aaaa) |
              ask(s, "localhost", ns_t_a, ns_t_aaaa) |
              ask(s, "1.0.0.127.in-addr.arpa", ns_t_ptr, ns_t_a);
    return bad ? 1 : 0;
}
