/* Time-ordered (version 7, RFC 9562) UUIDs for request ids: "tttttttt-tttt-7xxx-yxxx-xxxxxxxxxxxx",
 * the first 48 bits the Unix time in milliseconds, the other 74 random. Ids made later sort
 * later (to the millisecond), so the prediction log's id index grows at its end instead of
 * touching a random page per insert. */
#ifndef FERRY_CORE_UUID_H
#define FERRY_CORE_UUID_H

#define UUID_STR_LEN 37 /* 36 characters and the NUL */

/* Writes a new UUID v7 into out (UUID_STR_LEN bytes). Never fails: when getrandom is unavailable
 * the random bits come from a clock-seeded generator, still unique per process. Thread-safe. */
void uuid_v7(char out[UUID_STR_LEN]);

#endif
