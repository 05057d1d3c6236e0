/* The chain: strict config, digests, the JSON walker (escapes, content
 * arrays, other endpoints), policy, artifact, execution, response bodies
 * and the receipt JSON. */
#include "audit_util.h"

#include <jansson.h>

#include "audit/audit_int.h"

#define CFG_FULL                                                                                                       \
    "{\"listen\":\"127.0.0.1:0\",\"auditors\":[{\"name\":\"pii\",\"phases\":[\"request\",\"response\"],"             \
    "\"actions\":{\"email\":\"redact\",\"card\":\"redact\",\"ssn\":\"block\",\"secret\":\"block\",\"ip\":\"annotate\"}," \
    "\"patterns\":[{\"name\":\"employee_id\",\"regex\":\"EMP-[0-9]{6}\",\"action\":\"redact\"}]},"                      \
    "{\"name\":\"policy\",\"blocked_terms\":[\"Project Falcon\"],\"blocked_patterns\":[\"drop {1,8}table\"],"              \
    "\"allowed_models\":[\"llama-3-8b\"],\"max_input_bytes\":4096},"                                                   \
    "{\"name\":\"artifact\",\"reference_digests\":[\"" REF "\"]},{\"name\":\"execution\"}]}"
#define REF "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"

typedef audit_fx fixture;

static int setup(void **state)
{
    *state = audit_fx_new(CFG_FULL);
    return 0;
}

static int teardown(void **state)
{
    audit_fx_free(*state);
    return 0;
}

/* Runs the request phase; returns the forwarded body as a C string (borrowed from f). */
static const char *request_on(fixture *f, vt_audit_route route, const char *body, vt_status want)
{
    vt_err err = { 0 };
    vt_status rc;

    vt_audit_report_init(f->rep);
    f->fwd.len = 0;
    rc = vt_audit_request(f->rep, &f->fwd, f->x, route, (const uint8_t *)body, strlen(body), &err);
    if (rc != want)
        fail_msg("request: got %s (%s), want %s", vt_status_str(rc), err.msg, vt_status_str(want));
    assert_int_equal(vt_buf_terminate(&f->fwd, NULL), VT_OK);
    return (const char *)f->fwd.data;
}

static const char *request(fixture *f, const char *body, vt_status want)
{
    return request_on(f, VT_AUDIT_ROUTE_CHAT, body, want);
}

static json_t *parse_ok(const char *s)
{
    json_t *j = json_loads(s, JSON_REJECT_DUPLICATES, NULL);
    if (j == NULL)
        fail_msg("not valid JSON: %s", s);
    return j;
}

static void test_audit_chain__chat_redaction_keeps_json_valid(void **state)
{
    fixture *f = *state;
    const char *body = "{\"model\":\"llama-3-8b\",\"temperature\":0.7,\"messages\":[{\"role\":\"user\","
                       "\"content\":\"Mail alice\\u0040example.com\\nCard: 4111 1111 1111 1111 \\\"ok\\\" \\u00e9\"}]}";
    const char *out = request(f, body, VT_OK);
    json_t *j = parse_ok(out);
    const char *content = json_string_value(json_object_get(json_array_get(json_object_get(j, "messages"), 0), "content"));

    assert_string_equal(content, "Mail [EMAIL_1]\nCard: [CARD_1] \"ok\" \xc3\xa9");
    /* The rest of the tree is kept (the body is re-serialised from it). */
    assert_true(json_real_value(json_object_get(j, "temperature")) == 0.7);
    assert_int_equal(f->rep->verdict, VT_AUDIT_REDACT);
    json_decref(j);
}

static void test_audit_chain__forwarded_body_is_the_reserialised_tree(void **state)
{
    fixture *f = *state;
    const char *body = "{ \"model\" : \"llama-3-8b\", \"messages\":[{\"role\":\"user\",\"content\":\"hello \\u0041\"}],"
                       "\"n\": 2 }";

    /* Never the client's bytes: the compact serialisation of what was audited. */
    assert_string_equal(request(f, body, VT_OK),
                        "{\"model\":\"llama-3-8b\",\"messages\":[{\"role\":\"user\",\"content\":\"hello A\"}],\"n\":2}");
    assert_int_equal(f->rep->verdict, VT_AUDIT_ALLOW);
    assert_int_equal(f->rep->audited, VT_AUDIT_REQUEST);
}

