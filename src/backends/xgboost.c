/* The XGBoost backend (backend.h): one FP32 input [N, F] (FP64 converted by the caller), one output
 * as XGBoost's predict gives it ([N] or [N, C]). libxgboost loads the artifact; by default ferry's
 * own tree engine (src/trees/, built and verified in xgboost_trees.c) serves the predictions, and
 * libxgboost serves them when the model asks for it (`tree_engine: xgboost`) or when ferry's
 * engine cannot serve the model or disagrees with libxgboost at load. libxgboost predicts in place
 * from a dense array with one thread per call, so concurrent requests scale across cores and no
 * OpenMP worker threads are started. A LightGBM text model (model.txt) is served by the same
 * backend through ferry's engine only (src/trees/lightgbm_text.c): there is no reference library
 * to fall back on or to verify against. With `intra_op_threads: N` ferry's engine splits the rows
 * of a large call over N threads (tree_split.h); libxgboost stays on one. */
#include "backends/xgboost.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xgboost/c_api.h>

#include "backends/threads_option.h"
#include "backends/tree_split.h"
#include "backends/xgboost_trees.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "trees/lightgbm_text.h"
#include "trees/predict.h"

/* A proxy DMatrix for in-place prediction. Handing libxgboost our own proxy spares it building a
 * new one per call (whose constructor reads the cgroup CPU quota files: two file opens per
 * prediction, measured as 31% of the server's CPU). A proxy holds one call's data, so concurrent
 * calls each borrow their own from a small pool. */
typedef struct xgb_proxy {
    DMatrixHandle handle;
    struct xgb_proxy *next;
} xgb_proxy;

typedef struct xgb_model {
    BoosterHandle booster;
    pthread_mutex_t proxy_lock;
    xgb_proxy *proxies; /* idle proxies */
    char *input_name;
    char *output_name;
    char platform[32];
    ferry_tensor_info input;
    ferry_tensor_info output;
    size_t n_features;
    char **feature_names; /* n_features entries, or NULL when the model has none */
    const char *config;   /* predict config JSON: value or margin */
    bool margin;
    bool from_dmatrix;            /* the booster has no in-place prediction (gblinear) */
    pthread_mutex_t dmatrix_lock; /* one DMatrix prediction at a time */
    bool want_trees;              /* tree_engine: ferry */
    tree_ensemble *trees;         /* ferry's engine when it serves, else NULL (libxgboost serves) */
    int threads;                  /* intra_op_threads: ferry's engine splits large calls */
    tree_split *split;            /* with threads > 1 and ferry's engine serving, else NULL */
} xgb_model;

static const char *const xgb_artifacts[] = {"model.json", "model.ubj", "model.txt", NULL};

static const char predict_value_config[] =
    "{\"type\":0,\"training\":false,\"iteration_begin\":0,\"iteration_end\":0,"
    "\"strict_shape\":false,\"missing\":NaN,\"cache_id\":0}";
static const char predict_margin_config[] =
    "{\"type\":1,\"training\":false,\"iteration_begin\":0,\"iteration_end\":0,"
    "\"strict_shape\":false,\"missing\":NaN,\"cache_id\":0}";

/* libxgboost's last error without the stack trace it appends. */
static const char *xgb_last_error(char *buf, size_t len)
{
    const char *e = XGBGetLastError();
    const char *trace = strstr(e, "\nStack trace");
    snprintf(buf, len, "%.*s", trace ? (int)(trace - e) : (int)strlen(e), e);
    return buf;
}

static ferry_status xgb_fail(ferry_error *err, const ferry_backend_config *cfg, const char *what)
{
    char why[FERRY_ERROR_MESSAGE_MAX];
    return ferry_error_set(err, FERRY_INVALID_ARG, "model '%s' version %s: %s: %s", cfg->model_name,
                           cfg->version, what, xgb_last_error(why, sizeof why));
}

static void xgb_unload(void *handle)
{
    xgb_model *m = handle;
    if (m == NULL)
        return;
    while (m->proxies != NULL) {
        xgb_proxy *p = m->proxies;
        m->proxies = p->next;
        XGDMatrixFree(p->handle);
        free(p);
    }
    pthread_mutex_destroy(&m->proxy_lock);
    pthread_mutex_destroy(&m->dmatrix_lock);
    tree_split_destroy(m->split);
    tree_ensemble_destroy(m->trees);
    if (m->booster != NULL)
        XGBoosterFree(m->booster);
    if (m->feature_names != NULL)
        for (size_t i = 0; i < m->n_features; i++)
            free(m->feature_names[i]);
    free(m->feature_names);
    free(m->input_name);
    free(m->output_name);
    free(m);
}

