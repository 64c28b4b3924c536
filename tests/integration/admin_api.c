/* The admin API of a real `ferry serve` over sockets: the OIP repository index, load and unload;
 * ferry's model, version and history listings; upload and register, deploy and rollback with the
 * files on disk and history checked; every refusal (unknown model or version, archived or
 * production versions, .so plugins by name and by ELF magic, bad arguments, body limit); the
 * admin token (401 without or with a wrong one, 200 with it, refused before the body is read);
 * a non-loopback client refused; and inference answering 200 throughout, from another thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "test_support.h"

#define TOKEN       "s3cret-admin-token"
#define TOKEN_LIMIT 110000 /* body limit of the token server: bc_xgb's model.json fits */

static struct {
    char *tmp;
    char repo[4096];       /* the main server's repository */
    char token_repo[4096]; /* the token server's */
    ts_server srv;         /* no admin token: loopback only */
    ts_server token_srv;   /* --admin-token TOKEN --body-limit TOKEN_LIMIT */
    char *request;         /* a bc_xgb inference request */
    pthread_t load;
    atomic_bool stop;
    atomic_int served, failed, last_failure;
} g;

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static void pause_ms(ts_server *srv, int ms)
{
    for (int waited = 0; waited < ms; waited += 10) {
        usleep(10000);
        ts_server_read_log(srv);
    }
}

/* Sends a request to srv and asserts its status; returns the parsed JSON body (NULL when empty).
 */
static json_t *call(ts_server *srv, const char *method, const char *path, const char *headers,
                    const char *body, size_t len, int want)
{
    ts_response resp;
    assert_true(ts_server_http(srv, method, path, headers, body, body ? len : 0, &resp));
    if (resp.status != want)
        fprintf(stderr, "test: %s %s: status %d (want %d), body %.500s\n", method, path,
                resp.status, want, resp.body);
    assert_int_equal(resp.status, want);
    json_t *doc = resp.body_len > 0 ? ts_response_json(&resp) : NULL;
    ts_response_free(&resp);
    return doc;
}

static json_t *admin(const char *method, const char *path, const char *body, int want)
{
    return call(&g.srv, method, path, NULL, body, body ? strlen(body) : 0, want);
}

/* Asserts an {"error": ...} answer whose message contains needle. */
static void admin_error(const char *method, const char *path, const char *body, int want,
                        const char *needle)
{
    json_t *doc = admin(method, path, body, want);
    const char *msg = json_string_value(json_object_get(doc, "error"));
    assert_non_null(msg);
    if (strstr(msg, needle) == NULL)
        fprintf(stderr, "test: error '%s' does not mention '%s'\n", msg, needle);
    assert_non_null(strstr(msg, needle));
    json_decref(doc);
}

static char *fixture_file(const char *file, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/bc_xgb/%s", ts_shared("models"), file);
    char *data = ts_read_file(path, len);
    assert_non_null(data);
    return data;
}

/* Uploads bc_xgb's `file` to /ferry/v1/models/NAME/versions?QUERY; returns the parsed answer. */
static json_t *upload(ts_server *srv, const char *name, const char *query, const char *file,
                      const char *headers, int want)
{
    size_t len = 0;
    char *data = fixture_file(file, &len);
    char path[1024], all_headers[512];
    snprintf(path, sizeof path, "/ferry/v1/models/%s/versions?%s", name, query);
    snprintf(all_headers, sizeof all_headers, "Content-Type: application/octet-stream\r\n%s",
             headers ? headers : "");
    json_t *doc = call(srv, "POST", path, all_headers, data, len, want);
    free(data);
    return doc;
}

static char *repo_file(const char *repo, const char *rel)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", repo, rel);
    return ts_read_file(path, NULL);
}

static void assert_file_contains(const char *repo, const char *rel, const char *needle)
{
    char *text = repo_file(repo, rel);
    if (text == NULL || strstr(text, needle) == NULL)
        fprintf(stderr, "test: %s/%s does not contain '%s':\n%s\n", repo, rel, needle,
                text ? text : "(missing)");
    assert_non_null(text);
    assert_non_null(strstr(text, needle));
    free(text);
}

static void repo_write(const char *repo, const char *rel, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", repo, rel);
    ts_write_file(path, text);
}

static bool repo_path_exists(const char *repo, const char *rel)
{
    char path[4096];
    struct stat sb;
    snprintf(path, sizeof path, "%s/%s", repo, rel);
    return stat(path, &sb) == 0;
}

