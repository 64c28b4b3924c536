/* Building a profile from a CSV file; see profile.h. Without a schema the file is read twice:
 * once to infer each column's type, once for the statistics, category counts and the reservoir
 * sample, so that memory stays bounded by the sample and the category dictionaries whatever the
 * file's size. With a schema (the current data of a drift report) one pass does both. */
#include "monitor/profile.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv.h"
#include "core/hash.h"
#include "core/sort_doubles.h"
#include "core/strmap.h"
#include "core/utf8.h"
#include "monitor/reservoir.h"
#include "monitor/stats/moments.h"

typedef struct column_acc {
    size_t field; /* the column's index in a record */
    bool numeric_ok, bool_ok;
    stats_running run;
    strmap *categories;
    uint64_t *counts; /* of each category in `categories` */
    size_t counts_cap;
    uint64_t overflow; /* values of categories past PROFILE_TRACKED_MAX */
} column_acc;

typedef struct builder {
    const char *path;
    const profile_options *o;
    profile *p;
    column_acc *acc;
    size_t n_fields; /* in the header, so in every record */
    reservoir sample;
    uint64_t *slot_row; /* the data row held in each sample slot */
    uint64_t line;      /* of the record being read */
} builder;

static ferry_status no_memory(const builder *b, ferry_error *err)
{
    return ferry_error_set(err, FERRY_NO_MEMORY, "%s: out of memory profiling", b->path);
}

/* ---- records ---------------------------------------------------------------------------- */

/* The next data record (blank lines skipped); *n is 0 at the end. A record whose field count is
 * not the header's is an error naming its line. */
static ferry_status next_record(builder *b, csv_reader *csv, char ***fields, size_t *n,
                                ferry_error *err)
{
    for (;;) {
        ferry_status st = csv_next(csv, fields, n, err);
        if (st != FERRY_OK || *n == 0)
            return st;
        b->line = csv_line(csv);
        if (*n == 1 && (*fields)[0][0] == '\0')
            continue;
        if (*n != b->n_fields)
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "%s: line %llu: %zu fields, but the header has %zu", b->path,
                                   (unsigned long long)b->line, *n, b->n_fields);
        return FERRY_OK;
    }
}

/* Reads the header into a map from column names to their positions. */
static ferry_status read_header(builder *b, csv_reader *csv, strmap *names, ferry_error *err)
{
    char **fields = NULL;
    size_t n = 0;
    ferry_status st = csv_next(csv, &fields, &n, err);
    if (st != FERRY_OK)
        return st;
    if (n == 0)
        return ferry_error_set(err, FERRY_INVALID_ARG, "%s: empty file (no header row)", b->path);
    b->n_fields = n;
    for (size_t i = 0; i < n; i++) {
        bool inserted = false;
        size_t index = 0;
        if (fields[i][0] == '\0' || !utf8_valid(fields[i], strlen(fields[i])))
            return ferry_error_set(err, FERRY_INVALID_ARG, "%s: line 1: column %zu has %s name",
                                   b->path, i + 1, fields[i][0] ? "a non-UTF-8" : "no");
        if (strmap_intern(names, fields[i], &index, &inserted) != FERRY_OK)
            return no_memory(b, err);
        if (!inserted)
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "%s: line 1: column '%s' appears twice in the header", b->path,
                                   fields[i]);
    }
    return FERRY_OK;
}

/* ---- columns ---------------------------------------------------------------------------- */

static ferry_status add_column(builder *b, size_t i, const char *name, size_t field,
                               ferry_error *err)
{
    b->p->columns[i].name = strdup(name);
    b->acc[i] = (column_acc){.field = field, .numeric_ok = true, .bool_ok = true};
    b->acc[i].categories = strmap_create();
    if (b->p->columns[i].name == NULL || b->acc[i].categories == NULL)
        return no_memory(b, err);
    return FERRY_OK;
}

static ferry_status alloc_columns(builder *b, size_t n, ferry_error *err)
{
    b->p = profile_alloc(n);
    b->acc = calloc(n ? n : 1, sizeof *b->acc);
    return b->p == NULL || b->acc == NULL ? no_memory(b, err) : FERRY_OK;
}

