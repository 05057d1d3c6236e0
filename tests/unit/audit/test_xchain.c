/* External auditors in the chain (audit/xchain.h), over a transport that answers from a script:
 * the configuration, the order per phase relative to the built-in scanners, each one seeing the
 * previous one's redactions, the receipt entries, and every failure mode (fail closed by default,
 * fail open recorded). */
#include "vt_test.h"

#include <stdlib.h>
#include <string.h>

#include "audit/xchain.h"

#define EXT(name, extra)                                                                                               \
    "{\"name\":\"" name "\",\"kind\":\"external\",\"version\":\"2.0\",\"phases\":[\"request\",\"response\"],"        \
    "\"socket\":\"/run/" name ".sock\",\"executable\":\"/usr/bin/" name "\"" extra "}"

/* The scripted transport: answer[i] for external auditor i (NULL: the call fails); every request
 * seen is kept, in order. */
typedef struct script {
    const char *answer[4];
    char *seen[8];
    size_t calls[8]; /* which auditor each call went to */
    size_t n;
} script;

static vt_status scripted_call(void *arg, size_t i, const char *req, size_t len, vt_buf *answer, vt_err *err)
{
    script *s = arg;

    if (s->n < 8) {
        s->seen[s->n] = strndup(req, len);
        s->calls[s->n++] = i;
    }
    if (i >= 4 || s->answer[i] == NULL)
        return vt_err_set(err, VT_E_IO, "timed out");
    return vt_buf_append(answer, s->answer[i], strlen(s->answer[i]), err);
}

static void script_free(script *s)
{
    for (size_t i = 0; i < s->n && i < 8; i++)
        free(s->seen[i]);
}

static vt_audit_chain *chain(const char *cfg)
{
    vt_audit_chain *c = NULL;
    vt_err err = { 0 };

    if (vt_audit_chain_new(&c, cfg, strlen(cfg), &err) != VT_OK)
        fail_msg("config rejected: %s", err.msg);
    return c;
}

static const vt_audit_entry *entry(const vt_audit_report *r, const char *name)
{
    for (size_t i = 0; i < r->entry_len; i++)
        if (strcmp(r->entries[i].name, name) == 0)
            return &r->entries[i];
    return NULL;
}

static void test_xchain__config_refused(void **state)
{
    static const struct { const char *cfg, *msg; } cases[] = {
        { "[{\"name\":\"x\",\"kind\":\"plugin\"}]", "kind must be \"external\"" },
        { "[" EXT("pii", "") "]", "is a built-in auditor's" },
        { "[" EXT("Bad Name", "") "]", "name must be" },
        { "[{\"name\":\"a\",\"kind\":\"external\",\"phases\":[\"request\"],\"socket\":\"/s\",\"executable\":\"/e\"}]",
          "version must be" },
        { "[" EXT("a", ",\"image_digest\":\"sha256:" "0000000000000000000000000000000000000000000000000000000000000000\"")
          "]", "exactly one of executable and image_digest" },
        { "[{\"name\":\"a\",\"kind\":\"external\",\"version\":\"1\",\"phases\":[\"request\"],\"socket\":\"rel.sock\","
          "\"executable\":\"/e\"}]", "socket must be the absolute path" },
        { "[{\"name\":\"a\",\"kind\":\"external\",\"version\":\"1\",\"phases\":[\"request\",\"request\"],"
          "\"socket\":\"/s\",\"executable\":\"/e\"}]", "repeats one" },
        { "[" EXT("a", ",\"timeout_ms\":0") "]", "timeout_ms must be" },
        { "[" EXT("a", ",\"fail_open\":\"yes\"") "]", "fail_open must be" },
        { "[" EXT("a", ",\"files\":[\"/a/../b\"]") "]", "files[0] must be an absolute path" },
        { "[" EXT("a", ",\"measured\":{\"executable\":\"00\"}") "]", "measured.executable" },
        { "[" EXT("a", ",\"files\":[\"/f\"],\"measured\":{\"executable\":"
                       "\"0000000000000000000000000000000000000000000000000000000000000000\",\"files\":[]}") "]",
          "one SHA-256 per file" },
        { "[" EXT("a", ",\"measured\":{\"executable\":"
                       "\"0000000000000000000000000000000000000000000000000000000000000000\",\"files\":[],"
                       "\"protocol\":\"veritee-auditor/2\"}") "]",
          "measured.protocol must be" },
        { "[" EXT("a", ",\"measured\":{\"executable\":"
                       "\"0000000000000000000000000000000000000000000000000000000000000000\",\"files\":[],"
                       "\"protocol\":1}") "]",
          "measured.protocol must be" },
        { "[" EXT("a", ",\"command\":\"x\"") "]", "unknown member 'command'" },
        { "[" EXT("a", "") "," EXT("a", "") "]", "configured twice" },
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vt_audit_chain *c = NULL;
        vt_err err = { 0 };
        if (vt_audit_chain_new(&c, cases[i].cfg, strlen(cases[i].cfg), &err) == VT_OK ||
            strstr(err.msg, cases[i].msg) == NULL)
            fail_msg("case %zu: \"%s\", wanted \"%s\"", i, err.msg, cases[i].msg);
        assert_null(c);
    }
}

