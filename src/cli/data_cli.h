/* What the data commands (profile, drift, register --data) share: comma-separated column lists
 * (`--categorical a,b`, repeatable) and the seed option. */
#ifndef FERRY_CLI_DATA_CLI_H
#define FERRY_CLI_DATA_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct data_cli_columns {
    char **names; /* malloc'ed copies */
    size_t n;
} data_cli_columns;

/* Appends the comma-separated names in text to list. Prints a usage error naming cmd and option
 * and returns false for an empty name ("a,,b") or when out of memory. */
bool data_cli_add_columns(const char *cmd, const char *option, const char *text,
                          data_cli_columns *list);

/* True when list holds name. */
bool data_cli_has_column(const data_cli_columns *list, const char *name);

void data_cli_free_columns(data_cli_columns *list);

/* Parses --seed: a whole number from 0 to 2^63 - 1. Prints the problem and returns false. */
bool data_cli_parse_seed(const char *cmd, const char *text, uint64_t *seed);

#endif