/* Every column of the header, in order; checks the label and categorical names exist. */
static ferry_status columns_from_header(builder *b, const strmap *names, ferry_error *err)
{
    const profile_options *o = b->o;
    if (o->label != NULL && strmap_find(names, o->label) < 0)
        return ferry_error_set(err, FERRY_INVALID_ARG, "%s: --label: no column '%s'", b->path,
                               o->label);
    for (size_t i = 0; i < o->n_categorical; i++)
        if (strmap_find(names, o->categorical[i]) < 0)
            return ferry_error_set(err, FERRY_INVALID_ARG, "%s: --categorical: no column '%s'",
                                   b->path, o->categorical[i]);
    ferry_status st = alloc_columns(b, strmap_size(names), err);
    for (size_t i = 0; st == FERRY_OK && i < strmap_size(names); i++) {
        st = add_column(b, i, strmap_key(names, i), i, err);
        b->p->columns[i].label = o->label != NULL && strcmp(o->label, strmap_key(names, i)) == 0;
    }
    return st;
}

/* The schema's columns with their types; a column the data lacks is an error, except the label. */
static ferry_status columns_from_schema(builder *b, const strmap *names, ferry_error *err)
{
    const profile *s = b->o->schema;
    size_t n = 0;
    for (size_t i = 0; i < s->n_columns; i++) {
        if (strmap_find(names, s->columns[i].name) >= 0)
            n++;
        else if (!s->columns[i].label)
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "%s: no column '%s' (the reference has it)", b->path,
                                   s->columns[i].name);
    }
    ferry_status st = alloc_columns(b, n, err);
    for (size_t i = 0, j = 0; st == FERRY_OK && i < s->n_columns; i++) {
        int64_t field = strmap_find(names, s->columns[i].name);
        if (field < 0)
            continue;
        st = add_column(b, j, s->columns[i].name, (size_t)field, err);
        b->p->columns[j].type = s->columns[i].type;
        b->p->columns[j++].label = s->columns[i].label;
    }
    return st;
}

/* ---- pass 1: types ---------------------------------------------------------------------- */

static bool is_forced_categorical(const profile_options *o, const char *name)
{
    for (size_t i = 0; i < o->n_categorical; i++)
        if (strcmp(o->categorical[i], name) == 0)
            return true;
    return false;
}

static ferry_status infer_types(builder *b, csv_reader *csv, ferry_error *err)
{
    char **fields = NULL;
    size_t n = 0;
    ferry_status st;
    while ((st = next_record(b, csv, &fields, &n, err)) == FERRY_OK && n > 0) {
        for (size_t i = 0; i < b->p->n_columns; i++) {
            column_acc *a = &b->acc[i];
            const char *v = fields[a->field];
            double x;
            bool flag;
            if (profile_is_missing(v))
                continue;
            a->numeric_ok = a->numeric_ok && profile_parse_number(v, &x);
            a->bool_ok = a->bool_ok && profile_parse_bool(v, &flag);
        }
    }
    for (size_t i = 0; st == FERRY_OK && i < b->p->n_columns; i++) {
        profile_column *c = &b->p->columns[i];
        c->type = is_forced_categorical(b->o, c->name) ? PROFILE_CATEGORICAL
                  : b->acc[i].numeric_ok               ? PROFILE_NUMERICAL
                  : b->acc[i].bool_ok                  ? PROFILE_BOOLEAN
                                                       : PROFILE_CATEGORICAL;
    }
    return st;
}

/* ---- pass 2: statistics and the sample -------------------------------------------------- */

static ferry_status count_category(builder *b, column_acc *a, const char *v, ferry_error *err)
{
    int64_t found = strmap_find(a->categories, v);
    size_t index = (size_t)found;
    if (found < 0 && strmap_size(a->categories) >= PROFILE_TRACKED_MAX) {
        a->overflow++;
        return FERRY_OK;
    }
    if (found < 0 && strmap_intern(a->categories, v, &index, NULL) != FERRY_OK)
        return no_memory(b, err);
    if (index >= a->counts_cap) {
        size_t cap = a->counts_cap ? a->counts_cap * 2 : 16;
        uint64_t *grown = realloc(a->counts, cap * sizeof *grown);
        if (grown == NULL)
            return no_memory(b, err);
        memset(grown + a->counts_cap, 0, (cap - a->counts_cap) * sizeof *grown);
        a->counts = grown;
        a->counts_cap = cap;
    }
    a->counts[index]++;
    return FERRY_OK;
}

