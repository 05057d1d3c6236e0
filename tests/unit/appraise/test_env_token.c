/* Signed environments: issue, verify under the verifier's key set, and every way a token that a
 * relay or another signer made is refused (wrong key, wrong id, wrong typ, tampered, too old, no
 * revision, an older revision than one taken: replayed). */
#include "vt_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define D32 "3f2a000000000000000000000000000000000000000000000000000000000001"
#define EVIL "ee00000000000000000000000000000000000000000000000000000000000066"
#define ISS "https://verifier.example"
#define NOW ((vt_time)1767225600) /* 2026-01-01T00:00:00Z */
#define REV 7 /* the revision issue() signs */

/* The stored form carries a space and member order of its own: the reader gets these bytes back. */
static const char doc[] = "{\"id\":\"prod\", \"deployment_type\":\"model\",\"allow_simulated\":true,"
                          "\"components\":{\"model\":[\"" D32 "\"]}}";

struct efx {
    vt_pkey *key;
    char kid[44];
    vt_jwks *jwks;
    vt_env *env;
};

static int setup(void **state)
{
    struct efx *e = calloc(1, sizeof(*e));
    char *jwk = NULL, set[2048];

    assert_non_null(e);
    e->env = calloc(1, sizeof(*e->env));
    assert_non_null(e->env);
    assert_int_equal(vt_pkey_generate(&e->key, VT_KEY_EC_P256, NULL), VT_OK);
    assert_int_equal(vt_jwk_thumbprint(e->kid, e->key, NULL), VT_OK);
    assert_int_equal(vt_jwk_from_pkey(&jwk, e->key, e->kid, NULL), VT_OK);
    snprintf(set, sizeof(set), "{\"keys\":[%s],\"issuer\":\"" ISS "\"}", jwk);
    free(jwk);
    assert_int_equal(vt_jwks_parse(&e->jwks, set, strlen(set), NULL), VT_OK);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    struct efx *e = *state;

    vt_jwks_free(e->jwks);
    vt_pkey_free(e->key);
    free(e->env);
    free(e);
    return 0;
}

static vt_env_token_opts opts(const struct efx *e, const char *id, vt_time now)
{
    vt_env_token_opts o;

    memset(&o, 0, sizeof(o));
    o.jwks = e->jwks;
    o.jwks_issuer = ISS;
    o.verifier = ISS;
    o.id = id;
    o.now = now;
    return o;
}

static char *issue(const struct efx *e, const vt_pkey *key, const char *kid, vt_time at)
{
    char *tok = NULL;
    vt_err err = { 0 };

    if (vt_env_token_issue(&tok, doc, strlen(doc), ISS, at, REV, key, kid, &err) != VT_OK)
        fail_msg("issue: %s", err.msg);
    (void)e;
    return tok;
}

/* Verifies tok for "prod" at now; on failure checks that nothing was handed out. */
static vt_status verify(struct efx *e, const char *tok, size_t len, vt_time now, vt_err *err)
{
    vt_env_token_opts o = opts(e, "prod", now);
    char *json = (char *)"unset";
    vt_status rc;

    memset(e->env, 0x5a, sizeof(*e->env));
    rc = vt_env_token_verify(e->env, &json, NULL, tok, len, &o, err);
    if (rc != VT_OK) {
        assert_null(json);
        assert_string_equal(e->env->id, "");
        assert_int_equal(e->env->digest_count[VT_SUBMOD_MODEL], 0);
    }
    free(json);
    return rc;
}

/* The payload of tok with from replaced by to, signed again with key under typ: the claim rules
 * themselves, past a good signature. */
