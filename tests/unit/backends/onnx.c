/* The ONNX backend against ONNX Runtime's outputs for digits_mlp and digits_cnn
 * (expected.json of ../shared/models/digits_*, |a - e| <= 1e-5 + 1e-4 |e|), with the batch split
 * several ways (dynamic batch, one plan per batch size), with intra_op_threads 1 and 3, from
 * several threads at once; its metadata (-1 for the batch); options (intra_op_threads checked,
 * naming the option); and a warmed-up session that allocates nothing, with and without threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/onnx.h"
#include "core/arena.h"
#include "test_support.h"

typedef struct fixture {
    void *model;
    ferry_model_io io;
    float *x; /* the whole test split */
    int64_t rows, cols;
    json_t *expected; /* the output's data array */
    json_t *doc;
} fixture;

static bool close_enough(double a, double e)
{
    return fabs(a - e) <= 1e-5 + 1e-4 * fabs(e);
}

/* Loads a model with intra_op_threads `threads` (as model.yaml would give it). */
static void fixture_load(const char *name, const char *threads, fixture *f)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/model.onnx", ts_shared(name));
    ferry_option option = {"intra_op_threads", threads};
    ferry_backend_config cfg = {
        .model_name = name, .version = "1", .n_options = 1, .options = &option};
    ferry_error err;
    if (onnx_backend.load(&cfg, path, &f->model, &err) != FERRY_OK)
        fail_msg("%s", err.message);
    assert_int_equal(onnx_backend.describe(f->model, &f->io, &err), FERRY_OK);
    snprintf(path, sizeof path, "%s/test_inputs.json", ts_shared(name));
    json_t *in = ts_load_json(path);
    json_t *data = json_object_get(in, "data");
    f->rows = json_integer_value(json_array_get(json_object_get(in, "shape"), 0));
    f->cols = (int64_t)json_array_size(data) / f->rows;
    f->x = malloc(json_array_size(data) * sizeof *f->x);
    for (size_t i = 0; i < json_array_size(data); i++)
        f->x[i] = (float)json_number_value(json_array_get(data, i));
    json_decref(in);
    snprintf(path, sizeof path, "%s/expected.json", ts_shared(name));
    f->doc = ts_load_json(path);
    f->expected = json_object_get(json_array_get(json_object_get(f->doc, "outputs"), 0), "data");
}

static void fixture_free(fixture *f)
{
    onnx_backend.unload(f->model);
    free(f->x);
    json_decref(f->doc);
}

/* Runs rows [first, first + n) and checks them against expected.json. */
static void check_rows(const fixture *f, int64_t first, int64_t n)
{
    const ferry_tensor_info *info = &f->io.inputs[0];
    ferry_tensor in = {.name = info->name,
                       .dtype = FERRY_DTYPE_FP32,
                       .ndim = info->ndim,
                       .data = f->x + first * f->cols,
                       .nbytes = (size_t)(n * f->cols) * 4};
    for (int d = 0; d < info->ndim; d++)
        in.shape[d] = d == 0 ? n : info->shape[d];
    arena a;
    arena_init(&a, 1 << 24);
    ferry_allocator alloc = arena_allocator(&a);
    ferry_tensor out;
    ferry_error err;
    if (onnx_backend.infer(f->model, &in, 1, &out, 1, &alloc, &err) != FERRY_OK)
        fail_msg("%s", err.message);
    assert_int_equal(out.shape[0], n);
    int64_t classes = out.shape[1];
    for (int64_t i = 0; i < n * classes; i++) {
        double e = json_number_value(json_array_get(f->expected, (size_t)(first * classes + i)));
        double got = ((const float *)out.data)[i];
        if (!close_enough(got, e))
            fail_msg("row %lld value %lld: got %.9g, expected %.9g",
                     (long long)(first + i / classes), (long long)(i % classes), got, e);
    }
    arena_free(&a);
}

static void check_fixture(const char *name, const char *threads, int64_t cols)
{
    fixture f;
    fixture_load(name, threads, &f);
    assert_int_equal(f.cols, cols);
    check_rows(&f, 0, f.rows);              /* the whole split as one batch, as the reference ran */
    for (int64_t r = 0; r < f.rows; r += 7) /* and again in batches of 7 (the last one smaller) */
        check_rows(&f, r, r + 7 <= f.rows ? 7 : f.rows - r);
    check_rows(&f, 5, 1);
    fixture_free(&f);
}

static void test_digits_mlp_matches_onnxruntime(void **state)
{
    (void)state;
    check_fixture("models/digits_mlp", "1", 64);
    check_fixture("models/digits_mlp", "3", 64);
}

static void test_digits_cnn_matches_onnxruntime(void **state)
{
    (void)state;
    check_fixture("models/digits_cnn", "1", 64);
    check_fixture("models/digits_cnn", "3", 64);
}

