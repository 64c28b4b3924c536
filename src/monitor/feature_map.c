/* Mapping profile columns onto model features; see feature_map.h. */
#include "monitor/feature_map.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *feature_map_how_name(feature_map_how how)
{
    switch (how) {
    case FEATURE_MAP_NAME:
        return "name";
    case FEATURE_MAP_POSITION:
        return "position";
    default:
        return "none";
    }
}

/* True when input i carries one value per row: [rows], [rows, 1] or [1]-like shapes. */
static bool one_per_row(const ferry_tensor_info *t)
{
    return (t->ndim == 1) || (t->ndim == 2 && t->shape[1] == 1);
}

/* The model's feature count and, through *names_from_inputs, whether they are its inputs. */
static size_t count_features(const ferry_model_io *io, bool *names_from_inputs)
{
    *names_from_inputs = false;
    if (io->n_inputs == 1 && io->inputs[0].ndim == 2 && io->inputs[0].shape[1] > 0)
        return (size_t)io->inputs[0].shape[1];
    for (size_t i = 0; i < io->n_inputs; i++)
        if (!one_per_row(&io->inputs[i]))
            return 0;
    *names_from_inputs = io->n_inputs > 0;
    return io->n_inputs;
}

static const char *feature_name(const ferry_model_io *io, bool from_inputs, size_t k)
{
    if (from_inputs)
        return io->inputs[k].name;
    return io->feature_names != NULL && io->n_features > k ? io->feature_names[k] : NULL;
}

/* The index of the non-label column called name, or -1. */
static int64_t feature_column(const profile *p, const char *name)
{
    int64_t j = name != NULL ? profile_find_column(p, name) : -1;
    return j >= 0 && !p->columns[j].label ? j : -1;
}

static void map_columns(const ferry_model_io *io, bool from_inputs, const profile *p,
                        feature_map *m)
{
    bool by_name = m->n > 0;
    for (size_t k = 0; by_name && k < m->n; k++)
        by_name = feature_column(p, feature_name(io, from_inputs, k)) >= 0;
    size_t n_features = 0;
    for (size_t j = 0; j < p->n_columns; j++)
        n_features += !p->columns[j].label;
    bool by_position = !by_name && m->n > 0 && n_features == m->n;
    m->how = by_name ? FEATURE_MAP_NAME : by_position ? FEATURE_MAP_POSITION : FEATURE_MAP_NONE;
    size_t next = 0;
    for (size_t k = 0; k < m->n; k++) {
        m->column[k] = -1;
        if (by_name)
            m->column[k] = feature_column(p, feature_name(io, from_inputs, k));
        while (by_position && p->columns[next].label)
            next++;
        if (by_position)
            m->column[k] = (int64_t)next++;
    }
}

ferry_status feature_map_build(const ferry_model_io *io, const profile *p, feature_map *out,
                               ferry_error *err)
{
    *out = (feature_map){0};
    bool from_inputs = false;
    size_t n = count_features(io, &from_inputs);
    out->slots = calloc(n + 1, sizeof *out->slots);
    out->column = calloc(n + 1, sizeof *out->column);
    if (out->slots == NULL || out->column == NULL) {
        feature_map_free(out);
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory mapping features");
    }
    out->n = n;
    for (size_t k = 0; k < n; k++)
        out->slots[k] = from_inputs ? (feature_slot){.input = k, .column = 0, .width = 1}
                                    : (feature_slot){.input = 0, .column = k, .width = n};
    map_columns(io, from_inputs, p, out);
    return FERRY_OK;
}

void feature_map_free(feature_map *m)
{
    free(m->slots);
    free(m->column);
    *m = (feature_map){0};
}