/* The measured digests are part of the auditor's config digest, so of the auditors digest. */
static void test_xchain__measurement_changes_digests(void **state)
{
    const char *m1 = "[" EXT("a", ",\"measured\":{\"executable\":"
                                  "\"1111111111111111111111111111111111111111111111111111111111111111\",\"files\":[]}") "]";
    const char *m2 = "[" EXT("a", ",\"measured\":{\"executable\":"
                                  "\"2222222222222222222222222222222222222222222222222222222222222222\",\"files\":[]}") "]";
    vt_audit_chain *a = chain(m1), *b = chain(m2);
    uint8_t da[32], db[32];

    (void)state;
    assert_string_equal(vt_audit_chain_get(a, 0)->name, "a");
    assert_string_equal(vt_audit_chain_get(a, 0)->version, "2.0");
    assert_memory_not_equal(vt_audit_chain_get(a, 0)->config_digest, vt_audit_chain_get(b, 0)->config_digest, 32);
    vt_audit_chain_digest(a, da);
    vt_audit_chain_digest(b, db);
    assert_memory_not_equal(da, db, 32);
    assert_true(vt_xaud_get(a, 0)->measured);
    assert_int_equal(vt_xaud_get(a, 0)->exe_digest[0], 0x11);
    assert_int_equal(vt_xaud_get(a, 0)->timeout_ms, VT_XAUD_DEFAULT_TIMEOUT_MS);
    assert_null(vt_xaud_get(a, 1));
    vt_audit_chain_free(a);
    vt_audit_chain_free(b);
    /* The protocol the gateway speaks to it is measured too (as the gateway writes it). */
    a = chain("[" EXT("a", ",\"measured\":{\"executable\":"
                           "\"1111111111111111111111111111111111111111111111111111111111111111\",\"files\":[],"
                           "\"protocol\":\"" VT_XAUD_PROTOCOL "\"}") "]");
    b = chain(m1);
    assert_memory_not_equal(vt_audit_chain_get(a, 0)->config_digest, vt_audit_chain_get(b, 0)->config_digest, 32);
    vt_audit_chain_free(a);
    vt_audit_chain_free(b);
}

