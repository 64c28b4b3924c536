/* The table of ONNX operators ferry runs, keyed by (domain, op type, since-version): a model that
 * imports opset V of a domain gets, for each op type, the registered version with the largest
 * since-version <= V. Adding an op is one file in ops/ and one row in op_registry.c. */
#ifndef FERRY_ONNX_OP_REGISTRY_H
#define FERRY_ONNX_OP_REGISTRY_H

#include <stddef.h>

#include "onnx/op.h"

/* The descriptor serving (domain, op_type) at `opset`, or NULL. `domain` is normalized ("" for
 * ai.onnx). */
const onnx_op *onnx_op_find(const char *domain, const char *op_type, int64_t opset);

/* Binds node->op; fails with UNSUPPORTED naming the op type, domain, opset and node when no
 * registered version serves it, or INVALID_ARG when its input or output count is wrong. */
ferry_status onnx_op_bind(onnx_node *node, ferry_error *err) FERRY_MUST_CHECK;

/* Every registered descriptor, in table order; *n gets the count. */
const onnx_op *const *onnx_op_all(size_t *n);

#endif
