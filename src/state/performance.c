/* scikit-learn's classification and regression metrics; see performance.h. */
#include "state/performance.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LOG_LOSS_EPS 1e-15

typedef struct scored {
    double score;
    int positive;
} scored;

static int by_score(const void *a, const void *b)
{
    double x = ((const scored *)a)->score, y = ((const scored *)b)->score;
    return x < y ? -1 : x > y;
}

double perf_roc_auc(size_t n, const double *labels, const double *scores, size_t stride)
{
    scored *v = malloc((n + 1) * sizeof *v);
    if (v == NULL)
        return NAN;
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        v[i] = (scored){.score = scores[i * stride], .positive = labels[i] == 1.0};
        pos += (size_t)v[i].positive;
    }
    if (pos == 0 || pos == n) {
        free(v);
        return NAN;
    }
    qsort(v, n, sizeof *v, by_score);
    /* Mann-Whitney U with average ranks for ties. */
    double rank_sum = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        size_t tied_pos = 0;
        while (j < n && v[j].score == v[i].score)
            tied_pos += (size_t)v[j++].positive;
        double avg_rank = ((double)i + 1 + (double)j) / 2.0;
        rank_sum += avg_rank * (double)tied_pos;
        i = j;
    }
    free(v);
    double p = (double)pos, q = (double)(n - pos);
    return (rank_sum - p * (p + 1) / 2) / (p * q);
}

/* The predicted class of a row. */
static int predicted(feedback_task task, size_t cols, const double *row)
{
    if (task == FEEDBACK_TASK_BINARY)
        return (cols >= 2 ? row[1] : row[0]) > 0.5;
    if (cols == 1)
        return (int)row[0];
    size_t best = 0;
    for (size_t c = 1; c < cols; c++)
        if (row[c] > row[best])
            best = c;
    return (int)best;
}

/* Precision, recall and F1 of class c from the counts; 0 where a denominator is 0. */
static void prf(double tp, double fp, double fn, double *p, double *r, double *f)
{
    *p = tp + fp > 0 ? tp / (tp + fp) : 0;
    *r = tp + fn > 0 ? tp / (tp + fn) : 0;
    *f = 2 * tp + fp + fn > 0 ? 2 * tp / (2 * tp + fp + fn) : 0;
}

static int max_class(size_t n, const double *labels, const int *pred)
{
    int k = 0;
    for (size_t i = 0; i < n; i++) {
        if ((int)labels[i] > k)
            k = (int)labels[i];
        if (pred[i] > k)
            k = pred[i];
    }
    return k;
}

/* Macro precision, recall and F1 over the classes present in labels or predictions. */
static void macro_prf(size_t n, const double *labels, const int *pred, perf_result *out)
{
    int k = max_class(n, labels, pred);
    double sp = 0, sr = 0, sf = 0;
    int present = 0;
    for (int c = 0; c <= k; c++) {
        double tp = 0, fp = 0, fn = 0;
        bool seen = false;
        for (size_t i = 0; i < n; i++) {
            int y = (int)labels[i];
            seen = seen || y == c || pred[i] == c;
            tp += y == c && pred[i] == c;
            fp += y != c && pred[i] == c;
            fn += y == c && pred[i] != c;
        }
        if (!seen)
            continue;
        double p, r, f;
        prf(tp, fp, fn, &p, &r, &f);
        sp += p, sr += r, sf += f;
        present++;
    }
    out->precision = present ? sp / present : NAN;
    out->recall = present ? sr / present : NAN;
    out->f1 = present ? sf / present : NAN;
}