/* Status and model_version of one inference on `model`. */
static int infer(ts_server *srv, const char *model, char *version, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "/v2/models/%s/infer", model);
    ts_response resp;
    assert_true(ts_server_http(srv, "POST", path, "Content-Type: application/json\r\n", g.request,
                               strlen(g.request), &resp));
    version[0] = '\0';
    if (resp.status == 200) {
        json_t *doc = ts_response_json(&resp);
        snprintf(version, len, "%s", json_string_value(json_object_get(doc, "model_version")));
        json_decref(doc);
    }
    int status = resp.status;
    ts_response_free(&resp);
    return status;
}

/* Waits up to timeout_ms for `model` to answer from `version` (NULL: to stop answering 200). */
static bool wait_served(const char *model, const char *version, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 20) {
        char got[32];
        int status = infer(&g.srv, model, got, sizeof got);
        if (version == NULL ? status != 200 : status == 200 && strcmp(got, version) == 0)
            return true;
        pause_ms(&g.srv, 20);
    }
    return false;
}

/* The actions of a model's history, space-separated ("register deploy ..."). */
static void history_actions(const char *model, char *out, size_t len)
{
    char path[256];
    snprintf(path, sizeof path, "/ferry/v1/models/%s/history", model);
    json_t *doc = admin("GET", path, NULL, 200);
    json_t *events = json_object_get(doc, "events");
    out[0] = '\0';
    for (size_t i = 0; i < json_array_size(events); i++) {
        json_t *ev = json_array_get(events, i);
        size_t used = strlen(out);
        snprintf(out + used, len - used, "%s%s", i ? " " : "",
                 json_string_value(json_object_get(ev, "action")));
        assert_string_equal(json_string_value(json_object_get(ev, "actor")), "api@127.0.0.1");
    }
    json_decref(doc);
}

/* ------------------------------------------------------------------------------------------ */
/* Inference from another thread, all along                                                    */
/* ------------------------------------------------------------------------------------------ */

static void *keep_inferring(void *arg)
{
    (void)arg;
    while (!atomic_load(&g.stop)) {
        ts_response resp;
        bool ok =
            ts_http(g.srv.port, "POST", "/v2/models/steady/infer",
                    "Content-Type: application/json\r\n", g.request, strlen(g.request), &resp);
        if (ok && resp.status == 200) {
            atomic_fetch_add(&g.served, 1);
        } else {
            atomic_fetch_add(&g.failed, 1);
            atomic_store(&g.last_failure, ok ? resp.status : -1);
        }
        if (ok)
            ts_response_free(&resp);
        usleep(5000);
    }
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* OIP repository extension                                                                     */
/* ------------------------------------------------------------------------------------------ */

static void test_index(void **state)
{
    (void)state;
    json_t *list = admin("POST", "/v2/repository/index", NULL, 200);
    assert_true(json_is_array(list));
    bool found = false;
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *e = json_array_get(list, i);
        if (strcmp(json_string_value(json_object_get(e, "name")), "steady") != 0)
            continue;
        found = true;
        assert_string_equal(json_string_value(json_object_get(e, "version")), "1");
        assert_string_equal(json_string_value(json_object_get(e, "state")), "READY");
        assert_null(json_object_get(e, "reason")); /* empty fields are omitted */
    }
    assert_true(found);
    json_decref(list);
    list = admin("POST", "/v2/repository/index", "{\"ready\": true}", 200);
    for (size_t i = 0; i < json_array_size(list); i++)
        assert_string_equal(json_string_value(json_object_get(json_array_get(list, i), "state")),
                            "READY");
    json_decref(list);
    /* Triton's /v2/repository/{repo}/index names the repository by its folder's name. */
    json_decref(admin("POST", "/v2/repository/repo/index", "", 200));
    admin_error("POST", "/v2/repository/other/index", NULL, 404, "no model repository 'other'");
    admin_error("POST", "/v2/repository/index", "{\"ready\": 1}", 400, "ready");
    admin_error("POST", "/v2/repository/index", "[1]", 400, "JSON object");
    admin_error("POST", "/v2/repository/index", "{bad", 400, "malformed JSON");
}

