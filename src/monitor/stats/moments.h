/* Means and standard deviations: two-pass over an array (what the drift statistics normalise by)
 * and a streaming accumulator (Welford) for profiling data too large to hold. */
#ifndef FERRY_MONITOR_STATS_MOMENTS_H
#define FERRY_MONITOR_STATS_MOMENTS_H

#include <stddef.h>
#include <stdint.h>

/* The population standard deviation (ddof 0, as numpy.std) of x[0..n); 0 for n = 0. */
double stats_std(const double *x, size_t n);

/* Running count, mean, spread, min and max of a stream of values. Zero-initialise, then add. */
typedef struct stats_running {
    uint64_t n;
    double mean, m2, min, max;
} stats_running;

void stats_running_add(stats_running *r, double x);

/* The population standard deviation of what was added (0 when nothing was). */
double stats_running_std(const stats_running *r);

#endif
