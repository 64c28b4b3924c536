/* The metrics registry behind GET /metrics: request and inference counters and histograms per model
 * version, model info, build info and the process_* families, rendered in the Prometheus text
 * exposition format 0.0.4. HTTP and gRPC worker threads update it concurrently. */
#include "monitor/metrics.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/process_metrics.h"

#ifndef FERRY_VERSION
#error "FERRY_VERSION must be defined by the build (CMake sets it to the project version)"
#endif

/* Past this many series in one family new label sets are dropped and counted, so that a bug or a
 * hostile client cannot grow the registry (and the /metrics page) without bound. */
#define METRICS_MAX_SERIES  10000
#define METRICS_HASH_SLOTS  1024 /* a power of two; chains of ~10 when a family is full */
#define METRICS_MAX_LABELS  4
#define METRICS_BOUND_COUNT 19 /* finite histogram bounds; the +Inf bucket follows them */

/* Durations from 10 µs (a cached tree model) to 10 s (a large network on a busy CPU). */
static const double bucket_bounds[METRICS_BOUND_COUNT] = {
    1e-05, 2.5e-05, 5e-05, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
    0.025, 0.05,    0.1,   0.25,   0.5,     1,      2.5,   5,      10,
};

/* The le label of each bucket, spelled as the Prometheus client libraries spell them. */
static const char *const bucket_names[METRICS_BOUND_COUNT + 1] = {
    "1e-05", "2.5e-05", "5e-05", "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01",
    "0.025", "0.05",    "0.1",   "0.25",   "0.5",     "1",      "2.5",   "5",      "10",    "+Inf",
};

static_assert(sizeof bucket_bounds / sizeof bucket_bounds[0] + 1 ==
                  sizeof bucket_names / sizeof bucket_names[0],
              "one le name per bound plus +Inf");

/* Batch sizes (rows per execution), powers of two. */
#define METRICS_SIZE_BOUND_COUNT 12
static const double size_bounds[METRICS_SIZE_BOUND_COUNT] = {1,  2,   4,   8,   16,   32,
                                                             64, 128, 256, 512, 1024, 4096};
static const char *const size_names[METRICS_SIZE_BOUND_COUNT + 1] = {
    "1", "2", "4", "8", "16", "32", "64", "128", "256", "512", "1024", "4096", "+Inf"};
static_assert(METRICS_SIZE_BOUND_COUNT <= METRICS_BOUND_COUNT, "size buckets fit a series");

/* ======================== Families and series ======================== */

/* METRIC_GAUGE: an info gauge, always 1; METRIC_VALUE: a gauge holding a double (in `sum`). */
typedef enum metric_kind {
    METRIC_COUNTER,
    METRIC_GAUGE,
    METRIC_HISTOGRAM,
    METRIC_VALUE
} metric_kind;

static const char *const kind_names[] = {
    [METRIC_COUNTER] = "counter",
    [METRIC_GAUGE] = "gauge",
    [METRIC_HISTOGRAM] = "histogram",
    [METRIC_VALUE] = "gauge",
};

typedef struct family_spec {
    const char *name;
    const char *help;
    metric_kind kind;
    size_t label_count;
    size_t key_count; /* the leading labels that identify a series; any others are data */
    const char *label_names[METRICS_MAX_LABELS];
    bool level;      /* a gauge whose value is the series' count (signed), not an info gauge */
    bool size_scale; /* a histogram of sizes (size_bounds), not of durations */
    /* Series of a loaded version only (labels model, version first): created only while the
     * version has a ferry_model_info series, removed with it, updated under the family lock. */
    bool scoped;
} family_spec;

enum {
    FAMILY_REQUESTS,
    FAMILY_REQUEST_DURATION,
    FAMILY_INFERENCE_DURATION,
    FAMILY_MODEL_INFO,
    FAMILY_LOAD_FAILURES,
    FAMILY_VALIDATION,
    FAMILY_DRIFT_SCORE,
    FAMILY_DRIFTED,
    FAMILY_DATASET_DRIFT,
    FAMILY_MISSING_RATIO,
    FAMILY_QUEUE_DURATION,
    FAMILY_BATCH_SIZE,
    FAMILY_QUEUE_DEPTH,
    FAMILY_REJECTED,
    FAMILY_COUNT
};

