/* `ferry models`: the repository's models with their production version, number of versions and
 * latest version, as a table or JSON. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/repo_cli.h"
#include "serving/registry.h"
#include "serving/repository.h"

static const char models_help[] =
    "usage: ferry models [--repo DIR] [--json]\n"
    "\n"
    "Lists the repository's models: production version, number of versions, latest version.\n"
    "  --repo DIR   model repository (env FERRY_REPO; default ./models)\n"
    "  --json       {\"models\": [{\"name\", \"production\", \"versions\", \"latest\"}]}\n";

typedef struct model_row {
    uint64_t production, count, latest;
} model_row;

static bool read_row(const char *repo, const char *name, model_row *row)
{
    registry_version_info *versions = NULL;
    size_t count = 0;
    ferry_error err;
    *row = (model_row){0};
    if (registry_list_versions(repo, name, &versions, &count, &row->production, &err) != FERRY_OK) {
        repo_cli_fail("models", &err);
        return false;
    }
    row->count = count;
    row->latest = count ? versions[count - 1].version : 0;
    registry_free_versions(versions, count);
    return true;
}

static json_t *version_json(uint64_t v)
{
    return v ? json_integer((json_int_t)v) : json_null();
}

static void format_version(char *buf, size_t len, uint64_t v)
{
    snprintf(buf, len, v ? "%" PRIu64 : "-", v);
}

/* Adds one model to the table or the JSON list; false when it could not be read. */
static bool add_model(const char *repo, const char *name, repo_table *table, json_t *list)
{
    model_row row;
    if (!read_row(repo, name, &row))
        return false;
    if (list != NULL)
        return json_array_append_new(list, json_pack("{s:s, s:o, s:I, s:o}", "name", name,
                                                     "production", version_json(row.production),
                                                     "versions", (json_int_t)row.count, "latest",
                                                     version_json(row.latest))) == 0;
    char production[24], count[24], latest[24];
    format_version(production, sizeof production, row.production);
    snprintf(count, sizeof count, "%" PRIu64, row.count);
    format_version(latest, sizeof latest, row.latest);
    const char *cells[] = {name, production, count, latest};
    return repo_table_add(table, cells);
}

static int list_models(const repo_cli_args *a, char **names, size_t n)
{
    static const char *const headers[] = {"NAME", "PRODUCTION", "VERSIONS", "LATEST"};
    repo_table *table = a->json ? NULL : repo_table_create(4, headers);
    json_t *list = a->json ? json_array() : NULL;
    if (table == NULL && list == NULL) {
        fprintf(stderr, "ferry models: out of memory\n");
        return CLI_FAILURE;
    }
    int rc = CLI_OK;
    for (size_t i = 0; i < n; i++)
        if (!add_model(a->repo, names[i], table, list))
            rc = CLI_FAILURE; /* reported; the other models are still listed */
    if (list != NULL) {
        int out = repo_cli_print_json("models", json_pack("{s:o}", "models", list));
        rc = out != CLI_OK ? out : rc;
    } else {
        repo_table_print(table);
    }
    repo_table_destroy(table);
    return rc;
}

int cli_models(int argc, char **argv)
{
    repo_cli_args a = {.cmd = "models", .help = models_help, .allow_json = true};
    int rc = repo_cli_parse(argc, argv, &a, NULL, NULL);
    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    char **names = NULL;
    size_t n = 0;
    ferry_error err;
    if (repository_list_models(a.repo, &names, &n, &err) != FERRY_OK)
        return repo_cli_fail("models", &err);
    rc = list_models(&a, names, n);
    repository_free_names(names, n);
    return rc;
}
