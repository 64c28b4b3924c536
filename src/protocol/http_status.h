/* The one table that maps ferry_status to HTTP status codes (Triton's mapping). */
#ifndef FERRY_PROTOCOL_HTTP_STATUS_H
#define FERRY_PROTOCOL_HTTP_STATUS_H

#include "ferry/status.h"

/* The HTTP status for a ferry status: 200, 400, 404, 413, 415, 500, 501 or 503. */
int http_status_for(ferry_status code);

#endif
