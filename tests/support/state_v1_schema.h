/* The tables, indexes and meta row a version 1 ferry created in ferry.db (src/state/state_db.c
 * before schema version 2), for tests that open, migrate and read such a database. A string
 * literal: tests append their own INSERTs to it. */
#ifndef FERRY_TESTS_STATE_V1_SCHEMA_H
#define FERRY_TESTS_STATE_V1_SCHEMA_H

#define TS_STATE_V1_SCHEMA                                                                         \
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"                                \
    "INSERT INTO meta VALUES('schema_version', '1');"                                              \
    "CREATE TABLE predictions(id TEXT NOT NULL, ts INTEGER NOT NULL, model TEXT NOT NULL,"         \
    " version TEXT NOT NULL, rows INTEGER NOT NULL, inputs TEXT NOT NULL, outputs TEXT NOT NULL);" \
    "CREATE INDEX predictions_id ON predictions(id);"                                              \
    "CREATE INDEX predictions_model_ts ON predictions(model, ts);"                                 \
    "CREATE TABLE labels(id TEXT NOT NULL, row INTEGER NOT NULL, model TEXT NOT NULL,"             \
    " version TEXT NOT NULL, label TEXT NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY(id, row));"     \
    "CREATE INDEX labels_model_ts ON labels(model, ts);"

#endif
