/* The response walker and the stream auditor (response.c): every string
 * position audited, keys too; what cannot be audited refused (duplicate keys,
 * trailing bytes, invalid UTF-8, ...); streams held back per choice and per
 * field, so a marker split across events or sent in a second choice never
 * comes out. */
#include "audit_util.h"

#include <jansson.h>

#include "audit/sse_int.h"

#define MARK "leak.marker@example.com"
#define CFG                                                                                                            \
    "[{\"name\":\"pii\",\"phases\":[\"request\",\"response\"],\"actions\":{\"email\":\"redact\",\"secret\":\"block\"}}]"

typedef audit_fx fixture;

static int setup(void **state)
{
    *state = audit_fx_new(CFG);
    return 0;
}

static int teardown(void **state)
{
    audit_fx_free(*state);
    return 0;
}

static uint32_t response_emails(const vt_audit_report *r)
{
    uint32_t n = 0;
    for (size_t i = 0; i < r->entry_len; i++)
        for (size_t k = 0; r->entries[i].phase == VT_AUDIT_RESPONSE && k < r->entries[i].count_len; k++)
            if (strcmp(r->entries[i].counts[k].type, "email") == 0)
                n += r->entries[i].counts[k].count;
    return n;
}

static uint32_t response_count(const vt_audit_report *r, const char *type)
{
    uint32_t n = 0;
    for (size_t i = 0; i < r->entry_len; i++)
        for (size_t k = 0; r->entries[i].phase == VT_AUDIT_RESPONSE && k < r->entries[i].count_len; k++)
            if (strcmp(r->entries[i].counts[k].type, type) == 0)
                n += r->entries[i].counts[k].count;
    return n;
}

/* Runs vt_audit_response over body (len bytes); returns the output as a C string (borrowed). */
static const char *response(fixture *f, const char *body, size_t len, vt_status want, vt_err *err)
{
    vt_status rc;

    vt_audit_report_init(f->rep);
    f->fwd.len = 0;
    rc = vt_audit_response(f->rep, &f->fwd, f->x, (const uint8_t *)body, len, err);
    if (rc != want)
        fail_msg("response: got %s (%s), want %s", vt_status_str(rc), err->msg, vt_status_str(want));
    assert_int_equal(vt_buf_terminate(&f->fwd, NULL), VT_OK);
    return (const char *)f->fwd.data;
}

/* A tool call's arguments are a string holding JSON, which the client's program decodes: what
 * is inside is audited decoded, so an escape inside the string (\u0040 for the @, \n between a
 * card's groups) hides nothing; clean arguments are sent as they came.  Both roads. */
static void test_audit_response__tool_arguments_audited_decoded(void **state)
{
    fixture *f = *state;
    const char *body =
        "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"a\","
        "\"type\":\"function\",\"function\":{\"name\":\"send\",\"arguments\":\"{\\\"to\\\":\\\"jane.doe\\\\u0040"
        "example.com\\\",\\\"card\\\":\\\"4111\\\\n1111\\\\n1111\\\\n1111\\\"}\"}},{\"id\":\"b\",\"type\":\"function\","
        "\"function\":{\"name\":\"weather\",\"arguments\":\"{ \\\"city\\\": \\\"Paris\\\" }\"}}]},"
        "\"finish_reason\":\"tool_calls\"}]}";

    for (int fast = 0; fast < 2; fast++) {
        vt_err err = { 0 };
        const char *out;
        json_t *j, *calls, *args;

        vt__audit_ctx_set_fast(f->x, fast == 1);
        out = response(f, body, strlen(body), VT_OK, &err);
        j = json_loads(out, JSON_REJECT_DUPLICATES, NULL);
        assert_non_null(j);
        calls = json_object_get(json_object_get(json_array_get(json_object_get(j, "choices"), 0), "message"),
                                "tool_calls");
        args = json_loads(json_string_value(json_object_get(json_object_get(json_array_get(calls, 0), "function"),
                                                            "arguments")),
                          0, NULL);
        assert_non_null(args);
        assert_string_equal(json_string_value(json_object_get(args, "to")), "[EMAIL_1]");
        assert_null(strstr(json_string_value(json_object_get(args, "card")), "1111"));
        assert_int_equal(response_emails(f->rep), 1);
        assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(calls, 1), "function"),
                                                              "arguments")),
                            "{ \"city\": \"Paris\" }");
        json_decref(args);
        json_decref(j);
    }
}

/* Arguments that are not strict JSON (a key twice, a number past a double, a lone surrogate, a
 * string cut short) cannot be audited decoded, yet a lenient reader (JavaScript's JSON.parse,
 * Python's json.loads) still decodes their escapes: a finding hidden behind an escape there is
 * refused, and such arguments with nothing hidden are sent as they came.  Both roads. */
static void test_audit_response__tool_arguments_not_json_escapes(void **state)
{
    fixture *f = *state;
    static const char *const hidden[] = {
        "{\\\"to\\\":\\\"x\\\",\\\"to\\\":\\\"jane.doe\\\\u0040example.com\\\"}",
        "{\\\"n\\\":1e400,\\\"to\\\":\\\"jane.doe\\\\u0040example.com\\\"}",
        "{\\\"s\\\":\\\"\\\\ud800\\\",\\\"to\\\":\\\"jane.doe\\\\u0040example.com\\\"}",
        "{\\\"to\\\":\\\"jane.doe\\\\u0040example.com",
        "{\\\"card\\\":\\\"4111\\\\n1111\\\\n1111\\\\n1111",
    };
    static const char *const clean[] = {
        "{\\\"to\\\":\\\"x\\\",\\\"to\\\":\\\"Caf\\\\u00e9\\\"}",
        "{\\\"city\\\":\\\"Par\\\\u00eds",
        "{\\\"x\\\":\\\"jane.doe\\\\\\\\u0040example.com",
    };
    char body[1024];

    for (int fast = 0; fast < 2; fast++) {
        vt__audit_ctx_set_fast(f->x, fast == 1);
        for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
            vt_err err = { 0 };
            snprintf(body, sizeof(body),
                     "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":"
                     "[{\"id\":\"a\",\"type\":\"function\",\"function\":{\"name\":\"send\",\"arguments\":\"%s\"}}]},"
                     "\"finish_reason\":\"tool_calls\"}]}",
                     hidden[i]);
            (void)response(f, body, strlen(body), VT_E_FORMAT, &err);
            assert_non_null(strstr(err.msg, "escape"));
        }
        for (size_t i = 0; i < sizeof(clean) / sizeof(clean[0]); i++) {
            vt_err err = { 0 };
            const char *out;
            snprintf(body, sizeof(body),
                     "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":"
                     "[{\"id\":\"a\",\"type\":\"function\",\"function\":{\"name\":\"send\",\"arguments\":\"%s\"}}]},"
                     "\"finish_reason\":\"tool_calls\"}]}",
                     clean[i]);
            out = response(f, body, strlen(body), VT_OK, &err);
            assert_non_null(strstr(out, clean[i]));
        }
    }
}

/*
 * A body's text field written as a list of parts (Mistral's API: content as text parts, a
 * reasoning model's thinking parts before them): a client joins the text parts' text, and the
 * thinking parts' text parts, each scanned on its own in place; an address split between two
 * parts, or across the end of the reasoning and the start of the answer, reached it whole.  Such
 * a body is refused now, on both roads; parts each clean, or each redacted, pass.  A part of a
 * type Mistral's API does not document that holds a string (a client may join its text with the
 * answer's) is refused as a stream's is; the documented ones, and others holding no string, pass.
 */
static void test_audit_response__parts_joined_in_a_body(void **state)
{
#define BODY(field, parts) "{\"id\":\"x\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"" field \
                           "\":[" parts "]},\"finish_reason\":\"stop\"}]}"
#define T(s) "{\"type\":\"text\",\"text\":\"" s "\"}"
#define TH(parts) "{\"type\":\"thinking\",\"thinking\":[" parts "]}"
    static const char *const bad[] = {
        BODY("content", T("mail leak.marker@exa") "," T("mple.com now")),
        BODY("content", T("mail leak.marker\\u0040exa") ",{\"type\":\"reference\",\"reference_ids\":[1]}," T("mple.com")),
        BODY("content", TH(T("think leak.marker@exa")) "," T("mple.com")),
        BODY("content", TH(T("think leak.marker@exa") "," T("mple.com"))),
        BODY("content", TH(T("think leak.marker@exa")) "," TH(T("mple.com")) "," T("answer")),
        BODY("refusal", T("no, leak.marker@exa") "," T("mple.com")),
        BODY("content", T("mail leak.marker@exa") ",{\"type\":\"x_note\",\"text\":\"mple.com\"}"),
        BODY("content", TH(T("think") ",{\"type\":\"x_note\",\"note\":[\"hi\"]}")),
        BODY("reasoning", "{\"type\":\"x_note\",\"text\":\"hi\"}"),
    };
    static const char *const good[] = {
        BODY("content", TH(T("I think.")) "," T("Hello ") "," T("world")),
        BODY("content", T("mail leak.marker@example.com") "," T(" ok")),
        BODY("content", T("see") ",{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x.test/a.png\"}},"
                        "{\"type\":\"reference\",\"reference_ids\":[1]},{\"type\":\"x_meta\",\"ids\":[2]}"),
    };
    fixture *f = *state;

    for (int fast = 0; fast < 2; fast++) {
        vt__audit_ctx_set_fast(f->x, fast == 1);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            vt_err err = { 0 };
            const char *out = response(f, bad[i], strlen(bad[i]), VT_E_FORMAT, &err);
            if (out[0] != '\0')
                fail_msg("case %zu sent: %s", i, out);
        }
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
            vt_err err = { 0 };
            const char *out = response(f, good[i], strlen(good[i]), VT_OK, &err);
            assert_null(strstr(out, "example.com"));
        }
        {
            vt_err err = { 0 };
            const char *out = response(f, good[1], strlen(good[1]), VT_OK, &err);
            assert_non_null(strstr(out, "\"text\":\"mail [EMAIL_1]\""));
        }
    }
    vt__audit_ctx_set_fast(f->x, true);
#undef BODY
#undef T
#undef TH
}

static void test_audit_response__every_string_position(void **state)
{
    fixture *f = *state;
    const char *body =
        "{\"id\":\"x\",\"object\":\"chat.completion\",\"system_fingerprint\":\"" MARK "\",\"choices\":[{\"index\":0,"
        "\"message\":{\"role\":\"assistant\",\"content\":\"a " MARK "\",\"refusal\":\"" MARK "\","
        "\"reasoning_content\":\"" MARK "\",\"reasoning\":\"" MARK "\",\"tool_calls\":[{\"id\":\"c\",\"type\":"
        "\"function\",\"function\":{\"name\":\"" MARK "\",\"arguments\":\"{\\\"to\\\":\\\"" MARK "\\\"}\"}}],"
        "\"function_call\":{\"name\":\"f\",\"arguments\":\"" MARK "\"}},\"logprobs\":{\"content\":[{\"token\":\"" MARK
        "\",\"logprob\":-1,\"bytes\":[1,2],\"top_logprobs\":[{\"token\":\"" MARK "\",\"logprob\":-2}]}],"
        "\"tokens\":[\"" MARK "\"],\"top_logprobs\":[{\"" MARK "\":-1.5}]},\"finish_reason\":\"stop\"},"
        "{\"index\":1,\"text\":\"" MARK "\"}],\"x_new_field\":{\"deep\":[[\"" MARK "\"]]},\"n\":1.25,\"ok\":true,"
        "\"none\":null}";
    vt_err err = { 0 };
    const char *out = response(f, body, strlen(body), VT_OK, &err);
    json_t *j = json_loads(out, JSON_REJECT_DUPLICATES, NULL);

    assert_non_null(j);
    assert_null(strstr(out, "marker"));
    assert_int_equal(response_emails(f->rep), 14);
    assert_true(f->rep->audited & VT_AUDIT_RESPONSE);
    /* Keys are audited: the legacy top_logprobs token key is redacted in place. */
    {
        json_t *top = json_array_get(json_object_get(json_object_get(json_array_get(json_object_get(j, "choices"), 0),
                                                                     "logprobs"), "top_logprobs"), 0);
        void *it = json_object_iter(top);
        assert_non_null(it);
        assert_int_equal(strncmp(json_object_iter_key(it), "[EMAIL_", 7), 0);
        assert_true(json_real_value(json_object_iter_value(it)) == -1.5);
    }
    /* Everything else is kept: numbers, booleans, null, key order. */
    assert_non_null(strstr(out, "\"n\":1.25,\"ok\":true,\"none\":null}"));
    assert_int_equal(strncmp(out, "{\"id\":\"x\",\"object\":\"chat.completion\"", 35), 0);
    json_decref(j);
}

static void test_audit_response__reserialised_not_raw(void **state)
{
    fixture *f = *state;
    /* Escapes, whitespace and \u-encoded markers: the client gets what jansson read, audited. */
    const char *body = " { \"choices\" : [ { \"message\" : { \"content\" : \"leak.marker\\u0040example.com \\u00e9\" } } ] } ";
    vt_err err = { 0 };
    const char *out = response(f, body, strlen(body), VT_OK, &err);

    assert_string_equal(out, "{\"choices\":[{\"message\":{\"content\":\"[EMAIL_1] \xc3\xa9\"}}]}");
}

static void test_audit_response__unauditable_bodies_refused(void **state)
{
    static const struct {
        const char *body;
        const char *why;
    } bad[] = {
        { "{\"choices\":[],\"choices\":[{\"text\":\"" MARK "\"}]}", "duplicate key" },
        { "{\"choices\":[]}\n{\"leak\":\"" MARK "\"}", "bytes after" },
        { "{\"choices\":[]} x", "bytes after" },
        { "data: {\"choices\":[]}\n\n", "not valid JSON" },
        { "[\"" MARK "\"]", "not a JSON object" },
        { "\"" MARK "\"", "not valid JSON" },
        { "{\"text\":\"abc", "truncated" },
        { "{\"text\":\"\\ud800\"}", "not valid JSON" },
        { "{\"a\\u0000b\":1}", "NUL in a key" },
        { "{\"n\":123456789012345678901234567890}", "out of range" },
        { "", "truncated" },
    };
    fixture *f = *state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        vt_err err = { 0 };
        f->fwd.len = 0;
        vt_audit_report_init(f->rep);
        if (vt_audit_response(f->rep, &f->fwd, f->x, (const uint8_t *)bad[i].body, strlen(bad[i].body), &err) !=
            VT_E_FORMAT)
            fail_msg("case %zu accepted", i);
        if (strstr(err.msg, bad[i].why) == NULL)
            fail_msg("case %zu: '%s' does not say '%s'", i, err.msg, bad[i].why);
        assert_null(strstr(err.msg, "marker")); /* the error never quotes the body */
        assert_int_equal(f->fwd.len, 0);
        assert_false(f->rep->audited & VT_AUDIT_RESPONSE);
    }
    /* Invalid UTF-8 in a string, and deep nesting. */
    {
        char b[300];
        vt_err err = { 0 };
        snprintf(b, sizeof(b), "{\"content\":\"ok \xff\xfe %s\"}", MARK);
        response(f, b, strlen(b), VT_E_FORMAT, &err);
        assert_non_null(strstr(err.msg, "UTF-8"));
        memset(b, '[', 100);
        b[0] = '{';
        memcpy(b + 1, "\"a\":", 4);
        memset(b + 100, ']', 95);
        b[195] = '}';
        b[196] = '\0';
        response(f, b, strlen(b), VT_E_LIMIT, &err);
    }
}

static void test_audit_response__redacted_key_collision_refused(void **state)
{
    fixture *f = *state;
    const char *body = "{\"top\":{\"[EMAIL_1]\":1,\"" MARK "\":2}}";
    vt_err err = { 0 };

    response(f, body, strlen(body), VT_E_FORMAT, &err);
    assert_non_null(strstr(err.msg, "same after redaction"));
}

/* ---- streams ---- */

#define CHUNK(body) "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1733000000,\"model\":\"m\"," body "}"

static size_t sse_agree(fixture *f, const char *const *ev, size_t n, vt_buf *sent);

typedef struct sse_run {
    vt_buf all; /* every event sent, newline-separated */
    vt_status last;
    bool blocked;
    vt_err err; /* the last event's */
} sse_run;

static void sse_events(fixture *f, sse_run *r, const char *const *ev, size_t n, bool finish)
{
    vt_audit_sse *s = NULL;
    vt_err err = { 0 };

    memset(r, 0, sizeof(*r));
    vt_audit_report_init(f->rep);
    assert_int_equal(vt_audit_sse_new(&s, f->x, NULL), VT_OK);
    for (size_t i = 0; i < n; i++) {
        vt_buf one = { 0 };
        r->last = vt_audit_sse_event(s, &one, (const uint8_t *)ev[i], strlen(ev[i]), &r->err);
        if (one.len > 0) {
            assert_int_equal(vt_buf_append(&r->all, one.data, one.len, NULL), VT_OK);
            assert_int_equal(vt_buf_append(&r->all, "\n", 1, NULL), VT_OK);
        }
        vt_buf_free(&one);
        if (r->last != VT_OK || vt_audit_sse_blocked(s))
            break;
    }
    if (finish) {
        vt_buf one = { 0 };
        assert_int_equal(vt_audit_sse_finish(s, &one, f->rep, &err), VT_OK);
        if (one.len > 0)
            assert_int_equal(vt_buf_append(&r->all, one.data, one.len, NULL), VT_OK);
        vt_buf_free(&one);
    }
    r->blocked = vt_audit_sse_blocked(s);
    assert_int_equal(vt_buf_terminate(&r->all, NULL), VT_OK);
    vt_audit_sse_free(s);
}

