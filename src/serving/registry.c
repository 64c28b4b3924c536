/* Registering, deploying, rolling back and archiving model versions in the repository folder; see
 * registry.h. Each operation takes the model's lock, reads model.yaml, checks the request, writes
 * the change atomically and appends it to history.jsonl. */
#include "serving/registry.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backends/registry.h"
#include "core/buffer.h"
#include "core/csv.h"
#include "core/fsutil.h"
#include "core/hash.h"
#include "core/yaml_doc.h"
#include "serving/repository.h"

#define TMP_PREFIX ".tmp-register-"

/* ------------------------------------------------------------------------------------------ */
/* Model folder, lock and model.yaml                                                           */
/* ------------------------------------------------------------------------------------------ */

typedef struct model_ref {
    const char *repo;
    const char *name;
    char dir[PATH_MAX];
    int lock_fd;
} model_ref;

static bool dir_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* Validates the name and builds the model folder's path; NOT_FOUND when it does not exist. */
static ferry_status model_open(model_ref *m, const char *repo, const char *name, ferry_error *err)
{
    m->repo = repo;
    m->name = name;
    m->lock_fd = -1;
    m->dir[0] = '\0'; /* callers may build paths from it before checking the status */
    if (!repository_valid_model_name(name))
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "'%s' is not a valid model name (1-127 characters of "
                               "A-Z a-z 0-9 _ . -, not starting with '.')",
                               name);
    snprintf(m->dir, sizeof m->dir, "%s/%s", repo, name);
    if (!dir_exists(m->dir))
        return ferry_error_set(err, FERRY_NOT_FOUND, "unknown model '%s' (no folder %s)", name,
                               m->dir);
    return FERRY_OK;
}

/* Takes the model's writer lock (REPO/NAME/.lock, flock), waiting for other writers. */
static ferry_status model_lock(model_ref *m, ferry_error *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/.lock", m->dir);
    m->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (m->lock_fd < 0)
        return ferry_error_set(err, FERRY_IO, "cannot open %s: %s", path, strerror(errno));
    while (flock(m->lock_fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            close(m->lock_fd);
            m->lock_fd = -1;
            return ferry_error_set(err, FERRY_IO, "cannot lock %s: %s", path, strerror(errno));
        }
    }
    return FERRY_OK;
}

static void model_unlock(model_ref *m)
{
    if (m->lock_fd >= 0)
        close(m->lock_fd); /* releases the flock */
    m->lock_fd = -1;
}

/* The deployment state model.yaml holds. */
typedef struct deploy_state {
    char *text; /* model.yaml as read ("" when absent), malloc'ed */
    ynode *yaml;
    uint64_t production; /* model.yaml's, else the highest version (what the server serves); 0:
                            no versions */
    bool pinned;         /* model.yaml names production */
    uint64_t archived[256];
    size_t n_archived;
} deploy_state;

static void deploy_state_free(deploy_state *d)
{
    free(d->text);
    ynode_free(d->yaml);
}

static bool parse_version(const char *s, uint64_t *v)
{
    if (s == NULL || s[0] == '\0' || s[0] == '0' || strspn(s, "0123456789") != strlen(s) ||
        strlen(s) > 19)
        return false;
    *v = strtoull(s, NULL, 10);
    return true;
}

static ferry_status read_archived(deploy_state *d, const char *path, ferry_error *err)
{
    const ynode *list = ynode_get(d->yaml, "archived");
    if (list == NULL)
        return FERRY_OK;
    if (list->kind != YNODE_SEQ)
        return ferry_error_set(err, FERRY_INVALID_ARG, "%s: line %d: archived must be a list", path,
                               list->line);
    for (size_t i = 0; i < list->n && d->n_archived < 256; i++) {
        uint64_t v;
        if (list->items[i]->kind != YNODE_SCALAR || !parse_version(list->items[i]->scalar, &v))
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "%s: line %d: archived lists version numbers", path,
                                   list->items[i]->line);
        d->archived[d->n_archived++] = v;
    }
    return FERRY_OK;
}

