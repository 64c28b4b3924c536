/* Checking the labels of a feedback body against their predictions; see feedback_label.h. */
#include "state/feedback_label.h"

#include <math.h>
#include <stdlib.h>

static const char *expected_label(const recent *p)
{
    switch (p->cfg.task) {
    case FEEDBACK_TASK_BINARY:
        return "0 or 1 (or false, true): the model's task is binary";
    case FEEDBACK_TASK_MULTICLASS:
        return "a class number from 0: the model's task is multiclass";
    case FEEDBACK_TASK_REGRESSION:
        return "a number: the model's task is regression";
    default:
        return "a number, string or boolean";
    }
}

bool feedback_label_value(const recent *p, const json_t *label, double *v)
{
    if (json_is_boolean(label)) {
        *v = json_is_true(label);
        return p->cfg.task == FEEDBACK_TASK_BINARY || p->cfg.task == FEEDBACK_TASK_NONE;
    }
    if (!json_is_number(label)) {
        *v = NAN;
        return p->cfg.task == FEEDBACK_TASK_NONE && json_is_string(label);
    }
    *v = json_number_value(label);
    if (!isfinite(*v))
        return false;
    switch (p->cfg.task) {
    case FEEDBACK_TASK_BINARY:
        return *v == 0 || *v == 1;
    case FEEDBACK_TASK_MULTICLASS:
        return *v >= 0 && *v == floor(*v) && (p->cols <= 1 || *v < (double)p->cols);
    default:
        return true;
    }
}

static ferry_status add_label(pending *pl, recent *p, int64_t row, const json_t *label, size_t item,
                              ferry_error *err)
{
    if (row < 0 || row >= p->rows)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "feedback item %zu: id '%s': row %lld is out of range (the "
                               "prediction has %lld row(s))",
                               item, p->id, (long long)row, (long long)p->rows);
    double v;
    if (!feedback_label_value(p, label, &v))
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "feedback item %zu: id '%s' row %lld: the label must be %s", item,
                               p->id, (long long)row, expected_label(p));
    if (pl->n_labels == pl->cap_labels) {
        size_t cap = pl->cap_labels ? pl->cap_labels * 2 : 16;
        pending_label *grown = realloc(pl->labels, cap * sizeof *grown);
        if (grown == NULL)
            return ferry_error_set(err, FERRY_NO_MEMORY, "feedback: out of memory");
        pl->labels = grown;
        pl->cap_labels = cap;
    }
    pl->labels[pl->n_labels++] = (pending_label){.pred = p, .row = row, .value = v, .json = label};
    return FERRY_OK;
}

ferry_status feedback_item_labels(pending *pl, recent *p, const json_t *item, size_t i,
                                  ferry_error *err)
{
    const json_t *labels = json_object_get(item, "labels");
    const json_t *label = json_object_get(item, "label");
    const json_t *row = json_object_get(item, "row");
    if (labels != NULL) {
        if (!json_is_array(labels) || (int64_t)json_array_size(labels) != p->rows)
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "feedback item %zu: id '%s': labels must be a list of %lld "
                                   "label(s), one per row",
                                   i, p->id, (long long)p->rows);
        ferry_status st = FERRY_OK;
        for (size_t r = 0; st == FERRY_OK && r < json_array_size(labels); r++)
            st = add_label(pl, p, (int64_t)r, json_array_get(labels, r), i, err);
        return st;
    }
    if (label == NULL)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "feedback item %zu: id '%s': give label, labels or row and label", i,
                               p->id);
    if (row != NULL && !json_is_integer(row))
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "feedback item %zu: id '%s': row must be a whole number", i, p->id);
    if (row == NULL && p->rows != 1)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "feedback item %zu: id '%s' has %lld rows: give row with label, "
                               "or labels",
                               i, p->id, (long long)p->rows);
    return add_label(pl, p, row != NULL ? (int64_t)json_integer_value(row) : 0, label, i, err);
}