static char *resign(const struct efx *e, const char *tok, const char *from, const char *to, const char *typ)
{
    vt_jws j;
    char *edited, *hit, *out = NULL;
    size_t n;

    assert_int_equal(vt_jws_parse(&j, tok, strlen(tok), NULL), VT_OK);
    hit = strstr((char *)j.payload.data, from);
    if (hit == NULL)
        fail_msg("payload has no %s", from);
    n = j.payload.len - strlen(from) + strlen(to);
    edited = calloc(1, n + 1);
    assert_non_null(edited);
    memcpy(edited, j.payload.data, (size_t)(hit - (char *)j.payload.data));
    memcpy(edited + (hit - (char *)j.payload.data), to, strlen(to));
    memcpy(edited + (hit - (char *)j.payload.data) + strlen(to), hit + strlen(from), strlen(hit + strlen(from)));
    assert_int_equal(vt_jws_sign(&out, e->key, e->kid, typ, (uint8_t *)edited, n, NULL), VT_OK);
    vt_jws_clear(&j);
    free(edited);
    return out;
}

static void test_appraise_env_token__issue_verify(void **state)
{
    struct efx *e = *state;
    char *tok = issue(e, e->key, e->kid, NOW), *json = NULL;
    vt_env_token_opts o = opts(e, "prod", NOW + 10);
    vt_jws j;
    vt_err err = { 0 };

    assert_int_equal(vt_env_token_verify(e->env, &json, NULL, tok, strlen(tok), &o, &err), VT_OK);
    assert_string_equal(e->env->id, "prod");
    assert_string_equal(e->env->deployment_type, "model");
    assert_int_equal(e->env->digest_count[VT_SUBMOD_MODEL], 1);
    assert_string_equal(json, doc); /* the document's bytes as signed, not a re-serialisation */
    free(json);
    /* json_out is optional; the header names the type and the key. */
    assert_int_equal(vt_env_token_verify(e->env, NULL, NULL, tok, strlen(tok), &o, &err), VT_OK);
    assert_int_equal(vt_jws_parse(&j, tok, strlen(tok), NULL), VT_OK);
    assert_string_equal(j.typ, VT_ENV_TOKEN_TYP);
    assert_string_equal(j.kid, e->kid);
    assert_non_null(strstr((char *)j.payload.data, "\"iss\":\"" ISS "\",\"iat\":1767225600,\"sub\":\"prod\",\"rev\":7,"));
    vt_jws_clear(&j);
    /* A key set naming no issuer, no verifier configured: the signature is what counts. */
    o.jwks_issuer = "";
    o.verifier = NULL;
    assert_int_equal(vt_env_token_verify(e->env, NULL, NULL, tok, strlen(tok), &o, &err), VT_OK);
    free(tok);
}

static void test_appraise_env_token__wrong_key(void **state)
{
    struct efx *e = *state;
    vt_pkey *other = NULL;
    char *tok;
    vt_err err = { 0 };

    assert_int_equal(vt_pkey_generate(&other, VT_KEY_EC_P256, NULL), VT_OK);
    /* Another key under the published kid: what a relay holding a key of its own can make. */
    tok = issue(e, other, e->kid, NOW);
    assert_int_equal(verify(e, tok, strlen(tok), NOW, &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "does not verify"));
    free(tok);
    /* A kid the key set does not have. */
    tok = issue(e, other, "relay-key", NOW);
    assert_int_equal(verify(e, tok, strlen(tok), NOW, &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "environment: signing key relay-key is not in the verifier's JWKS"));
    free(tok);
    vt_pkey_free(other);
}

static void test_appraise_env_token__wrong_id(void **state)
{
    struct efx *e = *state;
    char *tok = issue(e, e->key, e->kid, NOW), *bad;
    vt_env_token_opts o = opts(e, "dev", NOW);
    vt_err err = { 0 };

    /* A validly signed environment, but not the one asked for. */
    assert_int_equal(vt_env_token_verify(e->env, NULL, NULL, tok, strlen(tok), &o, &err), VT_E_POLICY);
    assert_non_null(strstr(err.msg, "signed environment prod, not dev"));
    /* "sub" says dev, the document inside is prod's. */
    bad = resign(e, tok, "\"sub\":\"prod\"", "\"sub\":\"dev\"", VT_ENV_TOKEN_TYP);
    assert_int_equal(vt_env_token_verify(e->env, NULL, NULL, bad, strlen(bad), &o, &err), VT_E_POLICY);
    assert_non_null(strstr(err.msg, "the signed document is environment prod, not dev"));
    free(bad);
    /* An id that is no environment id is a caller's error, checked before anything else. */
    o.id = "../x";
    assert_int_equal(vt_env_token_verify(e->env, NULL, NULL, tok, strlen(tok), &o, &err), VT_E_ARG);
    free(tok);
}

