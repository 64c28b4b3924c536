/* The repository commands as a user runs them (the real ferry binary, temporary repositories):
 * register, models, versions, show, deploy, rollback, archive and history with their tables,
 * --json output and exit codes; the history.jsonl a sequence of changes leaves; rollback toggling
 * between the last two production versions; every refusal (unknown model or version, archived or
 * tampered version, archiving production, a missing model without --create) and usage error (bad
 * K=V pairs, non-numeric versions); a torn last history line skipped and reported; FERRY_REPO. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_support.h"

static struct {
    char *tmp;
    char art_a[4200]; /* ../shared bc_xgb model.json */
    char art_b[4200]; /* examples breast_cancer version 1 model.json */
    char train_csv[4200];
    char sha_b[65];
} g;

typedef ts_cmd_result run_result;

static run_result run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static run_result run(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    run_result r = ts_cmd_v(g.tmp, "USER=tester", fmt, ap);
    va_end(ap);
    return r;
}

static void run_free(run_result *r)
{
    ts_cmd_free(r);
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", needle, haystack);
}

static void assert_starts_with(const char *text, const char *prefix)
{
    if (strncmp(text, prefix, strlen(prefix)) != 0)
        fail_msg("expected \"%s\" to start with \"%s\"", text, prefix);
}

/* Runs `ferry ARGS` against repo and asserts exit 0 and the exact stdout (when want_out). */
static void ok(const char *repo, const char *args, const char *want_out)
{
    run_result r = run("'%s' %s --repo '%s'", ts_ferry_bin(), args, repo);
    if (r.rc != 0)
        fail_msg("ferry %s exited %d: %s", args, r.rc, r.err);
    if (want_out != NULL)
        assert_string_equal(r.out, want_out);
    run_free(&r);
}

/* Runs `ferry ARGS` against repo and asserts exit `rc`, nothing on stdout and every needle on
 * stderr. */
static void refused(const char *repo, const char *args, int rc, const char *const *needles)
{
    run_result r = run("'%s' %s --repo '%s'", ts_ferry_bin(), args, repo);
    if (r.rc != rc)
        fail_msg("ferry %s exited %d, expected %d; stderr: %s", args, r.rc, rc, r.err);
    assert_string_equal(r.out, "");
    assert_true(r.err[0] != '\0');
    for (size_t i = 0; needles != NULL && needles[i] != NULL; i++)
        assert_contains(r.err, needles[i]);
    run_free(&r);
}

/* Runs `ferry ARGS --json` against repo and returns the parsed output. */
static json_t *json_of(const char *repo, const char *args)
{
    run_result r = run("'%s' %s --json --repo '%s'", ts_ferry_bin(), args, repo);
    if (r.rc != 0)
        fail_msg("ferry %s --json exited %d: %s", args, r.rc, r.err);
    json_error_t jerr;
    json_t *doc = json_loads(r.out, 0, &jerr);
    if (doc == NULL)
        fail_msg("ferry %s --json: not JSON (%s): %s", args, jerr.text, r.out);
    run_free(&r);
    return doc;
}

/* A fresh, empty repository folder under the test's temporary folder. */
static void new_repo(const char *label, char *repo, size_t len)
{
    snprintf(repo, len, "%s/%s", g.tmp, label);
    char keep[4300];
    snprintf(keep, sizeof keep, "%s/.keep", repo);
    ts_write_file(keep, "");
}

/* Registers artifact into repo/name and asserts it printed version `want`. */
static void reg(const char *repo, const char *name, const char *artifact, const char *extra,
                int want)
{
    char args[8192], out[32];
    snprintf(args, sizeof args, "register %s '%s' %s", name, artifact, extra ? extra : "");
    snprintf(out, sizeof out, "%d\n", want);
    ok(repo, args, out);
}

static const char *str(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    if (s == NULL)
        fail_msg("no string \"%s\"", key);
    return s;
}

static long long num(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v))
        fail_msg("no integer \"%s\"", key);
    return json_integer_value(v);
}

/* ------------------------------------------------------------------------------------------ */
/* Setup                                                                                        */
/* ------------------------------------------------------------------------------------------ */

