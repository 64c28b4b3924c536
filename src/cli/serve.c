/* `ferry serve`: load the repository (or one artifact), serve it over REST (HTTP) and gRPC until
 * SIGTERM/SIGINT, then report not ready, wait the grace period, drain requests in flight and exit
 * 0. With a repository, a reconciler thread applies every change to it (deploys, rollbacks, new and
 * removed models, `load:` lists) while serving. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/log.h"
#include "monitor/alert_webhook.h"
#include "monitor/metrics.h"
#include "protocol/grpc_frontend.h"
#include "protocol/http_server.h"
#include "serving/loader.h"
#include "serving/reconciler.h"
#include "serving/worker_pool.h"
#include "state/feedback.h"

typedef struct serve_options {
    const char *repo;
    const char *artifact;
    const char *name;
    const char *host;
    const char *state;
    const char *admin_token;
    const char *alert_webhook;
    uint64_t http_port;
    uint64_t grpc_port;
    bool grpc_off; /* --grpc-port off (or -1) */
    uint64_t grpc_threads;
    uint64_t threads;
    uint64_t pool_threads; /* 0: one per CPU */
    uint64_t body_limit;
    uint64_t idle_timeout_s;
    uint64_t grace_ms;
    uint64_t drain_ms;
    uint64_t poll_ms;
    watcher_mode watch;
    bool strict_readiness;
    log_level level;
    /* Given as flags, so their environment variables are not read (a flag wins, even over an
     * invalid value). */
    bool http_port_flag, grpc_port_flag, level_flag;
} serve_options;

static const char serve_help[] =
    "usage: ferry serve [options]            serve the model repository\n"
    "       ferry serve ARTIFACT [options]   serve one model file (model.json, model.ubj)\n"
    "\n"
    "options:\n"
    "  --repo DIR               model repository (env FERRY_REPO; default ./models)\n"
    "  --name NAME              model name for ARTIFACT (default: the file name without "
    "extension)\n"
    "  --http-port N            REST port; 0 picks a free one (env FERRY_HTTP_PORT; default 8000)\n"
    "  --grpc-port N|off        gRPC port; 0 picks a free one, off (or -1) serves no gRPC\n"
    "                           (env FERRY_GRPC_PORT; default 8001)\n"
    "  --host ADDR              address to bind (default: every IPv4 and IPv6 address)\n"
    "  --state DIR              state folder (env FERRY_STATE; default ./ferry-state)\n"
    "  --admin-token TOKEN      admin API token, required as 'Authorization: Bearer TOKEN' from\n"
    "                           every address (env FERRY_ADMIN_TOKEN, which hides it from ps;\n"
    "                           default: no token, admin API for loopback clients only)\n"
    "  --alert-webhook URL      POST drift alerts there (Alertmanager webhook JSON); model.yaml's\n"
    "                           drift: {webhook: URL} overrides it per model\n"
    "  --log-level L            debug, info, warn, error, off (env FERRY_LOG_LEVEL; default info)\n"
    "  --strict-readiness B     ready only when every model is ready (default true)\n"
    "  --threads N              HTTP worker threads (default: one per core)\n"
    "  --grpc-threads N         gRPC polling threads, each also runs inference (default 2)\n"
    "  --pool-threads N         threads running queued and batched requests, shared by every\n"
    "                           model (default: one per core)\n"
    "  --body-limit BYTES       largest request body (default 67108864 = 64 MiB)\n"
    "  --idle-timeout S         close idle or stalled connections after S seconds (default 30)\n"
    "  --grace-period MS        after SIGTERM, report not ready this long before draining "
    "(default 500)\n"
    "  --drain-timeout MS       longest wait for requests in flight at shutdown (default 30000)\n"
    "  --poll-interval MS       also re-read the repository this often, besides inotify (default "
    "1000)\n";

