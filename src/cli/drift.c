/* `ferry drift --reference REF --current CUR.csv`: the offline drift report — every feature's
 * drift between a reference (a CSV or a profile.json) and current data, and the dataset verdict —
 * as a table or JSON. Exit codes as diff(1): 0 when a report was computed (1 with
 * --fail-on-drift when the dataset drifted), 2 when none could be. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/data_cli.h"
#include "cli/repo_cli.h"
#include "monitor/drift_report.h"
#include "monitor/profile.h"

static const char drift_help[] =
    "usage: ferry drift --reference REF.csv|profile.json --current CUR.csv [options]\n"
    "\n"
    "Measures each column's drift between the reference (a CSV file, or a profile.json from\n"
    "ferry profile: its sample) and the current data, each reservoir-sampled to at most 10,000\n"
    "rows with missing values dropped, and the dataset's: it drifts when at least half of its\n"
    "features do. Methods and thresholds are in docs/monitoring.md.\n"
    "\n"
    "options:\n"
    "  --method M          auto (default), ks, chisquare, wasserstein, jensenshannon, psi\n"
    "  --threshold T       for every column (default: the method's, 0.05 for the p-value of\n"
    "                      ks and chisquare, 0.1 for the distances)\n"
    "  --json              {\"features\": [{\"name\", \"type\", \"method\", \"statistic\", "
    "\"p_value\",\n"
    "                      \"threshold\", \"drifted\"}], \"prediction\": [...], "
    "\"drifted_features\",\n"
    "                      \"share\", \"dataset_drift\"}\n"
    "  --fail-on-drift     exit 1 when the dataset drifted (for CI)\n"
    "  --prediction A,B    columns holding the model's predictions: reported under prediction,\n"
    "                      not counted in the dataset verdict (repeatable)\n"
    "  --label COL         a CSV reference's label column, left out (a profile names its own)\n"
    "  --categorical A,B   a CSV reference's columns to treat as categorical (repeatable)\n"
    "  --seed N            seed of the reservoir samples (default 0)\n"
    "\n"
    "Exit codes: 0 a report was computed, 1 the dataset drifted and --fail-on-drift was given,\n"
    "2 usage, or a file that cannot be read or parsed (the message names the file, line and\n"
    "column).\n";

typedef struct drift_cli {
    const char *reference, *current, *label;
    data_cli_columns categorical, prediction;
    drift_method method;
    double threshold;
    uint64_t seed;
    bool json, fail_on_drift;
} drift_cli;

static bool parse_threshold(const char *text, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (text[0] == '\0' || *end != '\0' || errno != 0 || !isfinite(v) || v < 0.0) {
        fprintf(stderr, "ferry drift: --threshold must be a number >= 0, got '%s'\n", text);
        return false;
    }
    *out = v;
    return true;
}

static bool parse_method(const char *text, drift_method *m)
{
    if (drift_method_parse(text, m))
        return true;
    fprintf(stderr,
            "ferry drift: unknown --method '%s' (auto, ks, chisquare, wasserstein, "
            "jensenshannon, psi)\n",
            text);
    return false;
}

static bool parse_value_option(int argc, char **argv, int *i, drift_cli *o, bool *ok)
{
    bool bad = false;
    const char *v = NULL;
    if (cli_option(argc, argv, i, "--reference", &o->reference, &bad) ||
        cli_option(argc, argv, i, "--current", &o->current, &bad) ||
        cli_option(argc, argv, i, "--label", &o->label, &bad))
        *ok = !bad;
    else if (cli_option(argc, argv, i, "--method", &v, &bad))
        *ok = !bad && parse_method(v, &o->method);
    else if (cli_option(argc, argv, i, "--threshold", &v, &bad))
        *ok = !bad && parse_threshold(v, &o->threshold);
    else if (cli_option(argc, argv, i, "--categorical", &v, &bad))
        *ok = !bad && data_cli_add_columns("drift", "--categorical", v, &o->categorical);
    else if (cli_option(argc, argv, i, "--prediction", &v, &bad))
        *ok = !bad && data_cli_add_columns("drift", "--prediction", v, &o->prediction);
    else if (cli_option(argc, argv, i, "--seed", &v, &bad))
        *ok = !bad && data_cli_parse_seed("drift", v, &o->seed);
    else
        return false;
    return true;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int check_args(const drift_cli *o)
{
    if (o->reference == NULL || o->current == NULL) {
        fprintf(stderr, "ferry drift: --reference and --current are required (see --help)\n");
        return CLI_USAGE;
    }
    if (ends_with(o->reference, ".json") && (o->label != NULL || o->categorical.n > 0)) {
        fprintf(stderr,
                "ferry drift: --label and --categorical apply to a CSV reference; "
                "the profile %s fixes its label and column types\n",
                o->reference);
        return CLI_USAGE;
    }
    return CLI_OK;
}

/* CLI_OK, CLI_USAGE after printing the problem, or -1 after printing the help. */
static int parse_args(int argc, char **argv, drift_cli *o)
{
    for (int i = 1; i < argc; i++) {
        bool ok = true;
        if (cli_is_help(argv[i])) {
            fputs(drift_help, stdout);
            return -1;
        }
        if (strcmp(argv[i], "--json") == 0)
            o->json = true;
        else if (strcmp(argv[i], "--fail-on-drift") == 0)
            o->fail_on_drift = true;
        else if (!parse_value_option(argc, argv, &i, o, &ok)) {
            fprintf(stderr, "ferry drift: unknown argument '%s' (see --help)\n", argv[i]);
            return CLI_USAGE;
        }
        if (!ok)
            return CLI_USAGE;
    }
    return check_args(o);
}

