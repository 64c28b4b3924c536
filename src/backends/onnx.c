/* The ONNX backend (backend.h) over ferry's engine: the model's graph inputs and outputs as its
 * metadata (-1 for the dynamic batch), and a pool of sessions so that concurrent requests each run
 * on their own arena and plan cache. A session is made only when every existing one is busy, so
 * after warm-up an inference allocates nothing but its outputs. */
#include "backends/onnx.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/model.h"
#include "onnx/session.h"

typedef struct pooled_session {
    onnx_session *session;
    struct pooled_session *next;
} pooled_session;

typedef struct onnx_backend_model {
    onnx_model *model;
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

/* Only intra_op_threads: 1 is known yet; anything else is refused so that typos do not pass. */
static ferry_status check_options(const ferry_backend_config *cfg, ferry_error *err)
{
    for (size_t i = 0; i < cfg->n_options; i++) {
        const ferry_option *o = &cfg->options[i];
        if (strcmp(o->key, "intra_op_threads") == 0 && strcmp(o->value, "1") == 0)
            continue;
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "model '%s': unknown onnx option '%s: %s' (known: "
                               "intra_op_threads: 1)",
                               cfg->model_name, o->key, o->value);
    }
    return FERRY_OK;
}

/* Takes an idle session, or makes one (only while the pool warms up); NULL when out of memory. */
static pooled_session *session_borrow(onnx_backend_model *m, ferry_error *err)
{
    pthread_mutex_lock(&m->lock);
    pooled_session *p = m->idle;
    if (p != NULL)
        m->idle = p->next;
    pthread_mutex_unlock(&m->lock);
    if (p != NULL)
        return p;
    p = calloc(1, sizeof *p);
    if (p == NULL || onnx_session_create(m->model, &p->session, err) != FERRY_OK) {
        free(p);
        ferry_error_set(err, FERRY_NO_MEMORY, "out of memory for an ONNX session");
        return NULL;
    }
    return p;
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
    ferry_status st = check_options(cfg, err);
    if (st != FERRY_OK)
        return st;
    onnx_backend_model *m = calloc(1, sizeof *m);
    if (m == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "model '%s': out of memory", cfg->model_name);
    if (pthread_mutex_init(&m->lock, NULL) != 0) {
        free(m);
        return ferry_error_set(err, FERRY_INTERNAL, "model '%s': cannot create a mutex",
                               cfg->model_name);
    }
    st = onnx_model_load_file(path, &m->model, err);
    pooled_session *first = st == FERRY_OK ? session_borrow(m, err) : NULL;
    if (st == FERRY_OK && first == NULL)
        st = FERRY_NO_MEMORY;
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
    pooled_session *p = session_borrow(m, err);
    if (p == NULL)
        return FERRY_NO_MEMORY;
    ferry_status st = onnx_session_run(p->session, inputs, n_inputs, outputs, alloc, err);
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
