/* JWS compact ES256/ES384, JWK import/export, RFC 7638 thumbprints, JWK Sets. */
#include "vt_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* RFC 7515 Appendix A.3: an ES256 token and its key (public part). */
static const char rfc_token[] =
    "eyJhbGciOiJFUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
static const char rfc_jwk[] = "{\"kty\":\"EC\",\"crv\":\"P-256\","
                              "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
                              "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}";

/* A P-256 key made with the openssl CLI; its thumbprint computed with
 * openssl dgst over the RFC 7638 canonical form (see docs/passport.md). */
static const char kat_pub_pem[] = "-----BEGIN PUBLIC KEY-----\n"
                                  "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEhqz9aokGRrEun1Xlec4A9Iv9Hcan\n"
                                  "89vO0CWHW0YUn6rkksWnNrZnMRzGSxEPcSLYdBQsT09ddcg0aFAOlOv4Ug==\n"
                                  "-----END PUBLIC KEY-----\n";
static const char kat_thumb[] = "54jE2UrlWs2de5wGsEA1QTh17PqAHrYj11mHKAlH87w";
static const char kat_x[] = "hqz9aokGRrEun1Xlec4A9Iv9Hcan89vO0CWHW0YUn6o";

static vt_pkey *gen(vt_key_type t)
{
    vt_pkey *k = NULL;
    assert_int_equal(vt_pkey_generate(&k, t, NULL), VT_OK);
    return k;
}

static vt_status parse_verify(const char *tok, const vt_pkey *k, vt_err *err)
{
    vt_jws j;
    vt_status rc = vt_jws_parse(&j, tok, strlen(tok), err);
    if (rc == VT_OK)
        rc = vt_jws_verify(&j, k, err);
    vt_jws_clear(&j);
    return rc;
}

static void test_appraise_jws__rfc7515_a3_verifies(void **state)
{
    vt_pkey *k = NULL;
    vt_jws j;
    vt_err err = { 0 };

    (void)state;
    assert_int_equal(vt_jwk_to_pkey(&k, rfc_jwk, strlen(rfc_jwk), &err), VT_OK);
    assert_int_equal(vt_jws_parse(&j, rfc_token, strlen(rfc_token), &err), VT_OK);
    assert_string_equal(j.alg, "ES256");
    assert_string_equal(j.kid, "");
    assert_int_equal(vt_jws_verify(&j, k, &err), VT_OK);
    assert_non_null(strstr((const char *)j.payload.data, "\"iss\":\"joe\""));
    vt_jws_clear(&j);
    vt_pkey_free(k);
}

static void test_appraise_jws__roundtrip_es256_es384(void **state)
{
    vt_key_type types[] = { VT_KEY_EC_P256, VT_KEY_EC_P384 };
    (void)state;
    for (size_t t = 0; t < 2; t++) {
        vt_pkey *k = gen(types[t]);
        char *tok = NULL;
        vt_jws j;
        vt_err err = { 0 };
        const uint8_t msg[] = "{\"hello\":\"world\"}";

        assert_int_equal(vt_jws_sign(&tok, k, "key-1", "JWT", msg, sizeof(msg) - 1, &err), VT_OK);
        assert_int_equal(vt_jws_parse(&j, tok, strlen(tok), &err), VT_OK);
        assert_string_equal(j.alg, t == 0 ? "ES256" : "ES384");
        assert_string_equal(j.kid, "key-1");
        assert_string_equal(j.typ, "JWT");
        assert_int_equal(j.payload.len, sizeof(msg) - 1);
        assert_memory_equal(j.payload.data, msg, sizeof(msg) - 1);
        assert_int_equal(j.signature.len, t == 0 ? 64 : 96);
        assert_int_equal(vt_jws_verify(&j, k, &err), VT_OK);
        vt_jws_clear(&j);
        free(tok);
        /* No kid, no typ, empty payload. */
        assert_int_equal(vt_jws_sign(&tok, k, NULL, NULL, NULL, 0, &err), VT_OK);
        assert_int_equal(parse_verify(tok, k, &err), VT_OK);
        free(tok);
        vt_pkey_free(k);
    }
}