/* ---- output ----------------------------------------------------------------------------- */

static void format_number(char *buf, size_t len, bool has, double v)
{
    if (has)
        snprintf(buf, len, "%.6g", v);
    else
        snprintf(buf, len, "-");
}

static bool add_rows(repo_table *t, const drift_feature *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const drift_result *r = &f[i].result;
        char stat[32], p[32], threshold[32];
        format_number(stat, sizeof stat, r->has_statistic, r->statistic);
        format_number(p, sizeof p, r->has_p_value, r->p_value);
        format_number(threshold, sizeof threshold, true, r->threshold);
        const char *cells[] = {
            f[i].name, profile_type_name(f[i].type), drift_method_name(r->method), stat, p,
            threshold, r->drifted ? "yes" : "no"};
        if (!repo_table_add(t, cells))
            return false;
    }
    return true;
}

static int print_table(const drift_report *r)
{
    static const char *const headers[] = {"FEATURE", "TYPE",      "METHOD", "STATISTIC",
                                          "P-VALUE", "THRESHOLD", "DRIFTED"};
    repo_table *t = repo_table_create(7, headers);
    bool ok = t != NULL && add_rows(t, r->features, r->n_features);
    if (ok)
        repo_table_print(t);
    repo_table_destroy(t);
    if (ok && r->n_prediction > 0) {
        static const char *const pheaders[] = {"PREDICTION", "TYPE",      "METHOD", "STATISTIC",
                                               "P-VALUE",    "THRESHOLD", "DRIFTED"};
        t = repo_table_create(7, pheaders);
        ok = t != NULL && add_rows(t, r->prediction, r->n_prediction);
        if (ok) {
            putchar('\n');
            repo_table_print(t);
        }
        repo_table_destroy(t);
    }
    if (!ok) {
        fprintf(stderr, "ferry drift: out of memory\n");
        return CLI_USAGE;
    }
    printf("\n%zu of %zu features drifted (share %.2f): %s\n", r->drifted_features, r->n_features,
           r->share, r->dataset_drift ? "dataset drift" : "no dataset drift");
    return CLI_OK;
}

/* ---- running ---------------------------------------------------------------------------- */

static profile *load_reference(const drift_cli *o)
{
    profile *p = NULL;
    ferry_error err;
    ferry_status st;
    if (ends_with(o->reference, ".json")) {
        st = profile_read(o->reference, &p, &err);
    } else {
        profile_options po = {.label = o->label,
                              .categorical = (const char *const *)o->categorical.names,
                              .n_categorical = o->categorical.n,
                              .seed = o->seed};
        st = profile_build(o->reference, &po, &p, &err);
    }
    if (st != FERRY_OK)
        fprintf(stderr, "ferry drift: %s\n", err.message);
    return st == FERRY_OK ? p : NULL;
}

static int report(const drift_cli *o, const profile *ref, const profile *cur)
{
    drift_report_options ro = {.method = o->method,
                               .threshold = o->threshold,
                               .prediction = (const char *const *)o->prediction.names,
                               .n_prediction = o->prediction.n};
    drift_report r;
    ferry_error err;
    if (drift_report_profiles(ref, cur, &ro, &r, &err) != FERRY_OK) {
        fprintf(stderr, "ferry drift: %s\n", err.message);
        return CLI_USAGE;
    }
    int rc = o->json ? repo_cli_print_json("drift", drift_report_json(&r)) : print_table(&r);
    if (rc != CLI_OK)
        rc = CLI_USAGE; /* no report came out */
    else if (o->fail_on_drift && r.dataset_drift)
        rc = CLI_FAILURE;
    drift_report_free(&r);
    return rc;
}

static int run(const drift_cli *o)
{
    profile *ref = load_reference(o), *cur = NULL;
    if (ref == NULL)
        return CLI_USAGE;
    profile_options po = {.seed = o->seed, .schema = ref};
    ferry_error err;
    int rc;
    if (profile_build(o->current, &po, &cur, &err) != FERRY_OK) {
        fprintf(stderr, "ferry drift: %s\n", err.message);
        rc = CLI_USAGE;
    } else {
        rc = report(o, ref, cur);
    }
    profile_destroy(cur);
    profile_destroy(ref);
    return rc;
}

int cli_drift(int argc, char **argv)
{
    drift_cli o = {.method = DRIFT_AUTO, .threshold = NAN};
    int rc = parse_args(argc, argv, &o);
    if (rc == CLI_OK)
        rc = run(&o);
    data_cli_free_columns(&o.categorical);
    data_cli_free_columns(&o.prediction);
    return rc < 0 ? CLI_OK : rc;
}