static ferry_status misfit(const builder *b, const profile_column *c, const char *v,
                           const char *what, ferry_error *err)
{
    char why[64];
    if (b->o->schema)
        snprintf(why, sizeof why, "the reference's column is %s", profile_type_name(c->type));
    else
        snprintf(why, sizeof why, "did the file change while it was read?");
    return ferry_error_set(
        err, FERRY_INVALID_ARG, "%s: line %llu, column '%s': '%.40s%s' is not %s (%s)", b->path,
        (unsigned long long)b->line, c->name, v, strlen(v) > 40 ? "..." : "", what, why);
}

/* Stores v (copied; NULL for missing) as the sample's value in slot, if any. */
static ferry_status sample_string(builder *b, profile_column *c, int64_t slot, const char *v,
                                  ferry_error *err)
{
    if (slot < 0)
        return FERRY_OK;
    free(c->strings[slot]);
    c->strings[slot] = NULL;
    if (v != NULL && (c->strings[slot] = strdup(v)) == NULL)
        return no_memory(b, err);
    return FERRY_OK;
}

static ferry_status add_value(builder *b, size_t i, const char *v, int64_t slot, ferry_error *err)
{
    profile_column *c = &b->p->columns[i];
    column_acc *a = &b->acc[i];
    double x = NAN;
    bool flag = false;
    if (profile_is_missing(v)) {
        c->missing++;
        if (c->type == PROFILE_NUMERICAL && slot >= 0)
            c->numbers[slot] = NAN;
        return c->type == PROFILE_NUMERICAL ? FERRY_OK : sample_string(b, c, slot, NULL, err);
    }
    c->count++;
    switch (c->type) {
    case PROFILE_NUMERICAL:
        if (!profile_parse_number(v, &x))
            return misfit(b, c, v, "a number", err);
        stats_running_add(&a->run, x);
        if (slot >= 0)
            c->numbers[slot] = x;
        return FERRY_OK;
    case PROFILE_BOOLEAN:
        if (!profile_parse_bool(v, &flag))
            return misfit(b, c, v, "true or false", err);
        v = flag ? "true" : "false";
        break;
    default:
        if (!utf8_valid(v, strlen(v)))
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "%s: line %llu, column '%s': the value is not valid UTF-8",
                                   b->path, (unsigned long long)b->line, c->name);
    }
    ferry_status st = count_category(b, a, v, err);
    return st == FERRY_OK ? sample_string(b, c, slot, v, err) : st;
}

/* Grows every sample array (and slot_row) to hold slot: they start small and double while the
 * reservoir fills, so a short file with many columns does not hold 10,000 values per column.
 * p->sample_rows is the arrays' size until finish() sets the rows kept. */
static ferry_status grow_sample(builder *b, size_t slot, ferry_error *err)
{
    profile *p = b->p;
    size_t cap = p->sample_rows ? p->sample_rows * 2 : 256;
    cap = cap < b->sample.capacity ? cap : b->sample.capacity;
    if (slot < p->sample_rows)
        return FERRY_OK;
    uint64_t *rows = realloc(b->slot_row, cap * sizeof *rows);
    if (rows == NULL)
        return no_memory(b, err);
    b->slot_row = rows;
    for (size_t i = 0; i < p->n_columns; i++) {
        profile_column *c = &p->columns[i];
        if (c->type == PROFILE_NUMERICAL) {
            double *grown = realloc(c->numbers, cap * sizeof *grown);
            if (grown == NULL)
                return no_memory(b, err);
            c->numbers = grown;
        } else {
            char **grown = realloc(c->strings, cap * sizeof *grown);
            if (grown == NULL)
                return no_memory(b, err);
            memset(grown + p->sample_rows, 0, (cap - p->sample_rows) * sizeof *grown);
            c->strings = grown;
        }
    }
    p->sample_rows = cap;
    return FERRY_OK;
}