static void test_audit_chain__content_arrays_prompt_and_input(void **state)
{
    fixture *f = *state;
    json_t *j;

    j = parse_ok(request(f, "{\"model\":\"llama-3-8b\",\"messages\":[{\"role\":\"user\",\"content\":["
                            "{\"type\":\"text\",\"text\":\"id EMP-123456\"},\"bare a@b.example.com\"]}]}",
                         VT_OK));
    {
        json_t *parts = json_object_get(json_array_get(json_object_get(j, "messages"), 0), "content");
        assert_string_equal(json_string_value(json_object_get(json_array_get(parts, 0), "text")), "id [EMPLOYEE_ID_1]");
        /* A content part that is a bare string is text too (it was forwarded unscanned). */
        assert_string_equal(json_string_value(json_array_get(parts, 1)), "bare [EMAIL_1]");
    }
    json_decref(j);
    j = parse_ok(request_on(f, VT_AUDIT_ROUTE_COMPLETIONS, "{\"model\":\"llama-3-8b\",\"prompt\":[\"x bob@example.org\",\"y\"]}", VT_OK));
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "prompt"), 0)), "x [EMAIL_1]");
    json_decref(j);
    j = parse_ok(request_on(f, VT_AUDIT_ROUTE_EMBEDDINGS, "{\"model\":\"llama-3-8b\",\"input\":\"bob@example.org\"}", VT_OK));
    assert_string_equal(json_string_value(json_object_get(j, "input")), "[EMAIL_1]");
    json_decref(j);
    /* Keys written with escapes are the same keys to the model server. */
    j = parse_ok(request(f, "{\"model\":\"llama-3-8b\",\"\\u006dessages\":[{\"role\":\"user\",\"cont\\u0065nt\":\"bob@example.org\"}]}",
                         VT_OK));
    {
        char *d = json_dumps(j, 0);
        assert_null(strstr(d, "bob@"));
        free(d);
    }
    json_decref(j);
}

static void test_audit_chain__block_and_annotate_in_request(void **state)
{
    fixture *f = *state;

    request(f, "{\"model\":\"llama-3-8b\",\"messages\":[{\"role\":\"user\",\"content\":\"my ssn 123-45-6789\"}]}", VT_OK);
    assert_int_equal(f->rep->verdict, VT_AUDIT_BLOCK);
    assert_string_equal(vt_audit_report_block_reason(f->rep), "pii: blocked in request: ssn x1");
    request(f, "{\"model\":\"llama-3-8b\",\"messages\":[{\"role\":\"user\",\"content\":\"server 10.0.0.1\"}]}", VT_OK);
    assert_int_equal(f->rep->verdict, VT_AUDIT_ANNOTATE);
    assert_string_equal(f->rep->entries[0].counts[0].type, "ip");
}

