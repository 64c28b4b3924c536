/* Live drift windows and their monitor thread; see drift_live.h. */
#include "monitor/drift_live.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/sort_doubles.h"
#include "core/log.h"
#include "core/thread_name.h"
#include "monitor/alert_webhook.h"
#include "monitor/drift_report.h"

struct drift_live {
    char model[128], version[24];
    char *webhook;        /* model.yaml's drift.webhook, or NULL for the server's default */
    size_t window;        /* rows per window; 0 for a time window */
    uint64_t window_ns;   /* a time window's length; 0 for a row window */
    char window_text[32]; /* the time window as configured ("10m") */
    size_t cap;           /* rows kept of a window: min(window, PROFILE_SAMPLE_MAX) */
    profile *ref;         /* the features' columns, then the predictions' */
    size_t n_features, n_cols;
    feature_slot *slots;     /* n_features */
    drift_output_slot *outs; /* n_cols - n_features */
    const char **pred_names; /* the prediction columns' names (in ref) */
    drift_method *methods;   /* per column */
    double *thresholds;      /* per column; NaN: the method's default */
    pthread_t thread;
    bool started;
    double *taken;        /* the monitor thread's: the window it measures, swapped with closed */
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t cond;
    double *active, *closed;            /* cap x n_cols values, row-major */
    uint64_t *missing, *closed_missing; /* per column, over every row of the window */
    uint64_t seen, closed_seen;
    time_t start, last, closed_start, closed_end; /* first and last rows' arrival */
    uint64_t deadline_ns; /* a time window with rows: when it closes (clock_now_ns) */
    bool pending, stop;
    uint64_t rng;
    metrics *metrics;
    json_t *report;   /* the last completed window's, or NULL */
    uint64_t windows; /* completed */
    bool dataset_drift;
    bool *drifted; /* per column, in the last report */
};

static ferry_status no_memory(ferry_error *err)
{
    return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory setting up drift");
}

/* ---- settings ------------------------------------------------------------------------------ */

static ferry_status bad(ferry_error *err, const ynode *n, const char *what)
{
    return ferry_error_set(err, FERRY_INVALID_ARG, "model.yaml line %d: drift: %s",
                           n != NULL ? n->line : 0, what);
}

static ferry_status read_method(const ynode *map, drift_method *m, double *t, ferry_error *err)
{
    const char *name = ynode_get_scalar(map, "method");
    if (ynode_get(map, "method") != NULL && (name == NULL || !drift_method_parse(name, m)))
        return bad(err, ynode_get(map, "method"),
                   "method must be auto, ks, chisquare, wasserstein, jensenshannon or psi");
    const ynode *tn = ynode_get(map, "threshold");
    if (tn == NULL)
        return FERRY_OK;
    char *end = NULL;
    *t = tn->kind == YNODE_SCALAR ? strtod(tn->scalar, &end) : NAN;
    if (end == NULL || *end != '\0' || end == tn->scalar || !(*t >= 0) || !isfinite(*t))
        return bad(err, tn, "threshold must be a non-negative number");
    return FERRY_OK;
}

/* A duration "1.5s", "10m", "2h" in nanoseconds; false when text is not one (1 ms to 30 days). */
static bool parse_duration(const char *text, uint64_t *ns)
{
    char *end = NULL;
    double v = strtod(text, &end);
    if (end == text || !isfinite(v) || v <= 0 || end[0] == '\0' || end[1] != '\0')
        return false;
    double unit = end[0] == 's' ? 1 : end[0] == 'm' ? 60 : end[0] == 'h' ? 3600 : 0;
    double seconds = v * unit;
    if (!(seconds >= 0.001 && seconds <= 30 * 86400.0))
        return false;
    *ns = (uint64_t)(seconds * 1e9);
    return true;
}

