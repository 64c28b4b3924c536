/* ferry's entry point: dispatches `ferry <command>` through one table of subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "ferry/ferry.h"

typedef struct command {
    const char *name;
    cli_main_fn run;
    const char *summary;
} command;

static const command commands[] = {
    {"serve", cli_serve, "serve a model repository (or one artifact) over HTTP"},
    {"predict", cli_predict, "run one inference request without a server"},
    {"perf", cli_perf, "measure in-process inference latency"},
    {"conformance", cli_conformance, "run ONNX node tests against the ONNX engine"},
    {"register", cli_register, "add the next version of a model to the repository"},
    {"models", cli_models, "list the repository's models"},
    {"versions", cli_versions, "list a model's versions and their state"},
    {"show", cli_show, "show one version's metadata (default: production)"},
    {"deploy", cli_deploy, "make a version production"},
    {"rollback", cli_rollback, "return to the previous production version (or --to V)"},
    {"archive", cli_archive, "archive a version so it can no longer be deployed"},
    {"history", cli_history, "list a model's deployment changes"},
    {"profile", cli_profile, "profile training data (schema, statistics, a reference sample)"},
    {"drift", cli_drift, "report drift between reference and current data"},
    {"logs", cli_logs, "export logged predictions joined with their labels"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: ferry <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n`ferry <command> --help` describes a command's options.\n"
                 "Environment: FERRY_REPO, FERRY_STATE, FERRY_HTTP_PORT, FERRY_GRPC_PORT,\n"
                 "FERRY_LOG_LEVEL mirror the flags of the same name (a flag wins).\n"
                 "Exit codes: 0 ok, 1 failure, 2 usage.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("ferry %s\n", ferry_version());
        return CLI_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "ferry: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}
