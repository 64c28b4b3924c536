/* The one place the inference path hands a served prediction to the prediction log: its id,
 * version, inputs and outputs (copied by feedback_hub_log as binary tensor blobs, written to
 * SQLite by the state store's writer thread, off the request path; turned into OIP JSON only
 * when read back, by `ferry logs export`). */
#ifndef FERRY_PROTOCOL_PAYLOAD_LOG_H
#define FERRY_PROTOCOL_PAYLOAD_LOG_H

#include "ferry/tensor.h"
#include "serving/model_version.h"
#include "state/feedback.h"

/* Logs one executed request (inputs bound in the model's order, every model output); id_generated
 * says ferry made its id (a UUID v7, see feedback_hub_log). Does nothing when hub or id is NULL.
 * Never fails the request: what cannot be encoded is not logged. */
void payload_log_prediction(feedback_hub *hub, const char *id, bool id_generated,
                            const model_version *mv, const ferry_tensor *inputs,
                            const ferry_tensor *outputs);

#endif
