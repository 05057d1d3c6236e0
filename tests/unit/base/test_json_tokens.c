/* The strict token reader and string writer (base/json_tokens.c): what it
 * reads and how; everything it must refuse (jansson's strict load refuses it,
 * or it sits near a limit), each limit at its edge; strings written exactly
 * as jansson writes them. */
#include "vt_test.h"

#include <string.h>

#include <jansson.h>

#include "base/json_tokens.h"

static bool reads(vt_jt_list *l, const char *doc, size_t max_tokens, unsigned max_depth)
{
    return vt__json_tokens(l, (const uint8_t *)doc, strlen(doc), max_tokens, max_depth);
}

static void test_base_json_tokens__reads_and_decodes(void **state)
{
    static const char doc[] = " {\"k\\u0041\":\"caf\\u00e9 \\ud83d\\ude00 \\u0000\\\"\\\\\\/\\b\\f\\n\\r\\t\","
                              "\"n\":[-0,123456789012345678,1.5e3,0.25E-2],\"o\":{\"t\":true,\"f\":false,\"z\":null},"
                              "\"e\":[],\"eo\":{}}\r\n";
    static const char want_s[] = "caf\xc3\xa9 \xf0\x9f\x98\x80 \0\"\\/\b\f\n\r\t";
    vt_jt_list l = { 0 };

    (void)state;
    assert_true(reads(&l, doc, 64, 4));
    assert_int_equal(l.t[0].kind, VT_JT_OBJ);
    assert_int_equal(l.t[0].depth, 0);
    assert_int_equal(l.t[1].kind, VT_JT_KEY);
    assert_int_equal(l.t[1].depth, 1);
    assert_int_equal(l.t[1].len, 2);
    assert_memory_equal(vt__jt_str(&l, &l.t[1]), "kA", 2);
    assert_int_equal(l.t[2].kind, VT_JT_STR);
    assert_int_equal(l.t[2].len, sizeof(want_s) - 1);
    assert_memory_equal(vt__jt_str(&l, &l.t[2]), want_s, sizeof(want_s) - 1);
    /* the numbers: two integers with their values, two reals, each as written */
    assert_int_equal(l.t[5].kind, VT_JT_NUM);
    assert_true(l.t[5].integer);
    assert_int_equal(l.t[5].ival, 0);
    assert_true(l.t[6].integer);
    assert_int_equal(l.t[6].ival, 123456789012345678LL);
    assert_false(l.t[7].integer);
    assert_int_equal(l.t[7].len, 5);
    assert_memory_equal(doc + l.t[7].off, "1.5e3", 5);
    assert_false(l.t[8].integer);
    assert_int_equal(l.t[9].kind, VT_JT_ARR_END);
    assert_int_equal(l.t[9].depth, 1);
    assert_int_equal(l.t[l.n - 1].kind, VT_JT_OBJ_END);
    vt__json_tokens_free(&l);
}

static void test_base_json_tokens__refuses(void **state)
{
    static const char *const bad[] = {
        "", "[]", "\"s\"", "1", "{", "{}x", "{} {}", "\xef\xbb\xbf{}",           /* not one object */
        "{\"a\":1,\"a\":2}", "{\"a\":1,\"\\u0061\":2}",                          /* duplicate keys */
        "{\"a\\u0000\":1}",                                                      /* NUL in a key */
        "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\"}", "{\"a\":\"\\ud800\\u0041\"}", /* lone surrogates */
        "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\x01\"}",               /* escapes, control */
        "{\"a\":\"\xc0\xaf\"}", "{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\xf4\x90\x80\x80\"}", "{\"a\":\"\xf5\"}",
        "{\"a\":\"\xe2\x82\"}", "{\"a\":\"\x80\"}",                              /* invalid UTF-8 */
        "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":-}", "{\"a\":+1}", "{\"a\":1e}", "{\"a\":0x1}",
        "{\"a\":1234567890123456789}",                                           /* 19 digits */
        "{\"a\":1e100}", "{\"a\":12345678901234567890.123456789012345678901}",   /* 41 digits */
        "{\"a\":tru}", "{\"a\":nul}", "{\"a\":True}", "{\"a\" 1}", "{\"a\":1,}", "{,\"a\":1}", "{\"a\":[1,]}",
        "{\"a\":[1 2]}", "{'a':1}", "{a:1}", "{\"a\":\"b}",
    };
    vt_jt_list l = { 0 };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (reads(&l, bad[i], 64, 8))
            fail_msg("read %zu: %s", i, bad[i]);
    /* the edges that are read */
    assert_true(reads(&l, "{\"a\":123456789012345678}", 64, 8));
    assert_true(reads(&l, "{\"a\":1e99,\"b\":1234567890123456789.012345678901234567890}", 64, 8));
    assert_true(reads(&l, "{\"a\":\"\xf4\x8f\xbf\xbf\xed\x9f\xbf\xe0\xa0\x80\xc2\x80\"}", 64, 8));
    vt__json_tokens_free(&l);
}