static void test_load_unload(void **state)
{
    (void)state;
    ts_repo_add(g.repo, "toggle", "1", "bc_xgb", "model.json");
    assert_true(wait_served("toggle", "1", 5000));
    json_t *doc = admin("POST", "/v2/repository/models/toggle/unload", NULL, 200);
    assert_null(doc); /* empty body */
    assert_file_contains(g.repo, "toggle/model.yaml", "load: none");
    assert_true(wait_served("toggle", NULL, 5000));
    json_t *list = admin("POST", "/v2/repository/index", NULL, 200);
    bool unavailable = false;
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *e = json_array_get(list, i);
        if (strcmp(json_string_value(json_object_get(e, "name")), "toggle") == 0)
            unavailable =
                strcmp(json_string_value(json_object_get(e, "state")), "UNAVAILABLE") == 0;
    }
    assert_true(unavailable);
    json_decref(list);
    assert_null(admin("POST", "/v2/repository/models/toggle/load", "{\"parameters\": {}}", 200));
    assert_file_contains(g.repo, "toggle/model.yaml", "load: production");
    assert_true(wait_served("toggle", "1", 5000));
    /* An explicit list is kept by load; the {repo} form works too. */
    repo_write(g.repo, "toggle/model.yaml", "load: [1]\n");
    assert_null(admin("POST", "/v2/repository/repo/models/toggle/load", NULL, 200));
    assert_file_contains(g.repo, "toggle/model.yaml", "load: [1]");
    char actions[512];
    history_actions("toggle", actions, sizeof actions);
    assert_string_equal(actions, "unload load load");
}

static void test_load_refusals(void **state)
{
    (void)state;
    admin_error("POST", "/v2/repository/models/nope/load", NULL, 404, "nope");
    admin_error("POST", "/v2/repository/models/nope/unload", NULL, 404, "nope");
    admin_error("POST", "/v2/repository/models/steady/load",
                "{\"parameters\": {\"config\": \"{}\"}}", 400, "config");
    admin_error("POST", "/v2/repository/models/steady/load",
                "{\"parameters\": {\"file:1/model.json\": \"e30=\"}}", 400, "file:1/model.json");
    admin_error("POST", "/v2/repository/models/steady/load", "{\"parameters\": 3}", 400,
                "parameters");
    admin_error("POST", "/v2/repository/models/.hidden/load", NULL, 400, "not a valid model name");
    ts_response resp;
    assert_true(
        ts_server_http(&g.srv, "GET", "/v2/repository/models/steady/load", NULL, NULL, 0, &resp));
    assert_int_equal(resp.status, 405);
    char allow[64];
    assert_string_equal(ts_header(&resp, "Allow", allow, sizeof allow), "POST");
    ts_response_free(&resp);
}

/* ------------------------------------------------------------------------------------------ */
/* Register, deploy, rollback, archive, history                                                 */
/* ------------------------------------------------------------------------------------------ */