static void test_appraise_env_token__wrong_typ(void **state)
{
    struct efx *e = *state;
    char *tok = issue(e, e->key, e->kid, NOW), *bad;
    vt_err err = { 0 };

    /* The same payload under a passport's typ (or a KBS outcome's): another kind of token. */
    bad = resign(e, tok, "\"sub\"", "\"sub\"", VT_PASSPORT_TYP);
    assert_int_equal(verify(e, bad, strlen(bad), NOW, &err), VT_E_FORMAT);
    assert_non_null(strstr(err.msg, "header typ is \"JWT\", not \"" VT_ENV_TOKEN_TYP "\""));
    free(bad);
    bad = resign(e, tok, "\"sub\"", "\"sub\"", "veritee-kbs+jwt");
    assert_int_equal(verify(e, bad, strlen(bad), NOW, &err), VT_E_FORMAT);
    free(bad);
    free(tok);
}

static void test_appraise_env_token__tampered(void **state)
{
    struct efx *e = *state;
    char *tok = issue(e, e->key, e->kid, NOW), *dot1, *dot2, *forged;
    vt_jws j;
    vt_buf b64;
    size_t n;
    vt_err err = { 0 };

    /* Every few characters of the payload changed. */
    dot1 = strchr(tok, '.');
    dot2 = strchr(dot1 + 1, '.');
    for (char *c = dot1 + 1; c < dot2; c += 3) {
        char orig = *c;
        *c = orig == 'x' ? 'y' : 'x';
        if (verify(e, tok, strlen(tok), NOW, NULL) == VT_OK)
            fail_msg("payload change at %td accepted", c - tok);
        *c = orig;
    }
    /* A relay's rewrite: one more model digest in the document, the signature kept. */
    assert_int_equal(vt_jws_parse(&j, tok, strlen(tok), NULL), VT_OK);
    {
        char *p = strstr((char *)j.payload.data, "\"" D32 "\"");
        char edited[2048];
        assert_non_null(p);
        n = (size_t)snprintf(edited, sizeof(edited), "%.*s\"" D32 "\",\"" EVIL "\"%s",
                             (int)(p - (char *)j.payload.data), (char *)j.payload.data, p + strlen(D32) + 2);
        vt_buf_init(&b64);
        assert_int_equal(vt_base64_encode(&b64, (uint8_t *)edited, n, true, NULL), VT_OK);
    }
    forged = calloc(1, strlen(tok) + b64.len + 1);
    assert_non_null(forged);
    memcpy(forged, tok, (size_t)(dot1 + 1 - tok));
    memcpy(forged + (dot1 + 1 - tok), b64.data, b64.len);
    strcat(forged, dot2);
    assert_int_equal(verify(e, forged, strlen(forged), NOW, &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "does not verify"));
    /* Every truncation, and bytes after the token. */
    for (size_t i = 0; i < strlen(tok); i++)
        if (verify(e, tok, i, NOW, NULL) == VT_OK)
            fail_msg("token cut at %zu accepted", i);
    n = strlen(tok);
    forged = realloc(forged, n + 2);
    assert_non_null(forged);
    memcpy(forged, tok, n);
    memcpy(forged + n, "A", 2);
    assert_int_not_equal(verify(e, forged, n + 1, NOW, NULL), VT_OK);
    free(forged);
    vt_buf_free(&b64);
    vt_jws_clear(&j);
    free(tok);
}

