/* `ferry logs export NAME [--since T] [--format jsonl|csv] [--state DIR]`: the prediction log of a
 * model joined with its feedback labels, oldest first, on stdout. Reads the state store with a
 * read-only connection, so it runs beside a serving server. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/buffer.h"
#include "protocol/oip_json.h"
#include "state/feedback_config.h"
#include "state/prediction_chunk.h"
#include "state/state_db.h"
#include "state/state_store.h"
#include "state/tensor_blob.h"

static const char logs_help[] =
    "usage: ferry logs export NAME [--since T] [--format jsonl|csv] [--state DIR]\n"
    "\n"
    "  --since T        only predictions of the last T (30m, 12h, 7d; default: all)\n"
    "  --format F       jsonl (default): one JSON object per line; csv: RFC 4180 with a header\n"
    "  --state DIR      state folder (env FERRY_STATE; default ./ferry-state)\n";

/* Predictions logged a row each (schema version 1, and rows an older ferry wrote). */
static const char legacy_sql[] = "SELECT id, ts, version, rows, inputs, outputs FROM predictions "
                                 "WHERE model = ?1 AND ts >= ?2 ORDER BY ts, rowid";
/* Chunks (schema version 2) holding a prediction at or after ?2, by their earliest. */
static const char chunks_sql[] = "SELECT chunk, first_ts, version, body FROM prediction_chunks "
                                 "WHERE model = ?1 AND last_ts >= ?2 ORDER BY first_ts, chunk";
/* A prediction's labels as a JSON object {"label_row": label}, or NULL. */
static const char labels_sql[] =
    "SELECT json_group_object(l.row, json(l.label)) FROM labels l WHERE l.id = ?1";

