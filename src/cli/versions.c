/* `ferry versions NAME`: a model's versions with their state (production, candidate, archived,
 * available), when and by whom they were registered, backend and key metrics; or, with --json,
 * each version's whole version.yaml. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/repo_cli.h"
#include "serving/registry.h"

static const char versions_help[] =
    "usage: ferry versions NAME [--repo DIR] [--json]\n"
    "\n"
    "Lists model NAME's versions: state (production, candidate: newer than production and never\n"
    "deployed, archived, available), created, author, backend and metrics.\n"
    "  --repo DIR   model repository (env FERRY_REPO; default ./models)\n"
    "  --json       {\"name\", \"production\", \"versions\": [{\"version\", \"state\",\n"
    "               \"created\", \"author\", \"backend\", \"sha256\", \"metadata\"}]}\n";

#define METRICS_SHOWN 3

/* The first few metrics of a version as "accuracy=0.96 auc=0.98". */
static void format_metrics(const registry_version_info *v, char *buf, size_t len)
{
    buf[0] = '\0';
    json_t *yaml = v->version_yaml_json ? json_loads(v->version_yaml_json, 0, NULL) : NULL;
    json_t *metrics = json_object_get(yaml, "metrics");
    const char *key;
    json_t *value;
    size_t used = 0, shown = 0;
    json_object_foreach(metrics, key, value)
    {
        if (used >= len)
            break;
        if (shown == METRICS_SHOWN) {
            snprintf(buf + used, len - used, " ...");
            break;
        }
        char *text = json_dumps(value, JSON_ENCODE_ANY | JSON_REAL_PRECISION(6));
        used += (size_t)snprintf(buf + used, len - used, "%s%s=%s", shown ? " " : "", key,
                                 text ? text : "?");
        free(text);
        shown++;
    }
    json_decref(yaml);
}

static int print_table(const registry_version_info *versions, size_t count)
{
    static const char *const headers[] = {"VERSION", "STATE",   "CREATED",
                                          "AUTHOR",  "BACKEND", "METRICS"};
    repo_table *table = repo_table_create(6, headers);
    bool ok = table != NULL;
    for (size_t i = 0; ok && i < count; i++) {
        const registry_version_info *v = &versions[i];
        char number[24], metrics[256];
        snprintf(number, sizeof number, "%" PRIu64, v->version);
        format_metrics(v, metrics, sizeof metrics);
        const char *cells[] = {number,
                               registry_state_name(v->state),
                               v->created[0] ? v->created : NULL,
                               v->author[0] ? v->author : NULL,
                               v->backend[0] ? v->backend : NULL,
                               metrics[0] ? metrics : NULL};
        ok = repo_table_add(table, cells);
    }
    if (ok)
        repo_table_print(table);
    else
        fprintf(stderr, "ferry versions: out of memory\n");
    repo_table_destroy(table);
    return ok ? CLI_OK : CLI_FAILURE;
}

static int print_json(const char *name, const registry_version_info *versions, size_t count,
                      uint64_t production)
{
    json_t *list = json_array();
    for (size_t i = 0; list != NULL && i < count; i++)
        if (json_array_append_new(list, repo_cli_version_json(name, &versions[i])) != 0) {
            json_decref(list);
            list = NULL;
        }
    json_t *doc = json_pack("{s:s, s:o, s:o}", "name", name, "production",
                            production ? json_integer((json_int_t)production) : json_null(),
                            "versions", list);
    return repo_cli_print_json("versions", doc);
}

int cli_versions(int argc, char **argv)
{
    repo_cli_args a = {.cmd = "versions",
                       .help = versions_help,
                       .allow_json = true,
                       .min_positional = 1,
                       .max_positional = 1,
                       .positional_names = "NAME"};
    int rc = repo_cli_parse(argc, argv, &a, NULL, NULL);
    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    registry_version_info *versions = NULL;
    size_t count = 0;
    uint64_t production = 0;
    ferry_error err;
    if (registry_list_versions(a.repo, a.positional[0], &versions, &count, &production, &err) !=
        FERRY_OK)
        return repo_cli_fail("versions", &err);
    rc = a.json ? print_json(a.positional[0], versions, count, production)
                : print_table(versions, count);
    registry_free_versions(versions, count);
    return rc;
}