static void test_appraise_env_token__too_old_and_future(void **state)
{
    struct efx *e = *state;
    char *tok = issue(e, e->key, e->kid, NOW);
    vt_env_token_opts o = opts(e, "prod", NOW + 11);
    vt_err err = { 0 };

    assert_int_equal(verify(e, tok, strlen(tok), NOW + VT_ENV_TOKEN_MAX_AGE, &err), VT_OK);
    assert_int_equal(verify(e, tok, strlen(tok), NOW + VT_ENV_TOKEN_MAX_AGE + 1, &err), VT_E_POLICY);
    assert_non_null(strstr(err.msg, "too old to take"));
    /* A replay a day later. */
    assert_int_equal(verify(e, tok, strlen(tok), NOW + 86400, &err), VT_E_POLICY);
    /* A tighter bound of the caller's. */
    o.max_age = 10;
    assert_int_equal(vt_env_token_verify(e->env, NULL, NULL, tok, strlen(tok), &o, &err), VT_E_POLICY);
    o.now = NOW + 10;
    assert_int_equal(vt_env_token_verify(e->env, NULL, NULL, tok, strlen(tok), &o, &err), VT_OK);
    /* Signed in the future beyond the skew. */
    assert_int_equal(verify(e, tok, strlen(tok), NOW - VT_ENV_TOKEN_SKEW, &err), VT_OK);
    assert_int_equal(verify(e, tok, strlen(tok), NOW - VT_ENV_TOKEN_SKEW - 1, &err), VT_E_POLICY);
    assert_non_null(strstr(err.msg, "in the future"));
    free(tok);
}

static void test_appraise_env_token__issuer_and_claims(void **state)
{
    struct efx *e = *state;
    char *tok = issue(e, e->key, e->kid, NOW), *bad;
    vt_env_token_opts o = opts(e, "prod", NOW);
    vt_err err = { 0 };

    /* Signed with a key of the set, but as another issuer than the set names. */
    bad = resign(e, tok, "\"iss\":\"" ISS "\"", "\"iss\":\"https://other.example\"", VT_ENV_TOKEN_TYP);
    assert_int_equal(verify(e, bad, strlen(bad), NOW, &err), VT_E_POLICY);
    assert_non_null(strstr(err.msg, "environment prod was issued by 'https://other.example'"));
    /* A set that names none: a URL issuer must be the configured verifier. */
    o.jwks_issuer = NULL;
    assert_int_equal(vt_env_token_verify(e->env, NULL, NULL, bad, strlen(bad), &o, &err), VT_E_POLICY);
    free(bad);
    /* The claims the reader requires, each missing or of another type. */
    bad = resign(e, tok, "\"iat\":1767225600", "\"iat\":\"1767225600\"", VT_ENV_TOKEN_TYP);
    assert_int_equal(verify(e, bad, strlen(bad), NOW, &err), VT_E_FORMAT);
    free(bad);
    bad = resign(e, tok, "\"sub\":\"prod\",", "", VT_ENV_TOKEN_TYP);
    assert_int_equal(verify(e, bad, strlen(bad), NOW, &err), VT_E_FORMAT);
    free(bad);
    bad = resign(e, tok, "\"environment\":", "\"document\":", VT_ENV_TOKEN_TYP);
    assert_int_equal(verify(e, bad, strlen(bad), NOW, &err), VT_E_FORMAT);
    assert_non_null(strstr(err.msg, "no \"environment\""));
    free(bad);
    /* Two documents: which one a reader takes is never a question. */
    bad = resign(e, tok, "\"environment\":", "\"environment\":{\"id\":\"prod\"},\"environment\":", VT_ENV_TOKEN_TYP);
    assert_int_equal(verify(e, bad, strlen(bad), NOW, &err), VT_E_FORMAT);
    free(bad);
    /* A document the environment parser refuses. */
    bad = resign(e, tok, "\"allow_simulated\":true", "\"allow_simulated\":1", VT_ENV_TOKEN_TYP);
    assert_int_equal(verify(e, bad, strlen(bad), NOW, &err), VT_E_FORMAT);
    free(bad);
    free(tok);
}