static void csv_field(const char *s)
{
    putchar('"');
    for (; s != NULL && *s; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    putchar('"');
}

#define EXPORT_JSON_MAX (1u << 30)

/* A tensor blob of len bytes at data (TENSOR_BLOB_ALIGN-aligned) as OIP JSON tensors in b
 * (initialised by the caller). A blob that cannot be read is exported as null, with a warning
 * naming the prediction. */
static const char *blob_text(const void *data, size_t len, const char *id, const char *what,
                             buffer *b)
{
    ferry_error err = {0};
    size_t n = 0;
    ferry_tensor *views = NULL;
    ferry_status status = tensor_blob_read(data, len, NULL, 0, &n, &err);
    if (status == FERRY_OK) {
        views = calloc(n + 1, sizeof *views);
        status = views == NULL ? FERRY_NO_MEMORY : tensor_blob_read(data, len, views, n, &n, &err);
    }
    if (status == FERRY_OK)
        status = oip_encode_tensors(b, views, n);
    free(views);
    if (status == FERRY_OK)
        return b->data;
    fprintf(stderr, "ferry logs: prediction '%s': cannot read its %s: %s\n", id, what,
            status == FERRY_NO_MEMORY ? "out of memory" : err.message);
    return "null";
}

/* Column i of a v1 row (a tensor blob, or JSON text in rows logged before blobs) as OIP JSON
 * tensors, in b for a blob. */
static const char *column_text(sqlite3_stmt *st, int i, const char *what, buffer *b)
{
    if (sqlite3_column_type(st, i) != SQLITE_BLOB)
        return (const char *)sqlite3_column_text(st, i);
    state_tensors blob;
    const char *id = (const char *)sqlite3_column_text(st, 0);
    if (!state_tensors_from_column(st, i, &blob)) {
        fprintf(stderr, "ferry logs: prediction '%s': cannot read its %s: out of memory\n", id,
                what);
        return "null";
    }
    const char *text = blob_text(blob.data, blob.len, id, what, b);
    free(blob.data);
    return text;
}

static void print_csv_row(const char *const *text)
{
    csv_field(text[0]);
    printf(",%s,", text[1]);
    csv_field(text[2]);
    putchar(',');
    csv_field(text[3]);
    printf(",%s,", text[4]);
    csv_field(text[5]);
    putchar(',');
    csv_field(text[6]);
    putchar(',');
    csv_field(text[7] != NULL ? text[7] : "{}");
    putchar('\n');
}

static void print_json_row(const char *const *text)
{
    printf("{\"id\":");
    fputs("\"", stdout);
    for (const char *s = text[0]; *s; s++)
        printf(*s == '"' || *s == '\\' ? "\\%c" : "%c", *s);
    printf("\",\"ts\":%s,\"model\":\"%s\",\"version\":\"%s\",\"rows\":%s,\"inputs\":%s,"
           "\"outputs\":%s,\"labels\":%s}\n",
           text[1], text[2], text[3], text[4], text[5], text[6], text[7] != NULL ? text[7] : "{}");
}

/* ------------------------------------------------------------------------------------------ */
/* Walking the log in time order                                                                */
/* ------------------------------------------------------------------------------------------ */

/* A chunk read into memory (8-aligned for the tensor blobs), freed when its last prediction is
 * printed. */
typedef struct loaded_chunk {
    unsigned char *body;
    size_t len;
    char *version;
    size_t pending;
} loaded_chunk;

/* A prediction of a loaded chunk waiting for its turn; seq orders equal timestamps as logged. */
typedef struct pending_entry {
    int64_t ts;
    uint64_t seq;
    loaded_chunk *chunk;
    prediction_loc loc;
} pending_entry;

typedef struct exporter {
    const char *path, *model;
    sqlite3 *db;
    sqlite3_stmt *legacy, *chunks, *labels;
    int legacy_rc; /* SQLITE_ROW while legacy holds an unprinted row */
    bool csv, failed;
    int64_t from_ms;
    pending_entry *pending;
    size_t n_pending, cap_pending;
    uint64_t seq;
} exporter;

/* Prints one prediction with its labels; text[1] (ts), text[4] (rows) and text[7] filled here. */
static void print_prediction(exporter *x, const char **text)
{
    int rc = sqlite3_bind_text(x->labels, 1, text[0], -1, SQLITE_STATIC);
    if (rc == SQLITE_OK && (rc = sqlite3_step(x->labels)) == SQLITE_ROW)
        text[7] = (const char *)sqlite3_column_text(x->labels, 0);
    else
        x->failed = true;
    if (x->csv)
        print_csv_row(text);
    else
        print_json_row(text);
    sqlite3_reset(x->labels);
}

static void print_legacy_row(exporter *x)
{
    sqlite3_stmt *st = x->legacy;
    buffer tensors[2];
    buffer_init(&tensors[0], EXPORT_JSON_MAX);
    buffer_init(&tensors[1], EXPORT_JSON_MAX);
    const char *text[8] = {(const char *)sqlite3_column_text(st, 0),
                           (const char *)sqlite3_column_text(st, 1),
                           x->model,
                           (const char *)sqlite3_column_text(st, 2),
                           (const char *)sqlite3_column_text(st, 3),
                           column_text(st, 4, "inputs", &tensors[0]),
                           column_text(st, 5, "outputs", &tensors[1]),
                           NULL};
    print_prediction(x, text);
    buffer_free(&tensors[0]);
    buffer_free(&tensors[1]);
}

static void print_chunk_entry(exporter *x, const pending_entry *e)
{
    const unsigned char *body = e->chunk->body;
    const char *id = (const char *)body + e->loc.id_off;
    char ts[32], rows[32];
    snprintf(ts, sizeof ts, "%lld", (long long)e->ts);
    snprintf(rows, sizeof rows, "%lld", (long long)e->loc.rows);
    buffer tensors[2];
    buffer_init(&tensors[0], EXPORT_JSON_MAX);
    buffer_init(&tensors[1], EXPORT_JSON_MAX);
    const char *text[8] = {
        id,
        ts,
        x->model,
        e->chunk->version,
        rows,
        blob_text(body + e->loc.inputs_off, e->loc.inputs_len, id, "inputs", &tensors[0]),
        blob_text(body + e->loc.outputs_off, e->loc.outputs_len, id, "outputs", &tensors[1]),
        NULL};
    print_prediction(x, text);
    buffer_free(&tensors[0]);
    buffer_free(&tensors[1]);
}

/* Prints the v1 rows logged at or before ts_ms (all of them for INT64_MAX). */
static void print_legacy_until(exporter *x, int64_t ts_ms)
{
    while (x->legacy_rc == SQLITE_ROW && sqlite3_column_int64(x->legacy, 1) <= ts_ms) {
        print_legacy_row(x);
        x->legacy_rc = sqlite3_step(x->legacy);
    }
}

static int by_time(const void *a, const void *b)
{
    const pending_entry *x = a, *y = b;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void release_chunk(loaded_chunk *c)
{
    if (--c->pending > 0)
        return;
    free(c->body);
    free(c->version);
    free(c);
}

/* Prints the waiting predictions logged before bound_ms (no chunk still to load starts earlier),
 * in time order, with the v1 rows between them. */
static void print_pending_before(exporter *x, int64_t bound_ms)
{
    if (x->n_pending == 0)
        return; /* nothing allocated yet: qsort and memmove take no NULL */
    qsort(x->pending, x->n_pending, sizeof *x->pending, by_time);
    size_t done = 0;
    while (done < x->n_pending && x->pending[done].ts < bound_ms) {
        print_legacy_until(x, x->pending[done].ts);
        print_chunk_entry(x, &x->pending[done]);
        release_chunk(x->pending[done].chunk);
        done++;
    }
    memmove(x->pending, x->pending + done, (x->n_pending - done) * sizeof *x->pending);
    x->n_pending -= done;
}

static bool reserve_pending(exporter *x, size_t more)
{
    if (x->n_pending + more <= x->cap_pending)
        return true;
    size_t cap = (x->n_pending + more) * 2;
    pending_entry *grown = realloc(x->pending, cap * sizeof *grown);
    if (grown == NULL)
        return false;
    x->pending = grown;
    x->cap_pending = cap;
    return true;
}

/* Adds the predictions (at or after from_ms) of the chunk in the chunks statement's row. */
static bool add_chunk_entries(exporter *x, loaded_chunk *c)
{
    size_t n = 0;
    ferry_error err;
    void *body = c->body;
    bool counted =
        prediction_chunk_count(prediction_chunk_read_memory, body, c->len, &n, &err) == FERRY_OK;
    bool room = counted && reserve_pending(x, n);
    c->pending = 1; /* held while adding */
    if (!room) {
        fprintf(stderr, "ferry logs: %s: chunk %lld of model '%s': %s\n", x->path,
                (long long)sqlite3_column_int64(x->chunks, 0), x->model,
                counted ? "out of memory" : err.message);
        x->failed = true;
        release_chunk(c);
        return !counted; /* a bad chunk is skipped, memory ends the export */
    }
    for (size_t slot = 0; slot < n; slot++) {
        pending_entry e = {.chunk = c, .seq = x->seq++};
        if (prediction_chunk_locate(prediction_chunk_read_memory, body, c->len, slot, &e.loc,
                                    &err) != FERRY_OK) {
            fprintf(stderr, "ferry logs: %s: chunk %lld of model '%s': %s\n", x->path,
                    (long long)sqlite3_column_int64(x->chunks, 0), x->model, err.message);
            x->failed = true;
            continue;
        }
        e.ts = e.loc.ts;
        if (e.ts < x->from_ms)
            continue;
        c->pending++;
        x->pending[x->n_pending++] = e;
    }
    release_chunk(c);
    return true;
}

/* Copies the chunks statement's row into memory and queues its predictions. */
static bool load_chunk(exporter *x)
{
    sqlite3_stmt *st = x->chunks;
    loaded_chunk *c = calloc(1, sizeof *c);
    const unsigned char *version = sqlite3_column_text(st, 2);
    size_t len = (size_t)sqlite3_column_bytes(st, 3);
    if (c != NULL) {
        c->body = malloc(len + 1);
        c->version = strdup(version != NULL ? (const char *)version : "");
        c->len = len;
    }
    if (c == NULL || c->body == NULL || c->version == NULL) {
        if (c != NULL) {
            free(c->body);
            free(c->version);
        }
        free(c);
        fprintf(stderr, "ferry logs: model '%s': out of memory\n", x->model);
        return false;
    }
    if (len > 0)
        memcpy(c->body, sqlite3_column_blob(st, 3), len);
    return add_chunk_entries(x, c);
}

/* Walks the chunks by their earliest prediction, printing what can no longer be preceded. */
static int walk_chunks(exporter *x)
{
    int rc;
    while ((rc = sqlite3_step(x->chunks)) == SQLITE_ROW) {
        print_pending_before(x, sqlite3_column_int64(x->chunks, 1));
        if (!load_chunk(x))
            return SQLITE_NOMEM;
    }
    print_pending_before(x, INT64_MAX);
    return rc;
}

static int prepare_export(exporter *x, bool has_chunks)
{
    int rc = sqlite3_prepare_v2(x->db, legacy_sql, -1, &x->legacy, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(x->db, labels_sql, -1, &x->labels, NULL);
    if (rc == SQLITE_OK && has_chunks)
        rc = sqlite3_prepare_v2(x->db, chunks_sql, -1, &x->chunks, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(x->legacy, 1, x->model, -1, SQLITE_STATIC) |
             sqlite3_bind_int64(x->legacy, 2, x->from_ms);
    if (rc == SQLITE_OK && has_chunks)
        rc = sqlite3_bind_text(x->chunks, 1, x->model, -1, SQLITE_STATIC) |
             sqlite3_bind_int64(x->chunks, 2, x->from_ms);
    return rc;
}

/* Prints the model's predictions, chunked and v1 rows merged by time, in one read transaction. */
static int run_export(exporter *x, bool has_chunks)
{
    int rc = sqlite3_exec(x->db, "BEGIN", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = prepare_export(x, has_chunks);
    if (rc != SQLITE_OK)
        return rc;
    if (x->csv)
        puts("id,ts,model,version,rows,inputs,outputs,labels");
    x->legacy_rc = sqlite3_step(x->legacy);
    rc = has_chunks ? walk_chunks(x) : SQLITE_DONE;
    print_legacy_until(x, INT64_MAX);
    if (rc == SQLITE_DONE && x->legacy_rc != SQLITE_DONE)
        rc = x->legacy_rc;
    for (size_t i = 0; i < x->n_pending; i++) /* left by a failure */
        release_chunk(x->pending[i].chunk);
    return rc == SQLITE_DONE && x->failed ? SQLITE_ERROR : rc;
}

static int export_model(const char *state, const char *name, int64_t since_s, bool csv)
{
    char path[4200];
    state_store_path(state, path, sizeof path);
    exporter x = {.path = path,
                  .model = name,
                  .csv = csv,
                  .from_ms = since_s > 0 ? ((int64_t)time(NULL) - since_s) * 1000 : 0};
    ferry_error err;
    bool has_chunks = false;
    if (state_db_open(path, false, &x.db, &err) != FERRY_OK ||
        state_db_has_table(x.db, path, "prediction_chunks", &has_chunks, &err) != FERRY_OK) {
        fprintf(stderr, "ferry logs: %s\n", err.message);
        sqlite3_close(x.db);
        return CLI_FAILURE;
    }
    int rc = run_export(&x, has_chunks);
    int result = rc == SQLITE_DONE ? CLI_OK : CLI_FAILURE;
    if (result != CLI_OK)
        fprintf(stderr, "ferry logs: %s: %s\n", path, sqlite3_errmsg(x.db));
    sqlite3_finalize(x.legacy);
    sqlite3_finalize(x.chunks);
    sqlite3_finalize(x.labels);
    free(x.pending);
    sqlite3_exec(x.db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(x.db);
    return result;
}

int cli_logs(int argc, char **argv)
{
    if (argc < 2 || cli_is_help(argv[1])) {
        fputs(logs_help, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    const char *state = getenv("FERRY_STATE");
    if (state == NULL || state[0] == '\0')
        state = "./ferry-state";
    const char *name = NULL, *since = NULL, *format = "jsonl";
    bool bad = strcmp(argv[1], "export") != 0;
    for (int i = 2; !bad && i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(logs_help, stdout);
            return CLI_OK;
        }
        if (cli_option(argc, argv, &i, "--since", &since, &bad) ||
            cli_option(argc, argv, &i, "--format", &format, &bad) ||
            cli_option(argc, argv, &i, "--state", &state, &bad))
            continue;
        bad = argv[i][0] == '-' || name != NULL;
        name = argv[i];
    }
    int64_t since_s = 0;
    if (!bad && since != NULL && !feedback_parse_duration(since, &since_s))
        fprintf(stderr, "ferry logs: --since: expected a duration such as 30m, 12h or 7d\n"),
            bad = true;
    if (bad || name == NULL || (strcmp(format, "jsonl") != 0 && strcmp(format, "csv") != 0)) {
        fputs(logs_help, stderr);
        return CLI_USAGE;
    }
    return export_model(state, name, since_s, strcmp(format, "csv") == 0);
}
