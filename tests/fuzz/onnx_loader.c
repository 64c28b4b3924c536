/* libFuzzer harness for the ONNX loading path (issue 3). Each input is taken as a serialized
 * ModelProto and handed to onnx_model_load_buffer, which parses it, binds and prepares every node,
 * folds constants and plans it for batches of 1 and 2; a model that loads then gets a session,
 * and everything is freed. Built only with -DFERRY_FUZZ=ON and CC=clang; see `make fuzz`. */
#include <stddef.h>
#include <stdint.h>

#include "onnx/model.h"
#include "onnx/session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ferry_error err = {0};
    onnx_model *m = NULL;
    if (onnx_model_load_buffer(data, size, "fuzz-input", &m, &err) != FERRY_OK)
        return 0;
    onnx_session *s = NULL;
    if (onnx_session_create(m, &s, &err) == FERRY_OK)
        onnx_session_destroy(s);
    onnx_model_destroy(m);
    return 0;
}