static void test_appraise_env_token__issue_refuses_bad_document(void **state)
{
    struct efx *e = *state;
    char *tok = NULL;
    const char *bad[] = { "", "{", "[]", "{\"id\":\"prod\"} x", "{\"description\":\"no id\"}",
                          "{\"id\":\"prod\",\"allow_debug\":\"yes\"}" };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_not_equal(vt_env_token_issue(&tok, bad[i], strlen(bad[i]), ISS, NOW, REV, e->key, e->kid, NULL), VT_OK);
        assert_null(tok);
    }
    assert_int_equal(vt_env_token_issue(&tok, doc, strlen(doc), ISS, NOW, REV, NULL, e->kid, NULL), VT_E_ARG);
    assert_int_equal(vt_env_token_issue(&tok, doc, strlen(doc), NULL, NOW, REV, e->key, e->kid, NULL), VT_E_ARG);
}

/* A token signed at revision rev (issue() signs REV). */
static char *issue_rev(const struct efx *e, const char *d, vt_time at, uint64_t rev)
{
    char *tok = NULL;
    vt_err err = { 0 };

    if (vt_env_token_issue(&tok, d, strlen(d), ISS, at, rev, e->key, e->kid, &err) != VT_OK)
        fail_msg("issue: %s", err.msg);
    return tok;
}

static void test_appraise_env_token__rev_parsed_and_required(void **state)
{
    struct efx *e = *state;
    char *tok = issue(e, e->key, e->kid, NOW), *bad;
    vt_env_token_opts o = opts(e, "prod", NOW);
    uint64_t rev = 99;
    vt_err err = { 0 };
    const char *wrong[] = { "", "\"rev\":0,", "\"rev\":-7,", "\"rev\":\"7\",", "\"rev\":7.0,", "\"rev\":null,",
                            "\"rev\":true,", "\"rev\":[7]," };

    assert_int_equal(vt_env_token_verify(e->env, NULL, &rev, tok, strlen(tok), &o, &err), VT_OK);
    assert_int_equal(rev, REV);
    bad = resign(e, tok, "\"rev\":7,", "\"rev\":9223372036854775807,", VT_ENV_TOKEN_TYP);
    assert_int_equal(vt_env_token_verify(e->env, NULL, &rev, bad, strlen(bad), &o, &err), VT_OK);
    assert_int_equal(rev, (uint64_t)INT64_MAX);
    free(bad);
    /* No revision (a token as a verifier without revisions would sign it), or none usable. */
    for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
        bad = resign(e, tok, "\"rev\":7,", wrong[i], VT_ENV_TOKEN_TYP);
        rev = 99;
        assert_int_equal(vt_env_token_verify(e->env, NULL, &rev, bad, strlen(bad), &o, &err), VT_E_FORMAT);
        assert_non_null(strstr(err.msg, "the token needs a positive revision \"rev\""));
        assert_int_equal(rev, 0);
        free(bad);
    }
    /* Past int64 (jansson refuses the number itself). */
    bad = resign(e, tok, "\"rev\":7,", "\"rev\":18446744073709551615,", VT_ENV_TOKEN_TYP);
    assert_int_not_equal(vt_env_token_verify(e->env, NULL, &rev, bad, strlen(bad), &o, &err), VT_OK);
    free(bad);
    /* The issuer signs none out of range. */
    free(tok);
    tok = NULL;
    assert_int_equal(vt_env_token_issue(&tok, doc, strlen(doc), ISS, NOW, 0, e->key, e->kid, &err), VT_E_ARG);
    assert_null(tok);
    assert_int_equal(vt_env_token_issue(&tok, doc, strlen(doc), ISS, NOW, (uint64_t)INT64_MAX + 1, e->key, e->kid,
                                        &err), VT_E_ARG);
    assert_null(tok);
}

