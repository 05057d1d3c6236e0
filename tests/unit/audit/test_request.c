/* The request walker (request.c): every string position of every accepted
 * shape of the three routes carries a marker e-mail address that must come
 * out redacted; refused shapes name the field; the policy's allow options
 * let token IDs, unknown fields and media through, recorded as unaudited.
 * Refusals first. */
#include "audit_util.h"

#include <jansson.h>

#define CFG_PII "[{\"name\":\"pii\",\"actions\":{\"email\":\"redact\"}}]"
#define CFG_ALLOW                                                                                                      \
    "[{\"name\":\"pii\",\"actions\":{\"email\":\"redact\"}},{\"name\":\"policy\",\"allow_token_ids\":true,"           \
    "\"allow_unknown_fields\":true,\"allow_media\":true}]"

enum { CHAT = VT_AUDIT_ROUTE_CHAT, COMPL = VT_AUDIT_ROUTE_COMPLETIONS, EMB = VT_AUDIT_ROUTE_EMBEDDINGS };

typedef audit_fx fixture;

static vt_status run(fixture *f, int route, const char *body)
{
    vt_status rc;

    vt_audit_report_init(f->rep);
    memset(&f->err, 0, sizeof(f->err));
    f->fwd.len = 0;
    rc = vt_audit_request(f->rep, &f->fwd, f->x, (vt_audit_route)route, (const uint8_t *)body, strlen(body), &f->err);
    assert_int_equal(vt_buf_terminate(&f->fwd, NULL), VT_OK);
    return rc;
}

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(s, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* ---- refusals ---- */

static void test_audit_request__refused_shapes_name_the_field(void **state)
{
    static const struct {
        int route;
        const char *body, *msg;
    } bad[] = {
        /* The body itself: duplicate keys (also nested), trailing bytes, not an object. */
        { CHAT, "{\"model\":\"m\",\"model\":\"n\",\"messages\":[]}", "not one JSON object" },
        { CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"a\",\"content\":\"marker.1@example.com\"}]}",
          "not one JSON object" },
        { CHAT, "{\"messages\":[]} {\"x\":1}", "not one JSON object" },
        { CHAT, "{\"messages\":[]}x", "not one JSON object" },
        { CHAT, "[]", "not one JSON object" },
        /* Token IDs (prompt/input), refused unless allowed. */
        { COMPL, "{\"model\":\"m\",\"prompt\":[[74,2271]]}", "field \"prompt\" holds token IDs" },
        { COMPL, "{\"model\":\"m\",\"prompt\":[74,2271]}", "field \"prompt\" holds token IDs" },
        { EMB, "{\"model\":\"m\",\"input\":[[1,2],[3]]}", "field \"input\" holds token IDs" },
        { COMPL, "{\"prompt\":[\"a\",74]}", "field \"prompt[1]\" mixes token IDs with text" },
        { COMPL, "{\"prompt\":[74,\"a\"]}", "field \"prompt\" mixes token IDs" },
        /* Fields the gateway does not know, at every level. */
        { CHAT, "{\"foo\":\"marker.1@example.com\",\"messages\":[]}", "field \"foo\" is not audited and not allowed" },
        { CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\",\"extra\":1}]}",
          "field \"messages[0].extra\" is not audited and not allowed" },
        { CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\",\"x\":\"b\"}]}]}",
          "field \"messages[0].content[0].x\" is not audited" },
        { CHAT, "{\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"examples\":[\"a\"]}}]}",
          "field \"tools[0].function.examples\" is not audited" },
        { EMB, "{\"input\":\"a\",\"suffix\":\"b\"}", "field \"suffix\" is not audited" },
        { COMPL, "{\"prompt\":\"a\",\"messages\":[]}", "field \"messages\" is not audited" },
        /* Tags and enums: missing or unknown. */
        { CHAT, "{\"messages\":[{\"content\":\"x\"}]}", "field \"messages[0].role\" is missing" },
        { CHAT, "{\"messages\":[{\"role\":\"critic\",\"content\":\"x\"}]}", "\"messages[0].role\" has a value" },
        { CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"x\"}]}]}",
          "field \"messages[0].content[0].type\" is missing" },
        { CHAT, "{\"messages\":[{\"role\":\"system\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}}]}]}",
          "messages[0].content[0].type\" has a value the gateway does not know" },
        { CHAT, "{\"reasoning_effort\":\"extreme\"}", "field \"reasoning_effort\" must be one of \"none\"" },
        { CHAT, "{\"tool_choice\":\"sometimes\"}", "field \"tool_choice\" must be one of" },
        /* Scalars out of range or of the wrong type. */
        { CHAT, "{\"temperature\":3}", "field \"temperature\" must be a number from 0 to 2 or null" },
        { CHAT, "{\"n\":1.5}", "field \"n\" must be an integer" },
        { CHAT, "{\"stream\":\"yes\"}", "field \"stream\" must be a boolean or null" },
        { CHAT, "{\"messages\":{}}", "field \"messages\" must be an array" },
        { CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":5}]}", "messages[0].content\" must be a string" },
        { CHAT, "{\"logit_bias\":{\"abc\":1}}", "field \"logit_bias\" must be an object of token IDs" },
        { CHAT, "{\"logit_bias\":{\"50256\":-101}}", "field \"logit_bias\" must be an object of token IDs" },
        { CHAT, "{\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":\"x\"}}]}",
          "tools[0].function.parameters\" must be an array, an object or null" },
        /* The model id: a strict charset (it is not scanned). */
        { CHAT, "{\"model\":\"marker.1@example.com\"}", "field \"model\" must be 1-256 of" },
        { CHAT, "{\"model\":\"a b\"}", "field \"model\" must be" },
        { CHAT, "{\"model\":\"../x\"}", "field \"model\" must be" },
        /* Media parts (no auditor reads an image, audio or file). */
        { CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":"
                "\"data:image/png;base64,AAAA\"}}]}]}",
          "field \"messages[0].content[0]\" is a image_url part, which no auditor can read" },
        { CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_audio\",\"input_audio\":{\"data\":"
                "\"AAAA\",\"format\":\"wav\"}}]}]}",
          "is a input_audio part" },
        { CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"file\",\"file\":{\"file_data\":\"AA\"}}]}]}",
          "is a file part" },
        /* Audio output: the client would hear what no auditor read. */
        { CHAT, "{\"modalities\":[\"text\",\"audio\"],\"audio\":{\"format\":\"wav\",\"voice\":\"alloy\"},"
                "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
          "field \"modalities[1]\" asks for audio output, which no auditor can read" },
        /* Two keys that are the same once redacted. */
        { CHAT, "{\"metadata\":{\"a@example.com\":\"1\",\"[EMAIL_1]\":\"2\"}}", "is the same as another key" },
    };
    fixture *f = audit_fx_new(CFG_PII);

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        vt_status rc = run(f, bad[i].route, bad[i].body);
        if (rc != VT_E_FORMAT || strstr(f->err.msg, bad[i].msg) == NULL)
            fail_msg("case %zu %s: got %s '%s', want '%s'", i, bad[i].body, vt_status_str(rc), f->err.msg, bad[i].msg);
        assert_int_equal(f->fwd.len, 0); /* nothing to forward */
        assert_int_equal(f->rep->failed, VT_AUDIT_REQUEST);
        assert_int_equal(f->rep->audited, 0);
    }
    audit_fx_free(f);
}