static int setup(void **state)
{
    (void)state;
    g.tmp = ts_mkdtemp();
    snprintf(g.art_a, sizeof g.art_a, "%s/artifacts/a/model.json", g.tmp);
    snprintf(g.art_b, sizeof g.art_b, "%s/artifacts/b/model.json", g.tmp);
    snprintf(g.train_csv, sizeof g.train_csv, "%s/artifacts/train.csv", g.tmp);
    ts_copy_file(ts_shared("models/bc_xgb/model.json"), g.art_a);
    ts_copy_file(ts_source("examples/models/breast_cancer/1/model.json"), g.art_b);
    ts_copy_file(ts_source("examples/models/breast_cancer/data/train.csv"), g.train_csv);
    /* The example's version.yaml records its artifact's sha256. */
    char *yaml = ts_read_file(ts_source("examples/models/breast_cancer/1/version.yaml"), NULL);
    assert_non_null(yaml);
    const char *sha = strstr(yaml, "sha256: ");
    assert_non_null(sha);
    snprintf(g.sha_b, sizeof g.sha_b, "%.64s", sha + 8);
    free(yaml);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ts_rmtree(g.tmp);
    free(g.tmp);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* register, models, versions, show                                                            */
/* ------------------------------------------------------------------------------------------ */

static void test_register(void **state)
{
    (void)state;
    char repo[4200], args[8192];
    new_repo("register", repo, sizeof repo);
    reg(repo, "fraud", g.art_a, "--create", 1);
    snprintf(args, sizeof args,
             "--metric auc=0.98 --metric accuracy=0.95 --param max_depth=4 --param eta=0.1 "
             "--tag team=risk --data '%s' --notes 'retrained, new features' --parent 1 "
             "--author bob --run-id run-42",
             g.train_csv);
    reg(repo, "fraud", g.art_b, args, 2);
    /* The version folder holds the artifact and version.yaml; the first version is production. */
    char path[4300];
    snprintf(path, sizeof path, "%s/fraud/2/model.json", repo);
    assert_int_equal(access(path, R_OK), 0);
    snprintf(path, sizeof path, "%s/fraud/model.yaml", repo);
    char *model_yaml = ts_read_file(path, NULL);
    assert_contains(model_yaml, "production: 1\n");
    free(model_yaml);

    json_t *v2 = json_of(repo, "show fraud:2");
    json_t *meta = json_object_get(v2, "metadata"); /* version.yaml */
    assert_string_equal(str(v2, "name"), "fraud");
    assert_int_equal(num(v2, "version"), 2);
    assert_string_equal(str(v2, "state"), "candidate");
    assert_string_equal(str(v2, "sha256"), g.sha_b);
    assert_int_equal(num(meta, "size"), 99039);
    assert_string_equal(str(v2, "backend"), "xgboost");
    assert_string_equal(str(v2, "author"), "bob");
    assert_string_equal(str(meta, "notes"), "retrained, new features");
    assert_string_equal(str(meta, "run_id"), "run-42");
    assert_int_equal(num(meta, "parent"), 1);
    char *created = strdup(str(v2, "created"));
    assert_int_equal(strlen(created), 20);
    assert_int_equal(created[19], 'Z');
    free(created);
    json_t *metrics = json_object_get(meta, "metrics");
    assert_true(ts_close(json_real_value(json_object_get(metrics, "auc")), 0.98));
    assert_true(ts_close(json_real_value(json_object_get(metrics, "accuracy")), 0.95));
    assert_int_equal(num(json_object_get(meta, "params"), "max_depth"), 4);
    assert_string_equal(str(json_object_get(meta, "tags"), "team"), "risk");
    json_t *data = json_object_get(meta, "training_data");
    assert_int_equal(num(data, "rows"), 455);
    assert_int_equal(strlen(str(data, "sha256")), 64);
    json_t *columns = json_object_get(data, "columns");
    assert_int_equal(json_array_size(columns), 31);
    assert_string_equal(json_string_value(json_array_get(columns, 0)), "mean_radius");
    json_decref(v2);

    /* The author defaults to $USER. */
    json_t *v1 = json_of(repo, "show fraud:1");
    assert_string_equal(str(v1, "author"), "tester");
    assert_null(json_object_get(json_object_get(v1, "metadata"), "metrics"));
    json_decref(v1);
}

static void test_models_versions_show(void **state)
{
    (void)state;
    char repo[4200];
    new_repo("listing", repo, sizeof repo);
    reg(repo, "fraud", g.art_a, "--create --metric auc=0.97", 1);
    reg(repo, "fraud", g.art_b, "--metric auc=0.99 --metric f1=0.9", 2);
    reg(repo, "churn", g.art_b, "--create", 1);

    ok(repo, "models",
       "NAME   PRODUCTION  VERSIONS  LATEST\n"
       "churn  1           1         1\n"
       "fraud  1           2         2\n");
    json_t *models = json_of(repo, "models");
    json_t *list = json_object_get(models, "models");
    assert_int_equal(json_array_size(list), 2);
    json_t *fraud = json_array_get(list, 1);
    assert_string_equal(str(fraud, "name"), "fraud");
    assert_int_equal(num(fraud, "production"), 1);
    assert_int_equal(num(fraud, "versions"), 2);
    assert_int_equal(num(fraud, "latest"), 2);
    json_decref(models);

    run_result r = run("'%s' versions fraud --repo '%s'", ts_ferry_bin(), repo);
    assert_int_equal(r.rc, 0);
    assert_starts_with(r.out,
                       "VERSION  STATE       CREATED               AUTHOR  BACKEND  METRICS\n");
    assert_contains(r.out, "\n1        production  ");
    assert_contains(r.out, "  tester  xgboost  auc=0.97\n");
    assert_contains(r.out, "\n2        candidate   ");
    assert_contains(r.out, "  auc=0.99 f1=0.9\n");
    run_free(&r);
    json_t *versions = json_of(repo, "versions fraud");
    assert_string_equal(str(versions, "name"), "fraud");
    assert_int_equal(num(versions, "production"), 1);
    list = json_object_get(versions, "versions");
    assert_int_equal(json_array_size(list), 2);
    assert_string_equal(str(json_array_get(list, 0), "state"), "production");
    assert_string_equal(str(json_array_get(list, 1), "state"), "candidate");
    assert_string_equal(str(json_array_get(list, 1), "sha256"), g.sha_b); /* version.yaml */
    assert_non_null(
        json_object_get(json_object_get(json_array_get(list, 1), "metadata"), "metrics"));
    json_decref(versions);

    /* show: production by default, as YAML for people. */
    r = run("'%s' show fraud --repo '%s'", ts_ferry_bin(), repo);
    assert_int_equal(r.rc, 0);
    assert_starts_with(r.out, "model: fraud\nversion: 1\nstate: production\nsha256: ");
    assert_contains(r.out, "\nbackend: xgboost\n");
    assert_contains(r.out, "\nmetrics:\n");
    run_free(&r);
    r = run("'%s' show fraud:2 --repo '%s'", ts_ferry_bin(), repo);
    assert_int_equal(r.rc, 0);
    assert_contains(r.out, "version: 2\nstate: candidate\n");
    assert_contains(r.out, g.sha_b);
    run_free(&r);
    json_t *shown = json_of(repo, "show fraud");
    assert_int_equal(num(shown, "version"), 1);
    assert_string_equal(str(shown, "state"), "production");
    json_decref(shown);
}

static void test_env_repo(void **state)
{
    (void)state;
    char repo[4200];
    new_repo("env", repo, sizeof repo);
    reg(repo, "fraud", g.art_a, "--create", 1);
    /* FERRY_REPO names the repository... */
    run_result r = run("FERRY_REPO='%s' '%s' register fraud '%s'", repo, ts_ferry_bin(), g.art_b);
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.out, "2\n");
    run_free(&r);
    r = run("FERRY_REPO='%s' '%s' versions fraud", repo, ts_ferry_bin());
    assert_int_equal(r.rc, 0);
    assert_contains(r.out, "\n2 ");
    run_free(&r);
    /* ...and --repo wins over it. */
    r = run("FERRY_REPO='%s/nowhere' '%s' models --repo '%s'", g.tmp, ts_ferry_bin(), repo);
    assert_int_equal(r.rc, 0);
    assert_contains(r.out, "fraud  1           2         2\n");
    run_free(&r);
    r = run("FERRY_REPO='%s/nowhere' '%s' models", g.tmp, ts_ferry_bin());
    assert_int_equal(r.rc, 1);
    assert_contains(r.err, "nowhere");
    run_free(&r);
}

