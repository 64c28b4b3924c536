/* Unit tests for request validation (src/monitor/validation.c) and the feature map
 * (src/monitor/feature_map.c): profile columns mapped by name, by position, or not at all, the
 * label left out; each rule (missing, min, max, category) firing exactly where it should, with
 * the default tolerance, a global one and per-feature min/max/tolerance; the policy's forms; bad
 * settings refused naming the key; the violations' JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/validation.h"
#include "test_support.h"

/* a: 0..10 (no missing), b: with a missing value, c: categories 1, 2, 5; y the label. */
static const char csv[] = "a,b,c,y\n0,1,1,0\n10,NA,2,1\n5,3,5,0\n";

static profile *g_profile;
static char *g_tmp;

static int setup(void **state)
{
    (void)state;
    g_tmp = ts_mkdtemp();
    char path[4200];
    snprintf(path, sizeof path, "%s/train.csv", g_tmp);
    ts_write_file(path, csv);
    const char *cat[] = {"c"};
    profile_options o = {.label = "y", .categorical = cat, .n_categorical = 1};
    ferry_error err = {0};
    if (profile_build(path, &o, &g_profile, &err) != FERRY_OK)
        fail_msg("profile_build: %s", err.message);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    profile_destroy(g_profile);
    ts_rmtree(g_tmp);
    free(g_tmp);
    return 0;
}

static ferry_tensor_info g_input = {
    .name = "x", .dtype = FERRY_DTYPE_FP32, .ndim = 2, .shape = {-1, 3}};

static ferry_model_io model_io(const char *const *names)
{
    return (ferry_model_io){
        .n_inputs = 1, .inputs = &g_input, .n_features = names ? 3 : 0, .feature_names = names};
}

static void map_by_name_and_position(void **state)
{
    (void)state;
    const char *names[] = {"c", "a", "b"};
    ferry_model_io io = model_io(names);
    feature_map m;
    ferry_error err = {0};
    assert_int_equal(feature_map_build(&io, g_profile, &m, &err), FERRY_OK);
    assert_int_equal(m.how, FEATURE_MAP_NAME);
    assert_int_equal(m.n, 3);
    assert_int_equal(m.column[0], 2);
    assert_int_equal(m.column[1], 0);
    assert_int_equal(m.column[2], 1);
    assert_int_equal(m.slots[1].column, 1);
    assert_int_equal(m.slots[1].width, 3);
    feature_map_free(&m);

    const char *other[] = {"p", "q", "r"};
    io = model_io(other);
    assert_int_equal(feature_map_build(&io, g_profile, &m, &err), FERRY_OK);
    assert_int_equal(m.how, FEATURE_MAP_POSITION);
    assert_int_equal(m.column[0], 0);
    assert_int_equal(m.column[2], 2); /* the label y is never a feature */
    feature_map_free(&m);

    ferry_tensor_info four = g_input;
    four.shape[1] = 4;
    io = (ferry_model_io){.n_inputs = 1, .inputs = &four};
    assert_int_equal(feature_map_build(&io, g_profile, &m, &err), FERRY_OK);
    assert_int_equal(m.how, FEATURE_MAP_NONE);
    assert_int_equal(m.column[0], -1);
    feature_map_free(&m);

    /* One input per feature: named by the inputs. */
    ferry_tensor_info ins[2] = {{.name = "b", .ndim = 2, .shape = {-1, 1}},
                                {.name = "a", .ndim = 1, .shape = {-1}}};
    io = (ferry_model_io){.n_inputs = 2, .inputs = ins};
    assert_int_equal(feature_map_build(&io, g_profile, &m, &err), FERRY_OK);
    assert_int_equal(m.how, FEATURE_MAP_NAME);
    assert_int_equal(m.column[0], 1);
    assert_int_equal(m.slots[1].input, 1);
    feature_map_free(&m);
}

