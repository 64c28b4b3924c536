/* What the server watches for one loaded model version that has a training profile: its features
 * mapped onto the profile's columns, and the validation of every request's rows against it.
 * Created when the version loads (serving/loader.c) and freed with it; the request path calls
 * model_watch_validate after binding its inputs (protocol/infer_call.c). */
#ifndef FERRY_MONITOR_MODEL_WATCH_H
#define FERRY_MONITOR_MODEL_WATCH_H

#include <stdatomic.h>

#include "core/arena.h"
#include "core/yaml_doc.h"
#include "ferry/backend.h"
#include "monitor/drift_live.h"
#include "monitor/feature_map.h"
#include "monitor/metrics.h"
#include "monitor/profile.h"
#include "monitor/validation.h"

#define MODEL_WATCH_LOG_INTERVAL_NS 1000000000ull /* warn-policy violation logs: one a second */

typedef struct model_watch {
    char model[128];
    char version[24];
    char sha256[65];
    profile *profile;
    feature_map map;
    validator validator;
    drift_live *drift; /* NULL until model_watch_start_drift, or with `drift: off` */
    _Atomic uint64_t last_log_ns;
    _Atomic uint64_t unlogged; /* violations not logged since the last line */
} model_watch;

/* Reads profile_path and model.yaml's `validation` (and `drift`) settings for a version with
 * inputs io. *out is NULL, and FERRY_OK returned, when the version has no profile.json. Fails with
 * INVALID_ARG naming the model, version and file for a profile that cannot be read or a bad
 * setting; NO_MEMORY. Free with model_watch_destroy. */
ferry_status model_watch_create(const char *model, const char *version, const char *sha256,
                                const ferry_model_io *io, const char *profile_path,
                                const ynode *model_yaml, model_watch **out,
                                ferry_error *err) FERRY_MUST_CHECK;

/* Frees a watch. Accepts NULL. */
void model_watch_destroy(model_watch *w);

/* The model's inputs filled with the profile's sample (rows of the sample leading; missing and
 * unmapped values NaN), in the model's input order, for computing the reference predictions. In
 * the arena; false when the inputs are not of a shape the map describes or out of memory. */
bool model_watch_reference_inputs(const model_watch *w, const ferry_model_io *io, arena *a,
                                  ferry_tensor **inputs);

/* Starts live drift with model.yaml's `drift` settings and the model's outputs on the reference
 * inputs (NULL: no prediction drift). Fails as drift_live_create, naming the model and version. */
ferry_status model_watch_start_drift(model_watch *w, const ynode *model_yaml,
                                     const ferry_tensor *outputs, size_t n_outputs,
                                     ferry_error *err) FERRY_MUST_CHECK;

/* The drift hook after a request ran: appends its rows to the drift window. Accepts NULL. */
void model_watch_observe(model_watch *w, metrics *m, const ferry_tensor *bound, size_t n_bound,
                         const ferry_tensor *outputs, size_t n_outputs);

/* The drift endpoint's answer (see drift_live_json) with `model`, `version`, `sha256` and
 * `mapping` (how profile columns map to features); for a watch without live drift a report null
 * and a message saying why. NULL when out of memory. */
json_t *model_watch_drift_json(model_watch *w);

/* Validates the bound inputs of one request. Under `reject` fails with INVALID_ARG and a message
 * naming the first violation, and points *violations at the JSON array of the first
 * VALIDATION_REPORT_MAX (text in the arena; NULL when it could not be built). Under `warn` counts
 * every violation in ferry_validation_violations_total and logs at most once a second, and
 * succeeds. Accepts a NULL watch (nothing to check). */
ferry_status model_watch_validate(model_watch *w, metrics *m, const ferry_tensor *bound,
                                  size_t n_bound, arena *a, const char **violations,
                                  ferry_error *err) FERRY_MUST_CHECK;

/* After the server refused a request's inputs (inference_bind): their dtype and shape violations
 * (validation_io_violations) as JSON text in the arena, each counted in
 * ferry_validation_violations_total{model,version,feature=the input,rule}. NULL when every input
 * has the declared dtype and shape (the refusal was of another kind) or out of memory. Applies
 * whatever the validation policy and whether or not the version has a profile. */
const char *model_watch_io_violations(metrics *m, const char *model, const char *version,
                                      const ferry_model_io *io, const ferry_tensor *inputs,
                                      size_t n_inputs, arena *a);

#endif
