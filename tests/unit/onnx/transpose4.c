/* Unit tests for the 4x4-block transposes (src/onnx/transpose4.h): every shape up to 9x9 with
 * leading dimensions wider than the rows, against the element-by-element definition, and the
 * elements around the destination left alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "onnx/transpose4.h"

static void test_every_shape(void **state)
{
    (void)state;
    float src[12 * 12], dst[12 * 12];
    for (int i = 0; i < 12 * 12; i++)
        src[i] = (float)i;
    for (int64_t rows = 0; rows <= 9; rows++)
        for (int64_t cols = 0; cols <= 9; cols++) {
            int64_t lds = cols + 2, ldd = rows + 3;
            for (int i = 0; i < 12 * 12; i++)
                dst[i] = -1.0f;
            onnx_transpose(src, lds, dst, ldd, rows, cols);
            for (int64_t j = 0; j < cols; j++)
                for (int64_t i = 0; i < ldd; i++)
                    assert_true(dst[j * ldd + i] == (i < rows ? src[i * lds + j] : -1.0f));
            for (int64_t k = cols * ldd; k < 12 * 12; k++)
                assert_true(dst[k] == -1.0f);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