/* Builds a validator over a, b, c by position from YAML text (NULL: no settings). */
static ferry_status build(const char *yaml, validator *v, ferry_error *err)
{
    ferry_model_io io = model_io(NULL);
    feature_map m;
    assert_int_equal(feature_map_build(&io, g_profile, &m, err), FERRY_OK);
    ynode *root = NULL;
    if (yaml != NULL &&
        yaml_doc_load_string(yaml, strlen(yaml), "model.yaml", &root, err) != FERRY_OK)
        fail_msg("yaml: %s", err->message);
    ferry_status st = validator_build(&m, g_profile, ynode_get(root, "validation"), v, err);
    ynode_free(root);
    feature_map_free(&m);
    return st;
}

static size_t check(const validator *v, float *rows, int64_t n, validation_violation *x)
{
    ferry_tensor t = {.name = "x",
                      .dtype = FERRY_DTYPE_FP32,
                      .ndim = 2,
                      .shape = {n, 3},
                      .data = rows,
                      .nbytes = (size_t)n * 3 * sizeof(float)};
    return validator_check(v, &t, 1, x, 16);
}

static void rules_fire_exactly(void **state)
{
    (void)state;
    validator v;
    ferry_error err = {0};
    assert_int_equal(build(NULL, &v, &err), FERRY_OK);
    assert_int_equal(v.policy, VALIDATION_WARN);
    /* a's range 0..10 widened by 5 each side: [-5, 15]. */
    float ok[] = {-5, NAN, 1, 15, 3, 5, 7, 2, 2};
    validation_violation x[16];
    assert_int_equal(check(&v, ok, 3, x), 0);
    float bad[] = {-5.5f, 1, 1, 15.5f, 1, 3, NAN, 1, 2};
    assert_int_equal(check(&v, bad, 3, x), 4);
    assert_int_equal(x[0].rule, VALIDATION_MIN);
    assert_int_equal(x[0].row, 0);
    assert_int_equal(x[1].rule, VALIDATION_MAX);
    assert_int_equal(x[1].row, 1);
    assert_int_equal(x[2].rule, VALIDATION_MISSING);
    assert_int_equal(x[2].row, 2);
    assert_string_equal(v.features[x[2].feature].name, "a");
    assert_int_equal(x[3].rule, VALIDATION_CATEGORY);
    assert_int_equal(x[3].row, 1);
    assert_string_equal(v.features[x[3].feature].name, "c");
    char expected[96];
    validation_expected(&v, &x[1], expected, sizeof expected);
    assert_string_equal(expected, "<= 15");
    json_t *j = validation_violations_json(&v, x, 3);
    char *text = json_dumps(j, JSON_COMPACT);
    assert_non_null(strstr(text, "{\"row\":1,\"feature\":\"a\",\"value\":15.5,\"rule\":\"max\","
                                 "\"expected\":\"<= 15\"}"));
    assert_non_null(strstr(text, "\"value\":null,\"rule\":\"missing\""));
    free(text);
    json_decref(j);
    validator_free(&v);
}

