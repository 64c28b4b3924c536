/* Drift reports from two profiles, and their JSON; see drift_report.h. */
#include "monitor/drift_report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/strmap.h"

static ferry_status no_memory(ferry_error *err)
{
    return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory computing drift");
}

/* The present values of a numerical sample column, in a new array (*n of them). */
static double *present_numbers(const profile *p, const profile_column *c, size_t *n)
{
    double *x = malloc((p->sample_rows ? p->sample_rows : 1) * sizeof *x);
    *n = 0;
    for (size_t i = 0; x != NULL && i < p->sample_rows; i++)
        if (!isnan(c->numbers[i]))
            x[(*n)++] = c->numbers[i];
    return x;
}

static ferry_status numeric_feature(const profile *ref, const profile_column *rc,
                                    const profile *cur, const profile_column *cc,
                                    const drift_report_options *o, drift_result *out,
                                    ferry_error *err)
{
    size_t n = 0, m = 0;
    double *a = present_numbers(ref, rc, &n), *b = present_numbers(cur, cc, &m);
    ferry_status st =
        a && b ? drift_numeric(a, n, b, m, o->method, ref->sample_rows, o->threshold, out, err)
               : no_memory(err);
    free(a);
    free(b);
    return st;
}

/* Counts each category of a sample column into counts[0..) (one slot per category of `names`,
 * which grows as new ones appear; counts has room for cap slots). */
static ferry_status count_categories(const profile *p, const profile_column *c, strmap *names,
                                     double **counts, size_t *cap, size_t offset)
{
    for (size_t i = 0; i < p->sample_rows; i++) {
        if (c->strings[i] == NULL)
            continue;
        size_t k = 0;
        if (strmap_intern(names, c->strings[i], &k, NULL) != FERRY_OK)
            return FERRY_NO_MEMORY;
        if (k >= *cap) {
            size_t grown_cap = *cap * 2;
            double *grown = realloc(*counts, 2 * grown_cap * sizeof *grown);
            if (grown == NULL)
                return FERRY_NO_MEMORY;
            /* [ref | cur] halves: move cur's half up, zero the new slots. */
            memmove(grown + grown_cap, grown + *cap, *cap * sizeof *grown);
            memset(grown + *cap, 0, (grown_cap - *cap) * sizeof *grown);
            memset(grown + grown_cap + *cap, 0, (grown_cap - *cap) * sizeof *grown);
            *counts = grown;
            *cap = grown_cap;
        }
        (*counts)[(offset ? *cap : 0) + k] += 1.0;
    }
    return FERRY_OK;
}

static ferry_status categorical_feature(const profile *ref, const profile_column *rc,
                                        const profile *cur, const profile_column *cc,
                                        const drift_report_options *o, drift_result *out,
                                        ferry_error *err)
{
    strmap *names = strmap_create();
    size_t cap = 16;
    double *counts = calloc(2 * cap, sizeof *counts);
    ferry_status st = names && counts ? FERRY_OK : FERRY_NO_MEMORY;
    if (st == FERRY_OK)
        st = count_categories(ref, rc, names, &counts, &cap, 0);
    if (st == FERRY_OK)
        st = count_categories(cur, cc, names, &counts, &cap, 1);
    if (st == FERRY_OK)
        st = drift_categorical(counts, counts + cap, strmap_size(names), o->method,
                               ref->sample_rows, o->threshold, out, err);
    else
        st = no_memory(err);
    strmap_destroy(names);
    free(counts);
    return st;
}

static bool is_prediction(const drift_report_options *o, const char *name)
{
    for (size_t i = 0; i < o->n_prediction; i++)
        if (strcmp(o->prediction[i], name) == 0)
            return true;
    return false;
}

