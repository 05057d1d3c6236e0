/* Receipts: sign → verify round trip, every tampering refused, strict payload
 * parsing, and the check against the passport the receipt names. */
#include "audit_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit/receipt_int.h"

static vt_pkey *key(void)
{
    vt_pkey *k = NULL;

    assert_int_equal(vt_pkey_generate(&k, VT_KEY_EC_P256, NULL), VT_OK);
    return k;
}

static void sample(vt_receipt *r)
{
    assert_int_equal(vt_receipt_init(r, NULL), VT_OK);
    snprintf(r->passport, sizeof(r->passport), "pass-0123456789abcdef0123456789abcdef");
    snprintf(r->environment, sizeof(r->environment), "prod-llm");
    memset(r->model, 0x11, 32);
    memset(r->request_received, 0x22, 32);
    memset(r->request_forwarded, 0x33, 32);
    memset(r->response, 0x44, 32);
    snprintf(r->endpoint, sizeof(r->endpoint), "/v1/chat/completions");
    snprintf(r->verdict, sizeof(r->verdict), "redact");
    r->upstream_status = 200;
    r->status = 200;
    snprintf(r->content_type, sizeof(r->content_type), "application/json");
    r->audited = VT_AUDIT_REQUEST | VT_AUDIT_RESPONSE;
    r->failed = 0;
    r->unaudited = strdup("[\"prompt_token_ids\"]");
    r->auditors = strdup("[{\"name\":\"pii\",\"phase\":\"request\",\"verdict\":\"redact\",\"findings\":{\"email\":1}}]");
    r->prompt_tokens = 12;
    r->completion_tokens = 30;
    r->total_tokens = 42;
    r->received_ms = 1700000000123;
    r->completed_ms = 1700000000456;
}

static char *signed_sample(vt_receipt *r, vt_pkey *k)
{
    char *tok = NULL;

    sample(r);
    assert_int_equal(vt_receipt_sign(&tok, r, k, NULL), VT_OK);
    return tok;
}

static void test_audit_receipt__roundtrip(void **state)
{
    vt_pkey *k = key();
    vt_receipt r, back;
    char *tok = signed_sample(&r, k);
    vt_err err = { 0 };

    (void)state;
    assert_int_equal(vt_receipt_verify(&back, tok, strlen(tok), k, &err), VT_OK);
    assert_string_equal(back.id, r.id);
    assert_string_equal(back.passport, r.passport);
    assert_string_equal(back.environment, "prod-llm");
    assert_string_equal(back.enclave_key, r.enclave_key);
    assert_memory_equal(back.model, r.model, 32);
    assert_memory_equal(back.request_forwarded, r.request_forwarded, 32);
    assert_memory_equal(back.response, r.response, 32);
    assert_int_equal(back.upstream_status, 200);
    assert_int_equal(back.total_tokens, 42);
    assert_true(back.completed_ms == 1700000000456);
    assert_non_null(strstr(back.auditors, "\"email\":1"));
    assert_int_equal(strncmp(back.id, "rcpt-", 5), 0);
    /* status, content type and coverage are signed and come back */
    assert_int_equal(back.status, 200);
    assert_string_equal(back.content_type, "application/json");
    assert_int_equal(back.audited, VT_AUDIT_REQUEST | VT_AUDIT_RESPONSE);
    assert_int_equal(back.failed, 0);
    assert_string_equal(back.unaudited, "[\"prompt_token_ids\"]");
    vt_receipt_clear(&back);
    vt_receipt_clear(&r);
    free(tok);
    vt_pkey_free(k);
}

/* The gateway signs from the auditor report's own tree (vt_receipt_sign_report): the same payload
 * as signing its JSON text, for findings, a block reason and unaudited fields; the report wins
 * over whatever r->auditors says. */