/* Applies model.yaml options; unknown keys are refused so that typos do not pass silently. */
static ferry_status apply_options(xgb_model *m, const ferry_backend_config *cfg, ferry_error *err)
{
    const char *input = "input", *output = "predict";
    m->config = predict_value_config;
    m->want_trees = true;
    m->threads = 1;
    for (size_t i = 0; i < cfg->n_options; i++) {
        const ferry_option *o = &cfg->options[i];
        bool value = strcmp(o->value, "value") == 0, margin = strcmp(o->value, "margin") == 0;
        bool ferry = strcmp(o->value, "ferry") == 0, xgboost = strcmp(o->value, "xgboost") == 0;
        if (strcmp(o->key, "input_name") == 0) {
            input = o->value;
        } else if (strcmp(o->key, "output_name") == 0) {
            output = o->value;
        } else if (strcmp(o->key, "predict") == 0 && (value || margin)) {
            m->margin = margin;
            m->config = margin ? predict_margin_config : predict_value_config;
        } else if (strcmp(o->key, "tree_engine") == 0 && (ferry || xgboost)) {
            m->want_trees = ferry;
        } else if (strcmp(o->key, "intra_op_threads") == 0) {
            ferry_status st =
                threads_option_parse(cfg->model_name, "xgboost", o->value, &m->threads, err);
            if (st != FERRY_OK)
                return st;
        } else {
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "model '%s': unknown xgboost option '%s: %s' (known: "
                                   "input_name, output_name, predict: value|margin, "
                                   "tree_engine: ferry|xgboost, intra_op_threads)",
                                   cfg->model_name, o->key, o->value);
        }
    }
    m->input_name = strdup(input);
    m->output_name = strdup(output);
    if (m->input_name == NULL || m->output_name == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "model '%s': out of memory", cfg->model_name);
    return FERRY_OK;
}

static ferry_status copy_feature_names(xgb_model *m, const ferry_backend_config *cfg,
                                       ferry_error *err)
{
    bst_ulong len = 0;
    const char **names = NULL;
    if (XGBoosterGetStrFeatureInfo(m->booster, "feature_name", &len, &names) != 0)
        return xgb_fail(err, cfg, "reading feature names");
    if (len == 0)
        return FERRY_OK;
    if (len != m->n_features)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "model '%s' version %s: %" PRIu64 " feature names for %zu features",
                               cfg->model_name, cfg->version, (uint64_t)len, m->n_features);
    m->feature_names = calloc(len, sizeof *m->feature_names);
    if (m->feature_names == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "model '%s': out of memory", cfg->model_name);
    for (bst_ulong i = 0; i < len; i++) {
        m->feature_names[i] = strdup(names[i]);
        if (m->feature_names[i] == NULL)
            return ferry_error_set(err, FERRY_NO_MEMORY, "model '%s': out of memory",
                                   cfg->model_name);
    }
    return FERRY_OK;
}

/* Takes an idle proxy, or makes one (only while the pool warms up); NULL when that fails. */
static xgb_proxy *proxy_borrow(xgb_model *m)
{
    pthread_mutex_lock(&m->proxy_lock);
    xgb_proxy *p = m->proxies;
    if (p != NULL)
        m->proxies = p->next;
    pthread_mutex_unlock(&m->proxy_lock);
    if (p != NULL)
        return p;
    p = calloc(1, sizeof *p);
    if (p != NULL && XGProxyDMatrixCreate(&p->handle) != 0) {
        free(p);
        p = NULL;
    }
    return p;
}

static void proxy_return(xgb_model *m, xgb_proxy *p)
{
    pthread_mutex_lock(&m->proxy_lock);
    p->next = m->proxies;
    m->proxies = p;
    pthread_mutex_unlock(&m->proxy_lock);
}

/* The shape of one libxgboost prediction. */
typedef struct xgb_shape {
    bst_ulong dim;
    bst_ulong shape[3];
    size_t values;
} xgb_shape;

/* Records the shape of a result; false when libxgboost gives more dimensions than ferry knows. */
static bool record_shape(const bst_ulong *shape, bst_ulong dim, xgb_shape *s)
{
    if (dim < 1 || dim > 3)
        return false;
    s->dim = dim;
    s->values = 1;
    for (bst_ulong d = 0; d < dim; d++) {
        s->shape[d] = shape[d];
        s->values *= (size_t)shape[d];
    }
    return true;
}

