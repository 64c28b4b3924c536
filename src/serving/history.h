/* history.jsonl: the append-only record of every deployment change of a model, one JSON object per
 * line (ts, actor, action, model, from, to, reason), appended with O_APPEND and fsync. */
#ifndef FERRY_SERVING_HISTORY_H
#define FERRY_SERVING_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/status.h"

/* One change. from/to are version numbers, 0 when absent. */
typedef struct history_event {
    char ts[40]; /* RFC 3339 UTC, filled by history_append when empty */
    char actor[64];
    char action[24]; /* register, deploy, rollback, archive, load, unload */
    uint64_t from;
    uint64_t to;
    char reason[256];
} history_event;

/* Appends one event to MODEL_DIR/history.jsonl durably. */
ferry_status history_append(const char *model_dir, const char *model, history_event *event,
                            ferry_error *err) FERRY_MUST_CHECK;

/* Reads MODEL_DIR/history.jsonl, oldest first, into a malloc'ed array the caller frees. Lines that
 * do not parse (a torn last line after a crash) are skipped and counted in *skipped. A missing
 * file is an empty history. */
ferry_status history_read(const char *model_dir, history_event **events, size_t *count,
                          size_t *skipped, ferry_error *err) FERRY_MUST_CHECK;

/* Writes the current UTC time as RFC 3339 ("2026-11-26T07:18:54Z") into buf. */
void history_now(char *buf, size_t len);

#endif