/* before, pii, after: each runs where configured, and after sees before's redaction. */
static void test_xchain__order_and_redactions_compose(void **state)
{
    vt_audit_chain *c = chain("[" EXT("before", "") ",{\"name\":\"pii\"}," EXT("after", "") "]");
    script s = { { "{\"verdict\":\"redact\",\"findings\":{\"code\":1},\"redactions\":[{\"text\":0,\"start\":4,"
                   "\"end\":10,\"replacement\":\"[CODE]\"}]}",
                   "{\"verdict\":\"annotate\",\"annotations\":{\"score\":0.25,\"hit\":true,\"n\":7,\"label\":\"x\"}}" },
                 { 0 }, { 0 }, 0 };
    vt_xaud_io io = { scripted_call, &s, "1", "/v1/chat/completions", NULL, false, 0, false, NULL, NULL };
    vt_audit_report *rep = calloc(1, sizeof(*rep));
    vt_xaud_result res = { 0 };
    vt_buf body;
    vt_err err = { 0 };
    const vt_audit_entry *e;

    (void)state;
    vt_audit_report_init(rep);
    vt_buf_init(&body);
    assert_int_equal(vt_buf_append_str(&body, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
                                              "\"the falcon flies\"}]}", &err), VT_OK);
    assert_int_equal(vt_xaud_run_body(rep, &res, c, VT_AUDIT_REQUEST, VT_XAUD_BEFORE, &body, &io, &err), VT_OK);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.calls[0], 0);
    /* The audited view: the content with its path, never the model or the role. */
    assert_non_null(strstr(s.seen[0], "\"path\":\"messages[0].content\",\"text\":\"the falcon flies\""));
    assert_null(strstr(s.seen[0], "\"m\""));
    assert_null(strstr(s.seen[0], "user"));
    assert_true(res.changed);
    assert_non_null(strstr((const char *)body.data, "\"content\":\"the [CODE] flies\""));
    assert_non_null(strstr((const char *)body.data, "\"model\":\"m\""));
    memset(&res, 0, sizeof(res));
    assert_int_equal(vt_xaud_run_body(rep, &res, c, VT_AUDIT_REQUEST, VT_XAUD_AFTER, &body, &io, &err), VT_OK);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.calls[1], 1);
    assert_non_null(strstr(s.seen[1], "the [CODE] flies")); /* what the first one let through */
    assert_false(res.changed);
    e = entry(rep, "before");
    assert_non_null(e);
    assert_int_equal(e->verdict, VT_AUDIT_REDACT);
    assert_string_equal(e->version, "2.0");
    assert_string_equal(e->counts[0].type, "code");
    e = entry(rep, "after");
    assert_int_equal(e->verdict, VT_AUDIT_ANNOTATE);
    assert_int_equal(e->note_len, 3); /* strings stay out of receipts */
    assert_string_equal(e->notes[0].key, "score_milli");
    assert_int_equal(e->notes[0].value, 250);
    assert_int_equal(e->notes[1].value, 1);
    assert_int_equal(e->notes[2].value, 7);
    assert_int_equal(rep->verdict, VT_AUDIT_REDACT);
    vt_buf_free(&body);
    script_free(&s);
    free(rep);
    vt_audit_chain_free(c);
}

/* The identifiers left out of the audited view are the schema's own (a role, a tool call's id, an
 * enum); free-form JSON the model reads (a tool's parameter schema, a custom tool's grammar,
 * metadata) is sent whole, whatever its keys are named: a parameter called "user" or "data", or a
 * schema's "type", used to hide its text from every external auditor. */
static void test_xchain__request_view_keeps_free_form_text(void **state)
{
    static const char *const hidden[] = {
        "\"path\":\"tools[0].function.parameters.properties.user.description\",\"text\":\"falcon 1\"",
        "\"path\":\"tools[0].function.parameters.properties.data.type\",\"text\":\"falcon 2\"",
        "\"path\":\"tools[1].custom.format.definition\",\"text\":\"falcon 3\"",
        "\"path\":\"metadata.id\",\"text\":\"falcon 4\"",
        "\"path\":\"response_format.json_schema.schema.format\",\"text\":\"falcon 5\"",
        "\"path\":\"tool_choice.allowed_tools.tools[0].model\",\"text\":\"falcon 6\"",
        "\"path\":\"messages[0].annotations[0].url\",\"text\":\"falcon 7\"",
        "\"path\":\"messages[1].content\",\"text\":\"falcon 8\"",
    };
    vt_audit_chain *c = chain("[" EXT("kw", "") "]");
    script s = { { "{\"verdict\":\"allow\"}" }, { 0 }, { 0 }, 0 };
    vt_xaud_io io = { scripted_call, &s, "1", "/v1/chat/completions", NULL, false, 0, false, NULL, NULL };
    vt_audit_report *rep = calloc(1, sizeof(*rep));
    vt_xaud_result res = { 0 };
    vt_buf body;
    vt_err err = { 0 };

    (void)state;
    vt_audit_report_init(rep);
    vt_buf_init(&body);
    assert_int_equal(vt_buf_append_str(&body,
        "{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\",\"content\":\"a\",\"annotations\":[{\"url\":\"falcon 7\"}],"
        "\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"falcon 8\"}],"
        "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\","
        "\"properties\":{\"user\":{\"description\":\"falcon 1\"},\"data\":{\"type\":\"falcon 2\"}}}}},"
        "{\"type\":\"custom\",\"custom\":{\"name\":\"g\",\"format\":{\"type\":\"grammar\",\"definition\":\"falcon 3\"}}}],"
        "\"metadata\":{\"id\":\"falcon 4\"},"
        "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"s\",\"schema\":{\"format\":\"falcon 5\"}}},"
        "\"tool_choice\":{\"type\":\"allowed_tools\",\"allowed_tools\":{\"mode\":\"auto\",\"tools\":[{\"model\":\"falcon 6\"}]}},"
        "\"user\":\"u-1\"}", &err), VT_OK);
    assert_int_equal(vt_xaud_run_body(rep, &res, c, VT_AUDIT_REQUEST, VT_XAUD_BEFORE, &body, &io, &err), VT_OK);
    assert_int_equal(s.n, 1);
    for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
        if (strstr(s.seen[0], hidden[i]) == NULL)
            fail_msg("not in the audited view: %s", hidden[i]);
    /* The schema's enums are still left out. */
    assert_null(strstr(s.seen[0], "\"assistant\""));
    assert_non_null(strstr(s.seen[0], "\"path\":\"tools[1].custom.format.type\",\"text\":\"grammar\""));
    assert_null(strstr(s.seen[0], "\"json_schema\""));
    vt_buf_free(&body);
    script_free(&s);
    free(rep);
    vt_audit_chain_free(c);
}

