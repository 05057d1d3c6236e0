#include "vt_test.h"

#include <string.h>

static void test_base_rd__reads_le_and_be(void **state)
{
    const uint8_t b[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21 };
    vt_rd r;

    (void)state;
    vt_rd_init(&r, b, sizeof(b));
    assert_int_equal(vt_rd_u8(&r), 1);
    assert_int_equal(vt_rd_u16le(&r), 0x0302);
    assert_int_equal(vt_rd_u32le(&r), 0x07060504u);
    assert_int_equal(vt_rd_u16be(&r), 0x0809);
    assert_int_equal(vt_rd_u32be(&r), 0x0a0b0c0du);
    assert_true(vt_rd_u64le(&r) == 0x1514131211100f0eull);
    assert_true(vt_rd_ok(&r));
    assert_int_equal(r.left, 0);
    assert_true(vt_rd_ok_and_empty(&r));
}

static void test_base_rd__failure_is_sticky(void **state)
{
    const uint8_t b[] = { 0xaa, 0xbb, 0xcc };
    uint8_t out[4] = { 9, 9, 9, 9 };
    vt_rd r;

    (void)state;
    vt_rd_init(&r, b, sizeof(b));
    assert_int_equal(vt_rd_u32le(&r), 0);
    assert_false(vt_rd_ok(&r));
    /* After a failure even a read that would fit fails. */
    assert_int_equal(vt_rd_u8(&r), 0);
    vt_rd_copy(&r, out, sizeof(out));
    assert_memory_equal(out, "\0\0\0\0", 4);
    assert_null(vt_rd_take(&r, 0));
}

static void test_base_rd__sub_reader_bounds(void **state)
{
    const uint8_t b[] = { 2, 0, 0, 0, 0xde, 0xad, 0xff };
    vt_rd r, s, bad;

    (void)state;
    vt_rd_init(&r, b, sizeof(b));
    s = vt_rd_sub(&r, vt_rd_u32le(&r));
    assert_true(vt_rd_ok(&s));
    assert_int_equal(vt_rd_u16be(&s), 0xdead);
    assert_true(vt_rd_ok_and_empty(&s));
    assert_int_equal(r.left, 1);
    bad = vt_rd_sub(&r, 2);
    assert_false(vt_rd_ok(&bad));
    assert_false(vt_rd_ok(&r));
}

static void test_base_rd__huge_length_does_not_wrap(void **state)
{
    const uint8_t b[8] = { 0 };
    vt_rd r;

    (void)state;
    vt_rd_init(&r, b, sizeof(b));
    vt_rd_skip(&r, 4);
    assert_null(vt_rd_take(&r, SIZE_MAX));
    assert_false(vt_rd_ok(&r));
}

/* A span stops at the first byte outside the set, at a NUL (strchr would match the set's terminator),
 * at the end of the view, and is 0 once the reader failed; it takes nothing. */
static void test_base_rd__span(void **state)
{
    static const uint8_t in[] = { 'a', 'b', '1', 'c', 0, 'a', 'a' };
    vt_rd r;

    (void)state;
    vt_rd_init(&r, in, sizeof(in));
    assert_int_equal(vt_rd_span(&r, "ab"), 2);
    assert_int_equal(vt_rd_span(&r, "abc1"), 4);
    assert_int_equal(r.left, sizeof(in));
    vt_rd_skip(&r, 5);
    assert_int_equal(vt_rd_span(&r, "a"), 2);
    vt_rd_init(&r, in, 1);
    assert_int_equal(vt_rd_span(&r, "ab"), 1);
    (void)vt_rd_take(&r, 2);
    assert_false(vt_rd_ok(&r));
    assert_int_equal(vt_rd_span(&r, "ab"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base_rd__reads_le_and_be),
        cmocka_unit_test(test_base_rd__failure_is_sticky),
        cmocka_unit_test(test_base_rd__sub_reader_bounds),
        cmocka_unit_test(test_base_rd__huge_length_does_not_wrap),
        cmocka_unit_test(test_base_rd__span),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