/* The highest version number in the model folder; 0 when it has none. */
static ferry_status highest_version(const model_ref *m, uint64_t *v, ferry_error *err)
{
    uint64_t *versions = NULL;
    size_t count = 0;
    ferry_status st = repository_list_versions(m->dir, &versions, &count, err);
    *v = st == FERRY_OK && count > 0 ? versions[count - 1] : 0;
    free(versions);
    return st;
}

/* Reads model.yaml's deployment state. Without `production:` the server serves the highest
 * version, so that is production here too. */
static ferry_status read_deploy_state(const model_ref *m, deploy_state *d, ferry_error *err)
{
    memset(d, 0, sizeof *d);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/model.yaml", m->dir);
    size_t len = 0;
    ferry_status st = fs_read_file(path, &d->text, &len, err);
    if (st == FERRY_NOT_FOUND) {
        d->text = strdup("");
        len = 0;
        st = d->text ? FERRY_OK : ferry_error_set(err, FERRY_NO_MEMORY, "out of memory");
    }
    if (st == FERRY_OK)
        st = yaml_doc_load_string(d->text, len, path, &d->yaml, err);
    if (st != FERRY_OK)
        return st;
    const char *production = ynode_get_scalar(d->yaml, "production");
    if (production != NULL && !parse_version(production, &d->production))
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "%s: production must be a version number, got '%s'", path,
                               production);
    d->pinned = production != NULL;
    st = d->pinned ? FERRY_OK : highest_version(m, &d->production, err);
    return st == FERRY_OK ? read_archived(d, path, err) : st;
}

static bool is_archived(const deploy_state *d, uint64_t v)
{
    for (size_t i = 0; i < d->n_archived; i++)
        if (d->archived[i] == v)
            return true;
    return false;
}

/* Rewrites one top-level key of model.yaml atomically (value NULL removes it). */
static ferry_status write_key(const model_ref *m, deploy_state *d, const char *key,
                              const char *value, ferry_error *err)
{
    char *edited = NULL;
    ferry_status st = yaml_set_top_level(d->text, key, value, &edited, err);
    if (st != FERRY_OK)
        return st;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/model.yaml", m->dir);
    st = fs_write_atomic(path, edited, strlen(edited), err);
    if (st == FERRY_OK) {
        free(d->text);
        d->text = edited;
    } else {
        free(edited);
    }
    return st;
}

static ferry_status record(const model_ref *m, const char *action, const char *actor, uint64_t from,
                           uint64_t to, const char *reason, ferry_error *err)
{
    history_event ev = {.from = from, .to = to};
    snprintf(ev.actor, sizeof ev.actor, "%s", actor ? actor : "unknown");
    snprintf(ev.action, sizeof ev.action, "%s", action);
    snprintf(ev.reason, sizeof ev.reason, "%s", reason ? reason : "");
    return history_append(m->dir, m->name, &ev, err);
}

/* ------------------------------------------------------------------------------------------ */
/* Versions                                                                                     */
/* ------------------------------------------------------------------------------------------ */

static void version_dir(const model_ref *m, uint64_t v, char *out, size_t len)
{
    snprintf(out, len, "%s/%" PRIu64, m->dir, v);
}

/* Checks that version v exists and that its artifact still matches version.yaml's sha256. */
static ferry_status check_version_intact(const model_ref *m, uint64_t v, ferry_error *err)
{
    char dir[PATH_MAX], version[24];
    version_dir(m, v, dir, sizeof dir);
    if (!dir_exists(dir))
        return ferry_error_set(err, FERRY_NOT_FOUND, "model '%s' has no version %" PRIu64, m->name,
                               v);
    snprintf(version, sizeof version, "%" PRIu64, v);
    model_spec spec;
    ferry_status st = repository_read_model_version(m->dir, m->name, version, &spec, err);
    if (st != FERRY_OK)
        return st;
    char sha[HASH_SHA256_HEX_LEN + 1];
    st = hash_file_sha256(spec.artifact, sha, NULL, err);
    if (st == FERRY_OK && spec.expected_sha256[0] != '\0' && strcmp(sha, spec.expected_sha256) != 0)
        st = ferry_error_set(err, FERRY_INVALID_ARG,
                             "model '%s' version %" PRIu64
                             ": %s no longer matches its sha256 (%s, version.yaml says %s)",
                             m->name, v, spec.artifact, sha, spec.expected_sha256);
    model_spec_clear(&spec);
    return st;
}

