/* Option and file helpers shared by the subcommands; see cli.h. */
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool cli_option(int argc, char **argv, int *i, const char *name, const char **value, bool *bad)
{
    const char *arg = argv[*i];
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0)
        return false;
    if (arg[n] == '=') {
        *value = arg + n + 1;
        return true;
    }
    if (arg[n] != '\0')
        return false;
    if (*i + 1 >= argc) {
        fprintf(stderr, "ferry: option %s needs a value\n", name);
        *bad = true;
        return true;
    }
    *value = argv[++*i];
    return true;
}

bool cli_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

bool cli_parse_uint(const char *cmd, const char *option, const char *text, uint64_t lo, uint64_t hi,
                    uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (text[0] == '\0' || text[0] == '-' || *end != '\0' || errno != 0 || v < lo || v > hi) {
        fprintf(stderr, "ferry %s: %s must be a whole number from %llu to %llu, got '%s'\n", cmd,
                option, (unsigned long long)lo, (unsigned long long)hi, text);
        return false;
    }
    *out = v;
    return true;
}

bool cli_parse_bool(const char *cmd, const char *option, const char *text, bool *out)
{
    if (strcasecmp(text, "true") == 0 || strcmp(text, "1") == 0 || strcasecmp(text, "yes") == 0) {
        *out = true;
        return true;
    }
    if (strcasecmp(text, "false") == 0 || strcmp(text, "0") == 0 || strcasecmp(text, "no") == 0) {
        *out = false;
        return true;
    }
    fprintf(stderr, "ferry %s: %s must be true or false, got '%s'\n", cmd, option, text);
    return false;
}

char *cli_read_file(const char *cmd, const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "ferry %s: %s: %s\n", cmd, path, strerror(errno));
        return NULL;
    }
    char *data = NULL;
    size_t size = 0;
    FILE *mem = open_memstream(&data, &size);
    bool ok = mem != NULL;
    char chunk[65536];
    size_t n;
    while (ok && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        ok = fwrite(chunk, 1, n, mem) == n;
    if (ferror(f))
        ok = false;
    if (mem != NULL && fclose(mem) != 0)
        ok = false;
    if (f != stdin)
        fclose(f);
    if (!ok) {
        fprintf(stderr, "ferry %s: cannot read %s\n", cmd, path);
        free(data);
        return NULL;
    }
    *len = size;
    return data;
}