/* Predicts in place from the dense rows, on a proxy DMatrix from the pool. */
static int predict_in_place(xgb_model *m, const float *x, int64_t rows, float *out, size_t capacity,
                            xgb_shape *s)
{
    char array[160];
    snprintf(array, sizeof array,
             "{\"data\":[%" PRIuPTR ",true],\"shape\":[%" PRId64
             ",%zu],\"typestr\":\"<f4\",\"version\":3}",
             (uintptr_t)x, rows, m->n_features);
    const bst_ulong *shape = NULL;
    bst_ulong dim = 0;
    const float *result = NULL;
    xgb_proxy *proxy = proxy_borrow(m);
    if (proxy == NULL)
        return -1;
    int rc = XGBoosterPredictFromDense(m->booster, array, m->config, proxy->handle, &shape, &dim,
                                       &result);
    if (rc == 0 && !record_shape(shape, dim, s))
        rc = -2;
    if (rc == 0 && out != NULL && s->values == capacity)
        memcpy(out, result, capacity * sizeof *out);
    proxy_return(m, proxy);
    return rc;
}

/* Predicts through a DMatrix made for the call (boosters without in-place prediction), one call at
 * a time. */
static int predict_from_dmatrix(xgb_model *m, const float *x, int64_t rows, float *out,
                                size_t capacity, xgb_shape *s)
{
    pthread_mutex_lock(&m->dmatrix_lock);
    DMatrixHandle d = NULL;
    const bst_ulong *shape = NULL;
    bst_ulong dim = 0;
    const float *result = NULL;
    int rc = XGDMatrixCreateFromMat_omp(x, (bst_ulong)rows, (bst_ulong)m->n_features, NAN, &d, 1);
    if (rc == 0)
        rc = XGBoosterPredictFromDMatrix(m->booster, d, m->config, &shape, &dim, &result);
    if (rc == 0 && !record_shape(shape, dim, s))
        rc = -2;
    if (rc == 0 && out != NULL && s->values == capacity)
        memcpy(out, result, capacity * sizeof *out);
    if (d != NULL)
        XGDMatrixFree(d);
    pthread_mutex_unlock(&m->dmatrix_lock);
    return rc;
}

/* Predicts `rows` rows with libxgboost, copying the result to out when it holds exactly `capacity`
 * values (out may be NULL to learn the shape only). Returns 0, libxgboost's error (-1) or -2 for a
 * shape ferry does not handle. */
static int xgb_predict(xgb_model *m, const float *x, int64_t rows, float *out, size_t capacity,
                       xgb_shape *s)
{
    if (m->from_dmatrix)
        return predict_from_dmatrix(m, x, rows, out, capacity, s);
    return predict_in_place(m, x, rows, out, capacity, s);
}

/* Runs one row of zeros to learn the output's trailing dimensions (and to warm the booster).
 * A booster without in-place prediction (gblinear) switches to DMatrix prediction. */
static ferry_status probe_output(xgb_model *m, const ferry_backend_config *cfg, ferry_error *err)
{
    float *row = calloc(m->n_features ? m->n_features : 1, sizeof *row);
    if (row == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "model '%s': out of memory", cfg->model_name);
    xgb_shape s;
    int rc = xgb_predict(m, row, 1, NULL, 0, &s);
    if (rc == -1 && strstr(XGBGetLastError(), "Inplace predict is not supported") != NULL) {
        m->from_dmatrix = true;
        rc = xgb_predict(m, row, 1, NULL, 0, &s);
    }
    free(row);
    if (rc == -1)
        return xgb_fail(err, cfg, "test prediction");
    if (rc != 0 || s.shape[0] != 1)
        return ferry_error_set(err, FERRY_UNSUPPORTED,
                               "model '%s' version %s: unsupported prediction shape (%" PRIu64
                               " dimensions)",
                               cfg->model_name, cfg->version, (uint64_t)s.dim);
    m->output.ndim = (int)s.dim;
    m->output.shape[0] = -1;
    for (bst_ulong d = 1; d < s.dim; d++)
        m->output.shape[d] = (int64_t)s.shape[d];
    return FERRY_OK;
}