/* Strings the built-in auditors scan as text are in the view too: a tool call's id and a tool
 * message's tool_call_id (chat templates print them to the model), user, prompt_cache_key,
 * safety_identifier, a file part's file_id and an http image URL (the model server fetches it).
 * Each was left out, so a client could put what an external auditor blocks there.  An inline data:
 * URL and the media payloads are still left out; in a response, a link is text the client reads,
 * and an object under an identifier's name (which no client reads as text) is walked. */
static void test_xchain__view_keeps_ids_names_and_links(void **state)
{
    static const char *const req_seen[] = {
        "\"path\":\"messages[0].tool_calls[0].id\",\"text\":\"falcon 1\"",
        "\"path\":\"messages[1].tool_call_id\",\"text\":\"falcon 2\"",
        "\"path\":\"messages[2].content[0].image_url.url\",\"text\":\"https://x.example/falcon 3\"",
        "\"path\":\"messages[2].content[2].file.file_id\",\"text\":\"falcon 4\"",
        "\"path\":\"user\",\"text\":\"falcon 5\"",
        "\"path\":\"prompt_cache_key\",\"text\":\"falcon 6\"",
        "\"path\":\"safety_identifier\",\"text\":\"falcon 7\"",
    };
    static const char *const resp_seen[] = {
        "\"path\":\"choices[0].message.annotations[0].url_citation.url\",\"text\":\"https://falcon.example/\"",
        "\"path\":\"choices[0].message.model.text\",\"text\":\"falcon 8\"",
    };
    vt_audit_chain *c = chain("[" EXT("kw", "") "]");
    script s = { { "{\"verdict\":\"allow\"}" }, { 0 }, { 0 }, 0 };
    vt_xaud_io io = { scripted_call, &s, "1", "/v1/chat/completions", NULL, false, 0, false, NULL, NULL };
    vt_audit_report *rep = calloc(1, sizeof(*rep));
    vt_xaud_result res = { 0 };
    vt_buf body;
    vt_err err = { 0 };

    (void)state;
    vt_audit_report_init(rep);
    vt_buf_init(&body);
    assert_int_equal(vt_buf_append_str(&body,
        "{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\",\"content\":null,"
        "\"tool_calls\":[{\"id\":\"falcon 1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"falcon 2\",\"content\":\"ok\"},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x.example/falcon 3\"}},"
        "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,ZmFsY29u\"}},"
        "{\"type\":\"file\",\"file\":{\"file_id\":\"falcon 4\",\"file_data\":\"ZmFsY29u\"}}]}],"
        "\"user\":\"falcon 5\",\"prompt_cache_key\":\"falcon 6\",\"safety_identifier\":\"falcon 7\"}", &err), VT_OK);
    assert_int_equal(vt_xaud_run_body(rep, &res, c, VT_AUDIT_REQUEST, VT_XAUD_BEFORE, &body, &io, &err), VT_OK);
    assert_int_equal(s.n, 1);
    for (size_t i = 0; i < sizeof(req_seen) / sizeof(req_seen[0]); i++)
        if (strstr(s.seen[0], req_seen[i]) == NULL)
            fail_msg("not in the request's audited view: %s", req_seen[i]);
    assert_null(strstr(s.seen[0], "data:image"));
    assert_null(strstr(s.seen[0], "ZmFsY29u"));
    body.len = 0;
    assert_int_equal(vt_buf_append_str(&body,
        "{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":"
        "{\"role\":\"assistant\",\"content\":\"see\",\"model\":{\"text\":\"falcon 8\"},"
        "\"annotations\":[{\"type\":\"url_citation\",\"url_citation\":{\"url\":\"https://falcon.example/\"}}]},"
        "\"finish_reason\":\"stop\"}]}", &err), VT_OK);
    assert_int_equal(vt_xaud_run_body(rep, &res, c, VT_AUDIT_RESPONSE, VT_XAUD_BEFORE, &body, &io, &err), VT_OK);
    assert_int_equal(s.n, 2);
    for (size_t i = 0; i < sizeof(resp_seen) / sizeof(resp_seen[0]); i++)
        if (strstr(s.seen[1], resp_seen[i]) == NULL)
            fail_msg("not in the response's audited view: %s", resp_seen[i]);
    assert_null(strstr(s.seen[1], "chat.completion"));
    vt_buf_free(&body);
    script_free(&s);
    free(rep);
    vt_audit_chain_free(c);
}

