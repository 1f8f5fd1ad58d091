/* simnet-inspect's commands for links and faults (scripts/simnet link,
 * partition, heal, reset; the seed of `simnet run --seed`):
 *
 *   simnet-inspect link DIR NAME [SRC DST [--port P] [OPTIONS...]]
 *   simnet-inspect partition DIR NAME SRC DST [--oneway]
 *   simnet-inspect heal DIR NAME [SRC DST]
 *   simnet-inspect reset DIR NAME SRC DST
 *   simnet-inspect seed DIR NAME [N]   set the seed (made if missing) / print it
 *
 * Unlike the rest of the inspector these write: they change the links of
 * the network (made if missing, so that faults can be set before the
 * programs start) through core/net.h, under its locks.  Bad values get
 * one line on stderr and status 2. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/net.h"

int inspect_links(int argc, char **argv);
void inspect_print_links(sn_arena *a);

static int bad(const char *fmt, const char *what)
{
    fprintf(stderr, "simnet: ");
    fprintf(stderr, fmt, what);
    fprintf(stderr, "\n");
    return 2;
}

/* SIMNET_DEBUG as the library reads it ("1": stderr, a path: appended
 * there): what `heal` lets go and `reset` cuts is told by the command
 * that did it, in the same words as the programs' own fault lines. */
static FILE *debug_out;

static void fault_line(sn_arena *a, const char *what, int rule)
{
    char rt[256] = "";
    if (rule >= 0 && sn_net_link_text(a, rule, rt, sizeof rt) <= 0)
        rt[0] = 0;
    fprintf(debug_out, "simnet[%d]: fault: %s%s%s%s\n", (int)getpid(), what,
            *rt ? " (rule: " : "", rt, *rt ? ")" : "");
    fflush(debug_out);
}

static void debug_init(sn_arena *a)
{
    const char *d = getenv("SIMNET_DEBUG");
    if (!d || !*d || strcmp(d, "0") == 0)
        return;
    if (!debug_out)
        debug_out = strcmp(d, "1") == 0 ? stderr : fopen(d, "a");
    if (!debug_out)
        fprintf(stderr, "simnet: cannot open SIMNET_DEBUG file %s: %s\n", d, strerror(errno));
    else
        a->on_fault = fault_line;
}

static int open_rw(sn_arena *a, const char *dir, const char *name)
{
    char path[4096], err[300];
    snprintf(path, sizeof path, "%s/%s.arena", dir, name);
    if (sn_net_open(a, path, SN_DEFAULT_SIZE, SN_ARENA_CREATE, err, sizeof err) < 0) {
        fprintf(stderr, "simnet: %s\n", err);
        return -1;
    }
    debug_init(a);
    return 0;
}

/* Both ends of a rule: host indices, made if new. */
static int two_hosts(sn_arena *a, const char *x, const char *y, int *hx, int *hy)
{
    char err[300];
    if ((*hx = sn_net_link_host(a, x, err, sizeof err)) < 0 ||
        (*hy = sn_net_link_host(a, y, err, sizeof err)) < 0) {
        fprintf(stderr, "simnet: %s\n", err);
        return -1;
    }
    return 0;
}

void inspect_print_links(sn_arena *a)
{
    char line[512];
    int r, shown = 0;
    for (int i = 0; (r = sn_net_link_text(a, i, line, sizeof line)) >= 0; i++)
        if (r > 0) {
            printf("%s\n", line);
            shown++;
        }
    if (!shown)
        printf("no faults\n");
}

/* --loss gemodel P [R [1-H [1-K]]] (netem's defaults: R = 100% - P,
 * 1-H = 100%, 1-K = 0%), argv[*i] is --loss; *i left on the last one. */
static int gemodel(int argc, char **argv, int *i, sn_link_set *c)
{
    int64_t ge[4] = {-1, -1, 1000000, 0};
    int n = 0;
    for (int j = *i + 2; j < argc && n < 4 && argv[j][0] != '-'; j++, n++) {
        uint32_t ppm;
        if (sn_net_parse_percent(argv[j], &ppm) < 0) {
            fprintf(stderr, "simnet: link: bad value '%s' for --loss gemodel "
                            "(percentages: P [R [1-H [1-K]]])\n", argv[j]);
            return 2;
        }
        ge[n] = ppm;
    }
    if (n == 0)
        return bad("link: --loss gemodel needs P [R [1-H [1-K]]] (percentages)%s", "");
    if (ge[1] < 0)
        ge[1] = 1000000 - ge[0];
    memcpy(c->ge, ge, sizeof ge);
    *i += 1 + n;
    return 0;
}

/* --limit-data's value: a number of bytes, decimal digits only. */
static int limit_bytes(const char *v, int64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (*v < '0' || *v > '9' || *end || errno || n > INT64_MAX)
        return -EINVAL;
    *out = (int64_t)n;
    return 0;
}

