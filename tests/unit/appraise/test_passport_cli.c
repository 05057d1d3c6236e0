/* `veritee passport verify|decode` over a process boundary, on a passport
 * issued from a real appraisal.  With VT_PASSPORT_SAMPLE_DIR set, the token,
 * JWKS and key are left there (docs/passport.md walks through them). */
#include "appraise_fx.h"

#include <sys/wait.h>

static int run(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_appraise_passport_cli__verify_decode(void **state)
{
    struct fx *f = *state;
    const char *bin = getenv("VERITEE_BIN"), *keep = getenv("VT_PASSPORT_SAMPLE_DIR");
    const char *dir = keep != NULL ? keep : f->state;
    vt_pkey *key = NULL, *att = NULL, *other = NULL;
    vt_passport_claims c;
    char kid[44], *jwk = NULL, *tok = NULL, path[700], cmd[3000], set[2048], when[32];
    const vt_claim *mr = vt_claims_get(&f->res.claims, "mr");
    vt_buf pem;

    if (bin == NULL) {
        print_message("VERITEE_BIN not set\n");
        skip();
    }
    assert_int_equal(vt_pkey_generate(&key, VT_KEY_EC_P256, NULL), VT_OK);
    assert_int_equal(vt_pkey_generate(&att, VT_KEY_EC_P256, NULL), VT_OK);
    assert_int_equal(vt_pkey_generate(&other, VT_KEY_EC_P256, NULL), VT_OK);
    assert_int_equal(vt_jwk_thumbprint(kid, key, NULL), VT_OK);
    memset(&c, 0, sizeof(c));
    assert_int_equal(vt_passport_new_id(c.id, NULL), VT_OK);
    snprintf(c.environment, sizeof(c.environment), "%s", "prod");
    snprintf(c.issuer, sizeof(c.issuer), "%s", "http://127.0.0.1:8700");
    snprintf(c.verifier_build, sizeof(c.verifier_build), "%s", "0.1.0");
    c.tee_type = VT_TEE_MOCK;
    snprintf(c.measurement_name, sizeof(c.measurement_name), "%s", "mr");
    memcpy(c.measurement, mr->value, mr->len);
    c.measurement_len = mr->len;
    memset(c.nonce, 7, 32);
    c.nonce_len = 32;
    c.iat = f->now;
    c.exp = f->now + 3600;
    assert_int_equal(vt_jwk_from_pkey(&c.attester_jwk, att, NULL, NULL), VT_OK);
    assert_int_equal(vt_appraise(&c.appraisal, &f->res, f->log, &f->env, f->now, f->now, NULL), VT_OK);
    assert_int_equal(vt_passport_issue(&tok, &c, key, kid, NULL), VT_OK);

    snprintf(path, sizeof(path), "%s/passport.jwt", dir);
    assert_int_equal(vt_file_write(path, tok, strlen(tok), 0644, NULL), VT_OK);
    assert_int_equal(vt_jwk_from_pkey(&jwk, key, kid, NULL), VT_OK);
    snprintf(set, sizeof(set), "{\"keys\":[%s]}", jwk);
    free(jwk);
    snprintf(path, sizeof(path), "%s/jwks.json", dir);
    assert_int_equal(vt_file_write(path, set, strlen(set), 0644, NULL), VT_OK);
    assert_int_equal(vt_jwk_from_pkey(&jwk, other, kid, NULL), VT_OK);
    snprintf(set, sizeof(set), "{\"keys\":[%s]}", jwk);
    free(jwk);
    snprintf(path, sizeof(path), "%s/other.json", dir);
    assert_int_equal(vt_file_write(path, set, strlen(set), 0644, NULL), VT_OK);
    if (keep != NULL) { /* the verifier's public key as PEM, to compare in the doc */
        vt_buf_init(&pem);
        assert_int_equal(vt_pkey_to_pem(&pem, key, false, NULL), VT_OK);
        snprintf(path, sizeof(path), "%s/verifier_pub.pem", dir);
        assert_int_equal(vt_file_write(path, pem.data, pem.len, 0644, NULL), VT_OK);
        vt_buf_free(&pem);
    }

    snprintf(cmd, sizeof(cmd), "'%s' passport verify '%s/passport.jwt' --jwks '%s/jwks.json' >/dev/null", bin, dir,
             dir);
    assert_int_equal(run(cmd), 0);
    /* The token itself as the argument, JSON out. */
    snprintf(cmd, sizeof(cmd), "'%s' passport verify %s --jwks '%s/jwks.json' --json | grep -q '\"verified\": true'",
             bin, tok, dir);
    assert_int_equal(run(cmd), 0);
    vt_time_format(when, c.exp);
    snprintf(cmd, sizeof(cmd),
             "'%s' passport verify '%s/passport.jwt' --jwks '%s/jwks.json' --at %s 2>&1 | grep -q expired", bin, dir,
             dir, when);
    assert_int_equal(run(cmd), 0);
    snprintf(cmd, sizeof(cmd), "'%s' passport verify '%s/passport.jwt' --jwks '%s/jwks.json' --at %s >/dev/null 2>&1",
             bin, dir, dir, when);
    assert_int_equal(run(cmd), 1);
    snprintf(cmd, sizeof(cmd), "'%s' passport verify '%s/passport.jwt' --jwks '%s/other.json' >/dev/null 2>&1", bin,
             dir, dir);
    assert_int_equal(run(cmd), 1);
    snprintf(cmd, sizeof(cmd), "'%s' passport verify '%s/jwks.json' --jwks '%s/jwks.json' >/dev/null 2>&1", bin, dir,
             dir);
    assert_int_equal(run(cmd), 2);
    /* No verifier configured: refused as a usage error, not checked against whatever answers on
     * a default local port (another user's verifier would vouch for anything). */
    snprintf(cmd, sizeof(cmd), "env -u VERITEE_VERIFIER '%s' passport verify '%s/passport.jwt' >/dev/null 2>&1", bin,
             dir);
    assert_int_equal(run(cmd), 2);
    snprintf(cmd, sizeof(cmd),
             "env -u VERITEE_VERIFIER '%s' passport verify '%s/passport.jwt' 2>&1 | grep -q 'no verifier is configured'",
             bin, dir);
    assert_int_equal(run(cmd), 0);
    snprintf(cmd, sizeof(cmd), "'%s' passport decode '%s/passport.jwt' | grep -q 'NOT verified'", bin, dir);
    assert_int_equal(run(cmd), 0);

    vt_passport_claims_clear(&c);
    free(tok);
    vt_pkey_free(key);
    vt_pkey_free(att);
    vt_pkey_free(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_appraise_passport_cli__verify_decode, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