static void test_audit_receipt__from_report_tree(void **state)
{
    audit_fx *f = audit_fx_new("[{\"name\":\"pii\",\"actions\":{\"email\":\"redact\"}},{\"name\":\"policy\","
                               "\"allowed_models\":[\"m\"],\"allow_unknown_fields\":true}]");
    static const char body[] = "{\"model\":\"other\",\"top_k\":4,\"messages\":[{\"role\":\"user\","
                               "\"content\":\"mail a@example.com\"}]}";
    vt_pkey *k = key();
    vt_receipt r, a, b;
    vt_buf text = { 0 };
    json_t *doc;
    char *t1 = NULL, *t2 = NULL;

    (void)state;
    assert_int_equal(vt_audit_request(f->rep, &f->fwd, f->x, VT_AUDIT_ROUTE_CHAT, (const uint8_t *)body, strlen(body), NULL), VT_OK);
    assert_int_equal(f->rep->unaudited_len, 1);
    assert_int_equal(vt_audit_report_json(&text, f->rep, NULL), VT_OK);
    assert_int_equal(vt_buf_terminate(&text, NULL), VT_OK);
    doc = json_loads((const char *)text.data, 0, NULL);
    assert_non_null(doc);
    sample(&r);
    free(r.auditors);
    free(r.unaudited);
    r.auditors = json_dumps(json_object_get(doc, "auditors"), JSON_COMPACT);
    r.unaudited = json_dumps(json_object_get(json_object_get(doc, "coverage"), "unaudited"), JSON_COMPACT);
    assert_int_equal(vt_receipt_sign(&t1, &r, k, NULL), VT_OK);
    free(r.auditors);
    r.auditors = strdup("[{\"name\":\"stale\"}]"); /* ignored: the report is the source */
    assert_int_equal(vt_receipt_sign_report(&t2, &r, f->rep, k, NULL), VT_OK);
    assert_int_equal(vt_receipt_verify(&a, t1, strlen(t1), k, NULL), VT_OK);
    assert_int_equal(vt_receipt_verify(&b, t2, strlen(t2), k, NULL), VT_OK);
    assert_string_equal(a.auditors, b.auditors);
    assert_string_equal(a.unaudited, b.unaudited);
    assert_string_equal(b.unaudited, "[\"top_k\"]");
    assert_non_null(strstr(b.auditors, "\"email\":1"));
    assert_non_null(strstr(b.auditors, "\"reason\":\"policy: model 'other' is not allowed\""));
    /* the whole signed payload is the same bytes */
    {
        size_t n1 = (size_t)(strrchr(t1, '.') - t1), n2 = (size_t)(strrchr(t2, '.') - t2);
        assert_int_equal(n1, n2);
        assert_memory_equal(t1, t2, n1);
    }
    vt_receipt_clear(&a);
    vt_receipt_clear(&b);
    vt_receipt_clear(&r);
    json_decref(doc);
    vt_buf_free(&text);
    free(t1);
    free(t2);
    vt_pkey_free(k);
    audit_fx_free(f);
}

/* The payload, written without a tree, is in canonical form: exactly jansson's sorted compact dump
 * of itself; for a report with findings and annotations in any order, a blocked entry with its
 * reason, usage, deployments and every coverage list. */
/* A report of two entries: pii on the response (redact; the caller adds its counts) and
 * execution with the given verdict (the caller adds its notes). */
static void two_entries(vt_audit_report *rep, vt_audit_verdict exec_verdict)
{
    assert_non_null(rep);
    vt_audit_report_init(rep);
    rep->entry_len = 2;
    snprintf(rep->entries[0].name, sizeof(rep->entries[0].name), "pii");
    snprintf(rep->entries[0].version, sizeof(rep->entries[0].version), "1.0.0");
    rep->entries[0].phase = VT_AUDIT_RESPONSE;
    rep->entries[0].verdict = VT_AUDIT_REDACT;
    snprintf(rep->entries[1].name, sizeof(rep->entries[1].name), "execution");
    snprintf(rep->entries[1].version, sizeof(rep->entries[1].version), "1.1.0");
    rep->entries[1].phase = VT_AUDIT_EXECUTION;
    rep->entries[1].verdict = exec_verdict;
}

