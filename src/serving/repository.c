/* Reading the model repository folder into model specs; see repository.h. */
#include "serving/repository.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backends/registry.h"

void model_spec_clear(model_spec *spec)
{
    if (spec == NULL)
        return;
    ynode_free(spec->model_yaml);
    ynode_free(spec->version_yaml);
    spec->model_yaml = NULL;
    spec->version_yaml = NULL;
    spec->n_options = 0;
}

bool repository_valid_model_name(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len >= REPOSITORY_NAME_MAX || name[0] == '.')
        return false;
    for (const char *c = name; *c != '\0'; c++)
        if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-' && *c != '.')
            return false;
    return true;
}

/* Parses a version folder name: digits only, no leading zero, fits in uint64. */
static bool parse_version_number(const char *s, uint64_t *out)
{
    if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0') || strlen(s) > 19)
        return false;
    uint64_t v = 0;
    for (const char *c = s; *c != '\0'; c++) {
        if (!isdigit((unsigned char)*c))
            return false;
        v = v * 10 + (uint64_t)(*c - '0');
    }
    *out = v;
    return v > 0;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int compare_versions(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

void repository_free_names(char **names, size_t count)
{
    if (names == NULL)
        return;
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

/* Appends a copy of name to a growing array; false when out of memory. */
static bool names_push(char ***names, size_t *count, const char *name)
{
    char **grown = realloc(*names, (*count + 1) * sizeof *grown);
    if (grown == NULL)
        return false;
    *names = grown;
    grown[*count] = strdup(name);
    if (grown[*count] == NULL)
        return false;
    (*count)++;
    return true;
}

ferry_status repository_list_models(const char *repo, char ***names, size_t *count,
                                    ferry_error *err)
{
    DIR *dir = opendir(repo);
    if (dir == NULL)
        return ferry_error_set(err, errno == ENOENT ? FERRY_NOT_FOUND : FERRY_IO,
                               "model repository %s: %s", repo, strerror(errno));
    *names = NULL;
    *count = 0;
    ferry_status st = FERRY_OK;
    struct dirent *ent;
    char path[PATH_MAX];
    while ((ent = readdir(dir)) != NULL) {
        if (!repository_valid_model_name(ent->d_name))
            continue;
        if (snprintf(path, sizeof path, "%s/%s", repo, ent->d_name) >= (int)sizeof path ||
            !is_dir(path))
            continue;
        if (!names_push(names, count, ent->d_name)) {
            st = ferry_error_set(err, FERRY_NO_MEMORY, "model repository %s: out of memory", repo);
            break;
        }
    }
    closedir(dir);
    if (st != FERRY_OK) {
        repository_free_names(*names, *count);
        *names = NULL;
        *count = 0;
        return st;
    }
    if (*count > 1) /* an empty list is NULL, which qsort must not be given */
        qsort(*names, *count, sizeof **names, compare_names);
    return FERRY_OK;
}

ferry_status repository_list_versions(const char *model_dir, uint64_t **versions, size_t *count,
                                      ferry_error *err)
{
    DIR *dir = opendir(model_dir);
    if (dir == NULL)
        return ferry_error_set(err, errno == ENOENT ? FERRY_NOT_FOUND : FERRY_IO, "%s: %s",
                               model_dir, strerror(errno));
    *versions = NULL;
    *count = 0;
    ferry_status st = FERRY_OK;
    struct dirent *ent;
    char path[PATH_MAX];
    while ((ent = readdir(dir)) != NULL) {
        uint64_t v;
        if (!parse_version_number(ent->d_name, &v))
            continue;
        if (snprintf(path, sizeof path, "%s/%s", model_dir, ent->d_name) >= (int)sizeof path ||
            !is_dir(path))
            continue;
        uint64_t *grown = realloc(*versions, (*count + 1) * sizeof *grown);
        if (grown == NULL) {
            st = ferry_error_set(err, FERRY_NO_MEMORY, "%s: out of memory", model_dir);
            break;
        }
        *versions = grown;
        grown[(*count)++] = v;
    }
    closedir(dir);
    if (st != FERRY_OK) {
        free(*versions);
        *versions = NULL;
        *count = 0;
        return st;
    }
    if (*count > 1) /* an empty list is NULL, which qsort must not be given */
        qsort(*versions, *count, sizeof **versions, compare_versions);
    return FERRY_OK;
}

/* Collects model.yaml's `options:` map into spec->options (strings borrowed from the tree). */
static ferry_status read_options(model_spec *spec, const char *yaml_path, ferry_error *err)
{
    const ynode *options = ynode_get(spec->model_yaml, "options");
    if (options == NULL)
        return FERRY_OK;
    if (options->kind != YNODE_MAP)
        return ferry_error_set(err, FERRY_INVALID_ARG, "%s: line %d: 'options' must be a mapping",
                               yaml_path, options->line);
    if (options->n > REPOSITORY_MAX_OPTIONS)
        return ferry_error_set(err, FERRY_INVALID_ARG, "%s: more than %d options", yaml_path,
                               REPOSITORY_MAX_OPTIONS);
    for (size_t i = 0; i < options->n; i++) {
        if (options->items[i]->kind != YNODE_SCALAR)
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "%s: line %d: option '%s' must be a scalar", yaml_path,
                                   options->items[i]->line, options->keys[i]);
        spec->options[i] = (ferry_option){options->keys[i], options->items[i]->scalar};
    }
    spec->n_options = options->n;
    return FERRY_OK;
}

/* Reads version.yaml's sha256 and size (both optional) into the spec. */
static ferry_status read_version_yaml(model_spec *spec, const char *version_dir, ferry_error *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/version.yaml", version_dir);
    ferry_status st = yaml_doc_load_file(path, &spec->version_yaml, err);
    if (st == FERRY_NOT_FOUND)
        return FERRY_OK;
    if (st != FERRY_OK)
        return st;
    if (spec->version_yaml->kind != YNODE_MAP)
        return ferry_error_set(err, FERRY_INVALID_ARG, "%s: must be a mapping", path);
    const char *sha = ynode_get_scalar(spec->version_yaml, "sha256");
    if (sha != NULL) {
        if (strlen(sha) != 64 || strspn(sha, "0123456789abcdefABCDEF") != 64)
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "%s: sha256 must be 64 hex digits, got '%s'", path, sha);
        for (int i = 0; i < 65; i++)
            spec->expected_sha256[i] = (char)tolower((unsigned char)sha[i]);
    }
    const char *size = ynode_get_scalar(spec->version_yaml, "size");
    if (size != NULL) {
        char *end;
        errno = 0;
        long long n = strtoll(size, &end, 10);
        if (errno != 0 || *end != '\0' || n < 0)
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "%s: size must be a byte count, got '%s'", path, size);
        spec->expected_size = n;
    }
    return FERRY_OK;
}

