/* Wasserstein-1 by one merge of the sorted samples: between consecutive pooled values both CDFs
 * are constant, so the area is Σ |i/n − j/m|·(next − value); see wasserstein.h. */
#include "monitor/stats/wasserstein.h"

#include <math.h>

double stats_wasserstein(const double *a, size_t n, const double *b, size_t m)
{
    size_t i = 0, j = 0;
    double sum = 0.0, comp = 0.0; /* Neumaier-compensated: thousands of terms of mixed size */
    while (i < n || j < m) {
        double v = i == n ? b[j] : j == m ? a[i] : fmin(a[i], b[j]);
        while (i < n && a[i] <= v)
            i++;
        while (j < m && b[j] <= v)
            j++;
        if (i == n && j == m)
            break;
        double next = i == n ? b[j] : j == m ? a[i] : fmin(a[i], b[j]);
        double term = fabs((double)i / (double)n - (double)j / (double)m) * (next - v);
        double t = sum + term;
        comp += fabs(sum) >= fabs(term) ? (sum - t) + term : (term - t) + sum;
        sum = t;
    }
    return sum + comp;
}