/* `window`: a number of rows, or a duration (a time window; window stays 0). */
static ferry_status read_window(drift_live *d, const ynode *node, ferry_error *err)
{
    const ynode *w = ynode_get(node, "window");
    d->window = DRIFT_LIVE_DEFAULT_WINDOW;
    if (w == NULL)
        return FERRY_OK;
    if (w->kind == YNODE_SCALAR && parse_duration(w->scalar, &d->window_ns)) {
        d->window = 0;
        snprintf(d->window_text, sizeof d->window_text, "%s", w->scalar);
        return FERRY_OK;
    }
    char *end = NULL;
    long long v = w->kind == YNODE_SCALAR ? strtoll(w->scalar, &end, 10) : 0;
    if (end == NULL || *end != '\0' || v < 1 || v > 100000000)
        return bad(err, w,
                   "window must be a number of rows from 1 to 100000000 or a duration with "
                   "unit s, m or h (10m)");
    d->window = (size_t)v;
    return FERRY_OK;
}

/* Global method and threshold, then each column's (by name under `features`); the webhook. */
static ferry_status read_settings(drift_live *d, const ynode *node, ferry_error *err)
{
    const ynode *hook = ynode_get(node, "webhook");
    if (hook != NULL && (hook->kind != YNODE_SCALAR || hook->scalar[0] == '\0'))
        return bad(err, hook, "webhook must be a URL");
    if (hook != NULL && (d->webhook = strdup(hook->scalar)) == NULL)
        return no_memory(err);
    drift_method method = DRIFT_AUTO;
    double threshold = NAN;
    ferry_status st = read_method(node, &method, &threshold, err);
    for (size_t i = 0; st == FERRY_OK && i < d->n_cols; i++) {
        d->methods[i] = method;
        d->thresholds[i] = threshold;
    }
    const ynode *features = ynode_get(node, "features");
    if (features != NULL && features->kind != YNODE_MAP)
        return bad(err, features, "features must be a map of feature names");
    for (size_t k = 0; st == FERRY_OK && features != NULL && k < features->n; k++) {
        int64_t i = profile_find_column(d->ref, features->keys[k]);
        if (i < 0)
            return bad(err, features->items[k], "features: names no model feature or output");
        st = read_method(features->items[k], &d->methods[i], &d->thresholds[i], err);
    }
    return st;
}

/* ---- the reference ------------------------------------------------------------------------- */

static bool numeric_dtype(ferry_dtype t)
{
    return t == FERRY_DTYPE_FP32 || t == FERRY_DTYPE_FP64 || t == FERRY_DTYPE_INT32 ||
           t == FERRY_DTYPE_INT64;
}

/* Output columns: each numeric output with the sample's rows leading, one column per value. */
static size_t count_output_columns(const ferry_tensor *outputs, size_t n, size_t rows,
                                   drift_output_slot *slots)
{
    size_t count = 0;
    for (size_t o = 0; outputs != NULL && o < n; o++) {
        const ferry_tensor *t = &outputs[o];
        if (!numeric_dtype(t->dtype) || t->ndim < 1 || t->ndim > 2 || t->shape[0] != (int64_t)rows)
            continue;
        size_t width = t->ndim == 2 ? (size_t)t->shape[1] : 1;
        for (size_t c = 0; c < width && width <= 64; c++, count++)
            if (slots != NULL)
                slots[count] = (drift_output_slot){.output = o, .column = c, .width = width};
    }
    return count;
}

static bool copy_feature(const profile *p, const profile_column *from, profile *ref,
                         profile_column *to)
{
    to->name = strdup(from->name);
    to->type = from->type;
    if (to->name == NULL || !profile_alloc_sample(ref, to))
        return false;
    for (size_t r = 0; r < p->sample_rows; r++) {
        if (to->type == PROFILE_NUMERICAL)
            to->numbers[r] = from->numbers[r];
        else if (from->strings[r] != NULL && (to->strings[r] = strdup(from->strings[r])) == NULL)
            return false;
    }
    return true;
}

