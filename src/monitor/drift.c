/* Feature and dataset drift; see drift.h. The statistics themselves live in stats/, one file each;
 * this file chooses between them, prepares their inputs (sorting, binning, category counts) and
 * handles the cases where none applies. */
#include "monitor/drift.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/sort_doubles.h"
#include "monitor/stats/chisquare.h"
#include "monitor/stats/divergence.h"
#include "monitor/stats/histogram.h"
#include "monitor/stats/ks.h"
#include "monitor/stats/moments.h"
#include "monitor/stats/wasserstein.h"

static const struct {
    const char *name;
    double threshold;
    bool test;
} methods[] = {
#define DRIFT_METHOD_ROW(code, name, threshold, test) [DRIFT_##code] = {name, threshold, test},
    DRIFT_METHOD_LIST(DRIFT_METHOD_ROW)
#undef DRIFT_METHOD_ROW
};
static_assert(sizeof methods / sizeof methods[0] == DRIFT_METHOD_COUNT, "every method has a row");

const char *drift_method_name(drift_method m)
{
    return (unsigned)m < DRIFT_METHOD_COUNT ? methods[m].name : "unknown";
}

bool drift_method_parse(const char *name, drift_method *m)
{
    for (int i = 0; i < DRIFT_METHOD_COUNT; i++)
        if (strcmp(name, methods[i].name) == 0) {
            *m = (drift_method)i;
            return true;
        }
    return false;
}

double drift_default_threshold(drift_method m)
{
    return (unsigned)m < DRIFT_METHOD_COUNT ? methods[m].threshold : NAN;
}

bool drift_method_is_test(drift_method m)
{
    return (unsigned)m < DRIFT_METHOD_COUNT && methods[m].test;
}

drift_method drift_resolve(drift_method requested, bool categorical, size_t reference_rows,
                           size_t reference_distinct)
{
    bool small = reference_rows <= DRIFT_AUTO_SMALL_REFERENCE;
    if (requested == DRIFT_AUTO && categorical)
        return small ? DRIFT_CHISQUARE : DRIFT_JENSENSHANNON;
    if (requested == DRIFT_AUTO)
        return !small                                         ? DRIFT_WASSERSTEIN
               : reference_distinct > DRIFT_AUTO_MAX_DISCRETE ? DRIFT_KS
                                                              : DRIFT_CHISQUARE;
    if (categorical && requested == DRIFT_KS)
        return DRIFT_CHISQUARE;
    if (categorical && requested == DRIFT_WASSERSTEIN)
        return DRIFT_JENSENSHANNON;
    return requested;
}

/* ---- results ---------------------------------------------------------------------------- */

static void begin(drift_result *out, drift_method method, double threshold)
{
    *out =
        (drift_result){.method = method,
                       .threshold = isnan(threshold) ? drift_default_threshold(method) : threshold};
}

static void set_degenerate(drift_result *out, bool current_has_new_values)
{
    out->has_statistic = false;
    out->has_p_value = false;
    out->drifted = current_has_new_values;
}

static void set_distance(drift_result *out, double d)
{
    out->has_statistic = true;
    out->statistic = d;
    out->drifted = d >= out->threshold;
}

static void set_test(drift_result *out, double statistic, double p)
{
    out->has_statistic = true;
    out->statistic = statistic;
    out->has_p_value = true;
    out->p_value = p;
    out->drifted = p < out->threshold;
}

static ferry_status no_memory(ferry_error *err)
{
    return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory computing drift");
}

/* ---- numerical features ----------------------------------------------------------------- */

/* A sorted copy of x[0..n) in *out (NULL for n = 0); INVALID_ARG for a NaN. */
static ferry_status sorted_copy(const double *x, size_t n, double **out, ferry_error *err)
{
    *out = NULL;
    if (n == 0)
        return FERRY_OK;
    for (size_t i = 0; i < n; i++)
        if (isnan(x[i]))
            return ferry_error_set(err, FERRY_INVALID_ARG, "drift: value %zu is NaN", i);
    *out = malloc(n * sizeof **out);
    if (*out == NULL)
        return no_memory(err);
    memcpy(*out, x, n * sizeof **out);
    if (doubles_sorted(*out, n)) /* a live monitor's reference is sorted once, up front */
        return FERRY_OK;
    uint64_t *scratch = malloc(2 * n * sizeof *scratch);
    sort_doubles_with(*out, n, scratch); /* by comparisons without the scratch */
    free(scratch);
    return FERRY_OK;
}

static size_t count_distinct(const double *sorted, size_t n)
{
    size_t d = n > 0;
    for (size_t i = 1; i < n; i++)
        d += sorted[i] != sorted[i - 1];
    return d;
}

/* Chi-squared over the distinct values, which act as categories; a value of the current sample
 * the reference never had makes it degenerate. */
static ferry_status numeric_chisquare(const double *a, size_t n, const double *b, size_t m,
                                      drift_result *out, ferry_error *err)
{
    size_t k = count_distinct(a, n);
    double *counts = calloc(2 * k, sizeof *counts);
    if (counts == NULL)
        return no_memory(err);
    size_t c = 0, j = 0;
    bool unseen = false;
    for (size_t i = 0; i < n; c++) {
        double v = a[i];
        for (; i < n && a[i] == v; i++)
            counts[c] += 1.0;
        for (; j < m && b[j] < v; j++)
            unseen = true;
        for (; j < m && b[j] == v; j++)
            counts[k + c] += 1.0;
    }
    if (unseen || j < m) {
        set_degenerate(out, true);
    } else {
        double p = 0.0, stat = stats_chisquare(counts, counts + k, k, &p);
        set_test(out, stat, p);
    }
    free(counts);
    return FERRY_OK;
}

