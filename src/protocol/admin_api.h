/* The admin API on the REST port: the OIP model repository extension (/v2/repository/index,
 * /v2/repository/models/{name}/load and /unload) and ferry's own registry endpoints under
 * /ferry/v1/ (models, versions, upload, deploy, rollback, archive, history). Every change goes
 * through serving/registry.h, so the reconciler applies it as it does the CLI's. Access is
 * decided by admin_auth.h. See docs/api.md for the endpoints. */
#ifndef FERRY_PROTOCOL_ADMIN_API_H
#define FERRY_PROTOCOL_ADMIN_API_H

#include <stdbool.h>

#include "protocol/rest_api.h"

/* True when `path` belongs to the admin API (/v2/repository[/...] or /ferry/...). */
bool admin_api_owns(const char *path);

/* Checks access from the headers alone, before the body is read. Returns true when it answered
 * (401 or 403); false when the request may go on. */
bool admin_api_preflight(rest_context *ctx, rest_exchange *ex);

/* Checks access, routes and answers an admin request. Never fails: every error becomes a status
 * and an {"error": ...} body. */
void admin_api_handle(rest_context *ctx, rest_exchange *ex);

#endif
