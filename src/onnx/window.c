/* Window attributes and output sizes; see window.h. */
#include "onnx/window.h"

#include <string.h>

/* Copies an ints attribute of `rank` (or 2*rank for pads) positive or non-negative values. */
static ferry_status read_ints(const onnx_node *n, const char *name, int64_t min, int64_t *dst,
                              int *count, bool *present, ferry_error *err)
{
    const int64_t *v;
    size_t len;
    ferry_status st = onnx_attr_ints(n, name, &v, &len, err);
    if (st != FERRY_OK)
        return st;
    *present = v != NULL;
    if (len > 2 * ONNX_WINDOW_MAX_DIMS)
        return onnx_node_error(err, FERRY_UNSUPPORTED, n,
                               "'%s' has %zu values; at most %d "
                               "spatial dimensions are supported",
                               name, len, ONNX_WINDOW_MAX_DIMS);
    for (size_t i = 0; i < len; i++) {
        if (v[i] < min)
            return onnx_node_error(err, FERRY_INVALID_ARG, n, "'%s' holds %lld", name,
                                   (long long)v[i]);
        dst[i] = v[i];
    }
    *count = (int)len;
    return FERRY_OK;
}

static ferry_status parse_auto_pad(const onnx_node *n, onnx_window *w, ferry_error *err)
{
    const char *s;
    ferry_status st = onnx_attr_string(n, "auto_pad", "NOTSET", &s, err);
    if (st != FERRY_OK)
        return st;
    if (strcmp(s, "NOTSET") == 0 || s[0] == '\0')
        w->auto_pad = ONNX_PAD_NOTSET;
    else if (strcmp(s, "VALID") == 0)
        w->auto_pad = ONNX_PAD_VALID;
    else if (strcmp(s, "SAME_UPPER") == 0)
        w->auto_pad = ONNX_PAD_SAME_UPPER;
    else if (strcmp(s, "SAME_LOWER") == 0)
        w->auto_pad = ONNX_PAD_SAME_LOWER;
    else
        return onnx_node_error(err, FERRY_INVALID_ARG, n, "unknown auto_pad '%s'", s);
    return FERRY_OK;
}

ferry_status onnx_window_parse(const onnx_node *n, onnx_window *w, ferry_error *err)
{
    memset(w, 0, sizeof *w);
    int nk = 0, ns = 0, nd = 0, np = 0;
    int64_t ceil_mode = 0;
    ferry_status st = read_ints(n, "kernel_shape", 1, w->kernel, &nk, &w->has_kernel, err);
    if (st == FERRY_OK)
        st = read_ints(n, "strides", 1, w->strides, &ns, &w->has_strides, err);
    if (st == FERRY_OK)
        st = read_ints(n, "dilations", 1, w->dilations, &nd, &w->has_dilations, err);
    if (st == FERRY_OK)
        st = read_ints(n, "pads", 0, w->pads, &np, &w->has_pads, err);
    if (st == FERRY_OK)
        st = parse_auto_pad(n, w, err);
    if (st == FERRY_OK)
        st = onnx_attr_int(n, "ceil_mode", 0, &ceil_mode, err);
    if (st != FERRY_OK)
        return st;
    w->ceil_mode = ceil_mode != 0;
    w->rank = nk;
    w->n_strides = ns;
    w->n_dilations = nd;
    w->n_pads = np;
    if (nk > ONNX_WINDOW_MAX_DIMS)
        return onnx_node_error(err, FERRY_UNSUPPORTED, n,
                               "%d spatial dimensions; at most %d are supported", nk,
                               ONNX_WINDOW_MAX_DIMS);
    if ((w->has_kernel && ((ns && ns != nk) || (nd && nd != nk) || (np && np != 2 * nk))) ||
        (np % 2) != 0)
        return onnx_node_error(err, FERRY_INVALID_ARG, n,
                               "kernel_shape, strides, dilations and pads disagree in length");
    return FERRY_OK;
}

/* Output size of one dimension and its leading pad. */
static bool plan_dim(const onnx_window *w, int d, int rank, onnx_window_dim *o)
{
    int64_t span = o->dilation * (o->kernel - 1) + 1;
    if (w->auto_pad == ONNX_PAD_SAME_UPPER || w->auto_pad == ONNX_PAD_SAME_LOWER) {
        o->out = (o->in + o->stride - 1) / o->stride;
        int64_t total = (o->out - 1) * o->stride + span - o->in;
        total = total > 0 ? total : 0;
        o->pad_begin = w->auto_pad == ONNX_PAD_SAME_UPPER ? total / 2 : total - total / 2;
        o->pad_end = total - o->pad_begin;
        return o->out >= 0;
    }
    int64_t begin = 0, end = 0;
    if (w->auto_pad == ONNX_PAD_NOTSET && w->has_pads) {
        begin = w->pads[d];
        end = w->pads[d + rank];
    }
    o->pad_begin = begin;
    o->pad_end = end;
    int64_t room = o->in + begin + end - span;
    if (room < 0)
        return false;
    o->out = (w->ceil_mode ? (room + o->stride - 1) / o->stride : room / o->stride) + 1;
    /* As ONNX's reference: a last window that starts in the trailing padding is dropped. */
    if (w->ceil_mode && (o->out - 1) * o->stride >= o->in + begin)
        o->out--;
    return true;
}