static void add_count(vt_audit_entry *e, const char *type, uint32_t n)
{
    snprintf(e->counts[e->count_len].type, VT_AUDIT_NAME_MAX, "%s", type);
    e->counts[e->count_len++].count = n;
}

static void add_note(vt_audit_entry *e, const char *key, int64_t v)
{
    snprintf(e->notes[e->note_len].key, VT_AUDIT_NAME_MAX, "%s", key);
    e->notes[e->note_len++].value = v;
}

static void add_unaudited(vt_audit_report *rep, const char *name)
{
    snprintf(rep->unaudited[rep->unaudited_len++], VT_AUDIT_NAME_MAX, "%s", name);
}

/* The decoded payload of a compact JWS (malloc'd; *len its length). */
static char *payload_of(const char *tok, size_t *len)
{
    const char *d1 = strchr(tok, '.'), *d2 = strrchr(tok, '.');
    vt_buf p = { 0 };

    assert_int_equal(vt_base64_decode(&p, d1 + 1, (size_t)(d2 - d1 - 1), NULL), VT_OK);
    *len = p.len;
    return (char *)p.data;
}

static void test_audit_receipt__payload_canonical(void **state)
{
    vt_audit_report *rep = calloc(1, sizeof(*rep));
    vt_pkey *k = key();
    vt_receipt r;
    char *tok = NULL;
    char *pl;
    size_t len;
    json_t *doc;
    char *canon;

    (void)state;
    two_entries(rep, VT_AUDIT_BLOCK);
    add_count(&rep->entries[0], "phone", 2);
    add_count(&rep->entries[0], "email", 7);
    add_count(&rep->entries[0], "Card \"x\"", 1);
    snprintf(rep->entries[1].reason, sizeof(rep->entries[1].reason), "blocked: caf\xc3\xa9 \\ \"q\"");
    add_note(&rep->entries[1], "upstream_status", 200);
    add_note(&rep->entries[1], "latency_us", -9223372036854775807LL - 1);
    add_note(&rep->entries[1], "total_tokens", 42);
    add_unaudited(rep, "top_k");
    add_unaudited(rep, "logit_bias");
    sample(&r);
    r.audited = VT_AUDIT_ARTIFACT | VT_AUDIT_REQUEST | VT_AUDIT_EXECUTION;
    r.failed = VT_AUDIT_RESPONSE;
    r.streamed = true;
    r.deployments = strdup("[{\"passport\":\"p\",\"node\":\"n\",\"gateway\":\"https://g\",\"environment\":\"e\","
                           "\"deployment_type\":\"t\"}]");
    assert_int_equal(vt_receipt_sign_report(&tok, &r, rep, k, NULL), VT_OK);
    pl = payload_of(tok, &len);
    doc = json_loadb(pl, len, JSON_REJECT_DUPLICATES, NULL);
    assert_non_null(doc);
    canon = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    if (strlen(canon) != len || memcmp(canon, pl, len) != 0)
        fail_msg("payload not canonical:\n  ours:    %.*s\n  jansson: %s", (int)len, pl, canon);
    assert_non_null(strstr(canon, "\"findings\":{\"Card \\\"x\\\"\":1,\"email\":7,\"phone\":2}"));
    assert_non_null(strstr(canon, "\"coverage\":{\"audited\":[\"artifact\",\"request\",\"execution\"],"
                                  "\"failed\":[\"response\"],\"unaudited\":[\"top_k\",\"logit_bias\"]}"));
    free(canon);
    json_decref(doc);
    free(pl);
    free(tok);
    vt_receipt_clear(&r);
    vt_pkey_free(k);
    free(rep);
}

/* Both roads of parsing a payload (receipt_int.h): the token road takes a gateway's canonical
 * payload and reads it exactly as the tree does; what it cannot say without a tree (keys out of
 * order, reals) and everything the tree refuses (a NUL in a string, a bad digest) it leaves. */
