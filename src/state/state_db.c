/* ferry.db: pragmas and the versioned schema; see state_db.h. */
#include "state/state_db.h"

#include <stdio.h>
#include <stdlib.h>

#include "state/state_store.h"

/* Version 1. A later version adds its migration after these and bumps STATE_SCHEMA_VERSION. */
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
    if (st == FERRY_OK)
        st = state_db_exec(db, path, schema_v1, err);
    int version = 0;
    if (st == FERRY_OK)
        st = read_version(db, path, &version, err);
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
