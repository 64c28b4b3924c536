/* The `intra_op_threads` backend option, shared by the backends that split one inference over
 * threads (onnx, xgboost): a whole number from 1 to 4 per CPU (and at most ONNX_POOL_MAX_THREADS);
 * more would only add hand-overs. */
#ifndef FERRY_BACKENDS_THREADS_OPTION_H
#define FERRY_BACKENDS_THREADS_OPTION_H

#include "ferry/status.h"

/* Parses `value` into *threads. Fails with INVALID_ARG naming the model, the backend and the
 * value. */
ferry_status threads_option_parse(const char *model, const char *backend, const char *value,
                                  int *threads, ferry_error *err) FERRY_MUST_CHECK;

#endif
