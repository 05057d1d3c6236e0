/* The relying party's checks of a gateway (include/veritee/rp.h): shared by
 * `veritee chat` and a gateway serving a workflow. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "appraise_int.h"
#include "veritee/rp.h"

vt_status vt_rp_gateway_init(vt_rp_gateway *g, vt_err *err)
{
    vt_status rc;

    memset(g, 0, sizeof(*g));
    vt_buf_init(&g->evidence);
    rc = vt_random(g->nonce, sizeof(g->nonce), err);
    if (rc == VT_OK)
        vt_hex_encode(g->nonce_hex, g->nonce, sizeof(g->nonce));
    return rc;
}

void vt_rp_gateway_clear(vt_rp_gateway *g)
{
    if (g == NULL)
        return;
    vt_buf_free(&g->evidence);
    vt_collateral_free(g->collateral);
    vt_mlog_free(g->log);
    vt_pkey_free(g->enclave);
    free(g->passport);
    vt_passport_claims_clear(&g->pc);
    memset(g, 0, sizeof(*g));
}

/* ---- the attestation reply ---- */

static vt_status json_to_text(char **out, json_t *v, const char *what, vt_err *err)
{
    *out = NULL;
    if (json_is_string(v))
        *out = strdup(json_string_value(v));
    else if (json_is_object(v))
        *out = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
    else
        return vt_err_set(err, VT_E_FORMAT, "attestation: \"%s\" is missing or not an object", what);
    return *out != NULL ? VT_OK : vt_err_set(err, VT_E_NOMEM, "out of memory");
}

static vt_status copy_name(char *dst, size_t cap, json_t *att, const char *key, vt_err *err)
{
    const char *s = json_string_value(json_object_get(att, key));

    dst[0] = '\0';
    if (s == NULL)
        return VT_OK;
    if (strlen(s) >= cap)
        return vt_err_set(err, VT_E_FORMAT, "attestation: \"%s\" is longer than %zu bytes", key, cap - 1);
    memcpy(dst, s, strlen(s) + 1);
    return VT_OK;
}

vt_status vt_rp_attestation_parse(vt_rp_gateway *g, const char *json, size_t len, vt_err *err)
{
    json_t *att = json_loadb(json, len, 0, NULL), *col, *v;
    const char *s, *name;
    char *text = NULL;
    vt_buf tmp;
    vt_status rc = VT_E_INTERNAL;

    if (!json_is_object(att)) {
        rc = vt_err_set(err, VT_E_FORMAT, "attestation: the reply is not a JSON object");
        goto out;
    }
    col = json_object_get(att, "collateral");
    s = json_string_value(json_object_get(att, "nonce"));
    if (s == NULL || strcasecmp(s, g->nonce_hex) != 0) {
        rc = vt_err_set(err, VT_E_POLICY, "attestation answers nonce %.64s, not ours (%s)", s ? s : "(none)",
                        g->nonce_hex);
        goto out;
    }
    s = json_string_value(json_object_get(att, "evidence"));
    if (s == NULL) {
        rc = vt_err_set(err, VT_E_FORMAT, "attestation: \"evidence\" is missing");
        goto out;
    }
    g->evidence.len = 0;
    rc = vt_base64_decode(&g->evidence, s, strlen(s), err);
    if (rc == VT_OK && g->collateral == NULL)
        rc = vt_collateral_new(&g->collateral, err);
    if (rc == VT_OK && col != NULL && !json_is_object(col))
        rc = vt_err_set(err, VT_E_FORMAT, "attestation: \"collateral\" is not an object");
    json_object_foreach(col, name, v)
    {
        if (rc != VT_OK)
            break;
        s = json_string_value(v);
        if (s == NULL) {
            rc = vt_err_set(err, VT_E_FORMAT, "attestation: collateral \"%.64s\" is not base64 text", name);
            break;
        }
        vt_buf_init(&tmp);
        rc = vt_base64_decode(&tmp, s, strlen(s), err);
        if (rc == VT_OK)
            rc = vt_collateral_add(g->collateral, name, tmp.data, tmp.len, err);
        vt_buf_free(&tmp);
    }
    if (rc == VT_OK)
        rc = json_to_text(&text, json_object_get(att, "log"), "log", err);
    if (rc == VT_OK)
        rc = vt_mlog_parse(&g->log, (const uint8_t *)text, strlen(text), err);
    free(text);
    text = NULL;
    if (rc == VT_OK)
        rc = json_to_text(&text, json_object_get(att, "enclave_key"), "enclave_key", err);
    if (rc == VT_OK)
        rc = vt_jwk_to_pkey(&g->enclave, text, strlen(text), err);
    free(text);
    if (rc == VT_OK)
        rc = vt_jwk_thumbprint(g->enclave_tp, g->enclave, err);
    s = json_string_value(json_object_get(att, "passport"));
    if (rc == VT_OK && (s == NULL || strlen(s) > VT_JWS_MAX))
        rc = vt_err_set(err, VT_E_FORMAT, "attestation: \"passport\" is missing");
    if (rc == VT_OK && (g->passport = strdup(s)) == NULL)
        rc = vt_err_set(err, VT_E_NOMEM, "out of memory");
    if (rc == VT_OK)
        rc = copy_name(g->platform, sizeof(g->platform), att, "platform", err);
    if (rc == VT_OK)
        rc = copy_name(g->passport_id, sizeof(g->passport_id), att, "passport_id", err);
    if (rc == VT_OK)
        rc = copy_name(g->environment, sizeof(g->environment), att, "environment", err);
out:
    json_decref(att);
    return rc;
}