static void test_audit_response__stream_split_markers_every_field_and_choice(void **state)
{
    static const char *const ev[] = {
        "{\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"to "
        "leak.mar\",\"reasoning_content\":\"r leak.\"}},{\"index\":1,\"delta\":{\"content\":\"two leak.ma\"}}]}",
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ker@example.com\",\"reasoning_content\":\"marker@example.com\","
        "\"tool_calls\":[{\"index\":0,\"function\":{\"name\":\"mail\",\"arguments\":\"{\\\"to\\\":\\\"leak.mark\"}}]}}]}",
        "{\"choices\":[{\"index\":1,\"delta\":{\"content\":\"rker@example.com\"}},{\"index\":0,\"delta\":{\"tool_calls\":"
        "[{\"index\":0,\"function\":{\"arguments\":\"er@example.com\\\"}\"}}]}}]}",
        "{\"choices\":[{\"index\":3,\"message\":{\"refusal\":\"" MARK "\"},\"logprobs\":{\"content\":[{\"token\":\""
        MARK "\"}]}}]}",
        "{\"choices\":[{\"index\":2,\"text\":\"leak.marker@exa\"}]}",
        "{\"choices\":[{\"index\":2,\"text\":\"mple.com\"},{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}",
    };
    fixture *f = *state;
    sse_run r;

    sse_events(f, &r, ev, sizeof(ev) / sizeof(ev[0]), true);
    assert_int_equal(r.last, VT_OK);
    assert_null(strstr((char *)r.all.data, "leak.ma"));
    assert_null(strstr((char *)r.all.data, "example.com"));
    /* content, reasoning and tool arguments of choice 0, choice 1's content, choice 3's refusal and
     * logprob token and choice 2's text: seven, all in one entry per auditor. */
    assert_int_equal(response_emails(f->rep), 7);
    assert_true(f->rep->audited & VT_AUDIT_RESPONSE);
    /* Choice 1 (no finish_reason) and choice 2 are not dropped: they come out in the last chunk. */
    assert_non_null(strstr((char *)r.all.data, "two [EMAIL_1]"));
    assert_non_null(strstr((char *)r.all.data, "\"text\":\"[EMAIL_1]\""));
    /* Choice 0's finish_reason released its text and tool arguments in that event. */
    assert_non_null(strstr((char *)r.all.data, "\"arguments\":\"{\\\"to\\\":\\\"[EMAIL_1]\\\"}\""));
    vt_buf_free(&r.all);
}

static void test_audit_response__stream_unauditable_events(void **state)
{
    static const char *const bad[] = {
        "{\"choices\":[],\"choices\":[]}",
        "{\"choices\":[]} trailing",
        "not json",
        "{\"choices\":[{\"index\":-1,\"delta\":{\"content\":\"x\"}}]}",
        "{\"choices\":[{\"index\":\"0\",\"delta\":{\"content\":\"x\"}}]}",
        "{\"" MARK "\":1}",
    };
    fixture *f = *state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *ev[2] = { "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"fine\"}}]}", bad[i] };
        sse_run r;
        sse_events(f, &r, ev, 2, true);
        if (r.last != VT_E_FORMAT)
            fail_msg("case %zu: %s", i, vt_status_str(r.last));
        assert_null(strstr((char *)r.all.data, "marker"));
        /* Held-back text of a failed stream is not released; the report says it failed. */
        assert_null(strstr((char *)r.all.data, "fine"));
        assert_true(f->rep->failed & VT_AUDIT_RESPONSE);
        assert_false(f->rep->audited & VT_AUDIT_RESPONSE);
        vt_buf_free(&r.all);
    }
    /* Text for a choice after its finish_reason is refused. */
    {
        const char *ev[2] = { "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"},\"finish_reason\":\"stop\"}]}",
                              "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"more\"}}]}" };
        sse_run r;
        sse_events(f, &r, ev, 2, false);
        assert_int_equal(r.last, VT_E_FORMAT);
        vt_buf_free(&r.all);
    }
}

/*
 * After a choice's finish_reason nothing more of its reply may come: a later event that writes
 * any of it (text of any field, one seen before or a new one, a tool call of any index, function
 * or custom, a call's name alone, a new member of the delta, logprobs) fails the stream there,
 * and nothing of that event is sent, on both roads (sse_fast.c leaves a finished choice to the
 * tree walk).  A piece for a new field or a new call was held and audited, and sent.
 */
static void test_audit_response__stream_nothing_after_finish_reason(void **state)
{
#define LATE(choice) CHUNK("\"choices\":[" choice "]")
    static const char *const before[] = {
        LATE("{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"early\"}}"),
        LATE("{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c0\",\"type\":\"function\","
             "\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}}"),
        LATE("{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}"),
    };
    static const char *const late[] = {
        LATE("{\"index\":0,\"delta\":{\"content\":\"late\"}}"),
        LATE("{\"index\":0,\"delta\":{\"refusal\":\"late\"}}"),
        LATE("{\"index\":0,\"delta\":{\"reasoning_content\":\"late\"}}"),
        LATE("{\"index\":0,\"delta\":{\"reasoning\":\"late\"}}"),
        LATE("{\"index\":0,\"text\":\"late\"}"),
        LATE("{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"late_id\",\"type\":\"function\","
             "\"function\":{\"name\":\"late_fn\",\"arguments\":\"{\\\"late\\\":1}\"}}]}}"),
        LATE("{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"late_id\",\"type\":\"function\","
             "\"function\":{\"name\":\"late_fn\"}}]}}"),
        LATE("{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"late\"}}]}}"),
        LATE("{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":2,\"id\":\"late_id\",\"type\":\"custom\","
             "\"custom\":{\"name\":\"late_fn\",\"input\":\"late\"}}]}}"),
        LATE("{\"index\":0,\"delta\":{\"function_call\":{\"name\":\"late_fn\",\"arguments\":\"late\"}}}"),
        LATE("{\"index\":0,\"delta\":{\"audio\":{\"transcript\":\"late\"}}}"),
        LATE("{\"index\":0,\"delta\":{\"role\":\"assistant\"}}"),
        LATE("{\"index\":0,\"delta\":{\"content\":\"\"}}"),
        LATE("{\"index\":0,\"delta\":{\"tool_calls\":[]}}"),
        LATE("{\"index\":0,\"delta\":\"late\"}"),
        LATE("{\"index\":0,\"message\":{\"content\":\"late\"}}"),
        LATE("{\"index\":0,\"delta\":{},\"logprobs\":{\"content\":[{\"token\":\"late\",\"logprob\":0}]}}"),
        /* in an event that carries other choices too, and with a finish_reason again */
        LATE("{\"index\":1,\"delta\":{\"content\":\"b\"}},{\"index\":0,\"delta\":{\"content\":\"late\"},"
             "\"finish_reason\":\"stop\"}"),
    };
    fixture *f = *state;

    for (size_t i = 0; i < sizeof(late) / sizeof(late[0]); i++) {
        const char *ev[4] = { before[0], before[1], before[2], late[i] };
        sse_run r;
        sse_events(f, &r, ev, 4, true);
        if (r.last != VT_E_FORMAT)
            fail_msg("late case %zu: %s", i, vt_status_str(r.last));
        assert_non_null(strstr(r.err.msg, "after its finish_reason"));
        assert_non_null(strstr((char *)r.all.data, "early"));
        assert_null(strstr((char *)r.all.data, "late"));
        assert_true(f->rep->failed & VT_AUDIT_RESPONSE);
        assert_false(f->rep->audited & VT_AUDIT_RESPONSE);
        vt_buf_free(&r.all);
        (void)sse_agree(f, ev, 4, NULL);
    }
    /* A choice finished before it wrote anything is finished too. */
    {
        const char *ev[2] = { LATE("{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}"),
                              LATE("{\"index\":0,\"delta\":{\"content\":\"late\"}}") };
        sse_run r;
        sse_events(f, &r, ev, 2, true);
        assert_int_equal(r.last, VT_E_FORMAT);
        assert_null(strstr((char *)r.all.data, "late"));
        vt_buf_free(&r.all);
        (void)sse_agree(f, ev, 2, NULL);
    }
#undef LATE
}

/*
 * What servers send after a choice's finish_reason still passes: the usage-only last chunk
 * (choices [], OpenAI's stream_options.include_usage, vLLM, llama.cpp with its timings, Ollama),
 * an empty delta (with the finish_reason again, or null members), an annotation of the finished
 * choice that writes no reply (Azure's content filter results), and another choice of an n > 1
 * stream that goes on writing, with tool calls, after the first one finished.
 */
static void test_audit_response__stream_trailers_after_finish_reason(void **state)
{
    static const char *const ev[] = {
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}},"
              "{\"index\":1,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]"),
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"content\":\"mail leak.mar\"}},"
              "{\"index\":1,\"delta\":{\"content\":\"two leak.mar\"}}]"),
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ker@example.com\"},\"finish_reason\":\"stop\"}]"),
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{}}]"),
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]"),
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"content\":null,\"tool_calls\":null},\"logprobs\":null,"
              "\"finish_reason\":null}]"),
        CHUNK("\"choices\":[{\"index\":0,\"delta\":null,\"message\":null,\"text\":null}]"),
        CHUNK("\"choices\":[{\"index\":0,\"finish_reason\":null,\"content_filter_results\":{\"hate\":"
              "{\"filtered\":false,\"severity\":\"safe\"}},\"content_filter_offsets\":{\"check_offset\":3}}]"),
        CHUNK("\"choices\":[{\"index\":1,\"delta\":{\"content\":\"ker@example.com\",\"tool_calls\":[{\"index\":0,"
              "\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}}]"),
        CHUNK("\"choices\":[{\"index\":1,\"delta\":{},\"finish_reason\":\"tool_calls\"}]"),
        CHUNK("\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":4,\"total_tokens\":5},"
              "\"timings\":{\"prompt_n\":1,\"predicted_ms\":2.5}"),
    };
    fixture *f = *state;
    vt_buf sent = { 0 };
    sse_run r;

    sse_events(f, &r, ev, sizeof(ev) / sizeof(ev[0]), true);
    assert_int_equal(r.last, VT_OK);
    assert_null(strstr((char *)r.all.data, "leak.ma"));
    assert_non_null(strstr((char *)r.all.data, "mail [EMAIL_1]"));
    assert_non_null(strstr((char *)r.all.data, "two [EMAIL_1]"));
    assert_non_null(strstr((char *)r.all.data, "\"severity\":\"safe\""));
    assert_non_null(strstr((char *)r.all.data, "\"total_tokens\":5"));
    assert_int_equal(response_emails(f->rep), 2);
    assert_true(f->rep->audited & VT_AUDIT_RESPONSE);
    assert_false(f->rep->failed & VT_AUDIT_RESPONSE);
    vt_buf_free(&r.all);
    (void)sse_agree(f, ev, sizeof(ev) / sizeof(ev[0]), &sent);
    vt_buf_free(&sent);
}

/* Calls visit(choice, arg) for each choice of index ch in every event sent (r->all), in order. */
static void each_choice(const sse_run *r, int ch, void (*visit)(json_t *choice, void *arg), void *arg)
{
    const char *p = (const char *)r->all.data, *end = p + r->all.len;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p), i;
        json_t *doc = json_loadb(p, n, 0, NULL), *c;

        assert_non_null(doc);
        json_array_foreach(json_object_get(doc, "choices"), i, c) {
            if (json_integer_value(json_object_get(c, "index")) == ch)
                visit(c, arg);
        }
        json_decref(doc);
        p += n + 1;
    }
}

/* Appends v to b when it is a string. */
static void join_string(vt_buf *b, const json_t *v)
{
    if (json_is_string(v))
        assert_int_equal(vt_buf_append(b, json_string_value(v), json_string_length(v), NULL), VT_OK);
}

/* b, terminated, handed to the caller. */
static char *joined(vt_buf *b)
{
    assert_int_equal(vt_buf_terminate(b, NULL), VT_OK);
    return (char *)b->data;
}

struct text_pick {
    vt_buf got;
    const char *holder, *key;
};

static void pick_text(json_t *c, void *arg)
{
    struct text_pick *t = arg;

    join_string(&t->got, json_object_get(t->holder != NULL ? json_object_get(c, t->holder) : c, t->key));
}

/* What the client's program reads of field key of choice ch's holder ("delta" or "message"; NULL:
 * the choice itself) once it has joined the pieces of every event sent, in the order they come. */
static char *client_text(const sse_run *r, int ch, const char *holder, const char *key)
{
    struct text_pick t = { .got = { 0 }, .holder = holder, .key = key };

    each_choice(r, ch, pick_text, &t);
    return joined(&t.got);
}

/*
 * Two objects for the same choice in one event, the first with its finish_reason: the second's
 * text was fed after the first's, but the rest the finish released went into the first, so a
 * client joining them in order read the end of the text before its middle, two pieces the scan
 * never saw side by side (the end of an address before its start).  Refused now, on both roads.
 */
static void test_audit_response__stream_choice_twice_in_one_event(void **state)
{
    char q[600], ev1[800];
    fixture *f = *state;
    sse_run r;

    /* The scan reads "mple.com <filler> leak.marker@exa": no address.  The finish released the
     * held tail ("... leak.marker@exa") into the first object, the start ("mple.com ...") went
     * into the second: the client read "... leak.marker@example.com ...". */
    snprintf(q, sizeof(q), "mple.com %0400d leak.marker@exa", 0);
    snprintf(ev1, sizeof(ev1),
             CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},\"finish_reason\":\"stop\"},"
                   "{\"index\":0,\"delta\":{\"content\":\"%s\"}}]"), q);
    {
        const char *ev[1] = { ev1 };
        char *got;
        sse_events(f, &r, ev, 1, true);
        got = client_text(&r, 0, "delta", "content");
        assert_null(strstr(got, "leak.marker@example.com"));
        free(got);
        assert_int_equal(r.last, VT_E_FORMAT);
        assert_non_null(strstr(r.err.msg, "twice"));
        vt_buf_free(&r.all);
        (void)sse_agree(f, ev, 1, NULL);
    }
    /* Without a finish_reason too (the fast path's shape). */
    {
        const char *ev[1] = { CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}},"
                                    "{\"index\":0,\"delta\":{\"content\":\"b\"}}]") };
        sse_events(f, &r, ev, 1, true);
        assert_int_equal(r.last, VT_E_FORMAT);
        vt_buf_free(&r.all);
        assert_int_equal(sse_agree(f, ev, 1, NULL), 0);
    }
    /* An index written once and defaulted once (position 0) is the same choice. */
    {
        const char *ev[1] = { CHUNK("\"choices\":[{\"delta\":{\"content\":\"a\"}},"
                                    "{\"index\":0,\"delta\":{\"content\":\"b\"}}]") };
        sse_events(f, &r, ev, 1, true);
        assert_int_equal(r.last, VT_E_FORMAT);
        vt_buf_free(&r.all);
        (void)sse_agree(f, ev, 1, NULL);
    }
}

/*
 * Servers that send a chunk's text twice, in "delta" and in "message" (text-generation-webui's
 * and h2oGPT's OpenAI APIs): a client may join either.  The message's pieces were scanned each on
 * its own, so an address split between two events reached a client that joins "message"; a
 * stream that wrote in one holder, then the other, had one scanner for both, whose releases, cut
 * between the two, joined in one holder what the scan had read apart.  Each holder's text now
 * goes through its own holdback scanner: a client that joins either reads what its scanner read.
 */
static void test_audit_response__stream_delta_and_message_both_audited(void **state)
{
#define BOTH(text, fin) CHUNK("\"choices\":[{\"index\":0,\"finish_reason\":" fin ",\"message\":{\"role\":\"assistant\"," \
                              "\"content\":\"" text "\"},\"delta\":{\"role\":\"assistant\",\"content\":\"" text "\"}}]")
    static const char *const copies[] = {
        BOTH("", "null"), BOTH("mail leak.marker@exa", "null"), BOTH("mple.com now", "null"), BOTH("", "\"stop\""),
    };
    /* A delta that writes nothing and a message that writes the address in two pieces. */
    static const char *const message_only[] = {
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{},\"message\":{\"content\":\"mail leak.marker@exa\"}}]"),
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{},\"message\":{\"content\":\"mple.com now\"}}]"),
    };
#undef BOTH
    fixture *f = *state;
    char d1[400], ev1[600];
    sse_run r;

    /* A delta-only reader (the OpenAI SDKs) and a message in between: one scanner for both holders
     * released the byte 257 from the end of the delta's text ('#') into the message's event, so
     * the delta's reader read the two halves of the address side by side.  A choice that switches
     * holders is refused now (stream_holder_layout_sticks): the delta's reader reads neither half
     * joined. */
    snprintf(d1, sizeof(d1), "mail leak.marker@exa#mple.com%248s", "");
    snprintf(ev1, sizeof(ev1), CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"}}]"), d1);
    {
        const char *ev[3] = { ev1, CHUNK("\"choices\":[{\"index\":0,\"message\":{\"content\":\"Z\"}}]"),
                              CHUNK("\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]") };
        char *got;
        sse_events(f, &r, ev, 3, true);
        assert_int_equal(r.last, VT_E_FORMAT);
        got = client_text(&r, 0, "delta", "content");
        assert_null(strstr(got, "leak.marker@example.com"));
        free(got);
        got = client_text(&r, 0, "message", "content");
        assert_string_equal(got, "");
        free(got);
        vt_buf_free(&r.all);
        (void)sse_agree(f, ev, 3, NULL);
    }

    sse_events(f, &r, copies, 4, true);
    assert_int_equal(r.last, VT_OK);
    for (int h = 0; h < 2; h++) {
        char *got = client_text(&r, 0, h == 0 ? "delta" : "message", "content");
        assert_string_equal(got, "mail [EMAIL_1] now");
        free(got);
    }
    assert_null(strstr((char *)r.all.data, "example.com"));
    vt_buf_free(&r.all);
    (void)sse_agree(f, copies, 4, NULL);

    /* Ended without a finish_reason: the last chunk gives each holder its rest. */
    sse_events(f, &r, message_only, 2, true);
    assert_int_equal(r.last, VT_OK);
    {
        char *got = client_text(&r, 0, "message", "content");
        assert_string_equal(got, "mail [EMAIL_1] now");
        free(got);
    }
    assert_null(strstr((char *)r.all.data, "example.com"));
    vt_buf_free(&r.all);
    (void)sse_agree(f, message_only, 2, NULL);
}

