/* The link table and its model (core/links.h). */
#include "core/links.h"

#include <errno.h>
#include <math.h>
#include <time.h>

#include "core/lock.h"
#include "core/net.h"
#include "core/netem.h"

/* ---- the generator ---- */

uint64_t sn_links_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t sn_links_seed_of(uint64_t seed, int src, int dst)
{
    /* dst's port too (a rule's, core/links.h), so that a rule per port
     * draws apart from its pair's; without one, as ever */
    uint64_t st = seed ^ ((uint64_t)(uint16_t)src << 32 | (uint32_t)dst);
    return sn_links_rand(&st);
}

/* A value of rule l's correlated generator c (lock held). */
static uint32_t crand(sn_link *l, sn_corr *c)
{
    return sn_netem_next(c, (uint32_t)(sn_links_rand(&l->rng) >> 32));
}

/* An event of chance ppm, drawn by c, as netem compares (lock held). */
static bool chance(sn_link *l, sn_corr *c, uint32_t ppm)
{
    uint32_t v = crand(l, c);
    return ppm && v <= sn_netem_ppm32(ppm);
}

/* Correlated generator i of rule l starts from a value derived from the
 * rule's generator, as netem's start from a random one, so that it too
 * follows the seed; from a copy of its state, so that the rule's own
 * sequence of draws stays what it was without correlations (lock held). */
static void corr_start(sn_link *l, sn_corr *c, int i)
{
    uint64_t st = l->rng ^ ((uint64_t)(i + 1) << 56);
    c->last = (uint32_t)(sn_links_rand(&st) >> 32);
}

/* The slicer's generator starts from the rule's, as corr_start's copies
 * do, at the rule's start and at a new seed (lock held). */
static void slice_start(sn_link *l)
{
    uint64_t st = l->rng ^ ((uint64_t)5 << 56);
    l->slice_rng = sn_links_rand(&st);
}

/* The state of netem's models starts afresh: the correlated generators
 * and the count of the reorder's gap (lock held). */
static void netem_restart(sn_link *l)
{
    sn_corr *c[] = {&l->loss_c, &l->dup_c, &l->delay_c, &l->reorder_c};
    for (int i = 0; i < 4; i++)
        corr_start(l, c[i], i);
    l->gap_count = 0;
}

/* A network whose faults or seed were just set may have no process yet
 * (`simnet run --seed`, `simnet link` before the programs start): sweeps
 * spare it as they spare one that just got a host (core/hosts.h). */
void sn_links_touch(sn_arena *a)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    __atomic_store_n(&a->hdr->hosts_touched, (int64_t)t.tv_sec, __ATOMIC_RELAXED);
}

void sn_links_set_seed(sn_arena *a, uint64_t seed)
{
    sn_links_touch(a);
    a->hdr->seed = seed;
    a->hdr->seed_set = 1;
    for (uint32_t i = 0; i < a->hdr->nlinks; i++) {
        sn_link *l = &a->links[i];
        sn_lock(&l->lock);
        l->rng = sn_links_seed_of(seed, l->src, sn_links_end(l->dst, l->port));
        slice_start(l);
        netem_restart(l);
        sn_unlock(&l->lock);
    }
}

/* ---- the table ---- */

int sn_links_entry(sn_arena *a, int src, int dst)
{
    uint16_t port = sn_links_end_port(dst);
    dst = (uint16_t)dst;
    sn_links_touch(a);
    int free_i = -1;
    for (uint32_t i = 0; i < a->hdr->nlinks; i++) {
        sn_link *l = &a->links[i];
        if (l->used && l->src == (uint16_t)src && l->dst == (uint16_t)dst &&
            l->port == port)
            return (int)i;
        if (!l->used && free_i < 0)
            free_i = (int)i;
    }
    if (free_i < 0) {
        if (a->hdr->nlinks >= SN_MAX_LINKS)
            return -ENOSPC;
        free_i = (int)a->hdr->nlinks;
    }
    sn_link *l = &a->links[free_i];
    sn_lock(&l->lock);
    l->gen++;                           /* a new rule in this entry */
    l->src = (uint16_t)src;
    l->dst = (uint16_t)dst;
    atomic_store(&l->partition, 0);
    atomic_store(&l->loss_ppm, 0);
    atomic_store(&l->dup_ppm, 0);
    l->ge_p = l->ge_r = l->ge_bad_loss = l->ge_good_loss = l->ge_bad = 0;
    l->delay_ns = l->jitter_ns = 0;
    l->rate_Bps = 0;
    l->bucket_ns = 0;
    atomic_store(&l->refuse, 0);
    atomic_store(&l->limit_data, 0);
    l->port = port;
    l->slice_size = l->slice_var = 0;
    l->slice_delay_ns = l->slow_close_ns = 0;
    l->rng = sn_links_seed_of(a->hdr->seed, src, sn_links_end(dst, port));
    slice_start(l);
    sn_links_netem_reset(l);
    sn_unlock(&l->lock);
    __atomic_store_n(&l->used, 1, __ATOMIC_RELEASE);
    if ((uint32_t)free_i == a->hdr->nlinks)
        __atomic_store_n(&a->hdr->nlinks, a->hdr->nlinks + 1, __ATOMIC_RELEASE);
    return free_i;
}