/* Picks the backend (model.yaml `backend:`, else version.yaml's, else by artifact) and finds the
 * artifact in the version folder. */
static ferry_status find_backend_and_artifact(model_spec *spec, const char *version_dir,
                                              ferry_error *err)
{
    const char *wanted = ynode_get_scalar(spec->model_yaml, "backend");
    if (wanted == NULL)
        wanted = ynode_get_scalar(spec->version_yaml, "backend");
    const ferry_backend *backend = NULL;
    if (wanted != NULL) {
        backend = backend_by_name(wanted);
        if (backend == NULL)
            return ferry_error_set(err, FERRY_UNSUPPORTED,
                                   "model '%s' version %s: unknown backend '%s' (known: xgboost)",
                                   spec->name, spec->version, wanted);
    }
    return backend_find_artifact(version_dir, backend, spec->artifact, sizeof spec->artifact,
                                 &spec->backend, err);
}

static ferry_status spec_start(model_spec *spec, const char *name, ferry_error *err)
{
    memset(spec, 0, sizeof *spec);
    spec->expected_size = -1;
    if (strlen(name) >= sizeof spec->name)
        return ferry_error_set(err, FERRY_INVALID_ARG, "model name '%.40s...' is too long", name);
    strcpy(spec->name, name);
    return FERRY_OK;
}