static void test_upload_deploy_rollback(void **state)
{
    (void)state;
    /* A new model: its first version becomes production. */
    json_t *doc =
        upload(&g.srv, "fraud", "filename=model.json&create=true", "model.json", NULL, 201);
    assert_int_equal(json_integer_value(json_object_get(doc, "version")), 1);
    json_decref(doc);
    assert_file_contains(g.repo, "fraud/model.yaml", "production: 1");
    assert_true(wait_served("fraud", "1", 5000));
    /* A second version with metadata: registered, not deployed. */
    doc = upload(&g.srv, "fraud",
                 "filename=model.ubj&metric=accuracy=0.97&param=eta=0.1&tag=team=risk"
                 "&notes=second%20upload&author=ci&parent=1",
                 "model.ubj", NULL, 201);
    assert_int_equal(json_integer_value(json_object_get(doc, "version")), 2);
    json_decref(doc);
    assert_true(repo_path_exists(g.repo, "fraud/2/model.ubj"));
    assert_file_contains(g.repo, "fraud/2/version.yaml", "\"accuracy\": 0.97");
    assert_file_contains(g.repo, "fraud/2/version.yaml", "\"team\": \"risk\"");
    assert_file_contains(g.repo, "fraud/2/version.yaml", "notes: \"second upload\"");
    assert_file_contains(g.repo, "fraud/2/version.yaml", "parent: 1");
    assert_file_contains(g.repo, "fraud/model.yaml", "production: 1");
    /* Deploy 2: model.yaml changes, and the reconciler serves it within seconds. */
    doc = admin("POST", "/ferry/v1/models/fraud/deploy",
                "{\"version\": 2, \"reason\": \"better auc\"}", 200);
    assert_int_equal(json_integer_value(json_object_get(doc, "production")), 2);
    assert_true(json_is_true(json_object_get(doc, "changed")));
    json_decref(doc);
    assert_file_contains(g.repo, "fraud/model.yaml", "production: 2");
    assert_true(wait_served("fraud", "2", 5000));
    /* Deploying production again is a no-op. */
    doc = admin("POST", "/ferry/v1/models/fraud/deploy", "{\"version\": \"2\"}", 200);
    assert_true(json_is_false(json_object_get(doc, "changed")));
    json_decref(doc);
    /* Roll back to the `from` of the last deploy. */
    doc = admin("POST", "/ferry/v1/models/fraud/rollback", "{\"reason\": \"latency\"}", 200);
    assert_int_equal(json_integer_value(json_object_get(doc, "production")), 1);
    json_decref(doc);
    assert_file_contains(g.repo, "fraud/model.yaml", "production: 1");
    assert_true(wait_served("fraud", "1", 5000));
    char actions[512];
    history_actions("fraud", actions, sizeof actions);
    assert_string_equal(actions, "register deploy register deploy rollback");
    assert_file_contains(g.repo, "fraud/history.jsonl", "\"actor\":\"api@127.0.0.1\"");
    assert_file_contains(g.repo, "fraud/history.jsonl", "\"reason\":\"better auc\"");
    /* Rollback with an explicit target. */
    doc = admin("POST", "/ferry/v1/models/fraud/rollback", "{\"to\": 2}", 200);
    assert_int_equal(json_integer_value(json_object_get(doc, "production")), 2);
    json_decref(doc);
    assert_true(wait_served("fraud", "2", 5000));
}

static void test_history_limit(void **state)
{
    (void)state;
    json_t *doc = admin("GET", "/ferry/v1/models/fraud/history?limit=2", NULL, 200);
    json_t *events = json_object_get(doc, "events");
    assert_int_equal(json_array_size(events), 2);
    json_t *last = json_array_get(events, 1);
    assert_string_equal(json_string_value(json_object_get(last, "action")), "rollback");
    assert_int_equal(json_integer_value(json_object_get(last, "from")), 1);
    assert_int_equal(json_integer_value(json_object_get(last, "to")), 2);
    assert_int_equal(json_integer_value(json_object_get(doc, "skipped")), 0);
    json_decref(doc);
    admin_error("GET", "/ferry/v1/models/fraud/history?limit=x", NULL, 400, "limit");
    admin_error("GET", "/ferry/v1/models/nope/history", NULL, 404, "nope");
}

static void test_listings(void **state)
{
    (void)state;
    json_t *doc = admin("GET", "/ferry/v1/models", NULL, 200);
    json_t *models = json_object_get(doc, "models");
    json_t *fraud = NULL;
    for (size_t i = 0; i < json_array_size(models); i++)
        if (strcmp(json_string_value(json_object_get(json_array_get(models, i), "name")),
                   "fraud") == 0)
            fraud = json_array_get(models, i);
    assert_non_null(fraud);
    assert_int_equal(json_integer_value(json_object_get(fraud, "production")), 2);
    assert_int_equal(json_integer_value(json_object_get(fraud, "versions")), 2);
    assert_int_equal(json_integer_value(json_object_get(fraud, "latest")), 2);
    assert_string_equal(json_string_value(json_object_get(fraud, "load")), "production");
    json_t *live = json_object_get(fraud, "live");
    assert_string_equal(json_string_value(json_object_get(live, "state")), "ready");
    assert_string_equal(json_string_value(json_object_get(live, "version")), "2");
    json_decref(doc);

    doc = admin("GET", "/ferry/v1/models/fraud", NULL, 200);
    assert_string_equal(json_string_value(json_object_get(doc, "name")), "fraud");
    json_decref(doc);

    doc = admin("GET", "/ferry/v1/models/fraud/versions", NULL, 200);
    json_t *versions = json_object_get(doc, "versions");
    assert_int_equal(json_array_size(versions), 2);
    json_t *v2 = json_array_get(versions, 1);
    assert_int_equal(json_integer_value(json_object_get(v2, "version")), 2);
    assert_string_equal(json_string_value(json_object_get(v2, "state")), "production");
    assert_string_equal(json_string_value(json_object_get(v2, "backend")), "xgboost");
    assert_string_equal(json_string_value(json_object_get(v2, "author")), "ci");
    assert_int_equal(strlen(json_string_value(json_object_get(v2, "sha256"))), 64);
    assert_true(json_is_true(json_object_get(v2, "serving")));
    json_decref(doc);

    doc = admin("GET", "/ferry/v1/models/fraud/versions/2", NULL, 200);
    json_t *meta = json_object_get(doc, "metadata");
    assert_true(ts_close(
        json_number_value(json_object_get(json_object_get(meta, "metrics"), "accuracy")), 0.97));
    assert_string_equal(json_string_value(json_object_get(json_object_get(meta, "tags"), "team")),
                        "risk");
    assert_string_equal(json_string_value(json_object_get(meta, "notes")), "second upload");
    json_decref(doc);
    /* The first version's author defaults to the API caller. */
    doc = admin("GET", "/ferry/v1/models/fraud/versions/1", NULL, 200);
    assert_string_equal(json_string_value(json_object_get(doc, "author")), "api@127.0.0.1");
    json_decref(doc);
}