static void test_audit_chain__policy(void **state)
{
    fixture *f = *state;
    char big[5000];

    request(f, "{\"model\":\"llama-3-8b\",\"messages\":[{\"role\":\"user\",\"content\":\"about project  falcon? PROJECT FALCON!\"}]}",
            VT_OK);
    assert_int_equal(f->rep->verdict, VT_AUDIT_BLOCK);
    assert_int_equal(f->rep->entries[1].counts[0].count, 1);
    assert_string_equal(f->rep->entries[1].counts[0].type, "blocked_term");
    request(f, "{\"model\":\"llama-3-8b\",\"messages\":[{\"role\":\"user\",\"content\":\"please DROP   table users\"}]}", VT_OK);
    assert_int_equal(f->rep->verdict, VT_AUDIT_ALLOW); /* patterns are case-sensitive unless (?i) */
    request(f, "{\"model\":\"llama-3-8b\",\"messages\":[{\"role\":\"user\",\"content\":\"please drop   table users\"}]}", VT_OK);
    assert_int_equal(f->rep->verdict, VT_AUDIT_BLOCK);
    assert_string_equal(f->rep->entries[1].counts[0].type, "blocked_pattern");
    request(f, "{\"model\":\"gpt-4\",\"messages\":[]}", VT_OK);
    assert_int_equal(f->rep->verdict, VT_AUDIT_BLOCK);
    assert_string_equal(vt_audit_report_block_reason(f->rep), "policy: model 'gpt-4' is not allowed");
    request(f, "{\"messages\":[]}", VT_OK);
    assert_int_equal(f->rep->verdict, VT_AUDIT_BLOCK);
    snprintf(big, sizeof(big), "{\"model\":\"llama-3-8b\",\"messages\":[{\"role\":\"user\",\"content\":\"%04900d\"}]}", 0);
    assert_string_equal(request(f, big, VT_OK), ""); /* refused unread: nothing to forward */
    assert_int_equal(f->rep->verdict, VT_AUDIT_BLOCK);
    assert_non_null(strstr(vt_audit_report_block_reason(f->rep), "exceeds max_input_bytes 4096"));
}

static void test_audit_chain__bad_bodies(void **state)
{
    fixture *f = *state;
    static const char *bad[] = { "", "[]", "{", "{\"model\":\"a\",\"model\":\"b\"}", "{\"a\":1} x",
                                 "{\"messages\":[{\"role\":\"user\",\"content\":\"\\ud800\"}]}", "\"str\"" };
    uint8_t *huge;
    vt_err err = { 0 };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        request(f, bad[i], VT_E_FORMAT);
        assert_int_equal(f->fwd.len, 0);
    }
    huge = calloc(1, VT_AUDIT_MAX_BODY + 1);
    assert_int_equal(vt_audit_request(f->rep, &f->fwd, f->x, VT_AUDIT_ROUTE_CHAT, huge, VT_AUDIT_MAX_BODY + 1, &err), VT_E_LIMIT);
    free(huge);
}

static void test_audit_chain__response_body_and_stream(void **state)
{
    fixture *f = *state;
    const char *body = "{\"id\":\"c1\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
                       "\"write to carol@example.net\"}},{\"index\":1,\"text\":\"4111111111111111\"}],"
                       "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":7,\"total_tokens\":19}}";
    vt_err err = { 0 };
    json_t *j;
    vt_audit_exec e;
    size_t cut = 5;
    char *s;

    vt_audit_report_init(f->rep);
    assert_int_equal(vt_audit_response(f->rep, &f->fwd, f->x, (const uint8_t *)body, strlen(body), &err), VT_OK);
    assert_int_equal(vt_buf_terminate(&f->fwd, NULL), VT_OK);
    j = parse_ok((const char *)f->fwd.data);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_array_get(json_object_get(j, "choices"), 0), "message"), "content")),
                        "write to [EMAIL_1]");
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "choices"), 1), "text")),
                        "[CARD_1]");
    json_decref(j);
    assert_int_equal(f->rep->entries[0].phase, VT_AUDIT_RESPONSE);

    vt_audit_exec_init(&e);
    e.latency_us = 1500;
    e.upstream_status = 200;
    vt_audit_exec_usage(&e, (const uint8_t *)body, strlen(body));
    assert_int_equal(e.total_tokens, 19);
    assert_int_equal(vt_audit_execution(f->rep, f->c, &e, NULL), VT_OK);
    {
        const vt_audit_entry *x = &f->rep->entries[f->rep->entry_len - 1];
        assert_string_equal(x->name, "execution");
        assert_int_equal(x->note_len, 5);
        assert_string_equal(x->notes[4].key, "total_tokens");
        assert_int_equal(x->notes[4].value, 19);
    }

    /* A streamed response with a secret: blocked, never released. */
    vt_audit_report_init(f->rep);
    s = stream_text(f->x, "here: AKIAIOSFODNN7EXAMPLE done", &cut, 1, f->rep);
    assert_null(strstr(s, "AKIA"));
    assert_int_equal(f->rep->verdict, VT_AUDIT_BLOCK);
    free(s);
}