/* ---- evidence ---- */

static vt_status first_finding(const vt_result *res, vt_err *err)
{
    if (res->error_count > 0)
        return vt_err_set(err, VT_E_POLICY, "%s: %s", res->errors[0].check, res->errors[0].msg);
    return vt_err_set(err, VT_E_POLICY, "evidence is %s", vt_verdict_name(res->verdict));
}

vt_status vt_rp_evidence_verify(vt_rp_gateway *g, bool trust_sim, const char *state_dir, vt_time now, vt_err *err)
{
    vt_verify_opts vo;
    vt_buf raw;
    uint8_t rd[VT_REPORT_DATA_LEN];
    vt_status rc;

    if (g->enclave == NULL || g->log == NULL)
        return vt_err_set(err, VT_E_ARG, "rp: no attestation parsed");
    vt_buf_init(&raw);
    rc = vt_pkey_public_raw(&raw, g->enclave, err);
    if (rc == VT_OK)
        rc = vt_report_data_bind(rd, g->nonce, sizeof(g->nonce), raw.data, raw.len, err);
    vt_buf_free(&raw);
    if (rc != VT_OK)
        return rc;
    memset(&vo, 0, sizeof(vo));
    vo.platform = VT_TEE_NONE;
    vo.now = now;
    vo.collateral = g->collateral;
    vo.expected_report_data = rd;
    vo.expected_report_data_len = sizeof(rd);
    vo.trust_sim = trust_sim;
    vo.state_dir = state_dir;
    vo.sim_root_files = g->sim_root_files;
    vo.sim_root_file_count = g->sim_root_file_count;
    vo.mlog = g->log;
    rc = vt_evidence_verify(&g->result, g->evidence.data, g->evidence.len, &vo, err);
    if (rc == VT_OK && !g->result.valid)
        rc = first_finding(&g->result, err);
    else if (rc != VT_OK && g->result.error_count > 0)
        rc = first_finding(&g->result, err);
    if (rc == VT_OK && g->platform[0] != '\0' && strcmp(g->platform, vt_tee_name(g->result.claims.platform)) != 0)
        rc = vt_err_set(err, VT_E_POLICY, "the gateway says platform %s, the evidence is %s", g->platform,
                        vt_tee_name(g->result.claims.platform));
    return rc;
}

/* ---- the passport ---- */

static bool is_url(const char *s)
{
    return s != NULL && (strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0);
}

static size_t url_len(const char *s)
{
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '/')
        n--;
    return n;
}

vt_status vt__issuer_check(const char *iss, const char *what, const char *jwks_issuer, const char *verifier,
                           vt_err *err)
{
    if (jwks_issuer != NULL && jwks_issuer[0] != '\0') {
        if (strcmp(iss, jwks_issuer) != 0)
            return vt_err_set(err, VT_E_POLICY, "%s was issued by '%s', not by the configured verifier%s%s "
                              "(issuer '%s')", what, iss, verifier != NULL ? " " : "",
                              verifier != NULL ? verifier : "", jwks_issuer);
        return VT_OK;
    }
    /* A key set that names no issuer: a URL issuer must still be the configured verifier. */
    if (verifier != NULL && is_url(iss) &&
        (url_len(iss) != url_len(verifier) || strncmp(iss, verifier, url_len(verifier)) != 0))
        return vt_err_set(err, VT_E_POLICY, "%s was issued by '%s', not by the configured verifier %s", what, iss,
                          verifier);
    return VT_OK;
}