/*
 * What a client reads that takes a choice's "delta" when the event has one, else its "message"
 * (text-generation-webui's and h2oGPT's chunks carry both), with Python's `delta or message`
 * (empty: the message) when pythonic: choice 0's content, joined.  Caller frees.
 */
struct fallback_pick {
    vt_buf got;
    bool pythonic;
};

static void pick_fallback(json_t *c, void *arg)
{
    struct fallback_pick *t = arg;
    json_t *h = json_object_get(c, "delta");

    if (h == NULL || json_is_null(h) || (t->pythonic && json_object_size(h) == 0))
        h = json_object_get(c, "message");
    join_string(&t->got, json_object_get(h, "content"));
}

static char *fallback_text(const sse_run *r, bool pythonic)
{
    struct fallback_pick t = { .got = { 0 }, .pythonic = pythonic };

    each_choice(r, 0, pick_fallback, &t);
    return joined(&t.got);
}

/*
 * A choice keeps the holder layout of its first event that has one: a delta, a message, or both
 * (with an empty delta or not); a client that reads the delta when there is one and the message
 * otherwise read the two holders' releases side by side when a stream switched, each scanned by a
 * scanner of its own: the start of an address released from the message, its end from the delta.
 * Refused now, on both roads; the layouts servers send (OpenAI's delta, text-generation-webui's
 * both in every chunk, a message alone, events with no holder) pass.
 */
static void test_audit_response__stream_holder_layout_sticks(void **state)
{
#define M(text) CHUNK("\"choices\":[{\"index\":0,\"message\":{\"content\":\"" text "\"}}]")
#define DL(text) CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" text "\"}}]")
#define BOTH(d, m) CHUNK("\"choices\":[{\"index\":0,\"delta\":" d ",\"message\":" m "}]")
#define FIN(holders) CHUNK("\"choices\":[{\"index\":0," holders "\"finish_reason\":\"stop\"}]")
    char z[300], pad[300], ev2[600], ev3[600];
    fixture *f = *state;

    /* The message releases "mail leak.marker@exa" when 257 more bytes came after it; the delta's
     * "mple.com now" comes out at the finish, into the delta. */
    memset(z, 'Z', 257);
    z[257] = '\0';
    snprintf(pad, sizeof(pad), "%0200d", 0);
    snprintf(ev2, sizeof(ev2), M("%s"), z);
    snprintf(ev3, sizeof(ev3), DL("mple.com now %s"), pad);
    {
        const char *ev[4] = { M("mail leak.marker@exa"), ev2, ev3, FIN("\"delta\":{},") };
        sse_run r;
        char *got;
        sse_events(f, &r, ev, 4, true);
        got = fallback_text(&r, false);
        if (strstr(got, "leak.marker@example.com") != NULL)
            fail_msg("a client falling back to the message read the address: %s", got);
        free(got);
        assert_int_equal(r.last, VT_E_FORMAT);
        vt_buf_free(&r.all);
        (void)sse_agree(f, ev, 4, NULL);
    }
    /* Switches: delta to message, message to delta, both to one, one to both, and, with both, a
     * delta that is empty (Python's `delta or message` reads the message) after one that was not. */
    {
        static const char *const sw[][2] = {
            { DL("a"), M("b") },
            { M("a"), DL("b") },
            { BOTH("{\"content\":\"a\"}", "{\"content\":\"a\"}"), M("b") },
            { BOTH("{\"content\":\"a\"}", "{\"content\":\"a\"}"), DL("b") },
            { DL("a"), BOTH("{\"content\":\"b\"}", "{\"content\":\"b\"}") },
            { BOTH("{\"content\":\"a\"}", "{\"content\":\"a\"}"), BOTH("{}", "{\"content\":\"b\"}") },
            { BOTH("{\"content\":\"a\"}", "{\"content\":\"a\"}"), BOTH("null", "{\"content\":\"b\"}") },
            { BOTH("{}", "{\"content\":\"a\"}"), BOTH("{\"content\":\"b\"}", "{\"content\":\"b\"}") },
        };
        for (size_t i = 0; i < sizeof(sw) / sizeof(sw[0]); i++) {
            sse_run r;
            sse_events(f, &r, sw[i], 2, true);
            if (r.last != VT_E_FORMAT)
                fail_msg("case %zu: %s", i, vt_status_str(r.last));
            vt_buf_free(&r.all);
            (void)sse_agree(f, sw[i], 2, NULL);
        }
    }
    /* What servers send. */
    {
        static const char *const ok[][4] = {
            /* OpenAI: the role first, an empty delta with the finish_reason, the usage chunk. */
            { CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]"),
              DL("mail leak.marker@exa"), FIN("\"delta\":{},"), CHUNK("\"choices\":[]") },
            /* text-generation-webui: both in every chunk, the same text, the last with the finish_reason. */
            { BOTH("{\"role\":\"assistant\",\"content\":\"\"}", "{\"role\":\"assistant\",\"content\":\"\"}"),
              BOTH("{\"content\":\"mail leak.marker@exa\"}", "{\"content\":\"mail leak.marker@exa\"}"),
              BOTH("{\"content\":\"mple.com\"}", "{\"content\":\"mple.com\"}"),
              FIN("\"delta\":{\"content\":\"\"},\"message\":{\"content\":\"\"},") },
            /* A message alone, a choice with no holder between, a finish without one. */
            { M("mail leak.marker@exa"), CHUNK("\"choices\":[{\"index\":0,\"finish_reason\":null}]"), M("mple.com"),
              FIN("") },
        };
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
            sse_run r;
            char *got;
            sse_events(f, &r, ok[i], 4, true);
            if (r.last != VT_OK)
                fail_msg("case %zu: %s (%s)", i, vt_status_str(r.last), r.err.msg);
            for (int py = 0; py < 2; py++) {
                got = fallback_text(&r, py != 0);
                assert_null(strstr(got, "example.com"));
                free(got);
            }
            vt_buf_free(&r.all);
            (void)sse_agree(f, ok[i], 4, NULL);
        }
    }
#undef M
#undef DL
#undef BOTH
#undef FIN
}

/*
 * A choice streamed in message chunks (L_MESSAGE: a message alone; or a message beside a delta),
 * then an empty delta after its finish_reason, as llama.cpp ends a delta stream: the empty delta
 * adds no text, and passed after a delta stream but was refused here as a switch of holders.  It
 * passes now, as do an empty message and both empty; anything after the finish that is not empty
 * (text, an empty string, a role, a member holding an empty object, a holder that is not an
 * object) is still refused, whichever holder carries it.  Both roads.
 */
static void test_audit_response__stream_message_layout_empty_trailer(void **state)
{
#define AFTER(choice) CHUNK("\"choices\":[{\"index\":0," choice "}]")
#define M(text) AFTER("\"message\":{\"content\":\"" text "\"}")
#define B(text) AFTER("\"delta\":{\"content\":\"" text "\"},\"message\":{\"content\":\"" text "\"}")
    static const char *const heads[][3] = {
        { M("mail leak.marker@exa"), M("mple.com now"), AFTER("\"message\":{\"content\":\"\"},\"finish_reason\":\"stop\"") },
        { M("mail leak.marker@exa"), M("mple.com now"), AFTER("\"finish_reason\":\"stop\"") },
        { B("mail leak.marker@exa"), B("mple.com now"),
          AFTER("\"delta\":{\"content\":\"\"},\"message\":{\"content\":\"\"},\"finish_reason\":\"stop\"") },
    };
    static const char *const trailers[] = {
        AFTER("\"delta\":{}"),
        AFTER("\"delta\":{},\"finish_reason\":\"stop\""),
        AFTER("\"delta\":{\"content\":null,\"role\":null}"),
        AFTER("\"message\":{}"),
        AFTER("\"delta\":{},\"message\":{}"),
        AFTER("\"delta\":null,\"message\":{\"content\":null}"),
    };
    static const char *const late[] = {
        AFTER("\"delta\":{\"content\":\"late\"}"),
        AFTER("\"delta\":{\"content\":\"\"}"),
        AFTER("\"delta\":{\"role\":\"assistant\"}"),
        AFTER("\"delta\":{\"late\":{}}"),
        AFTER("\"delta\":[]"),
        AFTER("\"delta\":\"late\""),
        AFTER("\"delta\":{},\"message\":{\"content\":\"late\"}"),
        AFTER("\"message\":{\"content\":\"late\"}"),
    };
    fixture *f = *state;

    for (size_t h = 0; h < sizeof(heads) / sizeof(heads[0]); h++) {
        for (size_t i = 0; i < sizeof(trailers) / sizeof(trailers[0]); i++) {
            const char *ev[5] = { heads[h][0], heads[h][1], heads[h][2], trailers[i], CHUNK("\"choices\":[]") };
            sse_run r;
            char *got;
            sse_events(f, &r, ev, 5, true);
            if (r.last != VT_OK)
                fail_msg("head %zu, trailer %zu: %s (%s)", h, i, vt_status_str(r.last), r.err.msg);
            got = client_text(&r, 0, "message", "content");
            assert_string_equal(got, "mail [EMAIL_1] now");
            free(got);
            assert_null(strstr((char *)r.all.data, "example.com"));
            assert_true(f->rep->audited & VT_AUDIT_RESPONSE);
            vt_buf_free(&r.all);
            (void)sse_agree(f, ev, 5, NULL);
        }
        for (size_t i = 0; i < sizeof(late) / sizeof(late[0]); i++) {
            const char *ev[4] = { heads[h][0], heads[h][1], heads[h][2], late[i] };
            sse_run r;
            sse_events(f, &r, ev, 4, true);
            if (r.last != VT_E_FORMAT)
                fail_msg("head %zu, late %zu: %s", h, i, vt_status_str(r.last));
            assert_non_null(strstr(r.err.msg, "after its finish_reason"));
            assert_null(strstr((char *)r.all.data, "late"));
            assert_true(f->rep->failed & VT_AUDIT_RESPONSE);
            vt_buf_free(&r.all);
            (void)sse_agree(f, ev, 4, NULL);
        }
    }
#undef M
#undef B
}

/*
 * A finish_reason that is neither a string nor null (a number, a boolean, an object, a list: a
 * buggy server) did not finish the choice, so text after it was audited and sent as more of the
 * choice, though a client testing `finish_reason != null` (or a truthy one) had taken the choice as
 * complete there, and clients disagree on which of 0, false, "", {} end it.  Such an event is
 * refused now, before anything of it is sent, on both roads; null goes on, and any string (the
 * empty one too) finishes the choice.
 */
static void test_audit_response__stream_finish_reason_not_a_string(void **state)
{
#define FR(v) AFTER("\"delta\":{\"content\":\"mail leak.mar\"},\"finish_reason\":" v)
    static const char *const odd[] = {
        FR("1"), FR("0"), FR("1.5"), FR("true"), FR("false"), FR("{}"), FR("{\"type\":\"stop\"}"), FR("[\"stop\"]"),
        FR("[]"),
    };
    fixture *f = *state;

    for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
        const char *ev[3] = { AFTER("\"delta\":{\"role\":\"assistant\",\"content\":\"\"}"), odd[i],
                              AFTER("\"delta\":{\"content\":\"ker@example.com late\"}") };
        sse_run r;
        sse_events(f, &r, ev, 3, true);
        if (r.last != VT_E_FORMAT)
            fail_msg("case %zu: %s", i, vt_status_str(r.last));
        assert_non_null(strstr(r.err.msg, "finish_reason"));
        assert_null(strstr((char *)r.all.data, "leak.mar"));
        assert_null(strstr((char *)r.all.data, "late"));
        assert_true(f->rep->failed & VT_AUDIT_RESPONSE);
        vt_buf_free(&r.all);
        (void)sse_agree(f, ev, 3, NULL);
    }
    /* The empty string finishes the choice: more after it is refused. */
    {
        const char *ev[2] = { FR("\"\""), AFTER("\"delta\":{\"content\":\"late\"}") };
        sse_run r;
        sse_events(f, &r, ev, 2, true);
        assert_int_equal(r.last, VT_E_FORMAT);
        assert_non_null(strstr(r.err.msg, "after its finish_reason"));
        vt_buf_free(&r.all);
        (void)sse_agree(f, ev, 2, NULL);
    }
    /* null goes on. */
    {
        const char *ev[3] = { FR("null"), AFTER("\"delta\":{\"content\":\"ker@example.com now\"},\"finish_reason\":null"),
                              AFTER("\"delta\":{},\"finish_reason\":\"stop\"") };
        sse_run r;
        char *got;
        sse_events(f, &r, ev, 3, true);
        assert_int_equal(r.last, VT_OK);
        got = client_text(&r, 0, "delta", "content");
        assert_string_equal(got, "mail [EMAIL_1] now");
        free(got);
        vt_buf_free(&r.all);
        assert_int_equal(sse_agree(f, ev, 3, NULL), 2);
    }
#undef FR
}

/*
 * SGLang's return_hidden_states: after a choice's finish_reason, one more chunk per choice with the
 * last token's hidden states, a list of numbers, in the delta (chat, the other members null) or in
 * the choice beside an empty text (completions).  It was refused as more of the reply; numbers
 * write no text, so it passes now, sent as it came.  Anything else there (a string, a list of
 * strings or of lists, an object, more than SSE_MAX_HIDDEN_STATES numbers, a text that is not
 * empty beside it, an empty text without it, text beside it in the delta) is refused.
 */
static void test_audit_response__stream_hidden_states_after_finish(void **state)
{
#define HS_CHAT(hs) AFTER("\"delta\":{\"role\":null,\"content\":null,\"reasoning_content\":null,\"tool_calls\":null," \
                          "\"hidden_states\":" hs "},\"logprobs\":null,\"finish_reason\":null,\"matched_stop\":null")
#define HS_TEXT(text, hs) AFTER("\"text\":\"" text "\",\"logprobs\":null,\"finish_reason\":null,\"matched_stop\":null," \
                                "\"hidden_states\":" hs)
#define DL(text) AFTER("\"delta\":{\"content\":\"" text "\"}")
#define TX(text, fin) AFTER("\"text\":\"" text "\",\"finish_reason\":" fin)
    static const char *const chat[][6] = {
        { AFTER("\"delta\":{\"role\":\"assistant\",\"content\":\"\"}"), DL("mail leak.marker@exa"), DL("mple.com now"),
          AFTER("\"delta\":{},\"finish_reason\":\"stop\""), HS_CHAT("[0.125,-2.5e-3,3,100]"),
          CHUNK("\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":3,\"total_tokens\":4}") },
        { AFTER("\"delta\":{\"role\":\"assistant\",\"content\":\"\"}"), DL("mail leak.marker@exa"), DL("mple.com now"),
          AFTER("\"delta\":{},\"finish_reason\":\"length\""), HS_CHAT("[]"), AFTER("\"delta\":{\"hidden_states\":[1]}") },
    };
    static const char *const completion[4] = {
        TX("mail leak.marker@exa", "null"), TX("mple.com now", "\"length\""), HS_TEXT("", "[1.5,2]"),
        AFTER("\"text\":null,\"hidden_states\":[]"),
    };
    static const char *const bad[] = {
        HS_CHAT("[\"late\"]"), HS_CHAT("[1,\"late\"]"), HS_CHAT("[[1,2]]"), HS_CHAT("[true]"), HS_CHAT("[null]"),
        HS_CHAT("{\"late\":1}"), HS_CHAT("\"late\""), HS_CHAT("1"),
        AFTER("\"delta\":{\"content\":\"late\",\"hidden_states\":[1]}"),
        AFTER("\"message\":{\"content\":\"late\",\"hidden_states\":[1]}"),
        HS_TEXT("late", "[1]"), HS_TEXT("", "[\"late\"]"), HS_TEXT("", "{\"late\":[1]}"), HS_TEXT("", "[[1]]"),
        AFTER("\"text\":\"\""), AFTER("\"text\":\"\",\"hidden_states\":null"),
        AFTER("\"delta\":{\"hidden_states\":[1]},\"text\":\"\""),
    };
    fixture *f = *state;
    sse_run r;
    char *got;

    for (size_t i = 0; i < sizeof(chat) / sizeof(chat[0]); i++) {
        sse_events(f, &r, chat[i], 6, true);
        if (r.last != VT_OK)
            fail_msg("chat %zu: %s (%s)", i, vt_status_str(r.last), r.err.msg);
        got = client_text(&r, 0, "delta", "content");
        assert_string_equal(got, "mail [EMAIL_1] now");
        free(got);
        assert_non_null(strstr((char *)r.all.data, "\"hidden_states\":["));
        assert_null(strstr((char *)r.all.data, "example.com"));
        vt_buf_free(&r.all);
        (void)sse_agree(f, chat[i], 6, NULL);
    }
    sse_events(f, &r, completion, 4, true);
    if (r.last != VT_OK)
        fail_msg("completion: %s (%s)", vt_status_str(r.last), r.err.msg);
    got = client_text(&r, 0, NULL, "text");
    assert_string_equal(got, "mail [EMAIL_1] now");
    free(got);
    assert_non_null(strstr((char *)r.all.data, "\"hidden_states\":[1.5,2"));
    vt_buf_free(&r.all);
    (void)sse_agree(f, completion, 4, NULL);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        for (int c = 0; c < 2; c++) {
            const char *ev[4] = { c == 0 ? DL("mail leak.marker@exa") : TX("mail leak.marker@exa", "null"),
                                  c == 0 ? AFTER("\"delta\":{\"content\":\"mple.com now\"},\"finish_reason\":\"stop\"")
                                         : TX("mple.com now", "\"stop\""),
                                  bad[i], CHUNK("\"choices\":[]") };
            sse_events(f, &r, ev, 4, true);
            if (r.last != VT_E_FORMAT)
                fail_msg("bad %zu (%s): %s", i, c == 0 ? "chat" : "completion", vt_status_str(r.last));
            assert_non_null(strstr(r.err.msg, "after its finish_reason"));
            assert_null(strstr((char *)r.all.data, "late"));
            assert_null(strstr((char *)r.all.data, "hidden_states"));
            vt_buf_free(&r.all);
            (void)sse_agree(f, ev, 4, NULL);
        }
    }
    /* Bounded: SSE_MAX_HIDDEN_STATES numbers pass, one more is refused. */
    for (size_t extra = 0; extra < 2; extra++) {
        static const char head[] = "{\"choices\":[{\"index\":0,\"delta\":{\"hidden_states\":[";
        vt_buf big = { 0 };
        const char *ev[3] = { DL("mail"), AFTER("\"delta\":{},\"finish_reason\":\"stop\""), NULL };
        assert_int_equal(vt_buf_append(&big, head, strlen(head), NULL), VT_OK);
        for (size_t k = 0; k < SSE_MAX_HIDDEN_STATES + extra; k++)
            assert_int_equal(vt_buf_append(&big, k == 0 ? "0" : ",0", k == 0 ? 1 : 2, NULL), VT_OK);
        assert_int_equal(vt_buf_append(&big, "]}}]}", 5, NULL), VT_OK);
        assert_int_equal(vt_buf_terminate(&big, NULL), VT_OK);
        ev[2] = (const char *)big.data;
        sse_events(f, &r, ev, 3, true);
        if (r.last != (extra == 0 ? VT_OK : VT_E_FORMAT))
            fail_msg("%zu numbers: %s (%s)", (size_t)SSE_MAX_HIDDEN_STATES + extra, vt_status_str(r.last), r.err.msg);
        vt_buf_free(&r.all);
        vt_buf_free(&big);
    }