static bool add_prediction(drift_live *d, const ferry_tensor *outputs, size_t k)
{
    const drift_output_slot *s = &d->outs[k];
    profile_column *c = &d->ref->columns[d->n_features + k];
    char name[256];
    if (s->width == 1)
        snprintf(name, sizeof name, "%s", outputs[s->output].name);
    else
        snprintf(name, sizeof name, "%s[%zu]", outputs[s->output].name, s->column);
    c->name = strdup(name);
    c->type = PROFILE_NUMERICAL;
    if (c->name == NULL || !profile_alloc_sample(d->ref, c))
        return false;
    for (size_t r = 0; r < d->ref->sample_rows; r++)
        feature_value_at(&outputs[s->output], r * s->width + s->column, &c->numbers[r]);
    d->pred_names[k] = c->name;
    return true;
}

static bool build_reference(drift_live *d, const profile *p, const feature_map *map,
                            const ferry_tensor *outputs)
{
    d->ref->sample_rows = p->sample_rows;
    d->ref->source = strdup("reference");
    if (d->ref->source == NULL)
        return false;
    size_t f = 0;
    for (size_t k = 0; k < map->n; k++) {
        if (map->column[k] < 0)
            continue;
        d->slots[f] = map->slots[k];
        if (!copy_feature(p, &p->columns[map->column[k]], d->ref, &d->ref->columns[f++]))
            return false;
    }
    for (size_t k = 0; k < d->n_cols - d->n_features; k++)
        if (!add_prediction(d, outputs, k))
            return false;
    /* Each column is measured alone, so each is sorted once here (missing values last) instead of
     * in every window's measurement. */
    for (size_t i = 0; i < d->n_cols; i++)
        if (d->ref->columns[i].type == PROFILE_NUMERICAL)
            sort_doubles(d->ref->columns[i].numbers, d->ref->sample_rows);
    return true;
}

/* ---- the window ---------------------------------------------------------------------------- */

static void close_window(drift_live *d)
{
    double *values = d->closed;
    d->closed = d->active;
    d->active = values;
    uint64_t *missing = d->closed_missing;
    d->closed_missing = d->missing;
    d->missing = missing;
    memset(d->missing, 0, d->n_cols * sizeof *d->missing);
    d->closed_seen = d->seen;
    d->closed_start = d->start;
    d->closed_end = d->last;
    d->seen = 0;
    d->deadline_ns = 0;
    d->pending = true; /* a window the thread has not taken yet is replaced */
    pthread_cond_signal(&d->cond);
}

/* The row slot of the reservoir for the row just seen, or -1 when it is not kept. */
static int64_t reservoir_slot(drift_live *d)
{
    if (d->seen <= d->cap)
        return (int64_t)d->seen - 1;
    d->rng ^= d->rng << 13;
    d->rng ^= d->rng >> 7;
    d->rng ^= d->rng << 17;
    uint64_t j = d->rng % d->seen;
    return j < d->cap ? (int64_t)j : -1;
}

static void append_row(drift_live *d, const ferry_tensor *inputs, size_t n_inputs,
                       const ferry_tensor *outputs, size_t n_outputs, uint64_t r)
{
    if (d->seen++ == 0)
        d->start = d->last;
    int64_t slot = reservoir_slot(d);
    double *row = slot >= 0 ? &d->active[(size_t)slot * d->n_cols] : NULL;
    for (size_t i = 0; i < d->n_cols; i++) {
        double x = NAN;
        if (i < d->n_features && d->slots[i].input < n_inputs)
            feature_value_at(&inputs[d->slots[i].input], r * d->slots[i].width + d->slots[i].column,
                             &x);
        else if (i >= d->n_features && d->outs[i - d->n_features].output < n_outputs) {
            const drift_output_slot *s = &d->outs[i - d->n_features];
            feature_value_at(&outputs[s->output], r * s->width + s->column, &x);
        }
        d->missing[i] += isnan(x);
        if (row != NULL)
            row[i] = x;
    }
    if (d->seen == d->window)
        close_window(d);
}

/* A time window whose time has passed closes (on arrival and on the monitor's timer); a first
 * row sets the deadline and wakes the monitor to wait for it. Caller holds the lock. */
static void check_deadline(drift_live *d, uint64_t now)
{
    if (d->window_ns == 0)
        return;
    if (d->seen > 0 && now >= d->deadline_ns)
        close_window(d);
}

