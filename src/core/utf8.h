/* UTF-8 validation for text that ends up in JSON (jansson refuses invalid UTF-8): CSV headers and
 * category values. */
#ifndef FERRY_CORE_UTF8_H
#define FERRY_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..len) is well-formed UTF-8: no overlong forms, no surrogates, nothing above
 * U+10FFFF, no truncated sequence. */
bool utf8_valid(const char *s, size_t len);

#endif
