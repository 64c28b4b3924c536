/* `ferry conformance PATH...`: runs ONNX's node tests (model.onnx plus input_K.pb and output_K.pb
 * in each test_data_set_N folder) through the ONNX engine and compares as ONNX's own runner does:
 * shapes exact, |actual - expected| <= 1e-7 + 1e-3 * |expected| for floats (NaN equals NaN,
 * infinities must match), integers, bools and strings exact. Prints PASS, FAIL or SKIP (an operator
 * or feature ferry does not run yet) per test, then `N passed, N failed, N skipped`; exits 0 only
 * when none failed. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/arena.h"
#include "onnx/model.h"
#include "onnx/pool.h"
#include "onnx/session.h"
#include "onnx/tensor_proto.h"

static const char conformance_help[] =
    "usage: ferry conformance [--threads N] PATH...\n"
    "\n"
    "Runs ONNX node tests with ferry's ONNX engine. PATH is one test folder (model.onnx and\n"
    "test_data_set_*/input_K.pb, output_K.pb) or a folder of test folders.\n"
    "Prints PASS name, FAIL name: reason or SKIP name: reason per test, then\n"
    "'N passed, N failed, N skipped'. Exit code 0 only when no test failed.\n"
    "  --threads N   run every step split over N threads, however small (default 1)\n";

#define CONF_RTOL        1e-3
#define CONF_ATOL        1e-7
#define CONF_MAX_TENSORS 64

typedef enum conf_result { CONF_PASS, CONF_FAIL, CONF_SKIP } conf_result;

typedef struct conf_counts {
    size_t passed, failed, skipped;
    int threads; /* --threads: every step split this many ways */
} conf_counts;

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The message without the leading "PATH: " the loader puts on it. */
static const char *strip_path(const char *message, const char *path)
{
    size_t len = strlen(path);
    if (strncmp(message, path, len) == 0 && strncmp(message + len, ": ", 2) == 0)
        return message + len + 2;
    return message;
}

/* ------------------------------------------------------------------------------------------ */
/* Comparison                                                                                   */
/* ------------------------------------------------------------------------------------------ */

static double element_as_double(const ferry_tensor *t, size_t i)
{
    switch (t->dtype) {
    case FERRY_DTYPE_FP32:
        return ((const float *)t->data)[i];
    case FERRY_DTYPE_FP64:
        return ((const double *)t->data)[i];
    default:
        return 0.0;
    }
}

static bool floats_close(double a, double e)
{
    if (isnan(e))
        return isnan(a);
    if (isinf(e))
        return a == e;
    return fabs(a - e) <= CONF_ATOL + CONF_RTOL * fabs(e);
}

/* Up to 48 bytes of a string for a message, control characters shown as '?'. */
static const char *printable(const unsigned char *s, uint32_t len, char *buf)
{
    uint32_t n = len < 48 ? len : 48;
    for (uint32_t i = 0; i < n; i++)
        buf[i] = s[i] < 0x20 || s[i] == 0x7f ? '?' : (char)s[i];
    buf[n] = '\0';
    return buf;
}

/* Compares string outputs (both in ferry's wire layout) element by element, exactly. */
static bool strings_match(const ferry_tensor *got, const ferry_tensor *want, size_t k, char *why,
                          size_t len)
{
    const unsigned char *a = got->data, *e = want->data;
    size_t at_a = 0, at_e = 0;
    for (size_t i = 0; at_e < want->nbytes; i++) {
        if (want->nbytes - at_e < 4 || got->nbytes - at_a < 4) {
            snprintf(why, len, "output %zu: string data is malformed", k);
            return false;
        }
        uint32_t la, le;
        memcpy(&la, a + at_a, 4); /* little-endian, as is every machine ferry builds on */
        memcpy(&le, e + at_e, 4);
        at_a += 4;
        at_e += 4;
        if (la > got->nbytes - at_a || le > want->nbytes - at_e) {
            snprintf(why, len, "output %zu: string data is malformed", k);
            return false;
        }
        if (la != le || memcmp(a + at_a, e + at_e, le) != 0) {
            char sa[49], se[49];
            snprintf(why, len, "output %zu element %zu: got \"%s\", expected \"%s\"", k, i,
                     printable(a + at_a, la, sa), printable(e + at_e, le, se));
            return false;
        }
        at_a += la;
        at_e += le;
    }
    if (at_a != got->nbytes) {
        snprintf(why, len, "output %zu: more string data than expected", k);
        return false;
    }
    return true;
}