static ferry_status load_model_yaml(model_spec *spec, const char *model_dir, char *yaml_path,
                                    size_t yaml_path_len, ferry_error *err)
{
    snprintf(yaml_path, yaml_path_len, "%s/model.yaml", model_dir);
    ferry_status st = yaml_doc_load_file(yaml_path, &spec->model_yaml, err);
    if (st == FERRY_NOT_FOUND)
        st = yaml_doc_load_string("", 0, yaml_path, &spec->model_yaml, err);
    if (st != FERRY_OK)
        return st;
    if (spec->model_yaml->kind != YNODE_MAP)
        return ferry_error_set(err, FERRY_INVALID_ARG, "%s: must be a mapping", yaml_path);
    return read_options(spec, yaml_path, err);
}

/* Chooses the version: model.yaml's production, else the highest version folder. */
static ferry_status choose_version(model_spec *spec, const char *model_dir, const char *yaml_path,
                                   ferry_error *err)
{
    const char *production = ynode_get_scalar(spec->model_yaml, "production");
    uint64_t v;
    if (production != NULL) {
        if (!parse_version_number(production, &v))
            return ferry_error_set(err, FERRY_INVALID_ARG,
                                   "%s: production must be a version number, got '%s'", yaml_path,
                                   production);
    } else {
        uint64_t *versions;
        size_t count;
        ferry_status st = repository_list_versions(model_dir, &versions, &count, err);
        if (st != FERRY_OK)
            return st;
        if (count == 0) {
            free(versions);
            return ferry_error_set(err, FERRY_NOT_FOUND, "model '%s': %s has no version folders",
                                   spec->name, model_dir);
        }
        v = versions[count - 1];
        free(versions);
    }
    snprintf(spec->version, sizeof spec->version, "%" PRIu64, v);
    return FERRY_OK;
}

static ferry_status read_version_folder(model_spec *spec, const char *model_dir, ferry_error *err)
{
    char version_dir[PATH_MAX];
    if (snprintf(version_dir, sizeof version_dir, "%s/%s", model_dir, spec->version) >=
        (int)sizeof version_dir)
        return ferry_error_set(err, FERRY_INVALID_ARG, "%s: path too long", model_dir);
    if (!is_dir(version_dir))
        return ferry_error_set(err, FERRY_NOT_FOUND, "model '%s' version %s: %s does not exist",
                               spec->name, spec->version, version_dir);
    ferry_status st = read_version_yaml(spec, version_dir, err);
    if (st == FERRY_OK)
        st = find_backend_and_artifact(spec, version_dir, err);
    return st;
}

static ferry_status read_model(const char *model_dir, const char *name, const char *version,
                               model_spec *spec, ferry_error *err)
{
    ferry_status st = spec_start(spec, name, err);
    if (st != FERRY_OK)
        return st;
    if (!is_dir(model_dir))
        return ferry_error_set(err, FERRY_NOT_FOUND, "model '%s': %s is not a folder", name,
                               model_dir);
    char yaml_path[PATH_MAX];
    st = load_model_yaml(spec, model_dir, yaml_path, sizeof yaml_path, err);
    if (st == FERRY_OK && version == NULL) {
        st = choose_version(spec, model_dir, yaml_path, err);
    } else if (st == FERRY_OK) {
        uint64_t v;
        if (!parse_version_number(version, &v))
            st = ferry_error_set(err, FERRY_INVALID_ARG,
                                 "model '%s': version must be a positive number, got '%s'", name,
                                 version);
        else
            snprintf(spec->version, sizeof spec->version, "%" PRIu64, v);
    }
    if (st == FERRY_OK)
        st = read_version_folder(spec, model_dir, err);
    if (st != FERRY_OK)
        model_spec_clear(spec);
    return st;
}

