/* netem's random models (core/netem.h). */
#include "core/netem.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "core/net.h"

uint32_t sn_netem_next(sn_corr *c, uint32_t fresh)
{
    if (!c->rho)
        return fresh;
    /* rho on netem's 2^32 scale, plus one as netem adds (so that 100%
     * keeps the last value for good); the sum fits in 64 bits as the
     * two weights add up to 2^32. */
    uint64_t rho = (uint64_t)sn_netem_ppm32(c->rho) + 1;
    c->last = (uint32_t)(((uint64_t)fresh * ((1ULL << 32) - rho) +
                          (uint64_t)c->last * rho) >> 32);
    return c->last;
}

uint32_t sn_netem_ppm32(uint32_t ppm)
{
    if (ppm >= 1000000)
        return UINT32_MAX;
    return (uint32_t)((uint64_t)ppm * UINT32_MAX / 1000000);
}

/* The range of netem's tables: 16-bit entries over NETEM_DIST_SCALE. */
#define Z_MIN (-32768.0 / 8192)
#define Z_MAX (32767.0 / 8192)

static double clamp(double z)
{
    return z < Z_MIN ? Z_MIN : z > Z_MAX ? Z_MAX : z;
}

/* The standard normal's quantile: Abramowitz and Stegun's rational
 * approximation 26.2.23 (error below 4.5e-4), then one Newton step on
 * the CDF, which leaves an error far below a nanosecond of any jitter. */
static double normal_q(double u)
{
    double p = u < 0.5 ? u : 1 - u;
    double t = sqrt(-2 * log(p));
    double x = t - (2.515517 + 0.802853 * t + 0.010328 * t * t) /
                   (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t);
    if (u < 0.5)
        x = -x;
    double cdf = 0.5 * erfc(-x / sqrt(2));
    double pdf = exp(-x * x / 2) / sqrt(2 * M_PI);
    return x - (cdf - u) / pdf;
}

/* iproute2's pareto table at u: shape 3, centred on its mean, scaled by
 * 4/3. */
static double pareto_q(double u)
{
    return (1 / cbrt(1 - u) - 1.5) * 4 / 3;
}

double sn_netem_quantile(int dist, double u)
{
    switch (dist) {
    case SN_DIST_NORMAL:
        return clamp(normal_q(u));
    case SN_DIST_PARETO:
        return clamp(pareto_q(u));
    case SN_DIST_PARETONORMAL:
        return clamp((clamp(normal_q(u)) + 3 * clamp(pareto_q(u))) / 4);
    default:
        return 2 * u - 1;
    }
}

static const char *const dist_names[] = {
    [SN_DIST_UNIFORM] = "uniform", [SN_DIST_NORMAL] = "normal",
    [SN_DIST_PARETO] = "pareto", [SN_DIST_PARETONORMAL] = "paretonormal"};

int sn_net_parse_dist(const char *s)
{
    for (int i = 0; s && i < (int)(sizeof dist_names / sizeof *dist_names); i++)
        if (strcmp(s, dist_names[i]) == 0)
            return i;
    return -EINVAL;
}

const char *sn_net_dist_name(int dist)
{
    if (dist < 0 || dist >= (int)(sizeof dist_names / sizeof *dist_names))
        return "uniform";
    return dist_names[dist];
}