static void start_deadline(drift_live *d, uint64_t now)
{
    if (d->window_ns == 0 || d->seen > 0)
        return;
    d->deadline_ns = now + d->window_ns;
    pthread_cond_signal(&d->cond);
}

void drift_live_observe(drift_live *d, metrics *m, const ferry_tensor *inputs, size_t n_inputs,
                        const ferry_tensor *outputs, size_t n_outputs)
{
    if (d == NULL || n_inputs == 0 || d->n_features == 0 || d->slots[0].input >= n_inputs)
        return;
    const ferry_tensor *first = &inputs[d->slots[0].input];
    uint64_t rows = first->ndim >= 1 && first->shape[0] > 0 ? (uint64_t)first->shape[0] : 1;
    uint64_t now = d->window_ns != 0 ? clock_now_ns() : 0;
    time_t wall = time(NULL);
    pthread_mutex_lock(&d->lock);
    d->metrics = m;
    d->last = wall;
    check_deadline(d, now);
    start_deadline(d, now);
    for (uint64_t r = 0; r < rows; r++)
        append_row(d, inputs, n_inputs, outputs, n_outputs, r);
    pthread_mutex_unlock(&d->lock);
}

/* ---- the monitor thread -------------------------------------------------------------------- */

/* A window taken from closed (seen rows, values row-major in d->taken) as a profile with the
 * reference's columns. Runs without the lock: requests go on filling the active window. */
static profile *window_profile(drift_live *d, uint64_t seen)
{
    profile *cur = profile_alloc(d->n_cols);
    if (cur == NULL)
        return NULL;
    cur->sample_rows = seen < d->cap ? (size_t)seen : d->cap;
    cur->source = strdup("window");
    bool ok = cur->source != NULL;
    for (size_t i = 0; ok && i < d->n_cols; i++) {
        profile_column *c = &cur->columns[i];
        c->name = strdup(d->ref->columns[i].name);
        c->type = d->ref->columns[i].type;
        ok = c->name != NULL && profile_alloc_sample(cur, c);
        for (size_t r = 0; ok && r < cur->sample_rows; r++) {
            double x = d->taken[r * d->n_cols + i];
            if (c->type == PROFILE_NUMERICAL) {
                c->numbers[r] = x;
            } else if (!isnan(x)) {
                char text[32];
                snprintf(text, sizeof text, "%.15g", x);
                ok = (c->strings[r] = strdup(text)) != NULL;
            }
        }
    }
    if (!ok) {
        profile_destroy(cur);
        return NULL;
    }
    return cur;
}

static void format_time(time_t t, char *buf, size_t len)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Adds window, missing ratios and mapping facts to the report JSON. */
static void annotate(json_t *j, const drift_live *d, const uint64_t *missing, uint64_t rows,
                     time_t start, time_t end)
{
    char s[32], e[32];
    format_time(start, s, sizeof s);
    format_time(end, e, sizeof e);
    json_object_set_new(
        j, "window", json_pack("{s:s, s:s, s:I}", "start", s, "end", e, "rows", (json_int_t)rows));
    json_t *features = json_object_get(j, "features"), *pred = json_object_get(j, "prediction");
    for (size_t i = 0; i < d->n_cols; i++) {
        json_t *f = i < d->n_features ? json_array_get(features, i)
                                      : json_array_get(pred, i - d->n_features);
        json_object_set_new(f, "missing_ratio", json_real(rows ? (double)missing[i] / rows : 0));
    }
}

static void publish_gauges(drift_live *d, metrics *m, const drift_report *r,
                           const uint64_t *missing, uint64_t rows)
{
    for (size_t i = 0; i < r->n_features; i++) {
        const drift_result *x = &r->features[i].result;
        metrics_set_feature_drift(m, d->model, d->version, r->features[i].name,
                                  drift_method_name(x->method),
                                  x->has_statistic ? x->statistic : NAN, x->drifted,
                                  rows ? (double)missing[i] / rows : 0);
    }
    metrics_set_dataset_drift(m, d->model, d->version, r->dataset_drift);
}

