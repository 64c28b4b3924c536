/* SHA-256 of files (artifact verification), with OpenSSL's libcrypto doing the hashing. */
#ifndef FERRY_CORE_HASH_H
#define FERRY_CORE_HASH_H

#include <stdint.h>

#include "ferry/status.h"

#define HASH_SHA256_HEX_LEN 64

/* Hashes the file at path; writes 64 lowercase hex digits and a NUL to hex, and the size in bytes
 * to *size (may be NULL). Fails with NOT_FOUND or IO naming the file. */
ferry_status hash_file_sha256(const char *path, char hex[HASH_SHA256_HEX_LEN + 1], uint64_t *size,
                              ferry_error *err) FERRY_MUST_CHECK;

#endif