#undef HS_CHAT
#undef HS_TEXT
#undef DL
#undef TX
#undef AFTER
}

/*
 * SGLang's return_routed_experts (its OpenAI-compatible chat and completions streams): after the
 * finish_reason and hidden-states chunks, one chunk with no choice at all ("choices": []) whose
 * top-level "sglext" object holds "routed_experts", the MoE routing trace as a base64 string
 * (int32 expert ids), before the usage chunk; every other chunk carries "sglext": null.  It names
 * no choice, so it adds nothing to a choice's reply, and it passes, its string scanned where it is
 * like every top-level string (a marker written there is redacted, not sent).  The same trace
 * inside a finished choice's delta or beside more of its text, or a choice with text in that
 * chunk, is more of the reply after its finish_reason and is refused.
 */
static void test_audit_response__stream_sglang_routed_experts(void **state)
{
#define SGL(body) CHUNK(body ",\"usage\":null,\"sglext\":null")
#define SGL_CH(choice) SGL("\"choices\":[{\"index\":0," choice ",\"logprobs\":null,\"matched_stop\":null}]")
#define RE "BQAAABEAAAADAAAAYwAAAAAAAAB/AAAAQAAAAAwAAAAFAAAAEQAAAAMAAABjAAAAAAAAAH8AAABAAAAADAAAAA=="
#define EXPERTS(re) CHUNK("\"choices\":[],\"usage\":null,\"sglext\":{\"routed_experts\":\"" re "\"}")
    static const char *const head[4] = {
        SGL_CH("\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null"),
        SGL_CH("\"delta\":{\"content\":\"mail leak.marker@exa\"},\"finish_reason\":null"),
        SGL_CH("\"delta\":{\"content\":\"mple.com now\"},\"finish_reason\":null"),
        SGL_CH("\"delta\":{},\"finish_reason\":\"stop\""),
    };
    static const char *const late[] = {
        SGL_CH("\"delta\":{\"routed_experts\":\"" RE "\"},\"finish_reason\":null"),
        SGL_CH("\"delta\":{\"content\":\"late\"},\"finish_reason\":null"),
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"content\":\"late\"}}],\"sglext\":{\"routed_experts\":\"" RE "\"}"),
        CHUNK("\"choices\":[{\"index\":0,\"text\":\"late\"}],\"sglext\":{\"routed_experts\":\"" RE "\"}"),
    };
    fixture *f = *state;
    sse_run r;
    char *got;

    {
        const char *ev[6] = { head[0], head[1], head[2], head[3], EXPERTS(RE),
                              CHUNK("\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":3,"
                                    "\"total_tokens\":4},\"sglext\":null") };
        vt_buf sent = { 0 };
        sse_events(f, &r, ev, 6, true);
        if (r.last != VT_OK)
            fail_msg("routed experts: %s (%s)", vt_status_str(r.last), r.err.msg);
        got = client_text(&r, 0, "delta", "content");
        assert_string_equal(got, "mail [EMAIL_1] now");
        free(got);
        assert_non_null(strstr((char *)r.all.data, "\"sglext\":{\"routed_experts\":\"" RE "\"}"));
        assert_true(f->rep->audited & VT_AUDIT_RESPONSE);
        vt_buf_free(&r.all);
        assert_int_equal(sse_agree(f, ev, 6, &sent), 3); /* the two pieces of text and the trace: no tree */
        vt_buf_free(&sent);
    }
    /* A marker written where the trace goes is scanned as every top-level string is. */
    {
        const char *ev[5] = { head[0], head[1], head[2], head[3], EXPERTS(MARK) };
        sse_events(f, &r, ev, 5, true);
        assert_int_equal(r.last, VT_OK);
        assert_null(strstr((char *)r.all.data, "example.com"));
        assert_non_null(strstr((char *)r.all.data, "\"routed_experts\":\"[EMAIL_"));
        assert_int_equal(response_emails(f->rep), 2);
        vt_buf_free(&r.all);
        (void)sse_agree(f, ev, 5, NULL);
    }
    for (size_t i = 0; i < sizeof(late) / sizeof(late[0]); i++) {
        const char *ev[5] = { head[0], head[1], head[2], head[3], late[i] };
        sse_events(f, &r, ev, 5, true);
        if (r.last != VT_E_FORMAT)
            fail_msg("late %zu: %s", i, vt_status_str(r.last));
        assert_non_null(strstr(r.err.msg, "after its finish_reason"));
        assert_null(strstr((char *)r.all.data, "late"));
        assert_null(strstr((char *)r.all.data, "routed_experts"));
        assert_true(f->rep->failed & VT_AUDIT_RESPONSE);
        vt_buf_free(&r.all);
        (void)sse_agree(f, ev, 5, NULL);
    }
#undef SGL
#undef SGL_CH
#undef RE
#undef EXPERTS
}

/*
 * A member of a choice that no one has invented yet, holding a string: a client that joins a
 * choice's members across events as the OpenAI SDKs join a delta's read its pieces side by side,
 * but each was scanned in its own event, so an address whose halves came in two events' pieces
 * passed.  The choice's own strings are joined now as its delta's are (the same join_walk: each
 * piece scanned with the last 256 bytes sent at the same place), at any depth, and a delta written
 * as a string too: a finding only the join shows fails the stream before the second piece is
 * sent, on both roads.  The same member clean in every event, or holding the address whole (then
 * redacted where it is), passes.
 */
static void test_audit_response__stream_choice_member_joined(void **state)
{
#define CH(choice) CHUNK("\"choices\":[{\"index\":0," choice "}]")
    static const char *const split[][3] = {
        { CH("\"delta\":{\"content\":\"a\"},\"annotation\":\"leak.marker@exa\""),
          CH("\"delta\":{\"content\":\"b\"},\"annotation\":\"mple.com\""), CH("\"delta\":{},\"finish_reason\":\"stop\"") },
        { CH("\"delta\":{\"content\":\"a\"},\"trace\":{\"note\":[\"leak.marker@exa\"]}"),
          CH("\"delta\":{\"content\":\"b\"},\"trace\":{\"note\":[\"mple.com\"]}"), CH("\"finish_reason\":\"stop\"") },
        { CH("\"text\":\"a\",\"annotation\":\"leak.marker@exa\""), CH("\"text\":\"b\",\"annotation\":\"mple.com\""),
          CH("\"text\":\"\",\"finish_reason\":\"stop\"") },
        { CH("\"delta\":\"leak.marker@exa\""), CH("\"delta\":\"mple.com\""), CH("\"finish_reason\":\"stop\"") },
    };
    static const char *const fine[][3] = {
        { CH("\"delta\":{\"content\":\"a\"},\"annotation\":\"safe\""),
          CH("\"delta\":{\"content\":\"b\"},\"annotation\":\"safe\""),
          CH("\"delta\":{},\"finish_reason\":\"stop\",\"annotation\":\"safe\"") },
        { CH("\"delta\":{\"content\":\"a\"},\"annotation\":\"" MARK "\""),
          CH("\"delta\":{\"content\":\"b\"},\"annotation\":\"safe\""), CH("\"delta\":{},\"finish_reason\":\"stop\"") },
    };
    fixture *f = *state;
    sse_run r;

    for (size_t i = 0; i < sizeof(split) / sizeof(split[0]); i++) {
        sse_events(f, &r, split[i], 3, true);
        if (r.last != VT_E_FORMAT)
            fail_msg("split %zu: %s", i, vt_status_str(r.last));
        assert_non_null(strstr(r.err.msg, "joined across stream events"));
        assert_null(strstr((char *)r.all.data, "mple.com"));
        assert_true(f->rep->failed & VT_AUDIT_RESPONSE);
        vt_buf_free(&r.all);
        (void)sse_agree(f, split[i], 3, NULL);
    }
    for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
        sse_events(f, &r, fine[i], 3, true);
        if (r.last != VT_OK)
            fail_msg("fine %zu: %s (%s)", i, vt_status_str(r.last), r.err.msg);
        assert_null(strstr((char *)r.all.data, "example.com"));
        assert_non_null(strstr((char *)r.all.data, "\"annotation\":\"safe\""));
        assert_true(f->rep->audited & VT_AUDIT_RESPONSE);
        vt_buf_free(&r.all);
        (void)sse_agree(f, fine[i], 3, NULL);
    }
#undef CH
}

/*
 * A streamed text field that is neither a string, nor null, nor a list of parts (an object, a
 * number), or a list with something in it that is not a part (an object with a string "type"), or
 * a text part without a string text, or a thinking part without a list of parts: how a client
 * reads it is unknown, so it cannot be audited as the client joins it and is refused, on both
 * roads; null passes.
 */
static void test_audit_response__stream_structured_text_refused(void **state)
{
    static const char *const bad[] = {
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":{\"text\":\"mail leak.marker@exa\"}}}]"),
        CHUNK("\"choices\":[{\"index\":0,\"message\":{\"refusal\":[\"mail leak.marker@exa\"]}}]"),
        CHUNK("\"choices\":[{\"index\":0,\"text\":[\"mail leak.marker@exa\"]}]"),
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"reasoning\":1}}]"),
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"content\":[{\"text\":\"mail leak.marker@exa\"}]}}]"),
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"content\":[{\"type\":1,\"text\":\"mail leak.marker@exa\"}]}}]"),
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"content\":[{\"type\":\"text\",\"text\":[\"mail leak.marker@exa\"]}]}}]"),
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"content\":[{\"type\":\"text\"}]}}]"),
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"content\":[{\"type\":\"thinking\",\"thinking\":\"mail leak.marker@exa\"}]}}]"),
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"content\":[{\"type\":\"thinking\",\"thinking\":[\"mail leak.marker@exa\"]}]}}]"),
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"content\":[{\"type\":\"thinking\",\"thinking\":[{\"type\":\"text\",\"text\":2}]}]}}]"),
    };
    fixture *f = *state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *ev[2] = { bad[i], CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"content\":[{\"type\":\"text\","
                                            "\"text\":\"mple.com\"}]}}]") };
        sse_run r;
        sse_events(f, &r, ev, 2, true);
        if (r.last != VT_E_FORMAT)
            fail_msg("case %zu: %s", i, vt_status_str(r.last));
        assert_null(strstr((char *)r.all.data, "leak.marker"));
        assert_true(f->rep->failed & VT_AUDIT_RESPONSE);
        vt_buf_free(&r.all);
        (void)sse_agree(f, ev, 2, NULL);
    }
    {
        const char *ev[2] = { CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"content\":null,\"refusal\":null,"
                                    "\"reasoning_content\":null,\"reasoning\":null},\"text\":null}]"),
                              CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"}}]") };
        sse_run r;
        sse_events(f, &r, ev, 2, true);
        assert_int_equal(r.last, VT_OK);
        vt_buf_free(&r.all);
        assert_int_equal(sse_agree(f, ev, 2, NULL), 2);
    }
}

/*
 * What a client of Mistral's API reads of a streamed text field (content as a string, or as a list
 * of parts: {"type":"text","text":...} and {"type":"thinking","thinking":[{"type":"text",
 * "text":...}]}, as Magistral streams its reasoning): view 0 the answer (the strings and the text
 * parts, joined across events), 1 the reasoning (the thinking parts' text parts), 2 both in the
 * order sent, as a client that joins every text member of the list reads them.  Every list sent
 * must hold parts only.  Caller frees.
 */
struct parts_pick {
    vt_buf got;
    const char *holder, *key;
    int view;
};

static void pick_parts(json_t *c, void *arg)
{
    struct parts_pick *t = arg;
    json_t *v = json_object_get(json_object_get(c, t->holder), t->key), *part, *sub;
    size_t k, j;

    if (t->view != 1)
        join_string(&t->got, v);
    json_array_foreach(v, k, part) {
        const char *type = json_string_value(json_object_get(part, "type"));
        assert_non_null(type);
        if (strcmp(type, "text") == 0 && t->view != 1) {
            assert_true(json_is_string(json_object_get(part, "text")));
            join_string(&t->got, json_object_get(part, "text"));
        }
        if (strcmp(type, "thinking") != 0 || t->view == 0)
            continue;
        json_array_foreach(json_object_get(part, "thinking"), j, sub)
            join_string(&t->got, json_object_get(sub, "text"));
    }
}

static char *parts_view(const sse_run *r, const char *holder, const char *key, int view)
{
    struct parts_pick t = { .got = { 0 }, .holder = holder, .key = key, .view = view };

    each_choice(r, 0, pick_parts, &t);
    return joined(&t.got);
}

#define PARTS(holder, parts) CHUNK("\"choices\":[{\"index\":0,\"" holder "\":{\"content\":[" parts "]}}]")
#define TXT(s) "{\"type\":\"text\",\"text\":\"" s "\"}"
#define THINK(s) "{\"type\":\"thinking\",\"thinking\":[" TXT(s) "]}"
#define STOP CHUNK("\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]")

/* Runs ev (n events) on both roads; the client's views must be want (NULL: not checked), and no
 * event may hold "example.com". */
static void parts_expect(fixture *f, const char *const *ev, size_t n, const char *holder, const char *answer,
                         const char *thinking, const char *all)
{
    const char *want[3] = { answer, thinking, all };
    sse_run r;

    sse_events(f, &r, ev, n, true);
    if (r.last != VT_OK)
        fail_msg("%s: %s", vt_status_str(r.last), r.err.msg);
    assert_null(strstr((char *)r.all.data, "example.com"));
    for (int v = 0; v < 3; v++) {
        char *got = parts_view(&r, holder, "content", v);
        if (want[v] != NULL && strcmp(got, want[v]) != 0)
            fail_msg("view %d: got \"%s\", want \"%s\"", v, got, want[v]);
        free(got);
    }
    assert_false(f->rep->failed & VT_AUDIT_RESPONSE);
    vt_buf_free(&r.all);
    (void)sse_agree(f, ev, n, NULL);
}

/*
 * Text streamed as parts (Mistral's API: content as a list of {"type":"text","text":...}) goes
 * through the holdback scanner the string form uses, part after part, so an address split between
 * two events' parts is redacted where a client joining them would read it whole; the parts keep
 * their shape, clean text passes byte for byte, string and parts of one field join, escapes are
 * read decoded.  Both holders, both roads.
 */
static void test_audit_response__stream_parts_joined(void **state)
{
    static const char *const split[] = {
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]"),
        PARTS("delta", TXT("mail leak.marker@exa")), PARTS("delta", TXT("mple.com now")), STOP,
    };
    static const char *const two_parts[] = {
        PARTS("delta", TXT("mail leak.mar") "," TXT("ker@exa")), PARTS("delta", TXT("mple.com now")), STOP,
    };
    static const char *const string_then_parts[] = {
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"content\":\"mail leak.marker@exa\"}}]"),
        PARTS("delta", TXT("mple.com now")), STOP,
    };
    static const char *const parts_then_string[] = {
        PARTS("delta", TXT("mail leak.marker@exa")),
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"content\":\"mple.com now\"}}]"), STOP,
    };
    static const char *const escaped[] = {
        PARTS("delta", TXT("mail leak.marker\\u0040exa")), PARTS("delta", TXT("mple.com now")), STOP,
    };
    static const char *const message[] = {
        PARTS("message", TXT("mail leak.marker@exa")), PARTS("message", TXT("mple.com now")),
    };
    static const char *const clean[] = {
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]"),
        PARTS("delta", TXT("Hello \\\"there\\\" caf\\u00e9 \\ud83d\\ude00")), PARTS("delta", TXT(",") "," TXT(" world")),
        PARTS("delta", TXT("")), STOP,
    };
    fixture *f = *state;

    parts_expect(f, split, 4, "delta", "mail [EMAIL_1] now", "", "mail [EMAIL_1] now");
    parts_expect(f, two_parts, 3, "delta", "mail [EMAIL_1] now", NULL, NULL);
    parts_expect(f, string_then_parts, 3, "delta", "mail [EMAIL_1] now", NULL, NULL);
    parts_expect(f, parts_then_string, 3, "delta", "mail [EMAIL_1] now", NULL, NULL);
    parts_expect(f, escaped, 3, "delta", "mail [EMAIL_1] now", NULL, NULL);
    parts_expect(f, message, 2, "message", "mail [EMAIL_1] now", NULL, NULL);
    parts_expect(f, clean, 5, "delta", "Hello \"there\" caf\xc3\xa9 \xf0\x9f\x98\x80, world", NULL, NULL);
    /* A blocked term split between parts blocks the stream, and its start is not sent. */
    {
        const char *ev[3] = { PARTS("delta", TXT("key AKIAIOSF")), PARTS("delta", TXT("ODNN7EXAMPLE")), STOP };
        sse_run r;
        sse_events(f, &r, ev, 3, true);
        assert_true(r.blocked);
        assert_null(strstr((char *)r.all.data, "AKIA"));
        vt_buf_free(&r.all);
        (void)sse_agree(f, ev, 3, NULL);
    }
}