static void test_listing_errors(void **state)
{
    (void)state;
    admin_error("GET", "/ferry/v1/models/nope", NULL, 404, "nope");
    admin_error("GET", "/ferry/v1/models/nope/versions", NULL, 404, "nope");
    admin_error("GET", "/ferry/v1/models/fraud/versions/99", NULL, 404, "no version 99");
    admin_error("GET", "/ferry/v1/models/fraud/versions/abc", NULL, 400, "not a version number");
    admin_error("GET", "/ferry/v1/models/fraud/versions/0", NULL, 400, "not a version number");
    admin_error("GET", "/ferry/v1/nothing", NULL, 404, "no endpoint");
    admin_error("GET", "/ferry/v1/models/fraud/versions/1/extra/more", NULL, 404, "no endpoint");
    admin_error("DELETE", "/ferry/v1/models/fraud/versions", NULL, 405, "Method Not Allowed");
    admin_error("POST", "/ferry/v1/models", NULL, 405, "Method Not Allowed");
    admin_error("GET", "/ferry/v1/models/fraud/deploy", NULL, 405, "Method Not Allowed");
    ts_response resp;
    assert_true(ts_server_http(&g.srv, "HEAD", "/ferry/v1/models", NULL, NULL, 0, &resp));
    assert_int_equal(resp.status, 200);
    ts_response_free(&resp);
}

static void test_deploy_refusals(void **state)
{
    (void)state;
    json_decref(upload(&g.srv, "guard", "filename=model.json&create=1", "model.json", NULL, 201));
    json_decref(upload(&g.srv, "guard", "filename=model.json", "model.json", NULL, 201));
    /* Archiving production: 409. Archiving another version, then deploying it: 409. */
    admin_error("POST", "/ferry/v1/models/guard/versions/1/archive", NULL, 409, "in production");
    json_t *doc = admin("POST", "/ferry/v1/models/guard/versions/2/archive",
                        "{\"reason\": \"leaky feature\"}", 200);
    assert_string_equal(json_string_value(json_object_get(doc, "state")), "archived");
    json_decref(doc);
    assert_file_contains(g.repo, "guard/model.yaml", "archived: [2]");
    admin_error("POST", "/ferry/v1/models/guard/deploy", "{\"version\": 2}", 409, "archived");
    /* Rollback with nothing to return to: 409. */
    admin_error("POST", "/ferry/v1/models/steady/rollback", NULL, 409, "roll back");
    /* Unknown model or version: 404. */
    admin_error("POST", "/ferry/v1/models/guard/deploy", "{\"version\": 9}", 404, "no version 9");
    admin_error("POST", "/ferry/v1/models/nope/deploy", "{\"version\": 1}", 404, "nope");
    admin_error("POST", "/ferry/v1/models/nope/rollback", "{\"to\": 1}", 404, "nope");
    admin_error("POST", "/ferry/v1/models/guard/versions/9/archive", NULL, 404, "no version 9");
    admin_error("POST", "/ferry/v1/models/nope/versions/1/archive", NULL, 404, "nope");
    /* Bad input: 400. */
    admin_error("POST", "/ferry/v1/models/guard/deploy", "{}", 400, "\"version\"");
    admin_error("POST", "/ferry/v1/models/guard/deploy", "{\"version\": -1}", 400, "version");
    admin_error("POST", "/ferry/v1/models/guard/deploy", "{\"version\": \"v1\"}", 400, "version");
    admin_error("POST", "/ferry/v1/models/guard/deploy", "{\"version\": 1, \"reason\": 5}", 400,
                "reason");
    admin_error("POST", "/ferry/v1/models/guard/deploy", "{\"version\": 1", 400, "malformed");
    admin_error("POST", "/ferry/v1/models/guard/rollback", "{\"to\": 0}", 400, "to");
    /* A version whose artifact no longer matches its sha256 is refused: 409. */
    json_decref(upload(&g.srv, "guard", "filename=model.json", "model.json", NULL, 201));
    json_decref(admin("POST", "/ferry/v1/models/guard/deploy", "{\"version\": 3}", 200));
    repo_write(g.repo, "guard/1/model.json", "{}");
    admin_error("POST", "/ferry/v1/models/guard/deploy", "{\"version\": 1}", 409, "sha256");
}

