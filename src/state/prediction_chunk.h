/* The prediction log's chunk format: the body of one prediction_chunks row, holding the
 * predictions of one model version that the writer took in one commit, packed by memcpy (no row
 * per prediction). An offset table finds one prediction without parsing the others, so a feedback
 * lookup reads three small pieces of a chunk (sqlite3_blob_read) rather than all of it.
 *
 * Layout, native little-endian, every part starting at a multiple of 8 bytes from the body's
 * start:
 *   header   "FPC1" (4 bytes), u32 n (predictions)
 *   offsets  u64 offset[n]: where each prediction's entry starts, from the body's start
 *   entry    i64 ts (Unix ms), i64 rows, u32 id length (without NUL), u32 flags,
 *            u64 inputs length, u64 outputs length (40 bytes), then the id + NUL, padding, the
 *            inputs tensor blob, padding, the outputs tensor blob, padding (state/tensor_blob.h)
 *
 * flags: PREDICTION_CHUNK_ID_GENERATED when ferry made the id (a UUID v7 whose millisecond is the
 * entry's ts); such an entry has no prediction_ids row and is found by its time. Chunks written
 * before the flag existed hold 0, and readers ignore bits they do not know.
 *
 *     size_t size = prediction_chunk_size(recs, n);
 *     prediction_chunk_write(body, recs, n);                    body holds size bytes
 *     prediction_chunk_locate(read_fn, ctx, size, slot, &loc, &err);  where slot's parts are */
#ifndef FERRY_STATE_PREDICTION_CHUNK_H
#define FERRY_STATE_PREDICTION_CHUNK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/status.h"
#include "state/state_store.h"

#define PREDICTION_CHUNK_MAX_N     4096       /* predictions in one chunk at most */
#define PREDICTION_CHUNK_MAX_BYTES (4u << 20) /* a chunk is closed before it grows past this */
#define PREDICTION_CHUNK_HEADER    8
#define PREDICTION_CHUNK_ENTRY     40
/* A chunk's predictions lie within this many ms of each other (last_ts - first_ts), so the chunks
 * that may hold a time T are those with last_ts in [T, T + SPAN] and first_ts <= T. */
#define PREDICTION_CHUNK_SPAN_MAX_MS  10000
#define PREDICTION_CHUNK_ID_GENERATED 1u /* an entry's flags: the id is ferry's own UUID v7 */

/* The bytes record r adds to a chunk: its offset and its entry. */
size_t prediction_chunk_entry_size(const state_record *r);

/* The bytes a chunk of predictions recs[0..n) takes. */
size_t prediction_chunk_size(state_record *const *recs, size_t n);

/* Writes predictions recs[0..n) into body (prediction_chunk_size bytes, 8-aligned, padding
 * zeroed) and sets *first_ts and *last_ts to the smallest and largest ts among them. */
void prediction_chunk_write(void *body, state_record *const *recs, size_t n, int64_t *first_ts,
                            int64_t *last_ts);

/* Reads len bytes at offset of a chunk body into buf; false when that cannot be read. */
typedef bool (*prediction_chunk_read_fn)(void *ctx, void *buf, size_t len, size_t offset);

/* Where one prediction's parts are in a chunk body, as offsets from its start. */
typedef struct prediction_loc {
    int64_t ts;
    int64_t rows;
    uint32_t flags;        /* PREDICTION_CHUNK_ID_GENERATED or 0 */
    size_t id_off, id_len; /* id_len without the NUL */
    size_t inputs_off, inputs_len;
    size_t outputs_off, outputs_len;
} prediction_loc;

/* The number of predictions in a chunk body of body_len bytes, read through read. Fails with
 * INVALID_ARG when the header is not a chunk's. */
ferry_status prediction_chunk_count(prediction_chunk_read_fn read, void *ctx, size_t body_len,
                                    size_t *n, ferry_error *err) FERRY_MUST_CHECK;

/* Finds prediction `slot` of a chunk body of body_len bytes, reading only its header, offset and
 * entry through read. Fails with INVALID_ARG saying what is wrong (slot out of range, an offset
 * or length outside the body). */
ferry_status prediction_chunk_locate(prediction_chunk_read_fn read, void *ctx, size_t body_len,
                                     size_t slot, prediction_loc *loc,
                                     ferry_error *err) FERRY_MUST_CHECK;

/* A prediction_chunk_read_fn over a body in memory (ctx: the body's first byte; the caller passes
 * the body's length as body_len). */
bool prediction_chunk_read_memory(void *ctx, void *buf, size_t len, size_t offset);

#endif