static ferry_status set_production(const model_ref *m, deploy_state *d, uint64_t v,
                                   ferry_error *err)
{
    char value[24];
    snprintf(value, sizeof value, "%" PRIu64, v);
    return write_key(m, d, "production", value, err);
}

/* Common checks and write for deploy and rollback; *from is the production replaced. */
static ferry_status switch_production(const model_ref *m, deploy_state *d, uint64_t v,
                                      ferry_error *err)
{
    if (is_archived(d, v))
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "model '%s' version %" PRIu64 " is archived; it cannot be deployed",
                               m->name, v);
    ferry_status st = check_version_intact(m, v, err);
    if (st != FERRY_OK)
        return st;
    return set_production(m, d, v, err);
}

ferry_status registry_deploy(const char *repo, const char *name, uint64_t version,
                             const char *actor, const char *reason, bool *noop, ferry_error *err)
{
    model_ref m;
    deploy_state d = {0};
    *noop = false;
    ferry_status st = model_open(&m, repo, name, err);
    if (st == FERRY_OK)
        st = model_lock(&m, err);
    if (st == FERRY_OK)
        st = read_deploy_state(&m, &d, err);
    if (st == FERRY_OK && d.production == version) {
        char dir[PATH_MAX];
        version_dir(&m, version, dir, sizeof dir);
        *noop = dir_exists(dir);
        if (!*noop)
            st = ferry_error_set(err, FERRY_NOT_FOUND, "model '%s' has no version %" PRIu64, name,
                                 version);
    }
    uint64_t from = d.production;
    if (st == FERRY_OK && !*noop)
        st = switch_production(&m, &d, version, err);
    if (st == FERRY_OK && !*noop)
        st = record(&m, "deploy", actor, from, version, reason, err);
    deploy_state_free(&d);
    model_unlock(&m);
    return st;
}

/* The `from` of the last deploy or rollback in history; 0 when there is none. */
static ferry_status last_from(const model_ref *m, uint64_t *target, ferry_error *err)
{
    history_event *events = NULL;
    size_t count = 0, skipped = 0;
    ferry_status st = history_read(m->dir, &events, &count, &skipped, err);
    *target = 0;
    for (size_t i = count; st == FERRY_OK && i > 0; i--) {
        const history_event *ev = &events[i - 1];
        if (strcmp(ev->action, "deploy") == 0 || strcmp(ev->action, "rollback") == 0) {
            *target = ev->from;
            break;
        }
    }
    free(events);
    return st;
}

ferry_status registry_rollback(const char *repo, const char *name, uint64_t to, const char *actor,
                               const char *reason, uint64_t *deployed, ferry_error *err)
{
    model_ref m;
    deploy_state d = {0};
    ferry_status st = model_open(&m, repo, name, err);
    if (st == FERRY_OK)
        st = model_lock(&m, err);
    if (st == FERRY_OK)
        st = read_deploy_state(&m, &d, err);
    uint64_t target = to;
    if (st == FERRY_OK && target == 0) {
        st = last_from(&m, &target, err);
        if (st == FERRY_OK && target == 0)
            st = ferry_error_set(err, FERRY_NOT_FOUND,
                                 "model '%s': history has no earlier production version to "
                                 "roll back to",
                                 name);
    }
    uint64_t from = d.production;
    /* Returning to the version in production changes nothing (and is not recorded: a rollback
     * from V to V would leave nothing for the next rollback to return to). */
    bool noop = st == FERRY_OK && target == d.production;
    if (st == FERRY_OK && !noop)
        st = switch_production(&m, &d, target, err);
    if (st == FERRY_OK && !noop)
        st = record(&m, "rollback", actor, from, target, reason, err);
    if (st == FERRY_OK)
        *deployed = target;
    deploy_state_free(&d);
    model_unlock(&m);
    return st;
}