static void defaults_from_env(serve_options *o)
{
    *o = (serve_options){.repo = "./models",
                         .state = "./ferry-state",
                         .http_port = 8000,
                         .grpc_port = 8001,
                         .grpc_threads = GRPC_FRONTEND_THREADS_DEFAULT,
                         .body_limit = 64u << 20,
                         .idle_timeout_s = 30,
                         .grace_ms = 500,
                         .drain_ms = 30000,
                         .poll_ms = RECONCILER_POLL_MS_DEFAULT,
                         .watch = WATCHER_INOTIFY,
                         .strict_readiness = true,
                         .level = LOG_INFO};
    const char *v;
    if ((v = getenv("FERRY_REPO")) != NULL && v[0] != '\0')
        o->repo = v;
    if ((v = getenv("FERRY_STATE")) != NULL && v[0] != '\0')
        o->state = v;
    if ((v = getenv("FERRY_ADMIN_TOKEN")) != NULL && v[0] != '\0')
        o->admin_token = v;
}

/* A gRPC port: 0..65535, or off / -1 to serve no gRPC. */
static bool parse_grpc_port(const char *option, const char *v, serve_options *o)
{
    o->grpc_off = strcmp(v, "off") == 0 || strcmp(v, "-1") == 0;
    return o->grpc_off || cli_parse_uint("serve", option, v, 0, 65535, &o->grpc_port);
}

/* Environment values that need parsing, read after the flags and only for options no flag set. */
static bool numbers_from_env(serve_options *o)
{
    const char *v;
    bool ok = true;
    if (!o->http_port_flag && (v = getenv("FERRY_HTTP_PORT")) != NULL && v[0] != '\0')
        ok = ok && cli_parse_uint("serve", "FERRY_HTTP_PORT", v, 0, 65535, &o->http_port);
    if (!o->grpc_port_flag && (v = getenv("FERRY_GRPC_PORT")) != NULL && v[0] != '\0')
        ok = ok && parse_grpc_port("FERRY_GRPC_PORT", v, o);
    if (!o->level_flag && (v = getenv("FERRY_LOG_LEVEL")) != NULL && v[0] != '\0' &&
        !log_level_parse(v, &o->level)) {
        fprintf(stderr, "ferry serve: FERRY_LOG_LEVEL: unknown level '%s'\n", v);
        ok = false;
    }
    return ok;
}

/* --watch inotify|poll (not in --help: polling alone is for tests and odd file systems). */
static bool parse_watch(const char *v, watcher_mode *mode)
{
    if (strcmp(v, "inotify") == 0 || strcmp(v, "poll") == 0) {
        *mode = v[0] == 'i' ? WATCHER_INOTIFY : WATCHER_POLL;
        return true;
    }
    fprintf(stderr, "ferry serve: --watch: expected inotify or poll, got '%s'\n", v);
    return false;
}

