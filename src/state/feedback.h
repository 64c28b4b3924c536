/* Feedback labels and live performance. Every logged prediction is kept in memory for feedback
 * (the latest FEEDBACK_RECENT_MAX, found by id through a hash table) and handed to the state store;
 * an older id is found in the store through its id index. A label joins its prediction's row in
 * the version's window of the latest feedback_window labelled rows (a repeated label for the same
 * row replaces the first), and goes to the store too. Metrics are computed from the windows on
 * demand (GET .../performance, /metrics). Thread-safe. */
#ifndef FERRY_STATE_FEEDBACK_H
#define FERRY_STATE_FEEDBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buffer.h"
#include "ferry/tensor.h"
#include "state/feedback_config.h"
#include "state/state_store.h"

#define FEEDBACK_RECENT_MAX 16384 /* about 6 MB once full */
#define FEEDBACK_ID_MAX     128
#define FEEDBACK_BATCH_MAX  100000 /* items in one POST */

typedef struct feedback_hub feedback_hub;

/* A hub writing to store (kept, not owned). NULL when out of memory. */
feedback_hub *feedback_hub_create(state_store *store);

/* Whether a model version is loaded now (for the server: it has a ferry_model_info series). */
typedef bool (*feedback_loaded_fn)(void *ctx, const char *model, const char *version);

/* Shows only loaded versions' windows in the performance answer and the gauges, and lets a new
 * window take the slot of an unloaded version's when WINDOWS_MAX are in use. Without it every
 * version counts as loaded. */
void feedback_hub_set_loaded(feedback_hub *h, feedback_loaded_fn loaded, void *ctx);

/* Frees the hub. Accepts NULL. */
void feedback_hub_destroy(feedback_hub *h);

/* One prediction served: its inputs and outputs (copied, as tensor blobs, into one record for
 * the state store), rows by the first input's first dimension. The first output, when numeric
 * with one row per request row, is kept in memory as the prediction's scores for feedback, in a
 * ring slot reused once warm. id_generated says ferry made the id (uuid_v7; never for a client's
 * id, whatever its form): the record is then marked STATE_RECORD_ID_GENERATED and timed by the
 * id's millisecond, so the store finds it by time without an id index entry. Sampling is the
 * caller's (feedback_hub_sampled). Never blocks on the disk; what memory cannot hold is not
 * logged (a warning). */
void feedback_hub_log(feedback_hub *h, const char *id, bool id_generated, const char *model,
                      const char *version, const feedback_config *cfg, const ferry_tensor *inputs,
                      size_t n_inputs, const ferry_tensor *outputs, size_t n_outputs);

/* Whether the next prediction of a version with this configuration is logged (cfg->sample, drawn
 * once per call): callers skip building its payload when not. */
bool feedback_hub_sampled(feedback_hub *h, const feedback_config *cfg);

/* Applies a feedback body for model `model`: {"id","label"}, {"id","labels":[...]},
 * {"id","row","label"}, or a JSON list of these. Every item is checked before any is applied.
 * Fails with NOT_FOUND naming an unknown id, INVALID_ARG naming the item, id, row and what the
 * label must be. *labelled is the count of rows labelled. */
ferry_status feedback_hub_post(feedback_hub *h, const char *model, const char *body, size_t len,
                               size_t *labelled, ferry_error *err) FERRY_MUST_CHECK;

/* Rebuilds the window of model and version (configured by cfg, the version's model.yaml) from the
 * state store: its latest cfg->window labelled rows joined with their predictions, as if their
 * labels had just been posted, so the live metrics after a restart equal those before it. Does
 * nothing for a version that already has a window or a cfg without a task. *restored is the
 * count of rows put in the window. Fails as state_store_latest_labels. */
ferry_status feedback_hub_restore(feedback_hub *h, const char *model, const char *version,
                                  const feedback_config *cfg, size_t *restored,
                                  ferry_error *err) FERRY_MUST_CHECK;

/* Appends {"model_name", "versions": [{"version", "task", "window", "rows", "metrics": {...}}]} for
 * the model (one version when version is not NULL). NOT_FOUND when it has no labelled rows yet is
 * not an error: versions is then empty. */
ferry_status feedback_hub_performance(feedback_hub *h, const char *model, const char *version,
                                      buffer *out) FERRY_MUST_CHECK;

/* Appends the gauges ferry_model_{accuracy,precision,recall,f1,roc_auc,log_loss,mae,rmse,r2}
 * {model,version}, ferry_model_labelled_rows and the payload log counters in the Prometheus text
 * format. */
ferry_status feedback_hub_render_metrics(feedback_hub *h, buffer *out) FERRY_MUST_CHECK;

#endif