/* ------------------------------------------------------------------------------------------ */
/* deploy, rollback, archive, history                                                           */
/* ------------------------------------------------------------------------------------------ */

typedef struct expected_event {
    const char *action;
    int from, to; /* 0: null */
} expected_event;

static void check_history_file(const char *repo, const expected_event *want, size_t n)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/fraud/history.jsonl", repo);
    char *text = ts_read_file(path, NULL);
    assert_non_null(text);
    size_t i = 0;
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n"), i++) {
        json_t *ev = json_loads(line, 0, NULL);
        if (ev == NULL || i >= n)
            fail_msg("history line %zu: %s", i + 1, line);
        assert_string_equal(str(ev, "action"), want[i].action);
        assert_string_equal(str(ev, "model"), "fraud");
        assert_string_equal(str(ev, "actor"), "tester");
        assert_int_equal(strlen(str(ev, "ts")), 20);
        json_t *from = json_object_get(ev, "from"), *to = json_object_get(ev, "to");
        if (want[i].from == 0)
            assert_true(json_is_null(from));
        else
            assert_int_equal(json_integer_value(from), want[i].from);
        assert_int_equal(json_integer_value(to), want[i].to);
        json_decref(ev);
    }
    assert_int_equal(i, n);
    free(text);
}

static void test_deploy_rollback_archive(void **state)
{
    (void)state;
    char repo[4200];
    new_repo("lifecycle", repo, sizeof repo);
    reg(repo, "fraud", g.art_a, "--create", 1);
    reg(repo, "fraud", g.art_b, NULL, 2);
    reg(repo, "fraud", g.art_a, NULL, 3);
    ok(repo, "deploy fraud 2 --reason 'better auc'", "fraud: version 2 is now production\n");
    /* Deploying production again is a no-op that says so. */
    ok(repo, "deploy fraud 2", "fraud: version 2 is already production; nothing changed\n");
    /* rollback returns to the `from` of the last deploy or rollback: it toggles. */
    ok(repo, "rollback fraud --reason 'auc dropped'", "1\n");
    ok(repo, "rollback fraud", "2\n");
    ok(repo, "rollback fraud --to 3", "3\n");
    ok(repo, "rollback fraud", "2\n");
    ok(repo, "archive fraud 1 --reason superseded", "fraud: version 1 is archived\n");

    const expected_event want[] = {
        {"register", 0, 1}, {"deploy", 0, 1},   {"register", 0, 2}, {"register", 0, 3},
        {"deploy", 1, 2},   {"rollback", 2, 1}, {"rollback", 1, 2}, {"rollback", 2, 3},
        {"rollback", 3, 2}, {"archive", 0, 1},
    };
    check_history_file(repo, want, sizeof want / sizeof want[0]);

    char path[4300];
    snprintf(path, sizeof path, "%s/fraud/model.yaml", repo);
    char *model_yaml = ts_read_file(path, NULL);
    assert_contains(model_yaml, "production: 2\n");
    assert_contains(model_yaml, "archived: [1]\n");
    free(model_yaml);
    json_t *versions = json_of(repo, "versions fraud");
    json_t *list = json_object_get(versions, "versions");
    assert_string_equal(str(json_array_get(list, 0), "state"), "archived");
    assert_string_equal(str(json_array_get(list, 1), "state"), "production");
    assert_string_equal(str(json_array_get(list, 2), "state"), "available"); /* was deployed */
    json_decref(versions);

    /* ferry history: a table and JSON. */
    run_result r = run("'%s' history fraud --repo '%s'", ts_ferry_bin(), repo);
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.err, "");
    assert_starts_with(r.out, "TIME                  ACTOR   ACTION    FROM  TO  REASON\n");
    assert_contains(r.out, "  tester  deploy    1     2   better auc\n");
    assert_contains(r.out, "  tester  rollback  2     1   auc dropped\n");
    assert_contains(r.out, "  tester  archive   -     1   superseded\n");
    run_free(&r);
    json_t *history = json_of(repo, "history fraud");
    assert_string_equal(str(history, "name"), "fraud");
    assert_int_equal(num(history, "skipped_lines"), 0);
    json_t *events = json_object_get(history, "events");
    assert_int_equal(json_array_size(events), 10);
    json_t *last = json_array_get(events, 9);
    assert_string_equal(str(last, "action"), "archive");
    assert_string_equal(str(last, "reason"), "superseded");
    assert_true(json_is_null(json_object_get(last, "from")));
    assert_int_equal(num(last, "to"), 1);
    json_decref(history);
}

