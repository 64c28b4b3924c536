/* Warming a freshly loaded version before it serves: one inference on a sample input (each input
 * at batch 1, its fixed dimensions from the model's metadata, all zeros), so that the first real
 * request does not pay for lazy initialisation, and a version that cannot run never serves. */
#ifndef FERRY_SERVING_WARMUP_H
#define FERRY_SERVING_WARMUP_H

#include "serving/model_version.h"

/* Runs the sample inference on mv. Inputs of variable-size datatypes (BYTES) or with more than
 * WARMUP_MAX_ELEMENTS elements are not warmed (FERRY_OK, logged at debug). Fails with the
 * backend's status, naming the model and version. Allocates only for the call. */
ferry_status warmup_run(model_version *mv, ferry_error *err) FERRY_MUST_CHECK;

#define WARMUP_MAX_ELEMENTS (64u << 20)

#endif