static const family_spec family_specs[FAMILY_COUNT] = {
    [FAMILY_REQUESTS] =
        {
            .name = "ferry_requests_total",
            .help = "Finished inference requests by model, version, protocol and status code.",
            .kind = METRIC_COUNTER,
            .label_count = 4,
            .key_count = 4,
            .label_names = {"model", "version", "protocol", "code"},
        },
    [FAMILY_REQUEST_DURATION] =
        {
            .name = "ferry_request_duration_seconds",
            .help = "Time from receiving a request to sending its response.",
            .kind = METRIC_HISTOGRAM,
            .label_count = 3,
            .key_count = 3,
            .label_names = {"model", "version", "protocol"},
        },
    [FAMILY_INFERENCE_DURATION] =
        {
            .name = "ferry_inference_duration_seconds",
            .help = "Time spent in the backend running a model.",
            .kind = METRIC_HISTOGRAM,
            .label_count = 2,
            .key_count = 2,
            .label_names = {"model", "version"},
        },
    /* A version is loaded at most once, so model and version identify it; reloading it with
     * another backend or checksum replaces its series. */
    [FAMILY_MODEL_INFO] =
        {
            .name = "ferry_model_info",
            .help = "Loaded model versions, with their backend and SHA-256 (always 1).",
            .kind = METRIC_GAUGE,
            .label_count = 4,
            .key_count = 2,
            .label_names = {"model", "version", "backend", "sha256"},
        },
    [FAMILY_LOAD_FAILURES] =
        {
            .name = "ferry_model_load_failures_total",
            .help = "Failed attempts to load a model version (read, verify, load or warm up).",
            .kind = METRIC_COUNTER,
            .label_count = 2,
            .key_count = 2,
            .label_names = {"model", "version"},
        },
    [FAMILY_VALIDATION] =
        {
            .name = "ferry_validation_violations_total",
            .help = "Request values that break a validation rule of the training profile.",
            .kind = METRIC_COUNTER,
            .label_count = 4,
            .key_count = 4,
            .label_names = {"model", "version", "feature", "rule"},
            .scoped = true,
        },
    [FAMILY_DRIFT_SCORE] =
        {
            .name = "ferry_feature_drift_score",
            .help = "A feature's drift statistic in the last completed window (NaN: none).",
            .kind = METRIC_VALUE,
            .label_count = 4,
            .key_count = 4,
            .label_names = {"model", "version", "feature", "method"},
            .scoped = true,
        },
    [FAMILY_DRIFTED] =
        {
            .name = "ferry_feature_drifted",
            .help = "1 when a feature drifted in the last completed window, else 0.",
            .kind = METRIC_VALUE,
            .label_count = 3,
            .key_count = 3,
            .label_names = {"model", "version", "feature"},
            .scoped = true,
        },
    [FAMILY_DATASET_DRIFT] =
        {
            .name = "ferry_dataset_drift",
            .help = "1 when at least half the features drifted in the last completed window.",
            .kind = METRIC_VALUE,
            .label_count = 2,
            .key_count = 2,
            .label_names = {"model", "version"},
            .scoped = true,
        },
    [FAMILY_MISSING_RATIO] =
        {
            .name = "ferry_feature_missing_ratio",
            .help = "Share of a feature's values missing in the last completed window.",
            .kind = METRIC_VALUE,
            .label_count = 3,
            .key_count = 3,
            .label_names = {"model", "version", "feature"},
            .scoped = true,
        },
    [FAMILY_QUEUE_DURATION] =
        {
            .name = "ferry_queue_duration_seconds",
            .help =
                "Time requests waited in a version's queue before running (0 when run at once).",
            .kind = METRIC_HISTOGRAM,
            .label_count = 2,
            .key_count = 2,
            .label_names = {"model", "version"},
        },
    [FAMILY_BATCH_SIZE] =
        {
            .name = "ferry_batch_size",
            .help = "Rows of the executions requests ran in (their own and their batch mates').",
            .kind = METRIC_HISTOGRAM,
            .label_count = 2,
            .key_count = 2,
            .label_names = {"model", "version"},
            .size_scale = true,
        },
    [FAMILY_QUEUE_DEPTH] =
        {
            .name = "ferry_queue_depth",
            .help = "Requests waiting in a version's queue now.",
            .kind = METRIC_GAUGE,
            .label_count = 2,
            .key_count = 2,
            .label_names = {"model", "version"},
            .level = true,
        },
    [FAMILY_REJECTED] =
        {
            .name = "ferry_requests_rejected_total",
            .help = "Requests the scheduler answered without running them, by reason "
                    "(queue_full, timeout, client_gone).",
            .kind = METRIC_COUNTER,
            .label_count = 3,
            .key_count = 3,
            .label_names = {"model", "version", "reason"},
        },
};

