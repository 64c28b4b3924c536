/* A growable byte buffer with a maximum size fixed at creation (as curl's dynbuf): request bodies,
 * response bodies and the metrics page are built in one. */
#ifndef FERRY_CORE_BUFFER_H
#define FERRY_CORE_BUFFER_H

#include <stdarg.h>
#include <stddef.h>

#include "ferry/status.h"

typedef struct buffer {
    char *data; /* always NUL-terminated after a successful append (not counted in len) */
    size_t len;
    size_t cap;
    size_t max; /* appends that would pass this fail with TOO_LARGE */
} buffer;

/* Initialises an empty buffer that may grow to `max` bytes. Allocates nothing yet. */
void buffer_init(buffer *b, size_t max);

/* Frees the data; the buffer can be re-initialised or reused after buffer_reset. Accepts NULL. */
void buffer_free(buffer *b);

/* Empties the buffer and keeps its memory for reuse. */
void buffer_reset(buffer *b);

/* Appends n bytes. Fails with TOO_LARGE past max, NO_MEMORY when allocation fails; on failure the
 * buffer keeps its previous content. */
ferry_status buffer_append(buffer *b, const void *data, size_t n) FERRY_MUST_CHECK;

/* Appends a NUL-terminated string. */
ferry_status buffer_append_str(buffer *b, const char *s) FERRY_MUST_CHECK;

/* Appends printf-style formatted text. */
ferry_status buffer_printf(buffer *b, const char *fmt, ...) FERRY_MUST_CHECK
    __attribute__((format(printf, 2, 3)));

/* Ensures room for `extra` more bytes (plus the terminator) without changing the content. */
ferry_status buffer_reserve(buffer *b, size_t extra) FERRY_MUST_CHECK;

/* Hands the data over to the caller (who frees it with free()) and leaves the buffer empty. */
char *buffer_take(buffer *b, size_t *len);

#endif
