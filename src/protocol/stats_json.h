/* The statistics extension's JSON (OIP REST, as Triton writes it):
 * {"model_stats": [{"name", "version", "last_inference", "inference_count", "execution_count",
 *  "inference_stats": {"success": {"count", "ns"}, "fail", "queue", "compute_input",
 *  "compute_infer", "compute_output", "cache_hit", "cache_miss"}, "batch_stats": [...]}]} */
#ifndef FERRY_PROTOCOL_STATS_JSON_H
#define FERRY_PROTOCOL_STATS_JSON_H

#include "core/buffer.h"
#include "protocol/stats_query.h"

/* Appends the document for q to out. Fails only when out cannot grow. */
ferry_status stats_json_append(buffer *out, const stats_query *q) FERRY_MUST_CHECK;

#endif
