/* Pearson's chi-squared statistic and p-value; see chisquare.h. */
#include "monitor/stats/chisquare.h"

#include "monitor/stats/gamma.h"

double stats_chisquare(const double *ref, const double *cur, size_t k, double *p_value)
{
    double n = 0.0, m = 0.0, stat = 0.0;
    for (size_t i = 0; i < k; i++) {
        n += ref[i];
        m += cur[i];
    }
    for (size_t i = 0; i < k; i++) {
        double expected = ref[i] * m / n, d = cur[i] - expected;
        stat += d * d / expected;
    }
    *p_value = stats_chi2_sf(stat, (double)k - 1.0);
    return stat;
}
