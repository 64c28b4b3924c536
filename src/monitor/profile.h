/* A training-data profile: per column its type (numerical, categorical or boolean), missing share,
 * summary statistics or category counts, and a seeded reference sample of up to 10,000 rows that
 * drift is measured against. Built from a CSV (profile_build.c), stored as profile.json
 * (profile_json.c; the format is in docs/monitoring.md).
 *
 *   profile *p = NULL;
 *   profile_options o = {.label = "target"};
 *   if (profile_build("train.csv", &o, &p, &err) == FERRY_OK) {
 *       ferry_status st = profile_write(p, "profile.json", &err);
 *       profile_destroy(p);
 *   }
 */
#ifndef FERRY_MONITOR_PROFILE_H
#define FERRY_MONITOR_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/status.h"

#define PROFILE_SAMPLE_MAX     10000 /* rows kept in the reference sample */
#define PROFILE_CATEGORIES_MAX 1000  /* categories listed with counts; the rest are "other" */
#define PROFILE_TRACKED_MAX                                                                        \
    100000 /* distinct values counted per column; later new ones are "other" */
#define PROFILE_QUANTILES 7

/* The quantiles every numerical column lists: 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99. */
extern const double profile_quantile_levels[PROFILE_QUANTILES];

typedef enum profile_type {
    PROFILE_NUMERICAL,
    PROFILE_CATEGORICAL,
    PROFILE_BOOLEAN,
    PROFILE_TYPE_COUNT
} profile_type;

/* "numerical", "categorical", "boolean". */
const char *profile_type_name(profile_type t);

/* Parses a type name; false when it is none. */
bool profile_type_parse(const char *name, profile_type *t);

typedef struct profile_category {
    char *value;
    uint64_t count;
} profile_category;

typedef struct profile_column {
    char *name;
    profile_type type;
    bool label;       /* the label column: profiled, never a feature */
    uint64_t count;   /* values present in the whole data */
    uint64_t missing; /* values missing (empty, NA, NaN, nan) in the whole data */
    /* Numerical columns with count > 0: over the whole data (std with ddof 0)... */
    double min, max, mean, std;
    /* ...and over the sample's values (numpy's linear interpolation). */
    double quantiles[PROFILE_QUANTILES];
    /* Categorical and boolean columns: the most frequent categories first (ties by value), at most
     * PROFILE_CATEGORIES_MAX; `other` counts the values of categories not listed; `complete` says
     * every category is listed. Boolean categories are "false" and "true". */
    profile_category *categories;
    size_t n_categories;
    uint64_t other;
    bool complete;
    /* The sample, profile.sample_rows values in the order of the data: numbers (NaN = missing)
     * for a numerical column, else strings (NULL = missing; "true"/"false" when boolean). */
    double *numbers;
    char **strings;
} profile_column;

typedef struct profile {
    char *source;    /* the CSV's path as given */
    char sha256[65]; /* of the CSV */
    uint64_t rows;   /* data rows (header and blank lines excluded) */
    uint64_t seed;   /* of the sample */
    size_t sample_rows;
    profile_column *columns;
    size_t n_columns;
} profile;

/* What profile_build reads. Strings are borrowed. */
typedef struct profile_options {
    const char *label;              /* the label column, or NULL */
    const char *const *categorical; /* columns to treat as categorical whatever they hold */
    size_t n_categorical;
    uint64_t seed;     /* of the reservoir sample */
    size_t sample_max; /* 0: PROFILE_SAMPLE_MAX */
    /* When set, read the data as this profile's columns with their types (the current data of a
     * drift report): the CSV must have each of them (the label may be absent; other columns are
     * ignored) and a value that does not fit a column's type is an error. */
    const profile *schema;
} profile_options;

/* Profiles a CSV file (RFC 4180 with a header row). Types are inferred unless o->schema is set:
 * numerical when every present value is a finite decimal number, boolean when every one is true
 * or false (any case), else categorical. Missing values are empty, NA, NaN and nan. Fails with
 * NOT_FOUND or IO for the file, INVALID_ARG naming the file, line and column for malformed CSV,
 * a row with the wrong number of fields, a bad header, a value not valid UTF-8, an unknown label
 * or categorical column, or a value that does not fit the schema; NO_MEMORY. The caller frees
 * *out with profile_destroy. */
ferry_status profile_build(const char *csv_path, const profile_options *o, profile **out,
                           ferry_error *err) FERRY_MUST_CHECK;

/* Frees a profile. Accepts NULL. */
void profile_destroy(profile *p);

/* The index of the column named `name`, or -1. */
int64_t profile_find_column(const profile *p, const char *name);

/* The label column's name, or NULL. */
const char *profile_label(const profile *p);

/* profile.json's text (see docs/monitoring.md), malloc'ed and NUL-terminated, its length in *len
 * (may be NULL); NULL when out of memory. */
char *profile_to_text(const profile *p, size_t *len);

/* Writes profile_to_text to path atomically. */
ferry_status profile_write(const profile *p, const char *path, ferry_error *err) FERRY_MUST_CHECK;

/* Reads a profile.json. Fails with NOT_FOUND or IO for the file, INVALID_ARG naming the file and
 * what is wrong (the column, the field) for anything that is not a valid profile; NO_MEMORY. */
ferry_status profile_read(const char *path, profile **out, ferry_error *err) FERRY_MUST_CHECK;

/* ---- building blocks: profile_build.c, profile_json.c; request validation parses values the
 * same way ---- */

/* A profile with n_columns zeroed columns (no sample arrays yet); NULL when out of memory. */
profile *profile_alloc(size_t n_columns);

/* Allocates column c's sample arrays for p->sample_rows values by its type (all missing). */
bool profile_alloc_sample(profile *p, profile_column *c);

/* True for the text of a missing value: "", "NA", "NaN", "nan". */
bool profile_is_missing(const char *s);

/* Parses a finite decimal number (surrounding spaces allowed; no hex, inf or nan). */
bool profile_parse_number(const char *s, double *out);

/* Parses true/false in any case into *out. */
bool profile_parse_bool(const char *s, bool *out);

#endif