static void test_appraise_jws__tamper_any_byte_fails(void **state)
{
    vt_pkey *k = gen(VT_KEY_EC_P256);
    char *tok = NULL;
    const uint8_t msg[] = "{\"sub\":\"x\"}";
    size_t n;

    (void)state;
    assert_int_equal(vt_jws_sign(&tok, k, "k", NULL, msg, sizeof(msg) - 1, NULL), VT_OK);
    n = strlen(tok);
    for (size_t i = 0; i < n; i++) {
        char orig = tok[i];
        if (orig == '.')
            continue;
        tok[i] = orig == 'A' ? 'B' : 'A';
        if (parse_verify(tok, k, NULL) == VT_OK)
            fail_msg("change at %zu accepted", i);
        tok[i] = orig;
    }
    for (size_t i = 0; i < n; i++) { /* every truncation */
        char *t = strndup(tok, i);
        if (parse_verify(t, k, NULL) == VT_OK)
            fail_msg("truncation to %zu accepted", i);
        free(t);
    }
    free(tok);
    vt_pkey_free(k);
}

static void test_appraise_jws__wrong_key_and_alg_confusion(void **state)
{
    vt_pkey *k = gen(VT_KEY_EC_P256), *other = gen(VT_KEY_EC_P256), *k384 = gen(VT_KEY_EC_P384);
    char *tok = NULL;
    vt_err err = { 0 };

    (void)state;
    assert_int_equal(vt_jws_sign(&tok, k, NULL, NULL, (const uint8_t *)"x", 1, NULL), VT_OK);
    assert_int_equal(parse_verify(tok, other, &err), VT_E_CRYPTO);
    assert_int_equal(parse_verify(tok, k384, &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "does not match the key"));
    free(tok);
    vt_pkey_free(k);
    vt_pkey_free(other);
    vt_pkey_free(k384);
}

/* Builds header.payload.sig from a literal header. */
static char *forge(const char *header, const char *sig_b64)
{
    vt_buf b;
    vt_buf_init(&b);
    assert_int_equal(vt_base64_encode(&b, (const uint8_t *)header, strlen(header), true, NULL), VT_OK);
    assert_int_equal(vt_buf_append_str(&b, ".e30.", NULL), VT_OK);
    assert_int_equal(vt_buf_append_str(&b, sig_b64, NULL), VT_OK);
    assert_int_equal(vt_buf_terminate(&b, NULL), VT_OK);
    return (char *)b.data;
}

static void test_appraise_jws__bad_headers_refused(void **state)
{
    /* 64 zero bytes of signature, base64url. */
    const char *sig = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    const char *bad[] = {
        "{\"alg\":\"none\"}",
        "{\"alg\":\"HS256\"}",
        "{\"alg\":\"RS256\"}",
        "{\"alg\":\"es256\"}",
        "{}",
        "[\"alg\"]",
        "{\"alg\":\"ES256\",\"crit\":[\"exp\"],\"exp\":1}",
        "{\"alg\":\"ES256\",\"b64\":false}",
        "{\"alg\":\"ES256\",\"alg\":\"ES256\"}",
        "{\"alg\":\"ES256\",\"kid\":7}",
        "{\"alg\":\"ES256\",\"kid\":\"\"}",
        "{\"alg\":\"ES256\",\"kid\":\"a b\"}",
        "{\"alg\":\"ES384\"}", /* ES384 with a 64-byte signature */
        "not json",
    };
    vt_jws j;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *tok = forge(bad[i], sig);
        vt_err err = { 0 };
        if (vt_jws_parse(&j, tok, strlen(tok), &err) == VT_OK)
            fail_msg("header %s accepted", bad[i]);
        assert_true(strncmp(err.msg, "jws: ", 5) == 0);
        free(tok);
    }
    {
        char *tok = forge("{\"alg\":\"none\"}", sig);
        vt_err err = { 0 };
        assert_int_equal(vt_jws_parse(&j, tok, strlen(tok), &err), VT_E_UNSUPPORTED);
        assert_non_null(strstr(err.msg, "none"));
        free(tok);
    }
}

