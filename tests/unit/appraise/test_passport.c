/* AI Passports: issue from a real appraisal, verify, expiry, wrong key, tampering. */
#include "appraise_fx.h"

struct pfx {
    struct fx *f;
    vt_pkey *key, *attester;
    char kid[44];
    vt_jwks *jwks;
    vt_passport_claims c;
};

static void make_claims(struct pfx *p)
{
    struct fx *f = p->f;
    const vt_claim *mr = vt_claims_get(&f->res.claims, "mr");
    vt_passport_claims *c = &p->c;

    memset(c, 0, sizeof(*c));
    assert_int_equal(vt_passport_new_id(c->id, NULL), VT_OK);
    snprintf(c->environment, sizeof(c->environment), "%s", f->env.id);
    snprintf(c->issuer, sizeof(c->issuer), "%s", "https://verifier.example");
    c->tee_type = f->res.claims.platform;
    c->hardware_attested = f->res.claims.hardware_attested;
    snprintf(c->measurement_name, sizeof(c->measurement_name), "%s", "mr");
    memcpy(c->measurement, mr->value, mr->len);
    c->measurement_len = mr->len;
    assert_int_equal(vt_jwk_from_pkey(&c->attester_jwk, p->attester, NULL, NULL), VT_OK);
    memset(c->nonce, 0x5a, 32);
    c->nonce_len = 32;
    c->iat = f->now;
    c->exp = f->now + f->env.passport_lifetime;
    snprintf(c->verifier_build, sizeof(c->verifier_build), "%s", "0.1.0-test");
    assert_int_equal(vt_appraise(&c->appraisal, &f->res, f->log, &f->env, f->now, f->now, NULL), VT_OK);
    assert_int_equal(vt_claims_to_json(&c->platform_claims, &f->res.claims, NULL), VT_OK);
}

static int setup(void **state)
{
    struct pfx *p = calloc(1, sizeof(*p));
    char *jwk = NULL, set[2048];
    void *fs = NULL;

    fx_setup(&fs);
    p->f = fs;
    assert_int_equal(vt_pkey_generate(&p->key, VT_KEY_EC_P256, NULL), VT_OK);
    assert_int_equal(vt_pkey_generate(&p->attester, VT_KEY_EC_P256, NULL), VT_OK);
    assert_int_equal(vt_jwk_thumbprint(p->kid, p->key, NULL), VT_OK);
    assert_int_equal(vt_jwk_from_pkey(&jwk, p->key, p->kid, NULL), VT_OK);
    snprintf(set, sizeof(set), "{\"keys\":[%s]}", jwk);
    free(jwk);
    assert_int_equal(vt_jwks_parse(&p->jwks, set, strlen(set), NULL), VT_OK);
    make_claims(p);
    *state = p;
    return 0;
}

static int teardown(void **state)
{
    struct pfx *p = *state;
    void *fs = p->f;

    vt_passport_claims_clear(&p->c);
    vt_jwks_free(p->jwks);
    vt_pkey_free(p->key);
    vt_pkey_free(p->attester);
    fx_teardown(&fs);
    free(p);
    return 0;
}

static char *issue(struct pfx *p)
{
    char *tok = NULL;
    vt_err err = { 0 };
    if (vt_passport_issue(&tok, &p->c, p->key, p->kid, &err) != VT_OK)
        fail_msg("issue: %s", err.msg);
    return tok;
}