static void test_audit_request__oversized_body_is_a_limit(void **state)
{
    fixture *f = audit_fx_new(CFG_PII);
    uint8_t *huge = calloc(1, VT_AUDIT_MAX_BODY + 1);

    (void)state;
    vt_audit_report_init(f->rep);
    assert_int_equal(vt_audit_request(f->rep, &f->fwd, f->x, VT_AUDIT_ROUTE_CHAT, huge, VT_AUDIT_MAX_BODY + 1, NULL),
                     VT_E_LIMIT);
    assert_int_equal(f->rep->failed, VT_AUDIT_REQUEST);
    free(huge);
    /* Free-form JSON nested deeper than the walker audits (64). */
    {
        char deep[400];
        size_t n = 0;
        n += (size_t)snprintf(deep + n, sizeof(deep) - n, "{\"metadata\":{\"a\":");
        for (int i = 0; i < 70; i++)
            deep[n++] = '[';
        deep[n++] = '1';
        for (int i = 0; i < 70; i++)
            deep[n++] = ']';
        snprintf(deep + n, sizeof(deep) - n, "}}");
        assert_int_equal(run(f, CHAT, deep), VT_E_FORMAT);
        assert_non_null(strstr(f->err.msg, "nests deeper than the gateway audits"));
    }
    audit_fx_free(f);
}

