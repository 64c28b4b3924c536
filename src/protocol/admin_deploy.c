/* ferry's deployment endpoints: deploy a version, roll back, archive a version. Each writes
 * model.yaml and history.jsonl through the registry; the reconciler then applies the change. */
#include <inttypes.h>

#include "protocol/admin_internal.h"
#include "serving/registry.h"

/* Parses the body and its optional "reason"; *body is json_decref'ed by the caller. */
static bool read_body(admin_call *c, json_t **body, const char **reason)
{
    if (!admin_body_object(c->ex, body))
        return false;
    return admin_body_string(c->ex, *body, "reason", reason);
}

void admin_deploy(admin_call *c)
{
    json_t *body = NULL;
    const char *reason = NULL;
    uint64_t version = 0;
    bool noop = false;
    ferry_error err;
    if (read_body(c, &body, &reason) &&
        admin_body_version(c->ex, body, "version", true, &version)) {
        if (registry_deploy(c->repo, c->name, version, c->actor, reason, &noop, &err) != FERRY_OK) {
            admin_refuse(c->ex, &err);
        } else {
            admin_changed(c);
            admin_json(c->ex, 200,
                       json_pack("{s:s,s:I,s:b}", "name", c->name, "production",
                                 (json_int_t)version, "changed", !noop));
        }
    }
    json_decref(body);
}

void admin_rollback(admin_call *c)
{
    json_t *body = NULL;
    const char *reason = NULL;
    uint64_t to = 0, deployed = 0;
    ferry_error err;
    if (read_body(c, &body, &reason) && admin_body_version(c->ex, body, "to", false, &to)) {
        ferry_status st =
            registry_rollback(c->repo, c->name, to, c->actor, reason, &deployed, &err);
        if (st == FERRY_OK) {
            admin_changed(c);
            admin_json(c->ex, 200,
                       json_pack("{s:s,s:I}", "name", c->name, "production", (json_int_t)deployed));
        } else if (st == FERRY_NOT_FOUND && to == 0 && admin_model_exists(c)) {
            admin_error(c->ex, 409, "%s", err.message); /* nothing to return to */
        } else {
            admin_refuse(c->ex, &err);
        }
    }
    json_decref(body);
}

void admin_archive(admin_call *c)
{
    json_t *body = NULL;
    const char *reason = NULL;
    ferry_error err;
    if (read_body(c, &body, &reason)) {
        if (registry_archive(c->repo, c->name, c->version, c->actor, reason, &err) != FERRY_OK) {
            admin_refuse(c->ex, &err);
        } else {
            admin_changed(c);
            admin_json(c->ex, 200,
                       json_pack("{s:s,s:I,s:s}", "name", c->name, "version",
                                 (json_int_t)c->version, "state", "archived"));
        }
    }
    json_decref(body);
}