static void test_appraise_passport__issue_verify(void **state)
{
    struct pfx *p = *state;
    char *tok = issue(p);
    vt_passport_claims out;
    vt_jws j;
    vt_err err = { 0 };
    vt_pkey *att = NULL;

    assert_int_equal(vt_passport_verify(&out, tok, strlen(tok), p->jwks, p->f->now + 10, &err), VT_OK);
    assert_string_equal(out.id, p->c.id);
    assert_string_equal(out.environment, "prod");
    assert_string_equal(out.issuer, "https://verifier.example");
    assert_int_equal(out.tee_type, VT_TEE_MOCK);
    assert_false(out.hardware_attested);
    assert_string_equal(out.measurement_name, "mr");
    assert_int_equal(out.measurement_len, 48);
    assert_memory_equal(out.measurement, p->c.measurement, 48);
    assert_int_equal(out.nonce_len, 32);
    assert_int_equal(out.iat, p->c.iat);
    assert_int_equal(out.exp, p->c.exp);
    assert_string_equal(out.verifier_build, "0.1.0-test");
    assert_int_equal(out.appraisal.status, VT_EAR_AFFIRMING);
    for (int s = 0; s < VT_SUBMOD_COUNT; s++) {
        assert_int_equal(out.appraisal.sub[s].status, p->c.appraisal.sub[s].status);
        assert_memory_equal(out.appraisal.sub[s].tv, p->c.appraisal.sub[s].tv, VT_AR4SI_COUNT);
        assert_string_equal(out.appraisal.sub[s].measured, p->c.appraisal.sub[s].measured);
    }
    assert_non_null(out.platform_claims);
    /* The attester key comes back usable. */
    assert_int_equal(vt_jwk_to_pkey(&att, out.attester_jwk, strlen(out.attester_jwk), &err), VT_OK);
    vt_pkey_free(att);
    vt_passport_claims_clear(&out);

    /* The header and the claim names are the documented ones. */
    assert_int_equal(vt_jws_parse(&j, tok, strlen(tok), NULL), VT_OK);
    assert_string_equal(j.typ, "JWT");
    assert_string_equal(j.kid, p->kid);
    assert_string_equal(j.alg, "ES256");
    assert_non_null(strstr((char *)j.payload.data, "\"eat_profile\":\"tag:ietf.org,2026:rats/ear#03\""));
    assert_non_null(strstr((char *)j.payload.data, "\"ear_appraisal_policy_ids\":[\"veritee:env/prod\"]"));
    assert_non_null(strstr((char *)j.payload.data, "\"cnf\":{\"jwk\":{"));
    vt_jws_clear(&j);

    assert_int_equal(vt_passport_decode(&out, tok, strlen(tok), &err), VT_OK);
    assert_string_equal(out.id, p->c.id);
    vt_passport_claims_clear(&out);
    free(tok);
}

static void test_appraise_passport__contraindicated_carries_reason(void **state)
{
    struct pfx *p = *state;
    vt_passport_verify_opts warn = { .accept_warning = true };
    vt_passport_claims out;
    vt_err err = { 0 };
    char *tok;

    p->f->env.digests[VT_SUBMOD_MODEL][0].value[0] ^= 1;
    assert_int_equal(vt_appraise(&p->c.appraisal, &p->f->res, p->f->log, &p->f->env, p->f->now, p->f->now, NULL),
                     VT_OK);
    tok = issue(p);
    /* Finding: verify returned OK for any status, so a signature check alone accepted a rejected TEE.
     * Refused now, even with accept_warning; the claims stay filled to show why. */
    assert_int_equal(vt_passport_verify(&out, tok, strlen(tok), p->jwks, p->f->now, &err), VT_E_POLICY);
    assert_non_null(strstr(err.msg, "is contraindicated, not affirming: model contraindicated: model: digest"));
    assert_int_equal(out.appraisal.status, VT_EAR_CONTRAINDICATED);
    assert_true(strncmp(out.appraisal.sub[VT_SUBMOD_MODEL].reason, "model: digest", 13) == 0);
    vt_passport_claims_clear(&out);
    assert_int_equal(vt_passport_verify_with(&out, tok, strlen(tok), p->jwks, p->f->now, &warn, NULL), VT_E_POLICY);
    assert_int_equal(out.appraisal.status, VT_EAR_CONTRAINDICATED);
    vt_passport_claims_clear(&out);
    free(tok);
}

