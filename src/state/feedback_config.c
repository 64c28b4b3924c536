/* model.yaml's task, positive_class, feedback_window and payload_log; see feedback_config.h. */
#include "state/feedback_config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

feedback_config feedback_config_default(void)
{
    return (feedback_config){.task = FEEDBACK_TASK_NONE,
                             .positive_class = 1,
                             .window = FEEDBACK_WINDOW_DEFAULT,
                             .sample = 1.0,
                             .retention_s = PAYLOAD_RETENTION_DEFAULT_S};
}

const char *feedback_task_name(feedback_task task)
{
    switch (task) {
    case FEEDBACK_TASK_BINARY:
        return "binary";
    case FEEDBACK_TASK_MULTICLASS:
        return "multiclass";
    case FEEDBACK_TASK_REGRESSION:
        return "regression";
    default:
        return "none";
    }
}

bool feedback_parse_duration(const char *s, int64_t *seconds)
{
    if (strcmp(s, "forever") == 0 || strcmp(s, "0") == 0) {
        *seconds = 0;
        return true;
    }
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || v <= 0 || v > 100000000LL || s[0] == '-' || s[0] == '+')
        return false;
    static const struct {
        const char *unit;
        int64_t mult;
    } units[] = {{"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(end, units[i].unit) == 0) {
            *seconds = v * units[i].mult;
            return true;
        }
    return false;
}

static ferry_status bad(const ynode *node, const char *yaml_path, const char *key,
                        const char *expected, ferry_error *err)
{
    return ferry_error_set(err, FERRY_INVALID_ARG, "%s: line %d: %s must be %s", yaml_path,
                           node->line, key, expected);
}

static ferry_status read_task(const ynode *y, const char *path, feedback_config *cfg,
                              ferry_error *err)
{
    const ynode *n = ynode_get(y, "task");
    if (n != NULL) {
        const char *v = n->kind == YNODE_SCALAR ? n->scalar : "";
        if (strcmp(v, "binary") == 0)
            cfg->task = FEEDBACK_TASK_BINARY;
        else if (strcmp(v, "multiclass") == 0)
            cfg->task = FEEDBACK_TASK_MULTICLASS;
        else if (strcmp(v, "regression") == 0)
            cfg->task = FEEDBACK_TASK_REGRESSION;
        else
            return bad(n, path, "task", "binary, multiclass or regression", err);
    }
    n = ynode_get(y, "positive_class");
    if (n != NULL) {
        const char *v = n->kind == YNODE_SCALAR ? n->scalar : "";
        if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
            return bad(n, path, "positive_class", "0 or 1", err);
        cfg->positive_class = v[0] - '0';
    }
    n = ynode_get(y, "feedback_window");
    if (n != NULL) {
        char *end = NULL;
        const char *v = n->kind == YNODE_SCALAR ? n->scalar : "";
        long long w = strtoll(v, &end, 10);
        if (end == v || *end != '\0' || w < 1 || w > FEEDBACK_WINDOW_MAX)
            return bad(n, path, "feedback_window", "a whole number from 1 to 1000000", err);
        cfg->window = (uint32_t)w;
    }
    return FERRY_OK;
}

static ferry_status read_payload_log(const ynode *y, const char *path, feedback_config *cfg,
                                     ferry_error *err)
{
    const ynode *n = ynode_get(y, "payload_log");
    if (n == NULL)
        return FERRY_OK;
    if (n->kind != YNODE_MAP)
        return bad(n, path, "payload_log", "a map {sample, retention}", err);
    for (size_t i = 0; i < n->n; i++) {
        const ynode *v = n->items[i];
        const char *text = v->kind == YNODE_SCALAR ? v->scalar : "";
        if (strcmp(n->keys[i], "sample") == 0) {
            char *end = NULL;
            double d = strtod(text, &end);
            if (end == text || *end != '\0' || !(d >= 0 && d <= 1))
                return bad(v, path, "payload_log.sample", "a number from 0 to 1", err);
            cfg->sample = d;
        } else if (strcmp(n->keys[i], "retention") == 0) {
            if (!feedback_parse_duration(text, &cfg->retention_s))
                return bad(v, path, "payload_log.retention",
                           "a duration such as 30m, 12h or 7d (or forever)", err);
        } else {
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "%s: line %d: payload_log: unknown key '%s' (sample, retention)",
                                   path, v->line, n->keys[i]);
        }
    }
    return FERRY_OK;
}

ferry_status feedback_config_read(const ynode *model_yaml, const char *yaml_path,
                                  feedback_config *cfg, ferry_error *err)
{
    *cfg = feedback_config_default();
    if (model_yaml == NULL)
        return FERRY_OK;
    ferry_status st = read_task(model_yaml, yaml_path, cfg, err);
    if (st == FERRY_OK)
        st = read_payload_log(model_yaml, yaml_path, cfg, err);
    return st;
}
