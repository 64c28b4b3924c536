/* `ferry show NAME[:V]`: one version (default: production) with its state and everything its
 * version.yaml records, as YAML for people or JSON for tools. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/repo_cli.h"
#include "core/fsutil.h"
#include "serving/registry.h"

static const char show_help[] =
    "usage: ferry show NAME[:V] [--repo DIR] [--json]\n"
    "\n"
    "Shows version V of model NAME (default: its production version): its state and everything\n"
    "its version.yaml records (sha256, size, backend, created, author, metrics, params, tags,\n"
    "training data, notes, parent).\n"
    "  --repo DIR   model repository (env FERRY_REPO; default ./models)\n"
    "  --json       {\"name\", \"version\", \"state\", \"created\", \"author\", \"backend\",\n"
    "               \"sha256\", \"metadata\": version.yaml} (as the admin API)\n";

/* Prints version.yaml as it is on disk, without its comment lines. */
static void print_version_yaml(const char *repo, const char *name, uint64_t v)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s/%" PRIu64 "/version.yaml", repo, name, v);
    char *text = NULL;
    size_t len = 0;
    ferry_error err;
    if (fs_read_file(path, &text, &len, &err) != FERRY_OK) {
        printf("# no version.yaml (%s)\n", err.message);
        return;
    }
    for (char *line = text; *line != '\0';) {
        size_t n = strcspn(line, "\n");
        if (line[0] != '#' && n > 0)
            printf("%.*s\n", (int)n, line);
        line += n + (line[n] == '\n');
    }
    free(text);
}

static int show_version(const repo_cli_args *a, const char *name, const registry_version_info *v)
{
    if (a->json)
        return repo_cli_print_json("show", repo_cli_version_json(name, v));
    printf("model: %s\nversion: %" PRIu64 "\nstate: %s\n", name, v->version,
           registry_state_name(v->state));
    print_version_yaml(a->repo, name, v->version);
    return CLI_OK;
}

/* Finds version `want` (0: production) among the listed versions. */
static const registry_version_info *find_version(const registry_version_info *versions,
                                                 size_t count, uint64_t want, uint64_t production)
{
    uint64_t v = want ? want : production;
    for (size_t i = 0; v != 0 && i < count; i++)
        if (versions[i].version == v)
            return &versions[i];
    return NULL;
}

static int show(const repo_cli_args *a, const char *name, uint64_t want)
{
    registry_version_info *versions = NULL;
    size_t count = 0;
    uint64_t production = 0;
    ferry_error err;
    if (registry_list_versions(a->repo, name, &versions, &count, &production, &err) != FERRY_OK)
        return repo_cli_fail("show", &err);
    const registry_version_info *v = find_version(versions, count, want, production);
    int rc = CLI_FAILURE;
    if (v != NULL)
        rc = show_version(a, name, v);
    else if (want != 0)
        fprintf(stderr, "ferry show: model '%s' has no version %" PRIu64 "\n", name, want);
    else
        fprintf(stderr, "ferry show: model '%s' has no production version (no versions)\n", name);
    registry_free_versions(versions, count);
    return rc;
}

int cli_show(int argc, char **argv)
{
    repo_cli_args a = {.cmd = "show",
                       .help = show_help,
                       .allow_json = true,
                       .min_positional = 1,
                       .max_positional = 1,
                       .positional_names = "NAME[:V]"};
    int rc = repo_cli_parse(argc, argv, &a, NULL, NULL);
    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    char name[256];
    snprintf(name, sizeof name, "%s", a.positional[0]);
    char *colon = strrchr(name, ':');
    uint64_t want = 0;
    if (colon != NULL) {
        *colon = '\0';
        if (!repo_cli_version("show", "the version after ':'", colon + 1, &want))
            return CLI_USAGE;
    }
    return show(&a, name, want);
}
