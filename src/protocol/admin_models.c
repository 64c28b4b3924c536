/* ferry's read-only registry endpoints under /ferry/v1/models: the models with their production
 * version and live state, a model's versions with their metadata (version.yaml), one version, and
 * a model's deployment history. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/yaml_doc.h"
#include "protocol/admin_internal.h"
#include "serving/model_table.h"
#include "serving/registry.h"
#include "serving/repository.h"

/* ------------------------------------------------------------------------------------------ */
/* Live state from the model table                                                              */
/* ------------------------------------------------------------------------------------------ */

/* The table's state of `name` (malloc'ed; the caller frees it), or NULL when it does not know it.
 */
static model_status *live_status(const admin_call *c, const char *name)
{
    model_status *s = malloc(sizeof *s);
    if (s != NULL && !model_table_get(c->ctx->models, name, s)) {
        free(s);
        s = NULL;
    }
    return s;
}

static bool version_loaded(const model_status *s, uint64_t v)
{
    char text[REPOSITORY_VERSION_MAX];
    snprintf(text, sizeof text, "%" PRIu64, v);
    size_t n = s == NULL                              ? 0
               : s->n_versions < MODEL_TABLE_LIST_MAX ? s->n_versions
                                                      : MODEL_TABLE_LIST_MAX;
    for (size_t i = 0; i < n; i++)
        if (strcmp(s->versions[i], text) == 0)
            return true;
    return false;
}

static bool version_serving(const model_status *s, uint64_t v)
{
    char text[REPOSITORY_VERSION_MAX];
    snprintf(text, sizeof text, "%" PRIu64, v);
    return s != NULL && s->state == MODEL_READY && strcmp(s->version, text) == 0;
}

/* {"state", "version", "loaded": [...], "reason"} or null when the table does not know it. */
static json_t *live_json(const model_status *s)
{
    if (s == NULL)
        return json_null();
    json_t *loaded = json_array();
    size_t n = s->n_versions < MODEL_TABLE_LIST_MAX ? s->n_versions : MODEL_TABLE_LIST_MAX;
    for (size_t i = 0; i < n; i++)
        json_array_append_new(loaded, json_string(s->versions[i]));
    json_t *live = json_pack("{s:s,s:s?,s:o}", "state", model_state_name(s->state), "version",
                             s->version[0] ? s->version : NULL, "loaded", loaded);
    if (live != NULL && s->reason[0] != '\0')
        json_object_set_new(live, "reason", json_string(s->reason));
    return live;
}

/* ------------------------------------------------------------------------------------------ */
/* Models                                                                                       */
/* ------------------------------------------------------------------------------------------ */

static json_t *version_or_null(uint64_t v)
{
    return v ? json_integer((json_int_t)v) : json_null();
}

/* model.yaml's `load:` (default "production"). */
static json_t *load_policy_json(const char *repo, const char *name)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s/model.yaml", repo, name);
    ynode *yaml = NULL;
    ferry_error ignored;
    json_t *load = NULL;
    if (yaml_doc_load_file(path, &yaml, &ignored) == FERRY_OK) {
        const ynode *l = ynode_get(yaml, "load");
        load = l != NULL ? ynode_to_json(l) : NULL;
        ynode_free(yaml);
    }
    return load != NULL ? load : json_string("production");
}

/* A model's summary: name, production, load, versions (count), latest, live; NULL with *err set
 * when the registry cannot read the model. */
static json_t *model_summary(const admin_call *c, const char *name, ferry_error *err)
{
    registry_version_info *versions = NULL;
    size_t count = 0;
    uint64_t production = 0;
    if (registry_list_versions(c->repo, name, &versions, &count, &production, err) != FERRY_OK)
        return NULL;
    uint64_t latest = count ? versions[count - 1].version : 0;
    registry_free_versions(versions, count);
    model_status *s = live_status(c, name);
    json_t *obj =
        json_pack("{s:s,s:o,s:o,s:I,s:o,s:o}", "name", name, "production",
                  version_or_null(production), "load", load_policy_json(c->repo, name), "versions",
                  (json_int_t)count, "latest", version_or_null(latest), "live", live_json(s));
    free(s);
    if (obj == NULL)
        ferry_error_set(err, FERRY_NO_MEMORY, "out of memory");
    return obj;
}