/* Compares one output; on a mismatch writes why into `why`. */
static bool outputs_match(const ferry_tensor *got, const ferry_tensor *want, size_t k, char *why,
                          size_t len)
{
    bool same_shape = got->ndim == want->ndim;
    for (int d = 0; same_shape && d < got->ndim; d++)
        same_shape = got->shape[d] == want->shape[d];
    if (got->dtype != want->dtype || !same_shape) {
        snprintf(why, len,
                 "output %zu ('%s'): got %s of rank %d, expected %s of rank %d (or "
                 "another shape)",
                 k, want->name ? want->name : "", ferry_dtype_name(got->dtype), got->ndim,
                 ferry_dtype_name(want->dtype), want->ndim);
        return false;
    }
    if (want->dtype == FERRY_DTYPE_BYTES)
        return strings_match(got, want, k, why, len);
    bool floating = want->dtype == FERRY_DTYPE_FP32 || want->dtype == FERRY_DTYPE_FP64;
    size_t size = ferry_dtype_size(want->dtype);
    for (size_t i = 0; size > 0 && i < want->nbytes / size; i++) {
        bool ok = floating ? floats_close(element_as_double(got, i), element_as_double(want, i))
                           : memcmp((const char *)got->data + i * size,
                                    (const char *)want->data + i * size, size) == 0;
        if (!ok) {
            snprintf(why, len, "output %zu element %zu: got %.9g, expected %.9g", k, i,
                     element_as_double(got, i), element_as_double(want, i));
            if (!floating)
                snprintf(why, len, "output %zu element %zu differs", k, i);
            return false;
        }
    }
    return true;
}

/* ------------------------------------------------------------------------------------------ */
/* One data set                                                                                 */
/* ------------------------------------------------------------------------------------------ */

typedef struct conf_set {
    ferry_tensor inputs[CONF_MAX_TENSORS];
    size_t n_inputs;
    ferry_tensor expected[CONF_MAX_TENSORS];
    size_t n_expected;
} conf_set;

static void conf_set_free(conf_set *s)
{
    for (size_t i = 0; i < s->n_inputs; i++)
        ferry_tensor_release(&s->inputs[i]);
    for (size_t i = 0; i < s->n_expected; i++)
        ferry_tensor_release(&s->expected[i]);
}

/* Reads prefix_0.pb, prefix_1.pb, ... while they exist. */
static ferry_status read_tensors(const char *dir, const char *prefix, ferry_tensor *out, size_t *n,
                                 ferry_error *err)
{
    for (*n = 0; *n < CONF_MAX_TENSORS; (*n)++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s_%zu.pb", dir, prefix, *n);
        if (!is_file(path))
            return FERRY_OK;
        ferry_status st = onnx_tensor_read_file(path, &out[*n], err);
        if (st != FERRY_OK)
            return st;
    }
    return FERRY_OK;
}

static conf_result run_set(onnx_session *s, const onnx_model *m, const char *dir, char *why,
                           size_t len)
{
    conf_set set = {0};
    ferry_error err;
    ferry_status st = read_tensors(dir, "input", set.inputs, &set.n_inputs, &err);
    if (st == FERRY_OK)
        st = read_tensors(dir, "output", set.expected, &set.n_expected, &err);
    conf_result r = CONF_FAIL;
    arena a;
    arena_init(&a, (size_t)1 << 32);
    ferry_allocator alloc = arena_allocator(&a);
    ferry_tensor got[CONF_MAX_TENSORS];
    if (st != FERRY_OK)
        snprintf(why, len, "%s", err.message);
    else if (set.n_expected != m->n_outputs)
        snprintf(why, len, "%zu expected outputs for %zu model outputs", set.n_expected,
                 m->n_outputs);
    else if ((st = onnx_session_run(s, set.inputs, set.n_inputs, got, &alloc, &err)) != FERRY_OK)
        snprintf(why, len, "%s", err.message);
    else
        r = CONF_PASS;
    if (st == FERRY_UNSUPPORTED)
        r = CONF_SKIP;
    for (size_t k = 0; r == CONF_PASS && k < m->n_outputs; k++)
        if (!outputs_match(&got[k], &set.expected[k], k, why, len))
            r = CONF_FAIL;
    arena_free(&a);
    conf_set_free(&set);
    return r;
}

/* ------------------------------------------------------------------------------------------ */
/* Tests                                                                                        */
/* ------------------------------------------------------------------------------------------ */

static int only_data_sets(const struct dirent *e)
{
    return strncmp(e->d_name, "test_data_set_", 14) == 0;
}

