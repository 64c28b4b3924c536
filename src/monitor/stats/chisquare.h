/* Pearson's chi-squared goodness-of-fit test of current category counts against the reference's
 * (scipy.stats.chisquare with expected = reference counts × m/n). */
#ifndef FERRY_MONITOR_STATS_CHISQUARE_H
#define FERRY_MONITOR_STATS_CHISQUARE_H

#include <stddef.h>

/* Σ (o − e)²/e over k categories, where o = cur[i] and e = ref[i]·m/n (n = Σref, m = Σcur); the
 * p-value χ²_{k−1}.sf(statistic) goes to *p_value. Needs every ref[i] > 0, k >= 2 and m > 0. */
double stats_chisquare(const double *ref, const double *cur, size_t k, double *p_value);

#endif