/*
 * Magistral's reasoning, streamed as thinking parts holding text parts, has a holdback scanner of
 * its own (clients read it apart from the answer), and is released whole before the answer's
 * first text; an address split between two thinking parts is redacted, one split between the end
 * of the reasoning and the start of the answer (which a client that joins every text of the list
 * reads whole) fails the stream, and reasoning after the answer started is refused.
 */
static void test_audit_response__stream_parts_thinking(void **state)
{
    static const char *const think_split[] = {
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]"),
        PARTS("delta", THINK("think leak.marker@exa")), PARTS("delta", THINK("mple.com ok.")),
        PARTS("delta", "{\"type\":\"thinking\",\"closed\":true,\"thinking\":[" TXT(" Done.") "]}"),
        PARTS("delta", TXT("Answer")), PARTS("delta", TXT(" here")), STOP,
    };
    static const char *const answer_as_string[] = {
        PARTS("delta", THINK("think")), CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Answer\"}}]"), STOP,
    };
    static const char *const one_event[] = {
        PARTS("delta", THINK("think leak.marker@exa") "," THINK("mple.com") "," TXT("Answer")), STOP,
    };
    fixture *f = *state;

    parts_expect(f, think_split, 7, "delta", "Answer here", "think [EMAIL_1] ok. Done.",
                 "think [EMAIL_1] ok. Done.Answer here");
    parts_expect(f, answer_as_string, 3, "delta", "Answer", "think", "thinkAnswer");
    parts_expect(f, one_event, 2, "delta", "Answer", "think [EMAIL_1]", "think [EMAIL_1]Answer");
    /* Split across the end of the reasoning and the answer: refused where the answer starts. */
    {
        const char *ev[3] = { PARTS("delta", THINK("think leak.marker@exa")), PARTS("delta", TXT("mple.com")), STOP };
        sse_run r;
        char *all;
        sse_events(f, &r, ev, 3, true);
        assert_int_equal(r.last, VT_E_FORMAT);
        all = parts_view(&r, "delta", "content", 2);
        assert_null(strstr(all, "example.com"));
        free(all);
        assert_true(f->rep->failed & VT_AUDIT_RESPONSE);
        vt_buf_free(&r.all);
        (void)sse_agree(f, ev, 3, NULL);
    }
    /* Reasoning after the answer started (by a string or a text part), in one event or two. */
    {
        static const char *const late[][2] = {
            { PARTS("delta", TXT("Answer")), PARTS("delta", THINK("more")) },
            { CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Answer\"}}]"), PARTS("delta", THINK("more")) },
            { PARTS("delta", TXT("Answer") "," THINK("more")), STOP },
        };
        for (size_t i = 0; i < sizeof(late) / sizeof(late[0]); i++) {
            sse_run r;
            sse_events(f, &r, late[i], 2, true);
            if (r.last != VT_E_FORMAT)
                fail_msg("case %zu: %s", i, vt_status_str(r.last));
            vt_buf_free(&r.all);
            (void)sse_agree(f, late[i], 2, NULL);
        }
    }
}

/*
 * Parts that are not text (an image_url, a reference, a document_url) are what a whole body's are:
 * every string in them audited where it is; and, as the other strings of a delta, joined across
 * events (per type), so an address split between two events' document_url parts fails the stream.
 * The text parts around them are joined as before.
 */
static void test_audit_response__stream_parts_not_text(void **state)
{
    static const char *const mixed[] = {
        PARTS("delta", TXT("see leak.marker@exa") ","
              "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x.test/leak.marker@example.com\"}},"
              "{\"type\":\"reference\",\"reference_ids\":[1,2]}," TXT("mple.com now")),
        PARTS("delta", "{\"type\":\"thinking\",\"thinking\":[{\"type\":\"reference\",\"reference_ids\":[3]}]}"), STOP,
    };
    fixture *f = *state;
    sse_run r;

    sse_events(f, &r, mixed, 3, true);
    assert_int_equal(r.last, VT_OK);
    assert_null(strstr((char *)r.all.data, "example.com"));
    assert_non_null(strstr((char *)r.all.data, "\"url\":\"https://x.test/[EMAIL_1]\""));
    assert_non_null(strstr((char *)r.all.data, "\"reference_ids\":[1,2]"));
    {
        char *got = parts_view(&r, "delta", "content", 0);
        assert_string_equal(got, "see [EMAIL_1] now");
        free(got);
    }
    vt_buf_free(&r.all);
    (void)sse_agree(f, mixed, 3, NULL);
    {
        const char *ev[3] = { PARTS("delta", "{\"type\":\"document_url\",\"document_url\":\"mail leak.marker@exa\"}"),
                              PARTS("delta", "{\"type\":\"document_url\",\"document_url\":\"mple.com\"}"), STOP };
        sse_events(f, &r, ev, 3, true);
        assert_int_equal(r.last, VT_E_FORMAT);
        assert_null(strstr((char *)r.all.data, "mple.com"));
        vt_buf_free(&r.all);
        (void)sse_agree(f, ev, 3, NULL);
    }
}

/*
 * A part of a type not known (one no server documents) holding a string: the strings of such
 * parts were joined across events by their position in the list, so an address split between two
 * events' unknown parts at different positions, or in an unknown part beside the answer's text
 * (which a client joining every "text" of the list reads side by side), reached the client.  How
 * a client reads an unknown part is unknown: it is refused now, on both roads, in content and in a
 * thinking part; one holding no string (numbers, as a reference's ids) passes.
 */
static void test_audit_response__stream_parts_unknown_type(void **state)
{
#define NOTE(s) "{\"type\":\"x_note\",\"text\":\"" s "\"}"
    static const char *const bad[][2] = {
        { PARTS("delta", TXT("see") "," NOTE("mail leak.marker@exa")), PARTS("delta", NOTE("mple.com")) },
        { PARTS("delta", TXT("mail leak.marker@exa") "," NOTE("mple.com")), STOP },
        { PARTS("delta", "{\"type\":\"x_note\",\"note\":{\"body\":\"mail leak.marker@exa\"}}"), STOP },
        { PARTS("delta", "{\"type\":\"x_note\",\"lines\":[\"mail leak.marker@exa\"]}"), STOP },
        { PARTS("delta", "{\"type\":\"thinking\",\"thinking\":[" NOTE("mail leak.marker@exa") "]}"), STOP },
        { PARTS("message", TXT("see") "," NOTE("mail leak.marker@exa")), STOP },
    };
    static const char *const ok[] = {
        PARTS("delta", TXT("mail leak.marker@exa") ",{\"type\":\"x_meta\",\"ids\":[1,2],\"score\":0.5,\"on\":true}"),
        PARTS("delta", TXT("mple.com now") ",{\"type\":\"thinking\",\"thinking\":[{\"type\":\"x_meta\",\"n\":null}]}"),
        STOP,
    };
    fixture *f = *state;
    sse_run r;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sse_events(f, &r, bad[i], 2, true);
        if (r.last != VT_E_FORMAT)
            fail_msg("case %zu: %s", i, vt_status_str(r.last));
        assert_non_null(strstr(r.err.msg, "type"));
        assert_null(strstr((char *)r.all.data, "leak.marker"));
        assert_null(strstr((char *)r.all.data, "mple.com"));
        assert_true(f->rep->failed & VT_AUDIT_RESPONSE);
        vt_buf_free(&r.all);
        (void)sse_agree(f, bad[i], 2, NULL);
    }
    sse_events(f, &r, ok, 3, true);
    if (r.last != VT_OK)
        fail_msg("%s (%s)", vt_status_str(r.last), r.err.msg);
    assert_non_null(strstr((char *)r.all.data, "\"ids\":[1,2]"));
    {
        char *got = parts_view(&r, "delta", "content", 0);
        assert_string_equal(got, "mail [EMAIL_1] now");
        free(got);
    }
    vt_buf_free(&r.all);
    (void)sse_agree(f, ok, 3, NULL);
#undef NOTE
}

/*
 * The strings of parts of a known type that is not text (Mistral's image_url, document_url, file,
 * input_audio) are joined across events per type, as a client that gathers a type's parts reads
 * them, not by their position in the list: an address split between two events' image_url parts
 * at different positions was checked at two places, each clean, and passed.  Refused now, on both
 * roads; parts of two types, or at the same place, as before.
 */
static void test_audit_response__stream_parts_joined_per_type(void **state)
{
#define IMG(u) "{\"type\":\"image_url\",\"image_url\":{\"url\":\"" u "\"}}"
#define DOC(u) "{\"type\":\"document_url\",\"document_url\":\"" u "\"}"
    static const char *const bad[][3] = {
        { PARTS("delta", TXT("see") "," IMG("mail leak.marker@exa")), PARTS("delta", IMG("mple.com")), STOP },
        { PARTS("delta", IMG("mail leak.marker@exa")), PARTS("delta", TXT("see") "," IMG("mple.com")), STOP },
        { PARTS("delta", DOC("mail leak.marker@exa") "," DOC("mple.com")), STOP, STOP },
        { PARTS("delta", DOC("mail leak.marker@exa") "," IMG("x")), PARTS("delta", DOC("mple.com")), STOP },
    };
    static const char *const ok[] = {
        PARTS("delta", TXT("see") "," IMG("mail leak.marker@exa")), PARTS("delta", DOC("mple.com") "," IMG(" now")),
        STOP,
    };
    fixture *f = *state;
    sse_run r;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sse_events(f, &r, bad[i], 3, true);
        if (r.last != VT_E_FORMAT)
            fail_msg("case %zu: %s", i, vt_status_str(r.last));
        assert_null(strstr((char *)r.all.data, "mple.com"));
        vt_buf_free(&r.all);
        (void)sse_agree(f, bad[i], 3, NULL);
    }
    sse_events(f, &r, ok, 3, true);
    if (r.last != VT_OK)
        fail_msg("%s (%s)", vt_status_str(r.last), r.err.msg);
    assert_non_null(strstr((char *)r.all.data, "\"document_url\":\"mple.com\""));
    vt_buf_free(&r.all);
    (void)sse_agree(f, ok, 3, NULL);
#undef IMG
#undef DOC
}

/*
 * Parts are Mistral's form of content; no server streams refusal, reasoning_content, reasoning or
 * a completion's text as a list.  A list there is refused now, on both roads (it was fed as parts).
 */
static void test_audit_response__stream_parts_only_in_content(void **state)
{
    static const char *const bad[] = {
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"refusal\":[" TXT("no") "]}}]"),
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":[" TXT("hm") "]}}]"),
        CHUNK("\"choices\":[{\"index\":0,\"message\":{\"reasoning\":[" TXT("hm") "]}}]"),
        CHUNK("\"choices\":[{\"index\":0,\"text\":[" TXT("hi") "]}]"),
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"reasoning\":[]}}]"),
    };
    fixture *f = *state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *ev[2] = { bad[i], STOP };
        sse_run r;
        sse_events(f, &r, ev, 2, true);
        if (r.last != VT_E_FORMAT)
            fail_msg("case %zu: %s", i, vt_status_str(r.last));
        assert_non_null(strstr(r.err.msg, "list"));
        assert_true(f->rep->failed & VT_AUDIT_RESPONSE);
        vt_buf_free(&r.all);
        (void)sse_agree(f, ev, 2, NULL);
    }
}

/* What the OpenAI SDKs' stream helpers build of a delta (openai-python's accumulate_delta): every
 * string is joined with the earlier ones at its place, but "index" and "type"; objects are merged;
 * lists of objects are merged by their "index". */
static void sdk_accumulate(json_t *acc, json_t *delta)
{
    const char *key;
    json_t *dv;

    json_object_foreach(delta, key, dv) {
        json_t *av = json_object_get(acc, key);
        if (av == NULL || json_is_null(av) || strcmp(key, "index") == 0 || strcmp(key, "type") == 0) {
            json_object_set_new(acc, key, json_deep_copy(dv));
        } else if (json_is_string(av) && json_is_string(dv)) {
            char *cat = NULL;
            assert_true(asprintf(&cat, "%s%s", json_string_value(av), json_string_value(dv)) >= 0);
            json_object_set_new(acc, key, json_string(cat));
            free(cat);
        } else if (json_is_object(av) && json_is_object(dv)) {
            sdk_accumulate(av, dv);
        } else if (json_is_array(av) && json_is_array(dv)) {
            size_t i, k;
            json_t *d, *a;
            json_array_foreach(dv, i, d) {
                json_t *to = NULL;
                json_array_foreach(av, k, a)
                    if (json_equal(json_object_get(a, "index"), json_object_get(d, "index")))
                        to = a;
                if (to != NULL)
                    sdk_accumulate(to, d);
                else
                    json_array_append_new(av, json_deep_copy(d));
            }
        }
    }
}

/* The delta of choice 0 an SDK client builds from every event sent, as compact JSON; caller frees. */
static void pick_delta(json_t *c, void *arg)
{
    if (json_is_object(json_object_get(c, "delta")))
        sdk_accumulate(arg, json_object_get(c, "delta"));
}

static char *sdk_message(const sse_run *r)
{
    json_t *acc = json_object();
    char *js;

    each_choice(r, 0, pick_delta, acc);
    js = json_dumps(acc, JSON_COMPACT | JSON_SORT_KEYS);
    assert_non_null(js);
    json_decref(acc);
    return js;
}

/*
 * The other strings of a delta are joined across events too by the SDKs' stream helpers (a call's
 * id and name, the role, a member no one has invented yet, such as audio.transcript), but were
 * scanned each event on its own, so an address split between two events' pieces of a tool call's
 * name reached the client's program whole.  What the client builds by joining is scanned at each
 * piece (with the last 256 bytes before it) and a finding only the join shows fails the stream;
 * the role repeated in every chunk, as some servers send it, passes.
 */
static void test_audit_response__stream_joined_strings(void **state)
{
#define D(delta) CHUNK("\"choices\":[{\"index\":0,\"delta\":" delta "}]")
    static const char *const split[][2] = {
        { D("{\"tool_calls\":[{\"index\":0,\"id\":\"c0\",\"type\":\"function\",\"function\":{\"name\":\"leak.marker@exa\"}}]}"),
          D("{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":\"mple.com\",\"arguments\":\"{}\"}}]}") },
        { D("{\"tool_calls\":[{\"index\":0,\"id\":\"leak.marker@exa\",\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}"),
          D("{\"tool_calls\":[{\"index\":0,\"id\":\"mple.com\"}]}") },
        { D("{\"tool_calls\":[{\"index\":1,\"type\":\"custom\",\"custom\":{\"name\":\"leak.marker@exa\"}}]}"),
          D("{\"tool_calls\":[{\"index\":1,\"custom\":{\"name\":\"mple.com\",\"input\":\"x\"}}]}") },
        { D("{\"function_call\":{\"name\":\"leak.marker@exa\"}}"), D("{\"function_call\":{\"name\":\"mple.com\"}}") },
        { D("{\"role\":\"leak.marker@exa\"}"), D("{\"role\":\"mple.com\"}") },
        { D("{\"x_note\":\"leak.marker@exa\"}"), D("{\"x_note\":\"mple.com\"}") },
        { D("{\"audio\":{\"id\":\"a\",\"transcript\":\"mail leak.marker@exa\"}}"),
          D("{\"audio\":{\"transcript\":\"mple.com now\"}}") },
    };
    static const char *const repeated[] = {
        D("{\"role\":\"assistant\",\"content\":\"hi \"}"), D("{\"role\":\"assistant\",\"content\":\"there\"}"),
        D("{\"role\":\"assistant\",\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\","
          "\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}]}"),
        D("{\"role\":\"assistant\",\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{}\"}}]}"),
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"},\"finish_reason\":\"tool_calls\"}]"),
    };
#undef D
    fixture *f = *state;

    for (size_t i = 0; i < sizeof(split) / sizeof(split[0]); i++) {
        sse_run r;
        char *got;
        sse_events(f, &r, split[i], 2, true);
        got = sdk_message(&r);
        if (strstr(got, "leak.marker@example.com") != NULL || r.last != VT_E_FORMAT)
            fail_msg("case %zu: %s, the client builds %s", i, vt_status_str(r.last), got);
        free(got);
        assert_true(f->rep->failed & VT_AUDIT_RESPONSE);
        vt_buf_free(&r.all);
        (void)sse_agree(f, split[i], 2, NULL);
    }
    {
        sse_run r;
        char *got;
        sse_events(f, &r, repeated, sizeof(repeated) / sizeof(repeated[0]), true);
        assert_int_equal(r.last, VT_OK);
        got = sdk_message(&r);
        assert_non_null(strstr(got, "\"content\":\"hi there\""));
        assert_non_null(strstr(got, "\"name\":\"get_weather\""));
        free(got);
        vt_buf_free(&r.all);
        (void)sse_agree(f, repeated, sizeof(repeated) / sizeof(repeated[0]), NULL);
    }
}

/* ---- streamed tool-call arguments: held per call, audited whole and decoded ---- */

/* One chunk of choice ch carrying a piece of the text of tool call tool of the given type
 * ("function": function.arguments, "custom": custom.input; tool -1: the legacy function_call);
 * id and name when given (a call's first piece), piece NULL for none, finish the choice's
 * finish_reason or NULL.  Caller frees. */
static char *call_event(const char *type, int ch, int tool, const char *id, const char *name, const char *piece,
                        const char *finish)
{
    bool custom = strcmp(type, "custom") == 0;
    json_t *fn = json_object(), *delta = json_object(), *ev;
    char *js;

    assert_non_null(fn);
    assert_non_null(delta);
    if (name != NULL)
        json_object_set_new(fn, "name", json_string(name));
    if (piece != NULL)
        json_object_set_new(fn, custom ? "input" : "arguments", json_string(piece));
    if (tool < 0 && json_object_size(fn) == 0) {
        json_decref(fn); /* a chunk with no call: the finish_reason alone */
    } else if (tool < 0) {
        json_object_set_new(delta, "function_call", fn);
    } else {
        json_t *call = json_pack("{s:i, s:o}", "index", tool, type, fn);
        assert_non_null(call);
        if (id != NULL) {
            json_object_set_new(call, "id", json_string(id));
            json_object_set_new(call, "type", json_string(type));
        }
        json_object_set_new(delta, "tool_calls", json_pack("[o]", call));
    }
    ev = json_pack("{s:s, s:s, s:i, s:s, s:[{s:i, s:o, s:s?}]}", "id", "chatcmpl-1", "object", "chat.completion.chunk",
                   "created", 1, "model", "m", "choices", "index", ch, "delta", delta, "finish_reason", finish);
    assert_non_null(ev);
    js = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_non_null(js);
    json_decref(ev);
    return js;
}

