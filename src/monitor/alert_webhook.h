/* Alert webhooks: JSON payloads POSTed with libcurl by one background thread, retried with
 * exponential backoff (0.5 s doubling, ALERT_WEBHOOK_ATTEMPTS tries), so that a slow or absent
 * receiver never blocks a request or the drift monitor. Payloads follow Alertmanager's webhook
 * shape ({"version": "4", "status", "receiver", "groupLabels", "commonLabels", "alerts": [...]}).
 * Process-wide: `ferry serve --alert-webhook URL` sets the default receiver; model.yaml's
 * `drift: {webhook: URL}` names another per model. */
#ifndef FERRY_MONITOR_ALERT_WEBHOOK_H
#define FERRY_MONITOR_ALERT_WEBHOOK_H

#include <stdbool.h>

#include "ferry/status.h"

#define ALERT_WEBHOOK_ATTEMPTS  5
#define ALERT_WEBHOOK_QUEUE_MAX 256 /* payloads waiting; a full queue drops the oldest */

/* Sets the default receiver (NULL or "": none). Call before serving starts. */
ferry_status alert_webhook_set_default(const char *url, ferry_error *err) FERRY_MUST_CHECK;

/* Queues a POST of the JSON text `payload` (copied) to url, or to the default when url is NULL;
 * does nothing when there is neither. Starts the sender thread on first use. Never blocks on the
 * network. */
void alert_webhook_post(const char *url, const char *payload);

/* Stops the sender (waiting for the POST in progress, dropping what is queued) and frees
 * everything. Safe to call when it never started. */
void alert_webhook_shutdown(void);

#endif
