/* The metrics registry: request and inference counters and histograms per model version, model
 * info gauges, load failure counters, build info and process metrics, rendered in the Prometheus
 * text format (0.0.4). */
#ifndef FERRY_MONITOR_METRICS_H
#define FERRY_MONITOR_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buffer.h"
#include "ferry/status.h"

/* The label value under which every request for a model name that is not loaded is counted, so
 * that clients cannot grow the label set without bound. */
#define METRICS_UNKNOWN_MODEL "_unknown"

typedef struct metrics metrics;

/* Creates an empty registry; NULL when out of memory. Destroy with metrics_destroy. */
metrics *metrics_create(void);

/* Frees the registry. Accepts NULL. */
void metrics_destroy(metrics *m);

/* Counts one finished request (ferry_requests_total{model,version,protocol,code}) and observes its
 * duration (ferry_request_duration_seconds{model,version,protocol}). protocol is "rest" or "grpc";
 * code is the HTTP status ("200") for REST and the status code's name ("OK", "NOT_FOUND") for
 * gRPC. model may be METRICS_UNKNOWN_MODEL and version "" when no version was resolved.
 * Thread-safe; never fails (a child that cannot be allocated is dropped silently and counted in
 * ferry_metrics_dropped_total). */
void metrics_observe_request(metrics *m, const char *model, const char *version,
                             const char *protocol, const char *code, double seconds);

/* Observes one backend call (ferry_inference_duration_seconds{model,version}). Thread-safe. */
void metrics_observe_inference(metrics *m, const char *model, const char *version, double seconds);

/* Observes where a request ran: its time in the queue (ferry_queue_duration_seconds) and the rows
 * of the execution it was part of (ferry_batch_size). Thread-safe. */
void metrics_observe_schedule(metrics *m, const char *model, const char *version,
                              double queue_seconds, uint64_t batch_size);

/* Moves ferry_queue_depth{model,version} by delta (+1 queued, -1 left the queue). Thread-safe. */
void metrics_add_queue_depth(metrics *m, const char *model, const char *version, int delta);

/* Counts a request answered without running (ferry_requests_rejected_total{model,version,reason}:
 * queue_full, timeout, client_gone). Thread-safe. */
void metrics_count_rejected(metrics *m, const char *model, const char *version, const char *reason);

/* Sets ferry_model_info{model,version,backend,sha256} 1 while a version is loaded; loaded=false
 * removes that series and the version's validation and drift series. ferry_models_loaded is the
 * count of such series. Thread-safe. */
void metrics_set_model_info(metrics *m, const char *model, const char *version, const char *backend,
                            const char *sha256, bool loaded);

/* Counts one failed attempt to load a version (ferry_model_load_failures_total{model,version});
 * version is "" when the model failed before a version was chosen (a bad model.yaml). Thread-safe;
 * never fails (see metrics_observe_request). */
void metrics_count_load_failure(metrics *m, const char *model, const char *version);

/* Whether model and version have a ferry_model_info series (the version is loaded). */
bool metrics_version_loaded(metrics *m, const char *model, const char *version);

/* The validation and drift families below hold series of loaded versions only: an update for a
 * version without a ferry_model_info series does nothing, and removing that series
 * (metrics_set_model_info with loaded=false) removes the version's validation and drift series,
 * so /metrics never shows an unloaded version's gauges. */

/* Adds n to ferry_validation_violations_total{model,version,feature,rule}. Thread-safe; never
 * fails (see metrics_observe_request). */
void metrics_count_violation(metrics *m, const char *model, const char *version,
                             const char *feature, const char *rule, uint64_t n);

/* Sets a feature's drift gauges from the last completed window: ferry_feature_drift_score
 * {model,version,feature,method} (NaN when the statistic is absent), ferry_feature_drifted and
 * ferry_feature_missing_ratio{model,version,feature}. Thread-safe. */
void metrics_set_feature_drift(metrics *m, const char *model, const char *version,
                               const char *feature, const char *method, double score, bool drifted,
                               double missing_ratio);

/* Sets ferry_dataset_drift{model,version} to 0 or 1. Thread-safe. */
void metrics_set_dataset_drift(metrics *m, const char *model, const char *version, bool drifted);

/* Appends the whole exposition (ferry_* families, ferry_build_info{version}, and the process_*
 * families read from /proc/self) to out. Fails only when out cannot grow. */
ferry_status metrics_render(metrics *m, buffer *out) FERRY_MUST_CHECK;

#endif
