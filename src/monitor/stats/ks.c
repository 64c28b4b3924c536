/* Two-sample Kolmogorov–Smirnov by one merge of the sorted samples; see ks.h. */
#include "monitor/stats/ks.h"

#include <math.h>

#include "monitor/stats/kolmogorov.h"

double stats_ks_statistic(const double *a, size_t n, const double *b, size_t m)
{
    size_t i = 0, j = 0;
    double d = 0.0;
    while (i < n || j < m) {
        double v = i == n ? b[j] : j == m || a[i] < b[j] ? a[i] : b[j]; /* no NaN here */
        while (i < n && a[i] <= v)
            i++;
        while (j < m && b[j] <= v)
            j++;
        /* The same divisions as scipy's searchsorted(...) / n, so D agrees to the last bit. */
        double diff = fabs((double)i / (double)n - (double)j / (double)m);
        if (diff > d)
            d = diff;
    }
    return d;
}

double stats_ks_pvalue(double d, size_t n, size_t m)
{
    double en = (double)n * (double)m / ((double)n + (double)m);
    return stats_kolmogorov_sf(sqrt(en) * d);
}
