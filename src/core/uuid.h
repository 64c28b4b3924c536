/* Time-ordered (version 7, RFC 9562) UUIDs for request ids: "tttttttt-tttt-7xxx-yxxx-xxxxxxxxxxxx",
 * the first 48 bits the Unix time in milliseconds, the other 74 random. Ids made later sort
 * later (to the millisecond), so the prediction log's id index grows at its end instead of
 * touching a random page per insert. */
#ifndef FERRY_CORE_UUID_H
#define FERRY_CORE_UUID_H

#include <stdbool.h>
#include <stdint.h>

#define UUID_STR_LEN 37 /* 36 characters and the NUL */

/* Writes a new UUID v7 into out (UUID_STR_LEN bytes). Never fails: when getrandom is unavailable
 * the random bits come from a clock-seeded generator, still unique per process. Thread-safe. */
void uuid_v7(char out[UUID_STR_LEN]);

/* Whether id is exactly a UUID v7 in text form (36 characters, hyphens after the 8th, 12th, 16th
 * and 20th hex digit, hex digits of either case elsewhere, version nibble 7, variant bits 10);
 * when it is, *ms is the Unix time in milliseconds of its first 48 bits. Whether ferry made the id
 * is not knowable from it: a client may send one of the same form. */
bool uuid_v7_time_ms(const char *id, int64_t *ms);

#endif