/* The token counts of a response body, by the token reader or (for what it does not take) by
 * jansson: the same answer either way. */
static void test_audit_chain__exec_usage(void **state)
{
    static const struct {
        const char *body;
        long long prompt, completion, total;
    } cases[] = {
        { "{\"id\":\"x\",\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":7,\"total_tokens\":12}}", 5, 7, 12 },
        { "{\"\\u0075sage\":{\"total_tokens\":3}}", -1, -1, 3 },                     /* escaped key */
        { "{\"usage\":{\"total_tokens\":1},\"usage\":{\"total_tokens\":2}}", -1, -1, 2 }, /* jansson: the last */
        { "{\"usage\":{\"total_tokens\":1.0,\"prompt_tokens\":\"4\"}}", -1, -1, -1 }, /* not integers */
        { "{\"usage\":[1],\"x\":{\"usage\":{\"total_tokens\":9}}}", -1, -1, -1 },     /* not the top-level object */
        { "{\"usage\":{\"total_tokens\":12345678901234567890}}", -1, -1, -1 },       /* out of range */
        { "{\"usage\":{\"total_tokens\":1234567890123456789}}", -1, -1, 1234567890123456789LL }, /* 19 digits */
        { "[{\"usage\":{\"total_tokens\":1}}]", -1, -1, -1 },
        { "{\"usage\":{\"total_tokens\":3}", -1, -1, -1 },                            /* truncated */
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vt_audit_exec e;
        vt_audit_exec_init(&e);
        vt_audit_exec_usage(&e, (const uint8_t *)cases[i].body, strlen(cases[i].body));
        if (e.prompt_tokens != cases[i].prompt || e.completion_tokens != cases[i].completion ||
            e.total_tokens != cases[i].total)
            fail_msg("case %zu: %lld %lld %lld", i, (long long)e.prompt_tokens, (long long)e.completion_tokens,
                     (long long)e.total_tokens);
    }
}

static void test_audit_chain__artifact(void **state)
{
    fixture *f = *state;
    uint8_t d[32];

    assert_int_equal(vt_hex_decode(d, 32, REF, 64, NULL), VT_OK);
    vt_audit_report_init(f->rep);
    assert_int_equal(vt_audit_artifact(f->rep, f->c, d, 32, NULL), VT_OK);
    assert_int_equal(f->rep->verdict, VT_AUDIT_ALLOW);
    assert_int_equal(f->rep->entry_len, 1);
    d[31] ^= 1;
    assert_int_equal(vt_audit_artifact(f->rep, f->c, d, 32, NULL), VT_OK);
    assert_int_equal(f->rep->verdict, VT_AUDIT_BLOCK);
    assert_non_null(strstr(vt_audit_report_block_reason(f->rep), "matches none"));
    assert_int_equal(vt_audit_artifact(f->rep, f->c, d, 31, NULL), VT_OK);
    assert_int_equal(f->rep->entries[2].verdict, VT_AUDIT_BLOCK);
}