/* Jensen–Shannon or PSI over Sturges bins of the pooled values. */
static ferry_status numeric_binned(const double *a, size_t n, const double *b, size_t m,
                                   drift_result *out, ferry_error *err)
{
    double lo = fmin(a[0], b[0]), hi = fmax(a[n - 1], b[m - 1]);
    size_t bins = stats_sturges_bins(lo, hi, n + m);
    double *edges = malloc((bins + 1) * sizeof *edges);
    double *counts = calloc(2 * bins, sizeof *counts);
    if (edges == NULL || counts == NULL) {
        free(edges);
        free(counts);
        return no_memory(err);
    }
    stats_histogram_edges(lo, hi, bins, edges);
    stats_histogram_count(a, n, edges, bins, counts);
    stats_histogram_count(b, m, edges, bins, counts + bins);
    set_distance(out, out->method == DRIFT_PSI ? stats_psi(counts, counts + bins, bins)
                                               : stats_jensenshannon(counts, counts + bins, bins));
    free(edges);
    free(counts);
    return FERRY_OK;
}

/* Any value of b[0..m) other than v. */
static bool differs_from(const double *b, size_t m, double v)
{
    return m > 0 && (b[0] != v || b[m - 1] != v);
}

static ferry_status numeric_sorted(const double *a, size_t n, const double *b, size_t m,
                                   drift_result *out, ferry_error *err)
{
    if (n == 0 || m == 0) {
        set_degenerate(out, n == 0 && m > 0);
        return FERRY_OK;
    }
    double std = out->method == DRIFT_WASSERSTEIN ? stats_std(a, n) : 1.0;
    if (a[0] == a[n - 1] || !(std > 0.0)) { /* no spread (std can underflow to 0 with it) */
        set_degenerate(out, differs_from(b, m, a[0]));
        return FERRY_OK;
    }
    switch (out->method) {
    case DRIFT_KS: {
        double d = stats_ks_statistic(a, n, b, m);
        set_test(out, d, stats_ks_pvalue(d, n, m));
        return FERRY_OK;
    }
    case DRIFT_CHISQUARE:
        return numeric_chisquare(a, n, b, m, out, err);
    case DRIFT_WASSERSTEIN:
        set_distance(out, stats_wasserstein(a, n, b, m) / std);
        return FERRY_OK;
    default:
        return numeric_binned(a, n, b, m, out, err);
    }
}

ferry_status drift_numeric(const double *ref, size_t n, const double *cur, size_t m,
                           drift_method method, size_t reference_rows, double threshold,
                           drift_result *out, ferry_error *err)
{
    double *a = NULL, *b = NULL;
    ferry_status st = sorted_copy(ref, n, &a, err);
    if (st == FERRY_OK)
        st = sorted_copy(cur, m, &b, err);
    if (st == FERRY_OK) {
        begin(out, drift_resolve(method, false, reference_rows, count_distinct(a, n)), threshold);
        st = numeric_sorted(a, n, b, m, out, err);
    }
    free(a);
    free(b);
    return st;
}

/* ---- categorical features --------------------------------------------------------------- */

/* The reference's categories (count > 0) with the current counts beside them: ref in c[0..*k),
 * cur in c[*k..2*k). A current category the reference never had sets *unseen. */
static ferry_status compact_counts(const double *ref, const double *cur, size_t k, double **c,
                                   size_t *kept, bool *unseen, ferry_error *err)
{
    *kept = 0;
    *unseen = false;
    for (size_t i = 0; i < k; i++) {
        *kept += ref[i] > 0.0;
        *unseen = *unseen || (ref[i] <= 0.0 && cur[i] > 0.0);
    }
    *c = malloc((2 * *kept + 1) * sizeof **c);
    if (*c == NULL)
        return no_memory(err);
    for (size_t i = 0, j = 0; i < k; i++)
        if (ref[i] > 0.0) {
            (*c)[j] = ref[i];
            (*c)[*kept + j++] = cur[i];
        }
    return FERRY_OK;
}

ferry_status drift_categorical(const double *ref_counts, const double *cur_counts, size_t k,
                               drift_method method, size_t reference_rows, double threshold,
                               drift_result *out, ferry_error *err)
{
    begin(out, drift_resolve(method, true, reference_rows, 0), threshold);
    double n = 0.0, m = 0.0;
    for (size_t i = 0; i < k; i++) {
        n += ref_counts[i];
        m += cur_counts[i];
    }
    if (n <= 0.0 || m <= 0.0) {
        set_degenerate(out, n <= 0.0 && m > 0.0);
        return FERRY_OK;
    }
    double *c = NULL;
    size_t kept = 0;
    bool unseen = false;
    ferry_status st = compact_counts(ref_counts, cur_counts, k, &c, &kept, &unseen, err);
    if (st != FERRY_OK)
        return st;
    if (unseen || kept < 2) {
        set_degenerate(out, unseen);
    } else if (out->method == DRIFT_CHISQUARE) {
        double p = 0.0, stat = stats_chisquare(c, c + kept, kept, &p);
        set_test(out, stat, p);
    } else {
        set_distance(out, out->method == DRIFT_PSI ? stats_psi(c, c + kept, kept)
                                                   : stats_jensenshannon(c, c + kept, kept));
    }
    free(c);
    return FERRY_OK;
}

/* ---- datasets --------------------------------------------------------------------------- */

void drift_summarise(const drift_result *features, size_t n, size_t *drifted, double *share,
                     bool *dataset_drift)
{
    size_t d = 0;
    for (size_t i = 0; i < n; i++)
        d += features[i].drifted;
    *drifted = d;
    *share = n ? (double)d / (double)n : 0.0;
    *dataset_drift = n > 0 && *share >= DRIFT_DATASET_SHARE;
}
