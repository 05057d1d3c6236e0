#include "vt_test.h"

#include "base/enc.h"

#include <stdio.h>
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
    /* a bad byte inside a whole group far in, a '=' before the end, a NUL, a byte >= 0x80: the
     * exact position, and nothing appended (the four-at-a-time loop must not keep its bytes) */
    {
        static const struct {
            const char *s;
            size_t len, at;
        } bad[] = { { "Zm9vYmFyZm9v*mFy", 16, 12 }, { "Zm9vYm=yZm9v", 12, 6 }, { "Zm9vYmFy\0m9v", 12, 8 },
                    { "Zm9v\xc3\xa9" "Fy", 8, 4 } };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            char want[64];
            assert_int_equal(vt_buf_append(&b, "kept", 4, NULL), VT_OK);
            assert_int_equal(vt_base64_decode(&b, bad[i].s, bad[i].len, &err), VT_E_FORMAT);
            snprintf(want, sizeof(want), "position %zu", bad[i].at);
            if (strstr(err.msg, want) == NULL)
                fail_msg("case %zu: %s", i, err.msg);
            assert_int_equal(b.len, 4);
            b.len = 0;
        }
    }
    vt_buf_free(&b);
}

/* Either alphabet decodes (mixed too), four characters at a time and in the tail alike; the
 * base64url check (vt__b64url_prefix) stops at the first byte outside its alphabet. */
static void test_base_enc__base64_alphabets(void **state)
{
    uint8_t raw[256];
    vt_buf std, url, back;

    (void)state;
    for (size_t i = 0; i < sizeof(raw); i++)
        raw[i] = (uint8_t)(i * 7 + 3);
    for (size_t len = 0; len <= sizeof(raw); len += 37) {
        vt_buf_init(&std);
        vt_buf_init(&url);
        vt_buf_init(&back);
        assert_int_equal(vt_base64_encode(&std, raw, len, false, NULL), VT_OK);
        assert_int_equal(vt_base64_encode(&url, raw, len, true, NULL), VT_OK);
        assert_int_equal(vt__b64url_prefix((const char *)url.data, url.len), url.len);
        assert_int_equal(vt_base64_decode(&back, (const char *)std.data, std.len, NULL), VT_OK);
        assert_int_equal(back.len, len);
        assert_memory_equal(back.data, raw, len);
        back.len = 0;
        for (size_t k = 0; k < url.len; k += 2) /* every other character from the other alphabet */
            if (url.data[k] == '-' || url.data[k] == '_')
                url.data[k] = url.data[k] == '-' ? '+' : '/';
        assert_int_equal(vt_base64_decode(&back, (const char *)url.data, url.len, NULL), VT_OK);
        assert_int_equal(back.len, len);
        assert_memory_equal(back.data, raw, len);
        vt_buf_free(&std);
        vt_buf_free(&url);
        vt_buf_free(&back);
    }
    assert_int_equal(vt__b64url_prefix("abc-_09+", 8), 7);
    assert_int_equal(vt__b64url_prefix("ab/c", 4), 2);
    assert_int_equal(vt__b64url_prefix("ab=", 3), 2);
    assert_int_equal(vt__b64url_prefix("a\0b", 3), 1);
    assert_int_equal(vt__b64url_prefix("", 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base_enc__hex_round_trip),
        cmocka_unit_test(test_base_enc__hex_rejects_bad_input),
        cmocka_unit_test(test_base_enc__base64_known_answers),
        cmocka_unit_test(test_base_enc__base64_rejects_bad_input),
        cmocka_unit_test(test_base_enc__base64_alphabets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