static bool has_fault(const sn_link *l)
{
    return atomic_load(&l->partition) || atomic_load(&l->loss_ppm) ||
           atomic_load(&l->dup_ppm) || l->ge_p ||
           l->delay_ns || l->jitter_ns || l->rate_Bps || atomic_load(&l->refuse) ||
           atomic_load(&l->limit_data) || atomic_load(&l->reorder_ppm) || l->dist ||
           l->slice_size || l->slow_close_ns;
}

static bool lossy(const sn_link *l)
{
    return atomic_load_explicit(&l->loss_ppm, memory_order_relaxed) ||
           __atomic_load_n(&l->ge_p, __ATOMIC_RELAXED);
}

/* One draw of rule l's loss (lock held): random, or Gilbert-Elliott's
 * two states, each with its own loss, moving between them first. */
static bool draw_loss(sn_link *l)
{
    if (!l->ge_p && l->loss_c.rho)
        return chance(l, &l->loss_c, atomic_load(&l->loss_ppm));
    if (!l->ge_p)
        return sn_links_rand(&l->rng) % 1000000u < atomic_load(&l->loss_ppm);
    uint32_t move = (uint32_t)(sn_links_rand(&l->rng) % 1000000u);
    if (l->ge_bad ? move < l->ge_r : move < l->ge_p)
        l->ge_bad = !l->ge_bad;
    uint32_t p = l->ge_bad ? l->ge_bad_loss : l->ge_good_loss;
    return sn_links_rand(&l->rng) % 1000000u < p;
}

void sn_links_recount(sn_arena *a)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < a->hdr->nlinks; i++) {
        sn_link *l = &a->links[i];
        if (!l->used)
            continue;
        if (has_fault(l))
            n++;
        else
            __atomic_store_n(&l->used, 0, __ATOMIC_RELEASE);
    }
    atomic_store(&a->hdr->faults, n);
}

/* How specific a rule is for the ends src and dst: by its hosts, 8
 * exact ... 2 (*, *), one more with a port (so A B --port P over A B,
 * and A B over * B --port P); 0 it does not match. */
static int match(const sn_link *l, int src, int dst)
{
    if (!__atomic_load_n(&l->used, __ATOMIC_ACQUIRE))
        return 0;
    bool s = l->src == (uint16_t)src, d = l->dst == (uint16_t)dst;
    bool s_any = l->src == SN_LINK_ANY, d_any = l->dst == SN_LINK_ANY;
    if ((!s && !s_any) || (!d && !d_any))
        return 0;
    uint16_t port = l->port;
    if (port && port != sn_links_end_port(src) && port != sn_links_end_port(dst))
        return 0;
    return 2 * (s && d ? 4 : s ? 3 : d ? 2 : 1) + (port != 0);
}

/* What a rule may do to a datagram or connection, one test each. */
static bool cuts(const sn_link *l)
{
    return atomic_load_explicit(&l->partition, memory_order_relaxed);
}
static bool refuses(const sn_link *l)
{
    return atomic_load_explicit(&l->refuse, memory_order_relaxed);
}
static bool limits(const sn_link *l)
{
    return atomic_load_explicit(&l->limit_data, memory_order_relaxed) != 0;
}
static bool duplicates(const sn_link *l)
{
    return atomic_load_explicit(&l->dup_ppm, memory_order_relaxed) != 0;
}

/* The first rule for (src, dst) that does `what`, or -1: any matching
 * rule's partition or refusal applies, and the first one is the one the
 * fault log names. */
static int first_index(sn_arena *a, int src, int dst, bool (*what)(const sn_link *))
{
    uint32_t n = __atomic_load_n(&a->hdr->nlinks, __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; i < n; i++)
        if (match(&a->links[i], src, dst) && what(&a->links[i]))
            return (int)i;
    return -1;
}

