/* The ONNX backend: serves model.onnx with ferry's own engine (src/onnx/). */
#ifndef FERRY_BACKENDS_ONNX_H
#define FERRY_BACKENDS_ONNX_H

#include "ferry/backend.h"

extern const ferry_backend onnx_backend;

#endif