/* A request message's content written as parts: a chat template prints the text parts one after
 * the other, so the model reads a term split between two parts as one term.  Each part was a
 * text of its own and an auditor that scans each text saw neither half; the parts of one content
 * list are one text, and a redaction across their boundary is cut back into them. */
static void test_xchain__request_parts_joined(void **state)
{
    vt_audit_chain *c = chain("[" EXT("kw", "") "]");
    script s = { { "{\"verdict\":\"redact\",\"redactions\":[{\"text\":0,\"start\":15,\"end\":20,"
                   "\"replacement\":\"[TOPIC]\"}]}" },
                 { 0 }, { 0 }, 0 };
    vt_xaud_io io = { scripted_call, &s, "1", "/v1/chat/completions", NULL, false, 0, false, NULL, NULL };
    vt_audit_report *rep = calloc(1, sizeof(*rep));
    vt_xaud_result res = { 0 };
    vt_buf body;
    vt_err err = { 0 };

    (void)state;
    vt_audit_report_init(rep);
    vt_buf_init(&body);
    assert_int_equal(vt_buf_append_str(&body,
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"how to build a rif\"},"
        "{\"type\":\"text\",\"text\":\"le\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x.example/i\"}},"
        "{\"type\":\"text\",\"text\":\" now\"}]}]}", &err), VT_OK);
    assert_int_equal(vt_xaud_run_body(rep, &res, c, VT_AUDIT_REQUEST, VT_XAUD_BEFORE, &body, &io, &err), VT_OK);
    assert_int_equal(s.n, 1);
    assert_non_null(strstr(s.seen[0], "\"texts\":[{\"path\":\"messages[0].content\",\"text\":\"how to build a rifle "
                                      "now\"},{\"path\":\"messages[0].content[2].image_url.url\""));
    assert_true(res.changed);
    assert_non_null(strstr((const char *)body.data, "[{\"type\":\"text\",\"text\":\"how to build a [TOPIC]\"},"
                                                    "{\"type\":\"text\",\"text\":\"\"},"));
    assert_non_null(strstr((const char *)body.data, "{\"type\":\"text\",\"text\":\" now\"}"));
    vt_buf_free(&body);
    script_free(&s);
    free(rep);
    vt_audit_chain_free(c);
}

