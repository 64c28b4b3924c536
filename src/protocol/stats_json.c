/* Statistics as JSON; see stats_json.h. */
#include "protocol/stats_json.h"

#include <inttypes.h>

#include "protocol/oip_json.h"

#define STATS_TRY(expr)                                                                            \
    do {                                                                                           \
        ferry_status try_status_ = (expr);                                                         \
        if (try_status_ != FERRY_OK)                                                               \
            return try_status_;                                                                    \
    } while (0)

/* `"key":{"count":N,"ns":N}`, after a comma unless first. */
static ferry_status append_duration(buffer *out, const char *key, model_stats_value v, bool first)
{
    return buffer_printf(out, "%s\"%s\":{\"count\":%" PRIu64 ",\"ns\":%" PRIu64 "}",
                         first ? "" : ",", key, v.count, v.ns);
}

static ferry_status append_inference_stats(buffer *out, const model_stats_snapshot *s)
{
    STATS_TRY(buffer_append_str(out, ",\"inference_stats\":{"));
    STATS_TRY(append_duration(out, "success", s->success, true));
    STATS_TRY(append_duration(out, "fail", s->fail, false));
    STATS_TRY(append_duration(out, "queue", s->queue, false));
    STATS_TRY(append_duration(out, "compute_input", s->compute_input, false));
    STATS_TRY(append_duration(out, "compute_infer", s->compute_infer, false));
    STATS_TRY(append_duration(out, "compute_output", s->compute_output, false));
    STATS_TRY(append_duration(out, "cache_hit", s->cache_hit, false));
    STATS_TRY(append_duration(out, "cache_miss", s->cache_miss, false));
    return buffer_append_str(out, "}");
}

static ferry_status append_batch_stats(buffer *out, const model_stats_snapshot *s)
{
    STATS_TRY(buffer_append_str(out, ",\"batch_stats\":["));
    for (size_t i = 0; i < s->n_batches; i++) {
        const model_stats_batch_value *b = &s->batches[i];
        STATS_TRY(buffer_printf(out, "%s{\"batch_size\":%" PRIu64, i ? "," : "", b->batch_size));
        STATS_TRY(append_duration(out, "compute_input", b->compute_input, false));
        STATS_TRY(append_duration(out, "compute_infer", b->compute_infer, false));
        STATS_TRY(append_duration(out, "compute_output", b->compute_output, false));
        STATS_TRY(buffer_append_str(out, "}"));
    }
    return buffer_append_str(out, "]");
}

static ferry_status append_entry(buffer *out, const stats_entry *e)
{
    const model_stats_snapshot *s = &e->stats;
    STATS_TRY(buffer_append_str(out, "{\"name\":"));
    STATS_TRY(oip_append_string(out, e->name));
    STATS_TRY(buffer_append_str(out, ",\"version\":"));
    STATS_TRY(oip_append_string(out, e->version));
    STATS_TRY(buffer_printf(out,
                            ",\"last_inference\":%" PRIu64 ",\"inference_count\":%" PRIu64
                            ",\"execution_count\":%" PRIu64,
                            s->last_inference_ms, s->inference_count, s->execution_count));
    STATS_TRY(append_inference_stats(out, s));
    STATS_TRY(append_batch_stats(out, s));
    return buffer_append_str(out, "}");
}

ferry_status stats_json_append(buffer *out, const stats_query *q)
{
    STATS_TRY(buffer_append_str(out, "{\"model_stats\":["));
    for (size_t i = 0; i < q->n; i++) {
        if (i > 0)
            STATS_TRY(buffer_append_str(out, ","));
        STATS_TRY(append_entry(out, &q->entries[i]));
    }
    return buffer_append_str(out, "]}");
}