/* A warning passport: refused by default, accepted only when the caller says so. */
static void test_appraise_passport__warning_needs_accept_warning(void **state)
{
    struct pfx *p = *state;
    vt_passport_verify_opts warn = { .accept_warning = true };
    vt_passport_claims out;
    vt_err err = { 0 };
    char *tok;

    p->c.appraisal.sub[VT_SUBMOD_TEE].status = VT_EAR_WARNING;
    p->c.appraisal.sub[VT_SUBMOD_TEE].tv[VT_AR4SI_EXECUTABLES] = 33;
    snprintf(p->c.appraisal.sub[VT_SUBMOD_TEE].reason, sizeof(p->c.appraisal.sub[VT_SUBMOD_TEE].reason), "%s",
             "tee: environment prod has no reference value for mrtd");
    snprintf(p->c.appraisal.tcb_status, sizeof(p->c.appraisal.tcb_status), "%s", "UpToDate");
    tok = issue(p);
    assert_int_equal(vt_passport_verify(&out, tok, strlen(tok), p->jwks, p->f->now, &err), VT_E_POLICY);
    assert_non_null(strstr(err.msg, "is warning, not affirming (accept_warning not set): tee warning: tee: environment"));
    assert_int_equal(out.appraisal.status, VT_EAR_WARNING);
    vt_passport_claims_clear(&out);
    assert_int_equal(vt_passport_verify_with(&out, tok, strlen(tok), p->jwks, p->f->now, &warn, &err), VT_OK);
    assert_int_equal(out.appraisal.status, VT_EAR_WARNING);
    assert_int_equal(out.appraisal.sub[VT_SUBMOD_TEE].tv[VT_AR4SI_EXECUTABLES], 33);
    assert_string_equal(out.appraisal.tcb_status, "UpToDate");
    vt_passport_claims_clear(&out);
    free(tok);
}

static void test_appraise_passport__expired_and_not_yet_valid(void **state)
{
    struct pfx *p = *state;
    char *tok = issue(p);
    vt_passport_claims out;
    vt_err err = { 0 };

    assert_int_equal(vt_passport_verify(&out, tok, strlen(tok), p->jwks, p->c.exp, &err), VT_E_POLICY);
    assert_non_null(strstr(err.msg, "expired"));
    assert_string_equal(out.id, p->c.id); /* still filled so it can be shown */
    vt_passport_claims_clear(&out);
    assert_int_equal(vt_passport_verify(&out, tok, strlen(tok), p->jwks, p->c.exp - 1, &err), VT_OK);
    vt_passport_claims_clear(&out);
    assert_int_equal(vt_passport_verify(&out, tok, strlen(tok), p->jwks, p->c.iat - 61, &err), VT_E_POLICY);
    assert_non_null(strstr(err.msg, "not yet valid"));
    assert_string_equal(out.id, "");
    assert_int_equal(vt_passport_verify(&out, tok, strlen(tok), p->jwks, p->c.iat - 60, &err), VT_OK);
    vt_passport_claims_clear(&out);
    free(tok);
}

static void test_appraise_passport__wrong_key_unknown_kid(void **state)
{
    struct pfx *p = *state;
    vt_pkey *other = NULL;
    char *tok = NULL;
    vt_passport_claims out;
    vt_err err = { 0 };

    assert_int_equal(vt_pkey_generate(&other, VT_KEY_EC_P256, NULL), VT_OK);
    /* Signed by another key under the published kid. */
    assert_int_equal(vt_passport_issue(&tok, &p->c, other, p->kid, NULL), VT_OK);
    assert_int_equal(vt_passport_verify(&out, tok, strlen(tok), p->jwks, p->f->now, &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "does not verify"));
    free(tok);
    /* Under a kid the JWKS does not have. */
    assert_int_equal(vt_passport_issue(&tok, &p->c, p->key, "not-published", NULL), VT_OK);
    assert_int_equal(vt_passport_verify(&out, tok, strlen(tok), p->jwks, p->f->now, &err), VT_E_CRYPTO);
    assert_non_null(strstr(err.msg, "not-published"));
    free(tok);
    vt_pkey_free(other);
}

/* Re-signs a modified payload with the right key: checks the claim rules
 * themselves rather than the signature. */
