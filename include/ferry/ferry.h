/* ferry's embedding API: open a model, run it on tensors, read the outputs, close it. The server
 * and the CLI use exactly this path after decoding a request.
 *
 * Worked example (error handling shortened; see examples/embed/embed.c for the full program):
 *
 *     ferry_error err;
 *     ferry_model *model;
 *     if (ferry_model_open("models/breast_cancer", &model, &err) != FERRY_OK) {
 *         fprintf(stderr, "%s\n", err.message);
 *         return 1;
 *     }
 *     float row[30] = {...};
 *     ferry_tensor input = {.name = "input", .dtype = FERRY_DTYPE_FP32, .ndim = 2,
 *                           .shape = {1, 30}, .data = row, .nbytes = sizeof row};
 *     ferry_tensor outputs[1];
 *     if (ferry_model_infer(model, &input, 1, outputs, 1, &err) == FERRY_OK) {
 *         printf("p = %f\n", ((float *)outputs[0].data)[0]);
 *         ferry_tensor_release(&outputs[0]);
 *     }
 *     ferry_model_close(model);
 */
#ifndef FERRY_FERRY_H
#define FERRY_FERRY_H

#include "ferry/backend.h"
#include "ferry/status.h"
#include "ferry/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ferry_model ferry_model;

/* The version string of this build ("0.1.0"). */
const char *ferry_version(void);

/* Opens a model from `path`: an artifact file (model.json, model.ubj), a version folder
 * (REPO/NAME/3) or a repository model folder (REPO/NAME, serving its production version).
 * On success *model is owned by the caller and closed with ferry_model_close. Fails with NOT_FOUND
 * for a missing path, UNSUPPORTED for an unknown artifact, INVALID_ARG for a corrupt model. */
ferry_status ferry_model_open(const char *path, ferry_model **model,
                              ferry_error *err) FERRY_MUST_CHECK;

/* The model's inputs and outputs; owned by the model. */
const ferry_model_io *ferry_model_describe(const ferry_model *model);

/* Runs the model on `inputs` (matched to the model's inputs by name; FP64 is converted where the
 * model accepts it). Fills outputs[0..n_outputs) in the model's output order with owned tensors
 * that the caller frees with ferry_tensor_release. n_outputs must equal the model's output count.
 * Safe to call from several threads at once. Fails with INVALID_ARG naming the input on a missing,
 * unknown, mistyped or misshapen input. */
ferry_status ferry_model_infer(ferry_model *model, const ferry_tensor *inputs, size_t n_inputs,
                               ferry_tensor *outputs, size_t n_outputs,
                               ferry_error *err) FERRY_MUST_CHECK;

/* Closes the model and frees everything it holds. Accepts NULL. */
void ferry_model_close(ferry_model *model);

#ifdef __cplusplus
}
#endif
#endif
