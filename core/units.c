/* tc's units (tc(8)): the times, rates and percentages of `simnet link`
 * (core/net.h: sn_net_parse_time, _rate, _percent).  A leaf: text into
 * numbers, nothing of the arena. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/net.h"

typedef struct unit {
    const char *name;
    double      scale;
} unit;

/* A non-negative decimal number followed by one of `units` (or by
 * nothing: scale `bare`), into value * scale. */
static int parse_unit(const char *s, const unit *units, double bare, double max,
                      double *out)
{
    if (!s || !*s || *s == '-' || *s == '+' || (*s < '0' && *s != '.') || *s > '9')
        return -EINVAL;
    char *end;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v) || v < 0)
        return -EINVAL;
    double scale = *end ? -1 : bare;
    for (const unit *u = units; *end && u->name; u++)
        if (strcasecmp(end, u->name) == 0)
            scale = u->scale;
    if (scale < 0 || v * scale > max)
        return -EINVAL;
    *out = v * scale;
    return 0;
}

int sn_net_parse_time(const char *s, int64_t *ns)
{
    static const unit units[] = {
        {"s", 1e9},     {"sec", 1e9},   {"secs", 1e9},
        {"ms", 1e6},    {"msec", 1e6},  {"msecs", 1e6},
        {"us", 1e3},    {"usec", 1e3},  {"usecs", 1e3},
        {"ns", 1},      {"nsec", 1},    {"nsecs", 1},
        {NULL, 0}};
    double v;
    /* An hour is more than any test waits: above it is a typo. */
    int r = parse_unit(s, units, 1e3, 3600e9, &v);
    if (r == 0)
        *ns = (int64_t)(v + 0.5);
    return r;
}

int sn_net_parse_rate(const char *s, uint64_t *Bps)
{
    /* tc(8): "bit" and a bare number are bits per second, "bps" bytes
     * per second; k, m, g, t are powers of 1000, ki, mi, gi, ti of 1024. */
    static const unit units[] = {
        {"bit", 1 / 8.0},        {"kbit", 1e3 / 8},       {"mbit", 1e6 / 8},
        {"gbit", 1e9 / 8},       {"tbit", 1e12 / 8},      {"kibit", 1024 / 8.0},
        {"mibit", 1048576 / 8.0}, {"gibit", 1073741824 / 8.0},
        {"bps", 1},              {"kbps", 1e3},           {"mbps", 1e6},
        {"gbps", 1e9},           {"tbps", 1e12},          {"kibps", 1024},
        {"mibps", 1048576},      {"gibps", 1073741824},
        {NULL, 0}};
    double v;
    int r = parse_unit(s, units, 1 / 8.0, 1e15, &v);
    if (r == 0 && v < 1)
        r = -EINVAL;                    /* below a byte a second: a typo */
    if (r == 0)
        *Bps = (uint64_t)(v + 0.5);
    return r;
}

int sn_net_parse_percent(const char *s, uint32_t *ppm)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 2 || n > 30 || s[n - 1] != '%')
        return -EINVAL;
    char num[32];
    memcpy(num, s, n - 1);
    num[n - 1] = 0;
    static const unit none[] = {{NULL, 0}};
    double v;
    int r = parse_unit(num, none, 1e4, 1e6, &v);
    if (r == 0)
        *ppm = (uint32_t)(v + 0.5);
    return r;
}