static ferry_status read_values(builder *b, csv_reader *csv, ferry_error *err)
{
    char **fields = NULL;
    size_t n = 0;
    ferry_status st;
    while ((st = next_record(b, csv, &fields, &n, err)) == FERRY_OK && n > 0) {
        int64_t slot = reservoir_offer(&b->sample);
        if (slot >= 0 && (st = grow_sample(b, (size_t)slot, err)) != FERRY_OK)
            return st;
        if (slot >= 0)
            b->slot_row[slot] = b->p->rows;
        b->p->rows++;
        for (size_t i = 0; st == FERRY_OK && i < b->p->n_columns; i++)
            st = add_value(b, i, fields[b->acc[i].field], slot, err);
        if (st != FERRY_OK)
            return st;
    }
    return st;
}

/* ---- finishing -------------------------------------------------------------------------- */

static int compare_categories(const void *x, const void *y)
{
    const profile_category *a = x, *b = y;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return strcmp(a->value, b->value);
}

/* The most frequent categories, with copies of their values. */
static ferry_status finish_categories(builder *b, profile_column *c, const column_acc *a,
                                      ferry_error *err)
{
    size_t n = strmap_size(a->categories);
    profile_category *all = malloc((n ? n : 1) * sizeof *all);
    if (all == NULL)
        return no_memory(b, err);
    for (size_t i = 0; i < n; i++)
        all[i] = (profile_category){(char *)strmap_key(a->categories, i), a->counts[i]};
    qsort(all, n, sizeof *all, compare_categories);
    size_t keep = n < PROFILE_CATEGORIES_MAX ? n : PROFILE_CATEGORIES_MAX;
    c->categories = calloc(keep ? keep : 1, sizeof *c->categories);
    ferry_status st = c->categories == NULL ? no_memory(b, err) : FERRY_OK;
    uint64_t listed = 0;
    for (size_t i = 0; st == FERRY_OK && i < keep; i++) {
        c->categories[i].count = all[i].count;
        c->categories[i].value = strdup(all[i].value);
        c->n_categories++;
        listed += all[i].count;
        st = c->categories[i].value == NULL ? no_memory(b, err) : FERRY_OK;
    }
    c->other = c->count - listed;
    c->complete = a->overflow == 0 && n <= PROFILE_CATEGORIES_MAX;
    free(all);
    return st;
}

/* numpy.quantile's linear interpolation on sorted x[0..n), n > 0. */
static double quantile_sorted(const double *x, size_t n, double q)
{
    double pos = q * (double)(n - 1);
    size_t lo = (size_t)floor(pos);
    if (lo + 1 >= n)
        return x[n - 1];
    double t = pos - (double)lo, a = x[lo], d = x[lo + 1] - a;
    return t >= 0.5 ? x[lo + 1] - d * (1.0 - t) : a + d * t;
}

static ferry_status finish_numbers(builder *b, profile_column *c, const column_acc *a,
                                   ferry_error *err)
{
    c->min = a->run.min;
    c->max = a->run.max;
    c->mean = a->run.mean;
    c->std = stats_running_std(&a->run);
    double *sorted = malloc((b->p->sample_rows ? b->p->sample_rows : 1) * sizeof *sorted);
    if (sorted == NULL)
        return no_memory(b, err);
    size_t n = 0;
    for (size_t i = 0; i < b->p->sample_rows; i++)
        if (!isnan(c->numbers[i]))
            sorted[n++] = c->numbers[i];
    sort_doubles(sorted, n);
    for (size_t q = 0; q < PROFILE_QUANTILES; q++)
        c->quantiles[q] = n ? quantile_sorted(sorted, n, profile_quantile_levels[q]) : NAN;
    free(sorted);
    return FERRY_OK;
}

typedef struct slot_order {
    uint64_t row;
    size_t slot;
} slot_order;

static int compare_slots(const void *x, const void *y)
{
    const slot_order *a = x, *b = y;
    return (a->row > b->row) - (a->row < b->row);
}

/* Puts the sample in the order of the data: a later row that replaced an earlier one sits in the
 * earlier one's slot. */
