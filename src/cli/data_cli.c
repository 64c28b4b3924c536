/* Column lists and seeds for the data commands; see data_cli.h. */
#include "cli/data_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

bool data_cli_add_columns(const char *cmd, const char *option, const char *text,
                          data_cli_columns *list)
{
    for (const char *p = text;;) {
        size_t len = strcspn(p, ",");
        if (len == 0) {
            fprintf(stderr, "ferry %s: %s: empty column name in '%s'\n", cmd, option, text);
            return false;
        }
        char **grown = realloc(list->names, (list->n + 1) * sizeof *grown);
        char *name = grown ? strndup(p, len) : NULL;
        if (grown != NULL)
            list->names = grown;
        if (name == NULL) {
            fprintf(stderr, "ferry %s: out of memory\n", cmd);
            return false;
        }
        list->names[list->n++] = name;
        if (p[len] == '\0')
            return true;
        p += len + 1;
    }
}

bool data_cli_has_column(const data_cli_columns *list, const char *name)
{
    for (size_t i = 0; i < list->n; i++)
        if (strcmp(list->names[i], name) == 0)
            return true;
    return false;
}

void data_cli_free_columns(data_cli_columns *list)
{
    for (size_t i = 0; i < list->n; i++)
        free(list->names[i]);
    free(list->names);
    list->names = NULL;
    list->n = 0;
}

bool data_cli_parse_seed(const char *cmd, const char *text, uint64_t *seed)
{
    return cli_parse_uint(cmd, "--seed", text, 0, INT64_MAX, seed);
}
