/* Histograms on evenly spaced edges as numpy builds them: numpy.histogram_bin_edges(x,
 * bins="sturges") and numpy.histogram(x, edges) — the bins Jensen–Shannon and PSI compare numerical
 * columns on. */
#ifndef FERRY_MONITOR_STATS_HISTOGRAM_H
#define FERRY_MONITOR_STATS_HISTOGRAM_H

#include <stddef.h>

/* Sturges' bin count for `count` values spanning [lo, hi]: width = (hi − lo)/(log2(count) + 1),
 * bins = ceil((hi − lo)/width); 1 when the span is 0 (numpy then widens it by 0.5 each side).
 * count > 0. */
size_t stats_sturges_bins(double lo, double hi, size_t count);

/* Writes the bins + 1 evenly spaced edges from lo to hi into edges, as numpy.linspace does (the
 * last edge exactly hi; lo == hi widened to lo − 0.5, hi + 0.5). */
void stats_histogram_edges(double lo, double hi, size_t bins, double *edges);

/* Adds to counts[0..bins) the values of x[0..n) falling in each bin: edges[k] <= v < edges[k+1],
 * the last bin closed; values outside [edges[0], edges[bins]] are not counted. */
void stats_histogram_count(const double *x, size_t n, const double *edges, size_t bins,
                           double *counts);

#endif
