/* Bounding message nesting in protobuf bytes; see proto_depth.h. */
#include "onnx/proto_depth.h"

#include <stdbool.h>
#include <stdlib.h>

/* One open message: its descriptor and where its bytes end. */
typedef struct open_message {
    const ProtobufCMessageDescriptor *desc;
    size_t end;
} open_message;

/* Reads a varint at *pos (before end); false when it runs past end or past 10 bytes. */
static bool read_varint(const uint8_t *data, size_t end, size_t *pos, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && *pos < end; shift += 7) {
        uint8_t b = data[(*pos)++];
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

/* Steps over one field of the message on top of the stack, opening it when it is a message.
 * Returns 0, 1 when it is a sub-message to open (*sub set), or -1 when the bytes are broken. */
static int scan_field(const uint8_t *data, const open_message *top, size_t *pos, open_message *sub)
{
    uint64_t tag, len;
    if (!read_varint(data, top->end, pos, &tag))
        return -1;
    switch (tag & 7) {
    case 0:
        return read_varint(data, top->end, pos, &len) ? 0 : -1;
    case 1:
    case 5: {
        size_t size = (tag & 7) == 1 ? 8 : 4;
        if (top->end - *pos < size)
            return -1;
        *pos += size;
        return 0;
    }
    case 2:
        if (!read_varint(data, top->end, pos, &len) || len > top->end - *pos)
            return -1;
        break;
    default: /* groups (3, 4) and unused wire types: protobuf-c refuses them */
        return -1;
    }
    const ProtobufCFieldDescriptor *f =
        tag >> 3 <= UINT32_MAX
            ? protobuf_c_message_descriptor_get_field(top->desc, (unsigned)(tag >> 3))
            : NULL;
    if (f != NULL && f->type == PROTOBUF_C_TYPE_MESSAGE) {
        *sub = (open_message){.desc = f->descriptor, .end = *pos + (size_t)len};
        return 1;
    }
    *pos += (size_t)len;
    return 0;
}

ferry_status onnx_proto_check_depth(const uint8_t *data, size_t len,
                                    const ProtobufCMessageDescriptor *desc, int max_depth,
                                    const char *what, ferry_error *err)
{
    open_message *stack = malloc((size_t)(max_depth > 0 ? max_depth : 1) * sizeof *stack);
    if (stack == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "%s: out of memory", what);
    int depth = 1;
    stack[0] = (open_message){.desc = desc, .end = len};
    size_t pos = 0;
    ferry_status st = FERRY_OK;
    while (st == FERRY_OK && depth > 0) {
        if (pos == stack[depth - 1].end) {
            depth--;
            continue;
        }
        open_message sub;
        int r = scan_field(data, &stack[depth - 1], &pos, &sub);
        if (r < 0)
            st = ferry_error_set(err, FERRY_INVALID_ARG,
                                 "%s: not a valid ONNX model (the protobuf is truncated or "
                                 "corrupt at byte %zu)",
                                 what, pos);
        else if (r > 0 && depth == max_depth)
            st = ferry_error_set(err, FERRY_INVALID_ARG,
                                 "%s: protobuf messages nest more than %d levels deep (subgraphs "
                                 "or types within each other, at byte %zu); ferry refuses such "
                                 "models",
                                 what, max_depth, pos);
        else if (r > 0)
            stack[depth++] = sub;
    }
    free(stack);
    return st;
}
