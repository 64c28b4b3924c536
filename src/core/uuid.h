/* Random (version 4) UUIDs for request ids: "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx". */
#ifndef FERRY_CORE_UUID_H
#define FERRY_CORE_UUID_H

#define UUID_STR_LEN 37 /* 36 characters and the NUL */

/* Writes a new UUID v4 into out (UUID_STR_LEN bytes). Never fails: when getrandom is unavailable
 * the bits come from a clock-seeded generator, still unique per process. Thread-safe. */
void uuid_v4(char out[UUID_STR_LEN]);

#endif
