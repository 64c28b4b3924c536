/* --model PATH loading shared by predict and perf; see model_path.h. */
#include "cli/model_path.h"

#include <stdio.h>

#include "serving/repository.h"

model_version *cli_load_model(const char *cmd, const char *path)
{
    model_spec spec;
    ferry_error err;
    model_version *mv = NULL;
    ferry_status st = repository_read_path(path, NULL, &spec, &err);
    if (st == FERRY_OK) {
        st = model_version_load(&spec, &mv, &err);
        model_spec_clear(&spec);
    }
    if (st != FERRY_OK) {
        fprintf(stderr, "ferry %s: %s\n", cmd, err.message);
        return NULL;
    }
    return mv;
}
