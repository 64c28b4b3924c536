/* Drift of one feature between a reference sample and a current sample, and of a dataset from its
 * features: the methods (KS, chi-squared, Wasserstein, Jensen–Shannon, PSI), the `auto` choice
 * between them, thresholds and the degenerate cases. Pure functions over arrays, no state: the
 * offline `ferry drift` and the server's drift windows call the same code.
 *
 * Missing values are dropped by the caller. Numerical samples are doubles; categorical ones arrive
 * as counts over the union of the two samples' categories. A statistic that cannot be computed
 * (an empty sample, a reference without spread or with one category, a category the reference
 * never had) is absent, and the feature then drifts exactly when the current sample holds a value
 * or category the reference never had. */
#ifndef FERRY_MONITOR_DRIFT_H
#define FERRY_MONITOR_DRIFT_H

#include <stdbool.h>
#include <stddef.h>

#include "ferry/status.h"

/* X(code, name, default threshold, p-value test?) */
#define DRIFT_METHOD_LIST(X)                                                                       \
    X(AUTO, "auto", 0.0, false)                                                                    \
    X(KS, "ks", 0.05, true)                                                                        \
    X(CHISQUARE, "chisquare", 0.05, true)                                                          \
    X(WASSERSTEIN, "wasserstein", 0.1, false)                                                      \
    X(JENSENSHANNON, "jensenshannon", 0.1, false)                                                  \
    X(PSI, "psi", 0.1, false)

typedef enum drift_method {
#define DRIFT_METHOD_ENUM(code, name, threshold, test) DRIFT_##code,
    DRIFT_METHOD_LIST(DRIFT_METHOD_ENUM)
#undef DRIFT_METHOD_ENUM
        DRIFT_METHOD_COUNT
} drift_method;

/* `auto` picks a statistical test for references of at most this many rows, a distance above. */
#define DRIFT_AUTO_SMALL_REFERENCE 1000
/* `auto` tests a numerical column with more distinct reference values than this with KS, else
 * with chi-squared over its values. */
#define DRIFT_AUTO_MAX_DISCRETE 5
/* The dataset drifts when at least this share of its features drift. */
#define DRIFT_DATASET_SHARE 0.5

/* "ks", ...; "unknown" out of range. */
const char *drift_method_name(drift_method m);

/* Parses a method name; false when it is none. */
bool drift_method_parse(const char *name, drift_method *m);

/* The threshold a method uses when none is given. */
double drift_default_threshold(drift_method m);

/* True for the statistical tests (KS, chi-squared), which drift when p < threshold; the distances
 * drift when statistic >= threshold. */
bool drift_method_is_test(drift_method m);

/* The method a feature is measured with: `auto` by its rules (reference_rows rows in the
 * reference, reference_distinct distinct values in the numerical column); for a categorical
 * feature the numerical-only methods become their categorical counterparts (KS → chi-squared,
 * Wasserstein → Jensen–Shannon); the rest as requested. */
drift_method drift_resolve(drift_method requested, bool categorical, size_t reference_rows,
                           size_t reference_distinct);

/* One feature's result. */
typedef struct drift_result {
    drift_method method; /* the method used (never AUTO) */
    bool has_statistic;  /* false in the degenerate cases */
    double statistic;    /* KS D, chi-squared, normalised Wasserstein, JS distance or PSI */
    bool has_p_value;    /* the tests only, and not in the degenerate cases */
    double p_value;
    double threshold;
    bool drifted;
} drift_result;

/* Drift of a numerical feature: ref[0..n) against cur[0..m) (no NaN; any order). method may be
 * AUTO (resolved with reference_rows); threshold NaN means the method's default. Fails only with
 * NO_MEMORY (it sorts copies) or INVALID_ARG for a NaN value. */
ferry_status drift_numeric(const double *ref, size_t n, const double *cur, size_t m,
                           drift_method method, size_t reference_rows, double threshold,
                           drift_result *out, ferry_error *err) FERRY_MUST_CHECK;

/* Drift of a categorical feature given the count of each of k categories (the union of both
 * samples) in the reference and in the current sample. method may be AUTO; KS and Wasserstein are
 * replaced by chi-squared and Jensen–Shannon. Fails only with NO_MEMORY. */
ferry_status drift_categorical(const double *ref_counts, const double *cur_counts, size_t k,
                               drift_method method, size_t reference_rows, double threshold,
                               drift_result *out, ferry_error *err) FERRY_MUST_CHECK;

/* The dataset verdict over n features: *drifted features, their *share (0 for n = 0) and
 * whether the share reaches DRIFT_DATASET_SHARE. */
void drift_summarise(const drift_result *features, size_t n, size_t *drifted, double *share,
                     bool *dataset_drift);

#endif
