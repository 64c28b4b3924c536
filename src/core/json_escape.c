/* JSON string escaping; see json_escape.h. */
#include "core/json_escape.h"

#include <string.h>

/* Writes the escape of c into out (at least 6 bytes); returns its length. */
static size_t escape_char(unsigned char c, char *out)
{
    static const char hex[] = "0123456789abcdef";
    switch (c) {
    case '"':
    case '\\':
        out[0] = '\\';
        out[1] = (char)c;
        return 2;
    case '\n':
        memcpy(out, "\\n", 2);
        return 2;
    case '\r':
        memcpy(out, "\\r", 2);
        return 2;
    case '\t':
        memcpy(out, "\\t", 2);
        return 2;
    default:
        if (c >= 0x20) {
            out[0] = (char)c;
            return 1;
        }
        memcpy(out, "\\u00", 4);
        out[4] = hex[c >> 4];
        out[5] = hex[c & 15];
        return 6;
    }
}

size_t json_escape(char *dst, size_t cap, const char *src, size_t len)
{
    size_t used = 0;
    for (size_t i = 0; i < len; i++) {
        char esc[6];
        size_t n = escape_char((unsigned char)src[i], esc);
        if (used + n > cap)
            break;
        memcpy(dst + used, esc, n);
        used += n;
    }
    return used;
}

size_t json_escaped_length(const char *src, size_t len)
{
    size_t total = 0;
    char esc[6];
    for (size_t i = 0; i < len; i++)
        total += escape_char((unsigned char)src[i], esc);
    return total;
}