/* The most specific rule for (src, dst) that does `what`, or NULL (the
 * other settings come from one rule: A B over A * over * B over * *). */
static sn_link *best_rule(sn_arena *a, int src, int dst, bool (*what)(const sn_link *))
{
    uint32_t n = __atomic_load_n(&a->hdr->nlinks, __ATOMIC_ACQUIRE);
    sn_link *best = NULL;
    int rank = 0;
    for (uint32_t i = 0; i < n; i++) {
        sn_link *l = &a->links[i];
        int m = match(l, src, dst);
        if (m > rank && what(l)) {
            best = l;
            rank = m;
        }
    }
    return best;
}

bool sn_links_cut(sn_arena *a, int src, int dst)
{
    return first_index(a, src, dst, cuts) >= 0;
}

bool sn_links_drop(sn_arena *a, int src, int dst)
{
    if (first_index(a, src, dst, cuts) >= 0)
        return true;
    sn_link *best = best_rule(a, src, dst, lossy);
    if (!best)
        return false;
    sn_lock(&best->lock);
    bool lost = draw_loss(best);
    sn_unlock(&best->lock);
    return lost;
}

bool sn_links_refused(sn_arena *a, int src, int dst)
{
    return first_index(a, src, dst, refuses) >= 0;
}

uint64_t sn_links_limit(sn_arena *a, int src, int dst)
{
    sn_link *best = best_rule(a, src, dst, limits);
    return best ? atomic_load_explicit(&best->limit_data, memory_order_relaxed) : 0;
}

bool sn_links_dup(sn_arena *a, int src, int dst)
{
    sn_link *best = best_rule(a, src, dst, duplicates);
    if (!best)
        return false;
    sn_lock(&best->lock);
    uint32_t ppm = atomic_load(&best->dup_ppm);
    bool dup = best->dup_c.rho ? chance(best, &best->dup_c, ppm)
                               : sn_links_rand(&best->rng) % 1000000u < ppm;
    sn_unlock(&best->lock);
    return dup;
}

int64_t sn_links_rate_due(sn_link *l, int64_t now, uint32_t len)
{
    if (!l->rate_Bps)
        return now;
    int64_t start = l->bucket_ns > now ? l->bucket_ns : now;
    l->bucket_ns = start + (int64_t)((uint64_t)len * 1000000000ULL / l->rate_Bps);
    return l->bucket_ns;
}

static bool timed_rule(const sn_link *l)
{
    return l->delay_ns || l->jitter_ns || l->rate_Bps;
}

/* The jitter of one send, ns (lock held): uniform in +- jitter as
 * before correlations existed (the same draws for the same seed), else
 * netem's correlated value through the rule's distribution. */
static int64_t jitter(sn_link *l)
{
    if (!l->delay_c.rho && l->dist == SN_DIST_UNIFORM) {
        uint64_t span = 2 * (uint64_t)l->jitter_ns + 1;
        return (int64_t)(sn_links_rand(&l->rng) % span) - l->jitter_ns;
    }
    /* netem reduces the value modulo the table's size (or 2 * jitter),
     * which scatters a correlated value's small steps; scaled instead,
     * a correlation does make successive delays alike. */
    double u = ((double)crand(l, &l->delay_c) + 0.5) / 4294967296.0;
    return (int64_t)llround(sn_netem_quantile(l->dist, u) * (double)l->jitter_ns);
}

bool sn_links_reorder(sn_arena *a, int src, int dst)
{
    sn_link *best = best_rule(a, src, dst, timed_rule);
    uint32_t ppm = best ? atomic_load_explicit(&best->reorder_ppm, memory_order_relaxed) : 0;
    if (!ppm)
        return false;
    sn_lock(&best->lock);
    /* netem: within `gap` of the last one reordered, a datagram is
     * delayed without a draw; past it, it goes at once with chance ppm. */
    bool ahead = best->gap_count + 1 >= best->gap && chance(best, &best->reorder_c, ppm);
    best->gap_count = ahead ? 0 : best->gap_count + 1;
    sn_unlock(&best->lock);
    return ahead;
}

void sn_links_netem_reset(sn_link *l)
{
    l->loss_c.rho = l->dup_c.rho = l->delay_c.rho = l->reorder_c.rho = 0;
    atomic_store(&l->reorder_ppm, 0);
    l->gap = 1;
    l->dist = SN_DIST_UNIFORM;
    netem_restart(l);
}

/* Set the correlation of c (generator i) to rho if given, afresh. */
static void corr_set(sn_link *l, sn_corr *c, int i, int64_t rho)
{
    if (rho < 0)
        return;
    c->rho = (uint32_t)rho;
    corr_start(l, c, i);
}

