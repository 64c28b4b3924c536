/* REST JSON request decoding cost, without a server: decodes the same body many times with the
 * general (jansson) decoder and with the fast path (oip_json_fast.c), each into a reused arena as
 * the server does, in 5 alternating rounds, and prints the best round's thread CPU µs per request
 * and the ratio, for a digits_mlp-like request (64 FP32 pixel values k/16, as its test rows) and
 * a 784-value FP32 request written with %.9g (run N/4 times):
 *
 *   ferry-json-decode [--n N (20000)]
 *   json_decode request=digits64 values=64 ... general_us=9.94 fast_us=2.87 speedup=3.5x */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "protocol/oip_json.h"
#include "protocol/oip_json_fast.h"

#define ROUNDS 5

/* The thread's CPU time: time other work on the shared machine takes is not counted. */
static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A request of one FP32 input of `n` values printed with `fmt`: pixel intensities k/16 as in
 * digits_mlp's test rows (written as Python's json writes them, "0.0", "0.25", "0.6875") when
 * `pixels`, else values in [-4, 4). The caller frees. */
static char *make_request(size_t n, const char *fmt, bool pixels)
{
    size_t size = 256 + n * 32;
    char *body = malloc(size);
    if (body == NULL)
        return NULL;
    size_t at = (size_t)snprintf(body, size,
                                 "{\"id\":\"bench\",\"inputs\":[{\"name\":\"input\",\"datatype\":"
                                 "\"FP32\",\"shape\":[1,%zu],\"data\":[",
                                 n);
    unsigned seed = 12345;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        float v = pixels ? (float)((seed >> 8) % 17) / 16.0f
                         : (float)((seed >> 8) % 65536) / 8192.0f - 4.0f + (float)i * 1e-7f;
        at += (size_t)snprintf(body + at, size - at, i ? "," : "");
        if (pixels && (v == 0 || v == 1))
            at += (size_t)snprintf(body + at, size - at, "%.1f", (double)v);
        else
            at += (size_t)snprintf(body + at, size - at, fmt, (double)v);
    }
    snprintf(body + at, size - at, "]}]}");
    return body;
}

typedef ferry_status (*decode_fn)(const char *body, size_t len, arena *a, oip_request *req);

static ferry_status decode_general(const char *body, size_t len, arena *a, oip_request *req)
{
    ferry_error err;
    return oip_decode_request_general(body, len, a, req, &err);
}

/* µs per decode of body over n runs (after a warm-up), or -1 when decoding fails. */
static double time_decode(decode_fn decode, const char *body, size_t n)
{
    arena a;
    arena_init(&a, (size_t)1 << 30);
    size_t len = strlen(body);
    double start = 0;
    for (size_t i = 0; i < n + n / 10; i++) {
        if (i == n / 10)
            start = now_seconds();
        oip_request req;
        arena_reset(&a);
        if (decode(body, len, &a, &req) != FERRY_OK) {
            arena_free(&a);
            return -1;
        }
        oip_request_free(&req);
    }
    double us = (now_seconds() - start) * 1e6 / (double)n;
    arena_free(&a);
    return us;
}

static int run(const char *name, size_t values, const char *fmt, bool pixels, size_t n)
{
    char *body = make_request(values, fmt, pixels);
    if (body == NULL) {
        fprintf(stderr, "json_decode: out of memory\n");
        return 1;
    }
    double general = -1, fast = -1;
    for (int r = 0; r < ROUNDS; r++) {
        double g = time_decode(decode_general, body, n / ROUNDS + 1);
        double f = time_decode(oip_json_fast_decode, body, n / ROUNDS + 1);
        if (g < 0 || f < 0) {
            general = fast = -1;
            break;
        }
        general = r == 0 || g < general ? g : general;
        fast = r == 0 || f < fast ? f : fast;
    }
    if (general < 0 || fast < 0) {
        fprintf(stderr, "json_decode: %s: a decoder failed (general %.2f, fast %.2f)\n", name,
                general, fast);
        free(body);
        return 1;
    }
    printf("json_decode request=%s values=%zu format=%s bytes=%zu general_us=%.2f fast_us=%.2f "
           "speedup=%.1fx\n",
           name, values, fmt, strlen(body), general, fast, general / fast);
    free(body);
    return 0;
}

int main(int argc, char **argv)
{
    size_t n = 20000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--n") == 0 && i + 1 < argc) {
            n = strtoul(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "usage: ferry-json-decode [--n N]\n");
            return 2;
        }
    }
    if (n == 0)
        n = 1;
    int rc = run("digits64", 64, "%g", true, n);
    if (rc == 0)
        rc = run("floats784", 784, "%.9g", false, n / 4 + 1);
    return rc;
}
