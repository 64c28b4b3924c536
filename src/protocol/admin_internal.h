/* What the admin API's files share: the call being answered, response helpers and request body
 * parsing. Private to src/protocol/admin_*.c. */
#ifndef FERRY_PROTOCOL_ADMIN_INTERNAL_H
#define FERRY_PROTOCOL_ADMIN_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "protocol/admin_auth.h"
#include "protocol/rest_api.h"

/* One admin request, its path's captures checked by the router. */
typedef struct admin_call {
    rest_context *ctx;
    rest_exchange *ex;
    const char *repo; /* ctx->repo; NULL when the server serves one artifact */
    const char *name; /* {name}: a valid model name, or NULL when the path has none */
    uint64_t version; /* {v}: a version number, 0 when the path has none */
    char actor[ADMIN_AUTH_ACTOR_MAX]; /* recorded in history: "api@127.0.0.1" */
} admin_call;

/* ---- Responses (each fills ex's status, content type and body) ---- */

/* {"error": message} with `status`. */
void admin_error(rest_exchange *ex, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* An error from a lower layer, with its status from http_status.h. */
void admin_fail(rest_exchange *ex, const ferry_error *err);

/* An error from a registry change whose input the API already checked: INVALID_ARG there is the
 * repository's state refusing the change (archiving production, deploying an archived version),
 * answered 409 Conflict; anything else as admin_fail. */
void admin_refuse(rest_exchange *ex, const ferry_error *err);

/* `doc` (stolen; NULL means out of memory) as a JSON body with `status`. */
void admin_json(rest_exchange *ex, int status, json_t *doc);

/* 200 with an empty body. */
void admin_empty(rest_exchange *ex);

/* ---- Request bodies ---- */

/* Parses the body as a JSON object into *doc (the caller json_decref's it); an empty body gives
 * an empty object. Answers 400 and returns false for anything else. */
bool admin_body_object(rest_exchange *ex, json_t **doc);

/* Reads an optional version field (a positive integer, or a string of digits) into *v (0 when
 * absent). Answers 400 and returns false when it is malformed, or missing and `required`. */
bool admin_body_version(rest_exchange *ex, json_t *doc, const char *key, bool required,
                        uint64_t *v);

/* Reads an optional string field into *s (NULL when absent). Answers 400 and returns false when it
 * is not a string. */
bool admin_body_string(rest_exchange *ex, json_t *doc, const char *key, const char **s);

/* The first value of query argument `key` ("" for a bare "?key"), or NULL when absent. */
const char *admin_query_arg(const rest_exchange *ex, const char *key);

/* True when s is a version number ("1".."18446744073709551615", no sign or leading zero). */
bool admin_parse_version(const char *s, uint64_t *v);

/* Tells the server that the repository changed (the reconciler then applies it at once). */
void admin_changed(const admin_call *c);

/* True when the call's model has a folder in the repository. */
bool admin_model_exists(const admin_call *c);

/* ---- Handlers (admin_repository.c, admin_models.c, admin_upload.c) ---- */

void admin_repository_index(admin_call *c);
void admin_repository_load(admin_call *c);
void admin_repository_unload(admin_call *c);

void admin_list_models(admin_call *c);
void admin_show_model(admin_call *c);
void admin_list_versions(admin_call *c);
void admin_show_version(admin_call *c);
void admin_history(admin_call *c);
void admin_deploy(admin_call *c);
void admin_rollback(admin_call *c);
void admin_archive(admin_call *c);

void admin_upload(admin_call *c);

#endif
