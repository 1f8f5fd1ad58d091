/* The control of links (core/net.h: sn_net_link_host, sn_net_link_set,
 * sn_net_heal, sn_net_reset, sn_net_set_seed, sn_net_link_text): the
 * rules of core/links.h written under the control-plane lock, and what a
 * change does at once to the sockets (held bytes and connects go on,
 * keepalive clocks start or stop, connections reset); the rest is done
 * where sockets send and read (core/faults.h). */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/handshake.h"
#include "core/faultlog.h"
#include "core/faults.h"
#include "core/hosts.h"
#include "core/links.h"
#include "core/net.h"
#include "core/repair.h"
#include "core/sockwait.h"
#include "core/toxics.h"

/* After a link changed (lock held): an idle connection whose link is
 * cut, either way, starts the clock of its keepalive (its probes, or
 * their answers, are lost from now on); one no longer cut stops it. */
static void mark_cut(sn_arena *a)
{
    for (uint32_t s = 0; s < a->hdr->sock_hwm; s++) {
        sn_sock *k = sn_sock_at(a, (int)s);
        int ps;
        sn_sock *p;
        if (k->type != SOCK_STREAM || k->state != SN_CONNECTED ||
            !(p = sn_sock_peer(a, k, &ps)))
            continue;
        bool cut = sn_links_cut(a, sn_sock_end(k), sn_sock_end(p)) ||
                   sn_links_cut(a, sn_sock_end(p), sn_sock_end(k));
        int64_t st = atomic_load(&k->stall_ns);
        if (cut == (st != 0))
            continue;
        if (!cut && !k->stall_idle)
            continue;                   /* held data: release_held's */
        sn_lock(&p->rx_prod);           /* k's senders hold it */
        if (cut && !atomic_load(&k->stall_ns)) {
            k->stall_idle = 1;
            atomic_store(&k->stall_ns, sn_mono_ns());
            atomic_store(&k->faulty, 1);
        } else if (!cut && k->stall_idle) {
            atomic_store(&k->stall_ns, 0);
            k->stall_idle = 0;
        }
        sn_unlock(&p->rx_prod);
        sn_wake(a, (int)s);             /* its waits have a new due time */
    }
}

/* After a link changed (lock held): bytes and connects it no longer
 * cuts go on, in order. */
static void release_held(sn_arena *a)
{
    for (uint32_t s = 0; s < a->hdr->sock_hwm; s++) {
        sn_sock *k = sn_sock_at(a, (int)s);
        if (k->state == SN_FREE)
            continue;
        if (k->held_conn) {
            sn_conn_retry_held(a, (int)s);
            if (!k->held_conn && sn_faultlog_on(a))
                sn_faultlog_note(a, SN_FE_CONN_RELEASED, k, &k->local, &k->peer, k->host,
                                 sn_hosts_owner(a, k->host, &k->peer), 0);
        }
        if (!atomic_load(&k->held) ||
            sn_links_cut(a, sn_links_end(k->held_from, k->peer.port), sn_sock_end(k)))
            continue;
        sn_lock(&k->rx_prod);
        atomic_store(&k->held, 0);
        sn_unlock(&k->rx_prod);
        sn_faultlog(a, SN_FE_RELEASED, k, &k->peer, &k->local, k->held_from, k->host, 0);
        int ps;
        sn_sock *p = sn_sock_peer(a, k, &ps);
        if (p) {
            atomic_store(&p->stall_ns, 0);
            sn_wake(a, ps);
        }
        sn_wake(a, (int)s);
    }
}

int sn_net_link_host(sn_arena *a, const char *name, char *err, size_t errlen)
{
    if (strcmp(name, "*") == 0)
        return SN_LINK_ANY;
    if (strcmp(name, SN_LINK_DEFAULT_HOST) == 0)
        return 0;
    sn_ctl_lock(a);
    int h = sn_hosts_add(a, name, NULL, 0, err, errlen);   /* made if new */
    sn_ctl_unlock(a);
    return h;
}

/* The slicer and slow close of rule l (its lock held). */
static void set_toxics(sn_link *l, const sn_link_set *c)
{
    if (c->slice_size >= 0) {
        l->slice_var = c->slice_var > 0 ? (uint32_t)c->slice_var : 0;
        l->slice_delay_ns = c->slice_delay_ns > 0 ? c->slice_delay_ns : 0;
        l->slice_size = (uint32_t)c->slice_size;
    }
    if (c->slow_close_ns >= 0)
        l->slow_close_ns = c->slow_close_ns;
}