/* A relay that kept an older token, still fresh, replays it to a reader that took a newer one. */
static void test_appraise_env_token__older_rev_refused(void **state)
{
    struct efx *e = *state;
    static const char dev[] = "{\"id\":\"dev\",\"allow_simulated\":true}";
    char *t7 = issue_rev(e, doc, NOW, 7), *t8 = issue_rev(e, doc, NOW + 5, 8), *old100;
    char *d3 = issue_rev(e, dev, NOW, 3), *json = (char *)"unset";
    vt_env_token_opts o = opts(e, "prod", NOW + 10);
    vt_env_revs *revs = NULL;
    uint64_t rev = 99;
    vt_err err = { 0 };

    assert_int_equal(vt_env_revs_new(&revs, NULL), VT_OK);
    o.revs = revs;
    assert_int_equal(vt_env_token_verify(e->env, NULL, NULL, t7, strlen(t7), &o, &err), VT_OK);
    assert_int_equal(vt_env_token_verify(e->env, NULL, &rev, t8, strlen(t8), &o, &err), VT_OK);
    assert_int_equal(rev, 8);
    assert_int_equal(vt_env_revs_seen(revs, ISS, "prod"), 8);
    /* Revision 7 again, after 8: refused, nothing handed out. */
    memset(e->env, 0x5a, sizeof(*e->env));
    assert_int_equal(vt_env_token_verify(e->env, &json, &rev, t7, strlen(t7), &o, &err), VT_E_POLICY);
    assert_string_equal(err.msg, "environment prod revision 7 is older than revision 8 already seen: "
                                 "a replayed environment");
    assert_null(json);
    assert_int_equal(rev, 0);
    assert_string_equal(e->env->id, "");
    /* The same revision again is taken (every fetch of an unchanged environment). */
    assert_int_equal(vt_env_token_verify(e->env, NULL, NULL, t8, strlen(t8), &o, &err), VT_OK);
    /* Without a tracker (a one-shot reader) only the window protects: 7 is taken. */
    o.revs = NULL;
    assert_int_equal(vt_env_token_verify(e->env, NULL, NULL, t7, strlen(t7), &o, &err), VT_OK);
    o.revs = revs;
    /* Per environment and per verifier: dev at 3, and prod from another verifier URL at 7. */
    o.id = "dev";
    assert_int_equal(vt_env_token_verify(e->env, NULL, NULL, d3, strlen(d3), &o, &err), VT_OK);
    o.id = "prod";
    assert_int_equal(vt_env_revs_take(revs, "https://other.example", "prod", 7, &err), VT_OK);
    assert_int_equal(vt_env_revs_seen(revs, ISS, "prod"), 8);
    /* A token refused for another reason moves nothing: revision 100, too old. */
    old100 = issue_rev(e, doc, NOW - VT_ENV_TOKEN_MAX_AGE - 100, 100);
    assert_int_equal(vt_env_token_verify(e->env, NULL, NULL, old100, strlen(old100), &o, &err), VT_E_POLICY);
    assert_non_null(strstr(err.msg, "too old to take"));
    assert_int_equal(vt_env_revs_seen(revs, ISS, "prod"), 8);
    assert_int_equal(vt_env_token_verify(e->env, NULL, NULL, t8, strlen(t8), &o, &err), VT_OK);
    /* A reader without a configured verifier URL keeps its revisions under "". */
    o.verifier = NULL;
    assert_int_equal(vt_env_token_verify(e->env, NULL, NULL, t8, strlen(t8), &o, &err), VT_OK);
    assert_int_equal(vt_env_token_verify(e->env, NULL, NULL, t7, strlen(t7), &o, &err), VT_E_POLICY);
    assert_int_equal(vt_env_revs_seen(revs, "", "prod"), 8);
    vt_env_revs_free(revs);
    free(old100);
    free(d3);
    free(t8);
    free(t7);
}