/* Parses one option at argv[*i]; returns false on a usage error. */
static bool parse_one(int argc, char **argv, int *i, serve_options *o)
{
    const char *v = NULL;
    bool bad = false;
    if (cli_option(argc, argv, i, "--repo", &o->repo, &bad) ||
        cli_option(argc, argv, i, "--name", &o->name, &bad) ||
        cli_option(argc, argv, i, "--host", &o->host, &bad) ||
        cli_option(argc, argv, i, "--state", &o->state, &bad) ||
        cli_option(argc, argv, i, "--alert-webhook", &o->alert_webhook, &bad))
        return !bad;
    if (cli_option(argc, argv, i, "--admin-token", &o->admin_token, &bad)) {
        if (!bad && o->admin_token[0] == '\0')
            fprintf(stderr, "ferry serve: --admin-token: the token must not be empty\n");
        return !bad && o->admin_token[0] != '\0';
    }
    if (cli_option(argc, argv, i, "--http-port", &v, &bad)) {
        o->http_port_flag = true;
        return !bad && cli_parse_uint("serve", "--http-port", v, 0, 65535, &o->http_port);
    }
    if (cli_option(argc, argv, i, "--grpc-port", &v, &bad)) {
        o->grpc_port_flag = true;
        return !bad && parse_grpc_port("--grpc-port", v, o);
    }
    if (cli_option(argc, argv, i, "--grpc-threads", &v, &bad))
        return !bad && cli_parse_uint("serve", "--grpc-threads", v, 1, 64, &o->grpc_threads);
    if (cli_option(argc, argv, i, "--pool-threads", &v, &bad))
        return !bad && cli_parse_uint("serve", "--pool-threads", v, 1, WORKER_POOL_MAX_THREADS,
                                      &o->pool_threads);
    if (cli_option(argc, argv, i, "--threads", &v, &bad))
        return !bad && cli_parse_uint("serve", "--threads", v, 1, 1024, &o->threads);
    if (cli_option(argc, argv, i, "--body-limit", &v, &bad))
        return !bad && cli_parse_uint("serve", "--body-limit", v, 1024, 1ull << 32, &o->body_limit);
    if (cli_option(argc, argv, i, "--idle-timeout", &v, &bad))
        return !bad && cli_parse_uint("serve", "--idle-timeout", v, 1, 86400, &o->idle_timeout_s);
    if (cli_option(argc, argv, i, "--grace-period", &v, &bad))
        return !bad && cli_parse_uint("serve", "--grace-period", v, 0, 600000, &o->grace_ms);
    if (cli_option(argc, argv, i, "--drain-timeout", &v, &bad))
        return !bad && cli_parse_uint("serve", "--drain-timeout", v, 0, 3600000, &o->drain_ms);
    if (cli_option(argc, argv, i, "--poll-interval", &v, &bad))
        return !bad && cli_parse_uint("serve", "--poll-interval", v, 10, 3600000, &o->poll_ms);
    if (cli_option(argc, argv, i, "--watch", &v, &bad))
        return !bad && parse_watch(v, &o->watch);
    if (cli_option(argc, argv, i, "--strict-readiness", &v, &bad))
        return !bad && cli_parse_bool("serve", "--strict-readiness", v, &o->strict_readiness);
    if (cli_option(argc, argv, i, "--log-level", &v, &bad)) {
        o->level_flag = true;
        if (!bad && !log_level_parse(v, &o->level)) {
            fprintf(stderr, "ferry serve: --log-level: unknown level '%s'\n", v);
            return false;
        }
        return !bad;
    }
    if (argv[*i][0] == '-') {
        fprintf(stderr, "ferry serve: unknown option '%s'\n", argv[*i]);
        return false;
    }
    if (o->artifact != NULL) {
        fprintf(stderr, "ferry serve: more than one artifact given ('%s')\n", argv[*i]);
        return false;
    }
    o->artifact = argv[*i];
    return true;
}

static int parse_options(int argc, char **argv, serve_options *o)
{
    defaults_from_env(o);
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(serve_help, stdout);
            return -1;
        }
        if (!parse_one(argc, argv, &i, o)) {
            fputs("(see ferry serve --help)\n", stderr);
            return CLI_USAGE;
        }
    }
    return numbers_from_env(o) ? CLI_OK : CLI_USAGE;
}

/* Creates the state folder (and its parents) if needed. */
static bool ensure_state_dir(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", dir);
    for (char *p = path + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return false;
        *p = '/';
    }
    return mkdir(path, 0755) == 0 || errno == EEXIST;
}

static void publish_model_info(void *ctx, const model_version *mv)
{
    metrics_set_model_info(ctx, mv->name, mv->version, mv->backend->name, mv->sha256, true);
}

/* Loads the artifact, or runs the reconciler's first pass over the repository and starts its
 * thread (*rec is set). Logs and returns CLI_FAILURE when there is nothing to serve from. */
static int load_models(const serve_options *o, model_table *table, metrics *m, reconciler **rec)
{
    ferry_error err;
    ferry_status st;
    if (o->artifact != NULL) {
        st = loader_load_artifact(o->artifact, o->name, table, publish_model_info, m, &err);
    } else {
        reconciler_options ro = {.repo = o->repo,
                                 .table = table,
                                 .metrics = m,
                                 .poll_interval_ms = (unsigned)o->poll_ms,
                                 .watch = o->watch};
        st = reconciler_create(&ro, rec, &err);
        if (st == FERRY_OK)
            st = reconciler_run_once(*rec, &err);
        if (st == FERRY_OK)
            st = reconciler_start(*rec, &err);
    }
    if (st != FERRY_OK) {
        log_fields f = {.file = o->artifact ? o->artifact : o->repo};
        log_error(&f, "cannot serve: %s", err.message);
        return CLI_FAILURE;
    }
    return CLI_OK;
}

