/* Inside the feedback hub (state/feedback.c): a prediction kept for feedback, and the labels of
 * one feedback body checked against their predictions (state/feedback_label.c) before any is
 * applied. Not for use outside src/state/feedback*.c. */
#ifndef FERRY_STATE_FEEDBACK_LABEL_H
#define FERRY_STATE_FEEDBACK_LABEL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "serving/repository.h"
#include "state/feedback.h"

/* A prediction kept for feedback. */
typedef struct recent {
    char id[FEEDBACK_ID_MAX];
    char model[REPOSITORY_NAME_MAX];
    char version[REPOSITORY_VERSION_MAX];
    feedback_config cfg;
    int64_t rows;
    size_t cols;
    size_t capacity; /* scores the block has room for (a ring slot is reused when they fit) */
    double scores[]; /* rows * cols */
} recent;

typedef struct pending_label {
    recent *pred; /* owned by the pending list's preds */
    int64_t row;
    double value;
    const json_t *json;
} pending_label;

typedef struct pending {
    recent **preds;
    size_t n_preds;
    pending_label *labels;
    size_t n_labels, cap_labels;
} pending;

/* The label's numeric value when it fits the prediction's task; false otherwise. */
bool feedback_label_value(const recent *p, const json_t *label, double *v);

/* Adds the labels of feedback item i (`label`, `labels` or `row` + `label`) for prediction p to
 * pl; INVALID_ARG naming the item, id and row for a label that does not fit, NO_MEMORY. */
ferry_status feedback_item_labels(pending *pl, recent *p, const json_t *item, size_t i,
                                  ferry_error *err) FERRY_MUST_CHECK;

#endif
