/* The one place the inference path hands a served prediction to the prediction log: its id,
 * version, inputs and outputs (copied here; encoded as OIP JSON tensors by the state store's
 * writer thread, off the request path) and the first output's values as the scores live
 * performance reads. */
#ifndef FERRY_PROTOCOL_PAYLOAD_LOG_H
#define FERRY_PROTOCOL_PAYLOAD_LOG_H

#include "ferry/tensor.h"
#include "serving/model_version.h"
#include "state/feedback.h"

/* Logs one executed request (inputs bound in the model's order, every model output). Does nothing
 * when hub or id is NULL. Never fails the request: what cannot be encoded is not logged. */
void payload_log_prediction(feedback_hub *hub, const char *id, const model_version *mv,
                            const ferry_tensor *inputs, const ferry_tensor *outputs);

#endif
