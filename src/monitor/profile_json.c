/* profile.json: writing a profile and reading it back, checking every field; see profile.h and
 * docs/monitoring.md. The file is one JSON object written by hand; each column sits on a line of
 * its own, so the head stays readable and a diff shows which column changed. Numbers are written
 * with the fewest digits that read back as the same double, so a profile read back holds exactly
 * the values it was built with. Reading uses jansson. */
#include "monitor/profile.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/buffer.h"
#include "core/fsutil.h"
#include "core/json_escape.h"

#define PROFILE_FORMAT   1
#define PROFILE_JSON_MAX ((size_t)1 << 32)

/* ---- writing ---------------------------------------------------------------------------- */

typedef struct writer {
    buffer b;
    bool ok;
} writer;

static void put(writer *w, const char *text)
{
    w->ok = w->ok && buffer_append_str(&w->b, text) == FERRY_OK;
}

/* The shortest of %.15g, %.16g, %.17g that reads back as v ("5.1", not "5.0999999999999996");
 * null for NaN. */
static void put_number(writer *w, double v)
{
    char text[40];
    if (isnan(v)) {
        put(w, "null");
        return;
    }
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(text, sizeof text, "%.*g", digits, v);
        if (strtod(text, NULL) == v)
            break;
    }
    put(w, text);
}

static void put_uint(writer *w, uint64_t v)
{
    w->ok = w->ok && buffer_printf(&w->b, "%llu", (unsigned long long)v) == FERRY_OK;
}

static void put_string(writer *w, const char *s)
{
    if (s == NULL) {
        put(w, "null");
        return;
    }
    size_t len = strlen(s), escaped = json_escaped_length(s, len);
    w->ok = w->ok && buffer_reserve(&w->b, escaped + 2) == FERRY_OK;
    if (!w->ok)
        return;
    w->b.data[w->b.len++] = '"';
    w->b.len += json_escape(w->b.data + w->b.len, escaped, s, len);
    w->b.data[w->b.len++] = '"';
    w->b.data[w->b.len] = '\0';
}

/* `, "key": ` before a value. */
static void put_key(writer *w, const char *key)
{
    put(w, ", \"");
    put(w, key);
    put(w, "\": ");
}

static void put_numerical(writer *w, const profile_column *c)
{
    static const char *const keys[] = {"min", "max", "mean", "std"};
    const double values[] = {c->min, c->max, c->mean, c->std};
    for (size_t i = 0; i < 4; i++) {
        put_key(w, keys[i]);
        put_number(w, c->count ? values[i] : NAN);
    }
    put_key(w, "quantiles");
    for (size_t i = 0; i < PROFILE_QUANTILES; i++) {
        char key[24];
        snprintf(key, sizeof key, "%s\"%g\": ", i ? ", " : "{", profile_quantile_levels[i]);
        put(w, key);
        put_number(w, c->quantiles[i]);
    }
    put(w, "}");
}

static void put_categorical(writer *w, const profile_column *c)
{
    put_key(w, "categories");
    put(w, "[");
    for (size_t i = 0; i < c->n_categories; i++) {
        put(w, i ? ", {\"value\": " : "{\"value\": ");
        put_string(w, c->categories[i].value);
        put_key(w, "count");
        put_uint(w, c->categories[i].count);
        put(w, "}");
    }
    put(w, "]");
    put_key(w, "other");
    put_uint(w, c->other);
    put_key(w, "complete");
    put(w, c->complete ? "true" : "false");
}

static void put_sample(writer *w, const profile *p, const profile_column *c)
{
    put_key(w, "sample");
    put(w, "[");
    for (size_t i = 0; i < p->sample_rows; i++) {
        if (i)
            put(w, ", ");
        if (c->type == PROFILE_NUMERICAL)
            put_number(w, c->numbers[i]);
        else if (c->type == PROFILE_BOOLEAN && c->strings[i] != NULL)
            put(w, c->strings[i]); /* true, false */
        else
            put_string(w, c->strings[i]);
    }
    put(w, "]");
}