static double log_loss(feedback_task task, size_t n, const double *labels, size_t cols,
                       const double *scores)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        const double *row = scores + i * cols;
        int y = (int)labels[i];
        if (task == FEEDBACK_TASK_BINARY) {
            double p1 = fmin(fmax(cols >= 2 ? row[1] : row[0], LOG_LOSS_EPS), 1 - LOG_LOSS_EPS);
            double p0 =
                fmin(fmax(1 - (cols >= 2 ? row[1] : row[0]), LOG_LOSS_EPS), 1 - LOG_LOSS_EPS);
            sum -= log((y == 1 ? p1 : p0) / (p0 + p1));
            continue;
        }
        double total = 0;
        for (size_t c = 0; c < cols; c++)
            total += fmin(fmax(row[c], LOG_LOSS_EPS), 1 - LOG_LOSS_EPS);
        if (y < 0 || (size_t)y >= cols)
            return NAN;
        sum -= log(fmin(fmax(row[y], LOG_LOSS_EPS), 1 - LOG_LOSS_EPS) / total);
    }
    return sum / (double)n;
}

/* One-vs-rest macro AUC; NaN unless every class 0..cols-1 appears among the labels. */
static double ovr_auc(size_t n, const double *labels, size_t cols, const double *scores)
{
    double *bin = malloc((n + 1) * sizeof *bin);
    if (bin == NULL)
        return NAN;
    double sum = 0;
    for (size_t c = 0; c < cols && !isnan(sum); c++) {
        for (size_t i = 0; i < n; i++)
            bin[i] = (int)labels[i] == (int)c ? 1.0 : 0.0;
        sum += perf_roc_auc(n, bin, scores + c, cols);
    }
    free(bin);
    return sum / (double)cols;
}

static bool classification(feedback_task task, int positive_class, size_t n, const double *labels,
                           size_t cols, const double *scores, perf_result *out)
{
    int *pred = malloc((n + 1) * sizeof *pred);
    if (pred == NULL)
        return false;
    double correct = 0, tp = 0, fp = 0, fn = 0;
    for (size_t i = 0; i < n; i++) {
        pred[i] = predicted(task, cols, scores + i * cols);
        int y = (int)labels[i];
        correct += pred[i] == y;
        tp += y == positive_class && pred[i] == positive_class;
        fp += y != positive_class && pred[i] == positive_class;
        fn += y == positive_class && pred[i] != positive_class;
    }
    out->accuracy = correct / (double)n;
    if (task == FEEDBACK_TASK_BINARY) {
        prf(tp, fp, fn, &out->precision, &out->recall, &out->f1);
        out->roc_auc = perf_roc_auc(n, labels, scores + (cols >= 2), cols);
        out->log_loss = log_loss(task, n, labels, cols, scores);
    } else {
        macro_prf(n, labels, pred, out);
        if (cols > 1) {
            out->roc_auc = ovr_auc(n, labels, cols, scores);
            out->log_loss = log_loss(task, n, labels, cols, scores);
        }
    }
    free(pred);
    return true;
}

static void regression(size_t n, const double *labels, size_t cols, const double *scores,
                       perf_result *out)
{
    double abs_sum = 0, sq_sum = 0, mean = 0;
    for (size_t i = 0; i < n; i++)
        mean += labels[i];
    mean /= (double)n;
    double tot = 0;
    for (size_t i = 0; i < n; i++) {
        double e = labels[i] - scores[i * cols];
        abs_sum += fabs(e);
        sq_sum += e * e;
        tot += (labels[i] - mean) * (labels[i] - mean);
    }
    out->mae = abs_sum / (double)n;
    out->rmse = sqrt(sq_sum / (double)n);
    out->r2 = tot != 0 ? 1 - sq_sum / tot : (sq_sum == 0 ? 1.0 : 0.0);
}

bool perf_compute(feedback_task task, int positive_class, size_t n, const double *labels,
                  size_t cols, const double *scores, perf_result *out)
{
    *out = (perf_result){.rows = n,
                         .accuracy = NAN,
                         .precision = NAN,
                         .recall = NAN,
                         .f1 = NAN,
                         .roc_auc = NAN,
                         .log_loss = NAN,
                         .mae = NAN,
                         .rmse = NAN,
                         .r2 = NAN};
    if (n == 0 || cols == 0 || task == FEEDBACK_TASK_NONE)
        return true;
    if (task == FEEDBACK_TASK_REGRESSION) {
        regression(n, labels, cols, scores, out);
        return true;
    }
    return classification(task, positive_class, n, labels, cols, scores, out);
}
