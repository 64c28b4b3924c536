/* Feedback labels joined to logged predictions, and the live performance windows; see
 * feedback.h. */
#include "state/feedback.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/uuid.h"
#include "serving/repository.h"
#include "state/feedback_label.h"
#include "state/performance.h"
#include "state/recent_index.h"
#include "state/tensor_blob.h"

#define INDEX_CELLS (2u * FEEDBACK_RECENT_MAX) /* a power of two; half full at most */
#define WINDOWS_MAX 1024

/* One labelled row of a version's window. */
typedef struct labelled {
    char id[FEEDBACK_ID_MAX];
    int64_t row;
    double label;
    double *scores; /* cols; malloc'ed */
} labelled;

typedef struct window {
    char model[REPOSITORY_NAME_MAX];
    char version[REPOSITORY_VERSION_MAX];
    feedback_config cfg;
    size_t cols;
    size_t n, next; /* filled slots; the slot the next new row takes */
    labelled *rows; /* cfg.window slots */
} window;

struct feedback_hub {
    state_store *store;
    pthread_mutex_t lock;
    recent_index index;  /* id hash -> ring slot */
    recent **ring;       /* FEEDBACK_RECENT_MAX, oldest evicted first */
    uint32_t *ring_hash; /* the id hash of each ring slot's prediction */
    size_t ring_next;
    window *windows[WINDOWS_MAX];
    size_t n_windows;
    uint64_t sample_state;
    feedback_loaded_fn loaded; /* NULL: every version counts as loaded */
    void *loaded_ctx;
};

/* ------------------------------------------------------------------------------------------ */
/* Recent predictions                                                                           */
/* ------------------------------------------------------------------------------------------ */

/* The latest prediction with this id: among the ring slots the index gives for its hash, the
 * one written last (the fewest slots behind ring_next). Caller holds the lock. */
static recent *find_recent(feedback_hub *h, const char *id)
{
    uint32_t hash = recent_index_hash(id), slot;
    recent *latest = NULL;
    size_t latest_age = FEEDBACK_RECENT_MAX;
    for (uint32_t c = recent_index_first(&h->index, hash);
         recent_index_next(&h->index, hash, &c, &slot);) {
        size_t age = (h->ring_next + FEEDBACK_RECENT_MAX - 1 - slot) % FEEDBACK_RECENT_MAX;
        recent *r = h->ring[slot];
        if (r != NULL && age < latest_age && strcmp(r->id, id) == 0) {
            latest = r;
            latest_age = age;
        }
    }
    return latest;
}

/* Copies src into dst of size bytes, cut to fit. */
static void copy_name(char *dst, size_t size, const char *src)
{
    size_t len = strnlen(src, size - 1);
    memcpy(dst, src, len);
    dst[len] = '\0';
}

/* Scores a tensor gives: the first output's elements when it is numeric (FP32, FP64, INT32,
 * INT64) and has one row per request row; 0 otherwise (the prediction is kept, not scored). */
static size_t score_cols(const ferry_tensor *t, int64_t rows)
{
    if (t == NULL || rows <= 0 || ferry_dtype_size(t->dtype) == 0)
        return 0;
    switch (t->dtype) {
    case FERRY_DTYPE_FP32:
    case FERRY_DTYPE_FP64:
    case FERRY_DTYPE_INT32:
    case FERRY_DTYPE_INT64:
        break;
    default:
        return 0;
    }
    size_t n = t->nbytes / ferry_dtype_size(t->dtype);
    int64_t out_rows = t->ndim > 0 ? t->shape[0] : 1;
    return out_rows == rows ? n / (size_t)rows : 0;
}

static void put_scores(double *to, const ferry_tensor *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (t->dtype) {
        case FERRY_DTYPE_FP32:
            to[i] = ((const float *)t->data)[i];
            break;
        case FERRY_DTYPE_FP64:
            to[i] = ((const double *)t->data)[i];
            break;
        case FERRY_DTYPE_INT32:
            to[i] = ((const int32_t *)t->data)[i];
            break;
        default:
            to[i] = (double)((const int64_t *)t->data)[i];
            break;
        }
    }
}

