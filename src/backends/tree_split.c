/* Splitting one tree-ensemble prediction over a pool's threads; see tree_split.h. */
#include "backends/tree_split.h"

#include <pthread.h>
#include <stdlib.h>

#include "onnx/pool.h"
#include "trees/predict.h"

struct tree_split {
    onnx_pool *pool;
    pthread_mutex_t busy; /* held by the one call using the pool; others run alone */
};

/* One call's arguments, shared by its slices. */
typedef struct split_job {
    const tree_ensemble *e;
    const float *x;
    float *out;
    size_t n_rows;
    size_t rows_per_slice; /* a multiple of TREE_BLOCK_ROWS */
    size_t width;          /* output values per row */
    bool margin;
} split_job;

ferry_status tree_split_create(int threads, tree_split **out, ferry_error *err)
{
    *out = NULL;
    if (threads < 2 || threads > ONNX_POOL_MAX_THREADS)
        return ferry_error_set(err, FERRY_INVALID_ARG, "tree_split: %d threads (2 to %d)", threads,
                               ONNX_POOL_MAX_THREADS);
    tree_split *s = calloc(1, sizeof *s);
    if (s == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "tree_split: out of memory");
    if (pthread_mutex_init(&s->busy, NULL) != 0) {
        free(s);
        return ferry_error_set(err, FERRY_INTERNAL, "tree_split: cannot create a mutex");
    }
    ferry_status st = onnx_pool_create(threads, &s->pool, err);
    if (st != FERRY_OK) {
        pthread_mutex_destroy(&s->busy);
        free(s);
        return st;
    }
    *out = s;
    return FERRY_OK;
}

void tree_split_destroy(tree_split *s)
{
    if (s == NULL)
        return;
    onnx_pool_destroy(s->pool);
    pthread_mutex_destroy(&s->busy);
    free(s);
}

int tree_split_threads_for(const tree_split *s, const tree_ensemble *e, size_t n_rows)
{
    if (s == NULL || e->n_trees == 0)
        return 1;
    size_t work = n_rows * e->n_trees;
    size_t blocks = (n_rows + TREE_BLOCK_ROWS - 1) / TREE_BLOCK_ROWS;
    size_t n = (size_t)onnx_pool_threads(s->pool);
    while (n > 1 && (work / n < TREE_SPLIT_MIN_WORK || blocks < n))
        n--;
    return (int)n;
}

static void run_slice(void *arg, int ith, int nth)
{
    (void)nth;
    const split_job *j = arg;
    size_t lo = (size_t)ith * j->rows_per_slice;
    if (lo >= j->n_rows)
        return;
    size_t hi = lo + j->rows_per_slice < j->n_rows ? lo + j->rows_per_slice : j->n_rows;
    tree_predict(j->e, j->x + lo * j->e->n_features, hi - lo, j->out + lo * j->width, j->margin);
}

void tree_split_predict(tree_split *s, const tree_ensemble *e, const float *x, size_t n_rows,
                        float *out, bool margin)
{
    int nth = tree_split_threads_for(s, e, n_rows);
    if (nth < 2 || pthread_mutex_trylock(&s->busy) != 0) {
        tree_predict(e, x, n_rows, out, margin);
        return;
    }
    size_t blocks = (n_rows + TREE_BLOCK_ROWS - 1) / TREE_BLOCK_ROWS;
    split_job j = {.e = e,
                   .x = x,
                   .out = out,
                   .n_rows = n_rows,
                   .rows_per_slice = (blocks + (size_t)nth - 1) / (size_t)nth * TREE_BLOCK_ROWS,
                   .width = tree_ensemble_output_width(e, margin),
                   .margin = margin};
    onnx_pool_run(s->pool, run_slice, &j, nth);
    pthread_mutex_unlock(&s->busy);
}
