/* String tensors: the engine's layout and ferry's wire layout; see strings.h. */
#include "onnx/strings.h"

#include <string.h>

size_t onnx_elem_size(ferry_dtype dtype)
{
    return dtype == FERRY_DTYPE_BYTES ? sizeof(onnx_string) : ferry_dtype_size(dtype);
}

uint64_t onnx_string_hash(onnx_string s)
{
    uint64_t h = 14695981039346656037u;
    for (size_t i = 0; i < s.len; i++)
        h = (h ^ (unsigned char)s.data[i]) * 1099511628211u;
    return h;
}

static uint32_t read_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

ferry_status onnx_strings_parse(const void *wire, size_t nbytes, int64_t count, onnx_string *out,
                                const char *what, ferry_error *err)
{
    const unsigned char *p = wire;
    size_t at = 0;
    for (int64_t i = 0; i < count; i++) {
        if (nbytes - at < 4)
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "input '%s' holds fewer strings than its shape's %lld", what,
                                   (long long)count);
        uint32_t len = read_le32(p + at);
        at += 4;
        if (nbytes - at < len)
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "input '%s': string %lld is truncated (%u bytes announced)",
                                   what, (long long)i, (unsigned)len);
        if (out != NULL)
            out[i] = (onnx_string){.data = (const char *)p + at, .len = len};
        at += len;
    }
    if (at != nbytes)
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "input '%s' holds more data than its shape's %lld strings", what,
                               (long long)count);
    return FERRY_OK;
}

ferry_status onnx_strings_wire_size(const onnx_string *s, int64_t count, const char *what,
                                    size_t *out, ferry_error *err)
{
    size_t total = 0;
    for (int64_t i = 0; i < count; i++) {
        if (s[i].len > UINT32_MAX || SIZE_MAX - total < s[i].len + 4)
            return ferry_error_set(err, FERRY_TOO_LARGE,
                                   "output '%s': string %lld is too long (%zu bytes)", what,
                                   (long long)i, s[i].len);
        total += 4 + s[i].len;
    }
    *out = total;
    return FERRY_OK;
}

void onnx_strings_write(const onnx_string *s, int64_t count, void *dst)
{
    unsigned char *p = dst;
    for (int64_t i = 0; i < count; i++) {
        uint32_t len = (uint32_t)s[i].len;
        p[0] = (unsigned char)len;
        p[1] = (unsigned char)(len >> 8);
        p[2] = (unsigned char)(len >> 16);
        p[3] = (unsigned char)(len >> 24);
        if (len > 0)
            memcpy(p + 4, s[i].data, len);
        p += 4 + len;
    }
}