static void put_column(writer *w, const profile *p, const profile_column *c)
{
    uint64_t total = c->count + c->missing;
    put(w, "{\"name\": ");
    put_string(w, c->name);
    put_key(w, "type");
    put_string(w, profile_type_name(c->type));
    put_key(w, "role");
    put_string(w, c->label ? "label" : "feature");
    put_key(w, "count");
    put_uint(w, c->count);
    put_key(w, "missing");
    put_uint(w, c->missing);
    put_key(w, "missing_share");
    put_number(w, total ? (double)c->missing / (double)total : 0.0);
    if (c->type == PROFILE_NUMERICAL)
        put_numerical(w, c);
    else
        put_categorical(w, c);
    put_sample(w, p, c);
    put(w, "}");
}

char *profile_to_text(const profile *p, size_t *len)
{
    writer w = {.ok = true};
    buffer_init(&w.b, PROFILE_JSON_MAX);
    w.ok = buffer_printf(&w.b, "{\n  \"ferry_profile\": %d,\n  \"source\": {\"path\": ",
                         PROFILE_FORMAT) == FERRY_OK;
    put_string(&w, p->source);
    put_key(&w, "sha256");
    put_string(&w, p->sha256);
    put_key(&w, "rows");
    put_uint(&w, p->rows);
    put(&w, "},\n  \"label\": ");
    put_string(&w, profile_label(p));
    put(&w, ",\n  \"sample\": {\"rows\": ");
    put_uint(&w, p->sample_rows);
    put_key(&w, "seed");
    put_uint(&w, p->seed);
    put(&w, "},\n  \"columns\": [");
    for (size_t i = 0; i < p->n_columns; i++) {
        put(&w, i ? ",\n    " : "\n    ");
        put_column(&w, p, &p->columns[i]);
    }
    put(&w, "\n  ]\n}\n");
    if (!w.ok) {
        buffer_free(&w.b);
        return NULL;
    }
    return buffer_take(&w.b, len);
}

ferry_status profile_write(const profile *p, const char *path, ferry_error *err)
{
    size_t len = 0;
    char *text = profile_to_text(p, &len);
    if (text == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "%s: out of memory writing the profile", path);
    ferry_status st = fs_write_atomic(path, text, len, err);
    free(text);
    return st;
}

/* ---- reading ---------------------------------------------------------------------------- */

#define PROFILE_READ_SAMPLE_MAX 1000000

typedef struct reader {
    const char *path;
    ferry_error *err;
    const char *where; /* "column 'age'" or "the profile" */
} reader;

static ferry_status bad(const reader *r, const char *fmt, const char *key)
{
    char what[160];
    snprintf(what, sizeof what, fmt, key);
    return ferry_error_set(r->err, FERRY_INVALID_ARG, "%s: not a ferry profile: %s: %s", r->path,
                           r->where, what);
}

static ferry_status get_uint(const reader *r, json_t *o, const char *key, uint64_t *out)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return bad(r, "\"%s\" must be a whole number >= 0", key);
    *out = (uint64_t)json_integer_value(v);
    return FERRY_OK;
}

/* A number, or null (NaN) when allow_null. */
static ferry_status get_number(const reader *r, json_t *o, const char *key, bool allow_null,
                               double *out)
{
    json_t *v = json_object_get(o, key);
    if (allow_null && json_is_null(v)) {
        *out = NAN;
        return FERRY_OK;
    }
    if (!json_is_number(v))
        return bad(r, allow_null ? "\"%s\" must be a number or null" : "\"%s\" must be a number",
                   key);
    *out = json_number_value(v);
    return FERRY_OK;
}

static ferry_status get_string(const reader *r, json_t *o, const char *key, char **out)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        return bad(r, "\"%s\" must be a string", key);
    *out = strdup(json_string_value(v));
    return *out ? FERRY_OK : ferry_error_set(r->err, FERRY_NO_MEMORY, "%s: out of memory", r->path);
}

static ferry_status read_numerical(const reader *r, json_t *o, profile_column *c)
{
    bool none = c->count == 0;
    ferry_status st = get_number(r, o, "min", none, &c->min);
    if (st == FERRY_OK)
        st = get_number(r, o, "max", none, &c->max);
    if (st == FERRY_OK)
        st = get_number(r, o, "mean", none, &c->mean);
    if (st == FERRY_OK)
        st = get_number(r, o, "std", none, &c->std);
    json_t *q = json_object_get(o, "quantiles");
    if (st == FERRY_OK && !json_is_object(q))
        st = bad(r, "\"%s\" must be an object", "quantiles");
    for (size_t i = 0; st == FERRY_OK && i < PROFILE_QUANTILES; i++) {
        char key[16];
        snprintf(key, sizeof key, "%g", profile_quantile_levels[i]);
        json_t *v = json_object_get(q, key);
        if (!json_is_number(v) && !json_is_null(v))
            st = bad(r, "\"quantiles\" needs \"%s\": a number or null", key);
        c->quantiles[i] = json_is_number(v) ? json_number_value(v) : NAN;
    }
    return st;
}