static ferry_status write_archived(const model_ref *m, deploy_state *d, ferry_error *err)
{
    char value[4096];
    size_t used = (size_t)snprintf(value, sizeof value, "[");
    for (size_t i = 0; i < d->n_archived && used < sizeof value; i++)
        used += (size_t)snprintf(value + used, sizeof value - used, "%s%" PRIu64, i ? ", " : "",
                                 d->archived[i]);
    if (used >= sizeof value - 2)
        return ferry_error_set(err, FERRY_INVALID_ARG, "model '%s': too many archived versions",
                               m->name);
    snprintf(value + used, sizeof value - used, "]");
    return write_key(m, d, "archived", value, err);
}

ferry_status registry_archive(const char *repo, const char *name, uint64_t version,
                              const char *actor, const char *reason, ferry_error *err)
{
    model_ref m;
    deploy_state d = {0};
    ferry_status st = model_open(&m, repo, name, err);
    if (st == FERRY_OK)
        st = model_lock(&m, err);
    if (st == FERRY_OK)
        st = read_deploy_state(&m, &d, err);
    char dir[PATH_MAX];
    version_dir(&m, version, dir, sizeof dir);
    if (st == FERRY_OK && !dir_exists(dir))
        st = ferry_error_set(err, FERRY_NOT_FOUND, "model '%s' has no version %" PRIu64, name,
                             version);
    if (st == FERRY_OK && d.production == version)
        st = ferry_error_set(err, FERRY_INVALID_ARG,
                             "model '%s' version %" PRIu64
                             " is in production; deploy another version before archiving it",
                             name, version);
    bool already = st == FERRY_OK && is_archived(&d, version);
    if (st == FERRY_OK && !already && d.n_archived == 256)
        st =
            ferry_error_set(err, FERRY_INVALID_ARG, "model '%s': too many archived versions", name);
    if (st == FERRY_OK && !already) {
        d.archived[d.n_archived++] = version;
        st = write_archived(&m, &d, err);
        if (st == FERRY_OK)
            st = record(&m, "archive", actor, 0, version, reason, err);
    }
    deploy_state_free(&d);
    model_unlock(&m);
    return st;
}

ferry_status registry_set_load(const char *repo, const char *name, const char *policy,
                               const char *action, const char *actor, ferry_error *err)
{
    model_ref m;
    deploy_state d = {0};
    ferry_status st = model_open(&m, repo, name, err);
    if (st == FERRY_OK)
        st = model_lock(&m, err);
    if (st == FERRY_OK)
        st = read_deploy_state(&m, &d, err);
    if (st == FERRY_OK)
        st = write_key(&m, &d, "load", policy, err);
    if (st == FERRY_OK)
        st = record(&m, action, actor, 0, 0, policy, err);
    deploy_state_free(&d);
    model_unlock(&m);
    return st;
}

ferry_status registry_history(const char *repo, const char *name, history_event **events,
                              size_t *count, size_t *skipped, ferry_error *err)
{
    model_ref m;
    ferry_status st = model_open(&m, repo, name, err);
    if (st != FERRY_OK)
        return st;
    return history_read(m.dir, events, count, skipped, err);
}

/* ------------------------------------------------------------------------------------------ */
/* Register                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/* Appends s as a double-quoted YAML string. */
static ferry_status yaml_quote(buffer *b, const char *s)
{
    ferry_status st = buffer_append_str(b, "\"");
    for (const char *c = s; st == FERRY_OK && *c != '\0'; c++) {
        if (*c == '"' || *c == '\\')
            st = buffer_printf(b, "\\%c", *c);
        else if ((unsigned char)*c < 0x20)
            st = buffer_printf(b, "\\x%02x", (unsigned char)*c);
        else
            st = buffer_append(b, c, 1);
    }
    return st == FERRY_OK ? buffer_append_str(b, "\"") : st;
}

