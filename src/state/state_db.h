/* Opening ferry's SQLite database: pragmas (WAL, synchronous=NORMAL, a busy timeout) and the
 * versioned schema (a `meta` table holding schema_version). Used by the state store's writer and
 * readers and by `ferry logs export`. */
#ifndef FERRY_STATE_STATE_DB_H
#define FERRY_STATE_STATE_DB_H

#include <sqlite3.h>
#include <stdbool.h>

#include "ferry/status.h"

/* Opens path (read-write, created when `create`, else read-only), applies the pragmas and, when
 * writable, creates or checks the schema. On failure *db is NULL and err names the file with
 * SQLite's message; UNSUPPORTED for a schema newer than this build. */
ferry_status state_db_open(const char *path, bool create, sqlite3 **db,
                           ferry_error *err) FERRY_MUST_CHECK;

/* Runs SQL with no result rows; on failure sets err naming `path` and returns IO. */
ferry_status state_db_exec(sqlite3 *db, const char *path, const char *sql,
                           ferry_error *err) FERRY_MUST_CHECK;

/* Sets *exists to whether db has a table called name (a read-only open of a database an older
 * ferry wrote has no chunk tables). Fails with IO naming `path`. */
ferry_status state_db_has_table(sqlite3 *db, const char *path, const char *name, bool *exists,
                                ferry_error *err) FERRY_MUST_CHECK;

#endif