/* argv[*i + 1] and on: the value of option o (parse: 0 or -EINVAL),
 * then up to `opt` optional ones (not an option); *i left on the last
 * one taken.  Each value goes through its own parser. */
typedef int (*parse_fn)(const char *v, int64_t *out);

static int parse_pct(const char *v, int64_t *out)
{
    uint32_t ppm;
    int r = sn_net_parse_percent(v, &ppm);
    *out = ppm;
    return r;
}

static int parse_time(const char *v, int64_t *out)
{
    return sn_net_parse_time(v, out);
}

static int parse_gap(const char *v, int64_t *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (*v < '0' || *v > '9' || *end || errno || n < 1 || n > INT32_MAX)
        return -EINVAL;
    *out = n;
    return 0;
}

static int values(int argc, char **argv, int *i, int opt, const parse_fn *fn,
                  int64_t **out, const char *hint)
{
    const char *o = argv[*i];
    for (int k = 0; k <= opt; k++) {
        const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
        /* The next option ends them; "-5ms" is a bad value, not one. */
        if (k > 0 && (!v || (v[0] == '-' && !(v[1] >= '0' && v[1] <= '9') && v[1] != '.')))
            break;
        if (!v)
            return bad("link: %s needs a value", o);
        if (fn[k](v, out[k]) < 0) {
            fprintf(stderr, "simnet: link: bad value '%s' for %s (%s)\n", v, o, hint);
            return 2;
        }
        ++*i;
    }
    return 0;
}

/* netem's forms, argv[*i] the option: --loss P [CORR], --duplicate P
 * [CORR], --delay D [JITTER [CORR]], --jitter J [CORR], --reorder P
 * [CORR], --gap N, --distribution NAME.  A P without its CORR sets the
 * correlation to none, as tc does.  1: not one of them. */
static int netem_option(int argc, char **argv, int *i, sn_link_set *c)
{
    static const parse_fn pct2[] = {parse_pct, parse_pct},
                          delay[] = {parse_time, parse_time, parse_pct},
                          gap[] = {parse_gap};
    const char *o = argv[*i];
    const char *pcts = "percentages: P [CORRELATION], 2% 25%";
    if (strcmp(o, "--loss") == 0 || strcmp(o, "--duplicate") == 0 ||
        strcmp(o, "--reorder") == 0) {
        int64_t *p = o[2] == 'l' ? &c->loss_ppm : o[2] == 'd' ? &c->dup_ppm : &c->reorder_ppm;
        int64_t *r = o[2] == 'l' ? &c->loss_corr : o[2] == 'd' ? &c->dup_corr : &c->reorder_corr;
        *r = 0;
        return values(argc, argv, i, 1, pct2, (int64_t *[]){p, r}, pcts);
    }
    /* A jitter without its correlation has none. */
    int first = *i, r;
    if (strcmp(o, "--delay") == 0) {
        r = values(argc, argv, i, 2, delay,
                   (int64_t *[]){&c->delay_ns, &c->jitter_ns, &c->delay_corr},
                   "tc units and a percentage: 50ms [10ms [25%]]");
        if (!r && *i - first == 2)
            c->delay_corr = 0;
        return r;
    }
    if (strcmp(o, "--jitter") == 0) {
        r = values(argc, argv, i, 1, delay + 1, (int64_t *[]){&c->jitter_ns, &c->delay_corr},
                   "tc units and a percentage: 10ms [25%]");
        if (!r && *i - first == 1)
            c->delay_corr = 0;
        return r;
    }
    if (strcmp(o, "--gap") == 0)
        return values(argc, argv, i, 0, gap, (int64_t *[]){&c->gap},
                      "a number of datagrams, 1 or more");
    if (strcmp(o, "--distribution") == 0) {
        const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
        if ((c->dist = sn_net_parse_dist(v)) < 0) {
            fprintf(stderr, "simnet: link: bad value '%s' for --distribution "
                            "(uniform, normal, pareto or paretonormal)\n", v ? v : "");
            return 2;
        }
        ++*i;
        return 0;
    }
    if (strcmp(o, "--correlation") == 0)
        return bad("link: a correlation follows its value: --loss P CORR, --duplicate P "
                   "CORR, --delay D JITTER CORR, --jitter J CORR, --reorder P CORR%s", "");
    return 1;
}

/* --port's value: 1 to 65535. */
static int port_number(const char *v, int *out)
{
    int64_t n;
    if (limit_bytes(v, &n) < 0 || n < 1 || n > 65535)
        return -EINVAL;
    *out = (int)n;
    return 0;
}

