/* The ONNX backend (backend.h) over ferry's engine: the model's graph inputs and outputs as its
 * metadata (-1 for the dynamic batch), and a pool of sessions so that concurrent requests each run
 * on their own arena and plan cache. A session is made only when every existing one is busy, so
 * after warm-up an inference allocates nothing but its outputs. With intra_op_threads: N each
 * session owns N - 1 worker threads (pool.h) that sleep between its inferences. */
#include "backends/onnx.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends/threads_option.h"
#include "onnx/exec.h"
#include "onnx/model.h"
#include "onnx/session.h"

typedef struct pooled_session {
    onnx_session *session;
    struct pooled_session *next;
} pooled_session;

typedef struct onnx_backend_model {
    onnx_model *model;
    int threads; /* intra_op_threads: each session's pool */
    pthread_mutex_t lock;
    pooled_session *idle;
} onnx_backend_model;

static const char *const onnx_artifacts[] = {"model.onnx", NULL};

static void onnx_backend_unload(void *handle)
{
    onnx_backend_model *m = handle;
    if (m == NULL)
        return;
    while (m->idle != NULL) {
        pooled_session *p = m->idle;
        m->idle = p->next;
        onnx_session_destroy(p->session);
        free(p);
    }
    pthread_mutex_destroy(&m->lock);
    onnx_model_destroy(m->model);
    free(m);
}

/* intra_op_threads (threads_option.h); any other key is refused naming it, so that typos do not
 * pass. */
static ferry_status parse_options(const ferry_backend_config *cfg, int *threads, ferry_error *err)
{
    *threads = 1;
    for (size_t i = 0; i < cfg->n_options; i++) {
        const ferry_option *o = &cfg->options[i];
        if (strcmp(o->key, "intra_op_threads") != 0)
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "model '%s': unknown onnx option '%s' (known: intra_op_threads)",
                                   cfg->model_name, o->key);
        ferry_status st = threads_option_parse(cfg->model_name, "onnx", o->value, threads, err);
        if (st != FERRY_OK)
            return st;
    }
    return FERRY_OK;
}

/* Takes an idle session into *out, or makes one (only while the pool warms up). Fails with
 * NO_MEMORY, or INTERNAL when its worker threads cannot start. */
static ferry_status session_borrow(onnx_backend_model *m, pooled_session **out, ferry_error *err)
{
    pthread_mutex_lock(&m->lock);
    pooled_session *p = m->idle;
    if (p != NULL)
        m->idle = p->next;
    pthread_mutex_unlock(&m->lock);
    if (p != NULL) {
        *out = p;
        return FERRY_OK;
    }
    p = calloc(1, sizeof *p);
    if (p == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory for an ONNX session");
    ferry_status st = onnx_session_create(m->model, &p->session, err);
    if (st == FERRY_OK && m->threads > 1)
        st = onnx_session_set_threads(p->session, m->threads, ONNX_EXEC_SPLIT_MIN, err);
    if (st != FERRY_OK) {
        onnx_session_destroy(p->session);
        free(p);
        return st;
    }
    *out = p;
    return FERRY_OK;
}

static void session_return(onnx_backend_model *m, pooled_session *p)
{
    pthread_mutex_lock(&m->lock);
    p->next = m->idle;
    m->idle = p;
    pthread_mutex_unlock(&m->lock);
}

static ferry_status onnx_backend_load(const ferry_backend_config *cfg, const char *path, void **out,
                                      ferry_error *err)
{
    int threads;
    ferry_status st = parse_options(cfg, &threads, err);
    if (st != FERRY_OK)
        return st;
    onnx_backend_model *m = calloc(1, sizeof *m);
    if (m == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "model '%s': out of memory", cfg->model_name);
    m->threads = threads;
    if (pthread_mutex_init(&m->lock, NULL) != 0) {
        free(m);
        return ferry_error_set(err, FERRY_INTERNAL, "model '%s': cannot create a mutex",
                               cfg->model_name);
    }
    st = onnx_model_load_file(path, &m->model, err);
    pooled_session *first = NULL;
    if (st == FERRY_OK)
        st = session_borrow(m, &first, err);
    if (st != FERRY_OK) {
        onnx_backend_unload(m);
        return st;
    }
    session_return(m, first);
    *out = m;
    return FERRY_OK;
}

static ferry_status onnx_backend_describe(void *handle, ferry_model_io *io, ferry_error *err)
{
    (void)err;
    const onnx_backend_model *m = handle;
    *io = (ferry_model_io){.platform = "onnx",
                           .n_inputs = m->model->n_inputs,
                           .inputs = m->model->inputs,
                           .n_outputs = m->model->n_outputs,
                           .outputs = m->model->outputs};
    return FERRY_OK;
}

static ferry_status onnx_backend_infer(void *handle, const ferry_tensor *inputs, size_t n_inputs,
                                       ferry_tensor *outputs, size_t n_outputs,
                                       const ferry_allocator *alloc, ferry_error *err)
{
    onnx_backend_model *m = handle;
    if (n_outputs != m->model->n_outputs)
        return ferry_error_set(err, FERRY_INTERNAL, "onnx backend called with %zu outputs",
                               n_outputs);
    pooled_session *p;
    ferry_status st = session_borrow(m, &p, err);
    if (st != FERRY_OK)
        return st;
    st = onnx_session_run(p->session, inputs, n_inputs, outputs, alloc, err);
    session_return(m, p);
    return st;
}

const ferry_backend onnx_backend = {
    .abi_version = FERRY_BACKEND_ABI_VERSION,
    .name = "onnx",
    .artifacts = onnx_artifacts,
    .load = onnx_backend_load,
    .describe = onnx_backend_describe,
    .infer = onnx_backend_infer,
    .unload = onnx_backend_unload,
};
