/* Packing predictions into a chunk body and finding one in it; see prediction_chunk.h. */
#include "state/prediction_chunk.h"

#include <string.h>

static const char chunk_magic[4] = {'F', 'P', 'C', '1'};

static size_t pad8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

/* A record's id; "" for none (as the v1 rows stored it). */
static const char *record_id(const state_record *r)
{
    return r->id != NULL ? r->id : "";
}

size_t prediction_chunk_entry_size(const state_record *r)
{
    return 8 + PREDICTION_CHUNK_ENTRY + pad8(strlen(record_id(r)) + 1) + pad8(r->inputs_len) +
           pad8(r->outputs_len);
}

size_t prediction_chunk_size(state_record *const *recs, size_t n)
{
    size_t size = PREDICTION_CHUNK_HEADER;
    for (size_t i = 0; i < n; i++)
        size += prediction_chunk_entry_size(recs[i]);
    return size;
}

/* Copies len bytes to *p and zeroes the padding up to a multiple of 8, advancing *p. */
static void put_padded(unsigned char **p, const void *data, size_t len)
{
    if (len > 0)
        memcpy(*p, data, len);
    memset(*p + len, 0, pad8(len) - len);
    *p += pad8(len);
}

static void put_entry(unsigned char **p, const state_record *r)
{
    uint32_t id_len = (uint32_t)strlen(record_id(r));
    uint32_t flags = r->flags & STATE_RECORD_ID_GENERATED ? PREDICTION_CHUNK_ID_GENERATED : 0;
    uint64_t in_len = r->inputs_len, out_len = r->outputs_len;
    memcpy(*p, &r->ts_ms, 8);
    memcpy(*p + 8, &r->rows, 8);
    memcpy(*p + 16, &id_len, 4);
    memcpy(*p + 20, &flags, 4);
    memcpy(*p + 24, &in_len, 8);
    memcpy(*p + 32, &out_len, 8);
    *p += PREDICTION_CHUNK_ENTRY;
    put_padded(p, record_id(r), id_len + 1);
    put_padded(p, r->inputs, r->inputs_len);
    put_padded(p, r->outputs, r->outputs_len);
}

void prediction_chunk_write(void *body, state_record *const *recs, size_t n, int64_t *first_ts,
                            int64_t *last_ts)
{
    unsigned char *base = body;
    uint32_t count = (uint32_t)n;
    memcpy(base, chunk_magic, 4);
    memcpy(base + 4, &count, 4);
    unsigned char *p = base + PREDICTION_CHUNK_HEADER + 8 * n;
    *first_ts = n > 0 ? recs[0]->ts_ms : 0;
    *last_ts = *first_ts;
    for (size_t i = 0; i < n; i++) {
        uint64_t off = (uint64_t)(p - base);
        memcpy(base + PREDICTION_CHUNK_HEADER + 8 * i, &off, 8);
        put_entry(&p, recs[i]);
        *first_ts = recs[i]->ts_ms < *first_ts ? recs[i]->ts_ms : *first_ts;
        *last_ts = recs[i]->ts_ms > *last_ts ? recs[i]->ts_ms : *last_ts;
    }
}

bool prediction_chunk_read_memory(void *ctx, void *buf, size_t len, size_t offset)
{
    memcpy(buf, (const unsigned char *)ctx + offset, len);
    return true;
}

ferry_status prediction_chunk_count(prediction_chunk_read_fn read, void *ctx, size_t body_len,
                                    size_t *n, ferry_error *err)
{
    unsigned char head[PREDICTION_CHUNK_HEADER];
    uint32_t count = 0;
    if (body_len < sizeof head || !read(ctx, head, sizeof head, 0) ||
        memcmp(head, chunk_magic, 4) != 0)
        return ferry_error_set(err, FERRY_INVALID_ARG, "not a prediction chunk (bad header)");
    memcpy(&count, head + 4, 4);
    if ((body_len - PREDICTION_CHUNK_HEADER) / 8 < count)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "prediction chunk: %u offsets do not fit in %zu bytes", count,
                               body_len);
    *n = count;
    return FERRY_OK;
}

/* Checks that [off, off + len) lies inside a body of body_len bytes. */
static bool inside(size_t off, uint64_t len, size_t body_len)
{
    return off <= body_len && len <= body_len - off;
}

ferry_status prediction_chunk_locate(prediction_chunk_read_fn read, void *ctx, size_t body_len,
                                     size_t slot, prediction_loc *loc, ferry_error *err)
{
    size_t n = 0;
    ferry_status st = prediction_chunk_count(read, ctx, body_len, &n, err);
    if (st != FERRY_OK)
        return st;
    if (slot >= n)
        return ferry_error_set(err, FERRY_INVALID_ARG, "prediction chunk: slot %zu of %zu", slot,
                               n);
    uint64_t off = 0;
    unsigned char e[PREDICTION_CHUNK_ENTRY];
    if (!read(ctx, &off, 8, PREDICTION_CHUNK_HEADER + 8 * slot) || off % 8 != 0 ||
        !inside((size_t)off, sizeof e, body_len) || !read(ctx, e, sizeof e, (size_t)off))
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "prediction chunk: slot %zu: bad offset %llu", slot,
                               (unsigned long long)off);
    uint32_t id_len = 0;
    uint64_t in_len = 0, out_len = 0;
    memcpy(&loc->ts, e, 8);
    memcpy(&loc->rows, e + 8, 8);
    memcpy(&id_len, e + 16, 4);
    memcpy(&loc->flags, e + 20, 4);
    memcpy(&in_len, e + 24, 8);
    memcpy(&out_len, e + 32, 8);
    loc->id_off = (size_t)off + PREDICTION_CHUNK_ENTRY;
    loc->id_len = id_len;
    bool ok = inside(loc->id_off, (uint64_t)id_len + 1, body_len);
    loc->inputs_off = ok ? loc->id_off + pad8((size_t)id_len + 1) : 0;
    ok = ok && inside(loc->inputs_off, in_len, body_len);
    loc->inputs_len = ok ? (size_t)in_len : 0;
    loc->outputs_off = ok ? loc->inputs_off + pad8(loc->inputs_len) : 0;
    ok = ok && inside(loc->outputs_off, out_len, body_len);
    loc->outputs_len = ok ? (size_t)out_len : 0;
    if (!ok)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "prediction chunk: slot %zu: lengths outside the body", slot);
    return FERRY_OK;
}