/* Fills r (room for rows * score_cols scores) from a prediction. */
static void recent_fill(recent *r, const char *id, const char *model, const char *version,
                        const feedback_config *cfg, int64_t rows, const ferry_tensor *first_output)
{
    copy_name(r->id, sizeof r->id, id);
    copy_name(r->model, sizeof r->model, model);
    copy_name(r->version, sizeof r->version, version);
    r->cfg = *cfg;
    r->rows = rows;
    r->cols = score_cols(first_output, rows);
    put_scores(r->scores, first_output, (size_t)rows * r->cols);
}

/* A recent block with room for n scores: the evicted ring slot's when it fits, else a new one.
 * Caller holds the lock; the slot is unlinked and empty on return. NULL when out of memory. */
static recent *take_slot(feedback_hub *h, size_t n)
{
    recent **slot = &h->ring[h->ring_next];
    recent *r = *slot;
    if (r != NULL)
        recent_index_remove(&h->index, h->ring_hash[h->ring_next], (uint32_t)h->ring_next);
    *slot = NULL;
    if (r != NULL && r->capacity >= n)
        return r;
    free(r);
    r = malloc(sizeof *r + (n + 1) * sizeof(double));
    if (r != NULL)
        r->capacity = n;
    return r;
}

/* Asks the CPU to bring the oldest prediction's block into cache for the next request, which
 * evicts and rewrites it: FEEDBACK_RECENT_MAX predictions ago it left every cache, and waiting
 * for it was the largest part of logging a prediction (remember also prefetches its index cell). */
static void prefetch_slot(const recent *r)
{
    if (r == NULL)
        return;
    const char *p = (const char *)r;
    for (size_t at = 0; at < sizeof *r + sizeof(double); at += 64)
        __builtin_prefetch(p + at, 1, 3);
}

/* Puts r in the ring slot take_slot emptied and in the hash table. Caller holds the lock. */
static void remember(feedback_hub *h, recent *r, uint32_t hash)
{
    h->ring[h->ring_next] = r;
    h->ring_hash[h->ring_next] = hash;
    recent_index_insert(&h->index, hash, (uint32_t)h->ring_next);
    h->ring_next = (h->ring_next + 1) % FEEDBACK_RECENT_MAX;
    recent *oldest = h->ring[h->ring_next];
    prefetch_slot(oldest);
    if (oldest != NULL)
        recent_index_prefetch(&h->index, h->ring_hash[h->ring_next]);
}