/* Performance windows and gauges are shown for the versions loaded now. */
static bool version_loaded(void *m, const char *model, const char *version)
{
    return metrics_version_loaded(m, model, version);
}

/* Rebuilds each loaded version's live performance window from the state store, so that
 * /performance and its gauges after a restart equal those before it. */
static void restore_performance(model_table *table, feedback_hub *hub)
{
    enum { RESTORE_MAX = 4096 };
    model_version **mvs = malloc(RESTORE_MAX * sizeof *mvs);
    if (mvs == NULL) {
        log_warn(NULL, "live performance windows not rebuilt: out of memory");
        return;
    }
    size_t n = model_table_acquire_loaded(table, NULL, mvs, RESTORE_MAX);
    for (size_t i = 0; i < n && i < RESTORE_MAX; i++) {
        model_version *mv = mvs[i];
        log_fields f = {.model = mv->name, .version = mv->version};
        size_t restored = 0;
        ferry_error err;
        if (feedback_hub_restore(hub, mv->name, mv->version, &mv->feedback, &restored, &err) !=
            FERRY_OK)
            log_warn(&f, "live performance window not rebuilt: %s", err.message);
        else if (restored > 0)
            log_info(&f, "live performance window rebuilt from the state store: %zu labelled rows",
                     restored);
        model_version_release(mv);
    }
    free(mvs);
}

/* The admin API changed the repository: reconcile now rather than at the next watch event. */
static void wake_reconciler(void *rec)
{
    reconciler_wake(rec);
}

/* Blocks until SIGTERM or SIGINT; returns the signal. */
static int wait_for_stop(const sigset_t *stop)
{
    int sig = 0;
    while (sigwait(stop, &sig) != 0)
        ;
    return sig;
}

/* Starts the REST front end, then gRPC unless it is off. Logs and returns CLI_FAILURE when either
 * cannot start (the other is stopped again). */
static int start_frontends(const serve_options *o, rest_context *rest, http_server **http,
                           grpc_frontend **grpc)
{
    http_server_options ho = {.host = o->host,
                              .port = (uint16_t)o->http_port,
                              .threads = (unsigned)o->threads,
                              .body_limit = o->body_limit,
                              .idle_timeout_s = (unsigned)o->idle_timeout_s};
    ferry_error err;
    if (http_server_start(rest, &ho, http, &err) != FERRY_OK) {
        log_error(NULL, "cannot start the HTTP server: %s", err.message);
        return CLI_FAILURE;
    }
    if (o->grpc_off)
        return CLI_OK;
    grpc_frontend_options go = {.host = o->host,
                                .port = (uint16_t)o->grpc_port,
                                .threads = (unsigned)o->grpc_threads,
                                .max_message = o->body_limit};
    if (grpc_frontend_start(rest, &go, grpc, &err) != FERRY_OK) {
        log_error(NULL, "cannot start the gRPC server: %s", err.message);
        http_server_stop(*http, 0);
        *http = NULL;
        return CLI_FAILURE;
    }
    return CLI_OK;
}

/* After SIGTERM: not ready for the grace period, then both front ends stop accepting and drain
 * what is in flight, sharing one drain timeout. */
static void stop_frontends(const serve_options *o, http_server *http, grpc_frontend *grpc)
{
    usleep((useconds_t)(o->grace_ms * 1000));
    grpc_frontend_shutdown(grpc);
    uint64_t drain_start = clock_now_ns();
    unsigned left = http_server_stop(http, (unsigned)o->drain_ms);
    uint64_t spent_ms = (clock_now_ns() - drain_start) / 1000000u;
    unsigned grpc_ms = spent_ms < o->drain_ms ? (unsigned)(o->drain_ms - spent_ms) : 0;
    left += grpc_frontend_stop(grpc, grpc_ms);
    if (left > 0)
        log_warn(NULL, "drain timeout: %u request(s) still in flight were cut", left);
}

