/* --model PATH loading shared by predict and perf; see model_path.h. */
#include "cli/model_path.h"

#include <stdio.h>
#include <string.h>

#include "serving/repository.h"

/* Sets each option over the spec's, replacing one of the same key. */
static ferry_status set_options(model_spec *spec, const ferry_option *options, size_t n,
                                ferry_error *err)
{
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < spec->n_options && strcmp(spec->options[k].key, options[i].key) != 0)
            k++;
        if (k == REPOSITORY_MAX_OPTIONS)
            return ferry_error_set(err, FERRY_INVALID_ARG, "more than %d options",
                                   REPOSITORY_MAX_OPTIONS);
        spec->options[k] = options[i];
        if (k == spec->n_options)
            spec->n_options++;
    }
    return FERRY_OK;
}

model_version *cli_load_model(const char *cmd, const char *path, const ferry_option *options,
                              size_t n_options)
{
    model_spec spec;
    ferry_error err;
    model_version *mv = NULL;
    ferry_status st = repository_read_path(path, NULL, &spec, &err);
    if (st == FERRY_OK) {
        st = set_options(&spec, options, n_options, &err);
        if (st == FERRY_OK)
            st = model_version_load(&spec, &mv, &err);
        model_spec_clear(&spec);
    }
    if (st != FERRY_OK) {
        fprintf(stderr, "ferry %s: %s\n", cmd, err.message);
        return NULL;
    }
    return mv;
}
