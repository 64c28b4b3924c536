/* The operator table and op binding; see op_registry.h. */
#include "onnx/op_registry.h"

#include <string.h>

/* One row per (op, since-version): the descriptor each ops/<op>.c file defines. */
#define ONNX_OP_LIST(X)                                                                            \
    X(onnx_op_abs_6)                                                                               \
    X(onnx_op_add_7)                                                                               \
    X(onnx_op_and_7)                                                                               \
    X(onnx_op_arg_max_1)                                                                           \
    X(onnx_op_arg_min_1)                                                                           \
    X(onnx_op_array_feature_extractor_1)                                                           \
    X(onnx_op_average_pool_1)                                                                      \
    X(onnx_op_batch_normalization_7)                                                               \
    X(onnx_op_binarizer_1)                                                                         \
    X(onnx_op_cast_6)                                                                              \
    X(onnx_op_ceil_6)                                                                              \
    X(onnx_op_clip_6)                                                                              \
    X(onnx_op_clip_11)                                                                             \
    X(onnx_op_concat_4)                                                                            \
    X(onnx_op_constant_1)                                                                          \
    X(onnx_op_constant_of_shape_9)                                                                 \
    X(onnx_op_conv_1)                                                                              \
    X(onnx_op_conv_transpose_1)                                                                    \
    X(onnx_op_div_7)                                                                               \
    X(onnx_op_dropout_7)                                                                           \
    X(onnx_op_elu_6)                                                                               \
    X(onnx_op_equal_7)                                                                             \
    X(onnx_op_erf_9)                                                                               \
    X(onnx_op_exp_6)                                                                               \
    X(onnx_op_expand_8)                                                                            \
    X(onnx_op_flatten_1)                                                                           \
    X(onnx_op_floor_6)                                                                             \
    X(onnx_op_gather_1)                                                                            \
    X(onnx_op_gelu_20)                                                                             \
    X(onnx_op_gemm_7)                                                                              \
    X(onnx_op_global_average_pool_1)                                                               \
    X(onnx_op_global_max_pool_1)                                                                   \
    X(onnx_op_greater_7)                                                                           \
    X(onnx_op_greater_or_equal_12)                                                                 \
    X(onnx_op_hard_sigmoid_6)                                                                      \
    X(onnx_op_identity_1)                                                                          \
    X(onnx_op_imputer_1)                                                                           \
    X(onnx_op_instance_normalization_1)                                                            \
    X(onnx_op_label_encoder_1)                                                                     \
    X(onnx_op_label_encoder_2)                                                                     \
    X(onnx_op_layer_normalization_17)                                                              \
    X(onnx_op_leaky_relu_6)                                                                        \
    X(onnx_op_less_7)                                                                              \
    X(onnx_op_less_or_equal_12)                                                                    \
    X(onnx_op_linear_classifier_1)                                                                 \
    X(onnx_op_linear_regressor_1)                                                                  \
    X(onnx_op_log_6)                                                                               \
    X(onnx_op_log_softmax_1)                                                                       \
    X(onnx_op_log_softmax_13)                                                                      \
    X(onnx_op_matmul_1)                                                                            \
    X(onnx_op_max_6)                                                                               \
    X(onnx_op_max_8)                                                                               \
    X(onnx_op_max_pool_1)                                                                          \
    X(onnx_op_mean_6)                                                                              \
    X(onnx_op_mean_8)                                                                              \
    X(onnx_op_min_6)                                                                               \
    X(onnx_op_min_8)                                                                               \
    X(onnx_op_mul_7)                                                                               \
    X(onnx_op_neg_6)                                                                               \
    X(onnx_op_normalizer_1)                                                                        \
    X(onnx_op_not_1)                                                                               \
    X(onnx_op_one_hot_encoder_1)                                                                   \
    X(onnx_op_or_7)                                                                                \
    X(onnx_op_pad_2)                                                                               \
    X(onnx_op_pad_11)                                                                              \
    X(onnx_op_pad_18)                                                                              \
    X(onnx_op_pad_19)                                                                              \
    X(onnx_op_pow_7)                                                                               \
    X(onnx_op_range_11)                                                                            \
    X(onnx_op_reciprocal_6)                                                                        \
    X(onnx_op_reduce_max_1)                                                                        \
    X(onnx_op_reduce_max_18)                                                                       \
    X(onnx_op_reduce_mean_1)                                                                       \
    X(onnx_op_reduce_mean_18)                                                                      \
    X(onnx_op_reduce_min_1)                                                                        \
    X(onnx_op_reduce_min_18)                                                                       \
    X(onnx_op_reduce_prod_1)                                                                       \
    X(onnx_op_reduce_prod_18)                                                                      \
    X(onnx_op_reduce_sum_1)                                                                        \
    X(onnx_op_reduce_sum_13)                                                                       \
    X(onnx_op_relu_6)                                                                              \
    X(onnx_op_reshape_5)                                                                           \
    X(onnx_op_scaler_1)                                                                            \
    X(onnx_op_selu_6)                                                                              \
    X(onnx_op_shape_1)                                                                             \
    X(onnx_op_sigmoid_6)                                                                           \
    X(onnx_op_size_1)                                                                              \
    X(onnx_op_slice_1)                                                                             \
    X(onnx_op_slice_10)                                                                            \
    X(onnx_op_softmax_1)                                                                           \
    X(onnx_op_softmax_13)                                                                          \
    X(onnx_op_softplus_1)                                                                          \
    X(onnx_op_split_1)                                                                             \
    X(onnx_op_split_13)                                                                            \
    X(onnx_op_split_18)                                                                            \
    X(onnx_op_sqrt_6)                                                                              \
    X(onnx_op_squeeze_1)                                                                           \
    X(onnx_op_squeeze_13)                                                                          \
    X(onnx_op_sub_7)                                                                               \
    X(onnx_op_sum_6)                                                                               \
    X(onnx_op_sum_8)                                                                               \
    X(onnx_op_svm_classifier_1)                                                                    \
    X(onnx_op_svm_regressor_1)                                                                     \
    X(onnx_op_tanh_6)                                                                              \
    X(onnx_op_tile_1)                                                                              \
    X(onnx_op_tile_6)                                                                              \
    X(onnx_op_top_k_1)                                                                             \
    X(onnx_op_top_k_10)                                                                            \
    X(onnx_op_transpose_1)                                                                         \
    X(onnx_op_tree_ensemble_5)                                                                     \
    X(onnx_op_tree_ensemble_classifier_1)                                                          \
    X(onnx_op_tree_ensemble_regressor_1)                                                           \
    X(onnx_op_unsqueeze_1)                                                                         \
    X(onnx_op_unsqueeze_13)                                                                        \
    X(onnx_op_where_9)                                                                             \
    X(onnx_op_zipmap_1)

