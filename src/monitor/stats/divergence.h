/* Distances between two frequency vectors over the same bins or categories: the Jensen–Shannon
 * distance (scipy.spatial.distance.jensenshannon, natural log) and the population stability index.
 */
#ifndef FERRY_MONITOR_STATS_DIVERGENCE_H
#define FERRY_MONITOR_STATS_DIVERGENCE_H

#include <stddef.h>

/* The proportion PSI puts in place of an empty bin (no renormalisation afterwards). */
#define STATS_PSI_FLOOR 1e-4

/* sqrt((KL(p‖m) + KL(q‖m)) / 2) with m = (p + q)/2, after scaling p and q to sum to 1. p and q
 * hold k non-negative counts (or proportions) with positive sums. */
double stats_jensenshannon(const double *p, const double *q, size_t k);

/* Σ (c − r)·ln(c / r) over k bins, where r = ref[i]/Σref and c = cur[i]/Σcur, each 0 replaced by
 * STATS_PSI_FLOOR. Both sums positive. */
double stats_psi(const double *ref, const double *cur, size_t k);

#endif
