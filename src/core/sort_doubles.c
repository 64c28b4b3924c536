/* Introsort of doubles; see sort_doubles.h. */
#include "core/sort_doubles.h"

#include <math.h>
#include <string.h>

#define INSERTION_MAX 16
#define RADIX_MIN     256 /* shorter arrays are sorted by comparisons */

static void swap(double *a, double *b)
{
    double t = *a;
    *a = *b;
    *b = t;
}

static void insertion_sort(double *x, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        double v = x[i];
        size_t j = i;
        for (; j > 0 && x[j - 1] > v; j--)
            x[j] = x[j - 1];
        x[j] = v;
    }
}

/* Restores the max-heap below node i of x[0..n). */
static void sift_down(double *x, size_t i, size_t n)
{
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n)
            return;
        if (child + 1 < n && x[child + 1] > x[child])
            child++;
        if (!(x[child] > x[i]))
            return;
        swap(&x[i], &x[child]);
        i = child;
    }
}

static void heap_sort(double *x, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(x, i, n);
    for (size_t end = n; end-- > 1;) {
        swap(&x[0], &x[end]);
        sift_down(x, 0, end);
    }
}

/* Orders x[a] <= x[b] <= x[c] and returns x[b]. */
static double median_of_three(double *x, size_t a, size_t b, size_t c)
{
    if (x[b] < x[a])
        swap(&x[a], &x[b]);
    if (x[c] < x[b])
        swap(&x[b], &x[c]);
    if (x[b] < x[a])
        swap(&x[a], &x[b]);
    return x[b];
}

/* Hoare partition of x[0..n) (n > INSERTION_MAX) around the median of three; returns the size of
 * the left part, whose values are all <= every value of the right part. */
static size_t partition(double *x, size_t n)
{
    double pivot = median_of_three(x, 0, n / 2, n - 1);
    size_t i = 0, j = n - 1;
    for (;;) {
        while (x[i] < pivot)
            i++;
        while (x[j] > pivot)
            j--;
        if (i >= j)
            return j + 1;
        swap(&x[i], &x[j]);
        i++;
        j--;
    }
}

/* Sorts x[0..n) (no NaN), recursing into the smaller part and looping on the larger. */
static void introsort(double *x, size_t n, unsigned depth)
{
    while (n > INSERTION_MAX) {
        if (depth-- == 0) {
            heap_sort(x, n);
            return;
        }
        size_t left = partition(x, n);
        if (left < n - left) {
            introsort(x, left, depth);
            x += left;
            n -= left;
        } else {
            introsort(x + left, n - left, depth);
            n = left;
        }
    }
    insertion_sort(x, n);
}

/* Moves the NaNs of x[0..n) to its end; returns how many numbers come before them. */
static size_t nans_last(double *x, size_t n)
{
    size_t numbers = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i]))
            swap(&x[numbers++], &x[i]);
    return numbers;
}

void sort_doubles(double *x, size_t n)
{
    n = nans_last(x, n);
    unsigned depth = 0;
    for (size_t k = n; k > 1; k >>= 1)
        depth += 2;
    introsort(x, n, depth);
}

/* The double's bits turned into an unsigned key in the same order (negatives flipped whole,
 * positives with the sign bit set). */
static uint64_t order_key(double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    return bits >> 63 ? ~bits : bits | (UINT64_C(1) << 63);
}

static double from_key(uint64_t key)
{
    uint64_t bits = key >> 63 ? key & ~(UINT64_C(1) << 63) : ~key;
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

/* Sorts the keys of n numbers (n >= 1): counts every byte position in one pass, then scatters by
 * each byte from the lowest, skipping a byte all keys share. keys and spare hold n keys each; the
 * sorted keys end in *keys. */
static void radix_keys(uint64_t **keys, uint64_t **spare, size_t n)
{
    size_t counts[8][256] = {{0}};
    for (size_t i = 0; i < n; i++)
        for (unsigned b = 0; b < 8; b++)
            counts[b][((*keys)[i] >> (8 * b)) & 0xff]++;
    for (unsigned b = 0; b < 8; b++) {
        size_t *c = counts[b];
        if (c[((*keys)[0] >> (8 * b)) & 0xff] == n)
            continue; /* every key has the same byte here */
        size_t at = 0;
        for (unsigned d = 0; d < 256; d++) {
            size_t k = c[d];
            c[d] = at;
            at += k;
        }
        for (size_t i = 0; i < n; i++) {
            uint64_t key = (*keys)[i];
            (*spare)[c[(key >> (8 * b)) & 0xff]++] = key;
        }
        uint64_t *t = *keys;
        *keys = *spare;
        *spare = t;
    }
}

void sort_doubles_with(double *x, size_t n, uint64_t *scratch)
{
    size_t numbers = nans_last(x, n);
    if (numbers < RADIX_MIN || scratch == NULL) {
        sort_doubles(x, numbers);
        return;
    }
    uint64_t *keys = scratch, *spare = scratch + numbers;
    for (size_t i = 0; i < numbers; i++)
        keys[i] = order_key(x[i]);
    radix_keys(&keys, &spare, numbers);
    for (size_t i = 0; i < numbers; i++)
        x[i] = from_key(keys[i]);
}

bool doubles_sorted(const double *x, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (x[i] < x[i - 1] || (isnan(x[i - 1]) && !isnan(x[i])))
            return false;
    return true;
}
