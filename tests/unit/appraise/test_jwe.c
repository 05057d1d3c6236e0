/* JWE to an EC P-256 key (ECDH-ES, A256GCM): round trips, a token from an
 * independent implementation (Python "cryptography", RFC 7518 4.6 written out)
 * decrypts, and other recipients, altered parts and other algorithms fail. */
#include "vt_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Recipient key and a JWE made for it outside veritee (made by tests/unit/appraise/mkjwe.py). */
static const char indep_key[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgbLWpJ3Y4YTttF1Mt\n"
    "lb7VIXd1uc4DGvshm7cazroreAWhRANCAATGB8m7Cz1aJEXRu/yREJCGtVQADeTy\n"
    "rEi5wWZ8vN0jGlgFMMlTkXVVeZbFIViRgrgUl0rRo05iy7mdZIjaq02M\n"
    "-----END PRIVATE KEY-----\n";
static const char indep_jwe[] =
    "eyJhbGciOiJFQ0RILUVTIiwiZW5jIjoiQTI1NkdDTSIsImVwayI6eyJrdHkiOiJFQyIsImNydiI6IlAtMjU2IiwieCI6Ik91Q2Fw"
    "dFVqenZkZWNCdGNmd0d0S2dKVHh1eGxyODVuQUNFcTFoV0pRbjgiLCJ5IjoiNmhXRWRJTFM0ZmE0Y0xIN0ViOTJUN3g5Q0Z4dU9H"
    "QmVnQjJTZC11S0pzdyJ9fQ..h-X3vNZpzfwusGvr.FKsJoWRljJ6lX6d4SXcF7VKBXF6LY2yK-wg4K05MT_iYihv64AWY7592QES"
    "xLw.ojEdbZahd_LfpU4_y4WCiw";
static const char indep_plain[] = "released by an independent JOSE implementation";

static vt_pkey *key_from_pem(const char *pem)
{
    vt_pkey *k = NULL;

    assert_int_equal(vt_pkey_from_pem(&k, pem, strlen(pem), NULL), VT_OK);
    return k;
}

static void test_appraise_jwe__independent_token_decrypts(void **state)
{
    vt_pkey *k = key_from_pem(indep_key), *other = NULL;
    vt_buf out;
    vt_err err = { 0 };

    vt_buf_init(&out);
    assert_int_equal(vt_jwe_decrypt(&out, k, indep_jwe, strlen(indep_jwe), &err), VT_OK);
    assert_int_equal(out.len, strlen(indep_plain));
    assert_memory_equal(out.data, indep_plain, out.len);
    out.len = 0;
    assert_int_equal(vt_pkey_generate(&other, VT_KEY_EC_P256, NULL), VT_OK);
    assert_int_equal(vt_jwe_decrypt(&out, other, indep_jwe, strlen(indep_jwe), &err), VT_E_CRYPTO);
    assert_int_equal(out.len, 0);
    vt_pkey_free(k);
    vt_pkey_free(other);
    vt_buf_free(&out);
}

static void test_appraise_jwe__round_trip_to_the_recipient_only(void **state)
{
    vt_pkey *k = NULL, *other = NULL;
    char *jwe = NULL, *jwe2 = NULL;
    const uint8_t secret[32] = { 1, 2, 3, 4, 5 };
    vt_buf out;
    vt_err err = { 0 };

    vt_buf_init(&out);
    assert_int_equal(vt_pkey_generate(&k, VT_KEY_EC_P256, NULL), VT_OK);
    assert_int_equal(vt_pkey_generate(&other, VT_KEY_EC_P256, NULL), VT_OK);
    assert_int_equal(vt_jwe_encrypt(&jwe, k, "gw-1", secret, sizeof(secret), &err), VT_OK);
    assert_int_equal(vt_jwe_encrypt(&jwe2, k, NULL, secret, sizeof(secret), &err), VT_OK);
    assert_string_not_equal(jwe, jwe2); /* a fresh ephemeral key and IV each time */
    assert_int_equal(vt_jwe_decrypt(&out, k, jwe, strlen(jwe), &err), VT_OK);
    assert_int_equal(out.len, sizeof(secret));
    assert_memory_equal(out.data, secret, sizeof(secret));
    out.len = 0;
    assert_int_equal(vt_jwe_decrypt(&out, other, jwe, strlen(jwe), &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "does not decrypt"));
    free(jwe2);
    assert_int_equal(vt_jwe_encrypt(&jwe2, k, NULL, secret, 0, &err), VT_E_ARG);
    assert_null(jwe2);
    free(jwe);
    vt_pkey_free(k);
    vt_pkey_free(other);
    vt_buf_free(&out);
}

static void test_appraise_jwe__altered_parts_fail(void **state)
{
    vt_pkey *k = key_from_pem(indep_key);
    size_t n = strlen(indep_jwe);
    char *t = malloc(n + 1);
    vt_buf out;
    vt_err err = { 0 };

    vt_buf_init(&out);
    /* one character changed in the header, IV, ciphertext and tag */
    for (size_t i = 0; i < n; i += 7) {
        if (indep_jwe[i] == '.')
            continue;
        memcpy(t, indep_jwe, n + 1);
        t[i] = t[i] == 'A' ? 'B' : 'A';
        /* either refused, or (base64url's unused low bits of a last character) the same plaintext */
        if (vt_jwe_decrypt(&out, k, t, n, &err) == VT_OK &&
            (out.len != strlen(indep_plain) || memcmp(out.data, indep_plain, out.len) != 0))
            fail_msg("character %zu changed and a different plaintext came out", i);
        out.len = 0;
    }
    assert_int_not_equal(vt_jwe_decrypt(&out, k, indep_jwe, n - 3, &err), VT_OK); /* truncated */
    assert_int_equal(vt_jwe_decrypt(&out, k, "a.b.c", 5, &err), VT_E_FORMAT);
    assert_int_equal(vt_jwe_decrypt(&out, k, "", 0, &err), VT_E_LIMIT);
    free(t);
    vt_pkey_free(k);
    vt_buf_free(&out);
}

static void test_appraise_jwe__other_algorithms_refused(void **state)
{
    vt_pkey *k = key_from_pem(indep_key), *p384 = NULL;
    const char *dot = strchr(indep_jwe, '.');
    char tok[2048];
    char *jwe = NULL;
    vt_buf hdr, out;
    vt_err err = { 0 };
    static const char *const headers[] = {
        "{\"alg\":\"dir\",\"enc\":\"A256GCM\"}",
        "{\"alg\":\"ECDH-ES+A128KW\",\"enc\":\"A256GCM\"}",
        "{\"alg\":\"ECDH-ES\",\"enc\":\"A128CBC-HS256\"}",
        "{\"alg\":\"RSA1_5\",\"enc\":\"A256GCM\"}",
    };

    vt_buf_init(&out);
    for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
        vt_buf_init(&hdr);
        assert_int_equal(vt_base64_encode(&hdr, (const uint8_t *)headers[i], strlen(headers[i]), true, NULL), VT_OK);
        snprintf(tok, sizeof(tok), "%.*s%s", (int)hdr.len, (const char *)hdr.data, dot);
        assert_int_equal(vt_jwe_decrypt(&out, k, tok, strlen(tok), &err), VT_E_UNSUPPORTED);
        assert_int_equal(out.len, 0);
        vt_buf_free(&hdr);
    }
    assert_int_equal(vt_pkey_generate(&p384, VT_KEY_EC_P384, NULL), VT_OK);
    assert_int_equal(vt_jwe_encrypt(&jwe, p384, NULL, (const uint8_t *)"x", 1, &err), VT_E_UNSUPPORTED);
    vt_pkey_free(p384);
    vt_pkey_free(k);
    vt_buf_free(&out);
}

