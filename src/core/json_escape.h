/* Escaping text for a JSON string literal (the log lines and the response encoder write JSON by
 * hand; the decoder uses jansson). */
#ifndef FERRY_CORE_JSON_ESCAPE_H
#define FERRY_CORE_JSON_ESCAPE_H

#include <stddef.h>

/* Writes src[0..len) escaped (quotes, backslash, control characters; bytes >= 0x80 pass through)
 * into dst, at most cap bytes and never a partial escape sequence, without a terminator. Returns
 * the bytes written. */
size_t json_escape(char *dst, size_t cap, const char *src, size_t len);

/* The escaped length of src[0..len). */
size_t json_escaped_length(const char *src, size_t len);

#endif
