/* Pass: removes Identity nodes and Dropout nodes that surely run in inference mode (no
 * training_mode input, or a constant false) and whose mask is unread. Their consumers read the
 * input instead. When the output is a graph output its name must stay: the node that computes
 * the input then computes the output under that name, provided nothing else sees the input;
 * otherwise the node stays (an Identity costs nothing: the planner makes it a view). */
#include "onnx/op.h"
#include "onnx/optimize/passes.h"

static bool dropout_removable(const onnx_rewrite *rw, const onnx_node *n)
{
    const onnx_graph *g = rw->g;
    int training = n->n_inputs > 2 ? n->inputs[2] : -1;
    if (training >= 0) {
        const ferry_tensor *t = &g->values[training].type;
        if (g->values[training].kind != ONNX_VALUE_CONSTANT || t->dtype != FERRY_DTYPE_BOOL ||
            t->data == NULL || onnx_numel(t) != 1 || *(const uint8_t *)t->data != 0)
            return false;
    }
    int mask = n->n_outputs > 1 ? n->outputs[1] : -1;
    return mask < 0 || (!g->values[mask].is_output && rw->uses[mask] == 0);
}

/* Makes node n's output a graph output computed by the producer of its input; false when that
 * input is not a node output seen by n alone. */
static bool move_output(onnx_rewrite *rw, onnx_node *n, int x, int y)
{
    onnx_graph *g = rw->g;
    const onnx_value *xv = &g->values[x];
    if (xv->kind != ONNX_VALUE_NODE_OUTPUT || xv->producer < 0 || xv->is_output || rw->uses[x] != 1)
        return false;
    onnx_node *p = onnx_rewrite_node(rw, (size_t)xv->producer, NULL);
    for (size_t k = 0; p != NULL && k < p->n_outputs; k++)
        if (p->outputs[k] == x) {
            onnx_rewrite_remove(rw, n);
            onnx_rewrite_set_output(rw, p, k, y);
            return true;
        }
    return false;
}

/* Removes n (an Identity or Dropout) when its consumers can read its input instead. */
static bool bypass(onnx_rewrite *rw, onnx_node *n)
{
    int x = n->inputs[0], y = n->outputs[0];
    if (x < 0 || y < 0)
        return false;
    if (rw->g->values[y].is_output)
        return move_output(rw, n, x, y);
    onnx_rewrite_replace_uses(rw, y, x);
    onnx_rewrite_remove(rw, n);
    return true;
}

ferry_status onnx_pass_remove_identity(onnx_rewrite *rw, int *count)
{
    *count = 0;
    for (size_t i = 0; i < rw->g->n_nodes; i++) {
        onnx_node *n = onnx_rewrite_node(rw, i, NULL);
        if (n == NULL)
            continue;
        bool candidate = onnx_rewrite_is(n, "Identity") ||
                         (onnx_rewrite_is(n, "Dropout") && dropout_removable(rw, n));
        if (candidate && bypass(rw, n))
            (*count)++;
    }
    return FERRY_OK;
}