static char *args_event(int ch, int tool, const char *id, const char *name, const char *piece, const char *finish)
{
    return call_event("function", ch, tool, id, name, piece, finish);
}

static char *input_event(int ch, int tool, const char *id, const char *name, const char *piece, const char *finish)
{
    return call_event("custom", ch, tool, id, name, piece, finish);
}

static void free_events(char **ev, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(ev[i]);
}

/*
 * What the client's program reads of call tool of choice ch (tool -1: function_call) once it has
 * joined the pieces of every event sent (r->all), as the OpenAI SDKs do: member "id" of the
 * call, or member key ("arguments", "name"; "input" of a custom call) of its function or custom
 * object.  Caller frees.
 */
struct call_pick {
    vt_buf got;
    int tool;
    const char *key;
};

static void pick_call(json_t *c, void *arg)
{
    struct call_pick *t = arg;
    json_t *h = json_object_get(c, "delta"), *call, *v = NULL;
    size_t k;

    if (!json_is_object(h))
        h = json_object_get(c, "message");
    if (t->tool < 0)
        v = json_object_get(json_object_get(h, "function_call"), t->key);
    json_array_foreach(json_object_get(h, "tool_calls"), k, call) {
        json_t *fn = json_object_get(call, "function");
        if (!json_is_object(fn))
            fn = json_object_get(call, "custom");
        if (t->tool >= 0 && json_integer_value(json_object_get(call, "index")) == t->tool)
            v = strcmp(t->key, "id") == 0 ? json_object_get(call, "id") : json_object_get(fn, t->key);
    }
    join_string(&t->got, v);
}

static char *client_reads(const sse_run *r, int ch, int tool, const char *key)
{
    struct call_pick t = { .got = { 0 }, .tool = tool, .key = key };

    each_choice(r, ch, pick_call, &t);
    return joined(&t.got);
}

/* The arguments the client's program reads, decoded (json_loads); caller frees. */
static json_t *client_args(const sse_run *r, int ch, int tool)
{
    char *s = client_reads(r, ch, tool, "arguments");
    json_t *j = json_loads(s, JSON_DECODE_ANY, NULL);

    if (j == NULL)
        fail_msg("the client's arguments are not JSON: %s", s);
    free(s);
    return j;
}

static void assert_client_reads(const sse_run *r, int ch, int tool, const char *key, const char *want)
{
    char *s = client_reads(r, ch, tool, key);

    assert_string_equal(s, want);
    free(s);
}

/* An e-mail written with \u0040 inside streamed arguments, in pieces across events: the pieces
 * are held until the call completes and the whole is audited decoded, as the client's program
 * reads it; scanned as they came, escapes and all, the address reached the client. */
static void test_audit_response__stream_tool_args_escaped_email_split(void **state)
{
    fixture *f = *state;
    char *ev[] = {
        args_event(0, 0, "call_1", "send", "", NULL),
        args_event(0, 0, NULL, NULL, "{\"to\":\"jane.", NULL),
        args_event(0, 0, NULL, NULL, "doe\\u0040exa", NULL),
        args_event(0, 0, NULL, NULL, "mple.com\",\"cc\":\"ok\"}", NULL),
        args_event(0, -1, NULL, NULL, NULL, "tool_calls"),
    };
    sse_run r;
    json_t *args;

    sse_events(f, &r, (const char *const *)ev, 5, true);
    assert_int_equal(r.last, VT_OK);
    assert_null(strstr((char *)r.all.data, "jane"));
    args = client_args(&r, 0, 0);
    assert_string_equal(json_string_value(json_object_get(args, "to")), "[EMAIL_1]");
    assert_string_equal(json_string_value(json_object_get(args, "cc")), "ok");
    assert_client_reads(&r, 0, 0, "id", "call_1");
    assert_client_reads(&r, 0, 0, "name", "send");
    assert_int_equal(response_emails(f->rep), 1);
    assert_true(f->rep->audited & VT_AUDIT_RESPONSE);
    json_decref(args);
    vt_buf_free(&r.all);
    free_events(ev, 5);
}

/* A card with \n escapes between its groups, split across events (the legacy function_call
 * too): found decoded. */
static void test_audit_response__stream_tool_args_card_newlines_split(void **state)
{
    audit_fx *g = audit_fx_new("[{\"name\":\"pii\",\"phases\":[\"response\"],\"actions\":{\"card\":\"redact\"}}]");
    char *ev[] = {
        args_event(0, 0, "call_1", "pay", "{\"card\":\"4111\\n11", NULL),
        args_event(0, 0, NULL, NULL, "11\\n1111\\n", NULL),
        args_event(0, 0, NULL, NULL, "1111\",\"exp\":\"12/30\"}", NULL),
        args_event(1, -1, NULL, "pay", "{\"card\":\"4111\\n1111", NULL),
        args_event(1, -1, NULL, NULL, "\\n1111\\n1111\"}", NULL),
        args_event(0, -1, NULL, NULL, NULL, "tool_calls"),
        args_event(1, -1, NULL, NULL, NULL, "function_call"),
    };
    sse_run r;
    json_t *a0, *a1;

    (void)state;
    sse_events(g, &r, (const char *const *)ev, 7, true);
    assert_int_equal(r.last, VT_OK);
    assert_null(strstr((char *)r.all.data, "4111"));
    a0 = client_args(&r, 0, 0);
    a1 = client_args(&r, 1, -1);
    assert_string_equal(json_string_value(json_object_get(a0, "card")), "[CARD_1]");
    assert_string_equal(json_string_value(json_object_get(a0, "exp")), "12/30");
    assert_string_equal(json_string_value(json_object_get(a1, "card")), "[CARD_1]");
    assert_int_equal(response_count(g->rep, "card"), 2);
    json_decref(a0);
    json_decref(a1);
    vt_buf_free(&r.all);
    free_events(ev, 7);
    audit_fx_free(g);
}

/* The escape itself cut between two events ("\u00" then "40"): no piece holds it whole. */
static void test_audit_response__stream_tool_args_escape_cut_between_events(void **state)
{
    fixture *f = *state;
    char *ev[] = {
        args_event(0, 0, "call_1", "send", "{\"to\":\"jane.doe\\u00", NULL),
        args_event(0, 0, NULL, NULL, "40example.com\"}", NULL),
        args_event(0, -1, NULL, NULL, NULL, "tool_calls"),
    };
    sse_run r;
    json_t *args;

    sse_events(f, &r, (const char *const *)ev, 3, true);
    assert_int_equal(r.last, VT_OK);
    assert_null(strstr((char *)r.all.data, "jane"));
    args = client_args(&r, 0, 0);
    assert_string_equal(json_string_value(json_object_get(args, "to")), "[EMAIL_1]");
    assert_int_equal(response_emails(f->rep), 1);
    json_decref(args);
    vt_buf_free(&r.all);
    free_events(ev, 3);
}

/*
 * Two tool calls in one choice, the second starting with its name alone (as some servers send
 * it), and a second choice's call streaming between them: a call that starts ends the earlier
 * calls of its own choice, whose whole arguments go out, audited, in that event ahead of the new
 * call; the other choice's call is held on, to the end of the stream.  A piece for a call after
 * the next one started is refused: it would reach the client unaudited.
 */
static void test_audit_response__stream_two_tool_calls_one_choice(void **state)
{
    fixture *f = *state;
    char *ev[] = {
        args_event(0, 0, "call_a", "send", "{\"to\":\"jane.doe\\u00", NULL),
        args_event(1, 0, "call_c", "note", "{\"text\":\"mail leak.marker", NULL),
        args_event(0, 0, NULL, NULL, "40example.com\"}", NULL),
        args_event(0, 1, "call_b", "send", NULL, NULL),
        args_event(1, 0, NULL, NULL, "\\u0040example.com\"}", NULL),
        args_event(0, 1, NULL, NULL, "{\"to\":\"john\\u0040exam", NULL),
        args_event(0, 1, NULL, NULL, "ple.com\"}", NULL),
        args_event(0, -1, NULL, NULL, NULL, "tool_calls"),
    };
    sse_run r;
    json_t *a, *b, *c;
    const char *all, *start, *eol;

    sse_events(f, &r, (const char *const *)ev, 8, true);
    assert_int_equal(r.last, VT_OK);
    all = (const char *)r.all.data;
    assert_null(strstr(all, "jane"));
    assert_null(strstr(all, "john"));
    assert_null(strstr(all, "leak.marker"));
    a = client_args(&r, 0, 0);
    b = client_args(&r, 0, 1);
    c = client_args(&r, 1, 0);
    assert_string_equal(json_string_value(json_object_get(a, "to")), "[EMAIL_1]");
    assert_string_equal(json_string_value(json_object_get(b, "to")), "[EMAIL_1]");
    assert_string_equal(json_string_value(json_object_get(c, "text")), "mail [EMAIL_1]");
    assert_client_reads(&r, 0, 0, "id", "call_a");
    assert_client_reads(&r, 0, 1, "id", "call_b");
    assert_client_reads(&r, 1, 0, "id", "call_c");
    assert_int_equal(response_emails(f->rep), 3);
    /* Call a's arguments come out in the event where call b starts, ahead of it. */
    start = strstr(all, "\"id\":\"call_b\"");
    assert_non_null(start);
    while (start > all && start[-1] != '\n')
        start--;
    eol = strchr(start, '\n');
    assert_non_null(eol);
    {
        const char *args_a = strstr(start, "{\\\"to\\\":\\\"[EMAIL_1]\\\"}");
        assert_true(args_a != NULL && args_a < strstr(start, "call_b") && args_a < eol);
    }
    /* Choice 1 had no finish_reason: its call comes out in the last chunk. */
    assert_non_null(strstr(strrchr(all, '\n'), "mail [EMAIL_1]"));
    json_decref(a);
    json_decref(b);
    json_decref(c);
    vt_buf_free(&r.all);

    /* Call a again once call b started: refused, and nothing of it is sent. */
    {
        char *late[] = {
            args_event(0, 0, "call_a", "send", "{\"to\":\"x\"", NULL),
            args_event(0, 1, "call_b", "send", "{}", NULL),
            args_event(0, 0, NULL, NULL, ",\"cc\":\"jane.doe\\u0040example.com\"}", NULL),
        };
        sse_events(f, &r, (const char *const *)late, 3, true);
        assert_int_equal(r.last, VT_E_FORMAT);
        assert_non_null(strstr(r.err.msg, "after a later call started"));
        assert_null(strstr((char *)r.all.data, "jane"));
        assert_true(f->rep->failed & VT_AUDIT_RESPONSE);
        vt_buf_free(&r.all);
        free_events(late, 3);
    }
    free_events(ev, 8);
}

/* Arguments held past SSE_MAX_HELD (what a whole body may be) fail the stream closed, as any
 * event that cannot be audited does: nothing of the held pieces is sent, then or at the end. */
static void test_audit_response__stream_tool_args_over_cap_fail_closed(void **state)
{
    enum { PIECE = 1 << 20, N = SSE_MAX_HELD / PIECE + 2 };
    fixture *f = *state;
    char *piece = malloc(PIECE + 1), *ev[N + 1];
    sse_run r;

    assert_non_null(piece);
    memset(piece, 'q', PIECE);
    piece[PIECE] = '\0';
    memcpy(piece, "{\"k\":\"", 6);
    ev[0] = args_event(0, 0, "call_1", "store", "", NULL);
    for (size_t i = 1; i <= N; i++)
        ev[i] = args_event(0, 0, NULL, NULL, piece, NULL);
    sse_events(f, &r, (const char *const *)ev, N + 1, true);
    assert_int_equal(r.last, VT_E_LIMIT);
    assert_non_null(strstr(r.err.msg, "held in one stream"));
    assert_null(strstr((char *)r.all.data, "qqqq"));
    assert_true(f->rep->failed & VT_AUDIT_RESPONSE);
    assert_false(f->rep->audited & VT_AUDIT_RESPONSE);
    vt_buf_free(&r.all);
    free_events(ev, N + 1);
    free(piece);
}

/* Clean arguments reach the client as the model wrote them, byte for byte (spacing, escapes,
 * number forms), whole in the event that completes the call (longer than a holdback, so none of
 * it went out as it came); id, name and type in the first. */
static void test_audit_response__stream_clean_tool_args_pass_unchanged(void **state)
{
    static const char *const pieces[] = { " \"Par\\u00eds\\n\", \"n\": 1.50", "0, \"q\":\"a\\\"b\" }" };
    fixture *f = *state;
    char first[512], want[600], *ev[4];
    sse_run r;
    const char *last;

    snprintf(first, sizeof(first), "{ \"note\": \"%0400d\", \"city\" :", 0);
    snprintf(want, sizeof(want), "%s%s%s", first, pieces[0], pieces[1]);
    ev[0] = args_event(0, 0, "call_1", "weather", first, NULL);
    ev[1] = args_event(0, 0, NULL, NULL, pieces[0], NULL);
    ev[2] = args_event(0, 0, NULL, NULL, pieces[1], NULL);
    ev[3] = args_event(0, -1, NULL, NULL, NULL, "tool_calls");

    sse_events(f, &r, (const char *const *)ev, 4, true);
    assert_int_equal(r.last, VT_OK);
    assert_client_reads(&r, 0, 0, "arguments", want);
    assert_client_reads(&r, 0, 0, "id", "call_1");
    assert_client_reads(&r, 0, 0, "name", "weather");
    assert_non_null(strstr((char *)r.all.data, "\"type\":\"function\""));
    /* The pieces went out as "" and the whole in the event with the finish_reason. */
    last = strstr((char *)r.all.data, "\"finish_reason\":\"tool_calls\"");
    assert_non_null(last);
    while (last > (const char *)r.all.data && last[-1] != '\n')
        last--;
    assert_int_equal(strncmp(last, "{\"id\":\"chatcmpl-1\"", 18), 0);
    {
        json_t *j = json_loadb(last, strcspn(last, "\n"), 0, NULL), *delta, *call;
        assert_non_null(j);
        delta = json_object_get(json_array_get(json_object_get(j, "choices"), 0), "delta");
        call = json_array_get(json_object_get(delta, "tool_calls"), 0);
        assert_string_equal(json_string_value(json_object_get(json_object_get(call, "function"), "arguments")), want);
        json_decref(j);
    }
    assert_int_equal(response_emails(f->rep), 0);
    assert_true(f->rep->audited & VT_AUDIT_RESPONSE);
    vt_buf_free(&r.all);
    free_events(ev, 4);
}

/*
 * A stream whose first event (first) opened a call that is still held: cut after it (the caller
 * ends the stream sending nothing more, out NULL), and failed by an event that cannot be audited
 * (bad).  Either way none of the strings in hidden (NULL-ended) is sent, and nothing held is
 * counted: it was dropped unread.
 */
static void assert_held_call_dropped(fixture *f, const char *first, const char *bad,
                                     const char *const *hidden)
{
    const char *evs[] = { first, bad };
    vt_audit_sse *s = NULL;
    vt_buf out = { 0 };
    vt_err err = { 0 };
    sse_run r;

    vt_audit_report_init(f->rep);
    assert_int_equal(vt_audit_sse_new(&s, f->x, NULL), VT_OK);
    assert_int_equal(vt_audit_sse_event(s, &out, (const uint8_t *)first, strlen(first), &err), VT_OK);
    assert_int_equal(vt_buf_terminate(&out, NULL), VT_OK);
    for (const char *const *h = hidden; *h != NULL; h++)
        assert_null(strstr((char *)out.data, *h));
    out.len = 0;
    assert_int_equal(vt_audit_sse_finish(s, NULL, f->rep, &err), VT_OK);
    assert_int_equal(out.len, 0);
    assert_int_equal(response_emails(f->rep), 0);
    vt_audit_sse_free(s);
    vt_buf_free(&out);

    sse_events(f, &r, evs, 2, true);
    assert_int_equal(r.last, VT_E_FORMAT);
    for (const char *const *h = hidden; *h != NULL; h++)
        assert_null(strstr((char *)r.all.data, *h));
    assert_true(f->rep->failed & VT_AUDIT_RESPONSE);
    vt_buf_free(&r.all);
}

/*
 * A stream that ends while a call's arguments are held: when it ends well (no finish_reason,
 * then [DONE]) they come out audited in the last chunk; when it is cut or fails (the upstream
 * died, an event could not be audited) nothing of them is sent, though more than a holdback's
 * worth of them had arrived.
 */
static void test_audit_response__stream_cut_mid_tool_args(void **state)
{
    fixture *f = *state;
    char head[700];
    char *ev[3];
    sse_run r;

    snprintf(head, sizeof(head), "{\"to\":\"jane.doe\\u0040example.com\",\"body\":\"%0600d", 7);
    ev[0] = args_event(0, 0, "call_1", "send", head, NULL);
    ev[1] = args_event(0, 0, NULL, NULL, "\"}", NULL);
    ev[2] = strdup("not json");
    assert_non_null(ev[2]);

    /* Ended well, without a finish_reason. */
    sse_events(f, &r, (const char *const *)ev, 2, true);
    assert_int_equal(r.last, VT_OK);
    assert_null(strstr((char *)r.all.data, "jane"));
    {
        json_t *args = client_args(&r, 0, 0);
        assert_string_equal(json_string_value(json_object_get(args, "to")), "[EMAIL_1]");
        json_decref(args);
    }
    vt_buf_free(&r.all);

    assert_held_call_dropped(f, ev[0], ev[2], (const char *const[]){ "jane", "0000", NULL });
    free_events(ev, 3);
}

/* Arguments that cannot be audited whole (JSON nested past the limit a whole body has) and a
 * secret written with escapes: the stream fails or is blocked when the call completes, and
 * nothing of the call is sent. */
