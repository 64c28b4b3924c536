/* File hashing with libcrypto's EVP interface; see hash.h. */
#include "core/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

static ferry_status digest_fd(int fd, const char *path, EVP_MD_CTX *ctx, uint64_t *total,
                              ferry_error *err)
{
    unsigned char chunk[65536];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return ferry_error_set(err, FERRY_IO, "%s: read failed: %s", path, strerror(errno));
        if (n == 0)
            return FERRY_OK;
        if (EVP_DigestUpdate(ctx, chunk, (size_t)n) != 1)
            return ferry_error_set(err, FERRY_INTERNAL, "%s: sha256 update failed", path);
        *total += (uint64_t)n;
    }
}

ferry_status hash_file_sha256(const char *path, char hex[HASH_SHA256_HEX_LEN + 1], uint64_t *size,
                              ferry_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ferry_error_set(err, errno == ENOENT ? FERRY_NOT_FOUND : FERRY_IO, "%s: %s", path,
                               strerror(errno));
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        close(fd);
        return ferry_error_set(err, FERRY_NO_MEMORY, "%s: cannot allocate a sha256 context", path);
    }
    uint64_t total = 0;
    ferry_status st = FERRY_OK;
    if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
        st = ferry_error_set(err, FERRY_INTERNAL, "%s: sha256 init failed", path);
    if (st == FERRY_OK)
        st = digest_fd(fd, path, ctx, &total, err);
    unsigned char digest[32];
    unsigned int digest_len = 0;
    if (st == FERRY_OK && EVP_DigestFinal_ex(ctx, digest, &digest_len) != 1)
        st = ferry_error_set(err, FERRY_INTERNAL, "%s: sha256 final failed", path);
    EVP_MD_CTX_free(ctx);
    close(fd);
    if (st != FERRY_OK)
        return st;
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < digest_len && i < 32; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[HASH_SHA256_HEX_LEN] = '\0';
    if (size != NULL)
        *size = total;
    return FERRY_OK;
}
