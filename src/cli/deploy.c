/* `ferry deploy NAME V [--reason TEXT]`: makes version V the model's production version (a change
 * to model.yaml, recorded in history.jsonl) that a running server picks up without a restart. */
#include <inttypes.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/repo_cli.h"
#include "serving/registry.h"

static const char deploy_help[] =
    "usage: ferry deploy NAME V [--reason TEXT] [--repo DIR]\n"
    "\n"
    "Makes version V production for model NAME. Deploying the current production version changes\n"
    "nothing. Refuses an archived version and one whose artifact no longer matches the sha256 in\n"
    "its version.yaml.\n"
    "  --reason TEXT   why (recorded in history.jsonl)\n"
    "  --repo DIR      model repository (env FERRY_REPO; default ./models)\n";

static bool reason_option(int argc, char **argv, int *i, void *ctx, bool *bad)
{
    return cli_option(argc, argv, i, "--reason", (const char **)ctx, bad);
}

int cli_deploy(int argc, char **argv)
{
    repo_cli_args a = {.cmd = "deploy",
                       .help = deploy_help,
                       .min_positional = 2,
                       .max_positional = 2,
                       .positional_names = "NAME V"};
    const char *reason = NULL;
    int rc = repo_cli_parse(argc, argv, &a, reason_option, &reason);
    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    uint64_t version;
    if (!repo_cli_version("deploy", "V", a.positional[1], &version))
        return CLI_USAGE;
    bool noop = false;
    ferry_error err;
    if (registry_deploy(a.repo, a.positional[0], version, repo_cli_actor(), reason, &noop, &err) !=
        FERRY_OK)
        return repo_cli_fail("deploy", &err);
    if (noop)
        printf("%s: version %" PRIu64 " is already production; nothing changed\n", a.positional[0],
               version);
    else
        printf("%s: version %" PRIu64 " is now production\n", a.positional[0], version);
    return CLI_OK;
}