vt_status vt_passport_check_issuer(const vt_passport_claims *c, const char *jwks_issuer, const char *verifier,
                                   vt_err *err)
{
    char what[64];

    snprintf(what, sizeof(what), "passport %s", c->id);
    return vt__issuer_check(c->issuer, what, jwks_issuer, verifier, err);
}

vt_status vt_passport_affirming(const vt_passport_claims *c, vt_err *err)
{
    if (c->appraisal.status == VT_EAR_AFFIRMING)
        return VT_OK;
    for (int s = 0; s < VT_SUBMOD_COUNT; s++) {
        const vt_appraisal_sub *a = &c->appraisal.sub[s];
        const char *name = vt_submod_name((vt_submod)s), *why = a->reason;
        /* reasons start with "<component>: "; do not say it twice */
        if (strncmp(why, name, strlen(name)) == 0 && why[strlen(name)] == ':')
            why += strlen(name) + 1 + (why[strlen(name) + 1] == ' ');
        if (a->status != VT_EAR_AFFIRMING && a->status != VT_EAR_NONE)
            return vt_err_set(err, VT_E_POLICY, "passport %s is %s: %s %s%s%s", c->id,
                              vt_ear_status_name(c->appraisal.status), name, vt_ear_status_name(a->status),
                              why[0] ? ": " : "", why);
    }
    return vt_err_set(err, VT_E_POLICY, "passport %s is %s, not affirming", c->id,
                      vt_ear_status_name(c->appraisal.status));
}

vt_status vt_rp_passport_verify(vt_rp_gateway *g, const vt_jwks *jwks, const char *jwks_issuer, const char *verifier,
                                vt_time now, vt_err *err)
{
    vt_passport_claims dec;
    vt_status rc;

    if (g->passport == NULL)
        return vt_err_set(err, VT_E_ARG, "rp: no attestation parsed");
    memset(&dec, 0, sizeof(dec));
    rc = vt_passport_decode(&dec, g->passport, strlen(g->passport), err);
    /* The verifier is the one the relying party configured; the token's "iss" only has to match it. */
    if (rc == VT_OK)
        rc = vt_passport_check_issuer(&dec, jwks_issuer, verifier, err);
    vt_passport_claims_clear(&dec);
    if (rc != VT_OK)
        return rc;
    vt_passport_claims_clear(&g->pc);
    rc = vt_passport_verify(&g->pc, g->passport, strlen(g->passport), jwks, now, err);
    if (rc == VT_OK)
        rc = vt_passport_affirming(&g->pc, err);
    if (rc == VT_OK && g->passport_id[0] != '\0' && strcmp(g->passport_id, g->pc.id) != 0)
        rc = vt_err_set(err, VT_E_POLICY, "the gateway names passport %s, its token is %s", g->passport_id, g->pc.id);
    if (rc == VT_OK && g->environment[0] != '\0' && strcmp(g->environment, g->pc.environment) != 0)
        rc = vt_err_set(err, VT_E_POLICY, "the gateway names environment %s, its passport %s", g->environment,
                        g->pc.environment);
    return rc;
}

vt_status vt_passport_check_key(const vt_passport_claims *c, const vt_pkey *key, vt_err *err)
{
    vt_pkey *cnf = NULL;
    char tp[44], want[44];
    vt_status rc;

    if (key == NULL)
        return vt_err_set(err, VT_E_ARG, "passport: no key to compare the cnf key with");
    if (c->attester_jwk == NULL)
        return vt_err_set(err, VT_E_POLICY, "passport %s carries no enclave key (cnf.jwk)", c->id);
    rc = vt_jwk_thumbprint(want, key, err);
    if (rc == VT_OK)
        rc = vt_jwk_to_pkey(&cnf, c->attester_jwk, strlen(c->attester_jwk), err);
    if (rc == VT_OK)
        rc = vt_jwk_thumbprint(tp, cnf, err);
    if (rc == VT_OK && strcmp(tp, want) != 0)
        rc = vt_err_set(err, VT_E_POLICY, "the passport's key %.16s… is not the attested enclave key %.16s…", tp,
                        want);
    vt_pkey_free(cnf);
    return rc;
}

vt_status vt_rp_key_match(vt_rp_gateway *g, vt_err *err)
{
    if (g->enclave == NULL)
        return vt_err_set(err, VT_E_ARG, "rp: no attestation parsed");
    return vt_passport_check_key(&g->pc, g->enclave, err);
}

