/* `ferry archive NAME V [--reason TEXT]`: marks a version archived in model.yaml so that it can no
 * longer be deployed; its folder stays as it is. */
#include <inttypes.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/repo_cli.h"
#include "serving/registry.h"

static const char archive_help[] =
    "usage: ferry archive NAME V [--reason TEXT] [--repo DIR]\n"
    "\n"
    "Archives version V of model NAME: it stays in the repository but can no longer be deployed.\n"
    "Refuses the production version (deploy another one first).\n"
    "  --reason TEXT   why (recorded in history.jsonl)\n"
    "  --repo DIR      model repository (env FERRY_REPO; default ./models)\n";

static bool reason_option(int argc, char **argv, int *i, void *ctx, bool *bad)
{
    return cli_option(argc, argv, i, "--reason", (const char **)ctx, bad);
}

int cli_archive(int argc, char **argv)
{
    repo_cli_args a = {.cmd = "archive",
                       .help = archive_help,
                       .min_positional = 2,
                       .max_positional = 2,
                       .positional_names = "NAME V"};
    const char *reason = NULL;
    int rc = repo_cli_parse(argc, argv, &a, reason_option, &reason);
    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    uint64_t version;
    if (!repo_cli_version("archive", "V", a.positional[1], &version))
        return CLI_USAGE;
    ferry_error err;
    if (registry_archive(a.repo, a.positional[0], version, repo_cli_actor(), reason, &err) !=
        FERRY_OK)
        return repo_cli_fail("archive", &err);
    printf("%s: version %" PRIu64 " is archived\n", a.positional[0], version);
    return CLI_OK;
}
