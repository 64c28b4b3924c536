/* POST /ferry/v1/models/{name}/versions: the request body is an artifact, its metadata travels in
 * query arguments; the body is written to a temporary file and registered through the registry
 * like `ferry register`. Plugins (.so) are never accepted over the network: refused by name and by
 * their ELF magic. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/arena.h"
#include "protocol/admin_internal.h"
#include "serving/registry.h"

#define FILENAME_MAX_LEN 127

typedef struct upload {
    rest_exchange *ex;
    registry_register_options opts;
    const char *filename;
    char error[FERRY_ERROR_MESSAGE_MAX]; /* the first bad argument; "" when none */
} upload;

/* ------------------------------------------------------------------------------------------ */
/* Query arguments                                                                              */
/* ------------------------------------------------------------------------------------------ */

/* Splits "k=v" into a pair whose strings live in the request arena. */
static bool add_pair(upload *u, const char *what, const char *arg, registry_pair *pairs, size_t *n)
{
    const char *eq = arg != NULL ? strchr(arg, '=') : NULL;
    if (eq == NULL || eq == arg) {
        snprintf(u->error, sizeof u->error, "%s must be KEY=VALUE, got '%.100s'", what,
                 arg ? arg : "");
        return false;
    }
    if (*n == REGISTRY_MAX_PAIRS) {
        snprintf(u->error, sizeof u->error, "more than %d %s arguments", REGISTRY_MAX_PAIRS, what);
        return false;
    }
    size_t len = strlen(arg);
    char *copy = arena_alloc_small(u->ex->arena, len + 1);
    if (copy == NULL) {
        snprintf(u->error, sizeof u->error, "out of memory");
        return false;
    }
    memcpy(copy, arg, len + 1);
    copy[eq - arg] = '\0';
    pairs[*n] = (registry_pair){.key = copy, .value = copy + (eq - arg) + 1};
    (*n)++;
    return true;
}

static bool parse_bool(const char *s, bool *out)
{
    if (s[0] == '\0' || strcmp(s, "true") == 0 || strcmp(s, "1") == 0)
        *out = true;
    else if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0)
        *out = false;
    else
        return false;
    return true;
}