/* ---- measurements and reference values ---- */

static const vt_component submod_comp[VT_SUBMOD_COUNT] = {
    [VT_SUBMOD_MODEL] = VT_COMPONENT_MODEL,
    [VT_SUBMOD_AUDITORS] = VT_COMPONENT_AUDITOR,
    [VT_SUBMOD_RUNTIME] = VT_COMPONENT_RUNTIME,
    [VT_SUBMOD_CONFIG] = VT_COMPONENT_CONFIG,
};

vt_status vt_passport_check_log(const vt_passport_claims *c, const vt_mlog *log, vt_err *err)
{
    char mine[VT_APPRAISAL_MEASURED_MAX];

    if (log == NULL)
        return vt_err_set(err, VT_E_ARG, "passport: no measurement log to compare");
    for (int s = VT_SUBMOD_MODEL; s < VT_SUBMOD_COUNT; s++) {
        if (!vt__measured_of(mine, log, submod_comp[s]))
            return vt_err_set(err, VT_E_POLICY, "%s: the log measures more than %d events, more than a passport names",
                              vt_submod_name((vt_submod)s), VT_APPRAISAL_MAX_DIGESTS);
        if (strcmp(mine, c->appraisal.sub[s].measured) != 0)
            return vt_err_set(err, VT_E_POLICY, "%s: the log measures %.80s, the passport appraised %.80s",
                              vt_submod_name((vt_submod)s), mine[0] ? mine : "nothing",
                              c->appraisal.sub[s].measured[0] ? c->appraisal.sub[s].measured : "nothing");
    }
    return VT_OK;
}

vt_status vt_rp_measurements(vt_rp_gateway *g, vt_err *err)
{
    const vt_claim *m;

    if (g->log == NULL)
        return vt_err_set(err, VT_E_ARG, "rp: no attestation parsed");
    if (g->pc.tee_type != g->result.claims.platform)
        return vt_err_set(err, VT_E_POLICY, "passport is for a %s TEE, the evidence is %s", vt_tee_name(g->pc.tee_type),
                          vt_tee_name(g->result.claims.platform));
    if (g->pc.measurement_name[0] != '\0') {
        m = vt_claims_get(&g->result.claims, g->pc.measurement_name);
        if (m == NULL || m->len != g->pc.measurement_len || !vt_ct_equal(m->value, g->pc.measurement, m->len))
            return vt_err_set(err, VT_E_POLICY, "tee: the evidence's %s differs from the passport's",
                              g->pc.measurement_name);
    }
    return vt_passport_check_log(&g->pc, g->log, err);
}

vt_status vt_rp_environment(vt_rp_gateway *g, const vt_env *env, char *detail, size_t detail_len, vt_err *err)
{
    size_t checked = 0;

    if (g->log == NULL)
        return vt_err_set(err, VT_E_ARG, "rp: no attestation parsed");
    if (strcmp(g->pc.environment, env->id) != 0)
        return vt_err_set(err, VT_E_POLICY, "the passport is for environment %s, not %s", g->pc.environment, env->id);
    if (env->digest_count[VT_SUBMOD_MODEL] == 0)
        return vt_err_set(err, VT_E_POLICY, "environment %s lists no model reference values", env->id);
    for (int s = VT_SUBMOD_MODEL; s < VT_SUBMOD_COUNT; s++) {
        size_t seen = 0;
        if (env->digest_count[s] == 0)
            continue;
        for (size_t i = 0; i < vt_mlog_count(g->log); i++) {
            const vt_mlog_event *e = vt_mlog_get(g->log, i);
            bool ok = false;
            if (e == NULL || e->component != submod_comp[s])
                continue;
            seen++;
            for (size_t k = 0; k < env->digest_count[s] && !ok; k++)
                ok = env->digests[s][k].len == e->digest_len &&
                     vt_ct_equal(env->digests[s][k].value, e->digest, e->digest_len);
            if (!ok)
                return vt_err_set(err, VT_E_POLICY, "%s %.60s: digest is not a reference value of environment %s",
                                  vt_submod_name((vt_submod)s), e->name, env->id);
        }
        if (seen == 0)
            return vt_err_set(err, VT_E_POLICY, "%s: the log measures none, environment %s requires one",
                              vt_submod_name((vt_submod)s), env->id);
        checked++;
    }
    if (detail != NULL && detail_len > 0)
        snprintf(detail, detail_len, "%s: the log's digests of %zu component%s are its reference values", env->id,
                 checked, checked == 1 ? "" : "s");
    return VT_OK;
}