ferry_status repository_read_model(const char *model_dir, const char *name, model_spec *spec,
                                   ferry_error *err)
{
    return read_model(model_dir, name, NULL, spec, err);
}

ferry_status repository_read_model_version(const char *model_dir, const char *name,
                                           const char *version, model_spec *spec, ferry_error *err)
{
    return read_model(model_dir, name, version, spec, err);
}

ferry_status repository_read_artifact(const char *artifact, const char *name, model_spec *spec,
                                      ferry_error *err)
{
    const char *base = strrchr(artifact, '/');
    base = base ? base + 1 : artifact;
    char stem[REPOSITORY_NAME_MAX];
    if (name == NULL) { /* `ferry serve ARTIFACT` without --name: the file name sans extension */
        snprintf(stem, sizeof stem, "%s", base);
        char *dot = strrchr(stem, '.');
        if (dot != NULL && dot != stem)
            *dot = '\0';
        name = stem;
    }
    ferry_status st = spec_start(spec, name, err);
    if (st != FERRY_OK)
        return st;
    spec->backend = backend_for_artifact(base);
    if (spec->backend == NULL) {
        /* Fall back on the extension so that renamed artifacts (bc.json) still load. */
        const char *ext = strrchr(base, '.');
        if (ext != NULL && (strcmp(ext, ".json") == 0 || strcmp(ext, ".ubj") == 0))
            spec->backend = backend_by_name("xgboost");
    }
    if (spec->backend == NULL)
        return ferry_error_set(err, FERRY_UNSUPPORTED,
                               "%s: unknown artifact type (ferry serves %s)", artifact,
                               backend_artifact_names());
    struct stat sb;
    if (stat(artifact, &sb) != 0 || !S_ISREG(sb.st_mode))
        return ferry_error_set(err, FERRY_NOT_FOUND, "%s: no such file", artifact);
    if (strlen(artifact) >= sizeof spec->artifact)
        return ferry_error_set(err, FERRY_INVALID_ARG, "%s: path too long", artifact);
    strcpy(spec->artifact, artifact);
    return yaml_doc_load_string("", 0, artifact, &spec->model_yaml, err);
}

/* Splits path into its parent folder and last component (trailing slashes ignored). */
static void split_last(const char *path, char *parent, size_t parent_len, char *last,
                       size_t last_len)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    size_t n = strlen(tmp);
    while (n > 1 && tmp[n - 1] == '/')
        tmp[--n] = '\0';
    char *slash = strrchr(tmp, '/');
    if (slash == NULL) {
        snprintf(parent, parent_len, ".");
        snprintf(last, last_len, "%s", tmp);
    } else {
        snprintf(last, last_len, "%s", slash + 1);
        *slash = '\0';
        snprintf(parent, parent_len, "%s", slash == tmp ? "/" : tmp);
    }
}

ferry_status repository_read_path(const char *path, const char *name, model_spec *spec,
                                  ferry_error *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return ferry_error_set(err, FERRY_NOT_FOUND, "%s: %s", path, strerror(errno));
    char parent[PATH_MAX], last[PATH_MAX];
    split_last(path, parent, sizeof parent, last, sizeof last);
    if (S_ISREG(sb.st_mode)) {
        char stem[REPOSITORY_NAME_MAX];
        snprintf(stem, sizeof stem, "%s", last);
        char *dot = strrchr(stem, '.');
        if (dot != NULL && dot != stem)
            *dot = '\0';
        return repository_read_artifact(path, name ? name : stem, spec, err);
    }
    uint64_t v;
    if (parse_version_number(last, &v)) {
        char grand[PATH_MAX], model_name[PATH_MAX];
        split_last(parent, grand, sizeof grand, model_name, sizeof model_name);
        return repository_read_model_version(parent, name ? name : model_name, last, spec, err);
    }
    return repository_read_model(path, name ? name : last, spec, err);
}
