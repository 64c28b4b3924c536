/* Sliding-window geometry shared by Conv, ConvTranspose and the pooling ops: kernel, strides,
 * dilations and pads (explicit or from auto_pad) read from a node's attributes at load; the output
 * size and leading pads worked out for an input's spatial dimensions (ceil_mode included); those
 * dimensions padded to 3, so that one loop nest serves 1-D to 3-D; and the ranges of kernel
 * offsets and outputs that stay inside the input. Up to 3 spatial dimensions. */
#ifndef FERRY_ONNX_WINDOW_H
#define FERRY_ONNX_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

#include "onnx/graph.h"

#define ONNX_WINDOW_MAX_DIMS 3

typedef enum onnx_auto_pad {
    ONNX_PAD_NOTSET,
    ONNX_PAD_VALID,
    ONNX_PAD_SAME_UPPER,
    ONNX_PAD_SAME_LOWER,
} onnx_auto_pad;

typedef struct onnx_window {
    int rank;        /* spatial dimensions, 0 until known (from kernel_shape or weights) */
    bool has_kernel; /* kernel_shape given */
    int64_t kernel[ONNX_WINDOW_MAX_DIMS];
    int64_t strides[ONNX_WINDOW_MAX_DIMS];
    int64_t dilations[ONNX_WINDOW_MAX_DIMS];
    int64_t pads[2 * ONNX_WINDOW_MAX_DIMS]; /* begins then ends, as ONNX lists them */
    bool has_pads, has_strides, has_dilations;
    int n_strides, n_dilations, n_pads; /* values given */
    onnx_auto_pad auto_pad;
    bool ceil_mode;
} onnx_window;

/* One spatial dimension of a planned window. pad_end is the trailing padding asked for (explicit
 * or from auto_pad), not counting what ceil_mode adds: AveragePool's count_include_pad counts
 * only the former. */
typedef struct onnx_window_dim {
    int64_t in, out, kernel, stride, dilation, pad_begin, pad_end;
} onnx_window_dim;

/* Reads kernel_shape, strides, dilations, pads, auto_pad and ceil_mode; fails naming the node for
 * bad values or more than 3 spatial dimensions. */
ferry_status onnx_window_parse(const onnx_node *n, onnx_window *w,
                               ferry_error *err) FERRY_MUST_CHECK;

/* Works out each spatial dimension for input dims `in[0..rank)` and the kernel `kernel` (from the
 * weights when the node gives no kernel_shape, else NULL). Fails naming the node when the window
 * does not fit or ranks disagree. */
ferry_status onnx_window_plan(const onnx_node *n, const onnx_window *w, int rank, const int64_t *in,
                              const int64_t *kernel, onnx_window_dim *dims,
                              ferry_error *err) FERRY_MUST_CHECK;

/* A window planned over an input [N, C, D1..Dr]: its spatial dimensions padded to 3 with leading
 * dimensions of size 1, and their volumes. */
typedef struct onnx_window_geom {
    int rank;     /* the input's spatial dimensions */
    int64_t n, c; /* the input's batch and channels */
    onnx_window_dim d[ONNX_WINDOW_MAX_DIMS];
    int64_t in_vol, out_vol, k_vol;
} onnx_window_geom;

/* Fails naming the node unless strides, dilations and pads (when given) have `rank` values (pads
 * 2 * rank), and kernel_shape (when given) too. */
ferry_status onnx_window_check_rank(const onnx_node *n, const onnx_window *w, int rank,
                                    ferry_error *err) FERRY_MUST_CHECK;

/* Sets g's spatial dimensions from `rank` planned ones (padded to 3) and their volumes; g->n and
 * g->c are left as they are. */
void onnx_window_geom_set(onnx_window_geom *g, int rank, const onnx_window_dim *dims);

/* The geometry of window w over x [N, C, spatial...], the kernel from kernel_shape or, when the
 * node gives none, from `kernel` (Conv's weights). Fails naming the node when x has fewer than 3
 * dimensions or the window does not fit (onnx_window_plan). */
ferry_status onnx_window_geometry(const onnx_node *n, const onnx_window *w, const ferry_tensor *x,
                                  const int64_t *kernel, onnx_window_geom *g,
                                  ferry_error *err) FERRY_MUST_CHECK;

/* The output shape [n, c, out...], g->rank + 2 dimensions, into shape. */
void onnx_window_out_shape(const onnx_window_geom *g, int64_t n, int64_t c, int64_t *shape);

/* The kernel offsets [*lo, *hi) at which output o's input index, o * stride - pad_begin + k *
 * dilation, lies in [from, to); [0, in) for the offsets that stay inside the input. */
static inline void onnx_window_taps(const onnx_window_dim *d, int64_t o, int64_t from, int64_t to,
                                    int64_t *lo, int64_t *hi)
{
    int64_t base = o * d->stride - d->pad_begin; /* input index of kernel offset 0 */
    if (base >= from && base + (d->kernel - 1) * d->dilation < to) { /* inside: no division */
        *lo = 0;
        *hi = d->kernel;
        return;
    }
    int64_t a = from - base, b = to - base; /* offsets k * dilation in [a, b) */
    *lo = a <= 0 ? 0 : (a + d->dilation - 1) / d->dilation;
    *hi = b <= 0 ? 0 : (b + d->dilation - 1) / d->dilation;
    *hi = *hi < d->kernel ? *hi : d->kernel;
    *lo = *lo < *hi ? *lo : *hi;
}

/* The outputs [*lo, *hi) whose input index at kernel offset k lies inside [0, in). */
static inline void onnx_window_outputs(const onnx_window_dim *d, int64_t k, int64_t *lo,
                                       int64_t *hi)
{
    int64_t off = k * d->dilation - d->pad_begin; /* input index of output 0 */
    *lo = off >= 0 ? 0 : (-off + d->stride - 1) / d->stride;
    *hi = d->in - off <= 0 ? 0 : (d->in - off + d->stride - 1) / d->stride;
    *hi = *hi < d->out ? *hi : d->out;
    *lo = *lo < *hi ? *lo : *hi;
}

#endif