static void test_upload_refusals(void **state)
{
    (void)state;
    static const char elf[] = "\x7f"
                              "ELF\x02\x01\x01 not really a plugin";
    static const char octet[] = "Content-Type: application/octet-stream\r\n";
    const char *so_names[] = {"model.so", "libmodel.so.1", "MODEL.SO"};
    for (size_t i = 0; i < 3; i++) {
        char path[256];
        snprintf(path, sizeof path, "/ferry/v1/models/steady/versions?filename=%s", so_names[i]);
        json_t *doc = call(&g.srv, "POST", path, octet, "abc", 3, 400);
        assert_non_null(strstr(json_string_value(json_object_get(doc, "error")), ".so"));
        json_decref(doc);
    }
    /* An ELF file under an innocent name. */
    json_t *doc = call(&g.srv, "POST", "/ferry/v1/models/steady/versions?filename=model.json",
                       octet, elf, sizeof elf - 1, 400);
    assert_non_null(strstr(json_string_value(json_object_get(doc, "error")), "plugins"));
    json_decref(doc);
    assert_false(repo_path_exists(g.repo, "steady/2"));
    json_decref(upload(&g.srv, "nope", "filename=model.json", "model.json", NULL, 404));
    json_decref(upload(&g.srv, "steady", "", "model.json", NULL, 400));
    json_decref(upload(&g.srv, "steady", "filename=..%2Fx.json", "model.json", NULL, 400));
    json_decref(upload(&g.srv, "steady", "filename=model.csv", "model.json", NULL, 400));
    json_decref(upload(&g.srv, "steady", "filename=model.json&bogus=1", "model.json", NULL, 400));
    json_decref(
        upload(&g.srv, "steady", "filename=model.json&metric=novalue", "model.json", NULL, 400));
    json_decref(upload(&g.srv, "steady", "filename=model.json&parent=x", "model.json", NULL, 400));
    json_decref(
        upload(&g.srv, "steady", "filename=model.json&create=maybe", "model.json", NULL, 400));
    json_decref(
        upload(&g.srv, "bad%20name", "filename=model.json&create=true", "model.json", NULL, 400));
    doc = call(&g.srv, "POST", "/ferry/v1/models/steady/versions?filename=model.json",
               "Content-Type: application/json\r\n", "{}", 2, 415);
    json_decref(doc);
    doc = call(&g.srv, "POST", "/ferry/v1/models/steady/versions?filename=model.json", octet, "", 0,
               400);
    json_decref(doc);
    assert_false(repo_path_exists(g.repo, "steady/2"));
    assert_false(repo_path_exists(g.repo, "nope"));
}

/* ------------------------------------------------------------------------------------------ */
/* Access                                                                                       */
/* ------------------------------------------------------------------------------------------ */

static void test_token_required(void **state)
{
    (void)state;
    ts_server *t = &g.token_srv;
    ts_response resp;
    assert_true(ts_server_http(t, "GET", "/ferry/v1/models", NULL, NULL, 0, &resp));
    assert_int_equal(resp.status, 401);
    char value[128];
    assert_non_null(ts_header(&resp, "WWW-Authenticate", value, sizeof value));
    assert_non_null(strstr(value, "Bearer"));
    ts_response_free(&resp);
    json_decref(
        call(t, "GET", "/ferry/v1/models", "Authorization: Bearer wrong\r\n", NULL, 0, 401));
    json_decref(
        call(t, "GET", "/ferry/v1/models", "Authorization: Basic " TOKEN "\r\n", NULL, 0, 401));
    json_decref(call(t, "POST", "/v2/repository/index", NULL, NULL, 0, 401));
    json_decref(call(t, "GET", "/ferry/v1/nothing", NULL, NULL, 0, 401)); /* nothing leaks */
    json_decref(
        call(t, "GET", "/ferry/v1/models", "Authorization: Bearer " TOKEN "\r\n", NULL, 0, 200));
    json_decref(call(t, "POST", "/v2/repository/index", "Authorization: bearer " TOKEN "\r\n", NULL,
                     0, 200));
    /* Inference does not need the token. */
    char version[32];
    assert_int_equal(infer(t, "steady", version, sizeof version), 200);
}

