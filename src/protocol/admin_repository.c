/* The OIP model repository extension: the operations of admin_repository.h, and their REST
 * handlers (POST /v2/repository/index lists every model with its state as Triton names them,
 * load/unload write model.yaml's `load:` through the registry). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/yaml_doc.h"
#include "protocol/admin_internal.h"
#include "protocol/admin_repository.h"
#include "serving/model_table.h"
#include "serving/registry.h"
#include "serving/repository.h"

/* ------------------------------------------------------------------------------------------ */
/* Index                                                                                        */
/* ------------------------------------------------------------------------------------------ */

/* A growable list of index entries. */
typedef struct entry_list {
    admin_index_entry *items;
    size_t n, cap;
} entry_list;

/* A new zeroed entry at the end of the list with `state`, or NULL when out of memory. */
static admin_index_entry *add_entry(entry_list *l, const char *name, const char *state)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        admin_index_entry *grown = realloc(l->items, cap * sizeof *grown);
        if (grown == NULL)
            return NULL;
        l->items = grown;
        l->cap = cap;
    }
    admin_index_entry *e = &l->items[l->n++];
    *e = (admin_index_entry){.state = state};
    snprintf(e->name, sizeof e->name, "%s", name);
    return e;
}

/* Appends the entries of one model: one READY entry per loaded version, else one entry saying why
 * nothing is loaded. False when out of memory. */