void admin_list_models(admin_call *c)
{
    char **names = NULL;
    size_t count = 0;
    ferry_error err;
    if (repository_list_models(c->repo, &names, &count, &err) != FERRY_OK) {
        admin_fail(c->ex, &err);
        return;
    }
    json_t *models = json_array();
    for (size_t i = 0; models != NULL && i < count; i++) {
        json_t *summary = model_summary(c, names[i], &err);
        if (summary != NULL) /* a model folder removed meanwhile is left out */
            json_array_append_new(models, summary);
    }
    repository_free_names(names, count);
    admin_json(c->ex, 200, json_pack("{s:o?}", "models", models));
}

void admin_show_model(admin_call *c)
{
    ferry_error err;
    json_t *summary = model_summary(c, c->name, &err);
    if (summary == NULL)
        admin_fail(c->ex, &err);
    else
        admin_json(c->ex, 200, summary);
}

/* ------------------------------------------------------------------------------------------ */
/* Versions                                                                                     */
/* ------------------------------------------------------------------------------------------ */

static json_t *version_json(const registry_version_info *info, const model_status *live,
                            bool metadata)
{
    json_t *v = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:b,s:b}", "version", (json_int_t)info->version,
                          "state", registry_state_name(info->state), "created", info->created,
                          "author", info->author, "backend", info->backend, "sha256", info->sha256,
                          "loaded", version_loaded(live, info->version), "serving",
                          version_serving(live, info->version));
    if (v != NULL && metadata) {
        json_t *meta = json_loads(info->version_yaml_json, 0, NULL);
        json_object_set_new(v, "metadata", meta != NULL ? meta : json_object());
    }
    return v;
}

void admin_list_versions(admin_call *c)
{
    registry_version_info *versions = NULL;
    size_t count = 0;
    uint64_t production = 0;
    ferry_error err;
    if (registry_list_versions(c->repo, c->name, &versions, &count, &production, &err) !=
        FERRY_OK) {
        admin_fail(c->ex, &err);
        return;
    }
    model_status *live = live_status(c, c->name);
    json_t *list = json_array();
    for (size_t i = 0; list != NULL && i < count; i++)
        json_array_append_new(list, version_json(&versions[i], live, false));
    free(live);
    registry_free_versions(versions, count);
    admin_json(c->ex, 200,
               json_pack("{s:s,s:o,s:o?}", "name", c->name, "production",
                         version_or_null(production), "versions", list));
}

void admin_show_version(admin_call *c)
{
    registry_version_info *versions = NULL;
    size_t count = 0;
    uint64_t production = 0;
    ferry_error err;
    if (registry_list_versions(c->repo, c->name, &versions, &count, &production, &err) !=
        FERRY_OK) {
        admin_fail(c->ex, &err);
        return;
    }
    const registry_version_info *info = NULL;
    for (size_t i = 0; i < count && info == NULL; i++)
        if (versions[i].version == c->version)
            info = &versions[i];
    if (info == NULL) {
        admin_error(c->ex, 404, "model '%s' has no version %" PRIu64, c->name, c->version);
    } else {
        model_status *live = live_status(c, c->name);
        json_t *v = version_json(info, live, true);
        free(live);
        if (v != NULL)
            json_object_set_new(v, "name", json_string(c->name));
        admin_json(c->ex, 200, v);
    }
    registry_free_versions(versions, count);
}

/* ------------------------------------------------------------------------------------------ */
/* History                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static json_t *event_json(const history_event *ev)
{
    return json_pack("{s:s,s:s,s:s,s:o,s:o,s:s}", "ts", ev->ts, "actor", ev->actor, "action",
                     ev->action, "from", version_or_null(ev->from), "to", version_or_null(ev->to),
                     "reason", ev->reason);
}

void admin_history(admin_call *c)
{
    const char *limit_arg = admin_query_arg(c->ex, "limit");
    uint64_t limit = 0;
    if (limit_arg != NULL && !admin_parse_version(limit_arg, &limit)) {
        admin_error(c->ex, 400, "limit must be a positive integer");
        return;
    }
    history_event *events = NULL;
    size_t count = 0, skipped = 0;
    ferry_error err;
    if (registry_history(c->repo, c->name, &events, &count, &skipped, &err) != FERRY_OK) {
        admin_fail(c->ex, &err);
        return;
    }
    size_t first = limit != 0 && limit < count ? count - (size_t)limit : 0;
    json_t *list = json_array();
    for (size_t i = first; list != NULL && i < count; i++)
        json_array_append_new(list, event_json(&events[i]));
    free(events);
    admin_json(c->ex, 200,
               json_pack("{s:s,s:o?,s:I}", "name", c->name, "events", list, "skipped",
                         (json_int_t)skipped));
}