static void test_appraise_jws__noncanonical_base64_and_shape(void **state)
{
    char buf[1024];
    vt_jws j;
    size_t n = strlen(rfc_token);
    const char *last;

    (void)state;
    /* Padding, standard alphabet, whitespace: all refused. */
    snprintf(buf, sizeof(buf), "eyJhbGciOiJFUzI1NiJ9=%s", rfc_token + 20);
    assert_int_not_equal(vt_jws_parse(&j, buf, strlen(buf), NULL), VT_OK);
    snprintf(buf, sizeof(buf), "%s", rfc_token);
    last = strrchr(rfc_token, '.');
    buf[last - rfc_token + 12] = '+';
    assert_int_not_equal(vt_jws_parse(&j, buf, strlen(buf), NULL), VT_OK);
    snprintf(buf, sizeof(buf), "%s ", rfc_token);
    assert_int_not_equal(vt_jws_parse(&j, buf, strlen(buf), NULL), VT_OK);
    /* Non-zero trailing bits: the last signature character 'Q' (010000)
     * becomes 'R' (010001), which decodes to the same bytes. */
    snprintf(buf, sizeof(buf), "%s", rfc_token);
    assert_int_equal(buf[n - 1], 'Q');
    buf[n - 1] = 'R';
    assert_int_equal(vt_jws_parse(&j, buf, n, NULL), VT_E_FORMAT);
    /* Two parts, four parts, empty parts. */
    assert_int_not_equal(vt_jws_parse(&j, "a.b", 3, NULL), VT_OK);
    snprintf(buf, sizeof(buf), "%s.", rfc_token);
    assert_int_not_equal(vt_jws_parse(&j, buf, strlen(buf), NULL), VT_OK);
    assert_int_not_equal(vt_jws_parse(&j, "..", 2, NULL), VT_OK);
    snprintf(buf, sizeof(buf), "%.*s", (int)(last - rfc_token + 1), rfc_token);
    assert_int_not_equal(vt_jws_parse(&j, buf, strlen(buf), NULL), VT_OK);
    /* Embedded NUL. */
    snprintf(buf, sizeof(buf), "%s", rfc_token);
    buf[25] = '\0';
    assert_int_not_equal(vt_jws_parse(&j, buf, n, NULL), VT_OK);
}

static void test_appraise_jws__oversize_refused(void **state)
{
    size_t n = VT_JWS_MAX + 1;
    char *big = malloc(n + 1);
    vt_pkey *k = gen(VT_KEY_EC_P256);
    uint8_t *payload = calloc(1, VT_JWS_MAX);
    char *tok = NULL;
    vt_jws j;
    vt_err err = { 0 };

    (void)state;
    memset(big, 'A', n);
    big[n] = '\0';
    assert_int_equal(vt_jws_parse(&j, big, n, &err), VT_E_LIMIT);
    /* A payload whose token would exceed the cap cannot be signed either. */
    assert_int_equal(vt_jws_sign(&tok, k, NULL, NULL, payload, VT_JWS_MAX, &err), VT_E_LIMIT);
    assert_null(tok);
    free(payload);
    free(big);
    vt_pkey_free(k);
}

static void test_appraise_jwk__export_import_thumbprint(void **state)
{
    vt_pkey *k = NULL, *back = NULL;
    char *json = NULL, t1[44], t2[44];
    vt_err err = { 0 };

    (void)state;
    assert_int_equal(vt_pkey_from_pem(&k, kat_pub_pem, strlen(kat_pub_pem), &err), VT_OK);
    assert_int_equal(vt_jwk_thumbprint(t1, k, &err), VT_OK);
    assert_string_equal(t1, kat_thumb);
    memset(t1, 'x', sizeof(t1));
    assert_int_equal(vt_jwk_thumbprint(t1, k, &err), VT_OK); /* the key's kept copy */
    assert_string_equal(t1, kat_thumb);
    assert_int_equal(vt_jwk_from_pkey(&json, k, "kid-1", &err), VT_OK);
    assert_non_null(strstr(json, kat_x));
    assert_non_null(strstr(json, "\"crv\":\"P-256\""));
    assert_non_null(strstr(json, "\"kid\":\"kid-1\""));
    assert_int_equal(vt_jwk_to_pkey(&back, json, strlen(json), &err), VT_OK);
    assert_int_equal(vt_jwk_thumbprint(t2, back, &err), VT_OK);
    assert_string_equal(t1, t2);
    free(json);
    vt_pkey_free(back);
    vt_pkey_free(k);

    k = gen(VT_KEY_EC_P384);
    assert_int_equal(vt_jwk_thumbprint(t2, k, &err), VT_OK); /* another key, its own thumbprint */
    assert_string_not_equal(t2, kat_thumb);
    assert_int_equal(vt_jwk_from_pkey(&json, k, NULL, &err), VT_OK);
    assert_non_null(strstr(json, "\"alg\":\"ES384\""));
    assert_int_equal(vt_jwk_to_pkey(&back, json, strlen(json), &err), VT_OK);
    assert_int_equal(vt_pkey_type(back), VT_KEY_EC_P384);
    free(json);
    vt_pkey_free(back);
    vt_pkey_free(k);
    k = gen(VT_KEY_ED25519);
    assert_int_equal(vt_jwk_from_pkey(&json, k, NULL, &err), VT_E_ARG);
    vt_pkey_free(k);
}

