/* numpy-compatible Sturges edges and histogram counts; see histogram.h. The arithmetic follows
 * numpy's own (numpy/lib/histograms.py, numpy.linspace) step by step, so that the bin count and
 * every edge agree bit for bit and no value lands in a different bin. */
#include "monitor/stats/histogram.h"

#include <math.h>

size_t stats_sturges_bins(double lo, double hi, size_t count)
{
    double width = (hi - lo) / (log2((double)count) + 1.0);
    if (lo == hi) {
        lo -= 0.5;
        hi += 0.5;
    }
    return width != 0.0 ? (size_t)ceil((hi - lo) / width) : 1;
}

void stats_histogram_edges(double lo, double hi, size_t bins, double *edges)
{
    if (lo == hi) {
        lo -= 0.5;
        hi += 0.5;
    }
    double delta = hi - lo, step = delta / (double)bins;
    for (size_t i = 0; i <= bins; i++)
        edges[i] = step != 0.0 ? (double)i * step + lo : (double)i / (double)bins * delta + lo;
    edges[bins] = hi;
}

/* The bin of v: the number of inner edges edges[1..bins) at or below it. */
static size_t bin_of(double v, const double *edges, size_t bins)
{
    size_t lo = 1, hi = bins; /* search [lo, hi) for the first inner edge above v */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (edges[mid] <= v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - 1;
}

void stats_histogram_count(const double *x, size_t n, const double *edges, size_t bins,
                           double *counts)
{
    for (size_t i = 0; i < n; i++)
        if (x[i] >= edges[0] && x[i] <= edges[bins])
            counts[bin_of(x[i], edges, bins)] += 1.0;
}
