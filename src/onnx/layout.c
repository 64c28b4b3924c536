/* Choosing channels-last layouts for a plan's tensors; see layout.h. */
#include "onnx/layout.h"

#include <stdlib.h>

bool onnx_layout_same_bytes(const ferry_tensor *t)
{
    if (t->ndim < 3 || t->shape[1] == 1)
        return true;
    int64_t vol = 1;
    for (int d = 2; d < t->ndim; d++)
        vol *= t->shape[d];
    return vol == 1;
}

/* The working state of one choice: what each step offers, the step computing each node (-1 for
 * views), and per value whether it may be and whether it gains from being channels-last. */
typedef struct layout_state {
    onnx_plan *p;
    unsigned *caps; /* per step */
    int *step_of;   /* per node */
    bool *cl;       /* per value: channels-last */
    bool *useful;   /* per value */
} layout_state;

static int in0(const onnx_plan_step *s)
{
    return s->node->n_inputs > 0 ? s->node->inputs[0] : -1;
}

static int out0(const onnx_plan_step *s)
{
    return s->node->n_outputs > 0 ? s->node->outputs[0] : -1;
}

/* Values a step could write channels-last, then those some node reads otherwise: as another
 * input than 0, through a view, or in a step that cannot. Graph outputs stay NCHW. */
static void candidates(layout_state *ls)
{
    onnx_plan *p = ls->p;
    const onnx_graph *g = p->g;
    for (size_t s = 0; s < p->n_steps; s++) {
        int v = out0(&p->steps[s]);
        if (v >= 0 && (ls->caps[s] & ONNX_LAYOUT_OUT) && !onnx_layout_same_bytes(&p->tensors[v]))
            ls->cl[v] = true;
    }
    for (size_t i = 0; i < g->n_outputs; i++)
        ls->cl[g->outputs[i]] = false;
    for (size_t i = 0; i < g->n_nodes; i++) {
        const onnx_node *n = &g->nodes[i];
        if (n->folded)
            continue;
        int s = ls->step_of[i];
        for (size_t k = 0; k < n->n_inputs; k++)
            if (n->inputs[k] >= 0 && (s < 0 || k > 0 || !(ls->caps[s] & ONNX_LAYOUT_IN)))
                ls->cl[n->inputs[k]] = false;
    }
}

/* Steps that pass the layout through keep both sides channels-last or neither; `flag` is cl or
 * useful. When `drop`, a side that is not makes the other not; else one that is makes the other.
 * Repeats until nothing changes (each pass only clears, or only sets). */
static void tie_same(layout_state *ls, bool *flag, bool drop)
{
    onnx_plan *p = ls->p;
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t s = 0; s < p->n_steps; s++) {
            int a = in0(&p->steps[s]), b = out0(&p->steps[s]);
            if (!(ls->caps[s] & ONNX_LAYOUT_SAME) || a < 0 || b < 0 || flag[a] == flag[b])
                continue;
            if (!drop && !(ls->cl[a] && ls->cl[b]))
                continue;
            flag[a] = flag[b] = !drop;
            changed = true;
        }
    }
}

/* A channels-last value is kept when an op on its chain gains: its producer or a reader wants
 * the layout, or a value tied to it through a SAME step is kept. */
static void keep_useful(layout_state *ls)
{
    onnx_plan *p = ls->p;
    for (size_t s = 0; s < p->n_steps; s++) {
        if (!(ls->caps[s] & ONNX_LAYOUT_WANTS))
            continue;
        int a = in0(&p->steps[s]), b = out0(&p->steps[s]);
        if (a >= 0 && (ls->caps[s] & ONNX_LAYOUT_IN))
            ls->useful[a] = true;
        if (b >= 0 && (ls->caps[s] & ONNX_LAYOUT_OUT))
            ls->useful[b] = true;
    }
    tie_same(ls, ls->useful, false);
    for (size_t v = 0; v < p->g->n_values; v++)
        ls->cl[v] = ls->cl[v] && ls->useful[v];
}

/* Each step's chosen layout, and its scratch at that layout. */
static void apply(layout_state *ls)
{
    onnx_plan *p = ls->p;
    for (size_t s = 0; s < p->n_steps; s++) {
        onnx_plan_step *step = &p->steps[s];
        int a = in0(step), b = out0(step);
        unsigned layout = (a >= 0 && ls->cl[a] ? ONNX_LAYOUT_IN : 0) |
                          (b >= 0 && ls->cl[b] ? ONNX_LAYOUT_OUT : 0);
        if (layout == 0)
            continue;
        step->ctx.layout = layout;
        step->ctx.scratch_size =
            step->node->op->plan != NULL ? step->node->op->plan(&step->ctx) : 0;
    }
    for (size_t v = 0; v < p->g->n_values; v++)
        p->n_channels_last += ls->cl[v];
}

ferry_status onnx_layout_choose(onnx_plan *p, ferry_error *err)
{
    const onnx_graph *g = p->g;
    p->channels_last = arena_alloc(&p->mem, g->n_values + 1);
    layout_state ls = {.p = p,
                       .caps = calloc(p->n_steps + 1, sizeof *ls.caps),
                       .step_of = malloc((g->n_nodes + 1) * sizeof *ls.step_of),
                       .cl = p->channels_last,
                       .useful = calloc(g->n_values + 1, sizeof *ls.useful)};
    ferry_status st = FERRY_OK;
    if (p->channels_last == NULL || ls.caps == NULL || ls.step_of == NULL || ls.useful == NULL)
        st = ferry_error_set(err, FERRY_NO_MEMORY, "planning: out of memory");
    if (st == FERRY_OK) {
        for (size_t v = 0; v < g->n_values; v++)
            ls.cl[v] = false;
        for (size_t i = 0; i < g->n_nodes; i++)
            ls.step_of[i] = -1;
        for (size_t s = 0; s < p->n_steps; s++) {
            const onnx_plan_step *step = &p->steps[s];
            ls.step_of[step->node - g->nodes] = (int)s;
            if (!g->plain_layout && step->node->op->layouts != NULL)
                ls.caps[s] = step->node->op->layouts(&step->ctx);
        }
        candidates(&ls);
        tie_same(&ls, ls.cl, true);
        keep_useful(&ls);
        apply(&ls);
    }
    free(ls.caps);
    free(ls.step_of);
    free(ls.useful);
    return st;
}
