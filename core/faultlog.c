/* The lines of the fault log (core/faultlog.h). */
#include "core/faultlog.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>

#include "core/hosts.h"
#include "core/links.h"

static const struct {
    const char *text;
    int         rule;     /* SN_RULE_*, -1: no rule to name */
} events[] = {
    [SN_FE_LOST] = {"lost", SN_RULE_DROP},
    [SN_FE_DUP] = {"duplicated", SN_RULE_DUP},
    [SN_FE_HELD] = {"held", SN_RULE_CUT},
    [SN_FE_CONN_HELD] = {"connect held", SN_RULE_CUT},
    [SN_FE_RELEASED] = {"released", -1},
    [SN_FE_CONN_RELEASED] = {"connect released", -1},
    [SN_FE_REFUSED] = {"connect refused", SN_RULE_REFUSE},
    [SN_FE_LIMIT] = {"cut with a reset", SN_RULE_LIMIT},
    [SN_FE_RESET] = {"reset", -1},
    [SN_FE_TIMEDOUT] = {"timed out", SN_RULE_CUT},
};

/* h: a host index, or an end (core/links.h: the port above it). */
static const char *host_name(sn_arena *a, int h)
{
    h = (uint16_t)h;
    return h == 0 ? "default" : a->hosts[h].name;
}

/* "1.2.3.4:80" or "[::1]:80". */
static void put_addr(char *b, size_t n, const sn_addr *x)
{
    char ip[INET6_ADDRSTRLEN];
    if (sn_addr_is_v4(x)) {
        inet_ntop(AF_INET, x->ip + 12, ip, sizeof ip);
        snprintf(b, n, "%s:%u", ip, x->port);
    } else {
        inet_ntop(AF_INET6, x->ip, ip, sizeof ip);
        snprintf(b, n, "[%s]:%u", ip, x->port);
    }
}

void sn_faultlog_note(sn_arena *a, enum sn_fault_event ev, const sn_sock *k,
                      const sn_addr *from, const sn_addr *to, int src, int dst,
                      uint64_t bytes)
{
    char f[64], t[64], size[32] = "", line[300];
    put_addr(f, sizeof f, from);
    put_addr(t, sizeof t, to);
    if (bytes)
        snprintf(size, sizeof size, " (%llu bytes)", (unsigned long long)bytes);
    const char *proto = k->protocol == IPPROTO_TCP ? "tcp"
                      : k->protocol == IPPROTO_UDPLITE ? "udplite" : "udp";
    /* A reset ends both ways at once; the rest goes one way. */
    snprintf(line, sizeof line, "%s %s %s %s%s %s on %s %s %s", proto, f,
             ev == SN_FE_RESET ? "<->" : "->", t, size, events[ev].text,
             host_name(a, src), ev == SN_FE_RESET ? "<->" : "->", host_name(a, dst));
    int rule = events[ev].rule < 0 ? -1 : sn_links_rule(a, src, dst, events[ev].rule);
    a->on_fault(a, line, rule);
}

/* The way of k's connection a partition cuts, as ends (core/links.h:
 * hosts and ports, so that a rule per port is found): k's own way to
 * its peer, or the way back when only that one is cut (`--oneway`: a
 * keepalive's probes go out, their answers do not). */
static bool cut_way_back(sn_arena *a, const sn_sock *k, int *me, int *there)
{
    int host = sn_hosts_owner(a, k->host, &k->peer);
    *me = sn_links_end(k->host, k->local.port);
    *there = sn_links_end(host < 0 ? 0 : host, k->peer.port);
    return !sn_links_cut(a, *me, *there) && sn_links_cut(a, *there, *me);
}

void sn_faultlog_timed_out(sn_arena *a, const sn_sock *k)
{
    int me, there;
    if (cut_way_back(a, k, &me, &there))
        sn_faultlog_note(a, SN_FE_TIMEDOUT, k, &k->peer, &k->local, there, me, 0);
    else
        sn_faultlog_note(a, SN_FE_TIMEDOUT, k, &k->local, &k->peer, me, there, 0);
}