/* One labelled series. Label values are copied into text[]. Values are atomics, so observers
 * update them after releasing the family lock. */
typedef struct series {
    struct series *hash_next;
    struct series *prev, *next; /* insertion order, which is the render order */
    uint64_t hash;
    const char *labels[METRICS_MAX_LABELS];
    _Atomic uint64_t count;                            /* counters */
    _Atomic uint64_t buckets[METRICS_BOUND_COUNT + 1]; /* histograms; per bucket, not cumulative */
    _Atomic double sum;                                /* histograms */
    char text[];
} series;

/* The lock guards the hash table, the order list and size, not the values. Series of counters and
 * histograms are only freed by metrics_destroy, so a pointer found under the lock stays valid after
 * it is released; model_info series and those of scoped families are removed, but only ever
 * touched under the lock. */
typedef struct family {
    const family_spec *spec;
    pthread_mutex_t lock;
    series *slots[METRICS_HASH_SLOTS];
    series *first, *last;
    size_t size;
} family;

struct metrics {
    family families[FAMILY_COUNT];
    size_t locks_ready; /* how many family locks were initialised, for metrics_destroy */
    _Atomic uint64_t dropped;
};

/* FNV-1a over the key labels, each with its terminator so that ("ab", "c") != ("a", "bc"). */
static uint64_t hash_key(const family_spec *spec, const char *const *values)
{
    uint64_t hash = 14695981039346656037u;
    for (size_t i = 0; i < spec->key_count; i++) {
        const char *p = values[i];
        do {
            hash = (hash ^ (unsigned char)*p) * 1099511628211u;
        } while (*p++ != '\0');
    }
    return hash;
}

static bool labels_equal(const series *s, const char *const *values, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(s->labels[i], values[i]) != 0)
            return false;
    return true;
}

/* Caller holds f->lock. */
static series *family_find(const family *f, const char *const *values, uint64_t hash)
{
    series *s = f->slots[hash & (METRICS_HASH_SLOTS - 1)];
    while (s != NULL && (s->hash != hash || !labels_equal(s, values, f->spec->key_count)))
        s = s->hash_next;
    return s;
}

/* A new series with zeroed values and copies of all label values; NULL when out of memory. */
static series *series_create(const family_spec *spec, const char *const *values, uint64_t hash)
{
    size_t lengths[METRICS_MAX_LABELS];
    size_t text_size = 0;
    for (size_t i = 0; i < spec->label_count; i++) {
        lengths[i] = strlen(values[i]) + 1;
        if (lengths[i] > SIZE_MAX / 2 - sizeof(series) - text_size)
            return NULL;
        text_size += lengths[i];
    }
    series *s = malloc(sizeof(series) + text_size);
    if (s == NULL)
        return NULL;
    *s = (series){.hash = hash};
    char *text = s->text;
    for (size_t i = 0; i < spec->label_count; i++) {
        memcpy(text, values[i], lengths[i]);
        s->labels[i] = text;
        text += lengths[i];
    }
    atomic_init(&s->count, 0);
    for (size_t i = 0; i <= METRICS_BOUND_COUNT; i++)
        atomic_init(&s->buckets[i], 0);
    atomic_init(&s->sum, 0.0);
    return s;
}

/* Caller holds f->lock. */
static void family_link(family *f, series *s)
{
    series **slot = &f->slots[s->hash & (METRICS_HASH_SLOTS - 1)];
    s->hash_next = *slot;
    *slot = s;
    s->prev = f->last;
    s->next = NULL;
    if (f->last != NULL)
        f->last->next = s;
    else
        f->first = s;
    f->last = s;
    f->size++;
}

/* Caller holds f->lock; s must be linked into f. */
static void family_unlink(family *f, series *s)
{
    series **link = &f->slots[s->hash & (METRICS_HASH_SLOTS - 1)];
    while (*link != s)
        link = &(*link)->hash_next;
    *link = s->hash_next;
    if (s->prev != NULL)
        s->prev->next = s->next;
    else
        f->first = s->next;
    if (s->next != NULL)
        s->next->prev = s->prev;
    else
        f->last = s->prev;
    f->size--;
}