static void test_appraise_jwk__bad_jwks_refused(void **state)
{
    const char *bad[] = {
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\"}",
        /* y changed: the point is not on the curve */
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
        "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a1\"}",
        /* short x */
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
        "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}",
        "{\"kty\":\"EC\",\"crv\":\"P-521\",\"x\":\"AA\",\"y\":\"AA\"}",
        "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}",
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"ES384\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
        "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}",
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"d\":\"jpsQnnGQmL-YBIffH1136cLNK0bszu8PWcD4tq6Ax4o\","
        "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}",
        "[]",
    };
    vt_pkey *k = NULL;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        vt_err err = { 0 };
        if (vt_jwk_to_pkey(&k, bad[i], strlen(bad[i]), &err) == VT_OK)
            fail_msg("jwk %zu accepted", i);
        assert_null(k);
        assert_true(strncmp(err.msg, "jwk: ", 5) == 0 || strncmp(err.msg, "pkey: ", 6) == 0);
    }
}

static void test_appraise_jwks__parse_find(void **state)
{
    vt_pkey *k1 = gen(VT_KEY_EC_P256), *k2 = gen(VT_KEY_EC_P384);
    char *j1 = NULL, *j2 = NULL, set_text[4096];
    vt_jwks *set = NULL;
    vt_err err = { 0 };
    char t1[44], t2[44];

    (void)state;
    assert_int_equal(vt_jwk_from_pkey(&j1, k1, "one", NULL), VT_OK);
    assert_int_equal(vt_jwk_from_pkey(&j2, k2, "two", NULL), VT_OK);
    snprintf(set_text, sizeof(set_text),
             "{\"keys\":[%s,{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"ed\",\"x\":\"AA\"},%s]}", j1, j2);
    assert_int_equal(vt_jwks_parse(&set, set_text, strlen(set_text), &err), VT_OK);
    assert_int_equal(vt_jwks_count(set), 2);
    assert_non_null(vt_jwks_find(set, "one"));
    assert_null(vt_jwks_find(set, "ed"));
    assert_null(vt_jwks_find(set, "three"));
    assert_int_equal(vt_jwk_thumbprint(t1, vt_jwks_find(set, "two"), NULL), VT_OK);
    assert_int_equal(vt_jwk_thumbprint(t2, k2, NULL), VT_OK);
    assert_string_equal(t1, t2);
    vt_jwks_free(set);

    /* A key without kid, a duplicate kid, a broken key, not a set. */
    snprintf(set_text, sizeof(set_text), "{\"keys\":[%s,%s]}", j1, j1);
    assert_int_equal(vt_jwks_parse(&set, set_text, strlen(set_text), &err), VT_E_FORMAT);
    assert_non_null(strstr(err.msg, "twice"));
    snprintf(set_text, sizeof(set_text), "{\"keys\":[%s]}", rfc_jwk);
    assert_int_equal(vt_jwks_parse(&set, set_text, strlen(set_text), &err), VT_E_FORMAT);
    assert_non_null(strstr(err.msg, "kid"));
    assert_int_equal(vt_jwks_parse(&set, "{\"keys\":{}}", 11, &err), VT_E_FORMAT);
    assert_int_equal(vt_jwks_parse(&set, "[]", 2, &err), VT_E_FORMAT);
    assert_null(set);
    free(j1);
    free(j2);
    vt_pkey_free(k1);
    vt_pkey_free(k2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_appraise_jws__rfc7515_a3_verifies),
        cmocka_unit_test(test_appraise_jws__roundtrip_es256_es384),
        cmocka_unit_test(test_appraise_jws__tamper_any_byte_fails),
        cmocka_unit_test(test_appraise_jws__wrong_key_and_alg_confusion),
        cmocka_unit_test(test_appraise_jws__bad_headers_refused),
        cmocka_unit_test(test_appraise_jws__noncanonical_base64_and_shape),
        cmocka_unit_test(test_appraise_jws__oversize_refused),
        cmocka_unit_test(test_appraise_jwk__export_import_thumbprint),
        cmocka_unit_test(test_appraise_jwk__bad_jwks_refused),
        cmocka_unit_test(test_appraise_jwks__parse_find),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