/* Measures ref's column rc against cur's column of the same name into *f. */
static ferry_status measure(const profile *ref, const profile_column *rc, const profile *cur,
                            const drift_report_options *o, drift_feature *f, ferry_error *err)
{
    int64_t j = profile_find_column(cur, rc->name);
    if (j < 0 || cur->columns[j].type != rc->type)
        return ferry_error_set(
            err, FERRY_INVALID_ARG, "%s: column '%s' is %s (the reference's is %s)", cur->source,
            rc->name, j < 0 ? "missing" : profile_type_name(cur->columns[j].type),
            profile_type_name(rc->type));
    f->name = strdup(rc->name);
    f->type = rc->type;
    if (f->name == NULL)
        return no_memory(err);
    const profile_column *cc = &cur->columns[j];
    drift_report_options mine = *o;
    size_t i = (size_t)(rc - ref->columns);
    if (o->column_methods != NULL)
        mine.method = o->column_methods[i];
    if (o->column_thresholds != NULL)
        mine.threshold = o->column_thresholds[i];
    return rc->type == PROFILE_NUMERICAL
               ? numeric_feature(ref, rc, cur, cc, &mine, &f->result, err)
               : categorical_feature(ref, rc, cur, cc, &mine, &f->result, err);
}

ferry_status drift_report_profiles(const profile *ref, const profile *cur,
                                   const drift_report_options *o, drift_report *out,
                                   ferry_error *err)
{
    *out = (drift_report){0};
    for (size_t i = 0; i < o->n_prediction; i++) {
        int64_t k = profile_find_column(ref, o->prediction[i]);
        if (k < 0 || ref->columns[k].label)
            return ferry_error_set(err, FERRY_INVALID_ARG, "%s: %s '%s' for predictions",
                                   ref->source, k < 0 ? "no column" : "the label column is",
                                   o->prediction[i]);
    }
    out->features = calloc(ref->n_columns + 1, sizeof *out->features);
    out->prediction = calloc(o->n_prediction + 1, sizeof *out->prediction);
    if (out->features == NULL || out->prediction == NULL) {
        drift_report_free(out);
        return no_memory(err);
    }
    ferry_status st = FERRY_OK;
    for (size_t i = 0; st == FERRY_OK && i < ref->n_columns; i++) {
        const profile_column *rc = &ref->columns[i];
        if (rc->label)
            continue;
        drift_feature *f = is_prediction(o, rc->name) ? &out->prediction[out->n_prediction++]
                                                      : &out->features[out->n_features++];
        st = measure(ref, rc, cur, o, f, err);
    }
    if (st != FERRY_OK) {
        drift_report_free(out);
        return st;
    }
    drift_result *results = malloc((out->n_features + 1) * sizeof *results);
    if (results == NULL) {
        drift_report_free(out);
        return no_memory(err);
    }
    for (size_t i = 0; i < out->n_features; i++)
        results[i] = out->features[i].result;
    drift_summarise(results, out->n_features, &out->drifted_features, &out->share,
                    &out->dataset_drift);
    free(results);
    return FERRY_OK;
}

void drift_report_free(drift_report *r)
{
    for (size_t i = 0; r->features != NULL && i < r->n_features; i++)
        free(r->features[i].name);
    for (size_t i = 0; r->prediction != NULL && i < r->n_prediction; i++)
        free(r->prediction[i].name);
    free(r->features);
    free(r->prediction);
    *r = (drift_report){0};
}

/* ---- JSON ------------------------------------------------------------------------------- */

/* A number, or null when absent (or not finite, which JSON cannot hold). */
static json_t *number_or_null(bool has, double v)
{
    return has && isfinite(v) ? json_real(v) : json_null();
}

static json_t *feature_json(const drift_feature *f)
{
    const drift_result *r = &f->result;
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:f, s:b}", "name", f->name, "type",
                     profile_type_name(f->type), "method", drift_method_name(r->method),
                     "statistic", number_or_null(r->has_statistic, r->statistic), "p_value",
                     number_or_null(r->has_p_value, r->p_value), "threshold", r->threshold,
                     "drifted", r->drifted);
}

static json_t *features_json(const drift_feature *f, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; list != NULL && i < n; i++)
        if (json_array_append_new(list, feature_json(&f[i])) != 0) {
            json_decref(list);
            list = NULL;
        }
    return list;
}

json_t *drift_report_json(const drift_report *r)
{
    return json_pack(
        "{s:o, s:o, s:I, s:f, s:b}", "features", features_json(r->features, r->n_features),
        "prediction", features_json(r->prediction, r->n_prediction), "drifted_features",
        (json_int_t)r->drifted_features, "share", r->share, "dataset_drift", r->dataset_drift);
}
