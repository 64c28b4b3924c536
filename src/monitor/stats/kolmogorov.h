/* The Kolmogorov distribution's survival function, the limit law of sqrt(n)·D for the
 * Kolmogorov–Smirnov statistic D: the asymptotic KS p-value (scipy.special.kolmogorov). */
#ifndef FERRY_MONITOR_STATS_KOLMOGOROV_H
#define FERRY_MONITOR_STATS_KOLMOGOROV_H

/* P(K > x) = 2 Σ_{k≥1} (-1)^(k-1) exp(-2k²x²). 1 for x <= 0, NaN for NaN, 0 once the result
 * underflows. Relative accuracy about 1e-14 over the whole range. */
double stats_kolmogorov_sf(double x);

#endif
