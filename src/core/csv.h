/* A streaming CSV reader per RFC 4180: quoted fields with embedded commas, quotes ("") and line
 * breaks; CRLF or LF record ends; a header row is just the first record. */
#ifndef FERRY_CORE_CSV_H
#define FERRY_CORE_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/status.h"

typedef struct csv_reader csv_reader;

/* Opens path for reading. The caller closes the reader with csv_close. NOT_FOUND when missing. */
ferry_status csv_open(const char *path, csv_reader **reader, ferry_error *err) FERRY_MUST_CHECK;

/* Reads the next record. On success *fields holds *n NUL-terminated strings owned by the reader and
 * valid until the next call; at the end of the file *n is 0. Fails with INVALID_ARG naming the
 * file and line for an unterminated quote or text after a closing quote. */
ferry_status csv_next(csv_reader *reader, char ***fields, size_t *n,
                      ferry_error *err) FERRY_MUST_CHECK;

/* 1-based line on which the last record returned started. */
uint64_t csv_line(const csv_reader *reader);

/* Closes the file and frees the reader. Accepts NULL. */
void csv_close(csv_reader *reader);

#endif