/* The series for values, created on first use. NULL (and counted as dropped) when the family is
 * full or memory runs out. */
static series *family_get(metrics *m, family *f, const char *const *values)
{
    uint64_t hash = hash_key(f->spec, values);
    pthread_mutex_lock(&f->lock);
    series *s = family_find(f, values, hash);
    if (s == NULL && f->size < METRICS_MAX_SERIES) {
        s = series_create(f->spec, values, hash);
        if (s != NULL)
            family_link(f, s);
    }
    pthread_mutex_unlock(&f->lock);
    if (s == NULL)
        atomic_fetch_add_explicit(&m->dropped, 1, memory_order_relaxed);
    return s;
}

/* ======================== Observing ======================== */

static void histogram_observe_on(series *s, double seconds, const double *bounds, size_t n)
{
    if (!(seconds >= 0.0))
        seconds = 0.0; /* NaN or a clock step backwards: keep _sum meaningful */
    size_t bucket = 0;
    while (bucket < n && seconds > bounds[bucket])
        bucket++;
    atomic_fetch_add_explicit(&s->buckets[bucket], 1, memory_order_relaxed);
    double old = atomic_load_explicit(&s->sum, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(&s->sum, &old, old + seconds,
                                                  memory_order_relaxed, memory_order_relaxed)) {
    }
}

static const char *or_empty(const char *s)
{
    return s != NULL ? s : "";
}

static void histogram_observe(series *s, double seconds)
{
    histogram_observe_on(s, seconds, bucket_bounds, METRICS_BOUND_COUNT);
}

void metrics_observe_request(metrics *m, const char *model, const char *version,
                             const char *protocol, const char *code, double seconds)
{
    if (m == NULL)
        return;
    const char *values[] = {or_empty(model), or_empty(version), or_empty(protocol), or_empty(code)};

    series *requests = family_get(m, &m->families[FAMILY_REQUESTS], values);
    if (requests != NULL)
        atomic_fetch_add_explicit(&requests->count, 1, memory_order_relaxed);
    series *duration = family_get(m, &m->families[FAMILY_REQUEST_DURATION], values);
    if (duration != NULL)
        histogram_observe(duration, seconds);
}

void metrics_observe_inference(metrics *m, const char *model, const char *version, double seconds)
{
    if (m == NULL)
        return;
    const char *values[] = {or_empty(model), or_empty(version)};
    series *duration = family_get(m, &m->families[FAMILY_INFERENCE_DURATION], values);
    if (duration != NULL)
        histogram_observe(duration, seconds);
}

void metrics_observe_schedule(metrics *m, const char *model, const char *version,
                              double queue_seconds, uint64_t batch_size)
{
    if (m == NULL)
        return;
    const char *values[] = {or_empty(model), or_empty(version)};
    series *queue = family_get(m, &m->families[FAMILY_QUEUE_DURATION], values);
    if (queue != NULL)
        histogram_observe(queue, queue_seconds);
    series *size = family_get(m, &m->families[FAMILY_BATCH_SIZE], values);
    if (size != NULL)
        histogram_observe_on(size, (double)batch_size, size_bounds, METRICS_SIZE_BOUND_COUNT);
}

void metrics_add_queue_depth(metrics *m, const char *model, const char *version, int delta)
{
    if (m == NULL)
        return;
    const char *values[] = {or_empty(model), or_empty(version)};
    series *depth = family_get(m, &m->families[FAMILY_QUEUE_DEPTH], values);
    if (depth != NULL)
        atomic_fetch_add_explicit(&depth->count, (uint64_t)(int64_t)delta, memory_order_relaxed);
}

void metrics_count_rejected(metrics *m, const char *model, const char *version, const char *reason)
{
    if (m == NULL)
        return;
    const char *values[] = {or_empty(model), or_empty(version), or_empty(reason)};
    series *rejected = family_get(m, &m->families[FAMILY_REJECTED], values);
    if (rejected != NULL)
        atomic_fetch_add_explicit(&rejected->count, 1, memory_order_relaxed);
}