/* --slicer SIZE[/VARIATION[/DELAY]]: bytes, bytes (below SIZE), a time;
 * SIZE 0 turns the slicer off. */
static int slicer(const char *v, sn_link_set *c)
{
    char buf[64], *parts[3] = {buf, NULL, NULL};
    if (strlen(v) >= sizeof buf)
        return -EINVAL;
    strcpy(buf, v);
    for (int i = 1; i < 3; i++) {
        char *slash = parts[i - 1] ? strchr(parts[i - 1], '/') : NULL;
        if (slash) {
            *slash = 0;
            parts[i] = slash + 1;
        }
    }
    int64_t size, var = 0, delay = 0;
    if (limit_bytes(parts[0], &size) < 0 || size > UINT32_MAX / 2 ||
        (parts[1] && (limit_bytes(parts[1], &var) < 0 || (size && var >= size))) ||
        (parts[2] && sn_net_parse_time(parts[2], &delay) < 0))
        return -EINVAL;
    c->slice_size = size;
    c->slice_var = var;
    c->slice_delay_ns = delay;
    return 0;
}

/* Toxiproxy's options: --port, --slicer, --slow-close (o takes v).
 * 1: not one of them; 0 done; 2 a bad value (said). */
static int toxic_option(const char *o, const char *v, sn_link_set *c)
{
    int r;
    if (strcmp(o, "--port") == 0)
        r = port_number(v, &c->port);
    else if (strcmp(o, "--slicer") == 0)
        r = slicer(v, c);
    else if (strcmp(o, "--slow-close") == 0)
        r = sn_net_parse_time(v, &c->slow_close_ns);
    else
        return 1;
    if (r == 0)
        return 0;
    fprintf(stderr, "simnet: link: bad value '%s' for %s (%s)\n", v, o,
            o[2] == 'p'   ? "a port: 1 to 65535"
            : o[4] == 'i' ? "SIZE[/VARIATION[/DELAY]]: bytes, fewer bytes, tc time"
                          : "tc units: 50ms, 1s, 200us");
    return 2;
}

/* The options of `simnet link A B ...` into c. */
static int link_options(int argc, char **argv, sn_link_set *c, bool *both)
{
    for (int i = 0; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(o, "--both") == 0) {
            *both = true;
            continue;
        }
        if (strcmp(o, "--clear") == 0) {
            c->clear = true;
            continue;
        }
        if (strcmp(o, "--refuse") == 0 || strcmp(o, "--no-refuse") == 0) {
            c->refuse = o[2] == 'r';
            continue;
        }
        if (strcmp(o, "--loss") == 0 && v && strcmp(v, "gemodel") == 0) {
            int r = gemodel(argc, argv, &i, c);
            if (r)
                return r;
            continue;
        }
        if (strcmp(o, "--loss") == 0 && v && strcmp(v, "state") == 0)
            return bad("link: --loss state (netem's 4-state model) is not implemented yet; "
                       "--loss gemodel is%s", "");
        int r = netem_option(argc, argv, &i, c);
        if (r != 1) {
            if (r)
                return r;
            continue;
        }
        if (!strcmp(o, "--corrupt"))
            return bad("link: %s is not implemented yet", o);
        static const char *const valued[] = {"--rate", "--limit-data", "--port", "--slicer",
                                             "--slow-close"};
        bool known = false;
        for (size_t j = 0; j < sizeof valued / sizeof *valued; j++)
            known |= strcmp(o, valued[j]) == 0;
        if (!known)
            return bad("link: unknown option '%s' (see simnet --help)", o);
        if (!v)
            return bad("link: %s needs a value", o);
        r = toxic_option(o, v, c);
        if (r != 1) {
            if (r)
                return r;
            i++;
            continue;
        }
        r = -EINVAL;
        uint64_t rate;
        if (strcmp(o, "--rate") == 0) {
            char *end, unit[40];
            /* 0 in any of tc's units: no limit (as --loss 0%, --delay 0);
             * the unit is one if 8 of it is a rate. */
            if (v[0] == '0' && strtod(v, &end) == 0 && end != v && strlen(end) < 30 &&
                (snprintf(unit, sizeof unit, "8%s", end), sn_net_parse_rate(unit, &rate) == 0)) {
                r = 0;
                c->rate_Bps = 0;
            } else if ((r = sn_net_parse_rate(v, &rate)) == 0) {
                c->rate_Bps = (int64_t)rate;
            }
        } else if (strcmp(o, "--limit-data") == 0) {
            if ((r = limit_bytes(v, &c->limit_data)) < 0) {
                fprintf(stderr, "simnet: link: bad value '%s' for --limit-data "
                                "(a number of bytes; 0: no limit)\n", v);
                return 2;
            }
        } else {
            return bad("link: unknown option '%s' (see simnet --help)", o);
        }
        if (r < 0) {
            fprintf(stderr, "simnet: link: bad value '%s' for %s (%s)\n", v, o,
                    "tc units: 100kbit, 1mbit, 1mbps; at least 8bit, a byte a "
                    "second; 0: no limit");
            return 2;
        }
        i++;
    }
    return 0;
}

