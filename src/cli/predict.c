/* `ferry predict --model PATH --input FILE|-`: one OIP v2 inference request run without a server,
 * through the same decode, inference and encode code as the server; the response JSON on stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/model_path.h"
#include "core/clock.h"
#include "core/log.h"
#include "protocol/oip_infer.h"

static const char predict_help[] =
    "usage: ferry predict --model PATH --input FILE|-\n"
    "\n"
    "Runs one OIP v2 inference request (JSON) and prints the OIP v2 response on stdout.\n"
    "  --model PATH   an artifact (model.json), a version folder (REPO/NAME/3) or a model\n"
    "                 folder (REPO/NAME: its production version)\n"
    "  --input FILE   the request; - reads standard input\n";

#define PREDICT_ARENA_MAX ((size_t)1 << 34)

static int run_request(model_version *mv, const char *body, size_t len)
{
    arena scratch;
    arena_init(&scratch, PREDICT_ARENA_MAX);
    buffer out;
    buffer_init(&out, (size_t)1 << 34);
    oip_infer_result result;
    ferry_error err;
    int rc = CLI_FAILURE;
    infer_call call;
    infer_call_begin(&call, NULL, NULL, "cli", clock_now_ns());
    infer_call_attach(&call, mv);
    ferry_status st = oip_infer_json(&call, body, len, NULL, &scratch, &out, &result, &err);
    infer_call_end(&call, st == FERRY_OK, NULL);
    if (st != FERRY_OK)
        fprintf(stderr, "ferry predict: %s\n", err.message);
    else if (fwrite(out.data, 1, out.len, stdout) != out.len || putchar('\n') == EOF)
        fprintf(stderr, "ferry predict: cannot write the response\n");
    else
        rc = CLI_OK;
    buffer_free(&out);
    arena_free(&scratch);
    return rc;
}

int cli_predict(int argc, char **argv)
{
    const char *model = NULL, *input = NULL;
    for (int i = 1; i < argc; i++) {
        bool bad = false;
        if (cli_is_help(argv[i])) {
            fputs(predict_help, stdout);
            return CLI_OK;
        }
        if (cli_option(argc, argv, &i, "--model", &model, &bad) ||
            cli_option(argc, argv, &i, "--input", &input, &bad)) {
            if (bad)
                return CLI_USAGE;
            continue;
        }
        fprintf(stderr, "ferry predict: unknown argument '%s' (see --help)\n", argv[i]);
        return CLI_USAGE;
    }
    if (model == NULL || input == NULL) {
        fprintf(stderr, "ferry predict: --model and --input are required (see --help)\n");
        return CLI_USAGE;
    }
    log_set_level(LOG_WARN);
    size_t len = 0;
    char *body = cli_read_file("predict", input, &len);
    if (body == NULL)
        return CLI_FAILURE;
    model_version *mv = cli_load_model("predict", model, NULL, 0);
    int rc = mv != NULL ? run_request(mv, body, len) : CLI_FAILURE;
    model_version_release(mv);
    free(body);
    return rc;
}
