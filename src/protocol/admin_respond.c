/* Responses and request-body parsing shared by the admin API's handlers; see admin_internal.h. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/admin_internal.h"
#include "protocol/http_status.h"
#include "protocol/oip_json.h"

/* ------------------------------------------------------------------------------------------ */
/* Responses                                                                                    */
/* ------------------------------------------------------------------------------------------ */

static void respond_message(rest_exchange *ex, int status, const char *message)
{
    buffer_reset(ex->out);
    ex->status = status;
    ex->out_content_type = "application/json";
    if (oip_encode_error(ex->out, message) != FERRY_OK) {
        buffer_reset(ex->out);
        ex->status = 500;
        ex->out_content_type = NULL;
    }
}

void admin_error(rest_exchange *ex, int status, const char *fmt, ...)
{
    char message[FERRY_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    respond_message(ex, status, message);
}

void admin_fail(rest_exchange *ex, const ferry_error *err)
{
    respond_message(ex, http_status_for(err->code), err->message);
}

void admin_refuse(rest_exchange *ex, const ferry_error *err)
{
    if (err->code == FERRY_INVALID_ARG)
        respond_message(ex, 409, err->message);
    else
        admin_fail(ex, err);
}

static int dump_to_buffer(const char *data, size_t len, void *cls)
{
    return buffer_append(cls, data, len) == FERRY_OK ? 0 : -1;
}

void admin_json(rest_exchange *ex, int status, json_t *doc)
{
    buffer_reset(ex->out);
    int rc = doc != NULL
                 ? json_dump_callback(doc, dump_to_buffer, ex->out,
                                      JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))
                 : -1;
    json_decref(doc);
    if (rc != 0) {
        respond_message(ex, 500, "out of memory building the response");
        return;
    }
    ex->status = status;
    ex->out_content_type = "application/json";
}

void admin_empty(rest_exchange *ex)
{
    buffer_reset(ex->out);
    ex->status = 200;
    ex->out_content_type = NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Request bodies                                                                               */
/* ------------------------------------------------------------------------------------------ */

static bool body_is_blank(const rest_exchange *ex)
{
    for (size_t i = 0; i < ex->body_len; i++)
        if (strchr(" \t\r\n", ex->body[i]) == NULL)
            return false;
    return true;
}

bool admin_body_object(rest_exchange *ex, json_t **doc)
{
    *doc = NULL;
    if (body_is_blank(ex)) {
        *doc = json_object();
        if (*doc == NULL)
            admin_error(ex, 500, "out of memory");
        return *doc != NULL;
    }
    json_error_t jerr;
    *doc = json_loadb(ex->body, ex->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (*doc == NULL) {
        admin_error(ex, 400, "malformed JSON at line %d column %d: %s", jerr.line, jerr.column,
                    jerr.text);
        return false;
    }
    if (!json_is_object(*doc)) {
        json_decref(*doc);
        *doc = NULL;
        admin_error(ex, 400, "the request body must be a JSON object");
        return false;
    }
    return true;
}

bool admin_parse_version(const char *s, uint64_t *v)
{
    if (s == NULL || s[0] < '1' || s[0] > '9' || strspn(s, "0123456789") != strlen(s))
        return false;
    errno = 0;
    unsigned long long n = strtoull(s, NULL, 10);
    if (errno == ERANGE)
        return false;
    *v = (uint64_t)n;
    return true;
}

bool admin_body_version(rest_exchange *ex, json_t *doc, const char *key, bool required, uint64_t *v)
{
    json_t *field = json_object_get(doc, key);
    *v = 0;
    if (field == NULL || json_is_null(field)) {
        if (required)
            admin_error(ex, 400, "the request body needs \"%s\": a version number", key);
        return !required;
    }
    if (json_is_integer(field) && json_integer_value(field) > 0) {
        *v = (uint64_t)json_integer_value(field);
        return true;
    }
    if (json_is_string(field) && admin_parse_version(json_string_value(field), v))
        return true;
    admin_error(ex, 400, "\"%s\" must be a version number (a positive integer)", key);
    return false;
}

bool admin_body_string(rest_exchange *ex, json_t *doc, const char *key, const char **s)
{
    json_t *field = json_object_get(doc, key);
    *s = NULL;
    if (field == NULL || json_is_null(field))
        return true;
    if (!json_is_string(field)) {
        admin_error(ex, 400, "\"%s\" must be a string", key);
        return false;
    }
    *s = json_string_value(field);
    return true;
}

typedef struct arg_lookup {
    const char *key;
    const char *value;
    bool found;
} arg_lookup;

static void find_arg(void *user, const char *key, const char *value)
{
    arg_lookup *l = user;
    if (!l->found && strcmp(key, l->key) == 0) {
        l->found = true;
        l->value = value != NULL ? value : "";
    }
}

const char *admin_query_arg(const rest_exchange *ex, const char *key)
{
    arg_lookup l = {.key = key};
    if (ex->transport != NULL)
        ex->transport->each_arg(ex->conn, find_arg, &l);
    return l.value;
}

bool admin_model_exists(const admin_call *c)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/%s", c->repo, c->name);
    struct stat sb;
    return stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode);
}

void admin_changed(const admin_call *c)
{
    if (c->ctx->repository_changed != NULL)
        c->ctx->repository_changed(c->ctx->repository_changed_cls);
}