int sn_net_link_set(sn_arena *a, int src, int dst, const sn_link_set *c)
{
    sn_ctl_lock(a);
    int i = sn_links_entry(a, src, sn_links_end(dst, (uint16_t)c->port));
    if (i >= 0) {
        sn_link *l = &a->links[i];
        sn_lock(&l->lock);
        if (c->clear) {
            l->delay_ns = l->jitter_ns = 0;
            l->rate_Bps = 0;
            atomic_store(&l->loss_ppm, 0);
            atomic_store(&l->dup_ppm, 0);
            l->ge_p = 0;
            atomic_store(&l->refuse, 0);
            atomic_store(&l->limit_data, 0);
            l->slice_size = l->slice_var = 0;
            l->slice_delay_ns = l->slow_close_ns = 0;
        }
        set_toxics(l, c);
        if (c->refuse >= 0)
            atomic_store(&l->refuse, (uint8_t)c->refuse);
        if (c->limit_data >= 0)
            atomic_store(&l->limit_data, (uint64_t)c->limit_data);
        if (c->dup_ppm >= 0)
            atomic_store(&l->dup_ppm, (uint32_t)c->dup_ppm);
        if (c->loss_ppm >= 0)
            l->ge_p = 0;
        if (c->ge[0] >= 0) {
            atomic_store(&l->loss_ppm, 0);
            l->ge_r = (uint32_t)c->ge[1];
            l->ge_bad_loss = (uint32_t)c->ge[2];
            l->ge_good_loss = (uint32_t)c->ge[3];
            l->ge_bad = 0;
            l->ge_p = (uint32_t)c->ge[0];
        }
        if (c->delay_ns >= 0)
            l->delay_ns = c->delay_ns;
        if (c->jitter_ns >= 0)
            l->jitter_ns = c->jitter_ns;
        if (c->rate_Bps >= 0)
            l->rate_Bps = (uint64_t)c->rate_Bps;
        if (c->loss_ppm >= 0)
            atomic_store(&l->loss_ppm, (uint32_t)c->loss_ppm);
        if (c->partition >= 0)
            atomic_store(&l->partition, (uint8_t)c->partition);
        sn_links_netem_set(l, c);
        sn_unlock(&l->lock);
    }
    sn_links_recount(a);
    release_held(a);
    mark_cut(a);
    sn_ctl_unlock(a);
    return i < 0 ? i : 0;
}

int sn_net_heal(sn_arena *a, int src, int dst)
{
    int n = 0;
    sn_ctl_lock(a);
    for (uint32_t i = 0; i < a->hdr->nlinks; i++) {
        sn_link *l = &a->links[i];
        if (!l->used || !atomic_load(&l->partition))
            continue;
        if ((src == SN_LINK_ANY || l->src == src) && (dst == SN_LINK_ANY || l->dst == dst)) {
            atomic_store(&l->partition, 0);
            n++;
        }
    }
    sn_links_recount(a);
    release_held(a);
    mark_cut(a);
    sn_ctl_unlock(a);
    return n;
}

int sn_net_reset(sn_arena *a, int x, int y)
{
    int n = 0;
    sn_ctl_lock(a);
    for (uint32_t s = 0; s < a->hdr->sock_hwm; s++) {
        sn_sock *k = sn_sock_at(a, (int)s);
        int ps;
        sn_sock *p;
        if (k->type != SOCK_STREAM || k->state != SN_CONNECTED ||
            !(p = sn_sock_peer(a, k, &ps)) || p->state != SN_CONNECTED)
            continue;
        bool xy = (x == SN_LINK_ANY || k->host == x) && (y == SN_LINK_ANY || p->host == y);
        bool yx = (y == SN_LINK_ANY || k->host == y) && (x == SN_LINK_ANY || p->host == x);
        if (!xy && !yx)
            continue;
        sn_faultlog(a, SN_FE_RESET, k, &k->local, &p->local, k->host, p->host, 0);
        sn_faults_reset_end(a, (int)s);
        sn_faults_reset_end(a, ps);
        n++;
    }
    sn_ctl_unlock(a);
    return n;
}

void sn_net_set_seed(sn_arena *a, uint64_t seed, bool force)
{
    sn_ctl_lock(a);
    if (force || !a->hdr->seed_set)
        sn_links_set_seed(a, seed);
    sn_ctl_unlock(a);
}

static const char *host_text(sn_arena *a, int h)
{
    return h == SN_LINK_ANY ? "*" : h == 0 ? SN_LINK_DEFAULT_HOST : a->hosts[h].name;
}

static size_t put_time(char *b, size_t n, const char *what, int64_t ns)
{
    if (ns % 1000000 == 0)
        return (size_t)snprintf(b, n, " %s %lldms", what, (long long)(ns / 1000000));
    return (size_t)snprintf(b, n, " %s %lldus", what, (long long)(ns / 1000));
}

/* " rate R" in the tc unit that says it exactly and shortest: bits with
 * k, m, g (what users type: 1mbit), else bytes with ki, mi (1mibps). */