/* The protected header with the string from ("kid"'s value) replaced by to, the rest of the token kept. */
static char *with_kid(const char *jwe, const char *from, const char *to)
{
    const char *dot = strchr(jwe, '.');
    char want[80], *at, *h, *out;
    vt_buf raw, enc;

    vt_buf_init(&raw);
    vt_buf_init(&enc);
    assert_non_null(dot);
    assert_int_equal(vt_base64_decode(&raw, jwe, (size_t)(dot - jwe), NULL), VT_OK);
    assert_int_equal(vt_buf_terminate(&raw, NULL), VT_OK);
    snprintf(want, sizeof(want), "\"%s\"", from);
    at = strstr((char *)raw.data, want);
    assert_non_null(at);
    assert_int_not_equal(asprintf(&h, "%.*s\"%s\"%s", (int)(at - (char *)raw.data), (char *)raw.data, to,
                                  at + strlen(want)), -1);
    assert_int_equal(vt_base64_encode(&enc, (const uint8_t *)h, strlen(h), true, NULL), VT_OK);
    assert_int_not_equal(asprintf(&out, "%.*s%s", (int)enc.len, (const char *)enc.data, dot), -1);
    free(h);
    vt_buf_free(&raw);
    vt_buf_free(&enc);
    return out;
}