static ferry_status read_categories(const reader *r, json_t *list, profile_column *c)
{
    if (!json_is_array(list))
        return bad(r, "\"%s\" must be a list", "categories");
    c->categories = calloc(json_array_size(list) + 1, sizeof *c->categories);
    if (c->categories == NULL)
        return ferry_error_set(r->err, FERRY_NO_MEMORY, "%s: out of memory", r->path);
    ferry_status st = FERRY_OK;
    for (size_t i = 0; st == FERRY_OK && i < json_array_size(list); i++) {
        json_t *item = json_array_get(list, i);
        st = get_string(r, item, "value", &c->categories[i].value);
        if (st == FERRY_OK) {
            c->n_categories++;
            st = get_uint(r, item, "count", &c->categories[i].count);
        }
    }
    return st;
}

static ferry_status read_categorical(const reader *r, json_t *o, profile_column *c)
{
    ferry_status st = read_categories(r, json_object_get(o, "categories"), c);
    if (st == FERRY_OK)
        st = get_uint(r, o, "other", &c->other);
    json_t *complete = json_object_get(o, "complete");
    if (st == FERRY_OK && !json_is_boolean(complete))
        st = bad(r, "\"%s\" must be true or false", "complete");
    c->complete = json_is_true(complete);
    return st;
}

/* One sample value of the column's type into slot i. */
static ferry_status read_sample_value(const reader *r, json_t *v, profile_column *c, size_t i)
{
    if (json_is_null(v))
        return FERRY_OK; /* already missing */
    if (c->type == PROFILE_NUMERICAL && json_is_number(v))
        c->numbers[i] = json_number_value(v);
    else if (c->type == PROFILE_BOOLEAN && json_is_boolean(v))
        c->strings[i] = strdup(json_is_true(v) ? "true" : "false");
    else if (c->type == PROFILE_CATEGORICAL && json_is_string(v))
        c->strings[i] = strdup(json_string_value(v));
    else
        return bad(r, "\"sample\" holds a value that is not %s or null",
                   c->type == PROFILE_NUMERICAL ? "a number"
                   : c->type == PROFILE_BOOLEAN ? "true, false"
                                                : "a string");
    if (c->type != PROFILE_NUMERICAL && c->strings[i] == NULL)
        return ferry_error_set(r->err, FERRY_NO_MEMORY, "%s: out of memory", r->path);
    return FERRY_OK;
}

static ferry_status read_sample(const reader *r, profile *p, json_t *list, profile_column *c)
{
    if (!json_is_array(list) || json_array_size(list) != p->sample_rows)
        return ferry_error_set(r->err, FERRY_INVALID_ARG,
                               "%s: not a ferry profile: %s: \"sample\" must be a list of %zu "
                               "values (sample.rows)",
                               r->path, r->where, p->sample_rows);
    if (!profile_alloc_sample(p, c))
        return ferry_error_set(r->err, FERRY_NO_MEMORY, "%s: out of memory", r->path);
    ferry_status st = FERRY_OK;
    for (size_t i = 0; st == FERRY_OK && i < p->sample_rows; i++)
        st = read_sample_value(r, json_array_get(list, i), c, i);
    return st;
}

static ferry_status read_column(reader *r, profile *p, json_t *o, size_t index)
{
    profile_column *c = &p->columns[index];
    char where[200];
    json_t *name = json_object_get(o, "name");
    snprintf(where, sizeof where, "columns[%zu]", index);
    r->where = where;
    if (!json_is_object(o) || !json_is_string(name) || json_string_length(name) == 0)
        return bad(r, "needs a \"%s\" (a non-empty string)", "name");
    snprintf(where, sizeof where, "column '%.150s'", json_string_value(name));
    for (size_t i = 0; i < index; i++)
        if (strcmp(p->columns[i].name, json_string_value(name)) == 0)
            return bad(r, "%s: the name appears twice", "name");
    json_t *type = json_object_get(o, "type"), *role = json_object_get(o, "role");
    if (!json_is_string(type) || !profile_type_parse(json_string_value(type), &c->type))
        return bad(r, "\"%s\" must be numerical, categorical or boolean", "type");
    if (!json_is_string(role) || (strcmp(json_string_value(role), "feature") != 0 &&
                                  strcmp(json_string_value(role), "label") != 0))
        return bad(r, "\"%s\" must be feature or label", "role");
    c->label = strcmp(json_string_value(role), "label") == 0;
    ferry_status st = get_string(r, o, "name", &c->name);
    if (st == FERRY_OK)
        st = get_uint(r, o, "count", &c->count);
    if (st == FERRY_OK)
        st = get_uint(r, o, "missing", &c->missing);
    if (st == FERRY_OK)
        st = c->type == PROFILE_NUMERICAL ? read_numerical(r, o, c) : read_categorical(r, o, c);
    return st == FERRY_OK ? read_sample(r, p, json_object_get(o, "sample"), c) : st;
}

