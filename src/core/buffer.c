/* Growable byte buffer with a hard maximum; see buffer.h. */
#include "core/buffer.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buffer_init(buffer *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void buffer_free(buffer *b)
{
    if (b == NULL)
        return;
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void buffer_reset(buffer *b)
{
    b->len = 0;
    if (b->data != NULL)
        b->data[0] = '\0';
}

ferry_status buffer_reserve(buffer *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra)
        return FERRY_TOO_LARGE;
    size_t need = b->len + extra + 1;
    if (need == 0) /* the terminator wrapped around: only possible when max is SIZE_MAX */
        return FERRY_NO_MEMORY;
    if (need <= b->cap)
        return FERRY_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap - 1 > b->max) /* not cap > max + 1, which wraps to 0 when max is SIZE_MAX */
        cap = b->max + 1;
    char *grown = realloc(b->data, cap);
    if (grown == NULL)
        return FERRY_NO_MEMORY;
    b->data = grown;
    b->cap = cap;
    return FERRY_OK;
}

ferry_status buffer_append(buffer *b, const void *data, size_t n)
{
    ferry_status st = buffer_reserve(b, n);
    if (st != FERRY_OK)
        return st;
    if (n > 0)
        memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return FERRY_OK;
}

ferry_status buffer_append_str(buffer *b, const char *s)
{
    return buffer_append(b, s, strlen(s));
}

ferry_status buffer_printf(buffer *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return FERRY_INTERNAL;
    if ((size_t)n < sizeof small)
        return buffer_append(b, small, (size_t)n);
    ferry_status st = buffer_reserve(b, (size_t)n);
    if (st != FERRY_OK)
        return st;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return FERRY_OK;
}

char *buffer_take(buffer *b, size_t *len)
{
    char *data = b->data;
    if (len != NULL)
        *len = b->len;
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return data;
}