/* A value written bare when it reads as a number, quoted otherwise. */
static ferry_status yaml_value(buffer *b, const char *s, bool numbers_bare)
{
    char *end = NULL;
    if (numbers_bare && s[0] != '\0') {
        strtod(s, &end);
        if (*end == '\0' && strspn(s, "0123456789+-.eE") == strlen(s))
            return buffer_append_str(b, s);
    }
    return yaml_quote(b, s);
}

static ferry_status yaml_pairs(buffer *b, const char *key, const registry_pair *pairs, size_t n,
                               bool numbers_bare)
{
    if (n == 0)
        return FERRY_OK;
    ferry_status st = buffer_printf(b, "%s:\n", key);
    for (size_t i = 0; st == FERRY_OK && i < n; i++) {
        st = buffer_append_str(b, "  ");
        if (st == FERRY_OK)
            st = yaml_quote(b, pairs[i].key);
        if (st == FERRY_OK)
            st = buffer_append_str(b, ": ");
        if (st == FERRY_OK)
            st = yaml_value(b, pairs[i].value, numbers_bare);
        if (st == FERRY_OK)
            st = buffer_append_str(b, "\n");
    }
    return st;
}

/* The training data's fingerprint: sha256, data rows (header excluded) and column names. */
static ferry_status data_fingerprint(buffer *b, const char *path, ferry_error *err)
{
    char sha[HASH_SHA256_HEX_LEN + 1];
    ferry_status st = hash_file_sha256(path, sha, NULL, err);
    csv_reader *csv = NULL;
    if (st == FERRY_OK)
        st = csv_open(path, &csv, err);
    char **fields;
    size_t n = 0;
    if (st == FERRY_OK)
        st = csv_next(csv, &fields, &n, err);
    if (st == FERRY_OK && n == 0)
        st = ferry_error_set(err, FERRY_INVALID_ARG, "%s: empty CSV (no header row)", path);
    if (st == FERRY_OK)
        st = buffer_append_str(b, "training_data:\n  path: ");
    if (st == FERRY_OK)
        st = yaml_quote(b, path);
    if (st == FERRY_OK)
        st = buffer_printf(b, "\n  sha256: %s\n  columns: [", sha);
    for (size_t i = 0; st == FERRY_OK && i < n; i++) {
        st = i ? buffer_append_str(b, ", ") : FERRY_OK;
        if (st == FERRY_OK)
            st = yaml_quote(b, fields[i]);
    }
    uint64_t rows = 0;
    size_t row_fields = 1;
    while (st == FERRY_OK && (st = csv_next(csv, &fields, &row_fields, err)) == FERRY_OK &&
           row_fields > 0)
        rows += row_fields > 1 || fields[0][0] != '\0'; /* blank lines are not rows */
    if (st == FERRY_OK)
        st = buffer_printf(b, "]\n  rows: %" PRIu64 "\n", rows);
    if (st == FERRY_NO_MEMORY || st == FERRY_TOO_LARGE)
        st = ferry_error_set(err, FERRY_NO_MEMORY, "out of memory writing version.yaml");
    csv_close(csv);
    return st;
}

