#include "vt_test.h"

#include <string.h>
#include <time.h>

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

/* Durations rest on the monotonic clock: it must never go back, and must move while we sleep. */
/* Wall-clock milliseconds: the epoch's, agreeing with vt_time_now to the second. */
static void test_base_time__now_ms_is_the_wall_clock(void **state)
{
    vt_time a = vt_time_now();
    int64_t ms = vt_time_now_ms();
    vt_time b = vt_time_now();

    (void)state;
    assert_true(ms / 1000 >= a && ms / 1000 <= b);
    assert_true(ms / 1000 > vt_time_mono_ns() / 1000000000); /* not the monotonic clock (boot-relative) */
}

static void test_base_time__mono_advances(void **state)
{
    struct timespec nap = { 0, 2000000 }; /* 2 ms */
    int64_t prev = vt_time_mono_ns(), t0, ms0, us0;

    (void)state;
    assert_true(prev > 0);
    for (int i = 0; i < 10000; i++) {
        int64_t now = vt_time_mono_ns();
        assert_true(now >= prev);
        prev = now;
    }
    t0 = vt_time_mono_ns();
    ms0 = vt_time_mono_ms();
    us0 = vt_time_mono_us();
    assert_int_equal(nanosleep(&nap, NULL), 0);
    /* nanosleep sleeps at least the time asked, measured on CLOCK_MONOTONIC, after every reading */
    assert_true(vt_time_mono_ns() - t0 >= 2000000);
    assert_true(vt_time_mono_us() - us0 >= 2000);
    assert_true(vt_time_mono_ms() - ms0 >= 2);
    /* the three units read the same clock */
    t0 = vt_time_mono_ns();
    assert_true(vt_time_mono_us() >= t0 / 1000);
    assert_true(vt_time_mono_ms() >= t0 / 1000000);
    assert_true(vt_time_mono_ms() - t0 / 1000000 < 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base_time__parses_rfc3339),
        cmocka_unit_test(test_base_time__rejects_bad_times),
        cmocka_unit_test(test_base_time__format_round_trips),
        cmocka_unit_test(test_base_time__mono_advances),
        cmocka_unit_test(test_base_time__now_ms_is_the_wall_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