static void test_refusals(void **state)
{
    (void)state;
    char repo[4200];
    new_repo("refusals", repo, sizeof repo);
    reg(repo, "fraud", g.art_a, "--create", 1);
    reg(repo, "fraud", g.art_b, NULL, 2);
    reg(repo, "fraud", g.art_a, NULL, 3);
    /* Unknown model, named, for every command that takes one. */
    const char *const ghost[] = {"ghost", NULL};
    refused(repo, "versions ghost", 1, ghost);
    refused(repo, "show ghost", 1, ghost);
    refused(repo, "show ghost:1", 1, ghost);
    refused(repo, "deploy ghost 1", 1, ghost);
    refused(repo, "rollback ghost", 1, ghost);
    refused(repo, "archive ghost 1", 1, ghost);
    refused(repo, "history ghost", 1, ghost);
    /* Unknown version. */
    const char *const nine[] = {"fraud", "version 9", NULL};
    refused(repo, "deploy fraud 9", 1, nine);
    refused(repo, "archive fraud 9", 1, nine);
    refused(repo, "show fraud:9", 1, nine);
    refused(repo, "rollback fraud --to 9", 1, nine);
    /* Registering into a missing model without --create. */
    char args[8192];
    snprintf(args, sizeof args, "register newmodel '%s'", g.art_a);
    const char *const create[] = {"newmodel", "--create", NULL};
    refused(repo, args, 1, create);
    snprintf(args, sizeof args, "%s/newmodel", repo);
    assert_int_not_equal(access(args, F_OK), 0);
    /* A missing or unknown artifact, named. */
    snprintf(args, sizeof args, "register fraud '%s/missing.json'", g.tmp);
    const char *const missing[] = {"missing.json", NULL};
    refused(repo, args, 1, missing);
    snprintf(args, sizeof args, "register fraud '%s'", g.train_csv);
    const char *const unknown_type[] = {"train.csv", NULL};
    refused(repo, args, 1, unknown_type);
    snprintf(args, sizeof args, "register fraud '%s' --parent 7", g.art_a);
    const char *const parent[] = {"--parent", "version 7", NULL};
    refused(repo, args, 1, parent);
    /* Nothing to roll back to yet: only the first version was ever production. */
    const char *const nothing[] = {"fraud", "roll back", NULL};
    refused(repo, "rollback fraud", 1, nothing);
    /* Archiving production; deploying an archived version. */
    const char *const production[] = {"fraud", "version 1", "production", NULL};
    refused(repo, "archive fraud 1", 1, production);
    ok(repo, "archive fraud 2", NULL);
    ok(repo, "archive fraud 2", NULL); /* again: no-op */
    const char *const archived[] = {"fraud", "version 2", "archived", NULL};
    refused(repo, "deploy fraud 2", 1, archived);
    refused(repo, "rollback fraud --to 2", 1, archived);
    /* An artifact changed after register no longer matches its sha256. */
    char path[4300];
    snprintf(path, sizeof path, "%s/fraud/3/model.json", repo);
    FILE *f = fopen(path, "ab");
    assert_non_null(f);
    fputs(" ", f);
    fclose(f);
    const char *const tampered[] = {"fraud", "version 3", "sha256", "fraud/3/model.json", NULL};
    refused(repo, "deploy fraud 3", 1, tampered);
    /* None of the refusals changed production. */
    json_t *shown = json_of(repo, "show fraud");
    assert_int_equal(num(shown, "version"), 1);
    json_decref(shown);
    /* A repository that does not exist. */
    char nowhere[4300];
    snprintf(nowhere, sizeof nowhere, "%s/no-repo", g.tmp);
    const char *const no_repo[] = {"no-repo", NULL};
    refused(nowhere, "models", 1, no_repo);
}

