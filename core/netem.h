/* netem's random models, as numbers (tc-netem(8), Linux's sch_netem and
 * iproute2's distribution tables): the correlated generator and the
 * jitter's distributions.  Pure functions: core/links.c feeds them draws
 * from a link's seeded generator, under the link's lock.
 *
 * Correlation is netem's: each value is (1 - rho) of a fresh uniform draw
 * plus rho of the previous value.  It is known to be a weak model (the
 * values are no longer uniform: they bunch around the middle as rho
 * grows, so a correlated loss of P% drops less than P% when P < 50%), but
 * it is what netem does and what its users expect.
 *
 * Distributions are computed, not read from tc's tables: z, a multiple of
 * the jitter, from a uniform u in (0, 1) by the inverse of the
 * distribution's CDF (so a correlation between successive u carries over
 * to the delays), within the range of netem's tables (-4 to 32767/8192:
 * a 16-bit entry over NETEM_DIST_SCALE, 8192):
 *   uniform       2u - 1 (delay +- jitter);
 *   normal        the standard normal's quantile (sigma = jitter);
 *   pareto        iproute2's: a Pareto of shape 3, x^(-1/3) for x = 1 - u,
 *                 less its mean 1.5, times 4/3;
 *   paretonormal  iproute2's: a quarter of the normal plus three quarters
 *                 of the pareto, both at the same u. */
#ifndef SN_NETEM_H
#define SN_NETEM_H

#include <stdint.h>

#include "core/layout.h"

/* The next value of correlated generator c, given a fresh uniform 32-bit
 * draw (netem's get_crandom). */
uint32_t sn_netem_next(sn_corr *c, uint32_t fresh);
/* ppm as a fraction of 2^32 - 1, netem's scale of probabilities. */
uint32_t sn_netem_ppm32(uint32_t ppm);
/* The multiple of the jitter that distribution `dist` (SN_DIST_*) gives
 * for u in (0, 1). */
double sn_netem_quantile(int dist, double u);

#endif
