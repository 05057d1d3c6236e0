#include "vt_test.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static void test_base_buf__appends_and_grows(void **state)
{
    vt_buf b;
    vt_err err = { 0 };

    (void)state;
    vt_buf_init(&b);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(vt_buf_append_u32le(&b, (uint32_t)i, &err), VT_OK);
    assert_int_equal(b.len, 4000);
    assert_int_equal(b.data[4 * 999], 999 & 0xff);
    assert_int_equal(b.data[4 * 999 + 1], 999 >> 8);
    assert_int_equal(b.data[b.len], 0); /* always terminated */
    vt_buf_free(&b);
    assert_null(b.data);
    vt_buf_free(&b); /* twice is fine */
}

static void test_base_buf__limit(void **state)
{
    vt_buf b;
    vt_err err = { 0 };

    (void)state;
    vt_buf_init(&b);
    assert_int_equal(vt_buf_reserve(&b, SIZE_MAX, &err), VT_E_LIMIT);
    assert_int_equal(vt_buf_reserve(&b, (size_t)1 << 31, &err), VT_E_LIMIT);
    assert_int_equal(b.len, 0);
    vt_buf_free(&b);
}

static void test_base_buf__file_round_trip_and_limits(void **state)
{
    char dir[512], path[600];
    vt_buf b;
    vt_err err = { 0 };
    struct stat st;

    (void)state;
    vt_test_mkdtemp(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/a/b/c", dir);
    assert_int_equal(vt_mkdir_p(path, 0700, &err), VT_OK);
    snprintf(path, sizeof(path), "%s/a/b/c/f", dir);
    assert_int_equal(vt_file_write(path, "hello", 5, 0600, &err), VT_OK);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    vt_buf_init(&b);
    assert_int_equal(vt_file_read(&b, path, 5, &err), VT_OK);
    assert_int_equal(b.len, 5);
    b.len = 0;
    assert_int_equal(vt_file_read(&b, path, 4, &err), VT_E_LIMIT);
    assert_int_equal(b.len, 0);
    snprintf(path, sizeof(path), "%s/missing", dir);
    assert_int_equal(vt_file_read(&b, path, 4, &err), VT_E_NOTFOUND);
    assert_int_equal(vt_file_read(&b, dir, 4, &err), VT_E_IO);
    vt_buf_free(&b);
    vt_test_rmdir(dir);
}

static void test_base_buf__ct_equal(void **state)
{
    (void)state;
    assert_true(vt_ct_equal("abc", "abc", 3));
    assert_false(vt_ct_equal("abc", "abd", 3));
    assert_true(vt_ct_equal("x", "y", 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base_buf__appends_and_grows),
        cmocka_unit_test(test_base_buf__limit),
        cmocka_unit_test(test_base_buf__file_round_trip_and_limits),
        cmocka_unit_test(test_base_buf__ct_equal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
