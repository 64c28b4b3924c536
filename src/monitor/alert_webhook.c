/* The alert webhook sender thread; see alert_webhook.h. */
#include "monitor/alert_webhook.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/thread_name.h"

typedef struct pending_post {
    char *url;
    char *payload;
} pending_post;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t thread;
    bool started, stop;
    char *default_url;
    pending_post queue[ALERT_WEBHOOK_QUEUE_MAX];
    size_t head, count;
} g_alerts = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

ferry_status alert_webhook_set_default(const char *url, ferry_error *err)
{
    char *copy = url != NULL && url[0] != '\0' ? strdup(url) : NULL;
    if (url != NULL && url[0] != '\0' && copy == NULL)
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory storing the alert webhook");
    pthread_mutex_lock(&g_alerts.lock);
    free(g_alerts.default_url);
    g_alerts.default_url = copy;
    pthread_mutex_unlock(&g_alerts.lock);
    return FERRY_OK;
}

static size_t discard(char *data, size_t size, size_t n, void *ctx)
{
    (void)data;
    (void)ctx;
    return size * n;
}

/* One POST; true on a 2xx answer. */
static bool post_once(const pending_post *p, long *status, char *error, size_t len)
{
    CURL *curl = curl_easy_init();
    if (curl == NULL) {
        snprintf(error, len, "cannot create a curl handle");
        return false;
    }
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    char buf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(curl, CURLOPT_URL, p->url);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, p->payload);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, buf);
    CURLcode rc = curl_easy_perform(curl);
    *status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    snprintf(error, len, "%s", rc != CURLE_OK ? (buf[0] ? buf : curl_easy_strerror(rc)) : "");
    return rc == CURLE_OK && *status >= 200 && *status < 300;
}

/* Waits ms unless stopped; false when stopped. Caller holds the lock. */
static bool backoff(long ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    while (!g_alerts.stop && pthread_cond_timedwait(&g_alerts.cond, &g_alerts.lock, &until) == 0) {
    }
    return !g_alerts.stop;
}

static void deliver(pending_post *p)
{
    long status = 0, wait_ms = 500;
    char error[CURL_ERROR_SIZE + 64];
    for (int attempt = 1; attempt <= ALERT_WEBHOOK_ATTEMPTS; attempt++, wait_ms *= 2) {
        if (post_once(p, &status, error, sizeof error))
            return;
        if (error[0] != '\0')
            log_warn(NULL, "alert webhook %s: attempt %d of %d failed: %s", p->url, attempt,
                     ALERT_WEBHOOK_ATTEMPTS, error);
        else
            log_warn(NULL, "alert webhook %s: attempt %d of %d failed: HTTP %ld", p->url, attempt,
                     ALERT_WEBHOOK_ATTEMPTS, status);
        pthread_mutex_lock(&g_alerts.lock);
        bool go_on = attempt < ALERT_WEBHOOK_ATTEMPTS && backoff(wait_ms);
        pthread_mutex_unlock(&g_alerts.lock);
        if (!go_on)
            break;
    }
    log_error(NULL, "alert webhook %s: gave up; the alert is dropped", p->url);
}

static void *sender_main(void *arg)
{
    (void)arg;
    thread_name_set("ferry-alerts");
    for (;;) {
        pthread_mutex_lock(&g_alerts.lock);
        while (g_alerts.count == 0 && !g_alerts.stop)
            pthread_cond_wait(&g_alerts.cond, &g_alerts.lock);
        if (g_alerts.stop) {
            pthread_mutex_unlock(&g_alerts.lock);
            return NULL;
        }
        pending_post p = g_alerts.queue[g_alerts.head];
        g_alerts.head = (g_alerts.head + 1) % ALERT_WEBHOOK_QUEUE_MAX;
        g_alerts.count--;
        pthread_mutex_unlock(&g_alerts.lock);
        deliver(&p);
        free(p.url);
        free(p.payload);
    }
}

/* Caller holds the lock. */
static bool ensure_started(void)
{
    if (g_alerts.started)
        return true;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return false;
    g_alerts.stop = false;
    g_alerts.started = pthread_create(&g_alerts.thread, NULL, sender_main, NULL) == 0;
    return g_alerts.started;
}

void alert_webhook_post(const char *url, const char *payload)
{
    pthread_mutex_lock(&g_alerts.lock);
    const char *to = url != NULL && url[0] != '\0' ? url : g_alerts.default_url;
    pending_post p = {.url = to != NULL ? strdup(to) : NULL, .payload = strdup(payload)};
    if (to == NULL || p.url == NULL || p.payload == NULL || !ensure_started()) {
        if (to != NULL)
            log_error(NULL,
                      "alert webhook %s: cannot queue the alert (out of memory or no "
                      "sender thread)",
                      to);
        pthread_mutex_unlock(&g_alerts.lock);
        free(p.url);
        free(p.payload);
        return;
    }
    if (g_alerts.count == ALERT_WEBHOOK_QUEUE_MAX) { /* drop the oldest */
        pending_post *old = &g_alerts.queue[g_alerts.head];
        log_warn(NULL, "alert webhook %s: queue full, an older alert is dropped", old->url);
        free(old->url);
        free(old->payload);
        g_alerts.head = (g_alerts.head + 1) % ALERT_WEBHOOK_QUEUE_MAX;
        g_alerts.count--;
    }
    g_alerts.queue[(g_alerts.head + g_alerts.count) % ALERT_WEBHOOK_QUEUE_MAX] = p;
    g_alerts.count++;
    pthread_cond_signal(&g_alerts.cond);
    pthread_mutex_unlock(&g_alerts.lock);
}

void alert_webhook_shutdown(void)
{
    pthread_mutex_lock(&g_alerts.lock);
    bool started = g_alerts.started;
    g_alerts.stop = true;
    pthread_cond_broadcast(&g_alerts.cond);
    pthread_mutex_unlock(&g_alerts.lock);
    if (started) {
        pthread_join(g_alerts.thread, NULL);
        curl_global_cleanup();
    }
    pthread_mutex_lock(&g_alerts.lock);
    for (; g_alerts.count > 0; g_alerts.count--) {
        pending_post *p = &g_alerts.queue[g_alerts.head];
        free(p->url);
        free(p->payload);
        g_alerts.head = (g_alerts.head + 1) % ALERT_WEBHOOK_QUEUE_MAX;
    }
    free(g_alerts.default_url);
    g_alerts.default_url = NULL;
    g_alerts.started = false;
    pthread_mutex_unlock(&g_alerts.lock);
}
