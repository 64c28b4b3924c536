/* `ferry logs export NAME [--since T] [--format jsonl|csv] [--state DIR]`: the prediction log of a
 * model joined with its feedback labels, oldest first, on stdout. Reads the state store with a
 * read-only connection, so it runs beside a serving server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/buffer.h"
#include "protocol/oip_json.h"
#include "state/feedback_config.h"
#include "state/state_db.h"
#include "state/state_store.h"
#include "state/tensor_blob.h"

static const char logs_help[] =
    "usage: ferry logs export NAME [--since T] [--format jsonl|csv] [--state DIR]\n"
    "\n"
    "  --since T        only predictions of the last T (30m, 12h, 7d; default: all)\n"
    "  --format F       jsonl (default): one JSON object per line; csv: RFC 4180 with a header\n"
    "  --state DIR      state folder (env FERRY_STATE; default ./ferry-state)\n";

/* One prediction with its labels as a JSON object {"label_row": label} text, or NULL. */
static const char export_sql[] =
    "SELECT p.id, p.ts, p.model, p.version, p.rows, p.inputs, p.outputs,"
    " (SELECT json_group_object(l.row, json(l.label)) FROM labels l WHERE l.id = p.id)"
    " FROM predictions p WHERE p.model = ?1 AND p.ts >= ?2 ORDER BY p.ts, p.rowid";

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

/* Column i (a tensor blob, or JSON text in rows logged before blobs) as OIP JSON tensors, in b
 * (initialised by the caller) for a blob.
 * A blob that cannot be read is exported as null, with a warning naming the row. */
static const char *tensors_text(sqlite3_stmt *st, int i, buffer *b)
{
    if (sqlite3_column_type(st, i) != SQLITE_BLOB)
        return (const char *)sqlite3_column_text(st, i);
    state_tensors blob;
    ferry_error err = {0};
    size_t n = 0;
    ferry_tensor *views = NULL;
    ferry_status status = FERRY_NO_MEMORY;
    if (state_tensors_from_column(st, i, &blob) &&
        (status = tensor_blob_read(blob.data, blob.len, NULL, 0, &n, &err)) == FERRY_OK) {
        views = calloc(n + 1, sizeof *views);
        status = views == NULL ? FERRY_NO_MEMORY
                               : tensor_blob_read(blob.data, blob.len, views, n, &n, &err);
    }
    if (status == FERRY_OK)
        status = oip_encode_tensors(b, views, n);
    free(views);
    free(blob.data);
    if (status == FERRY_OK)
        return b->data;
    fprintf(stderr, "ferry logs: prediction '%s': cannot read its %s: %s\n",
            (const char *)sqlite3_column_text(st, 0), i == 5 ? "inputs" : "outputs",
            status == FERRY_NO_MEMORY ? "out of memory" : err.message);
    return "null";
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

static void print_row(sqlite3_stmt *st, bool csv)
{
    const char *text[8];
    buffer tensors[2];
    buffer_init(&tensors[0], EXPORT_JSON_MAX);
    buffer_init(&tensors[1], EXPORT_JSON_MAX);
    for (int i = 0; i < 8; i++)
        text[i] = i == 5 || i == 6 ? tensors_text(st, i, &tensors[i - 5])
                                   : (const char *)sqlite3_column_text(st, i);
    if (csv)
        print_csv_row(text);
    else
        print_json_row(text);
    buffer_free(&tensors[0]);
    buffer_free(&tensors[1]);
}

static int export_model(const char *state, const char *name, int64_t since_s, bool csv)
{
    char path[4200];
    state_store_path(state, path, sizeof path);
    sqlite3 *db = NULL;
    ferry_error err;
    if (state_db_open(path, false, &db, &err) != FERRY_OK) {
        fprintf(stderr, "ferry logs: %s\n", err.message);
        return CLI_FAILURE;
    }
    sqlite3_stmt *st = NULL;
    int64_t from_ms = since_s > 0 ? ((int64_t)time(NULL) - since_s) * 1000 : 0;
    int rc = sqlite3_prepare_v2(db, export_sql, -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) | sqlite3_bind_int64(st, 2, from_ms);
    if (rc == SQLITE_OK && csv)
        puts("id,ts,model,version,rows,inputs,outputs,labels");
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        print_row(st, csv);
        rc = SQLITE_OK;
    }
    int result = rc == SQLITE_DONE ? CLI_OK : CLI_FAILURE;
    if (result != CLI_OK)
        fprintf(stderr, "ferry logs: %s: %s\n", path, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    sqlite3_close(db);
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
