/* ferry.db: pragmas and the versioned schema; see state_db.h. */
#include "state/state_db.h"

#include <stdio.h>
#include <stdlib.h>

#include "state/state_store.h"

/* Version 1: a row per prediction. Its tables stay: the predictions a v1 build logged are still
 * found, exported and expired. */
static const char schema_v1[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS predictions("
    " id TEXT NOT NULL, ts INTEGER NOT NULL, model TEXT NOT NULL, version TEXT NOT NULL,"
    " rows INTEGER NOT NULL, inputs TEXT NOT NULL, outputs TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS predictions_id ON predictions(id);"
    "CREATE INDEX IF NOT EXISTS predictions_model_ts ON predictions(model, ts);"
    "CREATE TABLE IF NOT EXISTS labels("
    " id TEXT NOT NULL, row INTEGER NOT NULL, model TEXT NOT NULL, version TEXT NOT NULL,"
    " label TEXT NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY(id, row));"
    "CREATE INDEX IF NOT EXISTS labels_model_ts ON labels(model, ts);";

/* Version 2: predictions packed in chunks, a row per model version and commit (the body's format
 * is state/prediction_chunk.h), and an id index of (id, chunk, slot) keys, so that logging a
 * prediction costs one small index insert instead of a row and two index entries. */
static const char schema_v2[] =
    "CREATE TABLE IF NOT EXISTS prediction_chunks("
    " chunk INTEGER PRIMARY KEY, model TEXT NOT NULL, version TEXT NOT NULL,"
    " first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL, n INTEGER NOT NULL, body BLOB NOT NULL);"
    "CREATE INDEX IF NOT EXISTS prediction_chunks_model_ts ON prediction_chunks(model, last_ts);"
    "CREATE TABLE IF NOT EXISTS prediction_ids("
    " id TEXT NOT NULL, chunk INTEGER NOT NULL, slot INTEGER NOT NULL,"
    " PRIMARY KEY(id, chunk, slot)) WITHOUT ROWID;";

/* migrations[v - 1] takes a database from version v - 1 to v. A later version adds its migration
 * here and bumps STATE_SCHEMA_VERSION. */
static const char *const migrations[] = {schema_v1, schema_v2};
_Static_assert(sizeof migrations / sizeof migrations[0] == STATE_SCHEMA_VERSION,
               "a migration per schema version");

ferry_status state_db_exec(sqlite3 *db, const char *path, const char *sql, ferry_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return FERRY_OK;
    ferry_error_set(err, FERRY_IO, "state store %s: %s", path,
                    msg != NULL ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return FERRY_IO;
}

/* The stored schema version, 0 when the meta table has none yet. */
static ferry_status read_version(sqlite3 *db, const char *path, int *version, ferry_error *err)
{
    sqlite3_stmt *st = NULL;
    *version = 0;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key='schema_version'", -1, &st,
                           NULL) != SQLITE_OK)
        return ferry_error_set(err, FERRY_IO, "state store %s: %s", path, sqlite3_errmsg(db));
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *version = atoi((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return ferry_error_set(err, FERRY_IO, "state store %s: %s", path, sqlite3_errmsg(db));
    return FERRY_OK;
}

static ferry_status ensure_schema(sqlite3 *db, const char *path, ferry_error *err)
{
    ferry_status st = state_db_exec(db, path, "BEGIN IMMEDIATE", err);
    if (st == FERRY_OK) /* the meta table, for a new file */
        st = state_db_exec(db, path, schema_v1, err);
    int version = 0;
    if (st == FERRY_OK)
        st = read_version(db, path, &version, err);
    for (int v = version + 1; st == FERRY_OK && v <= STATE_SCHEMA_VERSION; v++)
        st = state_db_exec(db, path, migrations[v - 1], err);
    if (st == FERRY_OK && version > STATE_SCHEMA_VERSION)
        st = ferry_error_set(err, FERRY_UNSUPPORTED,
                             "state store %s: schema version %d is newer than this ferry's (%d)",
                             path, version, STATE_SCHEMA_VERSION);
    if (st == FERRY_OK && version < STATE_SCHEMA_VERSION) {
        char sql[160];
        snprintf(sql, sizeof sql,
                 "INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', '%d')",
                 STATE_SCHEMA_VERSION);
        st = state_db_exec(db, path, sql, err);
    }
    if (st == FERRY_OK)
        return state_db_exec(db, path, "COMMIT", err);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return st;
}

ferry_status state_db_open(const char *path, bool create, sqlite3 **db, ferry_error *err)
{
    int flags = create ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
    *db = NULL;
    sqlite3 *h = NULL;
    int rc = sqlite3_open_v2(path, &h, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        ferry_error_set(err, FERRY_IO, "state store %s: %s", path,
                        h != NULL ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
        sqlite3_close(h);
        return FERRY_IO;
    }
    ferry_status st =
        sqlite3_busy_timeout(h, 5000) == SQLITE_OK
            ? FERRY_OK
            : ferry_error_set(err, FERRY_IO, "state store %s: %s", path, sqlite3_errmsg(h));
    if (st == FERRY_OK && create)
        /* A 32 MB page cache keeps the id index's pages (client ids may be random). Checkpoints
         * every 8,192 pages (32 MB of WAL) copy a page rewritten by many commits once. */
        st = state_db_exec(h, path,
                           "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                           "PRAGMA cache_size=-32768; PRAGMA wal_autocheckpoint=8192;",
                           err);
    if (st == FERRY_OK && create)
        st = ensure_schema(h, path, err);
    if (st != FERRY_OK) {
        sqlite3_close(h);
        return st;
    }
    *db = h;
    return FERRY_OK;
}

ferry_status state_db_has_table(sqlite3 *db, const char *path, const char *name, bool *exists,
                                ferry_error *err)
{
    sqlite3_stmt *st = NULL;
    *exists = false;
    int rc = sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?1",
                                -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    *exists = rc == SQLITE_ROW;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return ferry_error_set(err, FERRY_IO, "state store %s: %s", path, sqlite3_errmsg(db));
    return FERRY_OK;
}