static void test_usage_errors(void **state)
{
    (void)state;
    char repo[4200], args[8192];
    new_repo("usage", repo, sizeof repo);
    reg(repo, "fraud", g.art_a, "--create", 1);
    /* Missing arguments. */
    const char *const bare[] = {"register",     "versions", "show",          "deploy",
                                "deploy fraud", "rollback", "archive fraud", "history"};
    for (size_t i = 0; i < sizeof bare / sizeof bare[0]; i++) {
        const char *const needles[] = {"missing", "--help", NULL};
        refused(repo, bare[i], 2, needles);
    }
    /* Bad K=V pairs. */
    const char *const pairs[] = {
        "--metric auc",        "--metric =0.9", "--metric auc=high",
        "--param depth",       "--tag =x",      "--metric auc=1 --metric auc=2",
        "--tag a=1 --tag a=2", "--metric"};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        snprintf(args, sizeof args, "register fraud '%s' %s", g.art_a, pairs[i]);
        refused(repo, args, 2, NULL);
    }
    const char *const kv[] = {"--metric", "KEY=VALUE", NULL};
    snprintf(args, sizeof args, "register fraud '%s' --metric auc", g.art_a);
    refused(repo, args, 2, kv);
    const char *const number[] = {"--metric auc", "number", "high", NULL};
    snprintf(args, sizeof args, "register fraud '%s' --metric auc=high", g.art_a);
    refused(repo, args, 2, number);
    /* Non-numeric versions. */
    const char *const versions[] = {
        "deploy fraud abc",  "deploy fraud 0",        "deploy fraud -1", "deploy fraud 01",
        "archive fraud 1.5", "rollback fraud --to x", "show fraud:x",    "show fraud:"};
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
        const char *const needles[] = {"version number", NULL};
        refused(repo, versions[i], 2, needles);
    }
    snprintf(args, sizeof args, "register fraud '%s' --parent one", g.art_a);
    const char *const parent[] = {"--parent", "version number", NULL};
    refused(repo, args, 2, parent);
    /* Unknown options and extra arguments. */
    const char *const bogus[] = {"--bogus", NULL};
    refused(repo, "models --bogus", 2, bogus);
    refused(repo, "deploy fraud 1 --bogus", 2, bogus);
    const char *const extra[] = {"unexpected", "extra", NULL};
    refused(repo, "deploy fraud 1 extra", 2, extra);
    refused(repo, "deploy fraud 1 --json", 2, NULL); /* no --json for deploy */
    /* Nothing changed. */
    json_t *history = json_of(repo, "history fraud");
    assert_int_equal(json_array_size(json_object_get(history, "events")), 2);
    json_decref(history);
}