static void settings(void **state)
{
    (void)state;
    validator v;
    ferry_error err = {0};
    assert_int_equal(build("validation: reject\n", &v, &err), FERRY_OK);
    assert_int_equal(v.policy, VALIDATION_REJECT);
    validator_free(&v);
    assert_int_equal(build("validation: off\n", &v, &err), FERRY_OK);
    assert_int_equal(v.policy, VALIDATION_OFF);
    validator_free(&v);
    assert_int_equal(build("validation: {policy: reject, tolerance: 0, features: {b: {min: 0, "
                           "max: 100}, a: {tolerance: 1}}}\n",
                           &v, &err),
                     FERRY_OK);
    assert_int_equal(v.policy, VALIDATION_REJECT);
    assert_true(v.features[0].min == -10 && v.features[0].max == 20);
    assert_true(v.features[1].min == 0 && v.features[1].max == 100);
    float rows[] = {20, 100, 1, 20.5f, 0, 1, 0, 3.5f, 1};
    validation_violation x[16];
    assert_int_equal(check(&v, rows, 3, x), 1);
    assert_int_equal(x[0].row, 1);
    validator_free(&v);
    /* tolerance 0: a (0..10) breaks max twice, b (1..3) max twice and min once. */
    assert_int_equal(build("validation: {tolerance: 0}\n", &v, &err), FERRY_OK);
    assert_int_equal(v.policy, VALIDATION_WARN);
    assert_int_equal(check(&v, rows, 3, x), 5);
    validator_free(&v);

    const char *bad[][2] = {{"validation: maybe\n", "expected reject, warn or off"},
                            {"validation: {tolerance: -1}\n", "non-negative"},
                            {"validation: {features: {zz: {min: 1}}}\n", "does not have"},
                            {"validation: {features: {y: {min: 1}}}\n", "label"},
                            {"validation: {features: {a: {max: x}}}\n", "max must be a number"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(build(bad[i][0], &v, &err), FERRY_INVALID_ARG);
        if (strstr(err.message, bad[i][1]) == NULL || strstr(err.message, "line 1") == NULL)
            fail_msg("%s: %s", bad[i][0], err.message);
    }
}

/* dtype and shape against the declared input [-1, 3] FP32 (FP64 accepted): one violation per
 * input at fault, in the model's input order; inputs of other names are not this check's. */
static void dtype_and_shape(void **state)
{
    (void)state;
    ferry_tensor_info infos[2] = {
        {.name = "x",
         .dtype = FERRY_DTYPE_FP32,
         .ndim = 2,
         .shape = {-1, 3},
         .accepted = 1u << FERRY_DTYPE_FP64},
        {.name = "z", .dtype = FERRY_DTYPE_INT64, .ndim = 1, .shape = {-1}},
    };
    ferry_model_io io = {.inputs = infos, .n_inputs = 2};
    ferry_tensor in[3] = {
        {.name = "z", .dtype = FERRY_DTYPE_INT64, .ndim = 2, .shape = {4, 1}},
        {.name = "x", .dtype = FERRY_DTYPE_FP64, .ndim = 2, .shape = {4, 3}},
        {.name = "other", .dtype = FERRY_DTYPE_BOOL, .ndim = 1, .shape = {4}},
    };
    json_t *v = validation_io_violations(&io, in, 3);
    assert_int_equal(json_array_size(v), 1); /* FP64 for x is accepted; z's rank is wrong */
    json_t *x = json_array_get(v, 0);
    assert_true(json_is_null(json_object_get(x, "row")));
    assert_string_equal(json_string_value(json_object_get(x, "feature")), "z");
    assert_string_equal(json_string_value(json_object_get(x, "rule")), "shape");
    assert_string_equal(json_string_value(json_object_get(x, "expected")), "[-1]");
    assert_int_equal(json_array_size(json_object_get(x, "value")), 2);
    json_decref(v);

    in[0].ndim = 1;
    in[1].dtype = FERRY_DTYPE_INT8;
    in[1].shape[1] = 2; /* dtype is reported first: one violation per input */
    v = validation_io_violations(&io, in, 3);
    assert_int_equal(json_array_size(v), 1);
    x = json_array_get(v, 0);
    assert_string_equal(json_string_value(json_object_get(x, "feature")), "x");
    assert_string_equal(json_string_value(json_object_get(x, "rule")), "dtype");
    assert_string_equal(json_string_value(json_object_get(x, "value")), "INT8");
    assert_string_equal(json_string_value(json_object_get(x, "expected")), "FP32");
    json_decref(v);

    in[1].dtype = FERRY_DTYPE_FP32;
    v = validation_io_violations(&io, in, 3);
    x = json_array_get(v, 0);
    assert_string_equal(json_string_value(json_object_get(x, "rule")), "shape");
    assert_string_equal(json_string_value(json_object_get(x, "expected")), "[-1,3]");
    json_decref(v);

    in[1].shape[1] = 3;
    v = validation_io_violations(&io, in, 3);
    assert_int_equal(json_array_size(v), 0);
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(map_by_name_and_position),
        cmocka_unit_test(rules_fire_exactly),
        cmocka_unit_test(settings),
        cmocka_unit_test(dtype_and_shape),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
