/* Loading the model a CLI command names with --model PATH (artifact, version or model folder). */
#ifndef FERRY_CLI_MODEL_PATH_H
#define FERRY_CLI_MODEL_PATH_H

#include "serving/model_version.h"

/* Loads PATH with backend options[0..n_options) set over model.yaml's (a key given here wins);
 * prints "ferry CMD: <error>" and returns NULL on failure. The caller releases the version with
 * model_version_release. */
model_version *cli_load_model(const char *cmd, const char *path, const ferry_option *options,
                              size_t n_options);

#endif