static void same_receipt(const vt_receipt *a, const vt_receipt *b)
{
    vt_receipt x, y;

    assert_string_equal(a->auditors, b->auditors);
    assert_string_equal(a->unaudited, b->unaudited);
    if (a->deployments != NULL || b->deployments != NULL)
        assert_string_equal(a->deployments, b->deployments);
    memcpy(&x, a, sizeof(x));
    memcpy(&y, b, sizeof(y));
    x.auditors = y.auditors = x.unaudited = y.unaudited = x.deployments = y.deployments = NULL;
    assert_memory_equal(&x, &y, sizeof(x));
}


/* s with the first `from` replaced by `to` (malloc'd). */
static char *edited(const char *s, const char *from, const char *to)
{
    const char *at = strstr(s, from);
    size_t n = strlen(s) - strlen(from) + strlen(to) + 1;
    char *out = malloc(n);

    if (at == NULL)
        fail_msg("'%s' not in %s", from, s);
    snprintf(out, n, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
    return out;
}

static void test_audit_receipt__token_road(void **state)
{
    vt_audit_report *rep = calloc(1, sizeof(*rep));
    vt_pkey *k = key();
    vt_receipt r, a, b;
    char *tok = NULL, *pl;
    size_t len;

    (void)state;
    two_entries(rep, VT_AUDIT_ALLOW);
    add_count(&rep->entries[0], "Card \"x\"", 1);
    add_count(&rep->entries[0], "caf\xc3\xa9\x01", 7);
    add_note(&rep->entries[1], "latency_us", -9223372036854775807LL - 1); /* 19 digits: the token reader's limit */
    add_unaudited(rep, "top_k");
    sample(&r);
    r.deployments = strdup("[{\"passport\":\"p\",\"node\":\"n\",\"gateway\":\"https://g\",\"environment\":\"e\","
                           "\"deployment_type\":\"t\"}]");
    assert_int_equal(vt_receipt_sign_report(&tok, &r, rep, k, NULL), VT_OK);
    pl = payload_of(tok, &len);
    /* a 19-digit integer is past the token reader: the tree reads it */
    assert_false(vt__receipt_payload_tokens(&a, (const uint8_t *)pl, len));
    assert_int_equal(vt__receipt_parse_tree(&b, (const uint8_t *)pl, len, NULL), VT_OK);
    vt_receipt_clear(&b);
    {   /* within it, the token road takes the gateway's payload, and reads what the tree reads */
        char *p2 = edited(pl, "-9223372036854775808", "-922337203685477580");
        assert_true(vt__receipt_payload_tokens(&a, (const uint8_t *)p2, strlen(p2)));
        assert_int_equal(vt__receipt_parse_tree(&b, (const uint8_t *)p2, strlen(p2), NULL), VT_OK);
        same_receipt(&a, &b);
        assert_non_null(strstr(a.auditors, "\"Card \\\"x\\\"\":1,\"caf\xc3\xa9\\u0001\":7"));
        assert_string_equal(a.unaudited, "[\"top_k\"]");
        assert_non_null(strstr(a.deployments, "{\"deployment_type\":\"t\",\"environment\":\"e\""));
        assert_int_equal(a.total_tokens, 42);
        assert_true(a.streamed == r.streamed);
        vt_receipt_clear(&a);
        vt_receipt_clear(&b);
        free(p2);
    }
    {   /* left to the tree, which still takes them: keys out of order, a real, escapes it re-encodes */
        static const char *const tree_only[][2] = {
            { "{\"annotations\":{}", "{\"zz\":1,\"annotations\":{}" },
            { "{\"latency_us\":-1}", "{\"latency_us\":-1.5}" },
            { "[{\"deployment_type\":\"t\",\"environment\":\"e\"", "[{\"environment\":\"e\",\"deployment_type\":\"t\"" },
        };
        char *base = edited(pl, "-9223372036854775808", "-1");
        for (size_t i = 0; i < sizeof(tree_only) / sizeof(tree_only[0]); i++) {
            char *p2 = strstr(base, tree_only[i][0]) != NULL ? edited(base, tree_only[i][0], tree_only[i][1]) : NULL;
            if (p2 == NULL)
                fail_msg("case %zu: '%s' not in %s", i, tree_only[i][0], base);
            if (vt__receipt_payload_tokens(&a, (const uint8_t *)p2, strlen(p2)))
                fail_msg("case %zu taken by the token road: %s", i, p2);
            assert_int_equal(vt__receipt_parse_tree(&b, (const uint8_t *)p2, strlen(p2), NULL), VT_OK);
            vt_receipt_clear(&b);
            free(p2);
        }
        /* refused by both: a NUL in a string, a short digest, a status out of range, usage missing */
        static const char *const bad[][2] = {
            { "\"verdict\":\"redact\"", "\"verdict\":\"re\\u0000dact\"" },
            { "\"model\":\"1111", "\"model\":\"111" },
            { "\"upstream_status\":200", "\"upstream_status\":1000" },
            { ",\"usage\":{\"completion_tokens\":30,\"prompt_tokens\":12,\"total_tokens\":42}", "" },
            { "\"usage\":{\"completion_tokens\":30,", "\"usage\":{\"completion_tokens\":30.0," },
            { "\"node\":\"n\"", "\"node\":1" },
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            char *p2 = edited(base, bad[i][0], bad[i][1]);
            vt_err err = { 0 };
            if (vt__receipt_payload_tokens(&a, (const uint8_t *)p2, strlen(p2)))
                fail_msg("bad %zu taken by the token road: %s", i, p2);
            if (vt__receipt_parse_tree(&b, (const uint8_t *)p2, strlen(p2), &err) == VT_OK)
                fail_msg("bad %zu taken by the tree road: %s", i, p2);
            free(p2);
        }
        /* and "auditors" past 32 KiB, which either road would have to write out whole */
        {
            char *a33k = malloc(33001), *big = malloc(33100), *p2;
            vt_err err = { 0 };
            memset(a33k, 'a', 33000);
            a33k[33000] = '\0';
            snprintf(big, 33100, "\"auditors\":[{\"x\":\"%s\"},", a33k);
            p2 = edited(base, "\"auditors\":[", big);
            assert_false(vt__receipt_payload_tokens(&a, (const uint8_t *)p2, strlen(p2)));
            assert_int_equal(vt__receipt_parse_tree(&b, (const uint8_t *)p2, strlen(p2), &err), VT_E_LIMIT);
            free(p2);
            free(big);
            free(a33k);
        }
        free(base);
    }
    free(pl);
    free(tok);
    vt_receipt_clear(&r);
    vt_pkey_free(k);
    free(rep);
}

/* vt_receipt_verify_with: the key is chosen by the passport the token names; a malformed token never
 * reaches the lookup; the lookup's own error comes back unchanged; a key that did not sign is refused. */
struct pick {
    const vt_pkey *key;
    char thumb[44];
    int calls;
    char seen[64];
};

static vt_status pick_key(const vt_pkey **key, const char **thumb, const vt_receipt *r, void *arg, vt_err *err)
{
    struct pick *p = arg;

    p->calls++;
    snprintf(p->seen, sizeof(p->seen), "%s", r->passport);
    if (p->key == NULL)
        return vt_err_set(err, VT_E_NOTFOUND, "no such passport");
    *key = p->key;
    *thumb = p->thumb;
    return VT_OK;
}

static void test_audit_receipt__verify_with_key_lookup(void **state)
{
    vt_pkey *k = key(), *other = key();
    vt_receipt r, back;
    char *tok = signed_sample(&r, k);
    struct pick p = { 0 };
    vt_err err = { 0 };

    (void)state;
    assert_int_equal(vt_jwk_thumbprint(p.thumb, k, NULL), VT_OK);
    p.key = k;
    assert_int_equal(vt_receipt_verify_with(&back, tok, strlen(tok), pick_key, &p, &err), VT_OK);
    assert_int_equal(p.calls, 1);
    assert_string_equal(p.seen, r.passport);
    assert_string_equal(back.id, r.id);
    vt_receipt_clear(&back);
    /* malformed: no lookup */
    assert_int_not_equal(vt_receipt_verify_with(&back, "x.y.z", 5, pick_key, &p, &err), VT_OK);
    assert_int_equal(p.calls, 1);
    /* the lookup's error as it is */
    p.key = NULL;
    assert_int_equal(vt_receipt_verify_with(&back, tok, strlen(tok), pick_key, &p, &err), VT_E_NOTFOUND);
    assert_non_null(strstr(err.msg, "no such passport"));
    /* another key (with its own thumbprint): the signature fails */
    p.key = other;
    assert_int_equal(vt_jwk_thumbprint(p.thumb, other, NULL), VT_OK);
    assert_int_equal(vt_receipt_verify_with(&back, tok, strlen(tok), pick_key, &p, &err), VT_E_CRYPTO);
    /* the right key with a thumbprint that is not the receipt's enclave_key: refused */
    p.key = k;
    assert_int_equal(vt_receipt_verify_with(&back, tok, strlen(tok), pick_key, &p, &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "does not name the verifying key"));
    vt_receipt_clear(&r);
    free(tok);
    vt_pkey_free(k);
    vt_pkey_free(other);
}

/* The downstream deployments a workflow routed through are signed and come back; malformed ones are refused. */
static void test_audit_receipt__deployments(void **state)
{
    vt_pkey *k = key();
    vt_receipt r, back;
    char *tok = NULL;
    vt_err err = { 0 };
    static const char dep[] = "[{\"deployment_type\":\"model\",\"environment\":\"env-a\",\"gateway\":"
                              "\"http://127.0.0.1:9001\",\"node\":\"general\",\"passport\":\"pass-00\"}]";

    (void)state;
    sample(&r);
    assert_int_equal(vt_receipt_sign(&tok, &r, k, NULL), VT_OK); /* none: no member */
    assert_int_equal(vt_receipt_verify(&back, tok, strlen(tok), k, &err), VT_OK);
    assert_null(back.deployments);
    vt_receipt_clear(&back);
    free(tok);
    r.deployments = strdup(dep);
    assert_int_equal(vt_receipt_sign(&tok, &r, k, NULL), VT_OK);
    assert_int_equal(vt_receipt_verify(&back, tok, strlen(tok), k, &err), VT_OK);
    assert_string_equal(back.deployments, dep);
    vt_receipt_clear(&back);
    free(tok);
    free(r.deployments);
    r.deployments = strdup("[{\"node\":\"general\"}]"); /* members missing */
    assert_int_equal(vt_receipt_sign(&tok, &r, k, &err), VT_E_ARG);
    assert_non_null(strstr(err.msg, "deployments"));
    free(r.deployments);
    r.deployments = strdup("[]");
    assert_int_equal(vt_receipt_sign(&tok, &r, k, &err), VT_E_ARG);
    vt_receipt_clear(&r);
    vt_pkey_free(k);
}

/* Any changed byte of any part, and another key, are refused. */
static void test_audit_receipt__tamper_and_wrong_key(void **state)
{
    vt_pkey *k = key(), *other = key();
    vt_receipt r, back;
    char *tok = signed_sample(&r, k);
    size_t n = strlen(tok);

    (void)state;
    for (size_t i = 0; i < n; i += 7) {
        char saved = tok[i];
        if (saved == '.')
            continue;
        tok[i] = saved == 'A' ? 'B' : 'A';
        assert_int_not_equal(vt_receipt_verify(&back, tok, n, k, NULL), VT_OK);
        tok[i] = saved;
    }
    {
        vt_err err = { 0 };
        assert_int_equal(vt_receipt_verify(&back, tok, n, other, &err), VT_E_CRYPTO);
    }
    /* truncations never verify and never crash */
    for (size_t cut = 0; cut < n; cut += 5)
        assert_int_not_equal(vt_receipt_verify(&back, tok, cut, k, NULL), VT_OK);
    vt_receipt_clear(&r);
    free(tok);
    vt_pkey_free(k);
    vt_pkey_free(other);
}

/* A validly signed token whose payload is not a receipt is refused. */
static void test_audit_receipt__strict_payload(void **state)
{
    static const char *bad[] = {
        "{}",
        "[1]",
        "{\"receipt\":\"rcpt-1\"}",
    };
    vt_pkey *k = key();

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *tok = NULL;
        vt_receipt back;
        vt_err err = { 0 };
        assert_int_equal(vt_jws_sign(&tok, k, NULL, VT_RECEIPT_TYP, (const uint8_t *)bad[i], strlen(bad[i]), NULL),
                         VT_OK);
        assert_int_equal(vt_receipt_verify(&back, tok, strlen(tok), k, &err), VT_E_FORMAT);
        free(tok);
    }
    /* the right payload under another typ is not a receipt either */
    {
        vt_receipt r;
        char *tok = NULL, *json = NULL;
        vt_receipt back;
        sample(&r);
        assert_int_equal(vt_jwk_thumbprint(r.enclave_key, k, NULL), VT_OK);
        assert_int_equal(vt_receipt_to_json(&json, &r, NULL), VT_OK);
        assert_int_equal(vt_jws_sign(&tok, k, NULL, "JWT", (const uint8_t *)json, strlen(json), NULL), VT_OK);
        assert_int_equal(vt_receipt_verify(&back, tok, strlen(tok), k, NULL), VT_E_FORMAT);
        free(tok);
        free(json);
        vt_receipt_clear(&r);
    }
    /* coverage, status and content type are required and strict: a receipt cannot omit
     * whether the response was audited, nor claim a phase both audited and failed */
    {
        static const char *const edits[][2] = {
            { "\"coverage\":{\"audited\":[\"request\",\"response\"],\"failed\":[]", "\"coverage\":{\"audited\":[\"request\",\"response\"],\"failed\":[\"response\"]" },
            { "\"audited\":[\"request\",\"response\"]", "\"audited\":[\"request\",\"reply\"]" },
            { "\"audited\":[\"request\",\"response\"]", "\"audited\":[\"request\",\"request\"]" },
            { "\"unaudited\":[\"prompt_token_ids\"]", "\"unaudited\":[7]" },
            { "\"status\":200", "\"status\":99" },
            { "\"content_type\":\"application/json\"", "\"content_type\":5" },
            { ",\"status\":200", "" },
        };
        for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
            vt_receipt r, back;
            char *tok = NULL, *json = NULL, *at, buf[4096];
            vt_err err = { 0 };
            sample(&r);
            assert_int_equal(vt_jwk_thumbprint(r.enclave_key, k, NULL), VT_OK);
            assert_int_equal(vt_receipt_to_json(&json, &r, NULL), VT_OK);
            {   /* compact it, then edit */
                json_t *j = json_loads(json, 0, NULL);
                free(json);
                json = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
                json_decref(j);
            }
            at = strstr(json, edits[i][0]);
            if (at == NULL)
                fail_msg("edit %zu: '%s' not in %s", i, edits[i][0], json);
            snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - json), json, edits[i][1], at + strlen(edits[i][0]));
            assert_int_equal(vt_jws_sign(&tok, k, NULL, VT_RECEIPT_TYP, (const uint8_t *)buf, strlen(buf), NULL),
                             VT_OK);
            if (vt_receipt_verify(&back, tok, strlen(tok), k, &err) != VT_E_FORMAT)
                fail_msg("edit %zu accepted: %s", i, buf);
            if (vt__receipt_payload_tokens(&back, (const uint8_t *)buf, strlen(buf)))
                fail_msg("edit %zu taken by the token road: %s", i, buf);
            free(tok);
            free(json);
            vt_receipt_clear(&r);
        }
    }
    /* an unknown member is refused */
    {
        const char *extra = "{\"receipt\":\"rcpt-1\",\"surprise\":1}";
        char *tok = NULL;
        vt_receipt back;
        vt_err err = { 0 };
        assert_int_equal(vt_jws_sign(&tok, k, NULL, VT_RECEIPT_TYP, (const uint8_t *)extra, strlen(extra), NULL),
                         VT_OK);
        assert_int_equal(vt_receipt_verify(&back, tok, strlen(tok), k, &err), VT_E_FORMAT);
        assert_non_null(strstr(err.msg, "surprise"));
        free(tok);
    }
    vt_pkey_free(k);
}