static void test_audit_response__stream_tool_args_refused_or_blocked_whole(void **state)
{
    fixture *f = *state;
    char deep[200];
    sse_run r;

    memset(deep, '[', 70);
    memcpy(deep + 70, "\"jane.doe\\u0040example.com\"", 27);
    memset(deep + 97, ']', 70);
    deep[167] = '\0';
    {
        char *ev[] = { args_event(0, 0, "call_1", "f", deep, NULL), args_event(0, -1, NULL, NULL, NULL, "stop") };
        sse_events(f, &r, (const char *const *)ev, 2, true);
        assert_int_equal(r.last, VT_E_LIMIT);
        assert_null(strstr((char *)r.all.data, "jane"));
        assert_true(f->rep->failed & VT_AUDIT_RESPONSE);
        vt_buf_free(&r.all);
        free_events(ev, 2);
    }
    /* The same at the end of the stream: vt_audit_sse_finish refuses, and sends nothing. */
    {
        char *ev = args_event(0, 0, "call_1", "f", deep, NULL);
        vt_audit_sse *s = NULL;
        vt_buf out = { 0 };
        vt_err err = { 0 };

        vt_audit_report_init(f->rep);
        assert_int_equal(vt_audit_sse_new(&s, f->x, NULL), VT_OK);
        assert_int_equal(vt_audit_sse_event(s, &out, (const uint8_t *)ev, strlen(ev), &err), VT_OK);
        out.len = 0;
        assert_int_equal(vt_audit_sse_finish(s, &out, f->rep, &err), VT_E_LIMIT);
        assert_int_equal(out.len, 0);
        assert_true(f->rep->failed & VT_AUDIT_RESPONSE);
        vt_audit_sse_free(s);
        vt_buf_free(&out);
        free(ev);
    }
    /* A secret (block) written AKIA\u0049...: the stream is blocked, the call never sent. */
    {
        char *ev[] = {
            args_event(0, 0, "call_1", "f", "{\"key\":\"AKIA\\u0049OSF", NULL),
            args_event(0, 0, NULL, NULL, "ODNN7EXAMPLE\"}", NULL),
            args_event(0, -1, NULL, NULL, NULL, "stop"),
        };
        sse_events(f, &r, (const char *const *)ev, 3, true);
        assert_true(r.blocked);
        assert_null(strstr((char *)r.all.data, "OSF"));
        assert_null(strstr((char *)r.all.data, "EXAMPLE"));
        assert_int_equal(f->rep->verdict, VT_AUDIT_BLOCK);
        vt_buf_free(&r.all);
        free_events(ev, 3);
    }
}

/* ---- streamed custom tool calls: custom.input held per call, scanned whole as text ---- */

/* The event of r->all (one per line) holding needle, as a NUL-terminated copy; caller frees. */
static char *event_with(const sse_run *r, const char *needle)
{
    const char *all = (const char *)r->all.data, *at = strstr(all, needle), *end;
    char *one;

    assert_non_null(at);
    while (at > all && at[-1] != '\n')
        at--;
    end = strchr(at, '\n');
    if (end == NULL)
        end = all + r->all.len;
    one = strndup(at, (size_t)(end - at));
    assert_non_null(one);
    return one;
}

/* An e-mail split between two events' custom.input pieces: the pieces are held until the call
 * completes and the whole input is scanned as text; each piece scanned on its own held no
 * address, and both reached the client. */
static void test_audit_response__stream_custom_input_email_split(void **state)
{
    fixture *f = *state;
    char *ev[] = {
        input_event(0, 0, "call_1", "shell", "", NULL),
        input_event(0, 0, NULL, NULL, "mail -s hi jane.doe@exa", NULL),
        input_event(0, 0, NULL, NULL, "mple.com < note.txt", NULL),
        args_event(0, -1, NULL, NULL, NULL, "tool_calls"),
    };
    sse_run r;

    sse_events(f, &r, (const char *const *)ev, 4, true);
    assert_int_equal(r.last, VT_OK);
    assert_null(strstr((char *)r.all.data, "jane"));
    assert_null(strstr((char *)r.all.data, "mple.com"));
    assert_client_reads(&r, 0, 0, "input", "mail -s hi [EMAIL_1] < note.txt");
    assert_client_reads(&r, 0, 0, "id", "call_1");
    assert_client_reads(&r, 0, 0, "name", "shell");
    assert_non_null(strstr((char *)r.all.data, "\"type\":\"custom\""));
    assert_int_equal(response_emails(f->rep), 1);
    assert_true(f->rep->audited & VT_AUDIT_RESPONSE);
    vt_buf_free(&r.all);
    free_events(ev, 4);
}

/* A blocked term split between two events' custom.input pieces blocks the stream when the call
 * completes, and nothing of the input is sent. */
static void test_audit_response__stream_custom_input_blocked_term_split(void **state)
{
    audit_fx *g = audit_fx_new("[{\"name\":\"policy\",\"blocked_terms\":[\"Project Falcon\"]}]");
    char *ev[] = {
        input_event(0, 0, "call_1", "notes", "status of Project Fal", NULL),
        input_event(0, 0, NULL, NULL, "con: on time", NULL),
        args_event(0, -1, NULL, NULL, NULL, "tool_calls"),
    };
    sse_run r;

    (void)state;
    sse_events(g, &r, (const char *const *)ev, 3, true);
    assert_true(r.blocked);
    assert_null(strstr((char *)r.all.data, "Fal"));
    assert_null(strstr((char *)r.all.data, "on time"));
    assert_int_equal(g->rep->verdict, VT_AUDIT_BLOCK);
    vt_buf_free(&r.all);
    free_events(ev, 3);
    audit_fx_free(g);
}

/*
 * Two custom calls in one choice, the second starting with its name alone, then a function call,
 * and a second choice's custom call streaming between them: a call that starts ends the earlier
 * calls of its choice, custom or function alike, whose whole input goes out, scanned, in that
 * event ahead of the new call; the other choice's call is held to the end of the stream.  A piece
 * for a call after the next one started is refused, whichever kind either call is.
 */
static void test_audit_response__stream_two_custom_calls_one_choice(void **state)
{
    fixture *f = *state;
    char *ev[] = {
        input_event(0, 0, "call_a", "shell", "echo jane.doe@exa", NULL),
        input_event(1, 0, "call_c", "note", "mail leak.mar", NULL),
        input_event(0, 0, NULL, NULL, "mple.com", NULL),
        input_event(0, 1, "call_b", "shell", NULL, NULL),
        input_event(1, 0, NULL, NULL, "ker@example.com", NULL),
        input_event(0, 1, NULL, NULL, "echo john@exam", NULL),
        input_event(0, 1, NULL, NULL, "ple.com", NULL),
        args_event(0, 2, "call_d", "send", "{\"to\":\"x\"}", NULL),
        args_event(0, -1, NULL, NULL, NULL, "tool_calls"),
    };
    sse_run r;
    const char *all;
    char *one;

    sse_events(f, &r, (const char *const *)ev, 9, true);
    assert_int_equal(r.last, VT_OK);
    all = (const char *)r.all.data;
    assert_null(strstr(all, "jane"));
    assert_null(strstr(all, "john"));
    assert_null(strstr(all, "leak.mar"));
    assert_client_reads(&r, 0, 0, "input", "echo [EMAIL_1]");
    assert_client_reads(&r, 0, 1, "input", "echo [EMAIL_1]");
    assert_client_reads(&r, 1, 0, "input", "mail [EMAIL_1]");
    assert_client_reads(&r, 0, 2, "arguments", "{\"to\":\"x\"}");
    assert_client_reads(&r, 0, 0, "id", "call_a");
    assert_client_reads(&r, 0, 1, "id", "call_b");
    assert_client_reads(&r, 1, 0, "id", "call_c");
    assert_client_reads(&r, 0, 2, "id", "call_d");
    assert_int_equal(response_emails(f->rep), 3);
    /* Call a's input comes out in the event where call b starts, ahead of it; call b's where the
     * function call d starts. */
    one = event_with(&r, "\"id\":\"call_b\"");
    assert_true(strstr(one, "\"input\":\"echo [EMAIL_1]\"") != NULL &&
                strstr(one, "\"input\":\"echo [EMAIL_1]\"") < strstr(one, "call_b"));
    free(one);
    one = event_with(&r, "\"id\":\"call_d\"");
    assert_true(strstr(one, "\"input\":\"echo [EMAIL_1]\"") != NULL &&
                strstr(one, "\"input\":\"echo [EMAIL_1]\"") < strstr(one, "call_d"));
    free(one);
    /* Choice 1 had no finish_reason: its call comes out in the last chunk. */
    assert_non_null(strstr(strrchr(all, '\n'), "mail [EMAIL_1]"));
    vt_buf_free(&r.all);

    /* Call a again once call b started, as custom input or as function arguments: refused, and
     * nothing of it is sent. */
    for (int kind = 0; kind < 2; kind++) {
        char *late[] = {
            input_event(0, 0, "call_a", "shell", "echo x", NULL),
            input_event(0, 1, "call_b", "shell", "ls", NULL),
            kind == 0 ? input_event(0, 0, NULL, NULL, " jane.doe@example.com", NULL)
                      : args_event(0, 0, NULL, NULL, "{\"to\":\"jane.doe@example.com\"}", NULL),
        };
        sse_events(f, &r, (const char *const *)late, 3, true);
        assert_int_equal(r.last, VT_E_FORMAT);
        assert_non_null(strstr(r.err.msg, "after a later call started"));
        assert_null(strstr((char *)r.all.data, "jane"));
        assert_null(strstr((char *)r.all.data, "EMAIL"));
        assert_true(f->rep->failed & VT_AUDIT_RESPONSE);
        vt_buf_free(&r.all);
        free_events(late, 3);
    }
    free_events(ev, 9);
}

/* Clean input reaches the client as the model wrote it, byte for byte (quotes, backslashes, new
 * lines, non-ASCII), whole in the event that completes the call (longer than a holdback, so none
 * of it went out as it came). */
static void test_audit_response__stream_clean_custom_input_pass_unchanged(void **state)
{
    static const char *const pieces[] = { "\nprint(\"Par\xc3\xads\\n\")  # caf\xc3\xa9\n",
                                          "x = {'q': \"a\\\"b\"}\t\xf0\x9f\x98\x80\n" };
    fixture *f = *state;
    char first[512], want[700], *ev[4];
    sse_run r;
    char *last;

    snprintf(first, sizeof(first), "# note %0400d", 0);
    snprintf(want, sizeof(want), "%s%s%s", first, pieces[0], pieces[1]);
    ev[0] = input_event(0, 0, "call_1", "python", first, NULL);
    ev[1] = input_event(0, 0, NULL, NULL, pieces[0], NULL);
    ev[2] = input_event(0, 0, NULL, NULL, pieces[1], NULL);
    ev[3] = args_event(0, -1, NULL, NULL, NULL, "tool_calls");

    sse_events(f, &r, (const char *const *)ev, 4, true);
    assert_int_equal(r.last, VT_OK);
    assert_client_reads(&r, 0, 0, "input", want);
    assert_client_reads(&r, 0, 0, "id", "call_1");
    assert_client_reads(&r, 0, 0, "name", "python");
    /* The pieces went out as "" and the whole in the event with the finish_reason. */
    last = event_with(&r, "\"finish_reason\":\"tool_calls\"");
    {
        json_t *j = json_loads(last, 0, NULL), *delta, *call;
        const char *in;
        assert_non_null(j);
        delta = json_object_get(json_array_get(json_object_get(j, "choices"), 0), "delta");
        call = json_array_get(json_object_get(delta, "tool_calls"), 0);
        in = json_string_value(json_object_get(json_object_get(call, "custom"), "input"));
        assert_non_null(in);
        assert_string_equal(in, want);
        json_decref(j);
    }
    free(last);
    assert_int_equal(response_emails(f->rep), 0);
    assert_true(f->rep->audited & VT_AUDIT_RESPONSE);
    vt_buf_free(&r.all);
    free_events(ev, 4);
}

/*
 * A stream that ends while a custom call's input is held: when it ends well (no finish_reason,
 * then [DONE]) the input comes out scanned in the last chunk; when it is cut or fails nothing of
 * it is sent, though more than a holdback's worth of it had arrived, and the report says so.
 */
static void test_audit_response__stream_cut_mid_custom_input(void **state)
{
    fixture *f = *state;
    char head[700];
    char *ev[3];
    sse_run r;

    snprintf(head, sizeof(head), "mail jane.doe@exa");
    ev[0] = input_event(0, 0, "call_1", "shell", head, NULL);
    ev[1] = input_event(0, 0, NULL, NULL, "mple.com", NULL);
    ev[2] = strdup("not json");
    assert_non_null(ev[2]);

    /* Ended well, without a finish_reason. */
    sse_events(f, &r, (const char *const *)ev, 2, true);
    assert_int_equal(r.last, VT_OK);
    assert_null(strstr((char *)r.all.data, "jane"));
    assert_client_reads(&r, 0, 0, "input", "mail [EMAIL_1]");
    assert_non_null(strstr(strrchr((char *)r.all.data, '\n'), "mail [EMAIL_1]"));
    vt_buf_free(&r.all);

    free(ev[0]);
    snprintf(head, sizeof(head), "mail jane.doe@example.com <<EOF\n%0600d", 7);
    ev[0] = input_event(0, 0, "call_1", "shell", head, NULL);
    assert_held_call_dropped(f, ev[0], ev[2], (const char *const[]){ "jane", "EOF", "0000", NULL });
    free_events(ev, 3);
}

/* Custom input counts against the same cap as arguments (SSE_MAX_HELD, all calls together): one
 * choice's function call and another's custom call, neither past the cap alone, fail the stream
 * closed together, and nothing held is sent. */
static void test_audit_response__stream_custom_input_shares_cap_with_args(void **state)
{
    enum { PIECE = 1 << 20, N = SSE_MAX_HELD / PIECE + 2 };
    fixture *f = *state;
    char *piece = malloc(PIECE + 1), *ev[N + 2];
    sse_run r;

    assert_non_null(piece);
    memset(piece, 'q', PIECE);
    piece[PIECE] = '\0';
    ev[0] = args_event(0, 0, "call_1", "store", "{\"k\":\"", NULL);
    ev[1] = input_event(1, 0, "call_2", "store", "", NULL);
    for (size_t i = 2; i < N + 2; i++)
        ev[i] = i % 2 == 0 ? args_event(0, 0, NULL, NULL, piece, NULL) : input_event(1, 0, NULL, NULL, piece, NULL);
    sse_events(f, &r, (const char *const *)ev, N + 2, true);
    assert_int_equal(r.last, VT_E_LIMIT);
    assert_non_null(strstr(r.err.msg, "held in one stream"));
    assert_null(strstr((char *)r.all.data, "qqqq"));
    assert_true(f->rep->failed & VT_AUDIT_RESPONSE);
    assert_false(f->rep->audited & VT_AUDIT_RESPONSE);
    vt_buf_free(&r.all);
    free_events(ev, N + 2);
    free(piece);
}

static void test_audit_response__stream_block(void **state)
{
    static const char *const ev[] = {
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"key: AKIAIOSFO\"}}]}",
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"DNN7EXAMPLE and more\"}}]}",
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"after\"}}]}",
    };
    fixture *f = *state;
    sse_run r;

    /* Short texts stay held back: the block is found when the stream ends, and then nothing of
     * any field is released. */
    sse_events(f, &r, ev, 3, true);
    assert_true(r.blocked);
    assert_null(strstr((char *)r.all.data, "key:"));
    assert_null(strstr((char *)r.all.data, "more"));
    assert_null(strstr((char *)r.all.data, "AKIA"));
    assert_null(strstr((char *)r.all.data, "after"));
    assert_int_equal(f->rep->verdict, VT_AUDIT_BLOCK);
    vt_buf_free(&r.all);
}

/* Appends the first choice's delta content of one audited event (out) to got. */
static void append_delta_content(vt_buf *got, const vt_buf *out)
{
    json_t *doc = json_loadb((const char *)out->data, out->len, 0, NULL);
    json_t *c = json_object_get(json_object_get(json_array_get(json_object_get(doc, "choices"), 0), "delta"),
                                "content");

    assert_non_null(doc);
    assert_int_equal(vt_buf_append(got, json_string_value(c), json_string_length(c), NULL), VT_OK);
    json_decref(doc);
}

/* Text that is not ASCII, streamed a few characters per event: the holdback releases up to a
 * character boundary, so every released piece is valid UTF-8 (it used to cut a character in
 * two once the text passed the holdback, and the stream failed), on both roads. */
static void test_audit_response__stream_multibyte_text_cut_at_characters(void **state)
{
    static const char *const pieces[] = { "\xe4\xbd\xa0\xe5\xa5\xbd", "\xc3\xa9", "\xf0\x9f\x99\x82 ",
                                          "\xe4\xb8\x96" };
    fixture *f = *state;
    char ev[200][160];
    const char *evp[200];
    vt_buf want = { 0 }, got = { 0 };
    size_t n = 0;

    for (size_t i = 0; i < 180; i++, n++) {
        const char *p = i == 120 ? " " MARK " " : pieces[i % 4];
        snprintf(ev[n], sizeof(ev[n]), "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"}}]}", p);
        evp[n] = ev[n];
        assert_int_equal(vt_buf_append_str(&want, i == 120 ? " [EMAIL_1] " : p, NULL), VT_OK);
    }
    assert_int_equal(vt_buf_terminate(&want, NULL), VT_OK);
    for (int fast = 0; fast < 2; fast++) {
        vt_audit_sse *s = NULL;
        vt_err err = { 0 };
        vt_buf out = { 0 };
        size_t i;

        got.len = 0;
        vt_audit_report_init(f->rep);
        assert_int_equal(vt_audit_sse_new(&s, f->x, NULL), VT_OK);
        vt__audit_sse_set_fast(s, fast == 1);
        for (i = 0; i < n; i++) {
            out.len = 0;
            if (vt_audit_sse_event(s, &out, (const uint8_t *)evp[i], strlen(evp[i]), &err) != VT_OK)
                fail_msg("road %d, event %zu: %s", fast, i, err.msg);
            append_delta_content(&got, &out);
        }
        out.len = 0;
        assert_int_equal(vt_audit_sse_finish(s, &out, f->rep, &err), VT_OK);
        append_delta_content(&got, &out);
        assert_int_equal(vt_buf_terminate(&got, NULL), VT_OK);
        assert_string_equal((const char *)got.data, (const char *)want.data);
        assert_int_equal(response_emails(f->rep), 1);
        assert_true(f->rep->audited & VT_AUDIT_RESPONSE);
        vt_buf_free(&out);
        vt_audit_sse_free(s);
    }
    vt_buf_free(&want);
    vt_buf_free(&got);
}