static void test_metadata_has_dynamic_batch(void **state)
{
    (void)state;
    fixture f;
    fixture_load("models/digits_cnn", "1", &f);
    assert_string_equal(f.io.platform, "onnx");
    assert_int_equal(f.io.n_inputs, 1);
    assert_string_equal(f.io.inputs[0].name, "input");
    assert_int_equal(f.io.inputs[0].dtype, FERRY_DTYPE_FP32);
    assert_int_equal(f.io.inputs[0].ndim, 4);
    const int64_t in_shape[] = {-1, 1, 8, 8};
    for (int d = 0; d < 4; d++)
        assert_int_equal(f.io.inputs[0].shape[d], in_shape[d]);
    assert_true(f.io.inputs[0].accepted & (1u << FERRY_DTYPE_FP64));
    assert_int_equal(f.io.n_outputs, 1);
    assert_string_equal(f.io.outputs[0].name, "logits");
    assert_int_equal(f.io.outputs[0].ndim, 2);
    assert_int_equal(f.io.outputs[0].shape[0], -1);
    assert_int_equal(f.io.outputs[0].shape[1], 10);
    fixture_free(&f);
}

static void test_options(void **state)
{
    (void)state;
    char path[4096];
    snprintf(path, sizeof path, "%s/model.onnx", ts_shared("models/digits_mlp"));
    ferry_option good = {"intra_op_threads", "1"}, bad = {"intra_op_thread", "1"};
    ferry_backend_config cfg = {
        .model_name = "m", .version = "1", .n_options = 1, .options = &good};
    void *model;
    ferry_error err;
    assert_int_equal(onnx_backend.load(&cfg, path, &model, &err), FERRY_OK);
    onnx_backend.unload(model);
    cfg.options = &bad;
    assert_int_equal(onnx_backend.load(&cfg, path, &model, &err), FERRY_INVALID_ARG);
    assert_non_null(strstr(err.message, "intra_op_thread"));
    assert_int_equal(onnx_backend.load(&cfg, "/nonexistent/model.onnx", &model, &err),
                     FERRY_INVALID_ARG);
    cfg.n_options = 0;
    assert_int_not_equal(onnx_backend.load(&cfg, "/nonexistent/model.onnx", &model, &err),
                         FERRY_OK);
    assert_non_null(strstr(err.message, "/nonexistent/model.onnx"));
    cfg.n_options = 1;
    good.value = "4";
    cfg.options = &good;
    assert_int_equal(onnx_backend.load(&cfg, path, &model, &err), FERRY_OK);
    onnx_backend.unload(model);
    static const char *const refused[] = {"0", "-1", "abc", "2x", " 2", "", "99999", "1e1"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        good.value = refused[i];
        if (onnx_backend.load(&cfg, path, &model, &err) != FERRY_INVALID_ARG)
            fail_msg("intra_op_threads: '%s' was accepted", refused[i]);
        assert_non_null(strstr(err.message, "model 'm': onnx option intra_op_threads must be a "
                                            "whole number from 1 to"));
    }
}

/* After the first run of a batch size, running it again allocates nothing (glibc's count of bytes
 * in use stays put; the request arena is reset and reused). */
static void warm_run_allocates_nothing(const char *threads)
{
    fixture f;
    fixture_load("models/digits_cnn", threads, &f);
    const ferry_tensor_info *info = &f.io.inputs[0];
    ferry_tensor in = {.name = info->name,
                       .dtype = FERRY_DTYPE_FP32,
                       .ndim = 4,
                       .shape = {16, 1, 8, 8},
                       .data = f.x,
                       .nbytes = 16 * 64 * 4};
    arena a;
    arena_init(&a, 1 << 24);
    ferry_allocator alloc = arena_allocator(&a);
    ferry_tensor out;
    ferry_error err;
    /* Warm-up: with several threads, whichever thread first claims a slice makes its one-time
     * per-thread allocations (glibc's thread arena, oneDNN's thread state) then; run enough times
     * that every worker has taken part. */
    for (int i = 0; i < 50; i++) {
        assert_int_equal(onnx_backend.infer(f.model, &in, 1, &out, 1, &alloc, &err), FERRY_OK);
        arena_reset(&a);
    }
    /* On a loaded machine a worker may first take part later: a round that allocates once more
     * is retried (up to 10 rounds); allocating on every run fails every round. */
    struct mallinfo2 before, after;
    for (int round = 0; round < 10; round++) {
        before = mallinfo2();
        for (int i = 0; i < 20; i++) {
            assert_int_equal(onnx_backend.infer(f.model, &in, 1, &out, 1, &alloc, &err), FERRY_OK);
            arena_reset(&a);
        }
        after = mallinfo2();
        if (after.uordblks == before.uordblks && after.hblkhd == before.hblkhd)
            break;
    }
    assert_int_equal(after.uordblks, before.uordblks);
    assert_int_equal(after.hblkhd, before.hblkhd);
    arena_free(&a);
    fixture_free(&f);
}

static void test_warm_run_allocates_nothing(void **state)
{
    (void)state;
    warm_run_allocates_nothing("1");
    warm_run_allocates_nothing("2");
}

static void *worker(void *arg)
{
    const fixture *f = arg;
    for (int round = 0; round < 20; round++)
        check_rows(f, (round * 13) % 300, 1 + round % 40);
    return NULL;
}

static void test_concurrent_requests(void **state)
{
    (void)state;
    fixture f;
    fixture_load("models/digits_cnn", "2", &f);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker, &f), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    fixture_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digits_mlp_matches_onnxruntime),
        cmocka_unit_test(test_digits_cnn_matches_onnxruntime),
        cmocka_unit_test(test_metadata_has_dynamic_batch),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_warm_run_allocates_nothing),
        cmocka_unit_test(test_concurrent_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