static void test_audit_chain__receipt_json_has_no_matched_text(void **state)
{
    fixture *f = *state;
    vt_buf js = { 0 };
    json_t *j, *a;

    request(f, "{\"model\":\"llama-3-8b\",\"messages\":[{\"role\":\"user\",\"content\":\"alice@example.com 123-45-6789\"}]}", VT_OK);
    assert_int_equal(vt_audit_report_json(&js, f->rep, NULL), VT_OK);
    assert_int_equal(vt_buf_terminate(&js, NULL), VT_OK);
    assert_null(strstr((char *)js.data, "alice"));
    assert_null(strstr((char *)js.data, "6789"));
    j = parse_ok((char *)js.data);
    assert_string_equal(json_string_value(json_object_get(j, "verdict")), "block");
    a = json_array_get(json_object_get(j, "auditors"), 0);
    assert_string_equal(json_string_value(json_object_get(a, "name")), "pii");
    assert_string_equal(json_string_value(json_object_get(a, "phase")), "request");
    assert_string_equal(json_string_value(json_object_get(a, "version")), vt_audit_chain_get(f->c, 0)->version);
    assert_int_equal(strlen(json_string_value(json_object_get(a, "config_digest"))), 64);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(a, "findings"), "email")), 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(a, "findings"), "ssn")), 1);
    assert_string_equal(json_string_value(json_object_get(a, "reason")), "pii: blocked in request: ssn x1");
    json_decref(j);
    vt_buf_free(&js);
}

static void test_audit_chain__digests(void **state)
{
    vt_audit_chain *a = chain_of("[{\"name\":\"pii\",\"actions\":{\"ip\":\"redact\",\"email\":\"block\"}}]");
    vt_audit_chain *b = chain_of("[ { \"actions\" : {\"email\":\"block\", \"ip\":\"redact\"}, \"name\":\"pii\" } ]");
    vt_audit_chain *c = chain_of("[{\"name\":\"pii\",\"actions\":{\"ip\":\"annotate\",\"email\":\"block\"}}]");
    uint8_t da[32], db[32], dc[32];
    char hex[65];
    const char *canon = "{\"actions\":{\"email\":\"block\",\"ip\":\"redact\"},\"name\":\"pii\"}";
    uint8_t want[32];

    (void)state;
    vt_audit_chain_digest(a, da);
    vt_audit_chain_digest(b, db);
    vt_audit_chain_digest(c, dc);
    /* Canonical JSON: key order and spacing do not matter; values do. */
    assert_memory_equal(da, db, 32);
    assert_memory_not_equal(da, dc, 32);
    assert_int_equal(vt_audit_chain_count(a), 1);
    assert_null(vt_audit_chain_get(a, 1));
    assert_int_equal(vt_digest(VT_MD_SHA256, canon, strlen(canon), want, NULL), VT_OK);
    assert_memory_equal(vt_audit_chain_get(a, 0)->config_digest, want, 32);
    assert_string_equal(vt_audit_chain_get(a, 0)->name, "pii");
    vt_hex_encode(hex, da, 32);
    vt_audit_chain_free(a);
    vt_audit_chain_free(b);
    vt_audit_chain_free(c);
}

