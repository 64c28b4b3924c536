/* Sliding-window geometry shared by Conv and the pooling ops: kernel, strides, dilations and pads
 * (explicit or from auto_pad) read from a node's attributes at load, and the output size and
 * leading pads worked out for an input's spatial dimensions (ceil_mode included). Up to 3 spatial
 * dimensions. */
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

#endif
