/* JSON-lines logger; see log.h. Each line is built in a stack buffer and written with one write(2)
 * so that lines from different threads never interleave. */
#include "core/log.h"

#include "core/json_escape.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 4096

static atomic_int log_min_level = LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};

void log_set_level(log_level level)
{
    atomic_store(&log_min_level, (int)level);
}

bool log_enabled(log_level level)
{
    return (int)level >= atomic_load(&log_min_level) && level < LOG_OFF;
}

bool log_level_parse(const char *name, log_level *level)
{
    for (int l = LOG_DEBUG; l <= LOG_OFF; l++) {
        if (strcasecmp(name, level_names[l]) == 0) {
            *level = (log_level)l;
            return true;
        }
    }
    if (strcasecmp(name, "warning") == 0) {
        *level = LOG_WARN;
        return true;
    }
    return false;
}

typedef struct line {
    char buf[LOG_LINE_MAX];
    size_t len;
} line;

static void put_raw(line *l, const char *s, size_t n)
{
    size_t room = sizeof l->buf - 2 - l->len; /* keep room for "}\n" */
    if (n > room)
        n = room;
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

static void put_escaped(line *l, const char *s)
{
    size_t room = sizeof l->buf - 2 - l->len; /* keep room for "}\n" */
    l->len += json_escape(l->buf + l->len, room, s, strlen(s));
}

static void put_string_field(line *l, const char *key, const char *value)
{
    if (value == NULL)
        return;
    put_raw(l, ",\"", 2);
    put_raw(l, key, strlen(key));
    put_raw(l, "\":\"", 3);
    put_escaped(l, value);
    put_raw(l, "\"", 1);
}

static void put_number_field(line *l, const char *key, const char *fmt, double value)
{
    char num[64];
    int n = snprintf(num, sizeof num, fmt, value);
    put_raw(l, ",\"", 2);
    put_raw(l, key, strlen(key));
    put_raw(l, "\":", 2);
    put_raw(l, num, (size_t)n);
}

static void put_timestamp(line *l)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    char ts[64];
    size_t n = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    n += (size_t)snprintf(ts + n, sizeof ts - n, ".%03ldZ", now.tv_nsec / 1000000);
    put_raw(l, "{\"ts\":\"", 7);
    put_raw(l, ts, n);
    put_raw(l, "\"", 1);
}

static void put_fields(line *l, const log_fields *f)
{
    put_string_field(l, "model", f->model);
    put_string_field(l, "version", f->version);
    put_string_field(l, "request_id", f->request_id);
    put_string_field(l, "protocol", f->protocol);
    put_string_field(l, "method", f->method);
    put_string_field(l, "path", f->path);
    put_string_field(l, "file", f->file);
    if (f->status != 0)
        put_number_field(l, "status", "%.0f", f->status);
    if (f->port != 0)
        put_number_field(l, "port", "%.0f", f->port);
    if (f->has_latency)
        put_number_field(l, "latency_ms", "%.3f", f->latency_ms);
}

void log_write(log_level level, const log_fields *fields, const char *fmt, ...)
{
    if (!log_enabled(level))
        return;
    line l = {.len = 0};
    put_timestamp(&l);
    put_string_field(&l, "level", level_names[level]);
    char msg[LOG_LINE_MAX / 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    put_string_field(&l, "msg", msg);
    if (fields != NULL)
        put_fields(&l, fields);
    l.buf[l.len++] = '}';
    l.buf[l.len++] = '\n';
    /* A short write to stderr is not worth failing over; retry once for EINTR-style partial. */
    ssize_t w = write(STDERR_FILENO, l.buf, l.len);
    if (w > 0 && (size_t)w < l.len)
        (void)!write(STDERR_FILENO, l.buf + w, l.len - (size_t)w);
}