static ferry_status version_yaml_text(buffer *b, const registry_register_options *o,
                                      const char *backend, const char *artifact_name,
                                      const char *sha, uint64_t size, const char *actor,
                                      ferry_error *err)
{
    char created[40];
    history_now(created, sizeof created);
    const char *author = o->author ? o->author : getenv("USER") ? getenv("USER") : actor;
    ferry_status st = buffer_printf(b,
                                    "# Written by ferry register; a version never changes after.\n"
                                    "sha256: %s\nsize: %" PRIu64 "\nbackend: %s\nartifact: %s\n"
                                    "created: %s\nauthor: ",
                                    sha, size, backend, artifact_name, created);
    if (st == FERRY_OK)
        st = yaml_quote(b, author ? author : "unknown");
    if (st == FERRY_OK && o->parent)
        st = buffer_printf(b, "\nparent: %" PRIu64, o->parent);
    if (st == FERRY_OK && o->run_id) {
        st = buffer_append_str(b, "\nrun_id: ");
        st = st == FERRY_OK ? yaml_quote(b, o->run_id) : st;
    }
    if (st == FERRY_OK && o->notes) {
        st = buffer_append_str(b, "\nnotes: ");
        st = st == FERRY_OK ? yaml_quote(b, o->notes) : st;
    }
    if (st == FERRY_OK)
        st = buffer_append_str(b, "\n");
    if (st == FERRY_OK)
        st = yaml_pairs(b, "metrics", o->metrics, o->n_metrics, true);
    if (st == FERRY_OK)
        st = yaml_pairs(b, "params", o->params, o->n_params, true);
    if (st == FERRY_OK)
        st = yaml_pairs(b, "tags", o->tags, o->n_tags, false);
    if (st != FERRY_OK)
        return ferry_error_set(err, FERRY_NO_MEMORY, "out of memory writing version.yaml");
    return o->data ? data_fingerprint(b, o->data, err) : FERRY_OK;
}

/* The artifact's name inside the version folder: its own name when the backend knows it, else the
 * backend's artifact name with the same extension, else the backend's first. */
static const char *artifact_name_for(const ferry_backend *backend, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *ext = strrchr(base, '.');
    for (const char *const *a = backend->artifacts; *a != NULL; a++)
        if (strcmp(*a, base) == 0)
            return *a;
    for (const char *const *a = backend->artifacts; ext != NULL && *a != NULL; a++) {
        const char *aext = strrchr(*a, '.');
        if (aext != NULL && strcmp(aext, ext) == 0)
            return *a;
    }
    return backend->artifacts[0];
}

