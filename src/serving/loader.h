/* Loading one model version so that it is fit to serve: read, verify (size, sha256), load with its
 * backend, warm with one sample inference. The reconciler loads repository versions through here;
 * `ferry serve ARTIFACT` loads its one file with loader_load_artifact. */
#ifndef FERRY_SERVING_LOADER_H
#define FERRY_SERVING_LOADER_H

#include "serving/model_table.h"

/* Called for every version that loads, e.g. to publish metrics. */
typedef void (*loader_on_loaded)(void *ctx, const model_version *mv);

/* Loads and warms the version a spec describes, logging the outcome (model, version, file, time).
 * On success *out holds one reference, owned by the caller. Fails with the load, verification or
 * warm-up error, naming the model, version and file; nothing is left to free. */
ferry_status loader_load_version(const model_spec *spec, model_version **out,
                                 ferry_error *err) FERRY_MUST_CHECK;

/* Loads one artifact file as model `name` (version "1") and publishes it in the table. Fails with
 * the load error (the model is then recorded as failed). */
ferry_status loader_load_artifact(const char *artifact, const char *name, model_table *table,
                                  loader_on_loaded cb, void *cb_ctx,
                                  ferry_error *err) FERRY_MUST_CHECK;

#endif
