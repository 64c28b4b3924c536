/* Sample rows around an ensemble's splits; see sample.h. */
#include "trees/sample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Category values taken from one set at most, so that a huge set does not crowd out the rest. */
#define MAX_CATEGORIES_PER_SET 64

/* Candidate values per feature in one array: feature f owns values[start[f] .. start[f+1]). */
typedef struct candidates {
    size_t *start; /* n_features + 1 */
    float *values;
} candidates;

static uint64_t next_random(uint64_t *s)
{
    /* splitmix64 */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Writes split node n's candidate values to out (when not NULL); returns how many it has. */
static size_t node_candidates(const tree_ensemble *e, const tree_node *n, float *out)
{
    tree_cmp cmp = tree_node_cmp(n);
    size_t k = 0;
    if (cmp == TREE_CMP_IN_CATS) {
        const uint32_t *set = e->sets + n->set;
        for (uint32_t w = 0; w < set[0] && k < MAX_CATEGORIES_PER_SET; w++)
            for (uint32_t b = 0; b < 32 && k < MAX_CATEGORIES_PER_SET; b++)
                if (set[1 + w] >> b & 1u) {
                    if (out)
                        out[k] = (float)(w * 32 + b);
                    k++;
                }
        if (out) { /* just past the set, and no category at all */
            out[k] = (float)(set[0] * 32);
            out[k + 1] = -1.0f;
        }
        return k + 2;
    }
    if (cmp == TREE_CMP_IN_SET) {
        const uint32_t *set = e->sets + n->set;
        for (uint32_t i = 0; i < set[0] && k < MAX_CATEGORIES_PER_SET; i++, k++)
            if (out)
                memcpy(&out[k], &set[1 + i], sizeof *out);
        return k;
    }
    if (out) {
        out[0] = n->value;
        out[1] = nextafterf(n->value, -INFINITY);
        out[2] = nextafterf(n->value, INFINITY);
    }
    return 3;
}

/* Two passes over the split nodes: count per feature, then fill. */
static ferry_status gather(const tree_ensemble *e, candidates *c, ferry_error *err)
{
    size_t nf = e->n_features;
    c->start = calloc(nf + 1, sizeof *c->start);
    if (c->start == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory for sample rows");
    for (size_t i = 0; i < e->n_nodes; i++)
        if (!tree_node_is_leaf(&e->nodes[i]))
            c->start[tree_node_feature(&e->nodes[i]) + 1] += node_candidates(e, &e->nodes[i], NULL);
    for (size_t f = 0; f < nf; f++)
        c->start[f + 1] += c->start[f];
    c->values = malloc((c->start[nf] ? c->start[nf] : 1) * sizeof *c->values);
    size_t *fill = calloc(nf, sizeof *fill);
    if (c->values == NULL || fill == NULL) {
        free(fill);
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory for sample rows");
    }
    for (size_t i = 0; i < e->n_nodes; i++) {
        const tree_node *n = &e->nodes[i];
        if (tree_node_is_leaf(n))
            continue;
        size_t f = tree_node_feature(n);
        fill[f] += node_candidates(e, n, c->values + c->start[f] + fill[f]);
    }
    free(fill);
    return FERRY_OK;
}

static float pick(const candidates *c, size_t f, size_t k)
{
    size_t n = c->start[f + 1] - c->start[f];
    return n ? c->values[c->start[f] + k % n] : 0.0f;
}

ferry_status tree_sample_rows(const tree_ensemble *e, uint64_t seed, size_t n_rows, float *x,
                              ferry_error *err)
{
    candidates c = {0};
    ferry_status st = gather(e, &c, err);
    size_t nf = e->n_features, half = n_rows / 2;
    for (size_t r = 0; st == FERRY_OK && r < n_rows; r++) {
        float *row = x + r * nf;
        for (size_t f = 0; f < nf; f++) {
            uint64_t u = next_random(&seed);
            if (r == 0)
                row[f] = NAN;
            else if (r == 1)
                row[f] = 0.0f;
            else if (r < half)
                row[f] = pick(&c, f, r - 2 + f);
            else
                row[f] = u % 10 == 0 ? NAN : u % 20 == 1 ? 0.0f : pick(&c, f, (size_t)(u >> 8));
        }
    }
    free(c.start);
    free(c.values);
    return st;
}
