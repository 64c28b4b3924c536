/* Handing a served prediction to the prediction log; see payload_log.h. */
#include "protocol/payload_log.h"

void payload_log_prediction(feedback_hub *hub, const char *id, bool id_generated,
                            const model_version *mv, const ferry_tensor *inputs,
                            const ferry_tensor *outputs)
{
    if (hub == NULL || id == NULL || mv->feedback.sample <= 0 || mv->io.n_inputs == 0 ||
        !feedback_hub_sampled(hub, &mv->feedback))
        return;
    feedback_hub_log(hub, id, id_generated, mv->name, mv->version, &mv->feedback, inputs,
                     mv->io.n_inputs, outputs, mv->io.n_outputs);
}
