/* Two-pass and streaming moments; see moments.h. */
#include "monitor/stats/moments.h"

#include <math.h>

double stats_std(const double *x, size_t n)
{
    if (n == 0)
        return 0.0;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    double mean = sum / (double)n, ss = 0.0;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - mean) * (x[i] - mean);
    return sqrt(ss / (double)n);
}

void stats_running_add(stats_running *r, double x)
{
    if (r->n == 0 || x < r->min)
        r->min = x;
    if (r->n == 0 || x > r->max)
        r->max = x;
    r->n++;
    double delta = x - r->mean;
    r->mean += delta / (double)r->n;
    r->m2 += delta * (x - r->mean);
}

double stats_running_std(const stats_running *r)
{
    return r->n ? sqrt(r->m2 / (double)r->n) : 0.0;
}
