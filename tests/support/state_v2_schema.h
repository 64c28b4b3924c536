/* The tables, indexes and meta row of a version 2 ferry.db as builds before the prediction log
 * stopped indexing ferry's own ids created it: every id in prediction_ids, and no index on the
 * chunks' times (src/state/state_db.c adds it at open). A string literal: tests append their own
 * INSERTs to it. */
#ifndef FERRY_TESTS_STATE_V2_SCHEMA_H
#define FERRY_TESTS_STATE_V2_SCHEMA_H

#include "state_v1_schema.h"

#define TS_STATE_V2_SCHEMA                                                                         \
    TS_STATE_V1_SCHEMA                                                                             \
    "UPDATE meta SET value = '2' WHERE key = 'schema_version';"                                    \
    "CREATE TABLE prediction_chunks(chunk INTEGER PRIMARY KEY, model TEXT NOT NULL,"               \
    " version TEXT NOT NULL, first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL,"                 \
    " n INTEGER NOT NULL, body BLOB NOT NULL);"                                                    \
    "CREATE INDEX prediction_chunks_model_ts ON prediction_chunks(model, last_ts);"                \
    "CREATE TABLE prediction_ids(id TEXT NOT NULL, chunk INTEGER NOT NULL, slot INTEGER NOT NULL," \
    " PRIMARY KEY(id, chunk, slot)) WITHOUT ROWID;"

#endif
