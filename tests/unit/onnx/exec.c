/* Unit tests for running steps on a session's threads (src/onnx/exec.c, session.c, plan.c's
 * per-thread scratch): digits_mlp, digits_cnn and a Conv + Gemm model give the same outputs at
 * batch 64 on 1 and 4 threads (every step split, and with the default split threshold) and at a
 * batch of 1 whose steps stay on one thread; a failing slice on a worker is reported naming the
 * node and the session keeps working; and a bad thread count is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/exec.h"
#include "onnx/session.h"
#include "onnx_model.h"
#include "test_support.h"

/* Runs m on one input with `threads` threads (split_min elements per thread) and returns a copy
 * of output 0's floats (n of them), run twice to cover a cached plan. */
static float *run_threads(const onnx_model *m, const ferry_tensor *in, int threads,
                          int64_t split_min, size_t *n)
{
    onnx_session *s = NULL;
    ferry_error err;
    assert_int_equal(onnx_session_create(m, &s, &err), FERRY_OK);
    if (onnx_session_set_threads(s, threads, split_min, &err) != FERRY_OK)
        fail_msg("%s", err.message);
    arena a;
    arena_init(&a, 1 << 26);
    ferry_allocator alloc = arena_allocator(&a);
    ferry_tensor out;
    float *copy = NULL;
    for (int pass = 0; pass < 2; pass++) {
        if (onnx_session_run(s, in, 1, &out, &alloc, &err) != FERRY_OK)
            fail_msg("%s", err.message);
        assert_int_equal(out.dtype, FERRY_DTYPE_FP32);
        free(copy);
        copy = malloc(out.nbytes);
        assert_non_null(copy);
        memcpy(copy, out.data, out.nbytes);
        *n = out.nbytes / sizeof(float);
        arena_reset(&a);
    }
    arena_free(&a);
    onnx_session_destroy(s);
    return copy;
}

/* Outputs on 4 threads (every step split; the default threshold) equal those on 1, bit for bit. */
static void check_threads_agree(const onnx_model *m, const ferry_tensor *in)
{
    size_t n1, n4, nd;
    float *one = run_threads(m, in, 1, 1, &n1);
    float *four = run_threads(m, in, 4, 1, &n4);
    float *dflt = run_threads(m, in, 4, ONNX_EXEC_SPLIT_MIN, &nd);
    assert_int_equal(n1, n4);
    assert_int_equal(n1, nd);
    for (size_t i = 0; i < n1; i++)
        if (one[i] != four[i] || one[i] != dflt[i])
            fail_msg("element %zu: %.9g on 1 thread, %.9g and %.9g on 4", i, (double)one[i],
                     (double)four[i], (double)dflt[i]);
    free(one);
    free(four);
    free(dflt);
}

static float *random_floats(size_t n, unsigned seed)
{
    float *x = malloc(n * sizeof *x);
    assert_non_null(x);
    srand(seed);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)rand() / (float)RAND_MAX;
    return x;
}

static void check_shared_model(const char *name, const int64_t *row_shape, int row_dims)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/model.onnx", ts_shared(name));
    onnx_model *m = NULL;
    ferry_error err;
    if (onnx_model_load_file(path, &m, &err) != FERRY_OK)
        fail_msg("%s", err.message);
    for (int64_t batch = 1; batch <= 64; batch += 63) {
        int64_t shape[4] = {batch};
        int64_t count = batch;
        for (int d = 0; d < row_dims; d++) {
            shape[1 + d] = row_shape[d];
            count *= row_shape[d];
        }
        float *x = random_floats((size_t)count, 7);
        ferry_tensor in =
            ts_onnx_tensor(m->inputs[0].name, FERRY_DTYPE_FP32, 1 + row_dims, shape, x);
        check_threads_agree(m, &in);
        free(x);
    }
    onnx_model_destroy(m);
}

static void test_digits_models_agree(void **state)
{
    (void)state;
    check_shared_model("models/digits_mlp", (const int64_t[]){64}, 1);
    check_shared_model("models/digits_cnn", (const int64_t[]){1, 8, 8}, 3);
}

