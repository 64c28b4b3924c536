/* The model.yaml keys of the prediction log and live performance:
 *
 *     task: binary            # binary | multiclass | regression (absent: no live metrics)
 *     positive_class: 1       # binary: the class precision, recall and F1 are about (0 or 1)
 *     feedback_window: 1000   # live metrics over this many latest labelled rows
 *     payload_log: {sample: 1.0, retention: 7d}
 */
#ifndef FERRY_STATE_FEEDBACK_CONFIG_H
#define FERRY_STATE_FEEDBACK_CONFIG_H

#include <stdint.h>

#include "core/yaml_doc.h"

#define FEEDBACK_WINDOW_DEFAULT     1000
#define FEEDBACK_WINDOW_MAX         1000000
#define PAYLOAD_RETENTION_DEFAULT_S (7 * 86400)

typedef enum feedback_task {
    FEEDBACK_TASK_NONE,
    FEEDBACK_TASK_BINARY,
    FEEDBACK_TASK_MULTICLASS,
    FEEDBACK_TASK_REGRESSION,
} feedback_task;

typedef struct feedback_config {
    feedback_task task;
    int positive_class;  /* binary: 0 or 1 (default 1) */
    uint32_t window;     /* labelled rows (default FEEDBACK_WINDOW_DEFAULT) */
    double sample;       /* share of requests logged, 0..1 (default 1) */
    int64_t retention_s; /* 0: kept for ever */
} feedback_config;

/* The defaults: no task, positive class 1, window 1000, sample 1.0, retention 7 days. */
feedback_config feedback_config_default(void);

/* Reads the keys above from a parsed model.yaml (a map; NULL gives the defaults). Fails with
 * INVALID_ARG naming yaml_path, the line and the key. */
ferry_status feedback_config_read(const ynode *model_yaml, const char *yaml_path,
                                  feedback_config *cfg, ferry_error *err) FERRY_MUST_CHECK;

/* Parses a duration: a whole number followed by s, m, h or d ("7d"), or "0"/"forever" for none. */
bool feedback_parse_duration(const char *s, int64_t *seconds);

/* "binary", "multiclass", "regression" or "none". */
const char *feedback_task_name(feedback_task task);

#endif