static bool sampled(feedback_hub *h, double sample)
{
    if (sample >= 1.0)
        return true;
    h->sample_state = h->sample_state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(h->sample_state >> 11) / 9007199254740992.0 < sample;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static state_record *prediction_record(state_store *store, const char *id, const char *model,
                                       const char *version, const feedback_config *cfg,
                                       int64_t rows, const ferry_tensor *inputs, size_t n_inputs,
                                       const ferry_tensor *outputs, size_t n_outputs)
{
    size_t in_len = tensor_blob_size(inputs, n_inputs);
    size_t out_len = tensor_blob_size(outputs, n_outputs);
    state_record *rec = state_store_record_new(store, STATE_RECORD_PREDICTION, id, model, version,
                                               NULL, in_len, out_len);
    if (rec == NULL)
        return NULL;
    rec->ts_ms = now_ms();
    rec->rows = rows;
    rec->retention_s = cfg->retention_s;
    tensor_blob_write(rec->inputs, inputs, n_inputs);
    tensor_blob_write(rec->outputs, outputs, n_outputs);
    return rec;
}

/* Marks a prediction whose id ferry generated and times it by the id's millisecond, by which the
 * store finds it. An id that is no UUID v7 after all stays unmarked (so it is indexed). */
static void mark_generated(state_record *rec)
{
    int64_t ms = 0;
    if (!uuid_v7_time_ms(rec->id, &ms))
        return;
    rec->ts_ms = ms;
    rec->flags |= STATE_RECORD_ID_GENERATED;
}

bool feedback_hub_sampled(feedback_hub *h, const feedback_config *cfg)
{
    if (cfg->sample >= 1.0)
        return true;
    pthread_mutex_lock(&h->lock);
    bool keep = sampled(h, cfg->sample);
    pthread_mutex_unlock(&h->lock);
    return keep;
}

void feedback_hub_log(feedback_hub *h, const char *id, bool id_generated, const char *model,
                      const char *version, const feedback_config *cfg, const ferry_tensor *inputs,
                      size_t n_inputs, const ferry_tensor *outputs, size_t n_outputs)
{
    if (n_inputs == 0 || strlen(id) >= FEEDBACK_ID_MAX)
        return;
    int64_t rows = inputs[0].ndim > 0 ? inputs[0].shape[0] : 1;
    const ferry_tensor *first = n_outputs > 0 ? &outputs[0] : NULL;
    size_t n_scores = (size_t)rows * score_cols(first, rows);
    uint32_t hash = recent_index_hash(id);
    recent_index_prefetch(&h->index, hash);
    pthread_mutex_lock(&h->lock);
    recent *r = take_slot(h, n_scores);
    if (r != NULL) {
        recent_fill(r, id, model, version, cfg, rows, first);
        remember(h, r, hash);
    }
    pthread_mutex_unlock(&h->lock);
    state_record *rec = prediction_record(h->store, id, model, version, cfg, rows, inputs, n_inputs,
                                          outputs, n_outputs);
    if (rec != NULL && id_generated)
        mark_generated(rec);
    state_store_enqueue(h->store, rec);
    if (r == NULL) {
        log_fields f = {.model = model, .version = version, .request_id = id};
        log_warn(&f, "prediction log: out of memory; the prediction is not kept for feedback");
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Create and destroy                                                                           */
/* ------------------------------------------------------------------------------------------ */

feedback_hub *feedback_hub_create(state_store *store)
{
    feedback_hub *h = calloc(1, sizeof *h);
    if (h == NULL)
        return NULL;
    h->ring = calloc(FEEDBACK_RECENT_MAX, sizeof *h->ring);
    h->ring_hash = calloc(FEEDBACK_RECENT_MAX, sizeof *h->ring_hash);
    if (!recent_index_init(&h->index, INDEX_CELLS) || h->ring == NULL || h->ring_hash == NULL) {
        recent_index_free(&h->index);
        free(h->ring_hash);
        free(h->ring);
        free(h);
        return NULL;
    }
    h->store = store;
    h->sample_state = (uint64_t)now_ms();
    pthread_mutex_init(&h->lock, NULL);
    return h;
}

void feedback_hub_set_loaded(feedback_hub *h, feedback_loaded_fn loaded, void *ctx)
{
    pthread_mutex_lock(&h->lock);
    h->loaded = loaded;
    h->loaded_ctx = ctx;
    pthread_mutex_unlock(&h->lock);
}

static bool window_loaded(const feedback_hub *h, const window *w)
{
    return h->loaded == NULL || h->loaded(h->loaded_ctx, w->model, w->version);
}

static void window_free(window *w)
{
    if (w == NULL)
        return;
    for (size_t i = 0; i < w->n; i++)
        free(w->rows[i].scores);
    free(w->rows);
    free(w);
}

void feedback_hub_destroy(feedback_hub *h)
{
    if (h == NULL)
        return;
    for (size_t i = 0; i < FEEDBACK_RECENT_MAX; i++)
        free(h->ring[i]);
    for (size_t i = 0; i < h->n_windows; i++)
        window_free(h->windows[i]);
    free(h->ring);
    free(h->ring_hash);
    recent_index_free(&h->index);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

/* ------------------------------------------------------------------------------------------ */
/* Finding an id                                                                                */
/* ------------------------------------------------------------------------------------------ */

static window *find_window(feedback_hub *h, const char *model, const char *version)
{
    for (size_t i = 0; i < h->n_windows; i++)
        if (strcmp(h->windows[i]->model, model) == 0 &&
            strcmp(h->windows[i]->version, version) == 0)
            return h->windows[i];
    return NULL;
}

/* Rebuilds a prediction from outputs JSON (rows logged before the log kept tensor blobs): the
 * first output's data, rows by its first dimension. */
static recent *recent_from_json(const char *id, const char *model, const char *version,
                                int64_t rows, const char *outputs)
{
    json_t *doc = json_loads(outputs, 0, NULL);
    json_t *first = json_array_get(doc, 0);
    json_t *data = json_object_get(first, "data");
    size_t n = json_array_size(data);
    size_t cols = rows > 0 ? n / (size_t)rows : 0;
    recent *r = calloc(1, sizeof *r + (n + 1) * sizeof(double));
    if (r != NULL) {
        recent_fill(r, id, model, version, &(feedback_config){0}, rows, NULL);
        r->cfg = feedback_config_default();
        r->cols = cols;
        /* FP32 is written with the fewest digits that read back as the float: read it so. */
        const char *dtype = json_string_value(json_object_get(first, "datatype"));
        bool fp32 = dtype != NULL && strcmp(dtype, "FP32") == 0;
        for (size_t i = 0; i < n; i++) {
            double v = json_number_value(json_array_get(data, i));
            r->scores[i] = fp32 ? (double)(float)v : v;
        }
    }
    json_decref(doc);
    return r;
}

/* Rebuilds a prediction from its stored outputs, as feedback_hub_log kept it. NULL when out of
 * memory; a blob that cannot be read gives a prediction without scores. */
static recent *recent_from_stored(const char *id, const char *model, const char *version,
                                  int64_t rows, const state_tensors *outputs)
{
    if (outputs->json)
        return recent_from_json(id, model, version, rows, outputs->data);
    ferry_tensor view;
    size_t n = 0;
    ferry_error err;
    const ferry_tensor *first = NULL;
    if (tensor_blob_read(outputs->data, outputs->len, &view, 1, &n, &err) == FERRY_OK && n > 0)
        first = &view; /* only the first output is scored */
    size_t n_scores = (size_t)(rows > 0 ? rows : 0) * score_cols(first, rows);
    recent *r = malloc(sizeof *r + (n_scores + 1) * sizeof(double));
    if (r != NULL) {
        r->capacity = n_scores;
        recent_fill(r, id, model, version, &(feedback_config){0}, rows, first);
        r->cfg = feedback_config_default();
    }
    return r;
}

static size_t recent_size(const recent *r)
{
    return sizeof *r + ((size_t)r->rows * r->cols + 1) * sizeof(double);
}

/* A copy of the prediction with this id (memory first, then the store), owned by the caller. */
static ferry_status lookup(feedback_hub *h, const char *id, recent **out, ferry_error *err)
{
    pthread_mutex_lock(&h->lock);
    recent *r = find_recent(h, id);
    recent *copy = r != NULL ? malloc(recent_size(r)) : NULL;
    if (copy != NULL)
        memcpy(copy, r, recent_size(r));
    pthread_mutex_unlock(&h->lock);
    if (r != NULL && copy == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "feedback for id '%s': out of memory", id);
    if (copy == NULL && h->store != NULL) {
        char model[REPOSITORY_NAME_MAX], version[REPOSITORY_VERSION_MAX];
        int64_t rows = 0;
        state_tensors outputs;
        ferry_status st = state_store_find(h->store, id, model, sizeof model, version,
                                           sizeof version, &rows, &outputs, err);
        if (st == FERRY_NOT_FOUND) {
            /* It may have left memory before the writer committed it: commit what is queued and
             * look again before calling the id unknown. */
            state_store_flush(h->store);
            st = state_store_find(h->store, id, model, sizeof model, version, sizeof version, &rows,
                                  &outputs, err);
        }
        if (st != FERRY_OK)
            return st;
        copy = recent_from_stored(id, model, version, rows, &outputs);
        free(outputs.data);
        if (copy == NULL)
            return ferry_error_set(err, FERRY_NO_MEMORY, "feedback for id '%s': out of memory", id);
        pthread_mutex_lock(&h->lock);
        window *w = find_window(h, model, version);
        if (w != NULL)
            copy->cfg = w->cfg;
        pthread_mutex_unlock(&h->lock);
    }
    if (copy == NULL)
        return ferry_error_set(err, FERRY_NOT_FOUND, "no prediction with id '%s'", id);
    *out = copy;
    return FERRY_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Parsing a feedback body                                                                      */
/* ------------------------------------------------------------------------------------------ */

static ferry_status parse_item(feedback_hub *h, const char *model, pending *pl, const json_t *item,
                               size_t i, ferry_error *err)
{
    const char *id = json_string_value(json_object_get(item, "id"));
    if (!json_is_object(item) || id == NULL)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "feedback item %zu: expected an object with a string id", i);
    recent *p = NULL;
    ferry_status st = lookup(h, id, &p, err);
    if (st != FERRY_OK)
        return st;
    pl->preds[pl->n_preds++] = p;
    if (strcmp(p->model, model) != 0)
        return ferry_error_set(err, FERRY_NOT_FOUND, "no prediction of model '%s' with id '%s'",
                               model, id);
    return feedback_item_labels(pl, p, item, i, err);
}

/* ------------------------------------------------------------------------------------------ */
/* Applying labels                                                                              */
/* ------------------------------------------------------------------------------------------ */

/* A slot for a new window: the next free one, else one of a version no longer loaded (its window
 * freed); NULL when every slot holds a loaded version's. Caller holds the lock. */
static window **free_window_slot(feedback_hub *h)
{
    if (h->n_windows < WINDOWS_MAX)
        return &h->windows[h->n_windows];
    for (size_t i = 0; i < h->n_windows; i++)
        if (!window_loaded(h, h->windows[i])) {
            window_free(h->windows[i]);
            h->windows[i] = NULL;
            return &h->windows[i];
        }
    return NULL;
}

static window *window_create(feedback_hub *h, const char *model, const char *version,
                             const feedback_config *cfg, size_t cols)
{
    window *w = calloc(1, sizeof *w);
    if (w == NULL || (w->rows = calloc(cfg->window, sizeof *w->rows)) == NULL) {
        free(w);
        return NULL;
    }
    window **slot = free_window_slot(h);
    if (slot == NULL) {
        window_free(w);
        return NULL;
    }
    snprintf(w->model, sizeof w->model, "%s", model);
    snprintf(w->version, sizeof w->version, "%s", version);
    w->cfg = *cfg;
    w->cols = cols;
    if (slot == &h->windows[h->n_windows])
        h->n_windows++;
    *slot = w;
    return w;
}

static window *window_for(feedback_hub *h, const recent *p)
{
    window *w = find_window(h, p->model, p->version);
    return w != NULL ? w : window_create(h, p->model, p->version, &p->cfg, p->cols);
}

/* A repeated label replaces the first and makes the row the newest, as the store's
 * INSERT OR REPLACE does, so that a window rebuilt from the store holds the same rows. */
static void window_relabel(window *w, size_t i, double label)
{
    size_t cap = w->cfg.window, newest = (w->next + cap - 1) % cap;
    labelled moved = w->rows[i];
    for (size_t k = i; k != newest; k = (k + 1) % cap)
        w->rows[k] = w->rows[(k + 1) % cap];
    moved.label = label;
    w->rows[newest] = moved;
}

static void window_put(window *w, const pending_label *l)
{
    const recent *p = l->pred;
    for (size_t i = 0; i < w->n; i++)
        if (w->rows[i].row == l->row && strcmp(w->rows[i].id, p->id) == 0) {
            window_relabel(w, i, l->value);
            return;
        }
    if (p->cols != w->cols)
        return; /* a prediction that does not fit this version's output is not scored */
    double *scores = malloc(w->cols * sizeof *scores + 1);
    if (scores == NULL)
        return;
    memcpy(scores, p->scores + (size_t)l->row * w->cols, w->cols * sizeof *scores);
    labelled *slot = &w->rows[w->next];
    if (w->n < w->cfg.window)
        w->n++;
    else
        free(slot->scores);
    *slot = (labelled){.row = l->row, .label = l->value, .scores = scores};
    snprintf(slot->id, sizeof slot->id, "%s", p->id);
    w->next = (w->next + 1) % w->cfg.window;
}

static state_record *label_record(const pending_label *l)
{
    char *label = json_dumps(l->json, JSON_ENCODE_ANY);
    state_record *rec = label != NULL
                            ? state_record_new(STATE_RECORD_LABEL, l->pred->id, l->pred->model,
                                               l->pred->version, label, 0, 0)
                            : NULL;
    free(label);
    if (rec != NULL) {
        rec->ts_ms = now_ms();
        rec->row = l->row;
    }
    return rec;
}

static void apply(feedback_hub *h, const pending *pl)
{
    pthread_mutex_lock(&h->lock);
    for (size_t i = 0; i < pl->n_labels; i++) {
        const pending_label *l = &pl->labels[i];
        window *w = l->pred->cfg.task != FEEDBACK_TASK_NONE ? window_for(h, l->pred) : NULL;
        if (w != NULL)
            window_put(w, l);
    }
    pthread_mutex_unlock(&h->lock);
    for (size_t i = 0; i < pl->n_labels; i++)
        state_store_enqueue(h->store, label_record(&pl->labels[i]));
}

/* ------------------------------------------------------------------------------------------ */
/* Rebuilding the windows at start                                                              */
/* ------------------------------------------------------------------------------------------ */

typedef struct restoring {
    feedback_hub *h;
    const char *model, *version;
    feedback_config cfg;
    size_t restored;
} restoring;

/* One stored label put in its version's window as feedback_hub_post would have. Caller holds the
 * hub's lock. */
static void restore_row(void *ctx, const state_label_row *row)
{
    restoring *r = ctx;
    recent *p = recent_from_stored(row->id, r->model, r->version, row->rows, &row->outputs);
    json_t *label = json_loads(row->label, JSON_DECODE_ANY, NULL);
    double v;
    if (p != NULL && label != NULL && row->row >= 0 && row->row < p->rows) {
        p->cfg = r->cfg;
        if (feedback_label_value(p, label, &v)) {
            pending_label l = {.pred = p, .row = row->row, .value = v, .json = label};
            window *w = window_for(r->h, p);
            if (w != NULL) {
                window_put(w, &l);
                r->restored++;
            }
        }
    }
    json_decref(label);
    free(p);
}

static void restore_locked(void *ctx, const state_label_row *row)
{
    restoring *r = ctx;
    pthread_mutex_lock(&r->h->lock);
    restore_row(ctx, row);
    pthread_mutex_unlock(&r->h->lock);
}

ferry_status feedback_hub_restore(feedback_hub *h, const char *model, const char *version,
                                  const feedback_config *cfg, size_t *restored, ferry_error *err)
{
    *restored = 0;
    if (h->store == NULL || cfg->task == FEEDBACK_TASK_NONE)
        return FERRY_OK;
    restoring r = {.h = h, .model = model, .version = version, .cfg = *cfg};
    pthread_mutex_lock(&h->lock);
    bool known = find_window(h, model, version) != NULL;
    pthread_mutex_unlock(&h->lock);
    if (known)
        return FERRY_OK;
    /* Read first (SQLite on its own lock), then applied under the hub's lock row by row. */
    ferry_status st =
        state_store_latest_labels(h->store, model, version, cfg->window, restore_locked, &r, err);
    *restored = r.restored;
    return st;
}

ferry_status feedback_hub_post(feedback_hub *h, const char *model, const char *body, size_t len,
                               size_t *labelled_rows, ferry_error *err)
{
    *labelled_rows = 0;
    json_error_t jerr;
    json_t *doc = json_loadb(body, len, 0, &jerr);
    if (doc == NULL)
        return ferry_error_set(err, FERRY_INVALID_ARG, "feedback: malformed JSON at line %d: %s",
                               jerr.line, jerr.text);
    size_t n = json_is_array(doc) ? json_array_size(doc) : 1;
    pending pl = {.preds = calloc(n + 1, sizeof *pl.preds)};
    ferry_status st = FERRY_OK;
    if (pl.preds == NULL)
        st = ferry_error_set(err, FERRY_NO_MEMORY, "feedback: out of memory");
    else if (n == 0 || n > FEEDBACK_BATCH_MAX)
        st = ferry_error_set(err, FERRY_INVALID_ARG, "feedback: expected 1 to %d items, got %zu",
                             FEEDBACK_BATCH_MAX, n);
    for (size_t i = 0; st == FERRY_OK && i < n; i++)
        st = parse_item(h, model, &pl, json_is_array(doc) ? json_array_get(doc, i) : doc, i, err);
    if (st == FERRY_OK) {
        apply(h, &pl);
        *labelled_rows = pl.n_labels;
    }
    for (size_t i = 0; i < pl.n_preds; i++)
        free(pl.preds[i]);
    free(pl.preds);
    free(pl.labels);
    json_decref(doc);
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* Reading the windows                                                                          */
/* ------------------------------------------------------------------------------------------ */

static bool window_metrics(const window *w, perf_result *r)
{
    double *labels = malloc((w->n + 1) * sizeof *labels);
    double *scores = malloc((w->n * w->cols + 1) * sizeof *scores);
    bool ok = labels != NULL && scores != NULL;
    /* Oldest first, so a window rebuilt from the store sums in the same order to the same bits. */
    size_t oldest = w->n < w->cfg.window ? 0 : w->next;
    for (size_t i = 0; ok && i < w->n; i++) {
        const labelled *l = &w->rows[(oldest + i) % w->cfg.window];
        labels[i] = l->label;
        memcpy(scores + i * w->cols, l->scores, w->cols * sizeof *scores);
    }
    ok = ok && perf_compute(w->cfg.task, w->cfg.positive_class, w->n, labels, w->cols, scores, r);
    free(labels);
    free(scores);
    return ok;
}

static const char *const metric_names[] = {"accuracy", "precision", "recall", "f1", "roc_auc",
                                           "log_loss", "mae",       "rmse",   "r2"};

static double metric_value(const perf_result *r, size_t i)
{
    const double v[] = {r->accuracy, r->precision, r->recall, r->f1, r->roc_auc,
                        r->log_loss, r->mae,       r->rmse,   r->r2};
    return v[i];
}

#define N_METRICS (sizeof metric_names / sizeof metric_names[0])

static ferry_status append_version(buffer *out, const window *w, bool first)
{
    perf_result r;
    if (!window_metrics(w, &r))
        return FERRY_NO_MEMORY;
    ferry_status st = buffer_printf(out,
                                    "%s{\"version\":\"%s\",\"task\":\"%s\",\"window\":%u,"
                                    "\"rows\":%zu,\"metrics\":{",
                                    first ? "" : ",", w->version, feedback_task_name(w->cfg.task),
                                    w->cfg.window, w->n);
    bool any = false;
    for (size_t i = 0; st == FERRY_OK && i < N_METRICS; i++) {
        double v = metric_value(&r, i);
        bool regression = i >= 6;
        if ((w->cfg.task == FEEDBACK_TASK_REGRESSION) != regression)
            continue;
        if (isnan(v))
            st = buffer_printf(out, "%s\"%s\":null", any ? "," : "", metric_names[i]);
        else
            st = buffer_printf(out, "%s\"%s\":%.17g", any ? "," : "", metric_names[i], v);
        any = true;
    }
    return st == FERRY_OK ? buffer_append_str(out, "}}") : st;
}

ferry_status feedback_hub_performance(feedback_hub *h, const char *model, const char *version,
                                      buffer *out)
{
    ferry_status st = buffer_printf(out, "{\"model_name\":\"%s\",\"versions\":[", model);
    pthread_mutex_lock(&h->lock);
    bool first = true;
    for (size_t i = 0; st == FERRY_OK && i < h->n_windows; i++) {
        const window *w = h->windows[i];
        if (strcmp(w->model, model) != 0 || (version != NULL && strcmp(w->version, version) != 0) ||
            !window_loaded(h, w))
            continue;
        st = append_version(out, w, first);
        first = false;
    }
    pthread_mutex_unlock(&h->lock);
    return st == FERRY_OK ? buffer_append_str(out, "]}") : st;
}

static const char *const metric_help[] = {
    "Accuracy over the latest feedback_window labelled rows (sklearn accuracy_score).",
    "Precision over the labelled window (binary: the positive class; multiclass: macro).",
    "Recall over the labelled window (binary: the positive class; multiclass: macro).",
    "F1 over the labelled window (binary: the positive class; multiclass: macro).",
    "ROC AUC over the labelled window (multiclass: one-vs-rest macro).",
    "Log loss over the labelled window (probabilities clipped to [1e-15, 1-1e-15]).",
    "Mean absolute error over the labelled window.",
    "Root mean squared error over the labelled window.",
    "R2 (coefficient of determination) over the labelled window.",
};
_Static_assert(sizeof metric_help / sizeof metric_help[0] == N_METRICS, "one help per metric");

/* The windows shown (loaded versions') and their metrics, into shown and results (WINDOWS_MAX
 * each); returns how many. Caller holds the lock. */
static size_t shown_windows(feedback_hub *h, const window **shown, perf_result *results)
{
    size_t n = 0;
    for (size_t i = 0; i < h->n_windows; i++)
        if (window_loaded(h, h->windows[i]) && window_metrics(h->windows[i], &results[n]))
            shown[n++] = h->windows[i];
    return n;
}

/* One gauge family: HELP, TYPE and a line per window with a defined value (none: left out). */
static ferry_status render_family(buffer *out, size_t metric, const window **w,
                                  const perf_result *r, size_t n)
{
    bool any = false;
    for (size_t i = 0; i < n; i++)
        any |= !isnan(metric_value(&r[i], metric));
    if (!any)
        return FERRY_OK;
    ferry_status st =
        buffer_printf(out, "# HELP ferry_model_%s %s\n# TYPE ferry_model_%s gauge\n",
                      metric_names[metric], metric_help[metric], metric_names[metric]);
    for (size_t i = 0; st == FERRY_OK && i < n; i++) {
        double v = metric_value(&r[i], metric);
        if (!isnan(v))
            st = buffer_printf(out, "ferry_model_%s{model=\"%s\",version=\"%s\"} %.17g\n",
                               metric_names[metric], w[i]->model, w[i]->version, v);
    }
    return st;
}

static ferry_status render_windows(buffer *out, const window **w, const perf_result *r, size_t n)
{
    ferry_status st = FERRY_OK;
    if (n > 0)
        st =
            buffer_append_str(out, "# HELP ferry_model_labelled_rows Labelled rows in the live "
                                   "performance window.\n# TYPE ferry_model_labelled_rows gauge\n");
    for (size_t i = 0; st == FERRY_OK && i < n; i++)
        st = buffer_printf(out, "ferry_model_labelled_rows{model=\"%s\",version=\"%s\"} %zu\n",
                           w[i]->model, w[i]->version, w[i]->n);
    for (size_t k = 0; st == FERRY_OK && k < N_METRICS; k++)
        st = render_family(out, k, w, r, n);
    return st;
}

ferry_status feedback_hub_render_metrics(feedback_hub *h, buffer *out)
{
    ferry_status st = buffer_printf(
        out,
        "# HELP ferry_payload_log_written_total Prediction and label records written to the "
        "state store.\n# TYPE ferry_payload_log_written_total counter\n"
        "ferry_payload_log_written_total %llu\n"
        "# HELP ferry_payload_log_dropped_total Records dropped because the state store's queue "
        "was full.\n# TYPE ferry_payload_log_dropped_total counter\n"
        "ferry_payload_log_dropped_total %llu\n",
        (unsigned long long)state_store_written(h->store),
        (unsigned long long)state_store_dropped(h->store));
    const window **shown = malloc((WINDOWS_MAX + 1) * sizeof *shown);
    perf_result *results = malloc((WINDOWS_MAX + 1) * sizeof *results);
    if (st == FERRY_OK && (shown == NULL || results == NULL))
        st = FERRY_NO_MEMORY;
    if (st == FERRY_OK) {
        pthread_mutex_lock(&h->lock);
        size_t n = shown_windows(h, shown, results);
        st = render_windows(out, shown, results, n);
        pthread_mutex_unlock(&h->lock);
    }
    free(shown);
    free(results);
    return st;
}