static conf_result run_sets(const onnx_model *m, const char *dir, int threads, char *why,
                            size_t len)
{
    onnx_session *s = NULL;
    ferry_error err;
    if (onnx_session_create(m, &s, &err) != FERRY_OK ||
        (threads > 1 && onnx_session_set_threads(s, threads, 1, &err) != FERRY_OK)) {
        onnx_session_destroy(s);
        snprintf(why, len, "%s", err.message);
        return CONF_FAIL;
    }
    struct dirent **sets = NULL;
    int n = scandir(dir, &sets, only_data_sets, alphasort);
    conf_result r = n > 0 ? CONF_PASS : CONF_FAIL;
    if (n <= 0)
        snprintf(why, len, "no test_data_set_* folder");
    for (int i = 0; i < n; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, sets[i]->d_name);
        if (r == CONF_PASS)
            r = run_set(s, m, path, why, len);
        free(sets[i]);
    }
    free(sets);
    onnx_session_destroy(s);
    return r;
}

static conf_result run_test(const char *dir, int threads, char *why, size_t len)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    onnx_model *m = NULL;
    ferry_error err;
    ferry_status st = onnx_model_load_file(path, &m, &err);
    if (st != FERRY_OK) {
        snprintf(why, len, "%s", strip_path(err.message, path));
        return st == FERRY_UNSUPPORTED ? CONF_SKIP : CONF_FAIL;
    }
    conf_result r = run_sets(m, dir, threads, why, len);
    onnx_model_destroy(m);
    return r;
}

static void report(const char *dir, conf_counts *c)
{
    static const char *const labels[] = {"PASS", "FAIL", "SKIP"};
    char why[FERRY_ERROR_MESSAGE_MAX + 64] = "";
    const char *name = strrchr(dir, '/');
    name = name != NULL && name[1] != '\0' ? name + 1 : dir;
    conf_result r = run_test(dir, c->threads, why, sizeof why);
    if (r == CONF_PASS)
        printf("PASS %s\n", name);
    else
        printf("%s %s: %s\n", labels[r], name, why);
    fflush(stdout);
    c->passed += r == CONF_PASS;
    c->failed += r == CONF_FAIL;
    c->skipped += r == CONF_SKIP;
}

static int only_visible(const struct dirent *e)
{
    return e->d_name[0] != '.';
}

/* A test folder, or every test folder inside PATH (sorted). False when PATH holds none. */
static bool run_path(const char *path, conf_counts *c)
{
    char model[4200];
    snprintf(model, sizeof model, "%s/model.onnx", path);
    if (is_file(model)) {
        report(path, c);
        return true;
    }
    struct dirent **entries = NULL;
    int n = is_dir(path) ? scandir(path, &entries, only_visible, alphasort) : -1;
    bool any = false;
    for (int i = 0; i < n; i++) {
        char dir[4200];
        snprintf(dir, sizeof dir, "%s/%s", path, entries[i]->d_name);
        snprintf(model, sizeof model, "%s/model.onnx", dir);
        if (is_file(model)) {
            report(dir, c);
            any = true;
        }
        free(entries[i]);
    }
    free(entries);
    return any;
}

int cli_conformance(int argc, char **argv)
{
    int n_paths = 0;
    uint64_t threads = 1;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        bool bad = false;
        if (cli_is_help(argv[i])) {
            fputs(conformance_help, stdout);
            return CLI_OK;
        }
        if (cli_option(argc, argv, &i, "--threads", &v, &bad)) {
            if (bad ||
                !cli_parse_uint("conformance", "--threads", v, 1, ONNX_POOL_MAX_THREADS, &threads))
                return CLI_USAGE;
            continue;
        }
        if (argv[i][0] == '-') {
            fprintf(stderr, "ferry conformance: unknown option '%s' (see --help)\n", argv[i]);
            return CLI_USAGE;
        }
        argv[++n_paths] = argv[i]; /* the paths, gathered at the front */
    }
    if (n_paths == 0) {
        fputs(conformance_help, stderr);
        return CLI_USAGE;
    }
    conf_counts c = {.threads = (int)threads};
    bool missing = false;
    for (int i = 1; i <= n_paths; i++)
        if (!run_path(argv[i], &c)) {
            fprintf(stderr, "ferry conformance: %s: no model.onnx in it or its folders\n", argv[i]);
            missing = true;
        }
    printf("%zu passed, %zu failed, %zu skipped\n", c.passed, c.failed, c.skipped);
    return c.failed == 0 && !missing ? CLI_OK : CLI_FAILURE;
}
