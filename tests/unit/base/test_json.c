#include "vt_test.h"

#include <stdio.h>
#include <string.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base_json__exact_bytes_of_a_member),
        cmocka_unit_test(test_base_json__rejects_malformed),
        cmocka_unit_test(test_base_json__every_truncation_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
