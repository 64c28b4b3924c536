/* The regularised upper incomplete gamma function Q(a, x) (scipy.special.gammaincc) and the
 * chi-squared survival function built on it (scipy.stats.chi2.sf). */
#ifndef FERRY_MONITOR_STATS_GAMMA_H
#define FERRY_MONITOR_STATS_GAMMA_H

/* Q(a, x) = Γ(a, x) / Γ(a) for a > 0, x >= 0: 1 at x = 0, 0 at x = +inf, NaN for a <= 0, x < 0 or
 * NaN arguments. Relative accuracy about 1e-13 for a up to a few thousand. Thread-safe. */
double stats_gammaincc(double a, double x);

/* P(χ²_df > x) = Q(df/2, x/2); NaN for df <= 0. */
double stats_chi2_sf(double x, double df);

#endif
