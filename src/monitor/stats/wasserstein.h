/* The Wasserstein-1 (earth mover's) distance between two samples, scipy.stats.wasserstein_distance
 * without weights: the area between their empirical CDFs. */
#ifndef FERRY_MONITOR_STATS_WASSERSTEIN_H
#define FERRY_MONITOR_STATS_WASSERSTEIN_H

#include <stddef.h>

/* ∫ |F_a − F_b| for ascending a[0..n) and b[0..m) (n, m > 0). */
double stats_wasserstein(const double *a, size_t n, const double *b, size_t m);

#endif