/* ---- every string position is audited ---- */

/* Each body puts marker.N@example.com in string positions; all must come out
 * redacted, as many placeholders as markers, and nothing unaudited. */
static const struct {
    int route;
    const char *body;
    size_t markers;
} shapes[] = {
    /* Chat: every role, content as a string, an array of strings and typed parts. */
    { CHAT, "{\"model\":\"llama-3.1:8b\",\"messages\":["
            "{\"role\":\"system\",\"content\":\"marker.1@example.com\",\"name\":\"marker.2@example.com\"},"
            "{\"role\":\"developer\",\"content\":[{\"type\":\"text\",\"text\":\"marker.3@example.com\"}],"
            "\"name\":\"marker.4@example.com\"},"
            "{\"role\":\"user\",\"content\":[\"marker.5@example.com\",{\"type\":\"text\",\"text\":\"marker.6@example.com\"}],"
            "\"name\":\"marker.7@example.com\"},"
            "{\"role\":\"user\",\"content\":\"marker.8@example.com\"}]}",
      8 },
    { CHAT, "{\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"marker.1@example.com\"},"
            "{\"type\":\"refusal\",\"refusal\":\"marker.2@example.com\"}],\"name\":\"marker.3@example.com\","
            "\"refusal\":\"marker.4@example.com\",\"reasoning_content\":\"marker.5@example.com\","
            "\"reasoning\":\"marker.6@example.com\",\"audio\":{\"id\":\"marker.7@example.com\"},"
            "\"annotations\":[{\"type\":\"url_citation\",\"url_citation\":{\"url\":\"http://marker.8@example.com/\","
            "\"title\":\"marker.9@example.com\",\"start_index\":0,\"end_index\":1}}],"
            "\"tool_calls\":[{\"id\":\"marker.10@example.com\",\"type\":\"function\",\"function\":{"
            "\"name\":\"marker.11@example.com\",\"arguments\":\"{\\\"to\\\":\\\"marker.12@example.com\\\","
            "\\\"marker.13@example.com\\\":[\\\"marker.14\\\\u0040example.com\\\"]}\"}},"
            "{\"id\":\"c2\",\"type\":\"custom\",\"custom\":{\"name\":\"marker.15@example.com\","
            "\"input\":\"marker.16@example.com\"}}],"
            "\"function_call\":{\"name\":\"marker.17@example.com\",\"arguments\":\"not json marker.18@example.com\"}},"
            "{\"role\":\"tool\",\"tool_call_id\":\"marker.19@example.com\",\"content\":\"marker.20@example.com\"},"
            "{\"role\":\"tool\",\"tool_call_id\":\"t\",\"content\":[{\"type\":\"text\",\"text\":\"marker.21@example.com\"}]},"
            "{\"role\":\"function\",\"name\":\"marker.22@example.com\",\"content\":\"marker.23@example.com\"},"
            "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":null,\"refusal\":null}]}",
      23 },
    /* Tool and function definitions: names, descriptions, the whole schema (keys too). */
    { CHAT, "{\"messages\":[],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"marker.1@example.com\","
            "\"description\":\"marker.2@example.com\",\"strict\":true,\"parameters\":{\"type\":\"object\","
            "\"properties\":{\"marker.3@example.com\":{\"type\":\"string\",\"description\":\"marker.4@example.com\","
            "\"enum\":[\"marker.5@example.com\"],\"default\":4111111111111111}}}}},"
            "{\"type\":\"custom\",\"custom\":{\"name\":\"marker.6@example.com\",\"description\":\"marker.7@example.com\","
            "\"format\":{\"type\":\"grammar\",\"grammar\":{\"syntax\":\"lark\",\"definition\":\"marker.8@example.com\"}}}}],"
            "\"functions\":[{\"name\":\"marker.9@example.com\",\"description\":\"marker.10@example.com\","
            "\"parameters\":{\"marker.11@example.com\":1}}],"
            "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"marker.12@example.com\"}},"
            "\"function_call\":{\"name\":\"marker.13@example.com\"}}",
      13 },
    { CHAT, "{\"messages\":[],\"tool_choice\":{\"type\":\"allowed_tools\",\"allowed_tools\":{\"mode\":\"auto\","
            "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"marker.1@example.com\"}}]}}}",
      1 },
    { CHAT, "{\"messages\":[],\"tool_choice\":{\"type\":\"custom\",\"custom\":{\"name\":\"marker.1@example.com\"}}}", 1 },
    /* response_format, prediction, stop, user, metadata, audio, web search, identifiers. */
    { CHAT, "{\"messages\":[],\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{"
            "\"name\":\"marker.1@example.com\",\"description\":\"marker.2@example.com\",\"strict\":true,"
            "\"schema\":{\"properties\":{\"marker.3@example.com\":{\"const\":\"marker.4@example.com\"}}}}},"
            "\"prediction\":{\"type\":\"content\",\"content\":[{\"type\":\"text\",\"text\":\"marker.5@example.com\"}]},"
            "\"stop\":[\"marker.6@example.com\",\"marker.7@example.com\"],\"user\":\"marker.8@example.com\","
            "\"metadata\":{\"marker.9@example.com\":\"marker.10@example.com\"},"
            "\"audio\":{\"format\":\"wav\",\"voice\":\"marker.11@example.com\"},"
            "\"web_search_options\":{\"search_context_size\":\"low\",\"user_location\":{\"type\":\"approximate\","
            "\"approximate\":{\"city\":\"marker.12@example.com\",\"country\":\"marker.13@example.com\","
            "\"region\":\"marker.14@example.com\",\"timezone\":\"marker.15@example.com\"}}},"
            "\"prompt_cache_key\":\"marker.16@example.com\",\"safety_identifier\":\"marker.17@example.com\"}",
      17 },
    { CHAT, "{\"messages\":[],\"stop\":\"marker.1@example.com\",\"prediction\":{\"type\":\"content\","
            "\"content\":\"marker.2@example.com\"},\"audio\":{\"format\":\"mp3\",\"voice\":{\"id\":\"marker.3@example.com\"}},"
            "\"response_format\":{\"type\":\"json_object\"}}",
      3 },
    /* Every control field of the chat route at once, none of them content. */
    { CHAT, "{\"model\":\"org/Model-7B_v1.2\",\"messages\":[{\"role\":\"user\",\"content\":\"marker.1@example.com\"}],"
            "\"frequency_penalty\":-1.5,\"presence_penalty\":2,\"logit_bias\":{\"50256\":-100,\"1\":0.5},"
            "\"logprobs\":true,\"top_logprobs\":5,\"max_tokens\":10,\"max_completion_tokens\":null,\"n\":2,"
            "\"seed\":-7,\"stream\":true,\"stream_options\":{\"include_usage\":true,\"include_obfuscation\":false},"
            "\"temperature\":0,\"top_p\":1,\"modalities\":[\"text\"],\"parallel_tool_calls\":false,"
            "\"reasoning_effort\":\"low\",\"service_tier\":\"auto\",\"store\":false,\"verbosity\":\"high\","
            "\"prompt_cache_retention\":\"24h\",\"tool_choice\":\"required\",\"function_call\":\"none\","
            "\"response_format\":{\"type\":\"text\"},\"metadata\":null,\"tools\":null}",
      1 },
    /* Legacy completions: prompt as a string and an array of strings; suffix. */
    { COMPL, "{\"model\":\"m\",\"prompt\":\"marker.1@example.com\",\"suffix\":\"marker.2@example.com\","
             "\"stop\":[\"marker.3@example.com\"],\"user\":\"marker.4@example.com\",\"best_of\":2,\"echo\":true,"
             "\"logprobs\":3,\"max_tokens\":5,\"logit_bias\":{\"7\":1},\"stream_options\":null}",
      4 },
    { COMPL, "{\"model\":\"m\",\"prompt\":[\"marker.1@example.com\",\"marker.2@example.com\"],\"suffix\":null}", 2 },
    /* Embeddings: input as a string and an array of strings. */
    { EMB, "{\"model\":\"m\",\"input\":\"marker.1@example.com\",\"user\":\"marker.2@example.com\","
           "\"encoding_format\":\"base64\",\"dimensions\":8}",
      2 },
    { EMB, "{\"model\":\"m\",\"input\":[\"marker.1@example.com\",\"x marker.2@example.com\"]}", 2 },
};