/* A block stops the chain: the next auditor is not asked. */
static void test_xchain__block_stops(void **state)
{
    vt_audit_chain *c = chain("[" EXT("a", "") "," EXT("b", "") "]");
    script s = { { "{\"verdict\":\"block\",\"reason\":\"no\",\"findings\":{\"topic\":2}}", "{\"verdict\":\"allow\"}" },
                 { 0 }, { 0 }, 0 };
    vt_xaud_io io = { scripted_call, &s, "1", "/", NULL, false, 0, false, NULL, NULL };
    vt_audit_report *rep = calloc(1, sizeof(*rep));
    vt_xaud_text t = { "p", "hello", 5 };
    vt_buf b = { 0 };
    vt_xaud_result res = { 0 };
    vt_err err = { 0 };

    (void)state;
    vt_audit_report_init(rep);
    assert_int_equal(vt_xaud_run_texts(rep, &res, c, VT_AUDIT_RESPONSE, VT_XAUD_ALL, &t, &b, 1, &io, &err), VT_OK);
    assert_true(res.blocked);
    assert_int_equal(s.n, 1);
    assert_int_equal(rep->verdict, VT_AUDIT_BLOCK);
    assert_string_equal(vt_audit_report_block_reason(rep), "a: no");
    assert_null(entry(rep, "b"));
    script_free(&s);
    free(rep);
    vt_audit_chain_free(c);
}

/* No answer, or one that breaks the protocol: fail closed; fail_open: skipped and recorded. */
static void test_xchain__failures(void **state)
{
    static const char *const answers[] = {
        NULL,                                                   /* timeout / crash */
        "{\"verdict\":\"maybe\"}",                              /* not a verdict */
        "{\"verdict\":\"redact\",\"redactions\":[{\"text\":3,\"start\":0,\"end\":1,\"replacement\":\"x\"}]}",
        "not json",
    };
    (void)state;
    for (size_t k = 0; k < 4; k++) {
        for (int open = 0; open < 2; open++) {
            vt_audit_chain *c = chain(open ? "[" EXT("a", ",\"fail_open\":true") "," EXT("b", "") "]"
                                           : "[" EXT("a", "") "," EXT("b", "") "]");
            script s = { { answers[k], "{\"verdict\":\"allow\"}" }, { 0 }, { 0 }, 0 };
            vt_xaud_io io = { scripted_call, &s, "1", "/", NULL, false, 0, false, NULL, NULL };
            vt_audit_report *rep = calloc(1, sizeof(*rep));
            vt_xaud_text t = { "p", "hello", 5 };
            vt_buf b = { 0 };
            vt_xaud_result res = { 0 };
            vt_err err = { 0 };
            const vt_audit_entry *e;

            vt_audit_report_init(rep);
            assert_int_equal(vt_xaud_run_texts(rep, &res, c, VT_AUDIT_REQUEST, VT_XAUD_ALL, &t, &b, 1, &io, &err),
                             VT_OK);
            e = entry(rep, "a");
            assert_non_null(e);
            if (open) {
                assert_false(res.failed_closed);
                assert_int_equal(e->verdict, VT_AUDIT_ALLOW);
                assert_string_equal(e->notes[0].key, "failed_open");
                assert_int_equal(s.n, 2); /* b still runs */
                assert_int_equal(rep->verdict, VT_AUDIT_ALLOW);
            } else {
                assert_true(res.failed_closed);
                assert_string_equal(res.failed, "a");
                assert_int_equal(e->verdict, VT_AUDIT_BLOCK);
                assert_non_null(strstr(e->reason, "a: auditor failed: "));
                assert_int_equal(s.n, 1);
            }
            vt_buf_free(&b);
            script_free(&s);
            free(rep);
            vt_audit_chain_free(c);
        }
    }
}

static const char *delta_content(json_t *doc, size_t choice)
{
    return json_string_value(
        json_object_get(json_object_get(json_array_get(json_object_get(doc, "choices"), choice), "delta"), "content"));
}

/* A stream window: each field's pieces are joined across the events, as the client joins them, so
 * a term the model streamed over several events (here over three) is seen whole; it was three
 * texts, and an auditor that scans each text found nothing.  The redaction is cut back into the
 * pieces: the replacement in the piece where the term starts, the rest of the term removed from
 * the pieces after it. */