void metrics_count_load_failure(metrics *m, const char *model, const char *version)
{
    if (m == NULL)
        return;
    const char *values[] = {or_empty(model), or_empty(version)};
    series *failures = family_get(m, &m->families[FAMILY_LOAD_FAILURES], values);
    if (failures != NULL)
        atomic_fetch_add_explicit(&failures->count, 1, memory_order_relaxed);
}

/* Whether values[0..1] (model, version) have a ferry_model_info series. Caller holds its lock. */
static bool version_loaded_locked(const family *info, const char *const *values)
{
    uint64_t hash = hash_key(info->spec, values);
    return family_find(info, values, hash) != NULL;
}

/* Adds n to the count, or sets the value, of a scoped family's series, created on first use, while
 * its version is loaded (else nothing happens). Both locks are held across the update, so an
 * unload (metrics_set_model_info with loaded=false) either comes first and nothing is created, or
 * after and removes the series: a version that left never keeps a series. */
static void scoped_update(metrics *m, int family_index, const char *const *values, uint64_t n,
                          double v)
{
    family *info = &m->families[FAMILY_MODEL_INFO], *f = &m->families[family_index];
    pthread_mutex_lock(&info->lock);
    if (version_loaded_locked(info, values)) {
        uint64_t hash = hash_key(f->spec, values);
        pthread_mutex_lock(&f->lock);
        series *s = family_find(f, values, hash);
        if (s == NULL && f->size < METRICS_MAX_SERIES && (s = series_create(f->spec, values, hash)))
            family_link(f, s);
        if (s != NULL && f->spec->kind == METRIC_COUNTER)
            atomic_fetch_add_explicit(&s->count, n, memory_order_relaxed);
        else if (s != NULL)
            atomic_store_explicit(&s->sum, v, memory_order_relaxed);
        pthread_mutex_unlock(&f->lock);
        if (s == NULL)
            atomic_fetch_add_explicit(&m->dropped, 1, memory_order_relaxed);
    }
    pthread_mutex_unlock(&info->lock);
}

/* Removes the series of model and version from every scoped family. Caller holds the
 * ferry_model_info lock (not the families'). */
static void remove_version_series(metrics *m, const char *model, const char *version)
{
    for (int i = 0; i < FAMILY_COUNT; i++) {
        family *f = &m->families[i];
        if (!f->spec->scoped)
            continue;
        pthread_mutex_lock(&f->lock);
        series *s = f->first;
        while (s != NULL) {
            series *next = s->next;
            if (strcmp(s->labels[0], model) == 0 && strcmp(s->labels[1], version) == 0) {
                family_unlink(f, s);
                free(s);
            }
            s = next;
        }
        pthread_mutex_unlock(&f->lock);
    }
}

bool metrics_version_loaded(metrics *m, const char *model, const char *version)
{
    if (m == NULL)
        return false;
    family *info = &m->families[FAMILY_MODEL_INFO];
    const char *values[] = {or_empty(model), or_empty(version)};
    pthread_mutex_lock(&info->lock);
    bool loaded = version_loaded_locked(info, values);
    pthread_mutex_unlock(&info->lock);
    return loaded;
}

void metrics_count_violation(metrics *m, const char *model, const char *version,
                             const char *feature, const char *rule, uint64_t n)
{
    if (m == NULL || n == 0)
        return;
    const char *values[] = {or_empty(model), or_empty(version), or_empty(feature), or_empty(rule)};
    scoped_update(m, FAMILY_VALIDATION, values, n, 0);
}

static void set_value(metrics *m, int family_index, const char *const *values, double v)
{
    scoped_update(m, family_index, values, 0, v);
}

void metrics_set_feature_drift(metrics *m, const char *model, const char *version,
                               const char *feature, const char *method, double score, bool drifted,
                               double missing_ratio)
{
    if (m == NULL)
        return;
    const char *values[] = {or_empty(model), or_empty(version), or_empty(feature),
                            or_empty(method)};
    set_value(m, FAMILY_DRIFT_SCORE, values, score);
    set_value(m, FAMILY_DRIFTED, values, drifted ? 1.0 : 0.0);
    set_value(m, FAMILY_MISSING_RATIO, values, missing_ratio);
}

void metrics_set_dataset_drift(metrics *m, const char *model, const char *version, bool drifted)
{
    if (m == NULL)
        return;
    const char *values[] = {or_empty(model), or_empty(version)};
    set_value(m, FAMILY_DATASET_DRIFT, values, drifted ? 1.0 : 0.0);
}

