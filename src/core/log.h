/* Structured logs: one JSON object per line on stderr with ts, level, msg and, where known, model,
 * version, request_id, status, latency_ms and a few more fields. Thread-safe (one write per line).
 */
#ifndef FERRY_CORE_LOG_H
#define FERRY_CORE_LOG_H

#include <stdbool.h>

typedef enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF } log_level;

/* Optional fields of a line; NULL strings and zero numbers are left out. */
typedef struct log_fields {
    const char *model;
    const char *version;
    const char *request_id;
    const char *method;
    const char *path;
    const char *file;
    const char *protocol;
    int status;        /* HTTP status */
    int port;          /* a bound port */
    double latency_ms; /* written when has_latency */
    bool has_latency;
} log_fields;

/* Sets the lowest level written (default LOG_INFO). */
void log_set_level(log_level level);

/* True when a line at `level` would be written (to skip building costly fields). */
bool log_enabled(log_level level);

/* Parses "debug", "info", "warn"/"warning", "error", "off"; false when unknown. */
bool log_level_parse(const char *name, log_level *level);

/* Writes one line. fields may be NULL. */
void log_write(log_level level, const log_fields *fields, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_debug(fields, ...) log_write(LOG_DEBUG, fields, __VA_ARGS__)
#define log_info(fields, ...)  log_write(LOG_INFO, fields, __VA_ARGS__)
#define log_warn(fields, ...)  log_write(LOG_WARN, fields, __VA_ARGS__)
#define log_error(fields, ...) log_write(LOG_ERROR, fields, __VA_ARGS__)

#endif
