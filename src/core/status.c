/* Status names and the error object's setters; see include/ferry/status.h. */
#include "ferry/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const status_names[] = {
#define STATUS_NAME(code, name) [FERRY_##code] = name,
    FERRY_STATUS_LIST(STATUS_NAME)
#undef STATUS_NAME
};
_Static_assert(sizeof status_names / sizeof status_names[0] == FERRY_STATUS_COUNT,
               "every status has a name");

const char *ferry_status_name(ferry_status code)
{
    if ((unsigned)code >= FERRY_STATUS_COUNT)
        return "unknown status";
    return status_names[code];
}

ferry_status ferry_error_set(ferry_error *err, ferry_status code, const char *fmt, ...)
{
    if (err == NULL)
        return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return code;
}

ferry_status ferry_error_prefix(ferry_error *err, const char *fmt, ...)
{
    if (err == NULL)
        return FERRY_UNKNOWN;
    char prefix[FERRY_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    size_t plen = strnlen(prefix, sizeof err->message - 1);
    size_t mlen = strnlen(err->message, sizeof err->message - 1 - plen);
    memmove(err->message + plen, err->message, mlen);
    memcpy(err->message, prefix, plen);
    err->message[plen + mlen] = '\0';
    return err->code;
}

void ferry_error_clear(ferry_error *err)
{
    if (err == NULL)
        return;
    err->code = FERRY_OK;
    err->message[0] = '\0';
}