/* Caller holds f->lock. Replaces an existing series only once its successor exists, so running out
 * of memory never loses the old one. */
static void model_info_add(metrics *m, family *f, const char *const *values, uint64_t hash)
{
    series *old = family_find(f, values, hash);
    if (old != NULL && labels_equal(old, values, f->spec->label_count))
        return;
    series *fresh = NULL;
    if (old != NULL || f->size < METRICS_MAX_SERIES)
        fresh = series_create(f->spec, values, hash);
    if (fresh == NULL) {
        atomic_fetch_add_explicit(&m->dropped, 1, memory_order_relaxed);
        return;
    }
    if (old != NULL) {
        family_unlink(f, old);
        free(old);
    }
    family_link(f, fresh);
}

void metrics_set_model_info(metrics *m, const char *model, const char *version, const char *backend,
                            const char *sha256, bool loaded)
{
    if (m == NULL)
        return;
    family *f = &m->families[FAMILY_MODEL_INFO];
    const char *values[] = {or_empty(model), or_empty(version), or_empty(backend),
                            or_empty(sha256)};
    uint64_t hash = hash_key(f->spec, values);
    pthread_mutex_lock(&f->lock);
    if (loaded) {
        model_info_add(m, f, values, hash);
    } else {
        series *s = family_find(f, values, hash);
        if (s != NULL) {
            family_unlink(f, s);
            free(s);
            remove_version_series(m, values[0], values[1]);
        }
    }
    pthread_mutex_unlock(&f->lock);
}

/* ======================== Lifetime ======================== */

metrics *metrics_create(void)
{
    metrics *m = calloc(1, sizeof *m);
    if (m == NULL)
        return NULL;
    atomic_init(&m->dropped, 0);
    for (size_t i = 0; i < FAMILY_COUNT; i++) {
        m->families[i].spec = &family_specs[i];
        if (pthread_mutex_init(&m->families[i].lock, NULL) != 0) {
            metrics_destroy(m);
            return NULL;
        }
        m->locks_ready++;
    }
    return m;
}

void metrics_destroy(metrics *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < FAMILY_COUNT; i++) {
        series *s = m->families[i].first;
        while (s != NULL) {
            series *next = s->next;
            free(s);
            s = next;
        }
        if (i < m->locks_ready)
            pthread_mutex_destroy(&m->families[i].lock);
    }
    free(m);
}

/* ======================== Rendering ======================== */

#define METRICS_TRY(expr)                                                                          \
    do {                                                                                           \
        ferry_status try_status_ = (expr);                                                         \
        if (try_status_ != FERRY_OK)                                                               \
            return try_status_;                                                                    \
    } while (0)

/* The shortest of %.15g and %.17g that reads back as v; Prometheus' spellings of the infinities. */
static void format_double(char *out, size_t cap, double v)
{
    if (isnan(v)) {
        snprintf(out, cap, "NaN");
    } else if (isinf(v)) {
        snprintf(out, cap, v > 0 ? "+Inf" : "-Inf");
    } else {
        snprintf(out, cap, "%.15g", v);
        if (strtod(out, NULL) != v)
            snprintf(out, cap, "%.17g", v);
    }
}

/* Label values escape backslash, double quote and newline (exposition format 0.0.4). */
static ferry_status append_label_value(buffer *out, const char *value)
{
    const char *run = value;
    for (const char *p = value; *p != '\0'; p++) {
        const char *escape = *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" : *p == '\n' ? "\\n" : NULL;
        if (escape == NULL)
            continue;
        METRICS_TRY(buffer_append(out, run, (size_t)(p - run)));
        METRICS_TRY(buffer_append_str(out, escape));
        run = p + 1;
    }
    return buffer_append_str(out, run);
}

/* Appends `{name="value",...}` for the series' labels plus le when it is not NULL; nothing when
 * there are no labels at all. */
