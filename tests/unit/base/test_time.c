#include "vt_test.h"

#include <string.h>

static void test_base_time__parses_rfc3339(void **state)
{
    vt_time t;
    vt_err err = { 0 };
    char s[32];

    (void)state;
    assert_int_equal(vt_time_parse(&t, "1970-01-01T00:00:00Z", &err), VT_OK);
    assert_true(t == 0);
    assert_int_equal(vt_time_parse(&t, "2026-04-01T00:00:00Z", &err), VT_OK);
    assert_true(t == 1775001600);
    assert_int_equal(vt_time_parse(&t, "2026-04-01T02:00:00.123+02:00", &err), VT_OK);
    assert_true(t == 1775001600);
    assert_int_equal(vt_time_parse(&t, "2024-02-29T12:00:00Z", &err), VT_OK);
    vt_time_format(s, t);
    assert_string_equal(s, "2024-02-29T12:00:00Z");
    assert_int_equal(vt_time_parse(&t, "@1775001600", &err), VT_OK);
    assert_true(t == 1775001600);
}

static void test_base_time__rejects_bad_times(void **state)
{
    static const char *bad[] = { "", "2026-13-01T00:00:00Z", "2025-02-29T00:00:00Z", "2026-04-01",
                                 "2026-04-01T00:00:00", "2026-04-01T24:00:00Z", "2026-04-01T00:00:00+2:00",
                                 "@", "@12x", "yesterday" };
    vt_time t;
    vt_err err = { 0 };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(vt_time_parse(&t, bad[i], &err), VT_E_FORMAT);
}

static void test_base_time__format_round_trips(void **state)
{
    vt_err err = { 0 };

    (void)state;
    for (vt_time t = 0; t < 4102444800; t += 86400 * 37 + 3671) {
        char s[32];
        vt_time back;
        vt_time_format(s, t);
        assert_int_equal(vt_time_parse(&back, s, &err), VT_OK);
        assert_true(back == t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base_time__parses_rfc3339),
        cmocka_unit_test(test_base_time__rejects_bad_times),
        cmocka_unit_test(test_base_time__format_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
