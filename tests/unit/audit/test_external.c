/* The external auditor protocol (veritee-auditor/1): every rule an answer can
 * break, then redactions applied, then the request the gateway sends. */
#include "vt_test.h"

#include <stdlib.h>
#include <string.h>

#include "audit/external.h"

static const vt_xaud_text texts[] = {
    { "messages[0].content", "call me at 555 0100 please", 26 },
    { "messages[1].content", "caf\xc3\xa9 au lait", 13 },
};
static const vt_xaud_context ctx = { "prod", "tdx", true, "ab12" };
static const vt_xaud_request rq = { "topics", VT_AUDIT_REQUEST, "rcpt-1", "/v1/chat/completions", false, 0, false,
                                    texts, 2, &ctx };

static void test_external__bad_answers(void **state)
{
    static const struct { const char *json, *msg; } cases[] = {
        { "", "not a JSON object" },
        { "[]", "not a JSON object" },
        { "{\"verdict\":\"allow\",\"verdict\":\"block\"}", "repeats a key" },
        { "{\"verdict\":\"allow\",\"extra\":1}", "unknown member \"extra\"" },
        { "{}", "verdict must be" },
        { "{\"verdict\":\"deny\"}", "verdict must be" },
        { "{\"verdict\":\"block\"}", "a block needs a reason" },
        { "{\"verdict\":\"block\",\"reason\":\"bad\\u0001\"}", "printable" },
        { "{\"verdict\":\"redact\"}", "needs redactions" },
        { "{\"verdict\":\"allow\",\"findings\":[]}", "findings must be an object" },
        { "{\"verdict\":\"allow\",\"findings\":{\"Topic\":1}}", "[a-z0-9_]" },
        { "{\"verdict\":\"allow\",\"findings\":{\"topic\":-1}}", "count must be" },
        { "{\"verdict\":\"allow\",\"findings\":{\"topic\":1.5}}", "count must be" },
        { "{\"verdict\":\"allow\",\"findings\":{\"topic\":2000000}}", "count must be" },
        { "{\"verdict\":\"annotate\",\"redactions\":[{\"text\":0,\"start\":0,\"end\":1,\"replacement\":\"x\"}]}",
          "only with the verdict redact" },
        { "{\"verdict\":\"redact\",\"redactions\":[{\"text\":2,\"start\":0,\"end\":1,\"replacement\":\"x\"}]}",
          "not a text of the request" },
        { "{\"verdict\":\"redact\",\"redactions\":[{\"text\":0,\"start\":5,\"end\":5,\"replacement\":\"x\"}]}",
          "start < end" },
        { "{\"verdict\":\"redact\",\"redactions\":[{\"text\":0,\"start\":0,\"end\":27,\"replacement\":\"x\"}]}",
          "start < end" },
        { "{\"verdict\":\"redact\",\"redactions\":[{\"text\":1,\"start\":0,\"end\":4,\"replacement\":\"x\"}]}",
          "cuts a UTF-8 character" },
        { "{\"verdict\":\"redact\",\"redactions\":[{\"text\":0,\"start\":0,\"end\":4,\"replacement\":\"\\n\"}]}",
          "printable" },
        { "{\"verdict\":\"redact\",\"redactions\":[{\"text\":0,\"start\":0,\"end\":4}]}", "{text, start, end" },
        { "{\"verdict\":\"redact\",\"redactions\":[{\"text\":0,\"start\":0,\"end\":6,\"replacement\":\"x\"},"
          "{\"text\":0,\"start\":5,\"end\":9,\"replacement\":\"y\"}]}", "overlap" },
        { "{\"verdict\":\"annotate\",\"annotations\":{\"score\":{\"a\":1}}}", "annotation \"score\"" },
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vt_xaud_answer a;
        vt_err err = { 0 };
        vt_status rc = vt_xaud_answer_parse(&a, &rq, cases[i].json, strlen(cases[i].json), &err);
        if (rc == VT_OK || strstr(err.msg, cases[i].msg) == NULL)
            fail_msg("case %zu: rc %d, \"%s\", wanted \"%s\"", i, rc, err.msg, cases[i].msg);
        assert_null(a.redactions); /* cleared on error */
    }
}

static void test_external__redactions_applied(void **state)
{
    /* out of order on purpose: the gateway sorts them */
    const char *json = "{\"verdict\":\"redact\",\"findings\":{\"phone\":1,\"drink\":1},"
                       "\"redactions\":[{\"text\":0,\"start\":11,\"end\":19,\"replacement\":\"[PHONE]\"},"
                       "{\"text\":1,\"start\":0,\"end\":5,\"replacement\":\"[DRINK]\"},"
                       "{\"text\":0,\"start\":0,\"end\":4,\"replacement\":\"ring\"}],"
                       "\"annotations\":{\"score\":0.5,\"lang\":\"en\"}}";
    vt_xaud_answer a;
    vt_buf out;
    vt_err err = { 0 };

    (void)state;
    assert_int_equal(vt_xaud_answer_parse(&a, &rq, json, strlen(json), &err), VT_OK);
    assert_int_equal(a.verdict, VT_AUDIT_REDACT);
    assert_int_equal(a.type_count, 2);
    assert_int_equal(a.redaction_count, 3);
    vt_buf_init(&out);
    assert_int_equal(vt_xaud_apply(&out, &a, &rq, 0, &err), VT_OK);
    assert_string_equal((const char *)out.data, "ring me at [PHONE] please");
    vt_buf_free(&out);
    vt_buf_init(&out);
    assert_int_equal(vt_xaud_apply(&out, &a, &rq, 1, &err), VT_OK);
    assert_string_equal((const char *)out.data, "[DRINK] au lait");
    vt_buf_free(&out);
    vt_xaud_answer_clear(&a);
}

static void test_external__request_json(void **state)
{
    char *s = NULL;
    json_t *j;
    vt_err err = { 0 };
    vt_xaud_request r = rq;

    (void)state;
    r.streamed = true;
    r.window = 3;
    r.final_window = true;
    assert_int_equal(vt_xaud_request_json(&s, &r, &err), VT_OK);
    j = json_loads(s, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(j, "protocol")), VT_XAUD_PROTOCOL);
    assert_string_equal(json_string_value(json_object_get(j, "phase")), "request");
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "texts"), 1), "text")),
                        "caf\xc3\xa9 au lait");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "stream"), "window")), 3);
    assert_true(json_is_true(json_object_get(json_object_get(j, "context"), "hardware_attested")));
    json_decref(j);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_external__bad_answers),
        cmocka_unit_test(test_external__redactions_applied),
        cmocka_unit_test(test_external__request_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
