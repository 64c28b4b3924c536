/* Sorting arrays of doubles in ascending order, faster than qsort's indirect comparisons: the
 * drift monitor sorts every column of every window (KS, Wasserstein and the binned distances
 * need sorted samples), which with qsort cost a few percent of a busy server's CPU. */
#ifndef FERRY_CORE_SORT_DOUBLES_H
#define FERRY_CORE_SORT_DOUBLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sorts x[0..n) ascending in place. NaNs (any sign) go last, in no particular order; -0.0 and
 * 0.0 compare equal. Introsort: quicksort with median-of-three pivots, insertion sort on short
 * runs and heapsort past a depth bound, so O(n log n) for any input. Allocates nothing. */
void sort_doubles(double *x, size_t n);

/* As sort_doubles, with scratch room for 2 n keys: long arrays of numbers (no NaN) are sorted by an
 * LSD radix sort on their bits (a pass per byte that differs among them), several times faster
 * than comparisons for the thousand-row windows of the drift monitor. */
void sort_doubles_with(double *x, size_t n, uint64_t *scratch);

/* True when x[0..n) is ascending (no NaN before a number). */
bool doubles_sorted(const double *x, size_t n);

#endif
