/* Which profile column feeds which model feature: the model's features are the columns of its one
 * 2-D input ([rows, F], named by the model's feature names when it has them) or its inputs of one
 * value per row (named by the input names). Profile columns map to them by name when every model
 * feature has a same-named profile column, else by position when the profile has exactly as many
 * feature columns as the model has features, else not at all. The label never maps; profile
 * columns that are not model inputs are left out. */
#ifndef FERRY_MONITOR_FEATURE_MAP_H
#define FERRY_MONITOR_FEATURE_MAP_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/backend.h"
#include "monitor/profile.h"

/* Where a feature's values sit: column `column` of `width` in input `input`. */
typedef struct feature_slot {
    size_t input;
    size_t column;
    size_t width;
} feature_slot;

typedef enum feature_map_how {
    FEATURE_MAP_NONE,
    FEATURE_MAP_NAME,
    FEATURE_MAP_POSITION
} feature_map_how;

typedef struct feature_map {
    size_t n;            /* model features */
    feature_slot *slots; /* n entries */
    int64_t *column;     /* n entries: the profile column index, or -1 */
    feature_map_how how;
} feature_map;

/* "none", "name", "position". */
const char *feature_map_how_name(feature_map_how how);

/* Maps p's columns onto io's features into *out (zeroed first). A model whose inputs are not of
 * one of the two shapes above has no features (n = 0, how NONE). Fails only with NO_MEMORY. Free
 * with feature_map_free. */
ferry_status feature_map_build(const ferry_model_io *io, const profile *p, feature_map *out,
                               ferry_error *err) FERRY_MUST_CHECK;

/* Element i of t as a double: FP32, FP64, INT32 and INT64 data; NaN for an element past the data
 * or a dtype that is not read (then false). Inline: drift reads every feature of every row. */
static inline bool feature_value_at(const ferry_tensor *t, size_t i, double *out)
{
    if (t->data != NULL)
        switch (t->dtype) {
        case FERRY_DTYPE_FP32:
            if (i < t->nbytes / sizeof(float)) {
                *out = ((const float *)t->data)[i];
                return true;
            }
            break;
        case FERRY_DTYPE_FP64:
            if (i < t->nbytes / sizeof(double)) {
                *out = ((const double *)t->data)[i];
                return true;
            }
            break;
        case FERRY_DTYPE_INT32:
            if (i < t->nbytes / sizeof(int32_t)) {
                *out = ((const int32_t *)t->data)[i];
                return true;
            }
            break;
        case FERRY_DTYPE_INT64:
            if (i < t->nbytes / sizeof(int64_t)) {
                *out = (double)((const int64_t *)t->data)[i];
                return true;
            }
            break;
        default:
            break;
        }
    *out = NAN;
    return false;
}

/* Frees what the map holds. Accepts a zeroed map. */
void feature_map_free(feature_map *m);

#endif