/* The token counts a stream reports (stream_options.include_usage: a last chunk with "usage"),
 * taken from the parse the audit already made, escaped keys included; an event that cannot be
 * audited reports none. */
static void test_audit_response__stream_usage(void **state)
{
    static const char *const ev[] = {
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hello\"}}],\"usage\":null}",
        "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}",
        "{\"choices\":[],\"\\u0075sage\":{\"prompt_tokens\":5,\"completion_tokens\":7,\"total_tokens\":12}}",
    };
    fixture *f = *state;
    vt_audit_sse *s = NULL;
    vt_audit_exec e;
    vt_err err = { 0 };
    vt_buf out = { 0 };
    (void)state;

    vt_audit_exec_init(&e);
    assert_int_equal(vt_audit_sse_new(&s, f->x, NULL), VT_OK);
    vt_audit_sse_usage(s, &e);
    assert_int_equal(e.total_tokens, -1);
    for (size_t i = 0; i < 2; i++)
        assert_int_equal(vt_audit_sse_event(s, &out, (const uint8_t *)ev[i], strlen(ev[i]), &err), VT_OK);
    vt_audit_sse_usage(s, &e);
    assert_int_equal(e.prompt_tokens, -1);
    assert_int_equal(e.total_tokens, -1);
    assert_int_equal(vt_audit_sse_event(s, &out, (const uint8_t *)ev[2], strlen(ev[2]), &err), VT_OK);
    vt_audit_sse_usage(s, &e);
    assert_int_equal(e.prompt_tokens, 5);
    assert_int_equal(e.completion_tokens, 7);
    assert_int_equal(e.total_tokens, 12);
    vt_audit_sse_free(s);

    /* Not JSON: refused, and no usage read from it. */
    vt_audit_exec_init(&e);
    assert_int_equal(vt_audit_sse_new(&s, f->x, NULL), VT_OK);
    {
        static const char trunc[] = "{\"usage\":{\"total_tokens\":3}";
        assert_int_equal(vt_audit_sse_event(s, &out, (const uint8_t *)trunc, strlen(trunc), &err), VT_E_FORMAT);
    }
    vt_audit_sse_usage(s, &e);
    assert_int_equal(e.total_tokens, -1);
    vt_audit_sse_free(s);
    vt_buf_free(&out);
}

/* Short strings found clean are not scanned again (scan.c's cache): a string with a finding, or
 * an annotation only, is still found every time it comes, in every body. */
static void test_audit_response__repeated_short_strings_found_each_time(void **state)
{
    static const char body[] = "{\"a\":\"10.0.0.1\",\"b\":\"10.0.0.1\",\"c\":\"clean\",\"d\":\"clean\","
                               "\"e\":\"x@example.com\",\"f\":\"x@example.com\",\"10.0.0.1\":\"clean\"}";
    audit_fx *g = audit_fx_new("[{\"name\":\"pii\",\"phases\":[\"response\"],\"actions\":{\"ip\":\"annotate\","
                               "\"email\":\"redact\"}}]");
    vt_err err = { 0 };

    (void)state;
    for (int round = 0; round < 3; round++) {
        vt_audit_report_init(g->rep);
        g->fwd.len = 0;
        assert_int_equal(vt_audit_response(g->rep, &g->fwd, g->x, (const uint8_t *)body, strlen(body), &err), VT_OK);
        assert_int_equal(response_count(g->rep, "ip"), 3);
        assert_int_equal(response_count(g->rep, "email"), 2);
        assert_int_equal(vt_buf_terminate(&g->fwd, NULL), VT_OK);
        assert_null(strstr((char *)g->fwd.data, "example.com"));
    }
    audit_fx_free(g);
}

/* ---- the stream auditor's fast path (sse_fast.c) against its jansson path ---- */

static void assert_same_json(const vt_buf *a, const vt_buf *b)
{
    json_t *ja, *jb;

    if (a->len == 0 || b->len == 0) {
        assert_int_equal(a->len, b->len);
        return;
    }
    ja = json_loadb((const char *)a->data, a->len, JSON_ALLOW_NUL, NULL);
    jb = json_loadb((const char *)b->data, b->len, JSON_ALLOW_NUL, NULL);
    assert_non_null(ja);
    assert_non_null(jb);
    if (!json_equal(ja, jb))
        fail_msg("the two paths sent different events:\n  fast:    %.*s\n  jansson: %.*s", (int)a->len,
                 (const char *)a->data, (int)b->len, (const char *)b->data);
    json_decref(ja);
    json_decref(jb);
}

/* Runs the events through a stream with the fast path and one without; every event must get the
 * same status and the same JSON value, the stream the same end and the same report.  Returns how
 * many events the fast path audited; *sent: what the fast stream sent (caller frees). */
static size_t sse_agree(fixture *f, const char *const *ev, size_t n, vt_buf *sent)
{
    vt_audit_sse *a = NULL, *b = NULL;
    vt_audit_report *ra = calloc(1, sizeof(*ra)), *rb = calloc(1, sizeof(*rb));
    vt_buf oa = { 0 }, ob = { 0 };
    vt_status sa = VT_OK, sb = VT_OK;
    size_t fast;

    assert_non_null(ra);
    assert_non_null(rb);
    vt_audit_report_init(ra);
    vt_audit_report_init(rb);
    assert_int_equal(vt_audit_sse_new(&a, f->x, NULL), VT_OK);
    assert_int_equal(vt_audit_sse_new(&b, f->x, NULL), VT_OK);
    vt__audit_sse_set_fast(b, false);
    for (size_t i = 0; i < n && sa == VT_OK && !vt_audit_sse_blocked(a); i++) {
        oa.len = ob.len = 0;
        sa = vt_audit_sse_event(a, &oa, (const uint8_t *)ev[i], strlen(ev[i]), NULL);
        sb = vt_audit_sse_event(b, &ob, (const uint8_t *)ev[i], strlen(ev[i]), NULL);
        if (sa != sb)
            fail_msg("event %zu: fast path %s, jansson %s", i, vt_status_str(sa), vt_status_str(sb));
        assert_int_equal(vt_audit_sse_blocked(a), vt_audit_sse_blocked(b));
        if (sa == VT_OK) {
            assert_same_json(&oa, &ob);
            if (sent != NULL && oa.len > 0) {
                assert_int_equal(vt_buf_append(sent, oa.data, oa.len, NULL), VT_OK);
                assert_int_equal(vt_buf_append(sent, "\n", 1, NULL), VT_OK);
            }
        }
    }
    oa.len = ob.len = 0;
    assert_int_equal(vt_audit_sse_finish(a, &oa, ra, NULL), vt_audit_sse_finish(b, &ob, rb, NULL));
    assert_same_json(&oa, &ob);
    if (sent != NULL) {
        assert_int_equal(vt_buf_append(sent, oa.data, oa.len, NULL), VT_OK);
        assert_int_equal(vt_buf_terminate(sent, NULL), VT_OK);
    }
    oa.len = ob.len = 0;
    assert_int_equal(vt_audit_report_json(&oa, ra, NULL), VT_OK);
    assert_int_equal(vt_audit_report_json(&ob, rb, NULL), VT_OK);
    assert_int_equal(oa.len, ob.len);
    assert_memory_equal(oa.data, ob.data, oa.len);
    fast = vt__audit_sse_fast_events(a);
    assert_int_equal(vt__audit_sse_fast_events(b), 0);
    vt_audit_sse_free(a);
    vt_audit_sse_free(b);
    vt_buf_free(&oa);
    vt_buf_free(&ob);
    free(ra);
    free(rb);
    return fast;
}

/* Whole bodies: the token walk (tokens.c) and the tree walk give the same answer; the token
 * walk keeps numbers as written, which shows which road a body took. */
static void test_audit_response__token_walk_agrees(void **state)
{
    static const char *const bodies[] = {
        "{\"id\":\"x\",\"n\":1.5e3,\"choices\":[{\"message\":{\"content\":\"a " MARK " b\",\"k\\u0041\":[true,null,-0]}}],"
        "\"usage\":{\"total_tokens\":12}}",
        "{\"deep\":[[[[[[[[[[[[[[[[[[[\"" MARK "\"]]]]]]]]]]]]]]]]]]],\"n\":1.5e3}",
        "{\"x\":{\"" MARK "\":1},\"n\":1.5e3}",
        "{\"a\":1,\"a\":2}",
        "{\"a\":\"\\ud800\"}",
        "{\"n\":1e400}",
        "{\"s\":\"caf\\u00e9 \\ud83d\\ude00 \\u0000 \\\" \\\\ \\/\",\"n\":1.5e3}",
        "[1]",
    };
    static const bool token_road[] = { true, false, false, false, false, false, true, false };
    fixture *f = *state;
    vt_audit_ctx *tree = NULL;
    vt_audit_report *rb = calloc(1, sizeof(*rb));
    vt_buf ob = { 0 }, ja = { 0 }, jb = { 0 };

    assert_non_null(rb);
    assert_int_equal(vt_audit_ctx_new(&tree, f->c, NULL), VT_OK);
    vt__audit_ctx_set_fast(tree, false);
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        vt_status a, b;
        vt_audit_report_init(f->rep);
        vt_audit_report_init(rb);
        f->fwd.len = ob.len = ja.len = jb.len = 0;
        a = vt_audit_response(f->rep, &f->fwd, f->x, (const uint8_t *)bodies[i], strlen(bodies[i]), NULL);
        b = vt_audit_response(rb, &ob, tree, (const uint8_t *)bodies[i], strlen(bodies[i]), NULL);
        if (a != b)
            fail_msg("body %zu: token walk %s, tree walk %s", i, vt_status_str(a), vt_status_str(b));
        if (a == VT_OK) {
            assert_same_json(&f->fwd, &ob);
            assert_int_equal(vt_buf_terminate(&f->fwd, NULL), VT_OK);
            assert_null(strstr((char *)f->fwd.data, "example.com"));
            if ((strstr((char *)f->fwd.data, "1.5e3") != NULL) != token_road[i])
                fail_msg("body %zu took the %s road", i, token_road[i] ? "tree" : "token");
        }
        assert_int_equal(vt_audit_report_json(&ja, f->rep, NULL), VT_OK);
        assert_int_equal(vt_audit_report_json(&jb, rb, NULL), VT_OK);
        assert_int_equal(ja.len, jb.len);
        assert_memory_equal(ja.data, jb.data, ja.len);
    }
    vt_audit_ctx_free(tree);
    vt_buf_free(&ob);
    vt_buf_free(&ja);
    vt_buf_free(&jb);
    free(rb);
}

static void test_audit_response__stream_fast_path_agrees(void **state)
{
    /* As models stream: a marker split across events, caught, and every event but the first (its
     * role: the delta's other strings are joined across events by the tree walk) and the one with
     * finish_reason audited without a tree. */
    static const char *const typical[] = {
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,"
              "\"finish_reason\":null}]"),
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"content\":\"mail leak.mar\"},\"finish_reason\":null}],"
              "\"usage\":null"),
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ker@example.com now\"},\"finish_reason\":null}]"),
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]"),
    };
    /* Escapes both ways, NUL in a value, astral characters, numbers in every form, keys in any order,
     * a redacted string outside the streamed fields, two choices, completions' "text". */
    static const char *const shapes[] = {
        "{\"m\\u006fdel\":\"" MARK "\",\"created\":-0,\"x\":[1.5e3,-2.25E-2,0.0,123456789012345678,true,false,null],"
        "\"choices\":[{\"delta\":{\"content\":\"tab\\there \\\"q\\\" \\\\ \\u0000 \\ud83d\\ude00 caf\\u00e9 "
        "\\u2028\"},\"index\":1},{\"index\":0,\"delta\":{\"reasoning_content\":\"r \\/ \xc3\xa9\",\"refusal\":null}}]}",
        "{\"choices\":[{\"index\":1,\"delta\":{\"content\":\"leak.marker@exam\"}},{\"index\":0,\"text\":\"t\"}]}",
        "{\"choices\":[{\"index\":1,\"delta\":{\"content\":\"ple.com and more words\"}}],\"nested\":{\"a\":{\"b\":[["
        "\"" MARK "\"]]}}}",
        "{ \"choices\" : [ { \"index\" : 0 , \"delta\" : { \"content\" : \"spaced\" } } ] }\r\n",
    };
    /* What the fast path leaves to jansson: the same result, by the other road. */
    static const char *const others[] = {
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\",\"tool_calls\":[{\"index\":0,\"function\":"
        "{\"arguments\":\"{}\"}}]}}]}",
        "{\"choices\":[{\"index\":0,\"message\":{\"content\":\"b\"}}]}",
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"c\"}}],\"usage\":{\"total_tokens\":3}}",
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"d\"}}],\"n\":1234567890123456789}",
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"e\"}}],\"n\":1e400}",
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"f\"}}],\"x\":{\"" MARK "\":1}}",
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"g\"}}],\"d\":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]}",
        /* An "arguments" string anywhere: audited decoded, which only the tree walk does. */
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"h\"}}],\"x\":{\"arguments\":\"{\\\"to\\\":\\\"jane"
        "\\\\u0040example.com\\\"}\"}}",
    };
    static const char *const refused[] = {
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\",\"content\":\"y\"}}]}",
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]} trailing",
        "{\"choices\":[{\"index\":1.0,\"delta\":{\"content\":\"x\"}}]}",
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\\ud800\"}}]}",
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\xed\xa0\x80\"}}]}",
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\xc0\xaf\"}}]}",
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"raw\x01\"}}]}",
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}],\"k\\u0000\":1}",
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":01}}]}",
        "{\"" MARK "\":1,\"choices\":[]}",
        "[1]",
        "",
    };
    /* A custom tool call whose input writes an e-mail in two pieces: held whole by the tree walk,
     * which every event with a tool call takes, and the role chunk before it. */
    static const char *const custom[] = {
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]"),
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c\",\"type\":\"custom\","
              "\"custom\":{\"name\":\"shell\",\"input\":\"echo jane.doe@exa\"}}]},\"finish_reason\":null}]"),
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"custom\":{\"input\":"
              "\"mple.com\"}}]},\"finish_reason\":null}]"),
        CHUNK("\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]"),
    };
    fixture *f = *state;
    vt_buf sent = { 0 };

    assert_int_equal(sse_agree(f, custom, 4, &sent), 0);
    assert_null(strstr((char *)sent.data, "jane"));
    assert_non_null(strstr((char *)sent.data, "\"input\":\"echo [EMAIL_1]\""));
    vt_buf_free(&sent);
    assert_int_equal(sse_agree(f, typical, 4, &sent), 2);
    assert_null(strstr((char *)sent.data, "leak.ma"));
    assert_non_null(strstr((char *)sent.data, "[EMAIL_1]"));
    vt_buf_free(&sent);
    assert_int_equal(sse_agree(f, shapes, 4, &sent), 4);
    assert_null(strstr((char *)sent.data, "example.com"));
    vt_buf_free(&sent);
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        const char *ev[2] = { CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"content\":\"fine\"}}]"), others[i] };
        if (sse_agree(f, ev, 2, NULL) != 1)
            fail_msg("case %zu went by the fast path", i);
    }
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        const char *ev[2] = { CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"content\":\"fine\"}}]"), refused[i] };
        if (sse_agree(f, ev, 2, NULL) != 1)
            fail_msg("refused case %zu went by the fast path", i);
    }
    /* A secret outside the streamed fields blocks the stream on both roads. */
    {
        const char *ev[2] = { CHUNK("\"choices\":[{\"index\":0,\"delta\":{\"content\":\"fine\"}}]"),
                              "{\"id\":\"AKIAIOSFODNN7EXAMPLE\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]}" };
        assert_int_equal(sse_agree(f, ev, 2, NULL), 2);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_audit_response__every_string_position, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__parts_joined_in_a_body, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__tool_arguments_audited_decoded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__tool_arguments_not_json_escapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__reserialised_not_raw, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__unauditable_bodies_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__redacted_key_collision_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_split_markers_every_field_and_choice, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_unauditable_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_block, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_joined_strings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_structured_text_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_holder_layout_sticks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_parts_joined, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_parts_thinking, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_parts_not_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_parts_unknown_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_parts_joined_per_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_parts_only_in_content, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_choice_twice_in_one_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_delta_and_message_both_audited, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_nothing_after_finish_reason, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_trailers_after_finish_reason, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_message_layout_empty_trailer, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_finish_reason_not_a_string, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_hidden_states_after_finish, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_sglang_routed_experts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_choice_member_joined, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_tool_args_escaped_email_split, setup, teardown),
        cmocka_unit_test(test_audit_response__stream_tool_args_card_newlines_split),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_tool_args_escape_cut_between_events, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_two_tool_calls_one_choice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_tool_args_over_cap_fail_closed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_clean_tool_args_pass_unchanged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_cut_mid_tool_args, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_tool_args_refused_or_blocked_whole, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_custom_input_email_split, setup, teardown),
        cmocka_unit_test(test_audit_response__stream_custom_input_blocked_term_split),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_two_custom_calls_one_choice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_clean_custom_input_pass_unchanged, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_cut_mid_custom_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_custom_input_shares_cap_with_args, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_usage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_multibyte_text_cut_at_characters, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_audit_response__stream_fast_path_agrees, setup, teardown),
        cmocka_unit_test(test_audit_response__repeated_short_strings_found_each_time),
        cmocka_unit_test_setup_teardown(test_audit_response__token_walk_agrees, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