static void test_base_json_tokens__limits_at_their_edges(void **state)
{
    char keys[512], *p = keys;
    vt_jt_list l = { 0 };

    (void)state;
    /* tokens: {"a":[1,2]} is 7 */
    assert_true(reads(&l, "{\"a\":[1,2]}", 7, 8));
    assert_false(reads(&l, "{\"a\":[1,2]}", 6, 8));
    /* a list sized for more keeps this document's limit */
    assert_true(reads(&l, "{\"a\":[1,2,3,4,5,6,7,8,9,10]}", 64, 8));
    assert_false(reads(&l, "{\"a\":[1,2]}", 6, 8));
    /* depth: the top object is 1 */
    assert_true(reads(&l, "{\"a\":[[{\"b\":1}]]}", 64, 4));
    assert_false(reads(&l, "{\"a\":[[{\"b\":1}]]}", 64, 3));
    /* 32 keys in one object, not 33 */
    *p++ = '{';
    for (int i = 0; i < 32; i++)
        p += sprintf(p, "%s\"k%02d\":1", i > 0 ? "," : "", i);
    strcpy(p, "}");
    assert_true(reads(&l, keys, 256, 8));
    strcpy(p, ",\"kx\":1}");
    assert_false(reads(&l, keys, 256, 8));
    /* ... but 32 in each of two objects */
    assert_true(reads(&l, "{\"a\":{\"x\":1},\"b\":{\"x\":1}}", 64, 8));
    vt__json_tokens_free(&l);
}

static void test_base_json_tokens__strings_written_as_jansson_writes_them(void **state)
{
    static const char *const samples[] = { "", "plain", "q\"b\\s/", "\b\f\n\r\t", "\x01\x1f\x7f",
                                           "caf\xc3\xa9 \xf0\x9f\x98\x80", "\xe2\x80\xa8" };
    vt_buf out = { 0 };
    vt_err err = { 0 };

    (void)state;
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        json_t *j = json_string(samples[i]);
        char *want = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
        out.len = 0;
        assert_int_equal(vt__json_put_string(&out, (const uint8_t *)samples[i], strlen(samples[i]), &err), VT_OK);
        assert_int_equal(out.len, strlen(want));
        assert_memory_equal(out.data, want, out.len);
        free(want);
        json_decref(j);
    }
    /* NUL as jansson writes it from a string that holds one */
    out.len = 0;
    assert_int_equal(vt__json_put_string(&out, (const uint8_t *)"a\0b", 3, &err), VT_OK);
    assert_int_equal(out.len, 10);
    assert_memory_equal(out.data, "\"a\\u0000b\"", 10);
    /* not UTF-8: refused, nothing written */
    out.len = 0;
    assert_int_equal(vt_buf_append(&out, "x", 1, NULL), VT_OK);
    assert_int_equal(vt__json_put_string(&out, (const uint8_t *)"ok\xc0\xaf", 4, &err), VT_E_FORMAT);
    assert_int_equal(out.len, 1);
    vt_buf_free(&out);
}

/* The lenient decode a tool call's non-JSON arguments are scanned in (audit/response.c): every
 * escape decoded wherever it stands, an escaped backslash not read as the start of another,
 * a lone surrogate as U+FFFD, and what is not an escape left as it is. */
static void test_base_json_tokens__unescape_lenient(void **state)
{
    static const struct {
        const char *in, *out;
        bool decoded;
    } cases[] = {
        { "jane.doe\\u0040example.com", "jane.doe@example.com", true },
        { "4111\\n1111\\t\\\"x\\\"\\/\\b\\f\\r", "4111\n1111\t\"x\"/\b\f\r", true },
        { "a\\\\u0040b", "a\\u0040b", true },
        { "\\ud83d\\ude00", "\xf0\x9f\x98\x80", true },
        { "\\ud800x", "\xef\xbf\xbdx", true },
        { "\\udc00\\ud800", "\xef\xbf\xbd\xef\xbf\xbd", true },
        { "\\u00e9", "\xc3\xa9", true },
        { "cut \\u00", "cut \\u00", false },
        { "\\x \\", "\\x \\", false },
        { "plain", "plain", false },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vt_buf out;
        bool decoded = !cases[i].decoded;
        vt_buf_init(&out);
        assert_int_equal(vt__json_unescape_lenient(&out, (const uint8_t *)cases[i].in, strlen(cases[i].in), &decoded,
                                                   NULL),
                         VT_OK);
        assert_int_equal(out.len, strlen(cases[i].out));
        assert_memory_equal(out.data, cases[i].out, out.len);
        assert_true(out.len <= strlen(cases[i].in));
        assert_int_equal(decoded, cases[i].decoded);
        vt_buf_free(&out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base_json_tokens__reads_and_decodes),
        cmocka_unit_test(test_base_json_tokens__refuses),
        cmocka_unit_test(test_base_json_tokens__limits_at_their_edges),
        cmocka_unit_test(test_base_json_tokens__unescape_lenient),
        cmocka_unit_test(test_base_json_tokens__strings_written_as_jansson_writes_them),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
