/* A drift report: every feature's drift between a reference and a current sample, prediction
 * columns reported apart, and the dataset verdict; built from two profiles (the offline
 * `ferry drift`) and rendered as the JSON that command and the server's drift endpoint return:
 *
 *   {"features": [{"name", "type", "method", "statistic", "p_value", "threshold", "drifted"}],
 *    "prediction": [...same...], "drifted_features", "share", "dataset_drift"}
 */
#ifndef FERRY_MONITOR_DRIFT_REPORT_H
#define FERRY_MONITOR_DRIFT_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "ferry/status.h"
#include "monitor/drift.h"
#include "monitor/profile.h"

typedef struct drift_feature {
    char *name;
    profile_type type;
    drift_result result;
} drift_feature;

typedef struct drift_report {
    drift_feature *features;
    size_t n_features;
    drift_feature *prediction;
    size_t n_prediction;
    size_t drifted_features; /* among features */
    double share;            /* drifted_features / n_features */
    bool dataset_drift;      /* share >= DRIFT_DATASET_SHARE */
} drift_report;

typedef struct drift_report_options {
    drift_method method; /* for every column (AUTO: each by the auto rules) */
    double threshold;    /* NaN: each method's default */
    /* Columns reported under "prediction" instead of "features" (borrowed). */
    const char *const *prediction;
    size_t n_prediction;
    /* Optional, one per column of the reference (NULL: the two above for every column): a
     * column's own method and threshold (NaN: the method's default). */
    const drift_method *column_methods;
    const double *column_thresholds;
} drift_report_options;

/* Compares the samples of every column of `ref` except its label with the column of the same
 * name and type in `cur` (profile_build with ref as the schema gives one). Missing values are
 * dropped; `auto` decides by ref->sample_rows. Fails with INVALID_ARG naming a column `cur` lacks
 * or holds with another type, or a prediction column `ref` lacks; NO_MEMORY. Free *out with
 * drift_report_free. */
ferry_status drift_report_profiles(const profile *ref, const profile *cur,
                                   const drift_report_options *o, drift_report *out,
                                   ferry_error *err) FERRY_MUST_CHECK;

/* Frees what the report holds (not the struct). Accepts a zeroed report. */
void drift_report_free(drift_report *r);

/* The report as JSON (a new reference), or NULL when out of memory. */
json_t *drift_report_json(const drift_report *r);

#endif
