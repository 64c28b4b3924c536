/* ferry's status codes and the error object that carries a human message naming the thing that
 * failed. Codes are declared once in an X-macro so names and defaults never drift apart. */
#ifndef FERRY_STATUS_H
#define FERRY_STATUS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* X(code, name) — the order fixes the numeric values; FERRY_OK is 0. */
#define FERRY_STATUS_LIST(X)                                                                       \
    X(OK, "ok")                                                                                    \
    X(INVALID_ARG, "invalid argument")                                                             \
    X(NOT_FOUND, "not found")                                                                      \
    X(UNAVAILABLE, "unavailable")                                                                  \
    X(INTERNAL, "internal error")                                                                  \
    X(UNSUPPORTED, "unsupported")                                                                  \
    X(ALREADY_EXISTS, "already exists")                                                            \
    X(CANCELLED, "cancelled")                                                                      \
    X(TOO_LARGE, "too large")                                                                      \
    X(UNSUPPORTED_MEDIA, "unsupported media type")                                                 \
    X(NO_MEMORY, "out of memory")                                                                  \
    X(IO, "i/o error")                                                                             \
    X(UNKNOWN, "unknown error")                                                                    \
    X(RESOURCE_EXHAUSTED, "resource exhausted")                                                    \
    X(DEADLINE_EXCEEDED, "deadline exceeded")

typedef enum ferry_status {
#define FERRY_STATUS_ENUM(code, name) FERRY_##code,
    FERRY_STATUS_LIST(FERRY_STATUS_ENUM)
#undef FERRY_STATUS_ENUM
        FERRY_STATUS_COUNT
} ferry_status;

#define FERRY_ERROR_MESSAGE_MAX 512

/* The caller owns the error object (usually on its stack); functions that fail fill it in. */
typedef struct ferry_error {
    ferry_status code;
    char message[FERRY_ERROR_MESSAGE_MAX];
} ferry_error;

#define FERRY_MUST_CHECK __attribute__((warn_unused_result))

/* Returns the short name of a status ("not found"); never NULL. */
const char *ferry_status_name(ferry_status code);

/* Fills err (which may be NULL) with code and a printf-style message; returns code so a caller can
 * write `return ferry_error_set(err, FERRY_NOT_FOUND, "model '%s' not found", name);`. */
ferry_status ferry_error_set(ferry_error *err, ferry_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes err's message with a printf-style context ("version 3: " + message); returns err->code.
 */
ferry_status ferry_error_prefix(ferry_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Resets err to FERRY_OK with an empty message. err may be NULL. */
void ferry_error_clear(ferry_error *err);

#ifdef __cplusplus
}
#endif
#endif
