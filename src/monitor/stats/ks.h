/* The two-sample Kolmogorov–Smirnov test: D = sup |F_ref − F_cur| over the pooled values, and its
 * asymptotic p-value kolmogorov(sqrt(nm/(n+m))·D). */
#ifndef FERRY_MONITOR_STATS_KS_H
#define FERRY_MONITOR_STATS_KS_H

#include <stddef.h>

/* D for ascending a[0..n) and b[0..m) (n, m > 0), as scipy.stats.ks_2samp computes it: the
 * empirical CDFs i/n and j/m compared at every pooled value. */
double stats_ks_statistic(const double *a, size_t n, const double *b, size_t m);

/* scipy.special.kolmogorov(sqrt(n·m/(n+m))·d). */
double stats_ks_pvalue(double d, size_t n, size_t m);

#endif
