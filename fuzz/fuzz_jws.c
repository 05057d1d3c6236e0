/* libFuzzer: compact JWS, JWK / JWKS, AI Passport (EAR JWT) and signed
 * environment parsing and verification.  The first byte selects: 0-1 the input
 * is a token (parsed, verified against a fixed key and JWKS, decoded as a
 * passport, verified as a signed environment); 2-3 the rest is a JWK / JWKS;
 * otherwise the rest is a passport or signed-environment payload that the
 * harness signs with the JWKS key (typ by bits 1 and 3 of the first byte), so
 * the strict claims parsers after a good signature see arbitrary JSON too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "veritee/jws.h"
#include "veritee/passport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static vt_pkey *key;
static vt_jwks *jwks;

static void setup(void)
{
    char *jwk = NULL, *set = NULL;
    size_t n;

    if (vt_pkey_generate(&key, VT_KEY_EC_P256, NULL) != VT_OK || vt_jwk_from_pkey(&jwk, key, "k1", NULL) != VT_OK)
        __builtin_trap();
    n = strlen(jwk) + 16;
    set = malloc(n);
    if (set == NULL)
        __builtin_trap();
    snprintf(set, n, "{\"keys\":[%s]}", jwk);
    if (vt_jwks_parse(&jwks, set, strlen(set), NULL) != VT_OK)
        __builtin_trap();
    free(jwk);
    free(set);
}

/* The signed-environment reader: iat within VT_ENV_TOKEN_MAX_AGE of 1700000000, "sub" "prod", the
 * revisions taken across inputs remembered (a lower one is refused, the highest never falls). */
static void environment(const char *tok, size_t len)
{
    static vt_env env;
    static vt_env_revs *revs;
    vt_env_token_opts o = { .jwks = jwks, .jwks_issuer = "", .verifier = "https://v.example", .id = "prod",
                            .now = 1700000000 };
    char *json = NULL;
    uint64_t rev = 1, seen;

    if (revs == NULL && vt_env_revs_new(&revs, NULL) != VT_OK)
        __builtin_trap();
    o.revs = revs;
    seen = vt_env_revs_seen(revs, o.verifier, "prod");
    if (vt_env_token_verify(&env, &json, &rev, tok, len, &o, NULL) == VT_OK) {
        if (json == NULL || strcmp(env.id, "prod") != 0 || rev == 0 || rev < seen ||
            vt_env_revs_seen(revs, o.verifier, "prod") != rev)
            __builtin_trap();
    } else if (json != NULL || env.id[0] != '\0' || rev != 0 || vt_env_revs_seen(revs, o.verifier, "prod") != seen) {
        __builtin_trap();
    }
    free(json);
}

static void passport(const char *tok, size_t len)
{
    vt_passport_claims c;
    vt_passport_verify_opts o = { .accept_warning = true };

    memset(&c, 0, sizeof(c));
    (void)vt_passport_verify_with(&c, tok, len, jwks, 1700000000, &o, NULL);
    vt_passport_claims_clear(&c);
    memset(&c, 0, sizeof(c));
    (void)vt_passport_decode(&c, tok, len, NULL);
    vt_passport_claims_clear(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vt_pkey *k = NULL;
    vt_jwks *s = NULL;
    char *tok = NULL;
    vt_jws j;

    if (key == NULL)
        setup();
    if (size == 0)
        return 0;
    switch (data[0] % 6) {
    case 0:
    case 1:
        memset(&j, 0, sizeof(j));
        if (vt_jws_parse(&j, (const char *)data + 1, size - 1, NULL) == VT_OK)
            (void)vt_jws_verify(&j, key, NULL);
        vt_jws_clear(&j);
        passport((const char *)data + 1, size - 1);
        environment((const char *)data + 1, size - 1);
        break;
    case 2:
        if (vt_jwk_to_pkey(&k, (const char *)data + 1, size - 1, NULL) == VT_OK && k == NULL)
            __builtin_trap();
        vt_pkey_free(k);
        break;
    case 3: {
        char iss[16] = "x"; /* small: an issuer that does not fit is refused */
        if (vt_jwks_parse_issuer(&s, iss, sizeof(iss), (const char *)data + 1, size - 1, NULL) == VT_OK)
            (void)vt_jwks_find(s, "k1");
        else if (s != NULL || iss[0] != '\0')
            __builtin_trap();
        if (memchr(iss, '\0', sizeof(iss)) == NULL)
            __builtin_trap();
        vt_jwks_free(s);
        break;
    }
    default:
        if (vt_jws_sign(&tok, key, data[0] & 1 ? "k1" : "k2",
                        data[0] & 2 ? "JWT" : data[0] & 8 ? VT_ENV_TOKEN_TYP : "x", data + 1, size - 1, NULL) != VT_OK)
            __builtin_trap();
        passport(tok, strlen(tok));
        environment(tok, strlen(tok));
        free(tok);
        break;
    }
    return 0;
}