static void take_arg(void *user, const char *key, const char *value)
{
    upload *u = user;
    registry_register_options *o = &u->opts;
    const char *v = value != NULL ? value : "";
    if (u->error[0] != '\0')
        return;
    if (strcmp(key, "filename") == 0)
        u->filename = v;
    else if (strcmp(key, "metric") == 0)
        add_pair(u, "metric", value, o->metrics, &o->n_metrics);
    else if (strcmp(key, "param") == 0)
        add_pair(u, "param", value, o->params, &o->n_params);
    else if (strcmp(key, "tag") == 0)
        add_pair(u, "tag", value, o->tags, &o->n_tags);
    else if (strcmp(key, "notes") == 0)
        o->notes = v;
    else if (strcmp(key, "author") == 0)
        o->author = v;
    else if (strcmp(key, "run_id") == 0)
        o->run_id = v;
    else if (strcmp(key, "parent") == 0) {
        if (!admin_parse_version(v, &o->parent))
            snprintf(u->error, sizeof u->error, "parent must be a version number, got '%.100s'", v);
    } else if (strcmp(key, "create") == 0) {
        if (!parse_bool(v, &o->create))
            snprintf(u->error, sizeof u->error, "create must be true or false, got '%.100s'", v);
    } else {
        snprintf(u->error, sizeof u->error,
                 "unknown query argument '%.100s' (filename, metric, param, tag, notes, author, "
                 "run_id, parent, create)",
                 key);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Checks                                                                                       */
/* ------------------------------------------------------------------------------------------ */

static bool is_octet_stream(const char *type)
{
    if (type == NULL || type[0] == '\0')
        return true;
    size_t n = strcspn(type, "; \t");
    return n == strlen("application/octet-stream") &&
           strncasecmp(type, "application/octet-stream", n) == 0;
}

static bool valid_filename(const char *f)
{
    size_t n = strlen(f);
    return n > 0 && n <= FILENAME_MAX_LEN && f[0] != '.' &&
           strspn(f, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/* A shared object by name: "x.so", "libx.so.1" (any case). */
static bool named_like_plugin(const char *f)
{
    size_t n = strlen(f);
    if (n >= 3 && strcasecmp(f + n - 3, ".so") == 0)
        return true;
    for (const char *p = f; (p = strchr(p, '.')) != NULL; p++)
        if (strncasecmp(p, ".so.", 4) == 0)
            return true;
    return false;
}

static bool is_elf(const char *data, size_t len)
{
    return len >= 4 && memcmp(data,
                              "\x7f"
                              "ELF",
                              4) == 0;
}

/* Answers and returns false when the upload must be refused before anything is written. */
static bool check_upload(admin_call *c, const upload *u)
{
    rest_exchange *ex = c->ex;
    static const char plugin_refusal[] =
        "plugins (.so) are never accepted over the network: copy the file to the server and run "
        "ferry register there";
    if (u->error[0] != '\0')
        admin_error(ex, 400, "%s", u->error);
    else if (!is_octet_stream(ex->content_type))
        admin_error(ex, 415,
                    "unsupported Content-Type '%.100s': send the artifact as "
                    "application/octet-stream",
                    ex->content_type);
    else if (u->filename == NULL || !valid_filename(u->filename))
        admin_error(ex, 400,
                    "name the artifact with ?filename=model.json (1-127 characters of "
                    "A-Z a-z 0-9 _ . -, not starting with '.')");
    else if (named_like_plugin(u->filename) || is_elf(ex->body, ex->body_len))
        admin_error(ex, 400, "%s", plugin_refusal);
    else if (ex->body_len == 0)
        admin_error(ex, 400, "the request body is empty: send the artifact's bytes");
    else
        return true;
    return false;
}

/* ------------------------------------------------------------------------------------------ */
/* Temporary file and register                                                                  */
/* ------------------------------------------------------------------------------------------ */

/* Writes the body to a fresh temporary folder as `filename` (registry_register names the stored
 * artifact after it); dir and path receive that folder ("" when none was made) and file. */
static ferry_status write_temporary(const rest_exchange *ex, const char *filename, char *dir,
                                    char *path, ferry_error *err)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, PATH_MAX, "%s/ferry-upload-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        ferry_error_set(err, FERRY_IO, "cannot create a temporary folder in %s: %s",
                        tmp && tmp[0] ? tmp : "/tmp", strerror(errno));
        dir[0] = '\0'; /* nothing to remove */
        return err->code;
    }
    snprintf(path, PATH_MAX, "%s/%s", dir, filename);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return ferry_error_set(err, FERRY_IO, "cannot create %s: %s", path, strerror(errno));
    size_t done = 0;
    while (done < ex->body_len) {
        ssize_t n = write(fd, ex->body + done, ex->body_len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(fd);
            return ferry_error_set(err, FERRY_IO, "cannot write %s: %s", path,
                                   n < 0 ? strerror(errno) : "short write");
        }
        done += (size_t)n;
    }
    if (close(fd) != 0)
        return ferry_error_set(err, FERRY_IO, "cannot write %s: %s", path, strerror(errno));
    return FERRY_OK;
}

static void remove_temporary(const char *dir, const char *path)
{
    unlink(path);
    rmdir(dir);
}

static void register_upload(admin_call *c, upload *u)
{
    char dir[PATH_MAX] = "", path[PATH_MAX] = "";
    ferry_error err;
    uint64_t version = 0;
    u->opts.artifact = path;
    if (u->opts.author == NULL)
        u->opts.author = c->actor;
    ferry_status st = write_temporary(c->ex, u->filename, dir, path, &err);
    if (st == FERRY_OK)
        st = registry_register(c->repo, c->name, &u->opts, c->actor, &version, &err);
    if (dir[0] != '\0')
        remove_temporary(dir, path);
    if (st == FERRY_OK)
        admin_changed(c);
    if (st == FERRY_OK)
        admin_json(c->ex, 201,
                   json_pack("{s:s,s:I}", "name", c->name, "version", (json_int_t)version));
    else if (st == FERRY_UNSUPPORTED || st == FERRY_INVALID_ARG)
        admin_error(c->ex, 400, "%s", err.message); /* an artifact no backend reads */
    else
        admin_fail(c->ex, &err);
}

void admin_upload(admin_call *c)
{
    upload u = {.ex = c->ex};
    if (c->ex->transport != NULL)
        c->ex->transport->each_arg(c->ex->conn, take_arg, &u);
    if (!check_upload(c, &u))
        return;
    if (!u.opts.create && !admin_model_exists(c)) {
        admin_error(c->ex, 404, "unknown model '%s' (add create=true to start a new model)",
                    c->name);
        return;
    }
    register_upload(c, &u);
}