static ferry_status append_labels(buffer *out, const family_spec *spec, const series *s,
                                  const char *le)
{
    if (spec->label_count == 0 && le == NULL)
        return FERRY_OK;
    METRICS_TRY(buffer_append_str(out, "{"));
    for (size_t i = 0; i < spec->label_count; i++) {
        METRICS_TRY(buffer_printf(out, "%s%s=\"", i > 0 ? "," : "", spec->label_names[i]));
        METRICS_TRY(append_label_value(out, s->labels[i]));
        METRICS_TRY(buffer_append_str(out, "\""));
    }
    if (le != NULL)
        METRICS_TRY(buffer_printf(out, "%sle=\"%s\"", spec->label_count > 0 ? "," : "", le));
    return buffer_append_str(out, "}");
}

/* Help texts are our own constants, free of the backslashes and newlines HELP would escape. */
static ferry_status append_header(buffer *out, const char *name, const char *help, metric_kind kind)
{
    return buffer_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, kind_names[kind]);
}

static ferry_status append_sample(buffer *out, const family_spec *spec, const char *suffix,
                                  const series *s, const char *le, const char *value)
{
    METRICS_TRY(buffer_printf(out, "%s%s", spec->name, suffix));
    METRICS_TRY(append_labels(out, spec, s, le));
    return buffer_printf(out, " %s\n", value);
}

/* _count is the sum of the buckets read here, so it always equals the +Inf bucket even while
 * observers run; _sum may lag or lead it by the observations in flight. */
static ferry_status render_histogram_series(buffer *out, const family_spec *spec, const series *s)
{
    char value[32];
    uint64_t cumulative = 0;
    size_t n = spec->size_scale ? METRICS_SIZE_BOUND_COUNT : METRICS_BOUND_COUNT;
    const char *const *names = spec->size_scale ? size_names : bucket_names;
    for (size_t i = 0; i <= n; i++) {
        cumulative += atomic_load_explicit(&s->buckets[i], memory_order_relaxed);
        snprintf(value, sizeof value, "%" PRIu64, cumulative);
        METRICS_TRY(append_sample(out, spec, "_bucket", s, names[i], value));
    }
    format_double(value, sizeof value, atomic_load_explicit(&s->sum, memory_order_relaxed));
    METRICS_TRY(append_sample(out, spec, "_sum", s, NULL, value));
    snprintf(value, sizeof value, "%" PRIu64, cumulative);
    return append_sample(out, spec, "_count", s, NULL, value);
}

static ferry_status render_series(buffer *out, const family_spec *spec, const series *s)
{
    char value[32];
    switch (spec->kind) {
    case METRIC_COUNTER:
        snprintf(value, sizeof value, "%" PRIu64,
                 atomic_load_explicit(&s->count, memory_order_relaxed));
        return append_sample(out, spec, "", s, NULL, value);
    case METRIC_GAUGE:
        if (!spec->level)
            return append_sample(out, spec, "", s, NULL, "1"); /* info: the series is the data */
        snprintf(value, sizeof value, "%" PRId64,
                 (int64_t)atomic_load_explicit(&s->count, memory_order_relaxed));
        return append_sample(out, spec, "", s, NULL, value);
    case METRIC_VALUE:
        format_double(value, sizeof value, atomic_load_explicit(&s->sum, memory_order_relaxed));
        return append_sample(out, spec, "", s, NULL, value);
    case METRIC_HISTOGRAM:
        return render_histogram_series(out, spec, s);
    }
    return FERRY_INTERNAL;
}

/* Caller holds f->lock. */
static ferry_status render_family_locked(buffer *out, const family *f)
{
    METRICS_TRY(append_header(out, f->spec->name, f->spec->help, f->spec->kind));
    for (const series *s = f->first; s != NULL; s = s->next)
        METRICS_TRY(render_series(out, f->spec, s));
    return FERRY_OK;
}

static ferry_status render_family(buffer *out, family *f)
{
    pthread_mutex_lock(&f->lock);
    ferry_status status = render_family_locked(out, f);
    pthread_mutex_unlock(&f->lock);
    return status;
}

static ferry_status render_models_locked(buffer *out, const family *f)
{
    METRICS_TRY(append_header(out, "ferry_models_loaded",
                              "Number of model versions loaded (ferry_model_info series).",
                              METRIC_GAUGE));
    METRICS_TRY(buffer_printf(out, "ferry_models_loaded %zu\n", f->size));
    return render_family_locked(out, f);
}

/* ferry_models_loaded and ferry_model_info are read under one lock so that they agree. */
static ferry_status render_models(buffer *out, family *f)
{
    pthread_mutex_lock(&f->lock);
    ferry_status status = render_models_locked(out, f);
    pthread_mutex_unlock(&f->lock);
    return status;
}

