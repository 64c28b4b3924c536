/* Built-in backend table; see registry.h. */
#include "backends/registry.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "backends/onnx.h"
#include "backends/xgboost.h"

static const ferry_backend *const builtin_backends[] = {
    &xgboost_backend,
    &onnx_backend,
};
#define N_BACKENDS (sizeof builtin_backends / sizeof builtin_backends[0])

const ferry_backend *backend_by_name(const char *name)
{
    for (size_t i = 0; i < N_BACKENDS; i++)
        if (strcmp(builtin_backends[i]->name, name) == 0)
            return builtin_backends[i];
    return NULL;
}

const ferry_backend *backend_for_artifact(const char *file_name)
{
    for (size_t i = 0; i < N_BACKENDS; i++)
        for (const char *const *a = builtin_backends[i]->artifacts; *a != NULL; a++)
            if (strcmp(*a, file_name) == 0)
                return builtin_backends[i];
    return NULL;
}

const char *backend_artifact_names(void)
{
    static char names[256];
    if (names[0] != '\0')
        return names;
    size_t len = 0;
    for (size_t i = 0; i < N_BACKENDS; i++)
        for (const char *const *a = builtin_backends[i]->artifacts; *a != NULL; a++)
            len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", len ? ", " : "", *a);
    return names;
}

ferry_status backend_find_artifact(const char *version_dir, const ferry_backend *backend,
                                   char *path, size_t path_len, const ferry_backend **found,
                                   ferry_error *err)
{
    for (size_t i = 0; i < N_BACKENDS; i++) {
        if (backend != NULL && builtin_backends[i] != backend)
            continue;
        for (const char *const *a = builtin_backends[i]->artifacts; *a != NULL; a++) {
            int n = snprintf(path, path_len, "%s/%s", version_dir, *a);
            if (n < 0 || (size_t)n >= path_len)
                return ferry_error_set(err, FERRY_INVALID_ARG, "%s: path too long", version_dir);
            struct stat st;
            if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                *found = builtin_backends[i];
                return FERRY_OK;
            }
        }
    }
    /* Name the files looked for (not the backend): that is what belongs in the folder. */
    char names[256] = "";
    size_t len = 0;
    if (backend != NULL)
        for (const char *const *a = backend->artifacts; *a != NULL && len < sizeof names; a++)
            len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", len ? ", " : "", *a);
    return ferry_error_set(err, FERRY_NOT_FOUND, "%s: no model artifact found (looked for %s)",
                           version_dir, backend ? names : backend_artifact_names());
}