static void test_audit_request__every_string_position_is_redacted(void **state)
{
    fixture *f = audit_fx_new(CFG_PII);

    (void)state;
    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        const char *out;
        json_t *j;
        vt_status rc = run(f, shapes[i].route, shapes[i].body);
        if (rc != VT_OK)
            fail_msg("shape %zu refused: %s", i, f->err.msg);
        out = (const char *)f->fwd.data;
        if (strstr(out, "marker") != NULL || count(out, "[EMAIL_") != shapes[i].markers)
            fail_msg("shape %zu: forwarded %s (want %zu placeholders, no marker)", i, out, shapes[i].markers);
        j = json_loads(out, JSON_REJECT_DUPLICATES, NULL);
        assert_non_null(j);
        json_decref(j);
        assert_int_equal(f->rep->audited, VT_AUDIT_REQUEST);
        assert_int_equal(f->rep->unaudited_len, 0);
        assert_int_equal(f->rep->entries[0].counts[0].count, shapes[i].markers);
    }
    audit_fx_free(f);
}

/* A message's parts are read joined by the model: an address split between two text parts (or a
 * string and a part, or a refusal part) is refused, since no redaction of the pieces removes it;
 * the same address whole in one part is redacted there, and clean parts pass. */
static void test_audit_request__parts_checked_joined(void **state)
{
    static const char *const split[] = {
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"mail "
        "leak.marker@exa\"},{\"type\":\"text\",\"text\":\"mple.com now\"}]}]}",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":[\"leak.marker@exa\",{\"type\":\"text\","
        "\"text\":\"mple.com\"}]}]}",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":\"refusal\",\"refusal\":"
        "\"leak.marker@exa\"},{\"type\":\"text\",\"text\":\"mple.com\"}]}]}",
    };
    static const char *const fine[] = {
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"mail "
        "leak.marker@example.com\"},{\"type\":\"text\",\"text\":\"now\"}]}]}",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hello \"},"
        "{\"type\":\"text\",\"text\":\"world\"}]}]}",
    };
    fixture *f = audit_fx_new(CFG_PII);

    (void)state;
    for (size_t i = 0; i < sizeof(split) / sizeof(split[0]); i++) {
        if (run(f, CHAT, split[i]) != VT_E_FORMAT)
            fail_msg("split %zu forwarded: %s", i, (const char *)f->fwd.data);
        assert_non_null(strstr(f->err.msg, "only its parts joined show"));
        assert_non_null(strstr(f->err.msg, "messages[0].content"));
    }
    for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
        if (run(f, CHAT, fine[i]) != VT_OK)
            fail_msg("fine %zu refused: %s", i, f->err.msg);
        assert_null(strstr((const char *)f->fwd.data, "marker"));
    }
    audit_fx_free(f);
}