static ferry_status order_sample(builder *b, ferry_error *err)
{
    size_t n = b->p->sample_rows, alloc = n ? n : 1;
    if (n == 0)
        return FERRY_OK;
    slot_order *order = malloc(alloc * sizeof *order);
    double *numbers = malloc(alloc * sizeof *numbers);
    char **strings = malloc(alloc * sizeof *strings);
    ferry_status st = FERRY_OK;
    if (order == NULL || numbers == NULL || strings == NULL)
        st = no_memory(b, err);
    for (size_t i = 0; st == FERRY_OK && i < n; i++)
        order[i] = (slot_order){b->slot_row[i], i};
    if (st == FERRY_OK)
        qsort(order, n, sizeof *order, compare_slots);
    for (size_t c = 0; st == FERRY_OK && c < b->p->n_columns; c++) {
        profile_column *col = &b->p->columns[c];
        for (size_t i = 0; i < n; i++) {
            if (col->numbers)
                numbers[i] = col->numbers[order[i].slot];
            else
                strings[i] = col->strings[order[i].slot];
        }
        if (col->numbers)
            memcpy(col->numbers, numbers, n * sizeof *numbers);
        else
            memcpy(col->strings, strings, n * sizeof *strings);
    }
    free(order);
    free(numbers);
    free(strings);
    return st;
}

static ferry_status finish(builder *b, ferry_error *err)
{
    b->p->sample_rows = reservoir_size(&b->sample);
    ferry_status st = order_sample(b, err);
    for (size_t i = 0; st == FERRY_OK && i < b->p->n_columns; i++) {
        profile_column *c = &b->p->columns[i];
        st = c->type == PROFILE_NUMERICAL ? finish_numbers(b, c, &b->acc[i], err)
                                          : finish_categories(b, c, &b->acc[i], err);
    }
    return st;
}

/* ---- the passes ------------------------------------------------------------------------- */

/* Opens the file and reads its header; on the first pass also sets up the columns. */
static ferry_status open_pass(builder *b, bool first, csv_reader **csv, ferry_error *err)
{
    strmap *names = strmap_create();
    if (names == NULL)
        return no_memory(b, err);
    ferry_status st = csv_open(b->path, csv, err);
    if (st == FERRY_OK)
        st = read_header(b, *csv, names, err);
    if (st == FERRY_OK && first)
        st = b->o->schema ? columns_from_schema(b, names, err) : columns_from_header(b, names, err);
    strmap_destroy(names);
    return st;
}

static void start_sample(builder *b)
{
    size_t max = b->o->sample_max;
    max = max == 0 || max > PROFILE_SAMPLE_MAX ? PROFILE_SAMPLE_MAX : max;
    reservoir_init(&b->sample, max, b->o->seed);
    b->p->seed = b->o->seed;
    b->p->sample_rows = 0; /* grow_sample allocates */
}

static ferry_status run_passes(builder *b, ferry_error *err)
{
    csv_reader *csv = NULL;
    ferry_status st = open_pass(b, true, &csv, err);
    if (st == FERRY_OK && b->o->schema == NULL) {
        st = infer_types(b, csv, err);
        csv_close(csv);
        csv = NULL;
        if (st == FERRY_OK)
            st = open_pass(b, false, &csv, err);
    }
    if (st == FERRY_OK) {
        start_sample(b);
        st = read_values(b, csv, err);
    }
    csv_close(csv);
    return st == FERRY_OK ? finish(b, err) : st;
}

ferry_status profile_build(const char *csv_path, const profile_options *o, profile **out,
                           ferry_error *err)
{
    builder b = {.path = csv_path, .o = o};
    char sha[HASH_SHA256_HEX_LEN + 1];
    ferry_status st = hash_file_sha256(csv_path, sha, NULL, err);
    if (st == FERRY_OK)
        st = run_passes(&b, err);
    if (st == FERRY_OK) {
        memcpy(b.p->sha256, sha, sizeof sha);
        b.p->source = strdup(csv_path);
        st = b.p->source == NULL ? no_memory(&b, err) : FERRY_OK;
    }
    for (size_t i = 0; b.acc != NULL && b.p != NULL && i < b.p->n_columns; i++) {
        strmap_destroy(b.acc[i].categories);
        free(b.acc[i].counts);
    }
    free(b.acc);
    free(b.slot_row);
    if (st != FERRY_OK) {
        profile_destroy(b.p);
        return st;
    }
    *out = b.p;
    return FERRY_OK;
}
