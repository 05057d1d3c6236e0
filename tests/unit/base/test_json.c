#include "vt_test.h"

#include <stdio.h>
#include <string.h>

#include <stdlib.h>

#include <jansson.h>

#include "base/json.h"

static void span(const char *doc, const char *key, vt_status want, const char *want_val)
{
    const uint8_t *v = NULL;
    size_t n = 0;
    vt_err err = { 0 };
    vt_status rc = vt__json_member_raw(&v, &n, (const uint8_t *)doc, strlen(doc), key, &err);

    if (rc != want)
        fail_msg("%s in %s: got %s (%s), want %s", key, doc, vt_status_str(rc), err.msg, vt_status_str(want));
    if (want == VT_OK) {
        assert_int_equal(n, strlen(want_val));
        assert_memory_equal(v, want_val, n);
    }
}

static void test_base_json__exact_bytes_of_a_member(void **state)
{
    (void)state;
    /* The value's bytes as written: spacing and key order untouched. */
    span("{\"tcbInfo\": {\"b\" :1,  \"a\":[1, 2]} ,\"signature\":\"ab\"}", "tcbInfo",
         VT_OK, "{\"b\" :1,  \"a\":[1, 2]}");
    span("{\"signature\":\"ab\",\"tcbInfo\":{\"x\":\"}\\\"{\"}}", "tcbInfo", VT_OK, "{\"x\":\"}\\\"{\"}");
    span(" {\"k\":-1.5e3}\n", "k", VT_OK, "-1.5e3");
    span("{\"k\":\"v\"}", "signature", VT_E_NOTFOUND, NULL);
    span("{}", "k", VT_E_NOTFOUND, NULL);
}

static void test_base_json__rejects_malformed(void **state)
{
    static const char *bad[] = { "", "[]", "{", "{\"k\"}", "{\"k\":}", "{\"k\":1,}", "{\"k\":{]}",
                                 "{\"k\":1} x", "{\"k\":1}}", "{\"k\":\"open}", "{k:1}", "{\"k\":1 \"j\":2}" };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        span(bad[i], "k", VT_E_FORMAT, NULL);
    span("{\"k\":1,\"k\":2}", "k", VT_E_FORMAT, NULL); /* which one was signed? */
    {
        char deep[300];
        size_t i = 0;
        i += (size_t)snprintf(deep, sizeof(deep), "{\"k\":");
        for (int d = 0; d < 100; d++)
            deep[i++] = '[';
        for (int d = 0; d < 100; d++)
            deep[i++] = ']';
        deep[i++] = '}';
        deep[i] = '\0';
        span(deep, "k", VT_E_FORMAT, NULL); /* nesting beyond the cap */
    }
}

static void test_base_json__every_truncation_fails(void **state)
{
    const char *doc = "{\"enclaveIdentity\":{\"id\":\"TD_QE\",\"v\":[1,{\"x\":null}]},\"signature\":\"00\"}";
    const uint8_t *v;
    size_t n;

    (void)state;
    for (size_t len = 0; len < strlen(doc); len++)
        assert_int_not_equal(vt__json_member_raw(&v, &n, (const uint8_t *)doc, len, "signature", NULL), VT_OK);
}

/* vt__json_dump_buf writes compact JSON itself: the same bytes as jansson, in every case it
 * takes and in the ones it leaves to jansson (reals, NUL in a key). */
static void test_base_json__dump_same_bytes_as_jansson(void **state)
{
    static const char *const docs[] = {
        "{}", "[]", "{\"b\":1,\"a\":2,\"c\":{\"z\":[],\"y\":{},\"x\":[{}]}}",
        "{\"s\":\"caf\\u00e9 \\ud83d\\ude00 \\u0001\\u001f\\\"\\\\/\\b\\f\\n\\r\\t\\u2028\",\"e\":\"\"}",
        "{\"min\":-9223372036854775808,\"max\":9223372036854775807,\"z\":0,\"n\":-1}",
        "[true,false,null,[[[]]],{\"k\":[1,2,3]}]",
        "{\"r\":1.5,\"e\":1e300,\"t\":-0.0,\"i\":3}",         /* reals: jansson writes them */
        "{\"\\u00e9\":1,\"e\":2,\"E\":3,\"ab\":4,\"a\":5,\"b\":{\"d\":1,\"c\":2}}", /* sort order is strcmp's */
    };
    static const size_t flags[] = { JSON_COMPACT, JSON_COMPACT | JSON_SORT_KEYS, JSON_COMPACT | JSON_PRESERVE_ORDER,
                                    JSON_INDENT(2) };
    vt_buf out = { 0 };

    (void)state;
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        json_t *doc = json_loads(docs[i], JSON_ALLOW_NUL, NULL);
        if (doc == NULL)
            fail_msg("doc %zu does not parse", i);
        for (size_t f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
            char *want = json_dumps(doc, flags[f]);
            out.len = 0;
            assert_int_equal(vt_buf_append(&out, "x", 1, NULL), VT_OK); /* appended after what is there */
            assert_int_equal(vt__json_dump_buf(&out, doc, flags[f], NULL), VT_OK);
            if (out.len != strlen(want) + 1 || memcmp(out.data + 1, want, out.len - 1) != 0)
                fail_msg("doc %zu flags %zx:\n  ours:    %.*s\n  jansson: %s", i, flags[f], (int)out.len - 1,
                         (const char *)out.data + 1, want);
            free(want);
        }
        json_decref(doc);
    }
    /* A key holding NUL (jansson's setn; no parser makes one): left to jansson, same bytes. */
    {
        json_t *doc = json_object();
        char *want;
        assert_int_equal(json_object_setn_new(doc, "a\0b", 3, json_integer(1)), 0);
        assert_int_equal(json_object_set_new(doc, "a", json_integer(2)), 0);
        want = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
        out.len = 0;
        assert_int_equal(vt__json_dump_buf(&out, doc, JSON_COMPACT | JSON_SORT_KEYS, NULL), VT_OK);
        assert_int_equal(out.len, strlen(want));
        assert_memory_equal(out.data, want, out.len);
        free(want);
        json_decref(doc);
    }
    vt_buf_free(&out);
}