static void test_token_upload_up_to_body_limit(void **state)
{
    (void)state;
    static const char auth[] = "Authorization: Bearer " TOKEN "\r\n";
    json_t *doc =
        upload(&g.token_srv, "big", "filename=model.json&create=true", "model.json", auth, 201);
    assert_int_equal(json_integer_value(json_object_get(doc, "version")), 1);
    json_decref(doc);
    assert_true(repo_path_exists(g.token_repo, "big/1/model.json"));
    /* Over the limit: 413, announced by Content-Length and refused before the body. */
    int fd = ts_connect(g.token_srv.port);
    assert_true(fd >= 0);
    char head[512];
    snprintf(head, sizeof head,
             "POST /ferry/v1/models/big/versions?filename=model.json HTTP/1.1\r\nHost: x\r\n%s"
             "Content-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n",
             auth, TOKEN_LIMIT + 1);
    assert_true(ts_send_all(fd, head, strlen(head)));
    ts_response resp;
    assert_true(ts_read_response(fd, &resp));
    close(fd);
    assert_int_equal(resp.status, 413);
    ts_response_free(&resp);
    assert_false(repo_path_exists(g.token_repo, "big/2"));
}

/* FERRY_ADMIN_TOKEN sets the token; --admin-token wins over it; an empty flag is a usage error. */
static void test_token_from_environment(void **state)
{
    (void)state;
    char st[4200];
    snprintf(st, sizeof st, "%s/state-env", g.tmp);
    setenv("FERRY_ADMIN_TOKEN", "from-env", 1);
    const char *args[] = {"--repo", g.token_repo, "--state", st, NULL};
    ts_server srv = {0};
    bool started = ts_server_start(&srv, args);
    unsetenv("FERRY_ADMIN_TOKEN");
    assert_true(started);
    json_decref(call(&srv, "GET", "/ferry/v1/models", NULL, NULL, 0, 401));
    json_decref(
        call(&srv, "GET", "/ferry/v1/models", "Authorization: Bearer from-env\r\n", NULL, 0, 200));
    assert_int_equal(ts_server_stop(&srv), 0);
    const char *flag_args[] = {"--repo",        g.token_repo, "--state", st,
                               "--admin-token", "flag",       NULL};
    setenv("FERRY_ADMIN_TOKEN", "from-env", 1);
    started = ts_server_start(&srv, flag_args);
    unsetenv("FERRY_ADMIN_TOKEN");
    assert_true(started);
    json_decref(
        call(&srv, "GET", "/ferry/v1/models", "Authorization: Bearer from-env\r\n", NULL, 0, 401));
    json_decref(
        call(&srv, "GET", "/ferry/v1/models", "Authorization: Bearer flag\r\n", NULL, 0, 200));
    assert_int_equal(ts_server_stop(&srv), 0);
    char command[4400];
    snprintf(command, sizeof command, "'%s' serve --repo '%s' --admin-token '' 2>&1",
             ts_ferry_bin(), g.token_repo);
    char *out = NULL;
    assert_int_equal(ts_run(command, &out), 2);
    assert_non_null(strstr(out, "--admin-token"));
    free(out);
}

/* Without the token the server answers 401 from the headers and never reads the body. */
static void test_token_refused_before_body(void **state)
{
    (void)state;
    int fd = ts_connect(g.token_srv.port);
    assert_true(fd >= 0);
    static const char head[] = "POST /ferry/v1/models/big/versions?filename=model.json HTTP/1.1\r\n"
                               "Host: x\r\nContent-Type: application/octet-stream\r\n"
                               "Content-Length: 100000\r\n\r\n";
    assert_true(ts_send_all(fd, head, strlen(head)));
    ts_response resp;
    assert_true(ts_read_response(fd, &resp)); /* no body sent: only an early answer arrives */
    close(fd);
    assert_int_equal(resp.status, 401);
    ts_response_free(&resp);
}

