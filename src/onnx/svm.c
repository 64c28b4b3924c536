/* SVM kernels; see svm.h. */
#include "onnx/svm.h"

#include <math.h>
#include <string.h>

ferry_status onnx_svm_read_kernel(const onnx_node *n, onnx_svm_kernel *out, ferry_error *err)
{
    static const char *const names[] = {
        [ONNX_SVM_LINEAR] = "LINEAR",
        [ONNX_SVM_POLY] = "POLY",
        [ONNX_SVM_RBF] = "RBF",
        [ONNX_SVM_SIGMOID] = "SIGMOID",
    };
    const char *name;
    const float *params;
    size_t n_params;
    ferry_status st = onnx_attr_string(n, "kernel_type", "LINEAR", &name, err);
    if (st == FERRY_OK)
        st = onnx_attr_floats(n, "kernel_params", &params, &n_params, err);
    if (st != FERRY_OK)
        return st;
    int type = -1;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0)
            type = (int)i;
    *out = (onnx_svm_kernel){.type = (onnx_svm_kernel_type)type};
    if (type < 0)
        return onnx_node_error(err, FERRY_INVALID_ARG, n,
                               "kernel_type '%s' is not LINEAR, POLY, RBF or SIGMOID", name);
    if (n_params != 0 && n_params != 3)
        return onnx_node_error(err, FERRY_INVALID_ARG, n,
                               "kernel_params holds %zu values; it is [gamma, coef0, degree]",
                               n_params);
    if (n_params == 3) {
        out->gamma = params[0];
        out->coef0 = params[1];
        out->degree = params[2];
    }
    return FERRY_OK;
}

double onnx_svm_eval(const onnx_svm_kernel *k, const float *x, const float *v, int64_t features)
{
    if (k->type == ONNX_SVM_RBF) {
        double sum = 0;
        for (int64_t j = 0; j < features; j++) {
            double d = (double)x[j] - v[j];
            sum += d * d;
        }
        return exp(-(double)k->gamma * sum);
    }
    double dot = 0;
    for (int64_t j = 0; j < features; j++)
        dot += (double)x[j] * v[j];
    if (k->type == ONNX_SVM_LINEAR)
        return dot;
    double t = (double)k->gamma * dot + k->coef0;
    if (k->type == ONNX_SVM_SIGMOID)
        return tanh(t);
    if (k->degree == 2)
        return t * t;
    if (k->degree == 3)
        return t * t * t;
    return pow(t, k->degree);
}
