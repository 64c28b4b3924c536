/* The backend ABI: how ferry loads and runs a model format. Built-in backends (xgboost) implement
 * it exactly as a user's plugin .so will, so every backend is a first-class citizen.
 *
 * A backend is one `ferry_backend` table. ferry calls load() once per model version, describe()
 * once after load, infer() from any number of threads at once, and unload() after the last
 * request on that version has finished. */
#ifndef FERRY_BACKEND_H
#define FERRY_BACKEND_H

#include "ferry/status.h"
#include "ferry/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FERRY_BACKEND_ABI_VERSION 1

/* One input or output as the model declares it; -1 marks a variable dimension (batch).
 * `accepted` is a bitmask (1u << dtype) of other dtypes that ferry converts to `dtype` before
 * calling infer(), e.g. FP64 for an FP32 input. */
typedef struct ferry_tensor_info {
    const char *name;
    ferry_dtype dtype;
    int ndim;
    int64_t shape[FERRY_MAX_DIMS];
    uint32_t accepted;
} ferry_tensor_info;

/* What describe() reports. Every pointer is owned by the loaded model and valid until unload. */
typedef struct ferry_model_io {
    const char *platform; /* informational, e.g. "xgboost_json" */
    size_t n_inputs;
    const ferry_tensor_info *inputs;
    size_t n_outputs;
    const ferry_tensor_info *outputs;
    size_t n_features; /* named features of the first input, when the model has them */
    const char *const *feature_names;
} ferry_model_io;

/* A string option from model.yaml's `options:` map. */
typedef struct ferry_option {
    const char *key;
    const char *value;
} ferry_option;

typedef struct ferry_backend_config {
    const char *model_name; /* for error messages */
    const char *version;    /* for error messages; may be "" */
    size_t n_options;
    const ferry_option *options;
} ferry_backend_config;

/* Where infer() puts output data: alloc(ctx, size) returns 64-byte aligned memory that lives until
 * the caller's request ends (an arena), or NULL when out of memory. Never freed by the backend. */
typedef struct ferry_allocator {
    void *(*alloc)(void *ctx, size_t size);
    void *ctx;
} ferry_allocator;

typedef struct ferry_backend {
    uint32_t abi_version; /* FERRY_BACKEND_ABI_VERSION */
    const char *name;     /* "xgboost" */
    /* Artifact file names this backend loads, NULL-terminated ("model.json", "model.ubj"). */
    const char *const *artifacts;

    /* Loads the artifact at `path`; on success *model is the backend's handle. */
    ferry_status (*load)(const ferry_backend_config *config, const char *path, void **model,
                         ferry_error *err);
    /* Fills *io with pointers into the model; valid until unload. */
    ferry_status (*describe)(void *model, ferry_model_io *io, ferry_error *err);
    /* Runs the model. `inputs` match describe()'s inputs in order, dtype and shape (variable
     * dimensions resolved). Fills every one of the n_outputs tensors (describe()'s order) with data
     * from `alloc`. Must be safe to call from several threads at once. */
    ferry_status (*infer)(void *model, const ferry_tensor *inputs, size_t n_inputs,
                          ferry_tensor *outputs, size_t n_outputs, const ferry_allocator *alloc,
                          ferry_error *err);
    /* Frees everything load() made. Accepts NULL. */
    void (*unload)(void *model);
} ferry_backend;

#ifdef __cplusplus
}
#endif
#endif
