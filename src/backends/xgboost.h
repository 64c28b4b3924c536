/* The XGBoost backend: serves model.json and model.ubj through libxgboost's C API. */
#ifndef FERRY_BACKENDS_XGBOOST_H
#define FERRY_BACKENDS_XGBOOST_H

#include "ferry/backend.h"

extern const ferry_backend xgboost_backend;

/* Which engine serves a model this backend loaded: "ferry" (ferry's tree engine) or "xgboost"
 * (libxgboost). */
const char *xgboost_backend_engine(const void *model);

#endif
