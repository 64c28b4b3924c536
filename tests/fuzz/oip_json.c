/* libFuzzer harness for the REST JSON request decoders: each input is a request body decoded by
 * the general (jansson) decoder and by the fast path (oip_json_fast.c). The fast path may decline,
 * but what it accepts must be accepted by the general decoder and decode to the same request, and
 * oip_decode_request must answer as the general decoder does, error message included; any
 * difference aborts. Built only with -DFERRY_FUZZ=ON and CC=clang; see `make fuzz-json`. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oip_request_compare.h"
#include "protocol/oip_json.h"
#include "protocol/oip_json_fast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void mismatch(const char *what)
{
    fprintf(stderr, "oip_json fuzz: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    arena general_arena, fast_arena;
    arena_init(&general_arena, 64u << 20);
    arena_init(&fast_arena, 64u << 20);
    oip_request general, fast, combined;
    ferry_error gerr = {0}, cerr = {0};
    ferry_status gs = oip_decode_request_general(body, size, &general_arena, &general, &gerr);
    ferry_status fs = oip_json_fast_decode(body, size, &fast_arena, &fast);
    if (fs == FERRY_OK && gs != FERRY_OK)
        mismatch("the fast path accepted a body the general decoder refuses");
    if (fs == FERRY_OK && oip_request_difference(&general, &fast) != NULL)
        mismatch(oip_request_difference(&general, &fast));
    if (fs != FERRY_OK && fs != FERRY_UNSUPPORTED)
        mismatch("the fast path returned neither OK nor UNSUPPORTED");
    arena_reset(&fast_arena);
    ferry_status cs = oip_decode_request(body, size, &fast_arena, &combined, &cerr);
    if (cs != gs || (gs != FERRY_OK && strcmp(cerr.message, gerr.message) != 0))
        mismatch("oip_decode_request and the general decoder answer differently");
    if (gs == FERRY_OK && oip_request_difference(&general, &combined) != NULL)
        mismatch("oip_decode_request decoded a different request");
    if (gs == FERRY_OK)
        oip_request_free(&general);
    if (cs == FERRY_OK)
        oip_request_free(&combined);
    arena_free(&general_arena);
    arena_free(&fast_arena);
    return 0;
}
