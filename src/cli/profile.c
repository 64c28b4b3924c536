/* `ferry profile DATA.csv`: profiles training data — each column's type, missing share, summary
 * statistics or category counts, and a seeded reference sample — into profile.json. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/data_cli.h"
#include "monitor/profile.h"

static const char profile_help[] =
    "usage: ferry profile DATA.csv [--label COL] [--categorical A,B] [--output FILE] [--seed N]\n"
    "\n"
    "Profiles a CSV file with a header row (RFC 4180: quoted fields may hold commas, quotes and\n"
    "line breaks; empty, NA, NaN and nan are missing). Each column is numerical (every value a\n"
    "number), boolean (every value true or false) or categorical, with its missing share; min,\n"
    "max, mean, std and quantiles, or its 1,000 most frequent categories with counts (the rest\n"
    "counted as other); and a reservoir sample of up to 10,000 rows, the reference for\n"
    "`ferry drift`. The format is in docs/monitoring.md.\n"
    "\n"
    "options:\n"
    "  --label COL          the label column (profiled, never treated as a feature)\n"
    "  --categorical A,B    columns to treat as categorical whatever they hold (repeatable)\n"
    "  --output FILE        write profile.json there (atomically) and print a summary;\n"
    "                       default: the JSON on stdout\n"
    "  --seed N             seed of the reservoir sample (default 0)\n"
    "\n"
    "Exit codes: 0 ok, 1 the file cannot be read or is not valid CSV (the message names the\n"
    "line and column), 2 usage.\n";

typedef struct profile_cli {
    const char *data, *label, *output;
    data_cli_columns categorical;
    uint64_t seed;
} profile_cli;

static bool parse_option(int argc, char **argv, int *i, profile_cli *o, bool *ok)
{
    bool bad = false;
    const char *v = NULL;
    if (cli_option(argc, argv, i, "--label", &o->label, &bad) ||
        cli_option(argc, argv, i, "--output", &o->output, &bad))
        *ok = !bad;
    else if (cli_option(argc, argv, i, "--categorical", &v, &bad))
        *ok = !bad && data_cli_add_columns("profile", "--categorical", v, &o->categorical);
    else if (cli_option(argc, argv, i, "--seed", &v, &bad))
        *ok = !bad && data_cli_parse_seed("profile", v, &o->seed);
    else
        return false;
    return true;
}

/* CLI_OK, CLI_USAGE after printing the problem, or -1 after printing the help. */
static int parse_args(int argc, char **argv, profile_cli *o)
{
    for (int i = 1; i < argc; i++) {
        bool ok = true;
        if (cli_is_help(argv[i])) {
            fputs(profile_help, stdout);
            return -1;
        }
        if (parse_option(argc, argv, &i, o, &ok)) {
            if (!ok)
                return CLI_USAGE;
        } else if (argv[i][0] == '-' || o->data != NULL) {
            fprintf(stderr, "ferry profile: unexpected argument '%s' (see --help)\n", argv[i]);
            return CLI_USAGE;
        } else {
            o->data = argv[i];
        }
    }
    if (o->data == NULL) {
        fprintf(stderr, "ferry profile: which CSV file? (usage: ferry profile DATA.csv ...)\n");
        return CLI_USAGE;
    }
    return CLI_OK;
}

static void print_summary(const profile *p, const char *output)
{
    size_t types[PROFILE_TYPE_COUNT] = {0};
    for (size_t i = 0; i < p->n_columns; i++)
        types[p->columns[i].type]++;
    printf("%s: %llu rows, %zu columns (%zu numerical, %zu categorical, %zu boolean), "
           "a sample of %zu rows\n",
           output, (unsigned long long)p->rows, p->n_columns, types[PROFILE_NUMERICAL],
           types[PROFILE_CATEGORICAL], types[PROFILE_BOOLEAN], p->sample_rows);
}

static int write_profile(const profile *p, const char *output)
{
    ferry_error err;
    if (output != NULL) {
        if (profile_write(p, output, &err) != FERRY_OK) {
            fprintf(stderr, "ferry profile: %s\n", err.message);
            return CLI_FAILURE;
        }
        print_summary(p, output);
        return CLI_OK;
    }
    size_t len = 0;
    char *text = profile_to_text(p, &len);
    bool ok = text != NULL && fwrite(text, 1, len, stdout) == len && fflush(stdout) == 0;
    free(text);
    if (!ok)
        fprintf(stderr, "ferry profile: cannot write the profile to stdout\n");
    return ok ? CLI_OK : CLI_FAILURE;
}

int cli_profile(int argc, char **argv)
{
    profile_cli o = {0};
    int rc = parse_args(argc, argv, &o);
    if (rc == CLI_OK) {
        profile_options po = {.label = o.label,
                              .categorical = (const char *const *)o.categorical.names,
                              .n_categorical = o.categorical.n,
                              .seed = o.seed};
        profile *p = NULL;
        ferry_error err;
        if (profile_build(o.data, &po, &p, &err) != FERRY_OK) {
            fprintf(stderr, "ferry profile: %s\n", err.message);
            rc = CLI_FAILURE;
        } else {
            rc = write_profile(p, o.output);
        }
        profile_destroy(p);
    }
    data_cli_free_columns(&o.categorical);
    return rc < 0 ? CLI_OK : rc;
}