static void test_audit_receipt__check_passport(void **state)
{
    vt_pkey *k = key();
    vt_receipt r, back;
    char *tok = signed_sample(&r, k);
    vt_passport_claims p;
    vt_err err = { 0 };
    char model[65];

    (void)state;
    assert_int_equal(vt_receipt_verify(&back, tok, strlen(tok), k, NULL), VT_OK);
    memset(&p, 0, sizeof(p));
    snprintf(p.id, sizeof(p.id), "%s", back.passport);
    snprintf(p.environment, sizeof(p.environment), "prod-llm");
    vt_hex_encode(model, back.model, 32);
    snprintf(p.appraisal.sub[VT_SUBMOD_MODEL].measured, sizeof(p.appraisal.sub[0].measured), "%s", model);
    p.iat = 1700000000 - 100;
    p.exp = 1700000000 + 3600;
    assert_int_equal(vt_receipt_check_passport(&back, &p, &err), VT_OK);

    snprintf(p.id, sizeof(p.id), "pass-ffffffffffffffffffffffffffffffff");
    assert_int_equal(vt_receipt_check_passport(&back, &p, &err), VT_E_POLICY);
    assert_non_null(strstr(err.msg, "passport"));
    snprintf(p.id, sizeof(p.id), "%s", back.passport);

    snprintf(p.environment, sizeof(p.environment), "other");
    assert_int_equal(vt_receipt_check_passport(&back, &p, &err), VT_E_POLICY);
    snprintf(p.environment, sizeof(p.environment), "prod-llm");

    memset(model, 'f', 64);
    snprintf(p.appraisal.sub[VT_SUBMOD_MODEL].measured, sizeof(p.appraisal.sub[0].measured), "%s", model);
    assert_int_equal(vt_receipt_check_passport(&back, &p, &err), VT_E_POLICY);
    assert_non_null(strstr(err.msg, "model"));
    vt_hex_encode(model, back.model, 32);
    snprintf(p.appraisal.sub[VT_SUBMOD_MODEL].measured, sizeof(p.appraisal.sub[0].measured), "%s", model);

    p.exp = 1700000000 - 10; /* the passport had expired when the answer was served */
    assert_int_equal(vt_receipt_check_passport(&back, &p, &err), VT_E_POLICY);

    vt_receipt_clear(&back);
    vt_receipt_clear(&r);
    free(tok);
    vt_pkey_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_audit_receipt__roundtrip),
        cmocka_unit_test(test_audit_receipt__from_report_tree),
        cmocka_unit_test(test_audit_receipt__payload_canonical),
        cmocka_unit_test(test_audit_receipt__token_road),
        cmocka_unit_test(test_audit_receipt__verify_with_key_lookup),
        cmocka_unit_test(test_audit_receipt__deployments),
        cmocka_unit_test(test_audit_receipt__tamper_and_wrong_key),
        cmocka_unit_test(test_audit_receipt__strict_payload),
        cmocka_unit_test(test_audit_receipt__check_passport),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