/* Posts the drift state in Alertmanager's webhook shape: firing while any feature drifts. */
static void alert(const drift_live *d, const drift_report *r, const char *names)
{
    char now[32], summary[256];
    format_time(time(NULL), now, sizeof now);
    bool firing = r->drifted_features > 0;
    snprintf(summary, sizeof summary, "model %s version %s: %zu of %zu features drifted%s",
             d->model, d->version, r->drifted_features, r->n_features,
             r->dataset_drift ? " (dataset drift)" : "");
    json_t *labels =
        json_pack("{s:s, s:s, s:s, s:s}", "alertname", "FerryDataDrift", "model", d->model,
                  "version", d->version, "severity", r->dataset_drift ? "critical" : "warning");
    json_t *annotations = json_pack("{s:s, s:s, s:s}", "summary", summary, "drifted_features",
                                    names, "dataset_drift", r->dataset_drift ? "true" : "false");
    json_t *one = json_pack(
        "{s:s, s:O, s:O, s:s, s:s, s:s, s:s}", "status", firing ? "firing" : "resolved", "labels",
        labels, "annotations", annotations, "startsAt", now, "endsAt",
        firing ? "0001-01-01T00:00:00Z" : now, "generatorURL", "", "fingerprint", d->model);
    json_t *payload =
        json_pack("{s:s, s:s, s:i, s:s, s:s, s:{s:s}, s:O, s:O, s:s, s:[o]}", "version", "4",
                  "groupKey", "{}:{alertname=\"FerryDataDrift\"}", "truncatedAlerts", 0, "status",
                  firing ? "firing" : "resolved", "receiver", "ferry", "groupLabels", "alertname",
                  "FerryDataDrift", "commonLabels", labels, "commonAnnotations", annotations,
                  "externalURL", "", "alerts", one);
    char *text = payload != NULL ? json_dumps(payload, JSON_COMPACT) : NULL;
    if (text != NULL)
        alert_webhook_post(d->webhook, text);
    free(text);
    json_decref(payload);
    json_decref(labels);
    json_decref(annotations);
}

/* Logs a change of drift state (a feature or the dataset starting or stopping to drift).
 * Caller holds the lock. */
static void log_change(drift_live *d, const drift_report *r)
{
    bool changed = d->windows == 0 ? r->dataset_drift || r->drifted_features > 0
                                   : r->dataset_drift != d->dataset_drift;
    char names[1024] = "";
    size_t used = 0;
    for (size_t i = 0; i < r->n_features; i++) {
        const drift_result *x = &r->features[i].result;
        changed |= d->windows > 0 && x->drifted != d->drifted[i];
        d->drifted[i] = x->drifted;
        if (x->drifted && used < sizeof names)
            used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", used ? "," : "",
                                     r->features[i].name);
    }
    d->dataset_drift = r->dataset_drift;
    if (!changed)
        return;
    log_fields f = {.model = d->model, .version = d->version};
    log_warn(&f, "drift state changed: dataset_drift %s, %zu of %zu features drifted [%s]",
             r->dataset_drift ? "true" : "false", r->drifted_features, r->n_features, names);
    alert(d, r, names);
}

static void measure_window(drift_live *d, profile *cur, uint64_t *missing, uint64_t rows,
                           time_t start, time_t end, metrics *m)
{
    drift_report_options o = {.method = DRIFT_AUTO,
                              .threshold = NAN,
                              .prediction = d->pred_names,
                              .n_prediction = d->n_cols - d->n_features,
                              .column_methods = d->methods,
                              .column_thresholds = d->thresholds};
    drift_report r;
    ferry_error err = {0};
    log_fields f = {.model = d->model, .version = d->version};
    if (drift_report_profiles(d->ref, cur, &o, &r, &err) != FERRY_OK) {
        log_error(&f, "drift window not measured: %s", err.message);
        return;
    }
    json_t *j = drift_report_json(&r);
    if (j != NULL)
        annotate(j, d, missing, rows, start, end);
    publish_gauges(d, m, &r, missing, rows);
    pthread_mutex_lock(&d->lock);
    log_change(d, &r);
    d->windows++;
    json_decref(d->report);
    d->report = j;
    pthread_mutex_unlock(&d->lock);
    drift_report_free(&r);
}