/* Removes temporary folders a killed register left behind (we hold the lock: none is live). */
static void remove_stale_temporaries(const model_ref *m)
{
    DIR *dir = opendir(m->dir);
    if (dir == NULL)
        return;
    struct dirent *ent;
    char path[PATH_MAX];
    while ((ent = readdir(dir)) != NULL) {
        if (strncmp(ent->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", m->dir, ent->d_name);
        fs_remove_tree(path);
    }
    closedir(dir);
}

static ferry_status next_version(const model_ref *m, uint64_t *next, ferry_error *err)
{
    uint64_t highest = 0;
    ferry_status st = highest_version(m, &highest, err);
    *next = highest + 1;
    return st;
}

/* Writes the version into a temporary folder and renames it into place. */
static ferry_status publish_version(const model_ref *m, const registry_register_options *o,
                                    const char *artifact_name, const buffer *yaml,
                                    uint64_t *version, ferry_error *err)
{
    const char *artifact = o->artifact;
    char tmp[PATH_MAX], path[PATH_MAX], final[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s/" TMP_PREFIX "XXXXXX", m->dir);
    if (mkdtemp(tmp) == NULL)
        return ferry_error_set(err, FERRY_IO, "cannot create a folder in %s: %s", m->dir,
                               strerror(errno));
    snprintf(path, sizeof path, "%s/%s", tmp, artifact_name);
    ferry_status st = fs_copy_file(artifact, path, err);
    snprintf(path, sizeof path, "%s/version.yaml", tmp);
    if (st == FERRY_OK)
        st = fs_write_atomic(path, yaml->data, yaml->len, err);
    snprintf(path, sizeof path, "%s/profile.json", tmp);
    if (st == FERRY_OK && o->profile_json != NULL)
        st = fs_write_atomic(path, o->profile_json, o->profile_json_len, err);
    if (st == FERRY_OK && chmod(tmp, 0755) != 0)
        st = ferry_error_set(err, FERRY_IO, "cannot chmod %s: %s", tmp, strerror(errno));
    if (st == FERRY_OK)
        st = next_version(m, version, err);
    if (st == FERRY_OK) {
        version_dir(m, *version, final, sizeof final);
        if (rename(tmp, final) != 0)
            st = ferry_error_set(err, FERRY_IO, "cannot rename %s to %s: %s", tmp, final,
                                 strerror(errno));
    }
    if (st == FERRY_OK)
        st = fs_fsync_dir(m->dir, err);
    if (st != FERRY_OK)
        fs_remove_tree(tmp);
    return st;
}

static ferry_status create_model(const char *repo, const char *name, ferry_error *err)
{
    char dir[PATH_MAX], yaml[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/%s", repo, name);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return ferry_error_set(err, FERRY_IO, "cannot create %s: %s", dir, strerror(errno));
    snprintf(yaml, sizeof yaml, "%s/model.yaml", dir);
    static const char text[] = "# Endpoint config; see docs/configuration.md.\n";
    if (access(yaml, F_OK) == 0)
        return FERRY_OK;
    ferry_status st = fs_write_atomic(yaml, text, strlen(text), err);
    return st == FERRY_OK ? fs_fsync_dir(repo, err) : st;
}

/* Detects the backend and hashes the artifact. */
static ferry_status inspect_artifact(const char *artifact, const ferry_backend **backend, char *sha,
                                     uint64_t *size, ferry_error *err)
{
    model_spec spec;
    ferry_status st = repository_read_artifact(artifact, "artifact", &spec, err);
    if (st != FERRY_OK)
        return st;
    *backend = spec.backend;
    model_spec_clear(&spec);
    return hash_file_sha256(artifact, sha, size, err);
}

ferry_status registry_register(const char *repo, const char *name,
                               const registry_register_options *opts, const char *actor,
                               uint64_t *version, ferry_error *err)
{
    if (!dir_exists(repo))
        return ferry_error_set(err, FERRY_NOT_FOUND, "model repository %s does not exist", repo);
    model_ref m;
    ferry_status st = model_open(&m, repo, name, err);
    if (st == FERRY_NOT_FOUND && opts->create)
        st =
            create_model(repo, name, err) == FERRY_OK ? model_open(&m, repo, name, err) : err->code;
    else if (st == FERRY_NOT_FOUND)
        return ferry_error_set(err, FERRY_NOT_FOUND,
                               "unknown model '%s' in %s (add --create to start a new model)", name,
                               repo);
    const ferry_backend *backend = NULL;
    char sha[HASH_SHA256_HEX_LEN + 1];
    uint64_t size = 0;
    if (st == FERRY_OK)
        st = inspect_artifact(opts->artifact, &backend, sha, &size, err);
    buffer yaml;
    buffer_init(&yaml, 1u << 20);
    const char *artifact_name = backend ? artifact_name_for(backend, opts->artifact) : "";
    if (st == FERRY_OK)
        st = version_yaml_text(&yaml, opts, backend->name, artifact_name, sha, size, actor, err);
    deploy_state d = {0};
    if (st == FERRY_OK)
        st = model_lock(&m, err);
    if (st == FERRY_OK) {
        remove_stale_temporaries(&m);
        st = read_deploy_state(&m, &d, err);
    }
    if (st == FERRY_OK)
        st = publish_version(&m, opts, artifact_name, &yaml, version, err);
    if (st == FERRY_OK)
        st = record(&m, "register", actor, 0, *version, opts->notes, err);
    if (st == FERRY_OK && d.production == 0) {
        st = set_production(&m, &d, *version, err);
        if (st == FERRY_OK)
            st = record(&m, "deploy", actor, 0, *version, "first version", err);
    } else if (st == FERRY_OK && !d.pinned) {
        /* The highest version served until now; pin it so that the new one does not take over. */
        st = set_production(&m, &d, d.production, err);
    }
    deploy_state_free(&d);
    buffer_free(&yaml);
    model_unlock(&m);
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* Listing                                                                                      */
/* ------------------------------------------------------------------------------------------ */

const char *registry_state_name(registry_version_state state)
{
    static const char *const names[] = {"production", "candidate", "archived", "available"};
    return (unsigned)state < 4 ? names[state] : "unknown";
}

static bool ever_deployed(const history_event *events, size_t count, uint64_t v)
{
    for (size_t i = 0; i < count; i++)
        if (events[i].to == v &&
            (strcmp(events[i].action, "deploy") == 0 || strcmp(events[i].action, "rollback") == 0))
            return true;
    return false;
}

static void fill_version_info(const model_ref *m, const deploy_state *d,
                              const history_event *events, size_t n_events,
                              registry_version_info *info)
{
    uint64_t v = info->version;
    if (v == d->production)
        info->state = VERSION_PRODUCTION;
    else if (is_archived(d, v))
        info->state = VERSION_ARCHIVED;
    else if (v > d->production && !ever_deployed(events, n_events, v))
        info->state = VERSION_CANDIDATE;
    else
        info->state = VERSION_AVAILABLE;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%" PRIu64 "/version.yaml", m->dir, v);
    ynode *yaml = NULL;
    ferry_error ignored;
    json_t *json = NULL;
    if (yaml_doc_load_file(path, &yaml, &ignored) == FERRY_OK) {
        snprintf(info->created, sizeof info->created, "%s",
                 ynode_get_scalar(yaml, "created") ? ynode_get_scalar(yaml, "created") : "");
        snprintf(info->author, sizeof info->author, "%s",
                 ynode_get_scalar(yaml, "author") ? ynode_get_scalar(yaml, "author") : "");
        snprintf(info->backend, sizeof info->backend, "%s",
                 ynode_get_scalar(yaml, "backend") ? ynode_get_scalar(yaml, "backend") : "");
        snprintf(info->sha256, sizeof info->sha256, "%s",
                 ynode_get_scalar(yaml, "sha256") ? ynode_get_scalar(yaml, "sha256") : "");
        json = ynode_to_json(yaml);
        ynode_free(yaml);
    }
    info->version_yaml_json =
        json ? json_dumps(json, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))
             : NULL;
    json_decref(json);
    if (info->version_yaml_json == NULL)
        info->version_yaml_json = strdup("{}");
}

void registry_free_versions(registry_version_info *versions, size_t count)
{
    for (size_t i = 0; versions != NULL && i < count; i++)
        free(versions[i].version_yaml_json);
    free(versions);
}

ferry_status registry_list_versions(const char *repo, const char *name,
                                    registry_version_info **versions, size_t *count,
                                    uint64_t *production, ferry_error *err)
{
    model_ref m;
    deploy_state d = {0};
    uint64_t *numbers = NULL;
    history_event *events = NULL;
    size_t n_numbers = 0, n_events = 0, skipped = 0;
    *versions = NULL;
    *count = 0;
    ferry_status st = model_open(&m, repo, name, err);
    if (st == FERRY_OK)
        st = read_deploy_state(&m, &d, err);
    if (st == FERRY_OK)
        st = repository_list_versions(m.dir, &numbers, &n_numbers, err);
    if (st == FERRY_OK)
        st = history_read(m.dir, &events, &n_events, &skipped, err);
    if (st == FERRY_OK && n_numbers > 0) {
        *versions = calloc(n_numbers, sizeof **versions);
        if (*versions == NULL)
            st = ferry_error_set(err, FERRY_NO_MEMORY, "out of memory");
    }
    for (size_t i = 0; st == FERRY_OK && i < n_numbers; i++) {
        (*versions)[i].version = numbers[i];
        fill_version_info(&m, &d, events, n_events, &(*versions)[i]);
        (*count)++;
    }
    if (st == FERRY_OK)
        *production = d.production;
    free(numbers);
    free(events);
    deploy_state_free(&d);
    return st;
}
