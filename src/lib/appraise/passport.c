/*
 * AI Passports: EAR attestation results (profile VT_EAR_PROFILE) as ES256
 * JWTs.  The claim set is documented claim by claim in docs/passport.md;
 * this file writes exactly that set and accepts exactly that set back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appraise_int.h"
#include "base/json.h"

#define SKEW 60
#define POLICY_PREFIX "veritee:env/"
#define NONCE_MIN 8

void vt_passport_claims_clear(vt_passport_claims *c)
{
    if (c == NULL)
        return;
    free(c->attester_jwk);
    free(c->platform_claims);
    memset(c, 0, sizeof(*c));
}

vt_status vt_passport_new_id(char out[48], vt_err *err)
{
    uint8_t r[16];
    char hex[33];
    vt_status rc = vt_sortable_id(r, sizeof(r), err); /* the verifier's store and log index it */

    out[0] = '\0';
    if (rc != VT_OK)
        return rc;
    vt_hex_encode(hex, r, sizeof(r));
    snprintf(out, 48, "pass-%s", hex);
    return VT_OK;
}

void vt_passport_measurement_set(vt_passport_claims *c, const vt_claims *cl)
{
    static const char *const names[] = { "mrtd", "measurement", "pcr0", "mr" };
    static const char *const prefixes[] = { "", "cpu." };
    const vt_claim *m = NULL;
    char full[VT_CLAIM_NAME_MAX + 8];

    c->measurement_name[0] = '\0';
    c->measurement_len = 0;
    for (size_t p = 0; p < 2 && m == NULL; p++)
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && m == NULL; i++) {
            snprintf(full, sizeof(full), "%s%s", prefixes[p], names[i]);
            m = vt_claims_get(cl, full);
        }
    if (m == NULL || m->len > sizeof(c->measurement))
        return;
    snprintf(c->measurement_name, sizeof(c->measurement_name), "%s", m->name);
    memcpy(c->measurement, m->value, m->len);
    c->measurement_len = m->len;
}