/* Waits for a closed window or stop; closes a time window whose deadline passed (an idle model's
 * window closes too). Caller holds the lock. */
static void wait_for_window(drift_live *d)
{
    for (;;) {
        if (d->stop || d->pending)
            return;
        uint64_t now = clock_now_ns();
        check_deadline(d, now);
        if (d->pending)
            return;
        if (d->window_ns == 0 || d->seen == 0) {
            pthread_cond_wait(&d->cond, &d->lock);
            continue;
        }
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        uint64_t wait_ns = d->deadline_ns - now;
        until.tv_sec += (time_t)(wait_ns / 1000000000u);
        until.tv_nsec += (long)(wait_ns % 1000000000u);
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&d->cond, &d->lock, &until);
    }
}

static void *monitor_main(void *arg)
{
    drift_live *d = arg;
    thread_name_set("ferry-drift");
    uint64_t *missing = calloc(d->n_cols, sizeof *missing);
    for (;;) {
        pthread_mutex_lock(&d->lock);
        wait_for_window(d);
        if (d->stop) {
            pthread_mutex_unlock(&d->lock);
            break;
        }
        double *values = d->taken; /* take the closed window; copying it is done unlocked */
        d->taken = d->closed;
        d->closed = values;
        if (missing != NULL)
            memcpy(missing, d->closed_missing, d->n_cols * sizeof *missing);
        uint64_t rows = d->closed_seen;
        time_t start = d->closed_start, end = d->closed_end;
        metrics *m = d->metrics;
        d->pending = false;
        pthread_mutex_unlock(&d->lock);
        profile *cur = missing != NULL ? window_profile(d, rows) : NULL;
        if (cur == NULL) {
            log_fields f = {.model = d->model, .version = d->version};
            log_error(&f, "drift window dropped: out of memory");
            continue;
        }
        measure_window(d, cur, missing, rows, start, end, m);
        profile_destroy(cur);
    }
    free(missing);
    return NULL;
}

/* ---- life cycle ---------------------------------------------------------------------------- */

static bool allocate(drift_live *d, size_t n_outputs_cols)
{
    d->n_cols = d->n_features + n_outputs_cols;
    size_t cells = d->cap * (d->n_cols ? d->n_cols : 1);
    d->ref = profile_alloc(d->n_cols);
    d->slots = calloc(d->n_features + 1, sizeof *d->slots);
    d->outs = calloc(n_outputs_cols + 1, sizeof *d->outs);
    d->pred_names = calloc(n_outputs_cols + 1, sizeof *d->pred_names);
    d->methods = calloc(d->n_cols + 1, sizeof *d->methods);
    d->thresholds = calloc(d->n_cols + 1, sizeof *d->thresholds);
    d->active = malloc(cells * sizeof *d->active);
    d->closed = malloc(cells * sizeof *d->closed);
    d->taken = malloc(cells * sizeof *d->taken);
    d->missing = calloc(d->n_cols + 1, sizeof *d->missing);
    d->closed_missing = calloc(d->n_cols + 1, sizeof *d->closed_missing);
    d->drifted = calloc(d->n_cols + 1, sizeof *d->drifted);
    return d->ref && d->slots && d->outs && d->pred_names && d->methods && d->thresholds &&
           d->active && d->closed && d->taken && d->missing && d->closed_missing && d->drifted;
}

/* The condition variable times out on the monotonic clock, as the deadlines are kept. */
static bool init_cond(pthread_cond_t *cond)
{
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0)
        return false;
    bool ok = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
              pthread_cond_init(cond, &attr) == 0;
    pthread_condattr_destroy(&attr);
    return ok;
}