/* ferry_profile, source, label and sample. */
static ferry_status read_head(reader *r, json_t *doc, profile *p)
{
    json_t *format = json_object_get(doc, "ferry_profile");
    if (!json_is_integer(format) || json_integer_value(format) != PROFILE_FORMAT)
        return bad(r, "\"%s\" must be 1", "ferry_profile");
    json_t *source = json_object_get(doc, "source"), *sample = json_object_get(doc, "sample");
    json_t *sha = json_object_get(source, "sha256");
    ferry_status st = get_string(r, source, "path", &p->source);
    if (st == FERRY_OK)
        st = get_uint(r, source, "rows", &p->rows);
    if (st == FERRY_OK && (!json_is_string(sha) || json_string_length(sha) >= sizeof p->sha256))
        st = bad(r, "source \"%s\" must be a SHA-256 in hex", "sha256");
    if (st == FERRY_OK)
        snprintf(p->sha256, sizeof p->sha256, "%s", json_string_value(sha));
    uint64_t rows = 0;
    if (st == FERRY_OK)
        st = get_uint(r, sample, "rows", &rows);
    if (st == FERRY_OK && rows > PROFILE_READ_SAMPLE_MAX)
        st = bad(r, "sample \"%s\" is too large", "rows");
    p->sample_rows = (size_t)rows;
    return st == FERRY_OK ? get_uint(r, sample, "seed", &p->seed) : st;
}

/* The top-level "label" must name the column whose role is label (or be null when none is). */
static ferry_status check_label(const reader *r, json_t *doc, const profile *p)
{
    json_t *label = json_object_get(doc, "label");
    const char *want = profile_label(p);
    if (json_is_null(label) && want == NULL)
        return FERRY_OK;
    if (json_is_string(label) && want != NULL && strcmp(json_string_value(label), want) == 0)
        return FERRY_OK;
    return bad(r, "\"%s\" must name the one column whose role is label, or be null", "label");
}

static ferry_status from_json(reader *r, json_t *doc, profile **out)
{
    json_t *columns = json_object_get(doc, "columns");
    if (!json_is_object(doc) || !json_is_array(columns))
        return bad(r, "needs %s", "\"columns\": [...]");
    profile *p = profile_alloc(json_array_size(columns));
    if (p == NULL)
        return ferry_error_set(r->err, FERRY_NO_MEMORY, "%s: out of memory", r->path);
    p->n_columns = 0; /* counts the columns read, so that destroy frees only those */
    ferry_status st = read_head(r, doc, p);
    for (size_t i = 0; st == FERRY_OK && i < json_array_size(columns); i++) {
        p->n_columns++;
        st = read_column(r, p, json_array_get(columns, i), i);
    }
    r->where = "the profile";
    if (st == FERRY_OK)
        st = check_label(r, doc, p);
    if (st != FERRY_OK) {
        profile_destroy(p);
        return st;
    }
    *out = p;
    return FERRY_OK;
}

ferry_status profile_read(const char *path, profile **out, ferry_error *err)
{
    char *text = NULL;
    size_t len = 0;
    ferry_status st = fs_read_file(path, &text, &len, err);
    if (st != FERRY_OK)
        return st;
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, 0, &jerr);
    free(text);
    if (doc == NULL)
        return ferry_error_set(err, FERRY_INVALID_ARG, "%s: line %d: not JSON: %s", path, jerr.line,
                               jerr.text);
    reader r = {.path = path, .err = err, .where = "the profile"};
    st = from_json(&r, doc, out);
    json_decref(doc);
    return st;
}