static ferry_status render_build_info(buffer *out)
{
    METRICS_TRY(
        append_header(out, "ferry_build_info", "The ferry version (always 1).", METRIC_GAUGE));
    METRICS_TRY(buffer_append_str(out, "ferry_build_info{version=\""));
    METRICS_TRY(append_label_value(out, FERRY_VERSION));
    return buffer_append_str(out, "\"} 1\n");
}

static ferry_status render_dropped(metrics *m, buffer *out)
{
    METRICS_TRY(append_header(out, "ferry_metrics_dropped_total",
                              "Observations dropped because a family was full or out of memory.",
                              METRIC_COUNTER));
    return buffer_printf(out, "ferry_metrics_dropped_total %" PRIu64 "\n",
                         atomic_load_explicit(&m->dropped, memory_order_relaxed));
}

/* A family with a single unlabelled sample, left out entirely when its value is unknown. */
static ferry_status render_single(buffer *out, bool known, const char *name, const char *help,
                                  metric_kind kind, double v)
{
    if (!known)
        return FERRY_OK;
    char value[32];
    format_double(value, sizeof value, v);
    METRICS_TRY(append_header(out, name, help, kind));
    return buffer_printf(out, "%s %s\n", name, value);
}

static ferry_status render_process(buffer *out)
{
    process_metrics_sample p;
    process_metrics_read("/proc", &p);
    METRICS_TRY(render_single(out, p.has_cpu_seconds, "process_cpu_seconds_total",
                              "Total user and system CPU time spent in seconds.", METRIC_COUNTER,
                              p.cpu_seconds));
    METRICS_TRY(render_single(out, p.has_open_fds, "process_open_fds",
                              "Number of open file descriptors.", METRIC_GAUGE, p.open_fds));
    METRICS_TRY(render_single(out, p.has_max_fds, "process_max_fds",
                              "Maximum number of open file descriptors.", METRIC_GAUGE, p.max_fds));
    METRICS_TRY(render_single(out, p.has_virtual_bytes, "process_virtual_memory_bytes",
                              "Virtual memory size in bytes.", METRIC_GAUGE, p.virtual_bytes));
    METRICS_TRY(render_single(out, p.has_resident_bytes, "process_resident_memory_bytes",
                              "Resident memory size in bytes.", METRIC_GAUGE, p.resident_bytes));
    return render_single(out, p.has_start_time, "process_start_time_seconds",
                         "Start time of the process since unix epoch in seconds.", METRIC_GAUGE,
                         p.start_time_seconds);
}

static ferry_status render_all(metrics *m, buffer *out)
{
    METRICS_TRY(render_family(out, &m->families[FAMILY_REQUESTS]));
    METRICS_TRY(render_family(out, &m->families[FAMILY_REQUEST_DURATION]));
    METRICS_TRY(render_family(out, &m->families[FAMILY_INFERENCE_DURATION]));
    METRICS_TRY(render_family(out, &m->families[FAMILY_QUEUE_DURATION]));
    METRICS_TRY(render_family(out, &m->families[FAMILY_BATCH_SIZE]));
    METRICS_TRY(render_family(out, &m->families[FAMILY_QUEUE_DEPTH]));
    METRICS_TRY(render_family(out, &m->families[FAMILY_REJECTED]));
    METRICS_TRY(render_models(out, &m->families[FAMILY_MODEL_INFO]));
    METRICS_TRY(render_family(out, &m->families[FAMILY_LOAD_FAILURES]));
    METRICS_TRY(render_family(out, &m->families[FAMILY_VALIDATION]));
    for (int f = FAMILY_DRIFT_SCORE; f <= FAMILY_MISSING_RATIO; f++)
        METRICS_TRY(render_family(out, &m->families[f]));
    METRICS_TRY(render_build_info(out));
    METRICS_TRY(render_dropped(m, out));
    return render_process(out);
}

ferry_status metrics_render(metrics *m, buffer *out)
{
    if (m == NULL || out == NULL)
        return FERRY_INVALID_ARG;
    size_t start = out->len;
    ferry_status status = render_all(m, out);
    if (status != FERRY_OK && out->data != NULL) {
        out->len = start; /* a failed render leaves out as it was, not half a page */
        out->data[start] = '\0';
    }
    return status;
}
