/* What every ferry subcommand shares: its entry signature, the command table and small helpers
 * for options (`--name VALUE` or `--name=VALUE`) and numbers. Exit codes: 0 ok, 1 failure,
 * 2 usage. */
#ifndef FERRY_CLI_CLI_H
#define FERRY_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLI_OK      0
#define CLI_FAILURE 1
#define CLI_USAGE   2

typedef int (*cli_main_fn)(int argc, char **argv);

int cli_serve(int argc, char **argv);
int cli_predict(int argc, char **argv);
int cli_perf(int argc, char **argv);
int cli_conformance(int argc, char **argv);

/* The data commands (src/cli/profile.c, drift.c; helpers in data_cli.h). */
int cli_profile(int argc, char **argv);
int cli_drift(int argc, char **argv);
/* `ferry logs export` (src/cli/logs.c). */
int cli_logs(int argc, char **argv);

/* The repository commands (src/cli/register.c, models.c, ...; helpers in repo_cli.h). */
int cli_register(int argc, char **argv);
int cli_models(int argc, char **argv);
int cli_versions(int argc, char **argv);
int cli_show(int argc, char **argv);
int cli_deploy(int argc, char **argv);
int cli_rollback(int argc, char **argv);
int cli_archive(int argc, char **argv);
int cli_history(int argc, char **argv);

/* When argv[*i] is option `name`, stores its value (the next argument, or the text after '='),
 * advances *i past it and returns true. A missing value prints a usage error and sets *bad. */
bool cli_option(int argc, char **argv, int *i, const char *name, const char **value, bool *bad);

/* True for "-h" and "--help". */
bool cli_is_help(const char *arg);

/* Parses an unsigned integer in [lo, hi]; prints "ferry CMD: OPTION ..." and returns false when
 * it is not one. */
bool cli_parse_uint(const char *cmd, const char *option, const char *text, uint64_t lo, uint64_t hi,
                    uint64_t *out);

/* Parses true/false (also 1/0, yes/no). */
bool cli_parse_bool(const char *cmd, const char *option, const char *text, bool *out);

/* Reads a whole file, or standard input for "-", into a malloc'ed NUL-terminated buffer the caller
 * frees. Prints the error and returns NULL on failure. */
char *cli_read_file(const char *cmd, const char *path, size_t *len);

#endif
