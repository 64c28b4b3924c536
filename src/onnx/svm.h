/* The kernels SVMClassifier and SVMRegressor share: LINEAR (x . v), POLY ((gamma x . v + coef0) ^
 * degree), RBF (exp(-gamma |x - v|^2)) and SIGMOID (tanh(gamma x . v + coef0)), with kernel_params
 * [gamma, coef0, degree] (zeros when absent), as ONNX Runtime defines them. */
#ifndef FERRY_ONNX_SVM_H
#define FERRY_ONNX_SVM_H

#include "onnx/graph.h"

typedef enum onnx_svm_kernel_type {
    ONNX_SVM_LINEAR,
    ONNX_SVM_POLY,
    ONNX_SVM_RBF,
    ONNX_SVM_SIGMOID,
} onnx_svm_kernel_type;

typedef struct onnx_svm_kernel {
    onnx_svm_kernel_type type;
    float gamma, coef0, degree;
} onnx_svm_kernel;

/* Reads kernel_type (default LINEAR) and kernel_params; fails with INVALID_ARG naming the node for
 * an unknown kernel or a kernel_params list that is not 3 long. */
ferry_status onnx_svm_read_kernel(const onnx_node *n, onnx_svm_kernel *out,
                                  ferry_error *err) FERRY_MUST_CHECK;

/* K(x, v) over `features` floats, computed in double (ONNX Runtime uses float; double keeps
 * degree-3 polynomial kernels within 1e-3 of scikit-learn). */
double onnx_svm_eval(const onnx_svm_kernel *k, const float *x, const float *v, int64_t features);

#endif
