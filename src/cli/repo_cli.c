/* Argument parsing, output and error helpers shared by the repository commands; see repo_cli.h. */
#include "cli/repo_cli.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* ------------------------------------------------------------------------------------------ */
/* Arguments                                                                                    */
/* ------------------------------------------------------------------------------------------ */

int repo_cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "ferry %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(see ferry %s --help)\n", cmd);
    va_end(ap);
    return CLI_USAGE;
}

/* A usage problem found while parsing an option: repo_cli_parse adds the pointer to --help. */
static void option_problem(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void option_problem(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "ferry %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* Handles the options every repository command shares; true when argv[*i] was one. */
static bool common_option(int argc, char **argv, int *i, repo_cli_args *a, bool *bad)
{
    if (cli_option(argc, argv, i, "--repo", &a->repo, bad))
        return true;
    if (a->allow_json && strcmp(argv[*i], "--json") == 0) {
        a->json = true;
        return true;
    }
    return false;
}

static int add_positional(repo_cli_args *a, const char *arg)
{
    /* "-1" is a (bad) version, reported as such by the command; "-" alone is positional too. */
    if (arg[0] == '-' && arg[1] != '\0' && !isdigit((unsigned char)arg[1]))
        return repo_cli_usage(a->cmd, "unknown option '%s'", arg);
    if (a->n_positional == a->max_positional)
        return repo_cli_usage(a->cmd, "unexpected argument '%s' (usage: ferry %s %s)", arg, a->cmd,
                              a->positional_names);
    a->positional[a->n_positional++] = arg;
    return CLI_OK;
}

int repo_cli_parse(int argc, char **argv, repo_cli_args *a, repo_cli_option_fn extra, void *ctx)
{
    const char *env = getenv("FERRY_REPO");
    a->repo = env != NULL && env[0] != '\0' ? env : "./models";
    a->json = false;
    a->n_positional = 0;
    for (int i = 1; i < argc; i++) {
        bool bad = false;
        if (cli_is_help(argv[i])) {
            fputs(a->help, stdout);
            return -1;
        }
        if (common_option(argc, argv, &i, a, &bad) ||
            (extra != NULL && extra(argc, argv, &i, ctx, &bad))) {
            if (bad) {
                fprintf(stderr, "(see ferry %s --help)\n", a->cmd);
                return CLI_USAGE;
            }
            continue;
        }
        int rc = add_positional(a, argv[i]);
        if (rc != CLI_OK)
            return rc;
    }
    if (a->n_positional < a->min_positional)
        return repo_cli_usage(a->cmd, "missing arguments (usage: ferry %s %s)", a->cmd,
                              a->positional_names);
    if (a->repo[0] == '\0')
        return repo_cli_usage(a->cmd, "--repo needs a folder");
    return CLI_OK;
}

int repo_cli_fail(const char *cmd, const ferry_error *err)
{
    fprintf(stderr, "ferry %s: %s\n", cmd, err->message);
    return CLI_FAILURE;
}

const char *repo_cli_actor(void)
{
    const char *user = getenv("USER");
    return user != NULL && user[0] != '\0' ? user : "unknown";
}

bool repo_cli_version(const char *cmd, const char *what, const char *text, uint64_t *v)
{
    size_t len = strlen(text);
    if (len == 0 || len > 19 || text[0] == '0' || strspn(text, "0123456789") != len) {
        repo_cli_usage(cmd, "%s must be a version number (1, 2, ...), got '%s'", what, text);
        return false;
    }
    *v = strtoull(text, NULL, 10);
    return true;
}

static bool is_number(const char *s)
{
    char *end = NULL;
    double d = strtod(s, &end);
    return s[0] != '\0' && *end == '\0' && isfinite(d);
}

bool repo_cli_pair(const char *cmd, const char *option, const char *text, bool numeric,
                   registry_pair *pairs, size_t *n)
{
    const char *eq = strchr(text, '=');
    if (eq == NULL || eq == text) {
        option_problem(cmd, "%s takes KEY=VALUE, got '%s'", option, text);
        return false;
    }
    if (numeric && !is_number(eq + 1)) {
        option_problem(cmd, "%s %.*s: the value must be a number, got '%s'", option,
                       (int)(eq - text), text, eq + 1);
        return false;
    }
    for (size_t i = 0; i < *n; i++)
        if (strlen(pairs[i].key) == (size_t)(eq - text) &&
            strncmp(pairs[i].key, text, (size_t)(eq - text)) == 0) {
            option_problem(cmd, "%s %s given twice", option, pairs[i].key);
            return false;
        }
    if (*n == REGISTRY_MAX_PAIRS) {
        option_problem(cmd, "at most %d %s pairs", REGISTRY_MAX_PAIRS, option);
        return false;
    }
    char *key = strndup(text, (size_t)(eq - text));
    if (key == NULL) {
        fprintf(stderr, "ferry %s: out of memory\n", cmd);
        return false;
    }
    pairs[(*n)++] = (registry_pair){.key = key, .value = eq + 1};
    return true;
}

void repo_cli_free_pairs(registry_pair *pairs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free((char *)pairs[i].key);
}

int repo_cli_print_json(const char *cmd, json_t *doc)
{
    char *text =
        doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))
            : NULL;
    json_decref(doc);
    if (text == NULL) {
        fprintf(stderr, "ferry %s: out of memory\n", cmd);
        return CLI_FAILURE;
    }
    bool ok = fputs(text, stdout) != EOF && putchar('\n') != EOF && fflush(stdout) == 0;
    free(text);
    if (!ok)
        fprintf(stderr, "ferry %s: cannot write to standard output\n", cmd);
    return ok ? CLI_OK : CLI_FAILURE;
}