static void test_artifact_mode(void **state)
{
    (void)state;
    char artifact[4096];
    snprintf(artifact, sizeof artifact, "%s/bc_xgb/model.json", ts_shared("models"));
    char st[4200];
    snprintf(st, sizeof st, "%s/state-artifact", g.tmp);
    const char *args[] = {artifact, "--name", "solo", "--state", st, NULL};
    ts_server srv = {0};
    assert_true(ts_server_start(&srv, args));
    json_t *doc = call(&srv, "GET", "/ferry/v1/models", NULL, NULL, 0, 501);
    json_decref(doc);
    doc = call(&srv, "POST", "/v2/repository/models/solo/unload", NULL, NULL, 0, 501);
    json_decref(doc);
    doc = call(&srv, "POST", "/v2/repository/index", NULL, NULL, 0, 200);
    assert_string_equal(json_string_value(json_object_get(json_array_get(doc, 0), "name")), "solo");
    json_decref(doc);
    assert_int_equal(ts_server_stop(&srv), 0);
}

static void test_inference_kept_serving(void **state)
{
    (void)state;
    atomic_store(&g.stop, true);
    pthread_join(g.load, NULL);
    fprintf(stderr, "test: %d inferences served during the admin tests, %d failed (last %d)\n",
            atomic_load(&g.served), atomic_load(&g.failed), atomic_load(&g.last_failure));
    assert_true(atomic_load(&g.served) > 0);
    assert_int_equal(atomic_load(&g.failed), 0);
}

/* ------------------------------------------------------------------------------------------ */
/* Setup                                                                                        */
/* ------------------------------------------------------------------------------------------ */

static bool start(ts_server *srv, const char *repo, const char *state_name, const char *token)
{
    char st[4200], limit[32];
    snprintf(st, sizeof st, "%s/%s", g.tmp, state_name);
    snprintf(limit, sizeof limit, "%d", TOKEN_LIMIT);
    const char *plain[] = {"--repo", repo, "--state", st, NULL};
    const char *guarded[] = {"--repo", repo,           "--state", st,  "--admin-token",
                             token,    "--body-limit", limit,     NULL};
    bool ok = ts_server_start(srv, token ? guarded : plain);
    if (!ok)
        fprintf(stderr, "test: server did not start:\n%s\n", srv->log ? srv->log : "");
    return ok;
}

static int setup(void **state)
{
    (void)state;
    g.tmp = ts_mkdtemp();
    snprintf(g.repo, sizeof g.repo, "%s/repo", g.tmp);
    snprintf(g.token_repo, sizeof g.token_repo, "%s/token-repo", g.tmp);
    ts_repo_add(g.repo, "steady", "1", "bc_xgb", "model.json");
    ts_repo_add(g.token_repo, "steady", "1", "bc_xgb", "model.json");
    g.request = ts_fixture_request("bc_xgb");
    if (!start(&g.srv, g.repo, "state", NULL) ||
        !start(&g.token_srv, g.token_repo, "token-state", TOKEN))
        return -1;
    atomic_init(&g.stop, false);
    return pthread_create(&g.load, NULL, keep_inferring, NULL) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    if (!atomic_load(&g.stop)) {
        atomic_store(&g.stop, true);
        pthread_join(g.load, NULL);
    }
    int a = ts_server_stop(&g.srv), b = ts_server_stop(&g.token_srv);
    free(g.request);
    ts_rmtree(g.tmp);
    free(g.tmp);
    return a == 0 && b == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index),
        cmocka_unit_test(test_load_unload),
        cmocka_unit_test(test_load_refusals),
        cmocka_unit_test(test_upload_deploy_rollback),
        cmocka_unit_test(test_history_limit),
        cmocka_unit_test(test_listings),
        cmocka_unit_test(test_listing_errors),
        cmocka_unit_test(test_deploy_refusals),
        cmocka_unit_test(test_upload_refusals),
        cmocka_unit_test(test_token_required),
        cmocka_unit_test(test_token_upload_up_to_body_limit),
        cmocka_unit_test(test_token_refused_before_body),
        cmocka_unit_test(test_token_from_environment),
        cmocka_unit_test(test_artifact_mode),
        cmocka_unit_test(test_inference_kept_serving),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
