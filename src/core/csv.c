/* RFC 4180 CSV reading with a small state machine; see csv.h. */
#include "core/csv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct csv_reader {
    FILE *file;
    char path[256];
    uint64_t line;        /* current line (1-based) */
    uint64_t record_line; /* line the last record started on */
    uint64_t quote_line;  /* line the open quoted field started on */
    char *text;           /* the record's fields, each NUL-terminated */
    size_t text_len, text_cap;
    size_t *starts; /* offset of each field in text */
    char **fields;
    size_t n_fields, fields_cap;
};

ferry_status csv_open(const char *path, csv_reader **reader, ferry_error *err)
{
    csv_reader *r = calloc(1, sizeof *r);
    if (r == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "%s: out of memory", path);
    r->file = fopen(path, "rb");
    if (r->file == NULL) {
        ferry_status st = ferry_error_set(err, errno == ENOENT ? FERRY_NOT_FOUND : FERRY_IO,
                                          "%s: %s", path, strerror(errno));
        free(r);
        return st;
    }
    snprintf(r->path, sizeof r->path, "%s", path);
    r->line = 1;
    *reader = r;
    return FERRY_OK;
}

void csv_close(csv_reader *r)
{
    if (r == NULL)
        return;
    fclose(r->file);
    free(r->text);
    free(r->starts);
    free(r->fields);
    free(r);
}

uint64_t csv_line(const csv_reader *r)
{
    return r->record_line;
}

static bool put_char(csv_reader *r, char c)
{
    if (r->text_len == r->text_cap) {
        size_t cap = r->text_cap ? r->text_cap * 2 : 1024;
        char *grown = realloc(r->text, cap);
        if (grown == NULL)
            return false;
        r->text = grown;
        r->text_cap = cap;
    }
    r->text[r->text_len++] = c;
    return true;
}

/* Ends the current field (NUL) and starts the next one at the current offset. */
static bool end_field(csv_reader *r)
{
    if (!put_char(r, '\0'))
        return false;
    if (r->n_fields + 1 >= r->fields_cap) {
        size_t cap = r->fields_cap ? r->fields_cap * 2 : 32;
        size_t *starts = realloc(r->starts, cap * sizeof *starts);
        if (starts == NULL)
            return false;
        r->starts = starts;
        char **fields = realloc(r->fields, cap * sizeof *fields);
        if (fields == NULL)
            return false;
        r->fields = fields;
        r->fields_cap = cap;
    }
    r->starts[++r->n_fields] = r->text_len;
    return true;
}

typedef enum csv_state { FIELD_START, UNQUOTED, QUOTED, QUOTE_IN_QUOTED } csv_state;

static ferry_status syntax_error(csv_reader *r, const char *why, ferry_error *err)
{
    return ferry_error_set(err, FERRY_INVALID_ARG, "%s: line %llu: %s", r->path,
                           (unsigned long long)r->line, why);
}

/* Feeds one character; sets *done at the end of a record. */
static ferry_status feed(csv_reader *r, int c, csv_state *state, bool *done, ferry_error *err)
{
    bool ok = true;
    if (*state == QUOTED) {
        if (c == '"')
            *state = QUOTE_IN_QUOTED;
        else
            ok = put_char(r, (char)c);
        if (c == '\n')
            r->line++;
    } else if (c == '"' && *state == QUOTE_IN_QUOTED) {
        ok = put_char(r, '"');
        *state = QUOTED;
    } else if (c == '"' && *state == FIELD_START) {
        *state = QUOTED;
        r->quote_line = r->line;
    } else if (c == ',') {
        ok = end_field(r);
        *state = FIELD_START;
    } else if (c == '\n') {
        r->line++;
        *done = true;
    } else if (c == '\r') {
        /* part of CRLF (or a lone CR): dropped outside quotes */
    } else if (*state == QUOTE_IN_QUOTED) {
        return syntax_error(r, "text after a closing quote", err);
    } else {
        ok = put_char(r, (char)c);
        *state = UNQUOTED;
    }
    return ok ? FERRY_OK : ferry_error_set(err, FERRY_NO_MEMORY, "%s: out of memory", r->path);
}

ferry_status csv_next(csv_reader *r, char ***fields, size_t *n, ferry_error *err)
{
    r->text_len = 0;
    r->n_fields = 0;
    if (r->fields_cap == 0 && !end_field(r)) /* allocates the arrays */
        return ferry_error_set(err, FERRY_NO_MEMORY, "%s: out of memory", r->path);
    r->n_fields = 0;
    r->text_len = 0;
    r->starts[0] = 0;
    r->record_line = r->line;
    csv_state state = FIELD_START;
    bool done = false, any = false;
    int c;
    while (!done && (c = getc(r->file)) != EOF) {
        any = true;
        ferry_status st = feed(r, c, &state, &done, err);
        if (st != FERRY_OK)
            return st;
    }
    if (state == QUOTED) /* named by the line the quote opened on, not the end of the file */
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "%s: line %llu: unterminated quoted field (no closing quote)",
                               r->path, (unsigned long long)r->quote_line);
    if (ferror(r->file))
        return ferry_error_set(err, FERRY_IO, "%s: read error", r->path);
    if (!any || (r->text_len == 0 && r->n_fields == 0 && state == FIELD_START && feof(r->file))) {
        *n = 0; /* end of file (a final line break adds no empty record) */
        return FERRY_OK;
    }
    if (!end_field(r))
        return ferry_error_set(err, FERRY_NO_MEMORY, "%s: out of memory", r->path);
    for (size_t i = 0; i < r->n_fields; i++)
        r->fields[i] = r->text + r->starts[i];
    *fields = r->fields;
    *n = r->n_fields;
    return FERRY_OK;
}