/* The key broker's answer names its resource in the protected header: another kid, or none, is
 * refused before decrypting; a kid rewritten on the way does not decrypt (associated data). */
static void test_appraise_jwe__kid_other_or_none_refused(void **state)
{
    vt_pkey *k = NULL;
    char *jwe = NULL, *bare = NULL, *swapped = NULL;
    const uint8_t secret[32] = { 7, 7, 7 };
    vt_buf out;
    vt_err err = { 0 };

    (void)state;
    vt_buf_init(&out);
    assert_int_equal(vt_pkey_generate(&k, VT_KEY_EC_P256, NULL), VT_OK);
    assert_int_equal(vt_jwe_encrypt(&jwe, k, "model-a", secret, sizeof(secret), &err), VT_OK);
    assert_int_equal(vt_jwe_encrypt(&bare, k, NULL, secret, sizeof(secret), &err), VT_OK);
    assert_int_equal(vt_jwe_decrypt_kid(&out, k, "model-b", jwe, strlen(jwe), &err), VT_E_POLICY);
    assert_non_null(strstr(err.msg, "kid 'model-a' is not the expected 'model-b'"));
    assert_int_equal(out.len, 0);
    assert_int_equal(vt_jwe_decrypt_kid(&out, k, "model-a", bare, strlen(bare), &err), VT_E_POLICY);
    assert_non_null(strstr(err.msg, "names no kid"));
    assert_int_equal(out.len, 0);
    assert_int_equal(vt_jwe_decrypt_kid(&out, k, "model-", jwe, strlen(jwe), &err), VT_E_POLICY); /* a prefix */
    /* The header rewritten to name model-b: the kid check passes, the decryption does not. */
    swapped = with_kid(jwe, "model-a", "model-b");
    assert_int_equal(vt_jwe_decrypt_kid(&out, k, "model-b", swapped, strlen(swapped), &err), VT_E_CRYPTO);
    assert_int_equal(out.len, 0);
    assert_int_equal(vt_jwe_decrypt_kid(&out, k, "model-a", jwe, strlen(jwe), &err), VT_OK);
    assert_int_equal(out.len, sizeof(secret));
    assert_memory_equal(out.data, secret, sizeof(secret));
    free(jwe);
    free(bare);
    free(swapped);
    vt_pkey_free(k);
    vt_buf_free(&out);
}

/* jwe with part i (0..4) replaced by with. */
static char *with_part(const char *jwe, int i, const char *with)
{
    const char *start = jwe, *end;
    char *out = NULL;

    for (int k = 0; k < i; k++)
        start = strchr(start, '.') + 1;
    end = strchr(start, '.');
    if (end == NULL)
        end = start + strlen(start);
    assert_int_not_equal(asprintf(&out, "%.*s%s%s", (int)(start - jwe), jwe, with, end), -1);
    return out;
}

/* What cjose 0.6 mishandles is refused before it sees it: an IV of another length than 12
 * bytes (cjose handed it to the cipher, which read 12 bytes from a shorter block), an
 * encrypted key (none with ECDH-ES), a tag of another length, another number of parts, text
 * that is not base64url (cjose's decoder asserted on it), an epk that is not a P-256 point. */
