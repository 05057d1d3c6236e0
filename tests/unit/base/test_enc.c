#include "vt_test.h"

#include <string.h>

static void test_base_enc__hex_round_trip(void **state)
{
    const uint8_t in[] = { 0x00, 0x01, 0xab, 0xff };
    char hex[9];
    uint8_t out[4];
    vt_err err = { 0 };

    (void)state;
    vt_hex_encode(hex, in, sizeof(in));
    assert_string_equal(hex, "0001abff");
    assert_int_equal(vt_hex_decode(out, 4, "0001ABff", 8, &err), VT_OK);
    assert_memory_equal(out, in, 4);
}

static void test_base_enc__hex_rejects_bad_input(void **state)
{
    uint8_t out[2];
    vt_buf b;
    vt_err err = { 0 };

    (void)state;
    vt_buf_init(&b);
    assert_int_equal(vt_hex_decode(out, 2, "00g0", 4, &err), VT_E_FORMAT);
    assert_non_null(strstr(err.msg, "position 2"));
    assert_int_equal(vt_hex_decode(out, 2, "000", 3, &err), VT_E_FORMAT);
    assert_int_equal(vt_hex_decode_buf(&b, "abc", 3, 16, &err), VT_E_FORMAT);
    assert_int_equal(vt_hex_decode_buf(&b, "aabbcc", 6, 2, &err), VT_E_LIMIT);
    assert_int_equal(b.len, 0);
    vt_buf_free(&b);
}

static void test_base_enc__base64_known_answers(void **state)
{
    static const struct { const char *in, *std, *url; } kat[] = {
        { "", "", "" },         { "f", "Zg==", "Zg" },         { "fo", "Zm8=", "Zm8" },
        { "foo", "Zm9v", "Zm9v" }, { "foob", "Zm9vYg==", "Zm9vYg" }, { "\xfb\xff", "+/8=", "-_8" },
    };
    vt_err err = { 0 };

    (void)state;
    for (size_t i = 0; i < sizeof(kat) / sizeof(kat[0]); i++) {
        vt_buf a, b, c;
        vt_buf_init(&a);
        vt_buf_init(&b);
        vt_buf_init(&c);
        assert_int_equal(vt_base64_encode(&a, (const uint8_t *)kat[i].in, strlen(kat[i].in), false, &err), VT_OK);
        assert_int_equal(vt_base64_encode(&b, (const uint8_t *)kat[i].in, strlen(kat[i].in), true, &err), VT_OK);
        assert_int_equal(a.len, strlen(kat[i].std));
        assert_memory_equal(a.data, kat[i].std, a.len);
        assert_int_equal(b.len, strlen(kat[i].url));
        assert_memory_equal(b.data, kat[i].url, b.len);
        assert_int_equal(vt_base64_decode(&c, kat[i].std, strlen(kat[i].std), &err), VT_OK);
        assert_int_equal(c.len, strlen(kat[i].in));
        assert_memory_equal(c.data, kat[i].in, c.len);
        c.len = 0;
        assert_int_equal(vt_base64_decode(&c, kat[i].url, strlen(kat[i].url), &err), VT_OK);
        assert_int_equal(c.len, strlen(kat[i].in));
        vt_buf_free(&a);
        vt_buf_free(&b);
        vt_buf_free(&c);
    }
}

static void test_base_enc__base64_rejects_bad_input(void **state)
{
    vt_buf b;
    vt_err err = { 0 };

    (void)state;
    vt_buf_init(&b);
    assert_int_equal(vt_base64_decode(&b, "Zm9v!", 5, &err), VT_E_FORMAT);
    assert_int_equal(vt_base64_decode(&b, "Z", 1, &err), VT_E_FORMAT);
    assert_int_equal(vt_base64_decode(&b, "Zg===", 5, &err), VT_E_FORMAT);
    assert_int_equal(vt_base64_decode(&b, "Zh==", 4, &err), VT_E_FORMAT); /* non-zero trailing bits */
    assert_int_equal(vt_base64_decode(&b, "Zm 9v", 5, &err), VT_E_FORMAT);
    assert_int_equal(b.len, 0);
    vt_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base_enc__hex_round_trip),
        cmocka_unit_test(test_base_enc__hex_rejects_bad_input),
        cmocka_unit_test(test_base_enc__base64_known_answers),
        cmocka_unit_test(test_base_enc__base64_rejects_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