static void test_audit_chain__bad_configs(void **state)
{
    static const struct {
        const char *cfg, *msg;
    } bad[] = {
        { "", "not JSON" },
        { "{\"auditors\":{}}", "auditors must be an array" },
        { "[{\"name\":\"antivirus\"}]", "'antivirus' is not an auditor" },
        { "[{\"name\":\"pii\"},{\"name\":\"pii\"}]", "configured twice" },
        { "[{\"name\":\"pii\",\"colour\":1}]", "unknown member 'colour'" },
        { "[{\"name\":\"pii\",\"actions\":{\"dna\":\"redact\"}}]", "unknown type 'dna'" },
        { "[{\"name\":\"pii\",\"actions\":{\"email\":\"shred\"}}]", "pii.actions.email must be" },
        { "[{\"name\":\"pii\",\"phases\":[\"artifact\"]}]", "pii.phases[0]" },
        { "[{\"name\":\"pii\",\"patterns\":[{\"name\":\"x\",\"regex\":\"a(\"}]}]", "pii.patterns[0].regex does not compile" },
        { "[{\"name\":\"pii\",\"patterns\":[{\"name\":\"x\",\"regex\":\"a+\"}]}]", "may match more than 256" },
        { "[{\"name\":\"pii\",\"patterns\":[{\"name\":\"x\",\"regex\":\"a?\"}]}]", "matches the empty string" },
        { "[{\"name\":\"pii\",\"patterns\":[{\"name\":\"Bad Name\",\"regex\":\"a\"}]}]", "patterns[0].name" },
        { "[{\"name\":\"pii\",\"patterns\":[{\"name\":\"email\",\"regex\":\"a\"}]}]", "already a type" },
        { "[{\"name\":\"policy\",\"max_input_bytes\":0}]", "max_input_bytes must be" },
        { "[{\"name\":\"policy\",\"allow_token_ids\":1}]", "policy.allow_token_ids must be true or false" },
        { "[{\"name\":\"policy\",\"allow_media\":\"yes\"}]", "policy.allow_media must be true or false" },
        { "[{\"name\":\"policy\",\"blocked_terms\":[\"\"]}]", "blocked_terms[0]" },
        { "[{\"name\":\"policy\",\"allowed_models\":[]}]", "allowed_models must be" },
        { "[{\"name\":\"artifact\"}]", "reference_digests must be" },
        { "[{\"name\":\"artifact\",\"reference_digests\":[\"zz\"]}]", "reference_digests[0]" },
        { "[{\"name\":\"execution\",\"phases\":[\"request\"]}]", "execution.phases[0]" },
        { "[{\"name\":\"pii\"},{\"name\":\"pii\",\"name\":\"policy\"}]", "not JSON" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        vt_audit_chain *c = (vt_audit_chain *)1;
        vt_err err = { 0 };
        vt_status rc = vt_audit_chain_new(&c, bad[i].cfg, strlen(bad[i].cfg), &err);
        if (rc == VT_OK || strstr(err.msg, bad[i].msg) == NULL)
            fail_msg("config %s: got %s '%s', want '%s'", bad[i].cfg, vt_status_str(rc), err.msg, bad[i].msg);
        assert_null(c);
        /* the fuzz target's parse without the Hyperscan compile refuses the same way */
        c = (vt_audit_chain *)1;
        memset(&err, 0, sizeof(err));
        rc = vt__audit_chain_parse(&c, bad[i].cfg, strlen(bad[i].cfg), false, &err);
        if (rc == VT_OK || strstr(err.msg, bad[i].msg) == NULL)
            fail_msg("parse only %s: got %s '%s', want '%s'", bad[i].cfg, vt_status_str(rc), err.msg, bad[i].msg);
        assert_null(c);
    }
}

/* Parsing without compiling (fuzz/fuzz_audit_config.c) sees the same chain: auditors and digests. */
static void test_audit_chain__parse_only_matches(void **state)
{
    vt_audit_chain *full = chain_of(CFG_FULL), *p = NULL;
    uint8_t a[32], b[32];

    (void)state;
    assert_int_equal(vt__audit_chain_parse(&p, CFG_FULL, strlen(CFG_FULL), false, NULL), VT_OK);
    assert_int_equal(vt_audit_chain_count(p), vt_audit_chain_count(full));
    assert_int_equal(vt_audit_chain_count(p), 4);
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(vt_audit_chain_get(p, i)->name, vt_audit_chain_get(full, i)->name);
        assert_memory_equal(vt_audit_chain_get(p, i)->config_digest, vt_audit_chain_get(full, i)->config_digest, 32);
    }
    vt_audit_chain_digest(full, a);
    vt_audit_chain_digest(p, b);
    assert_memory_equal(a, b, 32);
    vt_audit_chain_free(p);
    vt_audit_chain_free(full);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_audit_chain__chat_redaction_keeps_json_valid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_chain__forwarded_body_is_the_reserialised_tree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_chain__content_arrays_prompt_and_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_chain__block_and_annotate_in_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_chain__policy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_chain__bad_bodies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_chain__response_body_and_stream, setup, teardown),
        cmocka_unit_test(test_audit_chain__exec_usage),
        cmocka_unit_test_setup_teardown(test_audit_chain__artifact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_chain__receipt_json_has_no_matched_text, setup, teardown),
        cmocka_unit_test(test_audit_chain__digests),
        cmocka_unit_test(test_audit_chain__bad_configs),
        cmocka_unit_test(test_audit_chain__parse_only_matches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
