/* The fast path for decoding OIP v2 JSON requests: the big numeric `data` arrays are read straight
 * into the tensors by a strict number reader, and jansson parses only the rest of the body. It
 * either decodes a request exactly as oip_decode_request_general would, or declines, and then the
 * general decoder runs (and reports any error in its own words). */
#ifndef FERRY_PROTOCOL_OIP_JSON_FAST_H
#define FERRY_PROTOCOL_OIP_JSON_FAST_H

#include <stddef.h>

#include "core/arena.h"
#include "protocol/oip_json.h"

/* Decodes a JSON-only request body whose inputs' `data` are arrays (nested or flat) of BOOL,
 * integer or FP32/FP64 values. Returns FERRY_OK with *req filled as oip_decode_request_general
 * fills it, or FERRY_UNSUPPORTED when it declines: BYTES, FP16/BF16, escaped keys, a non-array
 * `data`, strings other than the NaN/Infinity spellings, any error at all (malformed JSON, an
 * out-of-range element, a count that does not match the shape). On declining, *req is cleared and
 * the arena is rewound to where it was, so the general decoder starts afresh. */
ferry_status oip_json_fast_decode(const char *body, size_t len, arena *a,
                                  oip_request *req) FERRY_MUST_CHECK;

#endif