static ferry_status start(drift_live *d, ferry_error *err)
{
    if (pthread_mutex_init(&d->lock, NULL) != 0 || !init_cond(&d->cond))
        return ferry_error_set(err, FERRY_IO, "model '%s' version %s: cannot set up drift locks",
                               d->model, d->version);
    if (pthread_create(&d->thread, NULL, monitor_main, d) != 0)
        return ferry_error_set(err, FERRY_IO,
                               "model '%s' version %s: cannot start the drift monitor thread",
                               d->model, d->version);
    d->started = true;
    return FERRY_OK;
}

ferry_status drift_live_create(const char *model, const char *version, const profile *p,
                               const feature_map *map, const ynode *node,
                               const ferry_tensor *outputs, size_t n_outputs, drift_live **out,
                               ferry_error *err)
{
    *out = NULL;
    if (node != NULL && node->kind == YNODE_SCALAR &&
        (strcmp(node->scalar, "off") == 0 || strcmp(node->scalar, "false") == 0))
        return FERRY_OK;
    if (node != NULL && node->kind != YNODE_MAP)
        return bad(err, node, "expected off or a map {window, method, threshold, features}");
    size_t n_features = 0;
    for (size_t k = 0; k < map->n; k++)
        n_features += map->column[k] >= 0;
    if (n_features == 0)
        return FERRY_OK;
    drift_live *d = calloc(1, sizeof *d);
    if (d == NULL)
        return no_memory(err);
    snprintf(d->model, sizeof d->model, "%s", model);
    snprintf(d->version, sizeof d->version, "%s", version);
    d->n_features = n_features;
    d->rng = 0x9E3779B97F4A7C15ull;
    ferry_status st = read_window(d, node, err);
    d->cap = d->window > 0 && d->window < PROFILE_SAMPLE_MAX ? d->window : PROFILE_SAMPLE_MAX;
    size_t n_out = count_output_columns(outputs, n_outputs, p->sample_rows, NULL);
    if (st == FERRY_OK && !allocate(d, n_out))
        st = no_memory(err);
    if (st == FERRY_OK) {
        count_output_columns(outputs, n_outputs, p->sample_rows, d->outs);
        if (!build_reference(d, p, map, outputs))
            st = no_memory(err);
    }
    if (st == FERRY_OK)
        st = read_settings(d, node, err);
    if (st == FERRY_OK)
        st = start(d, err);
    if (st != FERRY_OK) {
        drift_live_destroy(d);
        return st;
    }
    *out = d;
    return FERRY_OK;
}

void drift_live_destroy(drift_live *d)
{
    if (d == NULL)
        return;
    if (d->started) {
        pthread_mutex_lock(&d->lock);
        d->stop = true;
        pthread_cond_signal(&d->cond);
        pthread_mutex_unlock(&d->lock);
        pthread_join(d->thread, NULL);
        pthread_mutex_destroy(&d->lock);
        pthread_cond_destroy(&d->cond);
    }
    json_decref(d->report);
    free(d->webhook);
    profile_destroy(d->ref);
    free(d->slots);
    free(d->outs);
    free(d->pred_names);
    free(d->methods);
    free(d->thresholds);
    free(d->active);
    free(d->closed);
    free(d->taken);
    free(d->missing);
    free(d->closed_missing);
    free(d->drifted);
    free(d);
}

json_t *drift_live_json(drift_live *d)
{
    pthread_mutex_lock(&d->lock);
    json_t *j = d->report != NULL ? json_deep_copy(d->report)
                                  : json_pack("{s:n, s:s}", "report", "message",
                                              "no drift window has completed yet");
    if (j != NULL) {
        json_object_set_new(j, "partial_window_rows", json_integer((json_int_t)d->seen));
        json_object_set_new(j, "window_size",
                            d->window > 0 ? json_integer((json_int_t)d->window) : json_null());
        json_object_set_new(j, "window_duration",
                            d->window_ns > 0 ? json_string(d->window_text) : json_null());
        json_object_set_new(j, "windows_completed", json_integer((json_int_t)d->windows));
    }
    pthread_mutex_unlock(&d->lock);
    return j;
}