static void test_audit_request__placeholders_are_numbered_once_per_body(void **state)
{
    fixture *f = audit_fx_new(CFG_PII);

    (void)state;
    /* Keys, values and numbers share one numbering (an object's keys, then its
     * values); a redacted key keeps its place. */
    assert_int_equal(run(f, CHAT, "{\"metadata\":{\"k\":\"a@example.com\",\"b@example.com\":\"c@example.com\",\"z\":1}}"),
                     VT_OK);
    assert_string_equal((const char *)f->fwd.data,
                        "{\"metadata\":{\"k\":\"[EMAIL_2]\",\"[EMAIL_1]\":\"[EMAIL_3]\",\"z\":1}}");
    /* A number the model reads in a schema is scanned as its text and becomes the placeholder. */
    audit_fx_free(f);
    f = audit_fx_new("[{\"name\":\"pii\",\"actions\":{\"card\":\"redact\"}}]");
    assert_int_equal(run(f, CHAT, "{\"metadata\":{\"n\":[4111111111111111,3]}}"), VT_OK);
    assert_string_equal((const char *)f->fwd.data, "{\"metadata\":{\"n\":[\"[CARD_1]\",3]}}");
    audit_fx_free(f);
}

static void test_audit_request__tool_arguments_are_reserialised(void **state)
{
    fixture *f = audit_fx_new(CFG_PII);
    json_t *j;
    const char *args;

    (void)state;
    /* The model reads the arguments text: it is replaced by the compact form of
     * what was audited, so an escaped address cannot hide in it. */
    assert_int_equal(run(f, CHAT, "{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"1\","
                                  "\"type\":\"function\",\"function\":{\"name\":\"send\",\"arguments\":"
                                  "\"{ \\\"to\\\" : \\\"jane\\\\u0040example.com\\\", \\\"n\\\": 2 }\"}}]}]}"),
                     VT_OK);
    j = json_loads((const char *)f->fwd.data, 0, NULL);
    args = json_string_value(json_object_get(
        json_object_get(json_array_get(json_object_get(json_array_get(json_object_get(j, "messages"), 0), "tool_calls"),
                                       0),
                        "function"),
        "arguments"));
    assert_string_equal(args, "{\"to\":\"[EMAIL_1]\",\"n\":2}");
    json_decref(j);
    audit_fx_free(f);
}