static size_t put_rate(char *b, size_t n, uint64_t Bps)
{
    static const struct { uint64_t per; const char *unit; bool bytes; } u[] = {
        {1000000000, "gbit", false}, {1000000, "mbit", false}, {1000, "kbit", false},
        {1048576, "mibps", true}, {1024, "kibps", true}, {1, "bit", false}};
    for (size_t i = 0; i < sizeof u / sizeof *u; i++) {
        uint64_t v = u[i].bytes ? Bps : Bps * 8;
        if (v % u[i].per == 0)
            return (size_t)snprintf(b, n, " rate %llu%s", (unsigned long long)(v / u[i].per),
                                    u[i].unit);
    }
    return 0;
}

/* "what" and a percentage, as short as it is exact ("2%", "0.5%"). */
static size_t put_ppm(char *b, size_t n, const char *what, uint32_t ppm)
{
    char frac[8] = "";
    if (ppm % 10000) {
        snprintf(frac, sizeof frac, ".%04u", ppm % 10000);
        for (size_t z = strlen(frac); frac[z - 1] == '0'; z--)
            frac[z - 1] = 0;
    }
    return (size_t)snprintf(b, n, "%s%u%s%%", what, ppm / 10000, frac);
}

/* " reorder P [CORR] [gap N]", or nothing. */
static size_t reorder_text(const sn_link *l, char *b, size_t n)
{
    uint32_t ppm = atomic_load(&l->reorder_ppm);
    if (!n || !ppm)
        return 0;
    size_t u = put_ppm(b, n, " reorder ", ppm);
    if (u < n && l->reorder_c.rho)
        u += put_ppm(b + u, n - u, " ", l->reorder_c.rho);
    if (u < n && l->gap > 1)
        u += (size_t)snprintf(b + u, n - u, " gap %u", l->gap);
    return u;
}

int sn_net_link_text(sn_arena *a, int i, char *b, size_t n)
{
    if (i < 0 || (uint32_t)i >= __atomic_load_n(&a->hdr->nlinks, __ATOMIC_ACQUIRE))
        return -1;
    sn_link *l = &a->links[i];
    if (!__atomic_load_n(&l->used, __ATOMIC_ACQUIRE))
        return 0;
    size_t u = (size_t)snprintf(b, n, "%s -> %s", host_text(a, l->src), host_text(a, l->dst));
    if (u < n && l->port)
        u += (size_t)snprintf(b + u, n - u, " port %u", l->port);
    if (u < n && atomic_load(&l->partition))
        u += (size_t)snprintf(b + u, n - u, " partition");
    if (u < n && l->delay_ns)
        u += put_time(b + u, n - u, "delay", l->delay_ns);
    if (u < n && l->jitter_ns)
        u += put_time(b + u, n - u, "jitter", l->jitter_ns);
    if (u < n && l->jitter_ns && l->delay_c.rho)
        u += put_ppm(b + u, n - u, " ", l->delay_c.rho);
    if (u < n && l->dist)
        u += (size_t)snprintf(b + u, n - u, " distribution %s", sn_net_dist_name(l->dist));
    if (u < n && l->rate_Bps)
        u += put_rate(b + u, n - u, l->rate_Bps);
    uint32_t ppm = atomic_load(&l->loss_ppm);
    if (u < n && ppm)
        u += put_ppm(b + u, n - u, " loss ", ppm);
    if (u < n && ppm && l->loss_c.rho)
        u += put_ppm(b + u, n - u, " ", l->loss_c.rho);
    const uint32_t ge[4] = {l->ge_p, l->ge_r, l->ge_bad_loss, l->ge_good_loss};
    for (int j = 0; j < 4 && ge[0] && u < n; j++)
        u += put_ppm(b + u, n - u, j ? " " : " loss gemodel ", ge[j]);
    ppm = atomic_load(&l->dup_ppm);
    if (u < n && ppm)
        u += put_ppm(b + u, n - u, " duplicate ", ppm);
    if (u < n && ppm && l->dup_c.rho)
        u += put_ppm(b + u, n - u, " ", l->dup_c.rho);
    u += reorder_text(l, b + u, u < n ? n - u : 0);
    if (u < n && atomic_load(&l->refuse))
        u += (size_t)snprintf(b + u, n - u, " refuse");
    uint64_t lim = atomic_load(&l->limit_data);
    if (u < n && lim)
        u += (size_t)snprintf(b + u, n - u, " limit-data %llu", (unsigned long long)lim);
    if (u < n && l->slice_size) {
        char d[32] = "  0ms";          /* put_time's " what N": N at d + 2 */
        if (l->slice_delay_ns)
            put_time(d, sizeof d, "", l->slice_delay_ns);
        u += (size_t)snprintf(b + u, n - u, " slicer %u/%u/%s", l->slice_size,
                              l->slice_var, d + 2);
    }
    if (u < n && l->slow_close_ns)
        u += put_time(b + u, n - u, "slow-close", l->slow_close_ns);
    return 1;
}
