/* Live drift of one model version: request rows (the mapped features and the model's outputs)
 * appended into a tumbling window of N rows or of a duration (`window: 10m`: it opens with its
 * first row and closes when its time has passed, on the next arrival or by the monitor thread's
 * timer) (reservoir-sampled to at most PROFILE_SAMPLE_MAX),
 * and a background thread that, when a window closes, measures it against the reference (the
 * profile's sample and the model's outputs on it, computed at load) with the drift report code,
 * keeps the report, sets the drift gauges and logs a change of drift state. Appending takes one
 * short lock and never allocates. */
#ifndef FERRY_MONITOR_DRIFT_LIVE_H
#define FERRY_MONITOR_DRIFT_LIVE_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/yaml_doc.h"
#include "ferry/backend.h"
#include "monitor/drift.h"
#include "monitor/feature_map.h"
#include "monitor/metrics.h"
#include "monitor/profile.h"

#define DRIFT_LIVE_DEFAULT_WINDOW 1000

/* Where one output column sits: column `column` of `width` in output `output`. */
typedef struct drift_output_slot {
    size_t output, column, width;
} drift_output_slot;

typedef struct drift_live drift_live;

/* Starts live drift for model `model` version `version` from the training profile p, its feature
 * map, model.yaml's `drift` node (may be NULL) and the model's outputs on p's sample (outputs[0..
 * n_outputs), each with the sample's rows leading; NULL when they could not be computed: then no
 * prediction drift). Output columns whose dtype is not numeric are skipped. *out is NULL (and OK
 * returned) when `drift: off` or nothing maps. Fails with INVALID_ARG naming the key and line of
 * a bad setting; NO_MEMORY; IO when the thread cannot start. Free with drift_live_destroy. */
ferry_status drift_live_create(const char *model, const char *version, const profile *p,
                               const feature_map *map, const ynode *node,
                               const ferry_tensor *outputs, size_t n_outputs, drift_live **out,
                               ferry_error *err) FERRY_MUST_CHECK;

/* Stops the thread and frees everything. Accepts NULL. */
void drift_live_destroy(drift_live *d);

/* Appends the rows of one executed request: its bound inputs and its outputs (the model's
 * order). m receives the gauges when windows close. Cheap: one lock, no allocation. */
void drift_live_observe(drift_live *d, metrics *m, const ferry_tensor *inputs, size_t n_inputs,
                        const ferry_tensor *outputs, size_t n_outputs);

/* The endpoint's JSON: the last completed window's report with `window: {start, end, rows}`,
 * `partial_window_rows`, `window_size` and `mapping`, or, before any window completed,
 * `{"report": null, "message", "partial_window_rows", "window_size"}`. A new reference, NULL when
 * out of memory. */
json_t *drift_live_json(drift_live *d);

#endif
