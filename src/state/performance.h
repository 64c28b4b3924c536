/* Live model performance over labelled rows, computed as scikit-learn computes it (1.2):
 * accuracy_score; precision, recall and F1 (binary: of positive_class; multiclass: macro over the
 * classes in the labels and predictions, 0 where undefined, as zero_division's default);
 * roc_auc_score (binary: of the probability of class 1; multiclass: one-vs-rest macro, defined
 * when every class appears among the labels); log_loss (probabilities clipped to [1e-15, 1-1e-15],
 * rows renormalised, as labels=range(C)); mean_absolute_error, the root of mean_squared_error and
 * r2_score. Pure: no I/O, no allocation beyond a scratch the caller never sees. */
#ifndef FERRY_STATE_PERFORMANCE_H
#define FERRY_STATE_PERFORMANCE_H

#include <stdbool.h>
#include <stddef.h>

#include "state/feedback_config.h"

/* NaN marks a metric that is undefined on these rows or for this task (written as null). */
typedef struct perf_result {
    size_t rows;
    double accuracy, precision, recall, f1, roc_auc, log_loss; /* classification */
    double mae, rmse, r2;                                      /* regression */
} perf_result;

/* Computes the metrics of n rows: labels[i], and the model's output for row i at
 * scores[i * cols .. i * cols + cols). Binary: cols 1 is the probability of class 1 (cols 2: the
 * second column is); predicted class 1 when it is above 0.5. Multiclass: cols C gives class
 * probabilities (predicted: the first largest), cols 1 a predicted class id (no roc_auc or
 * log_loss). Regression: cols 1 is the predicted value. Returns false when out of memory. */
bool perf_compute(feedback_task task, int positive_class, size_t n, const double *labels,
                  size_t cols, const double *scores, perf_result *out);

/* The binary ROC AUC of scores against labels (1 positive, anything else negative), ties given
 * half credit; NaN when either class is missing. Sorts an internal copy. */
double perf_roc_auc(size_t n, const double *labels, const double *scores, size_t stride);

#endif