static bool append_model(entry_list *l, model_table *table, const char *name, bool only_ready,
                         model_status *s)
{
    admin_index_entry *e;
    if (!model_table_get(table, name, s)) {
        if (only_ready)
            return true;
        if ((e = add_entry(l, name, "UNAVAILABLE")) != NULL)
            snprintf(e->reason, sizeof e->reason, "not loaded");
        return e != NULL;
    }
    if (s->n_versions > 0) {
        size_t count = s->n_versions < MODEL_TABLE_LIST_MAX ? s->n_versions : MODEL_TABLE_LIST_MAX;
        for (size_t i = 0; i < count; i++) {
            if ((e = add_entry(l, name, "READY")) == NULL)
                return false;
            memcpy(e->version, s->versions[i], sizeof e->version);
        }
        return true;
    }
    if (only_ready)
        return true;
    e = add_entry(l, name, s->state == MODEL_LOADING ? "LOADING" : "UNAVAILABLE");
    if (e == NULL)
        return false;
    memcpy(e->version, s->version, sizeof e->version);
    snprintf(e->reason, sizeof e->reason, "%s",
             s->reason[0]                 ? s->reason
             : s->state == MODEL_UNLOADED ? "unloaded"
                                          : "");
    return true;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of the repository's model folders and of the models the table knows, sorted, without
 * duplicates. Malloc'ed strings in a malloc'ed array. */
static ferry_status index_names(rest_context *ctx, char ***names, size_t *count, ferry_error *err)
{
    *names = NULL;
    *count = 0;
    if (ctx->repo != NULL) {
        ferry_status st = repository_list_models(ctx->repo, names, count, err);
        if (st != FERRY_OK)
            return st;
    }
    size_t n_table = model_table_list(ctx->models, NULL, 0);
    model_status *table = n_table ? calloc(n_table, sizeof *table) : NULL;
    n_table = table ? model_table_list(ctx->models, table, n_table) : 0;
    char **grown = realloc(*names, (*count + n_table + 1) * sizeof **names);
    if (grown == NULL) {
        free(table);
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory listing models");
    }
    *names = grown;
    for (size_t i = 0; i < n_table && table != NULL; i++) {
        bool seen = false;
        for (size_t j = 0; j < *count && !seen; j++)
            seen = strcmp((*names)[j], table[i].name) == 0;
        char *copy = seen ? NULL : strdup(table[i].name);
        if (copy != NULL)
            (*names)[(*count)++] = copy;
    }
    free(table);
    if (*count > 1)
        qsort(*names, *count, sizeof **names, compare_names);
    return FERRY_OK;
}

ferry_status admin_repository_list(rest_context *ctx, bool only_ready, admin_index_entry **entries,
                                   size_t *n, ferry_error *err)
{
    *entries = NULL;
    *n = 0;
    char **names = NULL;
    size_t count = 0;
    ferry_status st = index_names(ctx, &names, &count, err);
    if (st != FERRY_OK)
        return st;
    entry_list list = {0};
    model_status *s = malloc(sizeof *s);
    bool ok = s != NULL;
    for (size_t i = 0; ok && i < count; i++)
        ok = append_model(&list, ctx->models, names[i], only_ready, s);
    free(s);
    repository_free_names(names, count);
    if (!ok) {
        free(list.items);
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory listing models");
    }
    *entries = list.items;
    *n = list.n;
    return FERRY_OK;
}

static json_t *index_entry(const admin_index_entry *e)
{
    json_t *j = json_pack("{s:s}", "name", e->name);
    if (j != NULL && e->version[0] != '\0')
        json_object_set_new(j, "version", json_string(e->version));
    if (j != NULL)
        json_object_set_new(j, "state", json_string(e->state));
    if (j != NULL && e->reason[0] != '\0')
        json_object_set_new(j, "reason", json_string(e->reason));
    return j;
}

void admin_repository_index(admin_call *c)
{
    json_t *body = NULL;
    if (!admin_body_object(c->ex, &body))
        return;
    json_t *ready = json_object_get(body, "ready");
    bool bad = ready != NULL && !json_is_boolean(ready);
    bool only_ready = json_is_true(ready);
    json_decref(body);
    if (bad) {
        admin_error(c->ex, 400, "\"ready\" must be true or false");
        return;
    }
    admin_index_entry *entries = NULL;
    size_t n = 0;
    ferry_error err;
    if (admin_repository_list(c->ctx, only_ready, &entries, &n, &err) != FERRY_OK) {
        admin_fail(c->ex, &err);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; list != NULL && i < n; i++)
        json_array_append_new(list, index_entry(&entries[i]));
    free(entries);
    admin_json(c->ex, 200, list);
}

bool admin_repository_is_ours(const rest_context *ctx, const char *repository_name, char *own,
                              size_t own_len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s", ctx->repo != NULL ? ctx->repo : "");
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        path[--n] = '\0';
    const char *base = strrchr(path, '/');
    snprintf(own, own_len, "%s", base != NULL && base[1] != '\0' ? base + 1 : path);
    return ctx->repo != NULL && strcmp(repository_name, own) == 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Load and unload                                                                              */
/* ------------------------------------------------------------------------------------------ */

ferry_status admin_repository_check_parameter(const char *key, ferry_error *err)
{
    if (strcmp(key, "config") == 0 || strncmp(key, "file:", 5) == 0)
        return ferry_error_set(
            err, FERRY_INVALID_ARG,
            "load parameter '%.100s' is not supported: register files with POST "
            "/ferry/v1/models/{name}/versions and edit model.yaml for the config",
            key);
    return FERRY_OK;
}

/* Refuses the load parameters admin_repository_check_parameter refuses (answering 400). */
static bool check_load_parameters(rest_exchange *ex, json_t *body)
{
    json_t *params = json_object_get(body, "parameters");
    if (params == NULL || json_is_null(params))
        return true;
    if (!json_is_object(params)) {
        admin_error(ex, 400, "\"parameters\" must be an object");
        return false;
    }
    const char *key;
    json_t *value;
    ferry_error err;
    json_object_foreach(params, key, value)
    {
        if (admin_repository_check_parameter(key, &err) != FERRY_OK) {
            admin_fail(ex, &err);
            return false;
        }
    }
    return true;
}

/* The `load:` policy a load request writes: the model's explicit one ("all" or a list) when it
 * has one, else "production". */
static void load_policy(const char *repo, const char *name, char *policy, size_t len)
{
    snprintf(policy, len, "production");
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s/model.yaml", repo, name);
    ynode *yaml = NULL;
    ferry_error ignored;
    if (yaml_doc_load_file(path, &yaml, &ignored) != FERRY_OK)
        return;
    const ynode *load = ynode_get(yaml, "load");
    if (load != NULL && load->kind == YNODE_SCALAR && strcmp(load->scalar, "all") == 0)
        snprintf(policy, len, "all");
    if (load != NULL && load->kind == YNODE_SEQ && load->n > 0) {
        size_t used = (size_t)snprintf(policy, len, "[");
        uint64_t v;
        for (size_t i = 0; i < load->n && used < len; i++)
            if (load->items[i]->kind == YNODE_SCALAR &&
                admin_parse_version(load->items[i]->scalar, &v))
                used += (size_t)snprintf(policy + used, len - used, "%s%s", used > 1 ? ", " : "",
                                         load->items[i]->scalar);
        if (used > 1 && used + 2 <= len)
            snprintf(policy + used, len - used, "]");
        else
            snprintf(policy, len, "production");
    }
    ynode_free(yaml);
}

ferry_status admin_repository_set_load(rest_context *ctx, const char *name, bool load,
                                       const char *actor, ferry_error *err)
{
    if (ctx->repo == NULL)
        return ferry_error_set(err, FERRY_UNSUPPORTED,
                               "this server serves one artifact, not a model repository: loading "
                               "and unloading need ferry serve --repo");
    char policy[1024];
    if (load)
        load_policy(ctx->repo, name, policy, sizeof policy);
    else
        snprintf(policy, sizeof policy, "none");
    ferry_status st =
        registry_set_load(ctx->repo, name, policy, load ? "load" : "unload", actor, err);
    if (st == FERRY_OK && ctx->repository_changed != NULL)
        ctx->repository_changed(ctx->repository_changed_cls);
    return st;
}

static void set_load(admin_call *c, bool load)
{
    json_t *body = NULL;
    if (!admin_body_object(c->ex, &body))
        return;
    bool ok = check_load_parameters(c->ex, body);
    json_decref(body);
    if (!ok)
        return;
    ferry_error err;
    if (admin_repository_set_load(c->ctx, c->name, load, c->actor, &err) != FERRY_OK) {
        admin_refuse(c->ex, &err);
        return;
    }
    admin_empty(c->ex);
}

void admin_repository_load(admin_call *c)
{
    set_load(c, true);
}

void admin_repository_unload(admin_call *c)
{
    set_load(c, false);
}
