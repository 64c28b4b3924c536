/* Fast OIP v2 JSON request decoding; see oip_json_fast.h. Three steps: a structural scan of the
 * body finds every inputs[i].data array; a skeleton of the body with each array replaced by its
 * index goes through the general decoder (jansson), which hands the index back for each input; the
 * array's text is then read into the tensor by json_number. Any surprise declines. */
#include "protocol/oip_json_fast.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/json_number.h"

#define SCAN_MAX_DEPTH 64 /* containers the structural scan follows */
#define DATA_MAX_DEPTH 16 /* nested arrays inside `data` (the general decoder allows 33) */

/* ------------------------------------------------------------------------------------------ */
/* Finding the data arrays                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* One inputs[i].data array: body[start..end) from '[' to just past its ']'. */
typedef struct data_span {
    size_t start, end;
    bool used; /* handed to an input by the general decoder */
} data_span;

typedef struct fast_scan {
    const char *body;
    size_t len;
    size_t n;
    data_span spans[OIP_MAX_TENSORS];
} fast_scan;

static bool is_ws(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static size_t skip_ws(const char *b, size_t len, size_t i)
{
    while (i < len && is_ws(b[i]))
        i++;
    return i;
}

/* Skips the string opening at b[i]; returns the index past its closing quote, or 0 when it does
 * not end. Sets *escaped when it holds a backslash. */
static size_t skip_string(const char *b, size_t len, size_t i, bool *escaped)
{
    for (i++; i < len; i++) {
        if (b[i] == '"')
            return i + 1;
        if (b[i] == '\\') {
            *escaped = true;
            i++;
        }
    }
    return 0;
}

/* Skips the array opening at b[i]; returns the index past its ']', or 0 when it does not end or
 * holds an object (not a tensor's data). */
static size_t skip_array(const char *b, size_t len, size_t i)
{
    size_t depth = 0;
    for (; i < len; i++) {
        char c = b[i];
        if ((c >= '0' && c <= '9') || c == ',' || c == '.' || c == '-')
            continue; /* the bulk of numeric data */
        if (c == '[') {
            depth++;
        } else if (c == ']') {
            if (--depth == 0)
                return i + 1;
        } else if (c == '"') {
            bool escaped = false;
            size_t end = skip_string(b, len, i, &escaped);
            if (end == 0)
                return 0;
            i = end - 1;
        } else if (c == '{') {
            return 0;
        }
    }
    return 0;
}

/* Records the value of a "data" key whose closing quote ends at b[i-1]; it must be an array.
 * Returns the index past the array, or 0. */
static size_t record_data(fast_scan *fs, size_t i)
{
    const char *b = fs->body;
    i = skip_ws(b, fs->len, i);
    if (i == fs->len || b[i] != ':')
        return 0;
    i = skip_ws(b, fs->len, i + 1);
    if (i == fs->len || b[i] != '[' || fs->n == OIP_MAX_TENSORS)
        return 0;
    size_t end = skip_array(b, fs->len, i);
    if (end != 0)
        fs->spans[fs->n++] = (data_span){.start = i, .end = end};
    return end;
}

static bool key_is(const char *key, size_t len, const char *want)
{
    return len == strlen(want) && memcmp(key, want, len) == 0;
}

/* The scan's position: container kinds by depth ('{' or '['), and whether a string is a key. */
typedef struct scan_state {
    char kinds[SCAN_MAX_DEPTH + 1];
    int depth;
    bool expect_key;
    bool in_inputs; /* the current top-level member is "inputs" */
} scan_state;

/* Handles the string at b[i]; returns the index where scanning resumes, or 0 to decline. A key
 * with an escape declines, so that every key jansson sees is one this scan saw. */
static size_t scan_string(fast_scan *fs, scan_state *ss, size_t i)
{
    bool escaped = false;
    size_t end = skip_string(fs->body, fs->len, i, &escaped);
    if (end == 0 || !ss->expect_key)
        return end;
    ss->expect_key = false;
    if (escaped)
        return 0;
    const char *key = fs->body + i + 1;
    size_t klen = end - i - 2;
    if (ss->depth == 1)
        ss->in_inputs = key_is(key, klen, "inputs");
    else if (ss->depth == 3 && ss->in_inputs && ss->kinds[2] == '[' && ss->kinds[3] == '{' &&
             key_is(key, klen, "data"))
        return record_data(fs, end);
    return end;
}

/* Finds every inputs[i].data array. False (decline) when one is not an array, a key is escaped,
 * the body does not balance or nests deeper than the scan follows. */
static bool find_data_arrays(fast_scan *fs)
{
    scan_state ss = {.depth = 0};
    for (size_t i = 0; i < fs->len; i++) {
        char c = fs->body[i];
        if (c == '{' || c == '[') {
            if (ss.depth == SCAN_MAX_DEPTH)
                return false;
            ss.kinds[++ss.depth] = c;
            ss.expect_key = c == '{';
        } else if (c == '}' || c == ']') {
            if (ss.depth == 0)
                return false;
            ss.depth--;
            ss.expect_key = false;
        } else if (c == ',') {
            ss.expect_key = ss.depth > 0 && ss.kinds[ss.depth] == '{';
        } else if (c == '"') {
            size_t next = scan_string(fs, &ss, i);
            if (next == 0)
                return false;
            i = next - 1;
        }
    }
    return ss.depth == 0 && fs->n > 0;
}

/* Copies the body into the arena with each data array replaced by its index. NULL when out of
 * memory. */
static char *build_skeleton(const fast_scan *fs, arena *a, size_t *len)
{
    char *sk = arena_alloc(a, fs->len + 4 * fs->n + 1);
    if (sk == NULL)
        return NULL;
    size_t at = 0, from = 0;
    for (size_t k = 0; k < fs->n; k++) {
        memcpy(sk + at, fs->body + from, fs->spans[k].start - from);
        at += fs->spans[k].start - from;
        at += (size_t)sprintf(sk + at, "%zu", k);
        from = fs->spans[k].end;
    }
    memcpy(sk + at, fs->body + from, fs->len - from);
    *len = at + fs->len - from;
    return sk;
}

/* ------------------------------------------------------------------------------------------ */
/* Reading the elements                                                                         */
/* ------------------------------------------------------------------------------------------ */

/* Reads a number for a float tensor as jansson does: integers through int64 (so "-0" is +0.0),
 * reals correctly rounded. */
static bool number_as_double(const json_number *n, double *out)
{
    if (!n->integer)
        return json_number_double(n, out) == JSON_NUMBER_OK;
    int64_t x;
    if (json_number_int64(n, &x) != JSON_NUMBER_OK)
        return false;
    *out = (double)x;
    return true;
}

/* The strings the general decoder reads as non-finite floats. */
static bool special_float(const char *s, size_t len, double *out)
{
    if (key_is(s, len, "NaN") || key_is(s, len, "nan"))
        *out = NAN;
    else if (key_is(s, len, "Infinity") || key_is(s, len, "inf"))
        *out = INFINITY;
    else if (key_is(s, len, "-Infinity") || key_is(s, len, "-inf"))
        *out = -INFINITY;
    else
        return false;
    return true;
}

/* Reads a float element: a number, null (NaN) or a non-finite spelling. Returns the end or NULL. */
static const char *read_float(const char *s, const char *end, double *out)
{
    if (*s == '"') {
        const char *q = memchr(s + 1, '"', (size_t)(end - s - 1));
        return q != NULL && special_float(s + 1, (size_t)(q - s - 1), out) ? q + 1 : NULL;
    }
    if (end - s >= 4 && memcmp(s, "null", 4) == 0) {
        *out = NAN;
        return s + 4;
    }
    json_number n;
    size_t len = json_number_scan(s, end, &n);
    return len > 0 && number_as_double(&n, out) ? s + len : NULL;
}

/* The range the general decoder accepts for each integer datatype (UINT64 as json_int_t). */
static bool int_range(ferry_dtype dtype, int64_t *lo, int64_t *hi)
{
    switch (dtype) {
    case FERRY_DTYPE_UINT8:
        *lo = 0, *hi = UINT8_MAX;
        return true;
    case FERRY_DTYPE_UINT16:
        *lo = 0, *hi = UINT16_MAX;
        return true;
    case FERRY_DTYPE_UINT32:
        *lo = 0, *hi = UINT32_MAX;
        return true;
    case FERRY_DTYPE_UINT64:
        *lo = 0, *hi = INT64_MAX;
        return true;
    case FERRY_DTYPE_INT8:
        *lo = INT8_MIN, *hi = INT8_MAX;
        return true;
    case FERRY_DTYPE_INT16:
        *lo = INT16_MIN, *hi = INT16_MAX;
        return true;
    case FERRY_DTYPE_INT32:
        *lo = INT32_MIN, *hi = INT32_MAX;
        return true;
    case FERRY_DTYPE_INT64:
        *lo = INT64_MIN, *hi = INT64_MAX;
        return true;
    default:
        return false;
    }
}

static void store_int(ferry_tensor *t, uint64_t i, int64_t x)
{
    void *d = t->data;
    switch (t->dtype) {
    case FERRY_DTYPE_UINT8:
        ((uint8_t *)d)[i] = (uint8_t)x;
        break;
    case FERRY_DTYPE_UINT16:
        ((uint16_t *)d)[i] = (uint16_t)x;
        break;
    case FERRY_DTYPE_UINT32:
        ((uint32_t *)d)[i] = (uint32_t)x;
        break;
    case FERRY_DTYPE_UINT64:
        ((uint64_t *)d)[i] = (uint64_t)x;
        break;
    case FERRY_DTYPE_INT8:
        ((int8_t *)d)[i] = (int8_t)x;
        break;
    case FERRY_DTYPE_INT16:
        ((int16_t *)d)[i] = (int16_t)x;
        break;
    case FERRY_DTYPE_INT32:
        ((int32_t *)d)[i] = (int32_t)x;
        break;
    default:
        ((int64_t *)d)[i] = x;
        break;
    }
}

static const char *read_int(const char *s, const char *end, ferry_tensor *t, uint64_t i)
{
    json_number n;
    size_t len = json_number_scan(s, end, &n);
    int64_t x, lo = 0, hi = 0;
    if (len == 0 || json_number_int64(&n, &x) != JSON_NUMBER_OK || !int_range(t->dtype, &lo, &hi) ||
        x < lo || x > hi)
        return NULL;
    store_int(t, i, x);
    return s + len;
}

static const char *read_bool(const char *s, const char *end, ferry_tensor *t, uint64_t i)
{
    bool v = *s == 't';
    size_t len = v ? 4 : 5;
    if ((size_t)(end - s) < len || memcmp(s, v ? "true" : "false", len) != 0)
        return NULL;
    ((uint8_t *)t->data)[i] = v;
    return s + len;
}

/* Reads element i at s; returns where it ends, or NULL to decline. */
static const char *read_element(const char *s, const char *end, ferry_tensor *t, uint64_t i)
{
    double f;
    switch (t->dtype) {
    case FERRY_DTYPE_BOOL:
        return read_bool(s, end, t, i);
    case FERRY_DTYPE_FP32:
        if ((s = read_float(s, end, &f)) != NULL)
            ((float *)t->data)[i] = (float)f;
        return s;
    case FERRY_DTYPE_FP64:
        if ((s = read_float(s, end, &f)) != NULL)
            ((double *)t->data)[i] = f;
        return s;
    default:
        return read_int(s, end, t, i);
    }
}

/* Reads the array text [s, end) (flat or nested, flattened in row-major order as the general
 * decoder does) into exactly `count` elements of t. False on any syntax error or count mismatch. */
static bool read_elements(const char *s, const char *end, ferry_tensor *t, uint64_t count)
{
    enum { VALUE, VALUE_OR_CLOSE, SEPARATOR } expect = VALUE;
    uint64_t next = 0;
    int depth = 0;
    while (s < end) {
        char c = *s;
        if (is_ws(c)) {
            s++;
        } else if (expect != SEPARATOR && c == '[') {
            if (++depth > DATA_MAX_DEPTH)
                return false;
            expect = VALUE_OR_CLOSE;
            s++;
        } else if (expect != SEPARATOR && !(expect == VALUE_OR_CLOSE && c == ']')) {
            if (next == count || (s = read_element(s, end, t, next++)) == NULL)
                return false;
            expect = SEPARATOR;
        } else if (c == ',' && expect == SEPARATOR && depth > 0) {
            expect = VALUE;
            s++;
        } else if (c == ']') {
            s++;
            expect = SEPARATOR;
            if (--depth == 0)
                break;
        } else {
            return false;
        }
    }
    return depth == 0 && s == end && next == count;
}

/* ------------------------------------------------------------------------------------------ */
/* Decoding                                                                                     */
/* ------------------------------------------------------------------------------------------ */

static ferry_status decline(ferry_error *err, const char *why)
{
    return ferry_error_set(err, FERRY_UNSUPPORTED, "fast JSON path declined: %s", why);
}

/* The general decoder's hook: `data` is the index of a span; reads it into the tensor. */
static ferry_status decode_span(void *ctx, const json_t *data, ferry_tensor *t, arena *a,
                                ferry_error *err)
{
    fast_scan *fs = ctx;
    if (!json_is_integer(data) || json_integer_value(data) < 0 ||
        (size_t)json_integer_value(data) >= fs->n)
        return decline(err, "data is not a scanned array");
    data_span *span = &fs->spans[json_integer_value(data)];
    if (span->used)
        return decline(err, "data array used twice");
    span->used = true;
    size_t size = ferry_dtype_size(t->dtype);
    if (t->dtype == FERRY_DTYPE_BYTES || t->dtype == FERRY_DTYPE_FP16 ||
        t->dtype == FERRY_DTYPE_BF16 || size == 0)
        return decline(err, "datatype");
    uint64_t count;
    if (ferry_shape_elements(t->shape, t->ndim, OIP_MAX_ELEMENTS, &count, err) != FERRY_OK)
        return decline(err, "shape");
    size_t nbytes = (size_t)count * size;
    t->data = arena_alloc(a, nbytes ? nbytes : 1);
    if (t->data == NULL)
        return decline(err, "out of memory");
    t->nbytes = nbytes;
    if (!read_elements(fs->body + span->start, fs->body + span->end, t, count))
        return decline(err, "data");
    return FERRY_OK;
}

static bool all_spans_used(const fast_scan *fs)
{
    for (size_t k = 0; k < fs->n; k++)
        if (!fs->spans[k].used)
            return false;
    return true;
}

ferry_status oip_json_fast_decode(const char *body, size_t len, arena *a, oip_request *req)
{
    fast_scan fs = {.body = body, .len = len};
    memset(req, 0, sizeof *req);
    if (!find_data_arrays(&fs))
        return FERRY_UNSUPPORTED;
    arena_mark_t mark = arena_mark(a);
    size_t skeleton_len = 0;
    char *skeleton = build_skeleton(&fs, a, &skeleton_len);
    ferry_error err;
    ferry_status st = skeleton != NULL ? oip_decode_request_with(skeleton, skeleton_len,
                                                                 decode_span, &fs, a, req, &err)
                                       : FERRY_NO_MEMORY;
    if (st == FERRY_OK && all_spans_used(&fs))
        return FERRY_OK;
    oip_request_free(req);
    arena_rewind(a, mark);
    memset(req, 0, sizeof *req);
    return FERRY_UNSUPPORTED;
}
