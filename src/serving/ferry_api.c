/* The public embedding API (include/ferry/ferry.h) over the serving layer: the same spec reading,
 * loading and inference path that the server uses. */
#include "ferry/ferry.h"

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "serving/inference.h"
#include "serving/model_version.h"
#include "serving/repository.h"

#define API_ARENA_MAX ((size_t)1 << 34)

struct ferry_model {
    model_version *mv;
};

const char *ferry_version(void)
{
    return FERRY_VERSION;
}

ferry_status ferry_model_open(const char *path, ferry_model **model, ferry_error *err)
{
    model_spec spec;
    ferry_status st = repository_read_path(path, NULL, &spec, err);
    if (st != FERRY_OK)
        return st;
    ferry_model *m = calloc(1, sizeof *m);
    if (m == NULL)
        st = ferry_error_set(err, FERRY_NO_MEMORY, "%s: out of memory", path);
    if (st == FERRY_OK)
        st = model_version_load(&spec, &m->mv, err);
    model_spec_clear(&spec);
    if (st != FERRY_OK) {
        free(m);
        return st;
    }
    *model = m;
    return FERRY_OK;
}

const ferry_model_io *ferry_model_describe(const ferry_model *model)
{
    return &model->mv->io;
}

/* Copies arena-backed outputs into owned tensors; on failure frees what it copied. */
static ferry_status copy_outputs(const ferry_tensor *from, ferry_tensor *to, size_t n,
                                 ferry_error *err)
{
    for (size_t i = 0; i < n; i++) {
        to[i] = from[i];
        to[i].owned = true;
        to[i].data = malloc(from[i].nbytes ? from[i].nbytes : 1);
        if (to[i].data == NULL) {
            for (size_t k = 0; k < i; k++)
                ferry_tensor_release(&to[k]);
            return ferry_error_set(err, FERRY_NO_MEMORY, "output '%s': out of memory",
                                   from[i].name);
        }
        memcpy(to[i].data, from[i].data, from[i].nbytes);
    }
    return FERRY_OK;
}

ferry_status ferry_model_infer(ferry_model *model, const ferry_tensor *inputs, size_t n_inputs,
                               ferry_tensor *outputs, size_t n_outputs, ferry_error *err)
{
    model_version *mv = model->mv;
    if (n_outputs != mv->io.n_outputs)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "model '%s' has %zu outputs; %zu output slots given", mv->name,
                               mv->io.n_outputs, n_outputs);
    arena scratch;
    arena_init(&scratch, API_ARENA_MAX);
    ferry_tensor *produced = arena_alloc(&scratch, n_outputs * sizeof *produced + 1);
    ferry_status st = produced != NULL
                          ? inference_run(mv, inputs, n_inputs, produced, &scratch, err)
                          : ferry_error_set(err, FERRY_NO_MEMORY, "out of memory");
    if (st == FERRY_OK)
        st = copy_outputs(produced, outputs, n_outputs, err);
    arena_free(&scratch);
    return st;
}

void ferry_model_close(ferry_model *model)
{
    if (model == NULL)
        return;
    model_version_release(model->mv);
    free(model);
}
