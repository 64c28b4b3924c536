/* `ferry register NAME ARTIFACT [...]`: adds the next version of a model to the repository (an
 * atomic version folder with the artifact, version.yaml and, with --data, profile.json) and prints
 * its number. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/data_cli.h"
#include "cli/repo_cli.h"
#include "monitor/profile.h"
#include "serving/registry.h"

static const char register_help[] =
    "usage: ferry register NAME ARTIFACT [options]\n"
    "\n"
    "Adds the next version of model NAME: a new version folder holding a copy of ARTIFACT\n"
    "(model.json, model.ubj) and version.yaml (sha256, size, backend, created, author and what\n"
    "the options below give). Prints the new version number. The first version of a model becomes\n"
    "its production version; later ones never change production (see ferry deploy).\n"
    "\n"
    "options:\n"
    "  --repo DIR        model repository (env FERRY_REPO; default ./models)\n"
    "  --create          create model NAME when it does not exist yet\n"
    "  --metric K=V      an evaluation metric, a number (repeatable)\n"
    "  --param K=V       a training parameter (repeatable)\n"
    "  --tag K=V         a free-form label (repeatable)\n"
    "  --data FILE.csv   training data: fingerprinted (sha256, rows, column names) and profiled\n"
    "                    into the version's profile.json (see ferry profile)\n"
    "  --label COL       the training data's label column (with --data)\n"
    "  --categorical A,B training data columns to treat as categorical (with --data; repeatable)\n"
    "  --notes TEXT      free text\n"
    "  --parent V        the version this one was derived from\n"
    "  --author WHO      who trained it (default $USER)\n"
    "  --run-id ID       the experiment run that produced it\n";

typedef struct register_ctx {
    registry_register_options opts;
    const char *parent;
    const char *label;
    data_cli_columns categorical;
} register_ctx;

/* The repeatable K=V options. */
static bool pair_option(int argc, char **argv, int *i, register_ctx *c, bool *bad)
{
    registry_register_options *o = &c->opts;
    const char *v = NULL;
    if (cli_option(argc, argv, i, "--metric", &v, bad))
        *bad = *bad || !repo_cli_pair("register", "--metric", v, true, o->metrics, &o->n_metrics);
    else if (cli_option(argc, argv, i, "--param", &v, bad))
        *bad = *bad || !repo_cli_pair("register", "--param", v, false, o->params, &o->n_params);
    else if (cli_option(argc, argv, i, "--tag", &v, bad))
        *bad = *bad || !repo_cli_pair("register", "--tag", v, false, o->tags, &o->n_tags);
    else
        return false;
    return true;
}

static bool register_option(int argc, char **argv, int *i, void *ctx, bool *bad)
{
    register_ctx *c = ctx;
    registry_register_options *o = &c->opts;
    if (strcmp(argv[*i], "--create") == 0) {
        o->create = true;
        return true;
    }
    const char *v = NULL;
    if (cli_option(argc, argv, i, "--categorical", &v, bad)) {
        *bad = *bad || !data_cli_add_columns("register", "--categorical", v, &c->categorical);
        return true;
    }
    return pair_option(argc, argv, i, c, bad) ||
           cli_option(argc, argv, i, "--data", &o->data, bad) ||
           cli_option(argc, argv, i, "--label", &c->label, bad) ||
           cli_option(argc, argv, i, "--notes", &o->notes, bad) ||
           cli_option(argc, argv, i, "--parent", &c->parent, bad) ||
           cli_option(argc, argv, i, "--author", &o->author, bad) ||
           cli_option(argc, argv, i, "--run-id", &o->run_id, bad);
}

/* True when the model has version v (a parent must be one of its versions). */
static bool has_version(const repo_cli_args *a, uint64_t v)
{
    char path[PATH_MAX];
    struct stat sb;
    snprintf(path, sizeof path, "%s/%s/%" PRIu64, a->repo, a->positional[0], v);
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return true;
    fprintf(stderr, "ferry register: --parent: model '%s' has no version %" PRIu64 " (no %s)\n",
            a->positional[0], v, path);
    return false;
}

/* Profiles --data into c->opts.profile_json (malloc'ed; the caller frees it). */
static int profile_data(register_ctx *c)
{
    profile_options po = {.label = c->label,
                          .categorical = (const char *const *)c->categorical.names,
                          .n_categorical = c->categorical.n};
    profile *p = NULL;
    ferry_error err;
    if (profile_build(c->opts.data, &po, &p, &err) != FERRY_OK)
        return repo_cli_fail("register", &err);
    c->opts.profile_json = profile_to_text(p, &c->opts.profile_json_len);
    profile_destroy(p);
    if (c->opts.profile_json == NULL) {
        fprintf(stderr, "ferry register: out of memory profiling %s\n", c->opts.data);
        return CLI_FAILURE;
    }
    return CLI_OK;
}

static int run_register(const repo_cli_args *a, register_ctx *c)
{
    if (c->parent != NULL && !repo_cli_version("register", "--parent", c->parent, &c->opts.parent))
        return CLI_USAGE;
    if (c->opts.data == NULL && (c->label != NULL || c->categorical.n > 0))
        return repo_cli_usage("register", "--label and --categorical describe --data");
    if (c->opts.parent != 0 && !has_version(a, c->opts.parent))
        return CLI_FAILURE;
    int rc = c->opts.data != NULL ? profile_data(c) : CLI_OK;
    if (rc != CLI_OK)
        return rc;
    c->opts.artifact = a->positional[1];
    uint64_t version = 0;
    ferry_error err;
    if (registry_register(a->repo, a->positional[0], &c->opts, repo_cli_actor(), &version, &err) !=
        FERRY_OK)
        return repo_cli_fail("register", &err);
    printf("%" PRIu64 "\n", version);
    return CLI_OK;
}

int cli_register(int argc, char **argv)
{
    repo_cli_args a = {.cmd = "register",
                       .help = register_help,
                       .min_positional = 2,
                       .max_positional = 2,
                       .positional_names = "NAME ARTIFACT"};
    register_ctx c = {0};
    int rc = repo_cli_parse(argc, argv, &a, register_option, &c);
    if (rc == CLI_OK)
        rc = run_register(&a, &c);
    repo_cli_free_pairs(c.opts.metrics, c.opts.n_metrics);
    repo_cli_free_pairs(c.opts.params, c.opts.n_params);
    repo_cli_free_pairs(c.opts.tags, c.opts.n_tags);
    data_cli_free_columns(&c.categorical);
    free((char *)c.opts.profile_json);
    return rc < 0 ? CLI_OK : rc;
}
