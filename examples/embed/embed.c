/* A complete program that embeds ferry: open a model, run one row through it, print the output.
 * Build: make (it becomes build/embed_example). Run: build/embed_example
 * examples/models/breast_cancer */
#include <stdio.h>
#include <stdlib.h>

#include "ferry/ferry.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s MODEL_PATH\n", argv[0]);
        return 2;
    }
    ferry_error err;
    ferry_model *model = NULL;
    if (ferry_model_open(argv[1], &model, &err) != FERRY_OK) {
        fprintf(stderr, "cannot open %s: %s\n", argv[1], err.message);
        return 1;
    }
    const ferry_model_io *io = ferry_model_describe(model);
    int64_t features = io->inputs[0].shape[1];
    float *row = calloc((size_t)features, sizeof *row); /* an all-zero row, for illustration */
    if (row == NULL) {
        ferry_model_close(model);
        return 1;
    }
    ferry_tensor input = {.name = io->inputs[0].name,
                          .dtype = FERRY_DTYPE_FP32,
                          .ndim = 2,
                          .shape = {1, features},
                          .data = row,
                          .nbytes = (size_t)features * sizeof *row};
    ferry_tensor output;
    int rc = 0;
    if (ferry_model_infer(model, &input, 1, &output, 1, &err) != FERRY_OK) {
        fprintf(stderr, "inference failed: %s\n", err.message);
        rc = 1;
    } else {
        printf("%s = %g\n", output.name, (double)((const float *)output.data)[0]);
        ferry_tensor_release(&output);
    }
    free(row);
    ferry_model_close(model);
    return rc;
}