json_t *repo_cli_version_json(const char *model, const registry_version_info *v)
{
    /* The same shape as the admin API's GET /ferry/v1/models/{name}/versions/{v}. */
    json_t *yaml = v->version_yaml_json ? json_loads(v->version_yaml_json, 0, NULL) : NULL;
    return json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:o}", "name", model, "version",
                     (json_int_t)v->version, "state", registry_state_name(v->state), "created",
                     v->created, "author", v->author, "backend", v->backend, "sha256", v->sha256,
                     "metadata", yaml != NULL ? yaml : json_object());
}

/* ------------------------------------------------------------------------------------------ */
/* Tables                                                                                       */
/* ------------------------------------------------------------------------------------------ */

#define REPO_TABLE_MAX_COLUMNS 16

struct repo_table {
    size_t columns;
    size_t rows; /* including the header row */
    char **cells;
};

repo_table *repo_table_create(size_t columns, const char *const *headers)
{
    if (columns == 0 || columns > REPO_TABLE_MAX_COLUMNS)
        return NULL;
    repo_table *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    t->columns = columns;
    if (!repo_table_add(t, headers)) {
        repo_table_destroy(t);
        return NULL;
    }
    return t;
}

bool repo_table_add(repo_table *t, const char *const *cells)
{
    char **grown = realloc(t->cells, (t->rows + 1) * t->columns * sizeof *grown);
    if (grown == NULL)
        return false;
    t->cells = grown;
    char **row = grown + t->rows * t->columns;
    bool ok = true;
    for (size_t c = 0; c < t->columns; c++) {
        row[c] = strdup(cells[c] != NULL ? cells[c] : "-");
        ok = ok && row[c] != NULL;
    }
    t->rows++; /* even when a copy failed, so that destroy frees the others */
    return ok;
}

void repo_table_print(const repo_table *t)
{
    size_t width[REPO_TABLE_MAX_COLUMNS] = {0};
    for (size_t r = 0; r < t->rows; r++)
        for (size_t c = 0; c < t->columns; c++) {
            const char *cell = t->cells[r * t->columns + c];
            size_t len = cell != NULL ? strlen(cell) : 0;
            width[c] = len > width[c] ? len : width[c];
        }
    for (size_t r = 0; r < t->rows; r++) {
        const char *const *row = (const char *const *)t->cells + r * t->columns;
        size_t last = t->columns - 1; /* the last non-empty cell: no padding after it */
        while (last > 0 && (row[last] == NULL || row[last][0] == '\0'))
            last--;
        for (size_t c = 0; c < last; c++)
            printf("%-*s  ", (int)width[c], row[c] != NULL ? row[c] : "");
        printf("%s\n", row[last] != NULL ? row[last] : "");
    }
}

void repo_table_destroy(repo_table *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->rows * t->columns; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t);
}