static void test_audit_request__block_verdict_and_policy_model(void **state)
{
    fixture *f = audit_fx_new("[{\"name\":\"pii\",\"actions\":{\"email\":\"block\"}},"
                             "{\"name\":\"policy\",\"allowed_models\":[\"a/b:c\"],\"blocked_terms\":[\"falcon\"]}]");

    (void)state;
    /* An address in a tool description blocks as one in content does. */
    assert_int_equal(run(f, CHAT, "{\"model\":\"a/b:c\",\"messages\":[],\"tools\":[{\"type\":\"function\","
                                  "\"function\":{\"name\":\"f\",\"description\":\"x@example.com\"}}]}"),
                     VT_OK);
    assert_int_equal(f->rep->verdict, VT_AUDIT_BLOCK);
    assert_int_equal(run(f, COMPL, "{\"model\":\"a/b:c\",\"prompt\":\"ok\",\"suffix\":\"Falcon\"}"), VT_OK);
    assert_int_equal(f->rep->verdict, VT_AUDIT_BLOCK);
    assert_int_equal(run(f, EMB, "{\"model\":\"other\",\"input\":\"ok\"}"), VT_OK);
    assert_string_equal(vt_audit_report_block_reason(f->rep), "policy: model 'other' is not allowed");
    assert_int_equal(run(f, EMB, "{\"model\":\"a/b:c\",\"input\":\"ok\"}"), VT_OK);
    assert_int_equal(f->rep->verdict, VT_AUDIT_ALLOW);
    audit_fx_free(f);
}

/* ---- what the policy allows passes unaudited, and the report says so ---- */

