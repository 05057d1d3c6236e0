/* Strict line-per-record reading (base/lines.c): what a writer writes is read back, and a line
 * with another blank, an empty or extra field, no LF or no room is refused.  Refusals first. */
#include <string.h>

#include "vt_test.h"

#include "base/lines.h"

static bool one(const char *text, size_t n, char **f)
{
    static char buf[64];
    size_t at = 0;

    return vt__line_fields((const uint8_t *)text, strlen(text), &at, buf, sizeof(buf), f, n);
}

static void test_base_lines__refused(void **state)
{
    static const char *const bad[] = { "1 a b",      "1  a b\n",   " 1 a b\n",  "1 a b \n",
                                       "1\ta b\n",   "1 a\n",      "1 a b c\n", "\n",
                                       "1 a\x7f b\n" };
    static const char *const counts[] = { "0", "01", "+1", "-1", "1x", "", "18446744073709551616", "11" };
    char long_line[80], *f[3];
    uint64_t v;
    size_t at = 0;
    char buf[16];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (one(bad[i], 3, f))
            fail_msg("taken: \"%s\"", bad[i]);
    memset(long_line, 'x', sizeof(long_line));
    long_line[sizeof(long_line) - 1] = '\0';
    long_line[sizeof(long_line) - 2] = '\n';
    assert_false(vt__line_fields((const uint8_t *)long_line, strlen(long_line), &at, buf, sizeof(buf), f, 1));
    assert_int_equal(at, 0);
    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
        if (vt__line_count(counts[i], 10, &v))
            fail_msg("count taken: \"%s\"", counts[i]);
}

static void test_base_lines__read_back(void **state)
{
    const char *text = "3 registered model-key\n12 revoked a\n";
    char buf[64], *f[3];
    size_t at = 0;
    uint64_t v = 0;

    (void)state;
    assert_true(vt__line_fields((const uint8_t *)text, strlen(text), &at, buf, sizeof(buf), f, 3));
    assert_string_equal(f[0], "3");
    assert_string_equal(f[1], "registered");
    assert_string_equal(f[2], "model-key");
    assert_true(vt__line_fields((const uint8_t *)text, strlen(text), &at, buf, sizeof(buf), f, 3));
    assert_true(vt__line_count(f[0], 12, &v));
    assert_int_equal(v, 12);
    assert_int_equal(at, strlen(text));
    assert_false(vt__line_fields((const uint8_t *)text, strlen(text), &at, buf, sizeof(buf), f, 3));
    assert_true(vt__line_count("18446744073709551615", UINT64_MAX, &v));
    assert_true(v == UINT64_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base_lines__refused),
        cmocka_unit_test(test_base_lines__read_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