static void test_xchain__window_joined(void **state)
{
    vt_audit_chain *c = chain("[" EXT("a", "") "]");
    script s = { { "{\"verdict\":\"redact\",\"redactions\":[{\"text\":0,\"start\":4,\"end\":18,"
                   "\"replacement\":\"[CODE]\"}]}" },
                 { 0 }, { 0 }, 0 };
    vt_xaud_io io = { scripted_call, &s, "1", "/", NULL, true, 4, true, NULL, NULL };
    vt_audit_report *rep = calloc(1, sizeof(*rep));
    json_t *docs[3] = { json_loads("{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
                                   "\"content\":\"the Proj\"},\"finish_reason\":null}]}", 0, NULL),
                        json_loads("{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ect Fal\"},"
                                   "\"finish_reason\":null}]}", 0, NULL),
                        json_loads("{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"con flies\"},"
                                   "\"finish_reason\":\"stop\"}]}", 0, NULL) };
    vt_xaud_result res = { 0 };
    vt_err err = { 0 };

    (void)state;
    vt_audit_report_init(rep);
    assert_int_equal(vt_xaud_run_docs(rep, &res, c, VT_AUDIT_RESPONSE, VT_XAUD_ALL, docs, 3, &io, &err), VT_OK);
    assert_int_equal(s.n, 1);
    assert_non_null(strstr(s.seen[0], "\"texts\":[{\"path\":\"choices[0].delta.content\",\"text\":\"the Project "
                                      "Falcon flies\"}]"));
    assert_non_null(strstr(s.seen[0], "\"stream\":{\"window\":4,\"final\":true}"));
    assert_null(strstr(s.seen[0], "stop")); /* finish_reason is not text */
    assert_true(res.changed);
    assert_string_equal(delta_content(docs[0], 0), "the [CODE]");
    assert_string_equal(delta_content(docs[1], 0), "");
    assert_string_equal(delta_content(docs[2], 0), " flies");
    for (size_t i = 0; i < 3; i++)
        json_decref(docs[i]);
    script_free(&s);
    free(rep);
    vt_audit_chain_free(c);
}

/* Choices are joined by their index, not their place in each event's list (which moves); a
 * redaction that touches no boundary stays in its piece, and an untouched field is left alone. */
static void test_xchain__window_joined_by_index(void **state)
{
    vt_audit_chain *c = chain("[" EXT("a", "") "]");
    script s = { { "{\"verdict\":\"redact\",\"redactions\":[{\"text\":0,\"start\":0,\"end\":2,"
                   "\"replacement\":\"#\"}]}" },
                 { 0 }, { 0 }, 0 };
    vt_xaud_io io = { scripted_call, &s, "1", "/", NULL, true, 0, false, NULL, NULL };
    vt_audit_report *rep = calloc(1, sizeof(*rep));
    json_t *docs[2] = { json_loads("{\"choices\":[{\"index\":1,\"delta\":{\"content\":\"x1\"}},"
                                   "{\"index\":0,\"delta\":{\"content\":\"ab\"}}]}", 0, NULL),
                        json_loads("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"cd\"}},"
                                   "{\"index\":1,\"delta\":{\"content\":\"y\"}}]}", 0, NULL) };
    vt_xaud_result res = { 0 };
    vt_err err = { 0 };

    (void)state;
    vt_audit_report_init(rep);
    assert_int_equal(vt_xaud_run_docs(rep, &res, c, VT_AUDIT_RESPONSE, VT_XAUD_ALL, docs, 2, &io, &err), VT_OK);
    assert_non_null(strstr(s.seen[0], "\"texts\":[{\"path\":\"choices[1].delta.content\",\"text\":\"x1y\"},"
                                      "{\"path\":\"choices[0].delta.content\",\"text\":\"abcd\"}]"));
    assert_string_equal(delta_content(docs[0], 0), "#");
    assert_string_equal(delta_content(docs[1], 1), "y");
    assert_string_equal(delta_content(docs[0], 1), "ab");
    assert_string_equal(delta_content(docs[1], 0), "cd");
    json_decref(docs[0]);
    json_decref(docs[1]);
    script_free(&s);
    free(rep);
    vt_audit_chain_free(c);
}

/* A stream's rewrite is not audited again by the built-in walker, so with io->recheck it must pass
 * the built-in scanners unchanged: an auditor that writes an e-mail address (or anything the
 * built-ins redact or block) fails closed, fail_open or not; a plain replacement passes. */
