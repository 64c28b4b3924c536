/* `ferry rollback NAME [--to V] [--reason TEXT]`: returns the model to the production version it
 * had before the last deploy or rollback (or to V) and prints the version now in production. */
#include <inttypes.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/repo_cli.h"
#include "serving/registry.h"

static const char rollback_help[] =
    "usage: ferry rollback NAME [--to V] [--reason TEXT] [--repo DIR]\n"
    "\n"
    "Makes production the version that the last deploy or rollback of model NAME replaced (so two\n"
    "rollbacks in a row return to where they started), or version V with --to. Prints the version\n"
    "now in production. Refuses an archived version and one whose artifact no longer matches its\n"
    "sha256.\n"
    "  --to V          the version to return to\n"
    "  --reason TEXT   why (recorded in history.jsonl)\n"
    "  --repo DIR      model repository (env FERRY_REPO; default ./models)\n";

typedef struct rollback_ctx {
    const char *to;
    const char *reason;
} rollback_ctx;

static bool rollback_option(int argc, char **argv, int *i, void *ctx, bool *bad)
{
    rollback_ctx *c = ctx;
    return cli_option(argc, argv, i, "--to", &c->to, bad) ||
           cli_option(argc, argv, i, "--reason", &c->reason, bad);
}

int cli_rollback(int argc, char **argv)
{
    repo_cli_args a = {.cmd = "rollback",
                       .help = rollback_help,
                       .min_positional = 1,
                       .max_positional = 1,
                       .positional_names = "NAME"};
    rollback_ctx c = {0};
    int rc = repo_cli_parse(argc, argv, &a, rollback_option, &c);
    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    uint64_t to = 0, deployed = 0;
    if (c.to != NULL && !repo_cli_version("rollback", "--to", c.to, &to))
        return CLI_USAGE;
    ferry_error err;
    if (registry_rollback(a.repo, a.positional[0], to, repo_cli_actor(), c.reason, &deployed,
                          &err) != FERRY_OK)
        return repo_cli_fail("rollback", &err);
    printf("%" PRIu64 "\n", deployed);
    return CLI_OK;
}