static void test_appraise_env_token__revs_bounds(void **state)
{
    vt_env_revs *revs = NULL;
    char id[16];
    vt_err err = { 0 };

    (void)state;
    assert_int_equal(vt_env_revs_new(&revs, NULL), VT_OK);
    assert_int_equal(vt_env_revs_take(revs, ISS, "prod", 0, &err), VT_E_ARG);
    assert_int_equal(vt_env_revs_take(revs, ISS, "../x", 1, &err), VT_E_ARG);
    assert_int_equal(vt_env_revs_take(revs, NULL, "prod", 1, &err), VT_E_ARG);
    assert_int_equal(vt_env_revs_take(NULL, ISS, "prod", 1, &err), VT_E_ARG);
    assert_int_equal(vt_env_revs_seen(revs, ISS, "prod"), 0);
    for (int i = 0; i < VT_ENV_REVS_MAX; i++) {
        snprintf(id, sizeof(id), "e%d", i);
        assert_int_equal(vt_env_revs_take(revs, ISS, id, (uint64_t)i + 1, &err), VT_OK);
    }
    /* Full: a new pair is refused, the ones remembered still move and still refuse. */
    assert_int_equal(vt_env_revs_take(revs, ISS, "one-more", 1, &err), VT_E_LIMIT);
    assert_int_equal(vt_env_revs_take(revs, ISS, "e5", 7, &err), VT_OK);
    assert_int_equal(vt_env_revs_take(revs, ISS, "e5", 6, &err), VT_E_POLICY);
    assert_int_equal(vt_env_revs_seen(revs, ISS, "e1023"), 1024);
    vt_env_revs_free(revs);
    vt_env_revs_free(NULL);
}

struct each_seen {
    char text[256];
    int calls, stop_at;
};

static vt_status each_line(void *arg, const char *verifier, const char *id, uint64_t rev, vt_err *err)
{
    struct each_seen *e = arg;
    size_t n = strlen(e->text);

    if (++e->calls == e->stop_at)
        return vt_err_set(err, VT_E_IO, "stop");
    snprintf(e->text + n, sizeof(e->text) - n, "%llu %s %s;", (unsigned long long)rev, id, verifier);
    return VT_OK;
}

/* Each pair once, in the order first taken, at its highest revision; fn's failure stops it. */
static void test_appraise_env_token__revs_each(void **state)
{
    vt_env_revs *revs = NULL;
    struct each_seen e;
    vt_err err = { 0 };

    (void)state;
    assert_int_equal(vt_env_revs_new(&revs, NULL), VT_OK);
    memset(&e, 0, sizeof(e));
    assert_int_equal(vt_env_revs_each(revs, each_line, &e, &err), VT_OK);
    assert_int_equal(e.calls, 0);
    assert_int_equal(vt_env_revs_take(revs, ISS, "prod", 3, &err), VT_OK);
    assert_int_equal(vt_env_revs_take(revs, "https://other.example", "prod", 1, &err), VT_OK);
    assert_int_equal(vt_env_revs_take(revs, ISS, "prod", 5, &err), VT_OK);
    assert_int_equal(vt_env_revs_take(revs, ISS, "prod", 4, &err), VT_E_POLICY);
    assert_int_equal(vt_env_revs_each(revs, each_line, &e, &err), VT_OK);
    assert_string_equal(e.text, "5 prod " ISS ";1 prod https://other.example;");
    memset(&e, 0, sizeof(e));
    e.stop_at = 1;
    assert_int_equal(vt_env_revs_each(revs, each_line, &e, &err), VT_E_IO);
    assert_int_equal(e.calls, 1);
    assert_int_equal(vt_env_revs_each(NULL, each_line, &e, &err), VT_E_ARG);
    assert_int_equal(vt_env_revs_each(revs, NULL, &e, &err), VT_E_ARG);
    vt_env_revs_free(revs);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_appraise_env_token__issue_verify),
        T(test_appraise_env_token__revs_each),
        T(test_appraise_env_token__wrong_key),
        T(test_appraise_env_token__wrong_id),
        T(test_appraise_env_token__wrong_typ),
        T(test_appraise_env_token__tampered),
        T(test_appraise_env_token__too_old_and_future),
        T(test_appraise_env_token__issuer_and_claims),
        T(test_appraise_env_token__issue_refuses_bad_document),
        T(test_appraise_env_token__rev_parsed_and_required),
        T(test_appraise_env_token__older_rev_refused),
        T(test_appraise_env_token__revs_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