/* vt__json_loadb gives what json_loadb gives with the same flags: the same tree (written
 * out to the same bytes, members in order), or the same refusal with jansson's message. */
static void same_load_flags(const char *doc, size_t n, size_t flags)
{
    json_error_t e1, e2;
    json_t *a = vt__json_loadb(doc, n, flags, &e1), *b = json_loadb(doc, n, flags, &e2);

    assert_int_equal(a == NULL, b == NULL);
    if (a == NULL) {
        assert_string_equal(e1.text, e2.text);
        assert_int_equal(e1.position, e2.position);
        return;
    }
    {
        char *da = json_dumps(a, JSON_COMPACT), *db = json_dumps(b, JSON_COMPACT);
        assert_string_equal(da, db);
        free(da);
        free(db);
    }
    json_decref(a);
    json_decref(b);
}

/* With the verifier's flags, with the gateway's (NUL allowed), with none and with another. */
static void same_load(const char *doc, size_t n)
{
    same_load_flags(doc, n, JSON_REJECT_DUPLICATES);
    same_load_flags(doc, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL);
    same_load_flags(doc, n, 0);
    same_load_flags(doc, n, JSON_DECODE_ANY);
}

static void test_base_json__load_same_as_jansson(void **state)
{
    static const char *const docs[] = {
        "{}",
        "{\"z\":1,\"a\":[true,false,null,\"s\",-0,-9223372036854775],\"m\":{\"k\":{\"\":[]}}}",
        "{\"esc\":\"\\u00e9\\ud83d\\ude00\\n\\\"\\/\",\"utf8\":\"\xc3\xa9\xf0\x9f\x98\x80\"}",
        "{\"real\":1.5,\"e\":2e3,\"t\":0.1,\"z\":-0.0,\"tiny\":1e-99,\"long\":-123456789.123456789e+12}", /* reals */
        "{\"nul\":\"a\\u0000b\"}",              /* refused without JSON_ALLOW_NUL, as jansson does */
        "{\"dup\":1,\"dup\":2}",                /* refused: duplicate */
        "{\"a\":1,}",                           /* malformed */
        "{\"a\":1} x",                          /* trailing bytes */
        "[1,2,3]",                              /* not an object: jansson reads it */
        "{\"big\":123456789012345678901234567890}", /* past the reader's integers */
        "{\"lone\":\"\\ud800\"}",               /* an unpaired surrogate */
        "{\"bad\":\"\xff\"}",                   /* not UTF-8 */
    };
    char deep[400], wide[4000];
    size_t n = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
        same_load(docs[i], strlen(docs[i]));
    /* nesting past the reader's depth: jansson's */
    n = (size_t)snprintf(deep, sizeof(deep), "{\"d\":");
    for (int i = 0; i < 100; i++)
        deep[n++] = '[';
    for (int i = 0; i < 100; i++)
        deep[n++] = ']';
    deep[n++] = '}';
    same_load(deep, n);
    /* many members and a long string, the shape of an attestation request */
    n = (size_t)snprintf(wide, sizeof(wide), "{\"evidence\":\"");
    for (int i = 0; i < 2000; i++)
        wide[n++] = (char)('A' + i % 26);
    n += (size_t)snprintf(wide + n, sizeof(wide) - n, "\"");
    for (int i = 0; i < 30; i++) /* the reader takes up to 32 members an object */
        n += (size_t)snprintf(wide + n, sizeof(wide) - n, ",\"k%d\":[%d,\"v\"]", i, i);
    wide[n++] = '}';
    same_load(wide, n);
    same_load("", 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base_json__exact_bytes_of_a_member),
        cmocka_unit_test(test_base_json__rejects_malformed),
        cmocka_unit_test(test_base_json__every_truncation_fails),
        cmocka_unit_test(test_base_json__dump_same_bytes_as_jansson),
        cmocka_unit_test(test_base_json__load_same_as_jansson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