static vt_status resign(struct pfx *p, const char *from, const char *to, vt_err *err)
{
    char *tok = issue(p), *edited, *signed_tok = NULL, *hit;
    vt_jws j;
    vt_passport_claims out;
    vt_status rc;
    size_t n;

    assert_int_equal(vt_jws_parse(&j, tok, strlen(tok), NULL), VT_OK);
    hit = strstr((char *)j.payload.data, from);
    if (hit == NULL)
        fail_msg("payload has no %s", from);
    n = j.payload.len - strlen(from) + strlen(to);
    edited = calloc(1, n + 1);
    memcpy(edited, j.payload.data, (size_t)(hit - (char *)j.payload.data));
    strcat(edited, to);
    strcat(edited, hit + strlen(from));
    assert_int_equal(vt_jws_sign(&signed_tok, p->key, p->kid, "JWT", (uint8_t *)edited, strlen(edited), NULL), VT_OK);
    rc = vt_passport_verify(&out, signed_tok, strlen(signed_tok), p->jwks, p->f->now, err);
    vt_passport_claims_clear(&out);
    vt_jws_clear(&j);
    free(edited);
    free(signed_tok);
    free(tok);
    return rc;
}

static void test_appraise_passport__claim_rules(void **state)
{
    struct pfx *p = *state;
    vt_err err = { 0 };

    assert_int_equal(resign(p, "ear#03", "ear#02", &err), VT_E_POLICY);
    assert_non_null(strstr(err.msg, "eat_profile"));
    assert_int_equal(resign(p, "\"ear_status\":\"affirming\",\"submods\"", "\"ear_status\":\"warning\",\"submods\"", &err),
                     VT_E_FORMAT);
    assert_non_null(strstr(err.msg, "does not follow"));
    assert_int_equal(resign(p, "\"tee\":{\"ear_status\"", "\"tpm\":{\"ear_status\"", &err), VT_E_FORMAT);
    assert_int_equal(resign(p, "\"developer\":\"veritee\"", "\"developer\":\"other\"", &err), VT_E_FORMAT);
    assert_int_equal(resign(p, "veritee:env/prod", "veritee:env/dev", &err), VT_E_FORMAT);
    assert_int_equal(resign(p, "\"jti\":\"pass-", "\"jti\":\"pasx-", &err), VT_E_FORMAT);
    assert_int_equal(resign(p, "\"hardware_attested\":false", "\"hardware_attested\":0", &err), VT_E_FORMAT);
    assert_int_equal(resign(p, "\"instance-identity\":2", "\"instance-identity\":200", &err), VT_E_FORMAT);
    assert_int_equal(resign(p, "\"eat_profile\"", "\"eat_profile\":1,\"eat_profile\"", &err), VT_E_FORMAT);
}

static void test_appraise_passport__tampered_payload(void **state)
{
    struct pfx *p = *state;
    char *tok = issue(p), *dot1, *dot2;
    vt_passport_claims out;

    dot1 = strchr(tok, '.');
    dot2 = strchr(dot1 + 1, '.');
    for (char *c = dot1 + 1; c < dot2; c += 7) {
        char orig = *c;
        *c = orig == 'x' ? 'y' : 'x';
        if (vt_passport_verify(&out, tok, strlen(tok), p->jwks, p->f->now, NULL) == VT_OK)
            fail_msg("payload change at %td accepted", c - tok);
        *c = orig;
    }
    free(tok);
}

static void test_appraise_passport__issue_refuses_bad_claims(void **state)
{
    struct pfx *p = *state;
    char *tok = NULL;
    vt_passport_claims saved = p->c;

    p->c.exp = p->c.iat;
    assert_int_equal(vt_passport_issue(&tok, &p->c, p->key, p->kid, NULL), VT_E_ARG);
    p->c = saved;
    p->c.nonce_len = 4;
    assert_int_equal(vt_passport_issue(&tok, &p->c, p->key, p->kid, NULL), VT_E_ARG);
    p->c = saved;
    snprintf(p->c.id, sizeof(p->c.id), "%s", "pass-xyz");
    assert_int_equal(vt_passport_issue(&tok, &p->c, p->key, p->kid, NULL), VT_E_ARG);
    p->c = saved;
    assert_null(tok);
}