static bool id_ok(const char *id)
{
    if (strncmp(id, "pass-", 5) != 0 || strlen(id) != 37)
        return false;
    for (size_t i = 5; i < 37; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
            return false;
    return true;
}

static vt_ear_status worst(const vt_appraisal *a)
{
    vt_ear_status w = VT_EAR_AFFIRMING;

    for (int s = 0; s < VT_SUBMOD_COUNT; s++)
        if (a->sub[s].status > w)
            w = a->sub[s].status;
    return w;
}

static bool status_valid(vt_ear_status s)
{
    return s == VT_EAR_NONE || s == VT_EAR_AFFIRMING || s == VT_EAR_WARNING || s == VT_EAR_CONTRAINDICATED;
}

/* ---- writing ---- */

static json_t *submod_ear(const vt_appraisal_sub *s, const char *env_id)
{
    json_t *tv = json_object(), *o;
    char pol[VT_ENV_ID_MAX + sizeof(POLICY_PREFIX)];

    for (int k = 0; k < VT_AR4SI_COUNT; k++)
        if (s->tv[k] != 0)
            json_object_set_new(tv, vt_ar4si_name((vt_ar4si)k), json_integer(s->tv[k]));
    snprintf(pol, sizeof(pol), "%s%s", POLICY_PREFIX, env_id);
    o = json_pack("{s:s, s:o, s:[s]}", "ear_status", vt_ear_status_name(s->status), "ear_trustworthiness_vector", tv,
                  "ear_appraisal_policy_ids", pol);
    return o;
}

static json_t *submod_ext(const vt_appraisal_sub *s)
{
    json_t *measured = json_array();
    const char *p = s->measured;
    size_t n = strnlen(s->measured, sizeof(s->measured));

    while (measured != NULL && n > 0) {
        const char *comma = memchr(p, ',', n);
        size_t len = comma != NULL ? (size_t)(comma - p) : n;
        json_array_append_new(measured, json_stringn(p, len));
        if (comma == NULL)
            break;
        n -= len + 1;
        p = comma + 1;
    }
    return json_pack("{s:s%, s:o}", "reason", s->reason, strnlen(s->reason, sizeof(s->reason)), "measured",
                     measured);
}

static vt_status build_claims(json_t **out, const vt_passport_claims *c, vt_err *err)
{
    vt_status rc = VT_E_NOMEM;
    json_t *doc = NULL, *submods, *ext_sub, *vt, *v;
    json_error_t jerr;
    vt_ear_status overall = worst(&c->appraisal);

    *out = NULL;
    if (!id_ok(c->id))
        return vt_err_set(err, VT_E_ARG, "passport: id must be \"pass-\" and 32 lowercase hex digits");
    if (!vt_env_id_valid(c->environment))
        return vt_err_set(err, VT_E_ARG, "passport: environment id is not valid");
    if (c->issuer[0] == '\0')
        return vt_err_set(err, VT_E_ARG, "passport: issuer is required");
    if (c->iat <= 0 || c->exp <= c->iat)
        return vt_err_set(err, VT_E_ARG, "passport: needs iat > 0 and exp > iat");
    if (c->nonce_len != 0 && (c->nonce_len < NONCE_MIN || c->nonce_len > sizeof(c->nonce)))
        return vt_err_set(err, VT_E_ARG, "passport: nonce must be %d..64 bytes", NONCE_MIN);
    if (c->measurement_len > sizeof(c->measurement))
        return vt_err_set(err, VT_E_ARG, "passport: measurement too long");
    for (int s = 0; s < VT_SUBMOD_COUNT; s++)
        if (!status_valid(c->appraisal.sub[s].status))
            return vt_err_set(err, VT_E_ARG, "passport: submodule %s has no valid status", vt_submod_name((vt_submod)s));

    submods = json_object();
    ext_sub = json_object();
    for (int s = 0; s < VT_SUBMOD_COUNT; s++) {
        json_object_set_new(submods, vt_submod_name((vt_submod)s), submod_ear(&c->appraisal.sub[s], c->environment));
        json_object_set_new(ext_sub, vt_submod_name((vt_submod)s), submod_ext(&c->appraisal.sub[s]));
    }
    vt = json_pack("{s:s, s:b, s:s, s:o}", "environment", c->environment, "hardware_attested",
                   (int)c->hardware_attested, "tee_type", vt_tee_name(c->tee_type), "submods", ext_sub);
    if (vt != NULL && c->deployment_type[0] != '\0')
        json_object_set_new(vt, "deployment_type", json_string(c->deployment_type));
    if (vt != NULL && c->appraisal.tcb_status[0] != '\0')
        json_object_set_new(vt, "tcb_status", json_string(c->appraisal.tcb_status));
    if (vt != NULL && c->measurement_name[0] != '\0')
        json_object_set_new(vt, "measurement",
                            json_pack("{s:s, s:o}", "name", c->measurement_name, "value",
                                      vt__hex_json(c->measurement, c->measurement_len)));
    if (vt != NULL && c->platform_claims != NULL) {
        v = vt__json_loadb(c->platform_claims, strlen(c->platform_claims), JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(v)) {
            json_decref(v);
            json_decref(vt);
            json_decref(submods);
            return vt_err_set(err, VT_E_ARG, "passport: platform_claims is not a JSON object");
        }
        json_object_set_new(vt, "platform_claims", v);
    }
    doc = json_pack("{s:s, s:I, s:I, s:s, s:s, s:{s:s, s:s}, s:s, s:o, s:o}", "eat_profile", VT_EAR_PROFILE, "iat",
                    (json_int_t)c->iat, "exp", (json_int_t)c->exp, "jti", c->id, "iss", c->issuer,
                    "ear_verifier_id", "developer", "veritee", "build",
                    c->verifier_build[0] ? c->verifier_build : "unknown", "ear_status",
                    vt_ear_status_name(overall), "submods", submods, "veritee", vt);
    if (doc == NULL)
        goto out;
    if (c->nonce_len > 0)
        json_object_set_new(doc, "eat_nonce", vt__b64url_json(c->nonce, c->nonce_len));
    if (c->attester_jwk != NULL) {
        json_t *jwk = vt__json_loadb(c->attester_jwk, strlen(c->attester_jwk), JSON_REJECT_DUPLICATES, &jerr);
        vt_pkey *check = NULL;
        vt_err kerr = { 0 };
        rc = vt__jwk_from_object(&check, jwk, &kerr);
        vt_pkey_free(check);
        if (rc != VT_OK) {
            json_decref(jwk);
            rc = vt_err_set(err, VT_E_ARG, "passport: attester_jwk: %s", kerr.msg);
            goto out;
        }
        json_object_set_new(doc, "cnf", json_pack("{s:o}", "jwk", jwk));
    }
    *out = doc;
    doc = NULL;
    rc = VT_OK;
out:
    json_decref(doc);
    if (rc == VT_E_NOMEM)
        vt_err_set(err, rc, "passport: out of memory");
    return rc;
}

vt_status vt_passport_issue(char **token_out, const vt_passport_claims *c, const vt_pkey *key, const char *kid,
                            vt_err *err)
{
    vt_status rc;
    json_t *claims = NULL;
    vt_buf payload;

    *token_out = NULL;
    if (c == NULL || key == NULL || kid == NULL)
        return vt_err_set(err, VT_E_ARG, "passport: claims, key and kid are required");
    rc = build_claims(&claims, c, err);
    if (rc != VT_OK)
        return rc;
    vt_buf_init(&payload);
    rc = vt__json_dump_buf(&payload, claims, JSON_COMPACT | JSON_PRESERVE_ORDER, err); /* json_dumps' bytes */
    json_decref(claims);
    if (rc == VT_OK)
        rc = vt_jws_sign(token_out, key, kid, VT_PASSPORT_TYP, payload.data, payload.len, err);
    vt_buf_free(&payload);
    return rc;
}

/* ---- reading ---- */

static vt_status str_member(char *out, size_t n, const json_t *o, const char *name, bool required, vt_err *err)
{
    const json_t *v = json_object_get(o, name);

    out[0] = '\0';
    if (v == NULL && !required)
        return VT_OK;
    if (!json_is_string(v) || json_string_length(v) >= n || strlen(json_string_value(v)) != json_string_length(v))
        return vt_err_set(err, VT_E_FORMAT, "passport: %s is missing or not a string of < %zu bytes", name, n);
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return VT_OK;
}

static vt_status time_member(vt_time *out, const json_t *o, const char *name, vt_err *err)
{
    const json_t *v = json_object_get(o, name);

    if (!json_is_integer(v) || json_integer_value(v) <= 0)
        return vt_err_set(err, VT_E_FORMAT, "passport: %s is missing or not a positive integer", name);
    *out = (vt_time)json_integer_value(v);
    return VT_OK;
}

static vt_status parse_submod(vt_appraisal_sub *s, const char *name, const json_t *ear, const json_t *ext,
                              const char *env_id, vt_err *err)
{
    const json_t *tv, *pol, *v;
    const char *key;
    json_t *val;
    size_t i;
    vt_status rc;

    if (!json_is_object(ear))
        return vt_err_set(err, VT_E_FORMAT, "passport: submods.%s is missing or not an object", name);
    rc = vt_ear_status_parse(&s->status, json_string_value(json_object_get(ear, "ear_status")), NULL);
    if (rc != VT_OK)
        return vt_err_set(err, VT_E_FORMAT, "passport: submods.%s.ear_status is not a trust tier", name);
    json_object_foreach((json_t *)ear, key, val) {
        if (strcmp(key, "ear_status") != 0 && strcmp(key, "ear_trustworthiness_vector") != 0 &&
            strcmp(key, "ear_appraisal_policy_ids") != 0)
            return vt_err_set(err, VT_E_FORMAT, "passport: submods.%s.%.40s is not an EAR appraisal claim", name, key);
    }
    tv = json_object_get(ear, "ear_trustworthiness_vector");
    if (tv != NULL) {
        if (!json_is_object(tv))
            return vt_err_set(err, VT_E_FORMAT, "passport: submods.%s.ear_trustworthiness_vector is not an object",
                              name);
        json_object_foreach((json_t *)tv, key, val) {
            int k = -1;
            for (int j = 0; j < VT_AR4SI_COUNT; j++)
                if (strcmp(key, vt_ar4si_name((vt_ar4si)j)) == 0)
                    k = j;
            if (k < 0 || !json_is_integer(val) || json_integer_value(val) < -128 || json_integer_value(val) > 127)
                return vt_err_set(err, VT_E_FORMAT, "passport: submods.%s.ear_trustworthiness_vector.%.32s is invalid",
                                  name, key);
            s->tv[k] = (int8_t)json_integer_value(val);
        }
    }
    pol = json_object_get(ear, "ear_appraisal_policy_ids");
    if (pol != NULL) {
        char want[VT_ENV_ID_MAX + sizeof(POLICY_PREFIX)];
        snprintf(want, sizeof(want), "%s%s", POLICY_PREFIX, env_id);
        if (!json_is_array(pol) || json_array_size(pol) != 1 || !json_is_string(json_array_get(pol, 0)) ||
            strcmp(json_string_value(json_array_get(pol, 0)), want) != 0)
            return vt_err_set(err, VT_E_FORMAT, "passport: submods.%s.ear_appraisal_policy_ids must be [\"%s\"]",
                              name, want);
    }
    if (ext == NULL)
        return VT_OK;
    if (!json_is_object(ext))
        return vt_err_set(err, VT_E_FORMAT, "passport: veritee.submods.%s is not an object", name);
    rc = str_member(s->reason, sizeof(s->reason), ext, "reason", false, err);
    if (rc != VT_OK)
        return rc;
    v = json_object_get(ext, "measured");
    if (v != NULL) {
        size_t used = 0;
        if (!json_is_array(v))
            return vt_err_set(err, VT_E_FORMAT, "passport: veritee.submods.%s.measured is not an array", name);
        json_array_foreach(v, i, val) {
            const char *h = json_string_value(val);
            size_t hl = h != NULL ? strlen(h) : 0;
            if (h == NULL || hl == 0 || hl > 2 * VT_MD_MAX || hl != json_string_length(val) ||
                i >= VT_APPRAISAL_MAX_DIGESTS || used + hl + 2 > sizeof(s->measured))
                return vt_err_set(err, VT_E_FORMAT, "passport: veritee.submods.%s.measured[%zu] is invalid", name, i);
            for (size_t j = 0; j < hl; j++)
                if (!((h[j] >= '0' && h[j] <= '9') || (h[j] >= 'a' && h[j] <= 'f')))
                    return vt_err_set(err, VT_E_FORMAT, "passport: veritee.submods.%s.measured[%zu] is not hex",
                                      name, i);
            used += (size_t)snprintf(s->measured + used, sizeof(s->measured) - used, "%s%s", used ? "," : "", h);
        }
    }
    return VT_OK;
}

static vt_status parse_veritee(vt_passport_claims *c, const json_t *vt, vt_err *err)
{
    vt_status rc;
    char tee[24];
    const json_t *m, *pc;

    if (!json_is_object(vt))
        return vt_err_set(err, VT_E_FORMAT, "passport: veritee claims are missing");
    rc = str_member(c->environment, sizeof(c->environment), vt, "environment", true, err);
    if (rc == VT_OK && !vt_env_id_valid(c->environment))
        rc = vt_err_set(err, VT_E_FORMAT, "passport: veritee.environment is not a valid environment id");
    if (rc == VT_OK)
        rc = str_member(c->deployment_type, sizeof(c->deployment_type), vt, "deployment_type", false, err);
    if (rc == VT_OK && c->deployment_type[0] != '\0' && !vt_deployment_type_valid(c->deployment_type))
        rc = vt_err_set(err, VT_E_FORMAT, "passport: veritee.deployment_type is not full, model, app or bridge");
    if (rc == VT_OK && !json_is_boolean(json_object_get(vt, "hardware_attested")))
        rc = vt_err_set(err, VT_E_FORMAT, "passport: veritee.hardware_attested is missing or not a boolean");
    if (rc == VT_OK)
        rc = str_member(tee, sizeof(tee), vt, "tee_type", true, err);
    if (rc == VT_OK && (vt_tee_parse(&c->tee_type, tee, NULL) != VT_OK || c->tee_type == VT_TEE_NONE))
        rc = vt_err_set(err, VT_E_FORMAT, "passport: veritee.tee_type \"%s\" is not a platform", tee);
    if (rc != VT_OK)
        return rc;
    c->hardware_attested = json_is_true(json_object_get(vt, "hardware_attested"));
    rc = str_member(c->appraisal.tcb_status, sizeof(c->appraisal.tcb_status), vt, "tcb_status", false, err);
    if (rc != VT_OK)
        return rc;
    m = json_object_get(vt, "measurement");
    if (m != NULL) {
        const json_t *val = json_object_get(m, "value");
        vt_buf b;
        rc = str_member(c->measurement_name, sizeof(c->measurement_name), m, "name", true, err);
        if (rc != VT_OK)
            return rc;
        if (!json_is_string(val))
            return vt_err_set(err, VT_E_FORMAT, "passport: veritee.measurement.value is not hex");
        vt_buf_init(&b);
        rc = vt_hex_decode_buf(&b, json_string_value(val), json_string_length(val), sizeof(c->measurement), NULL);
        if (rc == VT_OK) {
            memcpy(c->measurement, b.data, b.len);
            c->measurement_len = b.len;
        }
        vt_buf_free(&b);
        if (rc != VT_OK)
            return vt_err_set(err, VT_E_FORMAT, "passport: veritee.measurement.value is not hex of <= %zu bytes",
                              sizeof(c->measurement));
    }
    pc = json_object_get(vt, "platform_claims");
    if (pc != NULL) {
        if (!json_is_object(pc))
            return vt_err_set(err, VT_E_FORMAT, "passport: veritee.platform_claims is not an object");
        c->platform_claims = json_dumps(pc, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (c->platform_claims == NULL)
            return vt_err_set(err, VT_E_NOMEM, "passport: out of memory");
    }
    return VT_OK;
}

static vt_status parse_claims(vt_passport_claims *c, const json_t *doc, bool check_jwk, vt_err *err)
{
    vt_status rc;
    const json_t *vid, *subs, *vt, *ext_subs, *cnf, *nonce;
    vt_ear_status top;
    vt_buf nb;
    const char *key;
    json_t *val;

    if (!json_is_object(doc))
        return vt_err_set(err, VT_E_FORMAT, "passport: payload is not a JSON object");
    rc = str_member(c->id, sizeof(c->id), doc, "jti", true, err);
    if (rc == VT_OK && !id_ok(c->id))
        rc = vt_err_set(err, VT_E_FORMAT, "passport: jti is not a passport id (pass-<32 hex>)");
    if (rc == VT_OK)
        rc = str_member(c->issuer, sizeof(c->issuer), doc, "iss", true, err);
    if (rc == VT_OK)
        rc = time_member(&c->iat, doc, "iat", err);
    if (rc == VT_OK)
        rc = time_member(&c->exp, doc, "exp", err);
    if (rc == VT_OK && c->exp <= c->iat)
        rc = vt_err_set(err, VT_E_FORMAT, "passport: exp is not after iat");
    if (rc != VT_OK)
        return rc;
    vid = json_object_get(doc, "ear_verifier_id");
    if (!json_is_object(vid) || !json_is_string(json_object_get(vid, "developer")) ||
        strcmp(json_string_value(json_object_get(vid, "developer")), "veritee") != 0)
        return vt_err_set(err, VT_E_FORMAT, "passport: ear_verifier_id.developer is not \"veritee\"");
    rc = str_member(c->verifier_build, sizeof(c->verifier_build), vid, "build", true, err);
    if (rc != VT_OK)
        return rc;
    nonce = json_object_get(doc, "eat_nonce");
    if (nonce != NULL) {
        vt_buf_init(&nb);
        rc = json_is_string(nonce) ? vt__b64url_decode(&nb, json_string_value(nonce), json_string_length(nonce),
                                                       sizeof(c->nonce), "eat_nonce", NULL)
                                   : VT_E_FORMAT;
        if (rc == VT_OK && nb.len < NONCE_MIN)
            rc = VT_E_FORMAT;
        if (rc == VT_OK) {
            memcpy(c->nonce, nb.data, nb.len);
            c->nonce_len = nb.len;
        }
        vt_buf_free(&nb);
        if (rc != VT_OK)
            return vt_err_set(err, VT_E_FORMAT, "passport: eat_nonce is not base64url of %d..64 bytes", NONCE_MIN);
    }
    vt = json_object_get(doc, "veritee");
    rc = parse_veritee(c, vt, err);
    if (rc != VT_OK)
        return rc;
    subs = json_object_get(doc, "submods");
    if (!json_is_object(subs) || json_object_size(subs) != VT_SUBMOD_COUNT)
        return vt_err_set(err, VT_E_FORMAT, "passport: submods must be exactly tee, model, auditors, runtime, config");
    ext_subs = json_object_get(vt, "submods");
    if (ext_subs != NULL && !json_is_object(ext_subs))
        return vt_err_set(err, VT_E_FORMAT, "passport: veritee.submods is not an object");
    for (int s = 0; s < VT_SUBMOD_COUNT; s++) {
        const char *name = vt_submod_name((vt_submod)s);
        rc = parse_submod(&c->appraisal.sub[s], name, json_object_get(subs, name), json_object_get(ext_subs, name),
                          c->environment, err);
        if (rc != VT_OK)
            return rc;
    }
    if (ext_subs != NULL) {
        json_object_foreach((json_t *)ext_subs, key, val) {
            if (json_object_get(subs, key) == NULL)
                return vt_err_set(err, VT_E_FORMAT, "passport: veritee.submods.%.32s is not a submodule", key);
        }
    }
    if (vt_ear_status_parse(&top, json_string_value(json_object_get(doc, "ear_status")), NULL) != VT_OK)
        return vt_err_set(err, VT_E_FORMAT, "passport: ear_status is missing or not a trust tier");
    c->appraisal.status = worst(&c->appraisal);
    /* The overall tier is not an independent claim: it must be what the submodules say. */
    if (top != c->appraisal.status)
        return vt_err_set(err, VT_E_FORMAT, "passport: ear_status %s does not follow from the submodules (%s)",
                          vt_ear_status_name(top), vt_ear_status_name(c->appraisal.status));
    cnf = json_object_get(doc, "cnf");
    if (cnf != NULL) {
        const json_t *jwk = json_object_get(cnf, "jwk");
        if (!json_is_object(jwk))
            return vt_err_set(err, VT_E_FORMAT, "passport: cnf has no jwk object");
        if (check_jwk) {
            vt_pkey *k = NULL;
            rc = vt__jwk_from_object(&k, jwk, err);
            vt_pkey_free(k);
            if (rc != VT_OK)
                return rc;
        }
        c->attester_jwk = json_dumps(jwk, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (c->attester_jwk == NULL)
            return vt_err_set(err, VT_E_NOMEM, "passport: out of memory");
    }
    return VT_OK;
}

static vt_status load_payload(json_t **doc, const vt_jws *j, vt_err *err)
{
    json_error_t jerr;

    *doc = json_loadb((const char *)j->payload.data, j->payload.len, JSON_REJECT_DUPLICATES, &jerr);
    if (*doc == NULL || !json_is_object(*doc)) {
        json_decref(*doc);
        *doc = NULL;
        return vt_err_set(err, VT_E_FORMAT, "passport: payload is not a JSON object");
    }
    return VT_OK;
}

/* The first reason of a submodule that is not affirming, for messages. */
static void first_reason(char *out, size_t n, const vt_appraisal *a)
{
    out[0] = '\0';
    for (int s = 0; s < VT_SUBMOD_COUNT; s++) {
        const vt_appraisal_sub *sub = &a->sub[s];
        if (sub->status != VT_EAR_AFFIRMING && sub->status != VT_EAR_NONE) {
            snprintf(out, n, ": %s %s%s%s", vt_submod_name((vt_submod)s), vt_ear_status_name(sub->status),
                     sub->reason[0] ? ": " : "", sub->reason);
            return;
        }
    }
}

vt_status vt_passport_verify(vt_passport_claims *out, const char *token, size_t len, const vt_jwks *jwks,
                             vt_time now, vt_err *err)
{
    return vt_passport_verify_with(out, token, len, jwks, now, NULL, err);
}

vt_status vt_passport_verify_with(vt_passport_claims *out, const char *token, size_t len, const vt_jwks *jwks,
                                  vt_time now, const vt_passport_verify_opts *opts, vt_err *err)
{
    bool accept_warning = opts != NULL && opts->accept_warning;
    vt_status rc = VT_E_INTERNAL;
    vt_jws j;
    json_t *doc = NULL;
    const char *profile;
    char t1[32], t2[32];

    memset(out, 0, sizeof(*out));
    memset(&j, 0, sizeof(j));
    if (token == NULL || jwks == NULL || now <= 0) {
        rc = vt_err_set(err, VT_E_ARG, "passport: token, JWKS and time are required");
        goto out;
    }
    rc = vt__jws_verify_set(&j, token, len, VT_PASSPORT_TYP, jwks, "passport", err);
    if (rc != VT_OK)
        goto out;
    rc = load_payload(&doc, &j, err);
    if (rc != VT_OK)
        goto out;
    profile = json_string_value(json_object_get(doc, "eat_profile"));
    if (profile == NULL || strcmp(profile, VT_EAR_PROFILE) != 0) {
        rc = vt_err_set(err, VT_E_POLICY, "passport: eat_profile is \"%.60s\", not %s", profile ? profile : "",
                        VT_EAR_PROFILE);
        goto out;
    }
    rc = parse_claims(out, doc, true, err);
    if (rc != VT_OK)
        goto out;
    if (out->iat > now + SKEW) {
        vt_time_format(t1, out->iat);
        rc = vt_err_set(err, VT_E_POLICY, "passport: not yet valid (issued at %s)", t1);
        goto out;
    }
    if (now >= out->exp) {
        vt_time_format(t1, out->exp);
        vt_time_format(t2, now);
        /* Claims stay filled: a caller may show what the expired passport said. */
        vt_jws_clear(&j);
        json_decref(doc);
        return vt_err_set(err, VT_E_POLICY, "passport: %s expired at %s (now %s)", out->id, t1, t2);
    }
    /* A valid signature says only who appraised; the status says whether the TEE passed. */
    if (out->appraisal.status != VT_EAR_AFFIRMING &&
        !(accept_warning && out->appraisal.status == VT_EAR_WARNING)) {
        char why[300];
        first_reason(why, sizeof(why), &out->appraisal);
        vt_jws_clear(&j);
        json_decref(doc);
        return vt_err_set(err, VT_E_POLICY, "passport: %s is %s, not affirming%s%s", out->id,
                          vt_ear_status_name(out->appraisal.status),
                          out->appraisal.status == VT_EAR_WARNING ? " (accept_warning not set)" : "", why);
    }
    rc = VT_OK;
out:
    if (rc != VT_OK)
        vt_passport_claims_clear(out);
    vt_jws_clear(&j);
    json_decref(doc);
    return rc;
}

vt_status vt_passport_decode(vt_passport_claims *out, const char *token, size_t len, vt_err *err)
{
    vt_status rc;
    vt_jws j;
    json_t *doc = NULL;

    memset(out, 0, sizeof(*out));
    rc = vt_jws_parse(&j, token, len, err);
    if (rc != VT_OK)
        return rc;
    rc = load_payload(&doc, &j, err);
    if (rc == VT_OK)
        rc = parse_claims(out, doc, false, err);
    if (rc != VT_OK)
        vt_passport_claims_clear(out);
    json_decref(doc);
    vt_jws_clear(&j);
    return rc;
}
