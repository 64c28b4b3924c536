/* The profile's types, lifetime and value parsing, shared by profile_build.c and profile_json.c;
 * see profile.h. */
#include "monitor/profile.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const double profile_quantile_levels[PROFILE_QUANTILES] = {0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99};

static const char *const type_names[] = {
    [PROFILE_NUMERICAL] = "numerical",
    [PROFILE_CATEGORICAL] = "categorical",
    [PROFILE_BOOLEAN] = "boolean",
};
_Static_assert(sizeof type_names / sizeof type_names[0] == PROFILE_TYPE_COUNT,
               "every type has a name");

const char *profile_type_name(profile_type t)
{
    return (unsigned)t < PROFILE_TYPE_COUNT ? type_names[t] : "unknown";
}

bool profile_type_parse(const char *name, profile_type *t)
{
    for (int i = 0; i < PROFILE_TYPE_COUNT; i++)
        if (strcmp(name, type_names[i]) == 0) {
            *t = (profile_type)i;
            return true;
        }
    return false;
}

profile *profile_alloc(size_t n_columns)
{
    profile *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->columns = calloc(n_columns ? n_columns : 1, sizeof *p->columns);
    if (p->columns == NULL) {
        free(p);
        return NULL;
    }
    p->n_columns = n_columns;
    return p;
}

bool profile_alloc_sample(profile *p, profile_column *c)
{
    size_t n = p->sample_rows ? p->sample_rows : 1;
    if (c->type == PROFILE_NUMERICAL) {
        c->numbers = malloc(n * sizeof *c->numbers);
        for (size_t i = 0; c->numbers != NULL && i < n; i++)
            c->numbers[i] = NAN;
        return c->numbers != NULL;
    }
    c->strings = calloc(n, sizeof *c->strings);
    return c->strings != NULL;
}

static void column_free(const profile *p, profile_column *c)
{
    free(c->name);
    for (size_t i = 0; i < c->n_categories; i++)
        free(c->categories[i].value);
    free(c->categories);
    free(c->numbers);
    for (size_t i = 0; c->strings != NULL && i < p->sample_rows; i++)
        free(c->strings[i]);
    free(c->strings);
}

void profile_destroy(profile *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n_columns; i++)
        column_free(p, &p->columns[i]);
    free(p->columns);
    free(p->source);
    free(p);
}

int64_t profile_find_column(const profile *p, const char *name)
{
    for (size_t i = 0; i < p->n_columns; i++)
        if (strcmp(p->columns[i].name, name) == 0)
            return (int64_t)i;
    return -1;
}

const char *profile_label(const profile *p)
{
    for (size_t i = 0; i < p->n_columns; i++)
        if (p->columns[i].label)
            return p->columns[i].name;
    return NULL;
}

bool profile_is_missing(const char *s)
{
    return s[0] == '\0' || strcmp(s, "NA") == 0 || strcmp(s, "NaN") == 0 || strcmp(s, "nan") == 0;
}

bool profile_parse_number(const char *s, double *out)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len == 0 || strspn(s, "0123456789+-.eE") < len)
        return false;
    char *end = NULL;
    double v = strtod(s, &end); /* stops at the trailing spaces, if any */
    if (end != s + len || !isfinite(v))
        return false;
    *out = v;
    return true;
}

bool profile_parse_bool(const char *s, bool *out)
{
    if (strcasecmp(s, "true") == 0)
        *out = true;
    else if (strcasecmp(s, "false") == 0)
        *out = false;
    else
        return false;
    return true;
}
