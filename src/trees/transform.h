/* Post-transforms: what turns a row's margins into the values a tree model predicts, computed as
 * the model's own runtime does (XGBoost's float sigmoid and softmax, ONNX Runtime's softmax_zero
 * and probit). */
#ifndef FERRY_TREES_TRANSFORM_H
#define FERRY_TREES_TRANSFORM_H

#include <stddef.h>

#include "trees/ensemble.h"

/* Applies `t` to n_rows rows of n_outputs margins (row-major) and writes each row's values to out:
 * n_outputs values per row, or 1 for TREE_TRANSFORM_ARGMAX. `out` may be `margins` itself (each row
 * is read before its values are written, and a row's values never reach past its margins). Never
 * allocates. */
void tree_transform_rows(tree_transform t, const float *margins, size_t n_rows, size_t n_outputs,
                         float *out);

#endif