static void test_appraise_jwe__malformed_parts_refused_before_cjose(void **state)
{
    vt_pkey *k = key_from_pem(indep_key);
    static const struct { int part; const char *with; } bad[] = {
        { 2, "AAAAAAAA" },                   /* 6-byte IV */
        { 2, "AAAAAAAAAAAAAAAAAAAAAA" },     /* 16-byte IV */
        { 2, "" },                           /* none */
        { 1, "AAAAAAAA" },                   /* an encrypted key */
        { 4, "AAAAAAAAAAAAAAAA" },           /* 12-byte tag */
        { 4, "ojEdbZahd_LfpU4_y4WCiw.x" },   /* six parts */
        { 3, "FKsJoWRljJ6lX6d4SXcF7VKBXF6LY2yK-wg4K05MT_iYihv64AWY7592QES=Lw" }, /* '=' (cjose asserted) */
        { 3, "FKsJoWRljJ6lX6d4SXcF7VKBXF6LY2yK-wg4K05MT_iYihv64AWY7592QESxLwAAA" }, /* 4n + 1 characters */
    };
    vt_buf out;
    vt_err err = { 0 };

    (void)state;
    vt_buf_init(&out);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *t = with_part(indep_jwe, bad[i].part, bad[i].with);
        if (vt_jwe_decrypt(&out, k, t, strlen(t), &err) != VT_E_FORMAT)
            fail_msg("case %zu: not refused as malformed: %s", i, err.msg);
        assert_int_equal(out.len, 0);
        free(t);
    }
    /* An epk that is not a P-256 point (cjose 0.6 decodes x and y with the base64 decoder that
     * asserts, and aborts the process, on the first), an apu or apv that is not base64url. */
    static const char *const epks[] = {
        "{\"alg\":\"ECDH-ES\",\"enc\":\"A256GCM\",\"epk\":{\"kty\":\"EC\",\"crv\":\"P-256\","
        "\"x\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=A\",\"y\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE\"}}",
        "{\"alg\":\"ECDH-ES\",\"enc\":\"A256GCM\",\"epk\":{\"kty\":\"EC\",\"crv\":\"P-<9VZB4a1bfMBg\"}}",
        "{\"alg\":\"ECDH-ES\",\"enc\":\"A256GCM\",\"epk\":{\"kty\":\"EC\",\"crv\":\"P-256\","
        "\"x\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE\",\"y\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE\"}}",
        "{\"alg\":\"ECDH-ES\",\"enc\":\"A256GCM\",\"epk\":\"x\"}",
        "{\"alg\":\"ECDH-ES\",\"enc\":\"A256GCM\",\"apu\":\"QUJD=Q\",\"epk\":{\"kty\":\"EC\",\"crv\":\"P-256\","
        "\"x\":\"OuCaptUjzvdecBtcfwGtKgJTxuxlr85nACEq1hWJQn8\",\"y\":\"6hWEdILS4fa4cLH7Eb92T7x9CFxuOGBegB2Sd-uKJsw\"}}",
        "{\"alg\":\"ECDH-ES\",\"enc\":\"A256GCM\",\"apv\":5,\"epk\":{\"kty\":\"EC\",\"crv\":\"P-256\","
        "\"x\":\"OuCaptUjzvdecBtcfwGtKgJTxuxlr85nACEq1hWJQn8\",\"y\":\"6hWEdILS4fa4cLH7Eb92T7x9CFxuOGBegB2Sd-uKJsw\"}}",
        "{\"alg\":\"ECDH-ES\",\"enc\":\"A256GCM\"}",
    };
    for (size_t i = 0; i < sizeof(epks) / sizeof(epks[0]); i++) {
        vt_buf h;
        char *t;
        vt_buf_init(&h);
        assert_int_equal(vt_base64_encode(&h, (const uint8_t *)epks[i], strlen(epks[i]), true, NULL), VT_OK);
        assert_int_equal(vt_buf_terminate(&h, NULL), VT_OK);
        t = with_part(indep_jwe, 0, (const char *)h.data);
        if (vt_jwe_decrypt(&out, k, t, strlen(t), &err) != VT_E_FORMAT)
            fail_msg("epk %zu: not refused as malformed: %s", i, err.msg);
        free(t);
        vt_buf_free(&h);
    }
    assert_int_equal(vt_jwe_decrypt(&out, k, "e30.", 4, &err), VT_E_UNSUPPORTED); /* header first */
    assert_int_equal(vt_jwe_decrypt(&out, k, indep_jwe, strlen(indep_jwe), &err), VT_OK);
    vt_pkey_free(k);
    vt_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_appraise_jwe__independent_token_decrypts),
        cmocka_unit_test(test_appraise_jwe__round_trip_to_the_recipient_only),
        cmocka_unit_test(test_appraise_jwe__altered_parts_fail),
        cmocka_unit_test(test_appraise_jwe__other_algorithms_refused),
        cmocka_unit_test(test_appraise_jwe__kid_other_or_none_refused),
        cmocka_unit_test(test_appraise_jwe__malformed_parts_refused_before_cjose),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
