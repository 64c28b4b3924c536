/* history.jsonl writing and tolerant reading; see history.h. */
#define _GNU_SOURCE /* asprintf */
#include "serving/history.h"

#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/fsutil.h"

void history_now(char *buf, size_t len)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *version_or_null(uint64_t v)
{
    return v ? json_integer((json_int_t)v) : json_null();
}

/* True when the file's last byte is not a line break (a crash cut the last append short). Writers
 * hold the model's lock, so the answer holds until this writer appends. */
static bool ends_torn(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct stat sb;
    char last = '\n';
    if (fstat(fd, &sb) == 0 && sb.st_size > 0 && pread(fd, &last, 1, sb.st_size - 1) != 1)
        last = '\n';
    close(fd);
    return last != '\n';
}

ferry_status history_append(const char *model_dir, const char *model, history_event *event,
                            ferry_error *err)
{
    if (event->ts[0] == '\0')
        history_now(event->ts, sizeof event->ts);
    json_t *doc =
        json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:s}", "ts", event->ts, "actor", event->actor,
                  "action", event->action, "model", model, "from", version_or_null(event->from),
                  "to", version_or_null(event->to), "reason", event->reason);
    char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(doc);
    if (text == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "history: out of memory");
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/history.jsonl", model_dir);
    /* One write carries the whole line. After a torn last line it starts a new line: appended to
     * the fragment, the event would be unreadable too. */
    char *line = NULL;
    if (asprintf(&line, "%s%s\n", ends_torn(path) ? "\n" : "", text) < 0)
        line = NULL;
    free(text);
    if (line == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "history: out of memory");
    ferry_status st = fs_append_durable(path, line, strlen(line), err);
    free(line);
    return st;
}

static void copy_string(char *dst, size_t len, const json_t *v)
{
    snprintf(dst, len, "%s", json_is_string(v) ? json_string_value(v) : "");
}

/* Parses one line; false when it is not a complete event. */
static bool parse_event(const char *line, size_t len, history_event *ev)
{
    json_t *doc = json_loadb(line, len, 0, NULL);
    if (!json_is_object(doc) || !json_is_string(json_object_get(doc, "action"))) {
        json_decref(doc);
        return false;
    }
    memset(ev, 0, sizeof *ev);
    copy_string(ev->ts, sizeof ev->ts, json_object_get(doc, "ts"));
    copy_string(ev->actor, sizeof ev->actor, json_object_get(doc, "actor"));
    copy_string(ev->action, sizeof ev->action, json_object_get(doc, "action"));
    copy_string(ev->reason, sizeof ev->reason, json_object_get(doc, "reason"));
    json_t *from = json_object_get(doc, "from"), *to = json_object_get(doc, "to");
    ev->from = json_is_integer(from) ? (uint64_t)json_integer_value(from) : 0;
    ev->to = json_is_integer(to) ? (uint64_t)json_integer_value(to) : 0;
    json_decref(doc);
    return true;
}

ferry_status history_read(const char *model_dir, history_event **events, size_t *count,
                          size_t *skipped, ferry_error *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/history.jsonl", model_dir);
    *events = NULL;
    *count = 0;
    *skipped = 0;
    char *text = NULL;
    size_t len = 0;
    ferry_status st = fs_read_file(path, &text, &len, err);
    if (st == FERRY_NOT_FOUND)
        return FERRY_OK;
    if (st != FERRY_OK)
        return st;
    size_t cap = 0;
    for (char *line = text; st == FERRY_OK && line < text + len;) {
        char *nl = memchr(line, '\n', (size_t)(text + len - line));
        size_t line_len = nl ? (size_t)(nl - line) : (size_t)(text + len - line);
        if (*count == cap) {
            cap = cap ? cap * 2 : 16;
            history_event *grown = realloc(*events, cap * sizeof *grown);
            if (grown == NULL)
                st = ferry_error_set(err, FERRY_NO_MEMORY, "%s: out of memory", path);
            else
                *events = grown;
        }
        if (st == FERRY_OK && line_len > 0) {
            if (parse_event(line, line_len, &(*events)[*count]))
                (*count)++;
            else
                (*skipped)++;
        }
        line += line_len + 1;
    }
    free(text);
    if (st != FERRY_OK) {
        free(*events);
        *events = NULL;
        *count = 0;
    }
    return st;
}