/* measured as a list of n digests of hexlen hex characters each. */
static void fill_measured(vt_appraisal_sub *sub, size_t n, size_t hexlen)
{
    size_t used = 0;

    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            sub->measured[used++] = ',';
        for (size_t j = 0; j < hexlen; j++)
            sub->measured[used++] = "0123456789abcdef"[(i + j) % 16];
    }
    sub->measured[used] = '\0';
}

static void test_appraise_passport__measured_bound(void **state)
{
    struct pfx *p = *state;
    vt_appraisal_sub *aud = &p->c.appraisal.sub[VT_SUBMOD_AUDITORS];
    vt_passport_claims out;
    vt_err err = { 0 };
    char *tok;

    /* As many SHA-512 digests as a passport names: issued and read back whole. */
    fill_measured(aud, VT_APPRAISAL_MAX_DIGESTS, 2 * VT_MD_MAX);
    tok = issue(p);
    assert_int_equal(vt_passport_verify(&out, tok, strlen(tok), p->jwks, p->f->now + 10, &err), VT_OK);
    assert_string_equal(out.appraisal.sub[VT_SUBMOD_AUDITORS].measured, aud->measured);
    vt_passport_claims_clear(&out);
    free(tok);
    /* One more (shorter digests, so the text would fit): refused, never read in part. */
    fill_measured(aud, VT_APPRAISAL_MAX_DIGESTS + 1, 64);
    tok = issue(p);
    assert_int_equal(vt_passport_decode(&out, tok, strlen(tok), &err), VT_E_FORMAT);
    assert_non_null(strstr(err.msg, "veritee.submods.auditors.measured[16] is invalid"));
    free(tok);
}

static void add_claim(vt_claims *c, const char *name, uint8_t v, size_t len)
{
    vt_claim *cl = &c->fields[c->field_count++];

    snprintf(cl->name, sizeof(cl->name), "%s", name);
    memset(cl->value, v, len);
    cl->len = len;
}

/* Finding: the primary measurement fell back to the evidence's first claim: a composite's passport
 * (and a TPM's without PCR 0 quoted) named its nonce ("nonce", "extra_data") as the launch
 * measurement and its mrenclave, and a relying party's fresh evidence never matched it. */
static void test_appraise_passport__primary_measurement(void **state)
{
    struct pfx *p = *state;
    vt_passport_claims c;
    vt_claims *cl = calloc(1, sizeof(*cl));

    assert_non_null(cl);
    memset(&c, 0, sizeof(c));
    vt_passport_measurement_set(&c, &p->f->res.claims);
    assert_string_equal(c.measurement_name, "mr");

    cl->platform = VT_TEE_COMPOSITE;
    add_claim(cl, "nonce", 0x01, 32);
    add_claim(cl, "binding", 0x02, 64);
    add_claim(cl, "cpu.rtmr0", 0x03, 48);
    add_claim(cl, "cpu.mrtd", 0x04, 48);
    vt_passport_measurement_set(&c, cl);
    assert_string_equal(c.measurement_name, "cpu.mrtd");
    assert_int_equal(c.measurement_len, 48);
    assert_int_equal(c.measurement[0], 0x04);

    memset(cl, 0, sizeof(*cl));
    cl->platform = VT_TEE_TPM;
    add_claim(cl, "extra_data", 0x05, 32);
    add_claim(cl, "pcr23", 0x06, 32);
    vt_passport_measurement_set(&c, cl);
    assert_string_equal(c.measurement_name, "");
    assert_int_equal(c.measurement_len, 0);
    add_claim(cl, "pcr0", 0x07, 32);
    vt_passport_measurement_set(&c, cl);
    assert_string_equal(c.measurement_name, "pcr0");
    free(cl);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_appraise_passport__issue_verify),
        T(test_appraise_passport__contraindicated_carries_reason),
        T(test_appraise_passport__warning_needs_accept_warning),
        T(test_appraise_passport__expired_and_not_yet_valid),
        T(test_appraise_passport__wrong_key_unknown_kid),
        T(test_appraise_passport__claim_rules),
        T(test_appraise_passport__tampered_payload),
        T(test_appraise_passport__issue_refuses_bad_claims),
        T(test_appraise_passport__measured_bound),
        T(test_appraise_passport__primary_measurement),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