ferry_status onnx_window_check_rank(const onnx_node *n, const onnx_window *w, int rank,
                                    ferry_error *err)
{
    if (rank < 1 || rank > ONNX_WINDOW_MAX_DIMS || (w->has_kernel && w->rank != rank))
        return onnx_node_error(err,
                               rank > ONNX_WINDOW_MAX_DIMS ? FERRY_UNSUPPORTED : FERRY_INVALID_ARG,
                               n, "input has %d spatial dimensions; the window %d", rank, w->rank);
    if ((w->n_strides && w->n_strides != rank) || (w->n_dilations && w->n_dilations != rank) ||
        (w->n_pads && w->n_pads != 2 * rank))
        return onnx_node_error(err, FERRY_INVALID_ARG, n,
                               "strides, dilations, pads or kernel_shape do not match the input's "
                               "%d spatial dimensions",
                               rank);
    return FERRY_OK;
}

ferry_status onnx_window_plan(const onnx_node *n, const onnx_window *w, int rank, const int64_t *in,
                              const int64_t *kernel, onnx_window_dim *dims, ferry_error *err)
{
    ferry_status st = onnx_window_check_rank(n, w, rank, err);
    if (st != FERRY_OK)
        return st;
    if (!w->has_kernel && kernel == NULL)
        return onnx_node_error(err, FERRY_INVALID_ARG, n,
                               "strides, dilations, pads or kernel_shape do not match the input's "
                               "%d spatial dimensions",
                               rank);
    for (int d = 0; d < rank; d++) {
        onnx_window_dim *o = &dims[d];
        o->in = in[d];
        o->kernel = w->has_kernel ? w->kernel[d] : kernel[d];
        o->stride = w->n_strides ? w->strides[d] : 1; /* an empty list means the default */
        o->dilation = w->n_dilations ? w->dilations[d] : 1;
        if (!plan_dim(w, d, rank, o))
            return onnx_node_error(err, FERRY_INVALID_ARG, n,
                                   "a window of %lld (dilation %lld) does not fit spatial "
                                   "dimension %d of size %lld with its padding",
                                   (long long)o->kernel, (long long)o->dilation, d,
                                   (long long)o->in);
    }
    return FERRY_OK;
}

void onnx_window_geom_set(onnx_window_geom *g, int rank, const onnx_window_dim *dims)
{
    int lead = ONNX_WINDOW_MAX_DIMS - rank;
    g->rank = rank;
    g->in_vol = g->out_vol = g->k_vol = 1;
    for (int i = 0; i < ONNX_WINDOW_MAX_DIMS; i++) {
        g->d[i] = i < lead ? (onnx_window_dim){1, 1, 1, 1, 1, 0, 0} : dims[i - lead];
        g->in_vol *= g->d[i].in;
        g->out_vol *= g->d[i].out;
        g->k_vol *= g->d[i].kernel;
    }
}

ferry_status onnx_window_geometry(const onnx_node *n, const onnx_window *w, const ferry_tensor *x,
                                  const int64_t *kernel, onnx_window_geom *g, ferry_error *err)
{
    if (x->ndim < 3)
        return onnx_node_error(err, FERRY_INVALID_ARG, n, "input rank %d; expected N+2 with N >= 1",
                               x->ndim);
    onnx_window_dim dims[ONNX_WINDOW_MAX_DIMS];
    int rank = x->ndim - 2;
    ferry_status st = onnx_window_plan(n, w, rank, x->shape + 2, kernel, dims, err);
    if (st != FERRY_OK)
        return st;
    g->n = x->shape[0];
    g->c = x->shape[1];
    onnx_window_geom_set(g, rank, dims);
    return FERRY_OK;
}

void onnx_window_out_shape(const onnx_window_geom *g, int64_t n, int64_t c, int64_t *shape)
{
    shape[0] = n;
    shape[1] = c;
    for (int i = 0; i < g->rank; i++)
        shape[2 + i] = g->d[ONNX_WINDOW_MAX_DIMS - g->rank + i].out;
}
