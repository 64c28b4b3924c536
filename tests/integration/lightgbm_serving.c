/* Integration test: a LightGBM text model (model.txt, written here: a binary model with
 * sigmoid:2 and a categorical split) served by the real server through the XGBoost backend and
 * ferry's tree engine; the REST answer is checked against the probabilities worked out by hand,
 * and the metadata names the platform. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

static const char model_txt[] = "tree\n"
                                "version=v3\n"
                                "num_class=1\n"
                                "num_tree_per_iteration=1\n"
                                "max_feature_idx=1\n"
                                "objective=binary sigmoid:2\n"
                                "\n"
                                "Tree=0\n"
                                "num_leaves=3\n"
                                "num_cat=1\n"
                                "split_feature=1 0\n"
                                "threshold=0 1.5\n"
                                "decision_type=1 10\n"
                                "left_child=-1 -2\n"
                                "right_child=1 -3\n"
                                "leaf_value=0.5 -0.25 0.75\n"
                                "cat_boundaries=0 2\n"
                                "cat_threshold=5 2\n"
                                "shrinkage=1\n"
                                "\n"
                                "end of trees\n";

static double sigmoid2(double m)
{
    return 1 / (1 + exp(-2 * m));
}

static void test_serves_model_txt(void **state)
{
    (void)state;
    char *tmp = ts_mkdtemp();
    char repo[4200], path[4300], st[4300];
    snprintf(repo, sizeof repo, "%s/repo", tmp);
    snprintf(path, sizeof path, "%s/lgb/1/model.txt", repo);
    snprintf(st, sizeof st, "%s/state", tmp);
    ts_write_file(path, model_txt);
    const char *args[] = {"--repo", repo, "--state", st, NULL};
    ts_server srv = {0};
    if (!ts_server_start(&srv, args))
        fail_msg("server did not start:\n%s", srv.log ? srv.log : "");

    /* rows: category 2 (left), category 1 with x0 1 (<= 1.5), category 1 with x0 NaN (NaN
     * missing type, default left), category 7 with x0 3 */
    const char *body = "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[4,2],"
                       "\"data\":[0,2, 1,1, \"NaN\",1, 3,7]}]}";
    ts_response resp;
    assert_true(ts_server_http(&srv, "POST", "/v2/models/lgb/infer",
                               "Content-Type: application/json\r\n", body, strlen(body), &resp));
    if (resp.status != 200)
        fail_msg("status %d: %s", resp.status, resp.body);
    json_t *doc = ts_response_json(&resp);
    ts_response_free(&resp);
    json_t *out = json_array_get(json_object_get(doc, "outputs"), 0);
    json_t *data = json_object_get(out, "data");
    double want[] = {sigmoid2(0.5), sigmoid2(-0.25), sigmoid2(-0.25), sigmoid2(0.75)};
    assert_int_equal(json_array_size(data), 4);
    for (size_t i = 0; i < 4; i++)
        if (!ts_close(json_real_value(json_array_get(data, i)), want[i]))
            fail_msg("row %zu: %.9g, want %.9g", i, json_real_value(json_array_get(data, i)),
                     want[i]);
    json_decref(doc);

    assert_true(ts_server_http(&srv, "GET", "/v2/models/lgb", NULL, NULL, 0, &resp));
    assert_int_equal(resp.status, 200);
    assert_non_null(strstr(resp.body, "lightgbm_text"));
    ts_response_free(&resp);
    assert_int_equal(ts_server_stop(&srv), 0);
    ts_rmtree(tmp);
    free(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_serves_model_txt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