static ferry_status load_booster(xgb_model *m, const ferry_backend_config *cfg, const char *path,
                                 ferry_error *err)
{
    char why[FERRY_ERROR_MESSAGE_MAX];
    if (XGBoosterCreate(NULL, 0, &m->booster) != 0)
        return xgb_fail(err, cfg, "creating a booster");
    if (XGBoosterLoadModel(m->booster, path) != 0)
        return ferry_error_set(err, FERRY_INVALID_ARG, "model '%s' version %s: cannot load %s: %s",
                               cfg->model_name, cfg->version, path,
                               xgb_last_error(why, sizeof why));
    if (XGBoosterSetParam(m->booster, "nthread", "1") != 0)
        return xgb_fail(err, cfg, "setting nthread");
    bst_ulong n_features = 0;
    if (XGBoosterGetNumFeature(m->booster, &n_features) != 0)
        return xgb_fail(err, cfg, "reading the feature count");
    if (n_features == 0)
        return ferry_error_set(err, FERRY_INVALID_ARG, "model '%s' version %s: %s has no features",
                               cfg->model_name, cfg->version, path);
    m->n_features = (size_t)n_features;
    return FERRY_OK;
}

/* Builds ferry's tree engine and verifies it; when it cannot serve, logs why and leaves
 * libxgboost serving. Either way the log says which engine serves. */
static void start_tree_engine(xgb_model *m, const ferry_backend_config *cfg)
{
    log_fields where = {.model = cfg->model_name, .version = cfg->version};
    xgb_trees_predict predict = {.config = m->config, .margin = m->margin};
    xgboost_json_info info;
    ferry_error err;
    if (xgb_trees_build(m->booster, &predict, &m->trees, &info, &err) != FERRY_OK) {
        log_warn(&where, "%s; serving through libxgboost", err.message);
        return;
    }
    log_info(&where,
             "served by ferry's tree engine (%s, %s, %zu trees of depth up to %u), verified "
             "against libxgboost on %d sample rows",
             info.booster, info.objective, m->trees->n_trees, m->trees->max_depth,
             XGB_TREES_VERIFY_ROWS);
}

/* True for a LightGBM text model (model.txt). */
static bool is_lightgbm(const char *path)
{
    const char *slash = strrchr(path, '/');
    return strcmp(slash ? slash + 1 : path, "model.txt") == 0;
}

/* Loads a LightGBM text model into ferry's engine, the only engine that serves it. */
static ferry_status load_lightgbm(xgb_model *m, const ferry_backend_config *cfg, const char *path,
                                  ferry_error *err)
{
    log_fields where = {.model = cfg->model_name, .version = cfg->version};
    if (!m->want_trees)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "model '%s' version %s: a LightGBM model.txt is served by ferry's "
                               "tree engine only (tree_engine: xgboost does not apply)",
                               cfg->model_name, cfg->version);
    char *text = NULL;
    size_t len = 0;
    lightgbm_info info;
    ferry_error e2 = {0};
    ferry_status st = fs_read_file(path, &text, &len, err);
    if (st == FERRY_OK && (st = lightgbm_text_load(text, len, path, &m->trees, &info, &e2)) != 0)
        ferry_error_set(err, st, "model '%s' version %s: %s", cfg->model_name, cfg->version,
                        e2.message);
    free(text);
    if (st != FERRY_OK)
        return st;
    m->n_features = info.n_features;
    size_t width = tree_ensemble_output_width(m->trees, m->margin);
    m->output.ndim = width > 1 ? 2 : 1;
    m->output.shape[0] = -1;
    m->output.shape[1] = (int64_t)width;
    log_info(&where, "served by ferry's tree engine (LightGBM, %s, %zu trees of depth up to %u)",
             info.objective, m->trees->n_trees, m->trees->max_depth);
    return FERRY_OK;
}

