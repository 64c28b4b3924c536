/* What the repository commands (register, models, versions, show, deploy, rollback, archive,
 * history) share: argument parsing with --repo (env FERRY_REPO, default ./models), --json and
 * positional arguments; the actor ($USER); k=v pairs and version numbers; tables and JSON output;
 * and reporting a registry error. */
#ifndef FERRY_CLI_REPO_CLI_H
#define FERRY_CLI_REPO_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ferry/status.h"
#include "serving/registry.h"

#define REPO_CLI_MAX_POSITIONAL 4

/* One command's parsed arguments. */
typedef struct repo_cli_args {
    const char *cmd;  /* "deploy" */
    const char *help; /* printed for --help */
    bool allow_json;  /* --json is an option of this command */
    size_t min_positional, max_positional;
    const char *positional_names; /* "NAME V", for the usage error */
    /* Filled by repo_cli_parse: */
    const char *repo;
    bool json;
    const char *positional[REPO_CLI_MAX_POSITIONAL];
    size_t n_positional;
} repo_cli_args;

/* A command's own options: returns true when argv[*i] is one of them (advancing *i past its value
 * with cli_option), setting *bad after printing a usage error. */
typedef bool (*repo_cli_option_fn)(int argc, char **argv, int *i, void *ctx, bool *bad);

/* Parses argv (argv[0] is the command) into a: --help, --repo, --json, the command's options
 * through `extra` (may be NULL) and positional arguments. Returns CLI_OK, CLI_USAGE after printing
 * the problem, or -1 after printing the help (the command then exits 0). */
int repo_cli_parse(int argc, char **argv, repo_cli_args *a, repo_cli_option_fn extra, void *ctx);

/* Prints "ferry CMD: MESSAGE" plus a pointer to --help on stderr; returns CLI_USAGE. */
int repo_cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "ferry CMD: <err's message>" on stderr; returns CLI_FAILURE. */
int repo_cli_fail(const char *cmd, const ferry_error *err);

/* Who is making a change: $USER, else "unknown". */
const char *repo_cli_actor(void);

/* Parses a version number (1, 2, ...: digits, no leading zero). Prints a usage error naming
 * `what` ("version", "--to") and returns false when text is not one. */
bool repo_cli_version(const char *cmd, const char *what, const char *text, uint64_t *v);

/* Splits "key=value" into a new pair appended to pairs (n of at most REGISTRY_MAX_PAIRS). The key
 * is malloc'ed (free with repo_cli_free_pairs); the value points into text. `numeric` requires a
 * number as the value. For use in a repo_cli_option_fn: prints the problem, naming the option, and
 * returns false for a missing '=', an empty key, a duplicate key, a non-numeric value where one is
 * needed, or too many pairs. */
bool repo_cli_pair(const char *cmd, const char *option, const char *text, bool numeric,
                   registry_pair *pairs, size_t *n);

void repo_cli_free_pairs(registry_pair *pairs, size_t n);

/* Writes a JSON document (a new reference, consumed) to stdout, indented, with a final newline.
 * Returns CLI_OK, or CLI_FAILURE when it is NULL (out of memory) or cannot be written. */
int repo_cli_print_json(const char *cmd, json_t *doc);

/* One version as JSON: {"model", "version", "state"} followed by every key of its version.yaml.
 * A new reference, or NULL when out of memory. */
json_t *repo_cli_version_json(const char *model, const registry_version_info *v);

/* A table printed with aligned columns, for people. */
typedef struct repo_table repo_table;

/* A table with `columns` (1 to 16) headers (copied). NULL when out of memory. */
repo_table *repo_table_create(size_t columns, const char *const *headers);

/* Appends a row of `columns` cells (copied; NULL prints as "-"). False when out of memory. */
bool repo_table_add(repo_table *t, const char *const *cells);

/* Prints the header and rows to stdout; columns separated by two spaces, the last not padded. */
void repo_table_print(const repo_table *t);

/* Frees the table. Accepts NULL. */
void repo_table_destroy(repo_table *t);

#endif
