/* Per loaded version statistics, as the OIP statistics extension reports them (Triton's
 * ModelStatistics): request success and failure counts with their cumulative time, the split of
 * that time (queue, compute input, compute infer, compute output), inference and execution counts
 * and per batch size figures. Every counter is an atomic: request threads of both front ends update
 * them without a lock, and a reader sees each counter whole (not all of them at one instant). */
#ifndef FERRY_SERVING_MODEL_STATS_H
#define FERRY_SERVING_MODEL_STATS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Distinct batch sizes tracked per version; executions of further sizes still count everywhere
 * except in batch_stats. */
#define MODEL_STATS_BATCH_SLOTS 64

typedef struct model_stats_duration {
    _Atomic uint64_t count;
    _Atomic uint64_t ns;
} model_stats_duration;

typedef struct model_stats_batch {
    _Atomic uint64_t batch_size; /* 0: the slot is free */
    model_stats_duration compute_input, compute_infer, compute_output;
} model_stats_batch;

typedef struct model_stats {
    _Atomic uint64_t last_inference_ms; /* wall clock, ms since the epoch; 0: never */
    _Atomic uint64_t inference_count;   /* batch elements of successful requests */
    _Atomic uint64_t execution_count;   /* backend runs */
    model_stats_duration success, fail, queue, compute_input, compute_infer, compute_output;
    model_stats_batch batches[MODEL_STATS_BATCH_SLOTS];
} model_stats;

/* One finished request. */
typedef struct model_stats_request {
    uint64_t request_ns; /* arrival to response */
    uint64_t queue_ns;   /* waiting for an instance (0 until the scheduler exists) */
    uint64_t input_ns;   /* decoding and checking the inputs */
    uint64_t infer_ns;   /* the backend */
    uint64_t output_ns;  /* picking and encoding the outputs */
    uint64_t batch_size; /* elements in the request (its leading dimension when it batches) */
} model_stats_request;

/* A copy of the counters as plain numbers. */
typedef struct model_stats_value {
    uint64_t count, ns;
} model_stats_value;

typedef struct model_stats_batch_value {
    uint64_t batch_size;
    model_stats_value compute_input, compute_infer, compute_output;
} model_stats_batch_value;

typedef struct model_stats_snapshot {
    uint64_t last_inference_ms, inference_count, execution_count;
    model_stats_value success, fail, queue, compute_input, compute_infer, compute_output;
    model_stats_value cache_hit, cache_miss; /* no response cache yet: always zero */
    size_t n_batches;                        /* ascending batch_size */
    model_stats_batch_value batches[MODEL_STATS_BATCH_SLOTS];
} model_stats_snapshot;

/* Zeroes every counter. */
void model_stats_init(model_stats *s);

/* Counts a request that succeeded: success, its time split, inference_count and last_inference. */
void model_stats_record_success(model_stats *s, const model_stats_request *r);

/* Counts a request that reached the version and failed (bad input, backend error). */
void model_stats_record_failure(model_stats *s, uint64_t request_ns);

/* Counts one backend run of `batch_size` elements (execution_count and batch_stats). */
void model_stats_record_execution(model_stats *s, uint64_t batch_size, uint64_t input_ns,
                                  uint64_t infer_ns, uint64_t output_ns);

/* Copies the counters into out. */
void model_stats_read(const model_stats *s, model_stats_snapshot *out);

#endif