static void test_audit_request__allowed_unaudited_fields_are_recorded(void **state)
{
    fixture *f = audit_fx_new(CFG_ALLOW);
    uint8_t d1[32], d2[32];

    (void)state;
    assert_int_equal(run(f, COMPL, "{\"model\":\"m\",\"prompt\":[[74,2271],[1]]}"), VT_OK);
    assert_int_equal(f->rep->unaudited_len, 1);
    assert_string_equal(f->rep->unaudited[0], "prompt");
    assert_string_equal((const char *)f->fwd.data, "{\"model\":\"m\",\"prompt\":[[74,2271],[1]]}");
    assert_int_equal(run(f, EMB, "{\"input\":[5,6]}"), VT_OK);
    assert_string_equal(f->rep->unaudited[0], "input");
    /* An unknown field is forwarded as it came, not scanned, and named. */
    assert_int_equal(run(f, CHAT, "{\"top_k\":40,\"guided_json\":{\"a\":\"x@example.com\"},\"messages\":"
                                  "[{\"role\":\"user\",\"content\":\"y@example.com\"}]}"),
                     VT_OK);
    assert_non_null(strstr((const char *)f->fwd.data, "x@example.com"));
    assert_null(strstr((const char *)f->fwd.data, "y@example.com"));
    assert_int_equal(f->rep->unaudited_len, 2);
    assert_string_equal(f->rep->unaudited[0], "top_k");
    assert_string_equal(f->rep->unaudited[1], "guided_json");
    /* Media: the payload passes, the text around it is still scanned. */
    assert_int_equal(run(f, CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":"
                                  "\"a@example.com\"},{\"type\":\"image_url\",\"image_url\":{\"url\":"
                                  "\"data:image/png;base64,QUJD\",\"detail\":\"low\"}},{\"type\":\"image_url\","
                                  "\"image_url\":{\"url\":\"http://h/b@example.com\"}},{\"type\":\"file\",\"file\":"
                                  "{\"file_data\":\"QUJD\",\"filename\":\"c@example.com.pdf\"}}]}]}"),
                     VT_OK);
    assert_int_equal(count((const char *)f->fwd.data, "[EMAIL_"), 3);
    assert_non_null(strstr((const char *)f->fwd.data, "data:image/png;base64,QUJD"));
    assert_int_equal(f->rep->unaudited_len, 2);
    assert_string_equal(f->rep->unaudited[0], "image_url");
    assert_string_equal(f->rep->unaudited[1], "file");
    assert_int_equal(run(f, CHAT, "{\"modalities\":[\"text\",\"audio\"],\"messages\":[]}"), VT_OK);
    assert_int_equal(f->rep->unaudited_len, 1);
    assert_string_equal(f->rep->unaudited[0], "audio");
    /* A long unknown name is cut to fit at a character, not inside one: the report (and the
     * receipt made of it) still serialises. */
    assert_int_equal(run(f, CHAT, "{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\u00e9\":1,\"messages\":[]}"), VT_OK);
    assert_string_equal(f->rep->unaudited[0], "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    {
        vt_buf js = { 0 };
        assert_int_equal(vt_audit_report_json(&js, f->rep, NULL), VT_OK);
        vt_buf_free(&js);
    }
    /* The options are part of the policy auditor's measured configuration. */
    vt_audit_chain_digest(f->c, d1);
    {
        vt_audit_chain *c2 = chain_of("[{\"name\":\"pii\",\"actions\":{\"email\":\"redact\"}},{\"name\":\"policy\","
                                      "\"allow_token_ids\":true,\"allow_unknown_fields\":true,\"allow_media\":false}]");
        vt_audit_chain_digest(c2, d2);
        assert_memory_not_equal(d1, d2, 32);
        vt_audit_chain_free(c2);
    }
    audit_fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_audit_request__refused_shapes_name_the_field),
        cmocka_unit_test(test_audit_request__oversized_body_is_a_limit),
        cmocka_unit_test(test_audit_request__every_string_position_is_redacted),
        cmocka_unit_test(test_audit_request__parts_checked_joined),
        cmocka_unit_test(test_audit_request__placeholders_are_numbered_once_per_body),
        cmocka_unit_test(test_audit_request__tool_arguments_are_reserialised),
        cmocka_unit_test(test_audit_request__block_verdict_and_policy_model),
        cmocka_unit_test(test_audit_request__allowed_unaudited_fields_are_recorded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