static ferry_status xgb_load(const ferry_backend_config *cfg, const char *path, void **out,
                             ferry_error *err)
{
    xgb_model *m = calloc(1, sizeof *m);
    if (m == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "model '%s': out of memory", cfg->model_name);
    if (pthread_mutex_init(&m->proxy_lock, NULL) != 0) {
        free(m);
        return ferry_error_set(err, FERRY_INTERNAL, "model '%s': cannot create a mutex",
                               cfg->model_name);
    }
    if (pthread_mutex_init(&m->dmatrix_lock, NULL) != 0) {
        pthread_mutex_destroy(&m->proxy_lock);
        free(m);
        return ferry_error_set(err, FERRY_INTERNAL, "model '%s': cannot create a mutex",
                               cfg->model_name);
    }
    bool lightgbm = is_lightgbm(path);
    ferry_status st = apply_options(m, cfg, err);
    if (st == FERRY_OK && lightgbm)
        st = load_lightgbm(m, cfg, path, err);
    if (st == FERRY_OK && !lightgbm)
        st = load_booster(m, cfg, path, err);
    if (st == FERRY_OK && !lightgbm)
        st = copy_feature_names(m, cfg, err);
    if (st == FERRY_OK && !lightgbm)
        st = probe_output(m, cfg, err);
    if (st == FERRY_OK && m->want_trees && !lightgbm)
        start_tree_engine(m, cfg);
    if (st == FERRY_OK && m->trees != NULL && m->threads > 1)
        st = tree_split_create(m->threads, &m->split, err);
    if (st != FERRY_OK) {
        xgb_unload(m);
        return st;
    }
    const char *ext = strrchr(path, '.');
    snprintf(m->platform, sizeof m->platform, "%s",
             lightgbm                                  ? "lightgbm_text"
             : ext != NULL && strcmp(ext, ".ubj") == 0 ? "xgboost_ubj"
                                                       : "xgboost_json");
    m->input = (ferry_tensor_info){.name = m->input_name,
                                   .dtype = FERRY_DTYPE_FP32,
                                   .ndim = 2,
                                   .shape = {-1, (int64_t)m->n_features},
                                   .accepted = 1u << FERRY_DTYPE_FP64};
    m->output.name = m->output_name;
    m->output.dtype = FERRY_DTYPE_FP32;
    *out = m;
    return FERRY_OK;
}

static ferry_status xgb_describe(void *handle, ferry_model_io *io, ferry_error *err)
{
    (void)err;
    xgb_model *m = handle;
    *io = (ferry_model_io){.platform = m->platform,
                           .n_inputs = 1,
                           .inputs = &m->input,
                           .n_outputs = 1,
                           .outputs = &m->output,
                           .n_features = m->feature_names ? m->n_features : 0,
                           .feature_names = (const char *const *)m->feature_names};
    return FERRY_OK;
}

static ferry_status xgb_infer(void *handle, const ferry_tensor *inputs, size_t n_inputs,
                              ferry_tensor *outputs, size_t n_outputs, const ferry_allocator *alloc,
                              ferry_error *err)
{
    xgb_model *m = handle;
    if (n_inputs != 1 || n_outputs != 1 || inputs[0].dtype != FERRY_DTYPE_FP32 ||
        inputs[0].ndim != 2)
        return ferry_error_set(err, FERRY_INTERNAL, "xgboost backend called with bad arguments");
    int64_t rows = inputs[0].shape[0];
    ferry_tensor *out = &outputs[0];
    *out =
        (ferry_tensor){.name = m->output_name, .dtype = FERRY_DTYPE_FP32, .ndim = m->output.ndim};
    out->shape[0] = rows;
    size_t per_row = 1;
    for (int d = 1; d < m->output.ndim; d++) {
        out->shape[d] = m->output.shape[d];
        per_row *= (size_t)m->output.shape[d];
    }
    out->nbytes = (size_t)rows * per_row * sizeof(float);
    out->data = alloc->alloc(alloc->ctx, out->nbytes ? out->nbytes : 1);
    if (out->data == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "output '%s': out of memory", m->output_name);
    if (rows == 0)
        return FERRY_OK;
    if (m->trees != NULL) {
        if (inputs[0].shape[1] != (int64_t)m->n_features)
            return ferry_error_set(err, FERRY_INTERNAL,
                                   "xgboost backend called with %" PRId64 " features for %zu",
                                   inputs[0].shape[1], m->n_features);
        tree_split_predict(m->split, m->trees, inputs[0].data, (size_t)rows, out->data, m->margin);
        return FERRY_OK;
    }
    xgb_shape s;
    size_t capacity = (size_t)rows * per_row;
    int rc = xgb_predict(m, inputs[0].data, rows, out->data, capacity, &s);
    if (rc != 0) {
        char why[FERRY_ERROR_MESSAGE_MAX];
        return ferry_error_set(err, FERRY_INTERNAL, "xgboost predict failed: %s",
                               rc == -2 ? "unexpected shape" : xgb_last_error(why, sizeof why));
    }
    if (s.values != capacity)
        return ferry_error_set(err, FERRY_INTERNAL,
                               "xgboost returned %zu values for %" PRId64 " rows", s.values, rows);
    return FERRY_OK;
}

const char *xgboost_backend_engine(const void *model)
{
    const xgb_model *m = model;
    return m->trees != NULL ? "ferry" : "xgboost";
}

const ferry_backend xgboost_backend = {
    .abi_version = FERRY_BACKEND_ABI_VERSION,
    .name = "xgboost",
    .artifacts = xgb_artifacts,
    .load = xgb_load,
    .describe = xgb_describe,
    .infer = xgb_infer,
    .unload = xgb_unload,
};