/* Conv (8 filters, 3x3, padded) -> Relu -> Flatten -> Gemm (transB) at batch 64. */
static void test_conv_gemm_agree(void **state)
{
    (void)state;
    static const int64_t xs[] = {64, 3, 12, 12}, ws[] = {8, 3, 3, 3}, bs[] = {8},
                         gw[] = {10, 8 * 12 * 12}, gb[] = {10}, ys[] = {64, 10};
    float *w = random_floats(8 * 27, 1), *b = random_floats(8, 2), *g = random_floats(10 * 1152, 3),
          *c = random_floats(10, 4);
    ts_onnx_model *mb = ts_onnx_create(13);
    ts_onnx_input(mb, "x", FERRY_DTYPE_FP32, 4, (const int64_t[]){-1, 3, 12, 12});
    ts_onnx_initializer(mb, "w", FERRY_DTYPE_FP32, 4, ws, w);
    ts_onnx_initializer(mb, "b", FERRY_DTYPE_FP32, 1, bs, b);
    ts_onnx_initializer(mb, "g", FERRY_DTYPE_FP32, 2, gw, g);
    ts_onnx_initializer(mb, "c", FERRY_DTYPE_FP32, 1, gb, c);
    ts_onnx_output(mb, "y", FERRY_DTYPE_FP32, 2, (const int64_t[]){-1, 10});
    ts_onnx_attr_ints(mb, ts_onnx_node(mb, "Conv", "x,w,b", "conv"), "pads", 4,
                      (const int64_t[]){1, 1, 1, 1});
    ts_onnx_node(mb, "Relu", "conv", "relu");
    ts_onnx_node(mb, "Flatten", "relu", "flat");
    ts_onnx_attr_int(mb, ts_onnx_node(mb, "Gemm", "flat,g,c", "y"), "transB", 1);
    onnx_model *m = ts_onnx_load_ok(mb);
    float *x = random_floats(64 * 3 * 144, 5);
    ferry_tensor in = ts_onnx_tensor("x", FERRY_DTYPE_FP32, 4, xs, x);
    check_threads_agree(m, &in);
    (void)ys;
    free(x);
    onnx_model_destroy(m);
    ts_onnx_destroy(mb);
    free(w);
    free(b);
    free(g);
    free(c);
}

/* Gather along axis 1 splits its rows over the threads: an index out of range fails every slice,
 * workers' included; the error names the node and the next good run succeeds. */
static void test_failing_slice_reported(void **state)
{
    (void)state;
    static const int64_t ds[] = {64, 4}, is[] = {2}, ys[] = {64, 2};
    float data[256];
    for (int i = 0; i < 256; i++)
        data[i] = (float)i;
    ts_onnx_model *b = ts_onnx_create(13);
    ts_onnx_input(b, "i", FERRY_DTYPE_INT64, 1, is);
    ts_onnx_initializer(b, "d", FERRY_DTYPE_FP32, 2, ds, data);
    ts_onnx_output(b, "y", FERRY_DTYPE_FP32, 2, ys);
    ts_onnx_attr_int(b, ts_onnx_node(b, "Gather", "d,i", "y"), "axis", 1);
    onnx_model *m = ts_onnx_load_ok(b);
    onnx_session *s = NULL;
    ferry_error err;
    assert_int_equal(onnx_session_create(m, &s, &err), FERRY_OK);
    assert_int_equal(onnx_session_set_threads(s, 4, 1, &err), FERRY_OK);
    arena a;
    arena_init(&a, 1 << 20);
    ferry_allocator alloc = arena_allocator(&a);
    int64_t idx[2] = {1, 9};
    ferry_tensor in = ts_onnx_tensor("i", FERRY_DTYPE_INT64, 1, is, idx), out;
    for (int round = 0; round < 20; round++) {
        idx[1] = 9;
        assert_int_equal(onnx_session_run(s, &in, 1, &out, &alloc, &err), FERRY_INVALID_ARG);
        assert_non_null(strstr(err.message, "(Gather): index 9 is out of range"));
        idx[1] = -1;
        assert_int_equal(onnx_session_run(s, &in, 1, &out, &alloc, &err), FERRY_OK);
        const float *y = out.data;
        assert_true(y[0] == 1.0f && y[1] == 3.0f && y[126] == 253.0f && y[127] == 255.0f);
        arena_reset(&a);
    }
    assert_int_equal(onnx_session_set_threads(s, 0, 1, &err), FERRY_INVALID_ARG);
    assert_int_equal(onnx_session_run(s, &in, 1, &out, &alloc, &err), FERRY_OK); /* unchanged */
    arena_free(&a);
    onnx_session_destroy(s);
    onnx_model_destroy(m);
    ts_onnx_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digits_models_agree),
        cmocka_unit_test(test_conv_gemm_agree),
        cmocka_unit_test(test_failing_slice_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
