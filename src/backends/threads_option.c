/* The `intra_op_threads` backend option; see threads_option.h. */
#include "backends/threads_option.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "onnx/pool.h"

ferry_status threads_option_parse(const char *model, const char *backend, const char *value,
                                  int *threads, ferry_error *err)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    long max = cpus > 0 && cpus * 4 < ONNX_POOL_MAX_THREADS ? cpus * 4 : ONNX_POOL_MAX_THREADS;
    char *end = NULL;
    errno = 0;
    long n = value[0] >= '0' && value[0] <= '9' ? strtol(value, &end, 10) : -1;
    if (n < 1 || n > max || errno != 0 || *end != '\0')
        return ferry_error_set(err, FERRY_INVALID_ARG,
                               "model '%s': %s option intra_op_threads must be a whole number "
                               "from 1 to %ld (4 per CPU), got '%s'",
                               model, backend, max, value);
    *threads = (int)n;
    return FERRY_OK;
}