static void log_listening(const serve_options *o, http_server *http, grpc_frontend *grpc,
                          model_table *table, uint64_t start_ns)
{
    if (grpc != NULL) {
        log_fields g = {.port = grpc_frontend_port(grpc), .protocol = "grpc"};
        log_info(&g, "gRPC listening (%llu thread(s))", (unsigned long long)o->grpc_threads);
    }
    log_fields f = {.port = http_server_port(http),
                    .protocol = "rest",
                    .latency_ms = (double)(clock_now_ns() - start_ns) / 1e6,
                    .has_latency = true};
    log_info(&f, "listening; %zu model(s) ready, startup took %.1f ms",
             model_table_ready_count(table), f.latency_ms);
}

static int serve(const serve_options *o, uint64_t start_ns, const sigset_t *stop)
{
    model_table *table = model_table_create();
    metrics *m = metrics_create();
    rest_context rest = {.models = table,
                         .metrics = m,
                         .strict_readiness = o->strict_readiness,
                         .repo = o->artifact == NULL ? o->repo : NULL,
                         .admin_token = o->admin_token};
    atomic_init(&rest.draining, false);
    http_server *http = NULL;
    grpc_frontend *grpc = NULL;
    reconciler *rec = NULL;
    state_store *store = NULL;
    ferry_error serr;
    int rc = table != NULL && m != NULL ? CLI_OK : CLI_FAILURE;
    ferry_error err;
    if (rc == CLI_OK && alert_webhook_set_default(o->alert_webhook, &err) != FERRY_OK) {
        log_error(NULL, "%s", err.message);
        rc = CLI_FAILURE;
    }
    if (rc == CLI_OK && state_store_open(o->state, &store, &serr) != FERRY_OK) {
        log_fields f = {.file = o->state};
        log_error(&f, "cannot open the state store: %s", serr.message);
        rc = CLI_FAILURE;
    }
    if (rc == CLI_OK && (rest.feedback = feedback_hub_create(store)) == NULL)
        rc = CLI_FAILURE;
    if (rc == CLI_OK && !worker_pool_set_default_threads((unsigned)o->pool_threads))
        rc = CLI_FAILURE; /* the pool started before the options were read: a bug of ours */
    if (rc == CLI_OK)
        feedback_hub_set_loaded(rest.feedback, version_loaded, m);
    if (rc == CLI_OK)
        rc = load_models(o, table, m, &rec);
    if (rc == CLI_OK)
        restore_performance(table, rest.feedback);
    rest.repository_changed = rec != NULL ? wake_reconciler : NULL;
    rest.repository_changed_cls = rec;
    if (rc == CLI_OK)
        rc = start_frontends(o, &rest, &http, &grpc);
    if (rc == CLI_OK) {
        log_listening(o, http, grpc, table, start_ns);
        int sig = wait_for_stop(stop);
        atomic_store(&rest.draining, true);
        reconciler_stop(rec); /* no swaps while draining */
        log_info(NULL, "%s received: not ready; draining after %llu ms", strsignal(sig),
                 (unsigned long long)o->grace_ms);
        stop_frontends(o, http, grpc);
        log_info(NULL, "stopped");
    }
    reconciler_destroy(rec);
    state_store_close(store); /* commits what is queued */
    feedback_hub_destroy(rest.feedback);
    model_table_destroy(table);
    alert_webhook_shutdown(); /* after the versions (and their drift monitors) are gone */
    metrics_destroy(m);
    return rc;
}

int cli_serve(int argc, char **argv)
{
    uint64_t start_ns = clock_now_ns();
    serve_options o;
    int rc = parse_options(argc, argv, &o);
    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    log_set_level(o.level);
    if (!ensure_state_dir(o.state)) {
        log_fields f = {.file = o.state};
        log_error(&f, "cannot create the state folder: %s", strerror(errno));
        return CLI_FAILURE;
    }
    /* Block the stop signals in every thread; the main thread takes them with sigwait. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    if (pthread_sigmask(SIG_BLOCK, &stop, NULL) != 0)
        return CLI_FAILURE;
    signal(SIGPIPE, SIG_IGN);
    return serve(&o, start_ns, &stop);
}