static void test_help(void **state)
{
    (void)state;
    const char *const commands[] = {"register", "models",   "versions", "show",
                                    "deploy",   "rollback", "archive",  "history"};
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        run_result r = run("'%s' %s --help", ts_ferry_bin(), commands[i]);
        assert_int_equal(r.rc, 0);
        char usage[64];
        snprintf(usage, sizeof usage, "usage: ferry %s", commands[i]);
        assert_contains(r.out, usage);
        assert_contains(r.out, "--repo DIR");
        run_free(&r);
        /* ...and the top-level help lists the command. */
        r = run("'%s' --help", ts_ferry_bin());
        snprintf(usage, sizeof usage, "  %s ", commands[i]);
        assert_contains(r.out, usage);
        run_free(&r);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* A torn history line                                                                          */
/* ------------------------------------------------------------------------------------------ */

static void test_torn_history_line(void **state)
{
    (void)state;
    char repo[4200], path[4300];
    new_repo("torn", repo, sizeof repo);
    reg(repo, "fraud", g.art_a, "--create", 1);
    reg(repo, "fraud", g.art_b, NULL, 2);
    ok(repo, "deploy fraud 2 --reason 'cut short'", NULL);
    /* A crash mid-append: the last line (deploy 1 -> 2) ends half way. */
    snprintf(path, sizeof path, "%s/fraud/history.jsonl", repo);
    size_t len = 0;
    char *text = ts_read_file(path, &len);
    assert_non_null(text);
    free(text);
    assert_int_equal(truncate(path, (off_t)(len - 25)), 0);

    run_result r = run("'%s' history fraud --repo '%s'", ts_ferry_bin(), repo);
    assert_int_equal(r.rc, 0);
    assert_contains(r.err, "skipped 1");
    assert_contains(r.err, "history.jsonl");
    assert_contains(r.out, "register  -     1");
    assert_contains(r.out, "deploy    -     1   first version\n");
    assert_contains(r.out, "register  -     2\n");
    assert_null(strstr(r.out, "cut short"));
    run_free(&r);
    json_t *history = json_of(repo, "history fraud");
    assert_int_equal(num(history, "skipped_lines"), 1);
    assert_int_equal(json_array_size(json_object_get(history, "events")), 3);
    json_decref(history);

    /* Changes go on, and the next event is readable (it starts a new line). */
    ok(repo, "deploy fraud 1 --reason 'after the crash'", NULL);
    history = json_of(repo, "history fraud");
    assert_int_equal(num(history, "skipped_lines"), 1);
    json_t *events = json_object_get(history, "events");
    assert_int_equal(json_array_size(events), 4);
    json_t *last = json_array_get(events, 3);
    assert_string_equal(str(last, "reason"), "after the crash");
    assert_int_equal(num(last, "from"), 2);
    assert_int_equal(num(last, "to"), 1);
    json_decref(history);
    /* The listing commands read past it too. */
    ok(repo, "versions fraud", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register), cmocka_unit_test(test_models_versions_show),
        cmocka_unit_test(test_env_repo), cmocka_unit_test(test_deploy_rollback_archive),
        cmocka_unit_test(test_refusals), cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_help),     cmocka_unit_test(test_torn_history_line),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