#define DECLARE_OP(sym) extern const onnx_op sym;
ONNX_OP_LIST(DECLARE_OP)
#undef DECLARE_OP

static const onnx_op *const registry[] = {
#define OP_ROW(sym) &sym,
    ONNX_OP_LIST(OP_ROW)
#undef OP_ROW
};
#define N_OPS (sizeof registry / sizeof registry[0])

const onnx_op *const *onnx_op_all(size_t *n)
{
    *n = N_OPS;
    return registry;
}

const onnx_op *onnx_op_find(const char *domain, const char *op_type, int64_t opset)
{
    const onnx_op *best = NULL;
    for (size_t i = 0; i < N_OPS; i++) {
        const onnx_op *op = registry[i];
        if (strcmp(op->op_type, op_type) != 0 || strcmp(op->domain, domain) != 0 ||
            op->since_version > opset)
            continue;
        if (best == NULL || op->since_version > best->since_version)
            best = op;
    }
    return best;
}

/* The oldest registered version of (domain, op_type), or NULL: for "supported from" messages. */
static const onnx_op *oldest(const char *domain, const char *op_type)
{
    const onnx_op *old = NULL;
    for (size_t i = 0; i < N_OPS; i++)
        if (strcmp(registry[i]->op_type, op_type) == 0 &&
            strcmp(registry[i]->domain, domain) == 0 &&
            (old == NULL || registry[i]->since_version < old->since_version))
            old = registry[i];
    return old;
}

static ferry_status check_arity(const onnx_node *node, ferry_error *err)
{
    const onnx_op *op = node->op;
    size_t last_input = 0; /* inputs up to the last present one count */
    for (size_t k = 0; k < node->n_inputs; k++)
        if (node->inputs[k] >= 0)
            last_input = k + 1;
    if ((int)last_input < op->min_inputs ||
        (op->max_inputs >= 0 && (int)node->n_inputs > op->max_inputs))
        return onnx_node_error(err, FERRY_INVALID_ARG, node, "has %zu inputs; %s takes %d to %d",
                               node->n_inputs, op->op_type, op->min_inputs, op->max_inputs);
    for (int k = 0; k < op->min_inputs; k++)
        if (node->inputs[k] < 0)
            return onnx_node_error(err, FERRY_INVALID_ARG, node, "required input %d is omitted", k);
    if ((int)node->n_outputs < op->min_outputs || (int)node->n_outputs > op->max_outputs)
        return onnx_node_error(err, FERRY_INVALID_ARG, node, "has %zu outputs; %s gives %d to %d",
                               node->n_outputs, op->op_type, op->min_outputs, op->max_outputs);
    return FERRY_OK;
}

ferry_status onnx_op_bind(onnx_node *node, ferry_error *err)
{
    node->op = onnx_op_find(node->domain, node->op_type, node->opset);
    if (node->op != NULL)
        return check_arity(node, err);
    const onnx_op *old = oldest(node->domain, node->op_type);
    if (old != NULL)
        return onnx_node_error(err, FERRY_UNSUPPORTED, node,
                               "operator %s (domain %s) is supported from opset %d; the model "
                               "imports opset %lld",
                               node->op_type, onnx_domain_display(node->domain), old->since_version,
                               (long long)node->opset);
    return onnx_node_error(err, FERRY_UNSUPPORTED, node,
                           "operator %s (domain %s, opset %lld) is not supported", node->op_type,
                           onnx_domain_display(node->domain), (long long)node->opset);
}