static void test_xchain__window_rewrite_rechecked(void **state)
{
    static const char *const answers[] = {
        "{\"verdict\":\"redact\",\"redactions\":[{\"text\":0,\"start\":0,\"end\":4,"
        "\"replacement\":\"jane.doe@example.com\"}]}",
        "{\"verdict\":\"redact\",\"redactions\":[{\"text\":0,\"start\":0,\"end\":4,\"replacement\":\"[X]\"}]}",
    };
    (void)state;
    for (size_t k = 0; k < 2; k++) {
        for (int open = 0; open < 2; open++) {
            vt_audit_chain *c = chain(open ? "[{\"name\":\"pii\"}," EXT("a", ",\"fail_open\":true") "]"
                                           : "[{\"name\":\"pii\"}," EXT("a", "") "]");
            vt_audit_ctx *cx = NULL;
            script s = { { answers[k] }, { 0 }, { 0 }, 0 };
            vt_xaud_io io = { scripted_call, &s, "1", "/", NULL, true, 0, false, NULL, NULL };
            vt_audit_report *rep = calloc(1, sizeof(*rep));
            json_t *doc = json_loads("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"name here\"}}]}", 0, NULL);
            vt_xaud_result res = { 0 };
            vt_err err = { 0 };

            assert_int_equal(vt_audit_ctx_new(&cx, c, &err), VT_OK);
            io.recheck = cx;
            vt_audit_report_init(rep);
            assert_int_equal(vt_xaud_run_docs(rep, &res, c, VT_AUDIT_RESPONSE, VT_XAUD_ALL, &doc, 1, &io, &err), VT_OK);
            if (k == 0) {
                assert_true(res.failed_closed);
                assert_string_equal(res.failed, "a");
                assert_non_null(strstr(entry(rep, "a")->reason, "a: auditor failed: its rewrite does not pass"));
                assert_int_equal(rep->verdict, VT_AUDIT_BLOCK);
            } else {
                assert_false(res.failed_closed);
                assert_string_equal(delta_content(doc, 0), "[X] here");
            }
            json_decref(doc);
            vt_audit_ctx_free(cx);
            script_free(&s);
            free(rep);
            vt_audit_chain_free(c);
        }
    }
}

/* More strings in a window than one request may carry: every auditor fails (closed by default),
 * none is sent a part of them. */
static void test_xchain__window_too_many_strings(void **state)
{
    vt_audit_chain *c = chain("[" EXT("a", "") "]");
    script s = { { "{\"verdict\":\"allow\"}" }, { 0 }, { 0 }, 0 };
    vt_xaud_io io = { scripted_call, &s, "1", "/", NULL, true, 0, false, NULL, NULL };
    vt_audit_report *rep = calloc(1, sizeof(*rep));
    json_t *doc = json_object();
    vt_xaud_result res = { 0 };
    vt_err err = { 0 };

    (void)state;
    for (size_t i = 0; i < VT_XAUD_MAX_TEXTS + 1; i++) { /* distinct paths: nothing to join */
        char k[16];
        snprintf(k, sizeof(k), "k%zu", i);
        json_object_set_new(doc, k, json_string("x"));
    }
    vt_audit_report_init(rep);
    assert_int_equal(vt_xaud_run_docs(rep, &res, c, VT_AUDIT_RESPONSE, VT_XAUD_ALL, &doc, 1, &io, &err), VT_OK);
    assert_true(res.failed_closed);
    assert_int_equal(s.n, 0);
    json_decref(doc);
    script_free(&s);
    free(rep);
    vt_audit_chain_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xchain__config_refused),
        cmocka_unit_test(test_xchain__measurement_changes_digests),
        cmocka_unit_test(test_xchain__order_and_redactions_compose),
        cmocka_unit_test(test_xchain__request_view_keeps_free_form_text),
        cmocka_unit_test(test_xchain__view_keeps_ids_names_and_links),
        cmocka_unit_test(test_xchain__request_parts_joined),
        cmocka_unit_test(test_xchain__block_stops),
        cmocka_unit_test(test_xchain__failures),
        cmocka_unit_test(test_xchain__window_joined),
        cmocka_unit_test(test_xchain__window_joined_by_index),
        cmocka_unit_test(test_xchain__window_rewrite_rechecked),
        cmocka_unit_test(test_xchain__window_too_many_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