static int cmd_link(int argc, char **argv, sn_arena *a)
{
    if (argc == 0) {
        inspect_print_links(a);
        return 0;
    }
    if (argc < 2)
        return bad("link: give two hosts (or none to list)%s", "");
    sn_link_set c = SN_LINK_SET_NONE;
    bool both = false;
    int r = link_options(argc - 2, argv + 2, &c, &both);
    if (r)
        return r;
    if (c.gap >= 0 && c.reorder_ppm < 0)
        return bad("link: --gap goes with --reorder (tc-netem: reorder P [CORR] gap N)%s", "");
    if (!c.clear && c.loss_ppm < 0 && c.delay_ns < 0 && c.jitter_ns < 0 && c.rate_Bps < 0 &&
        c.dup_ppm < 0 && c.ge[0] < 0 && c.refuse < 0 && c.limit_data < 0 &&
        c.reorder_ppm < 0 && c.dist < 0 && c.slice_size < 0 && c.slow_close_ns < 0)
        return bad("link: nothing to change: give --delay, --jitter, --rate, --loss, "
                   "--duplicate, --reorder, --distribution, --refuse, --limit-data, "
                   "--slicer, --slow-close or --clear%s", "");
    if (c.reorder_ppm >= 0 && c.gap < 0)
        c.gap = 1;                      /* tc's default: any datagram may go ahead */
    int x, y;
    if (two_hosts(a, argv[0], argv[1], &x, &y) < 0)
        return 2;
    if (sn_net_link_set(a, x, y, &c) < 0 || (both && sn_net_link_set(a, y, x, &c) < 0))
        return bad("link: too many link rules (%s)", "256");
    return 0;
}

static int cmd_partition(int argc, char **argv, sn_arena *a)
{
    bool oneway = argc == 3 && strcmp(argv[2], "--oneway") == 0;
    if (argc != 2 && !oneway)
        return bad("partition: give two hosts, and maybe --oneway%s", "");
    int x, y;
    if (two_hosts(a, argv[0], argv[1], &x, &y) < 0)
        return 2;
    sn_link_set c = SN_LINK_SET_NONE;
    c.partition = 1;
    if (sn_net_link_set(a, x, y, &c) < 0 || (!oneway && sn_net_link_set(a, y, x, &c) < 0))
        return bad("partition: too many link rules (%s)", "256");
    return 0;
}

static int cmd_heal(int argc, char **argv, sn_arena *a)
{
    if (argc == 0) {
        sn_net_heal(a, SN_LINK_ANY, SN_LINK_ANY);
        return 0;
    }
    if (argc != 2)
        return bad("heal: give two hosts, or none for all%s", "");
    int x, y;
    if (two_hosts(a, argv[0], argv[1], &x, &y) < 0)
        return 2;
    sn_net_heal(a, x, y);
    sn_net_heal(a, y, x);
    return 0;
}

static int cmd_reset(int argc, char **argv, sn_arena *a)
{
    if (argc != 2)
        return bad("reset: give two hosts%s", "");
    int x, y;
    if (two_hosts(a, argv[0], argv[1], &x, &y) < 0)
        return 2;
    sn_net_reset(a, x, y);
    return 0;
}

static int cmd_seed(int argc, char **argv, sn_arena *a)
{
    if (argc == 0) {
        printf("%llu\n", (unsigned long long)sn_net_seed(a));
        return 0;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(argv[0], &end, 10);
    if (argc != 1 || !*argv[0] || *end || errno || argv[0][0] == '-')
        return bad("invalid seed '%s': use a number from 0 to 18446744073709551615",
                   argv[0]);
    sn_net_set_seed(a, v, true);
    return 0;
}

/* argv[0] is the command, argv[1] DIR, argv[2] NAME.  -1: not ours. */
int inspect_links(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **, sn_arena *);
    } cmds[] = {{"link", cmd_link}, {"partition", cmd_partition}, {"heal", cmd_heal},
                {"reset", cmd_reset}, {"seed", cmd_seed}};
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
        if (strcmp(argv[0], cmds[i].name) != 0)
            continue;
        if (argc < 3)
            return bad("usage: simnet-inspect %s DIR NAME ...", argv[0]);
        sn_arena a;
        if (open_rw(&a, argv[1], argv[2]) < 0)
            return 2;
        int r = cmds[i].fn(argc - 3, argv + 3, &a);
        sn_arena_close(&a);
        return r;
    }
    return -1;
}
