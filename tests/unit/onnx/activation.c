/* Unit tests for the activation epilogues (src/onnx/activation.c): each kind on values around
 * its corners, against the definitions the standalone ops use (NaN through Relu gives 0, as
 * ops/relu.c; Clip with min > max gives max, as ops/clip.c); NONE leaves the data alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "onnx/activation.h"

static const float inputs[] = {-3.0f, -0.5f, -0.0f, 0.0f, 0.25f, 2.0f, 7.5f};
#define N (sizeof inputs / sizeof inputs[0])

static void apply(const onnx_activation *a, float *y)
{
    memcpy(y, inputs, sizeof inputs);
    onnx_activation_apply(a, y, (int64_t)N);
}

static void test_none_leaves_data(void **state)
{
    (void)state;
    float y[N];
    apply(&(onnx_activation){.kind = ONNX_ACTIVATION_NONE}, y);
    assert_memory_equal(y, inputs, sizeof inputs);
    assert_string_equal(onnx_activation_name(ONNX_ACTIVATION_NONE), "none");
}

static void test_relu(void **state)
{
    (void)state;
    float y[N];
    apply(&(onnx_activation){.kind = ONNX_ACTIVATION_RELU}, y);
    const float want[N] = {0, 0, 0, 0, 0.25f, 2.0f, 7.5f};
    assert_memory_equal(y, want, sizeof want);
    float nan = NAN;
    onnx_activation_apply(&(onnx_activation){.kind = ONNX_ACTIVATION_RELU}, &nan, 1);
    assert_true(nan == 0.0f);
    assert_string_equal(onnx_activation_name(ONNX_ACTIVATION_RELU), "Relu");
}

static void test_leaky_relu(void **state)
{
    (void)state;
    float y[N];
    apply(&(onnx_activation){.kind = ONNX_ACTIVATION_LEAKY_RELU, .alpha = 0.1f}, y);
    const float want[N] = {-0.3f, -0.05f, -0.0f, 0.0f, 0.25f, 2.0f, 7.5f};
    for (size_t i = 0; i < N; i++)
        assert_true(y[i] == want[i]);
}

static void test_clip(void **state)
{
    (void)state;
    float y[N];
    apply(&(onnx_activation){.kind = ONNX_ACTIVATION_CLIP, .min = 0.0f, .max = 6.0f}, y);
    const float want[N] = {0, 0, -0.0f, 0, 0.25f, 2.0f, 6.0f};
    for (size_t i = 0; i < N; i++)
        assert_true(y[i] == want[i]);
    apply(&(onnx_activation){.kind = ONNX_ACTIVATION_CLIP, .min = 1.0f, .max = -1.0f}, y);
    for (size_t i = 0; i < N; i++)
        assert_true(y[i] == -1.0f);
}

static void test_sigmoid_tanh(void **state)
{
    (void)state;
    float y[N];
    apply(&(onnx_activation){.kind = ONNX_ACTIVATION_SIGMOID}, y);
    for (size_t i = 0; i < N; i++)
        assert_true(y[i] == 1.0f / (1.0f + expf(-inputs[i])));
    apply(&(onnx_activation){.kind = ONNX_ACTIVATION_TANH}, y);
    for (size_t i = 0; i < N; i++)
        assert_true(y[i] == tanhf(inputs[i]));
    assert_string_equal(onnx_activation_name(ONNX_ACTIVATION_TANH), "Tanh");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_none_leaves_data), cmocka_unit_test(test_relu),
        cmocka_unit_test(test_leaky_relu),       cmocka_unit_test(test_clip),
        cmocka_unit_test(test_sigmoid_tanh),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