void sn_links_netem_set(sn_link *l, const sn_link_set *c)
{
    if (c->clear)
        sn_links_netem_reset(l);
    corr_set(l, &l->loss_c, 0, c->loss_corr);
    corr_set(l, &l->dup_c, 1, c->dup_corr);
    corr_set(l, &l->delay_c, 2, c->delay_corr);
    corr_set(l, &l->reorder_c, 3, c->reorder_corr);
    if (c->reorder_ppm >= 0)
        atomic_store(&l->reorder_ppm, (uint32_t)c->reorder_ppm);
    if (c->gap >= 1) {
        l->gap = (uint32_t)c->gap;
        l->gap_count = 0;
    }
    if (c->dist >= 0)
        l->dist = (uint8_t)c->dist;
}

/* TCP's answer to a lost segment: it arrives after a retransmission
 * timeout (Linux's minimum RTO, 200 ms), doubled for each retransmission
 * lost too.  Draws under the rule's lock. */
static int64_t rto_delay(sn_link *l)
{
    int64_t extra = 0, rto = 200000000;
    for (int i = 0; i < 8 && draw_loss(l); i++) {
        extra += rto;
        rto *= 2;
    }
    return extra;
}

int64_t sn_links_due(sn_arena *a, int src, int dst, uint32_t len, bool stream,
                     int64_t now)
{
    uint32_t n = __atomic_load_n(&a->hdr->nlinks, __ATOMIC_ACQUIRE);
    sn_link *best = NULL, *lossy_rule = NULL;
    int rank = 0, lrank = 0;
    for (uint32_t i = 0; i < n; i++) {
        sn_link *l = &a->links[i];
        int m = match(l, src, dst);
        if (m > rank && timed_rule(l)) {
            best = l;
            rank = m;
        }
        if (stream && m > lrank && lossy(l)) {
            lossy_rule = l;
            lrank = m;
        }
    }
    if (!best && !lossy_rule)
        return 0;
    int64_t due = now;
    if (best) {
        sn_lock(&best->lock);
        due = sn_links_rate_due(best, now, len) + best->delay_ns;
        if (best->jitter_ns)
            due += jitter(best);
        sn_unlock(&best->lock);
    }
    if (lossy_rule) {
        sn_lock(&lossy_rule->lock);
        due += rto_delay(lossy_rule);
        sn_unlock(&lossy_rule->lock);
    }
    return due > now ? due : now + 1;
}

/* ---- which rule (SIMNET_DEBUG) ---- */

int sn_links_rule(sn_arena *a, int src, int dst, int what)
{
    sn_link *l = NULL;
    switch (what) {
    case SN_RULE_CUT:
        return first_index(a, src, dst, cuts);
    case SN_RULE_REFUSE:
        return first_index(a, src, dst, refuses);
    case SN_RULE_DROP: {
        int i = first_index(a, src, dst, cuts);
        if (i >= 0)
            return i;
        l = best_rule(a, src, dst, lossy);
        break;
    }
    case SN_RULE_DUP:
        l = best_rule(a, src, dst, duplicates);
        break;
    case SN_RULE_LIMIT:
        l = best_rule(a, src, dst, limits);
        break;
    }
    return l ? (int)(l - a->links) : -1;
}

static bool slices(const sn_link *l)
{
    return __atomic_load_n(&l->slice_size, __ATOMIC_RELAXED) != 0;
}

sn_link *sn_links_slicer(sn_arena *a, int src, int dst)
{
    return best_rule(a, src, dst, slices);
}

uint32_t sn_links_slice(sn_link *l)
{
    uint32_t size = l->slice_size, var = l->slice_var;
    if (size && var) {
        /* size - var ... size + var, never below one byte */
        uint64_t span = 2 * (uint64_t)var + 1;
        int64_t v = (int64_t)size - var + (int64_t)(sn_links_rand(&l->slice_rng) % span);
        size = v < 1 ? 1 : (uint32_t)v;
    }
    return size ? size : 1;            /* cleared meanwhile: a byte */
}

static bool closes_slowly(const sn_link *l)
{
    return __atomic_load_n(&l->slow_close_ns, __ATOMIC_RELAXED) != 0;
}

int64_t sn_links_slow_close(sn_arena *a, int src, int dst)
{
    sn_link *best = best_rule(a, src, dst, closes_slowly);
    return best ? __atomic_load_n(&best->slow_close_ns, __ATOMIC_RELAXED) : 0;
}
