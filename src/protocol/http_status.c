/* ferry_status -> HTTP status; see http_status.h. */
#include "protocol/http_status.h"

static const int http_codes[FERRY_STATUS_COUNT] = {
    [FERRY_OK] = 200,
    [FERRY_INVALID_ARG] = 400,
    [FERRY_NOT_FOUND] = 404,
    [FERRY_UNAVAILABLE] = 503,
    [FERRY_INTERNAL] = 500,
    [FERRY_UNSUPPORTED] = 501,
    [FERRY_ALREADY_EXISTS] = 400,
    [FERRY_CANCELLED] = 400,
    [FERRY_TOO_LARGE] = 413,
    [FERRY_UNSUPPORTED_MEDIA] = 415,
    [FERRY_NO_MEMORY] = 500,
    [FERRY_IO] = 500,
    [FERRY_UNKNOWN] = 400,
    [FERRY_RESOURCE_EXHAUSTED] = 503,
    [FERRY_DEADLINE_EXCEEDED] = 504,
};

int http_status_for(ferry_status code)
{
    if ((unsigned)code >= FERRY_STATUS_COUNT || http_codes[code] == 0)
        return 500;
    return http_codes[code];
}
