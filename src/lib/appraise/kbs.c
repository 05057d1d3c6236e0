/* The key broker's release request and release policy (include/veritee/kbs.h, docs/keys.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "appraise_int.h"
#include "veritee/kbs.h"

#define KBS_DIGEST_MAX (VT_APPRAISAL_MEASURED_MAX - 1) /* a component's measured digests: hex, comma-separated */


vt_status vt_kbs_request_parse(uint8_t nonce[VT_KBS_NONCE_MAX], size_t *nonce_len, const uint8_t *body, size_t len,
                               vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    json_t *j = NULL, *n;
    vt_buf b;

    *nonce_len = 0;
    vt_buf_init(&b);
    if (len > VT_KBS_REQUEST_MAX)
        return vt_err_set(err, VT_E_LIMIT, "kbs: request longer than %d bytes", VT_KBS_REQUEST_MAX);
    j = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(j) || json_object_size(j) != 1) {
        rc = vt_err_set(err, VT_E_FORMAT, "kbs: request must be a JSON object with only \"nonce\"");
        goto out;
    }
    n = json_object_get(j, "nonce");
    if (!json_is_string(n)) {
        rc = vt_err_set(err, VT_E_FORMAT, "kbs: nonce missing or not a string");
        goto out;
    }
    rc = vt__b64url_decode(&b, json_string_value(n), json_string_length(n), VT_KBS_NONCE_MAX, "kbs: nonce", err);
    if (rc == VT_OK && b.len < VT_KBS_NONCE_MIN)
        rc = vt_err_set(err, VT_E_FORMAT, "kbs: nonce shorter than %d bytes", VT_KBS_NONCE_MIN);
    if (rc != VT_OK)
        goto out;
    memcpy(nonce, b.data, b.len);
    *nonce_len = b.len;
out:
    vt_buf_free(&b);
    json_decref(j);
    return rc;
}

vt_status vt_kbs_request_new(char **body_out, vt_err *err)
{
    uint8_t nonce[32];
    vt_status rc = VT_E_INTERNAL;
    vt_buf v;

    *body_out = NULL;
    vt_buf_init(&v);
    rc = vt_random(nonce, sizeof(nonce), err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(&v, "{\"nonce\":\"", err);
    if (rc == VT_OK)
        rc = vt_base64_encode(&v, nonce, sizeof(nonce), true, err);
    if (rc == VT_OK)
        rc = vt_buf_append_str(&v, "\"}", err);
    if (rc == VT_OK)
        rc = vt_buf_terminate(&v, err);
    if (rc == VT_OK) {
        *body_out = (char *)v.data;
        v.data = NULL;
    }
    vt_buf_free(&v);
    return rc;
}

/* ---- policy ---- */

static const char *const comp_names[] = { "model", "auditors", "runtime", "config" }; /* VT_SUBMOD_MODEL.. */

static bool digest_list_ok(const char *s)
{
    size_t n = strlen(s), run = 0;

    if (n == 0 || n > KBS_DIGEST_MAX)
        return false;
    for (size_t i = 0; i <= n; i++) {
        if (s[i] == ',' || s[i] == '\0') {
            if (run == 0 || run % 2 != 0 || run > 2 * VT_MD_MAX)
                return false;
            run = 0;
        } else if ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')) {
            run++;
        } else {
            return false;
        }
    }
    return true;
}

static vt_status parse_measurements(json_t *out, json_t *m, vt_err *err)
{
    const char *k;
    json_t *v;

    if (!json_is_object(m))
        return vt_err_set(err, VT_E_FORMAT, "kbs policy: measurements must be an object");
    json_object_foreach(m, k, v) {
        size_t i;
        char low[KBS_DIGEST_MAX + 1];
        const char *s = json_string_value(v);
        for (i = 0; i < 4 && strcmp(k, comp_names[i]) != 0; i++)
            ;
        if (i == 4)
            return vt_err_set(err, VT_E_FORMAT, "kbs policy: unknown key measurements.%.32s (model, auditors, "
                                                "runtime, config)", k);
        if (s == NULL || strlen(s) > KBS_DIGEST_MAX)
            return vt_err_set(err, VT_E_FORMAT, "kbs policy: measurements.%s must be a hex string", k);
        for (i = 0; s[i] != '\0'; i++)
            low[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 'a' : s[i]);
        low[i] = '\0';
        if (!digest_list_ok(low))
            return vt_err_set(err, VT_E_FORMAT, "kbs policy: measurements.%s must be hex digests, comma-separated", k);
        if (json_object_set_new(out, k, json_string(low)) != 0)
            return vt_err_set(err, VT_E_NOMEM, "kbs policy: out of memory");
    }
    return VT_OK;
}

vt_status vt_kbs_policy_parse(char **canon_out, const char *json, size_t len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    json_t *in = NULL, *out = NULL, *plat = NULL, *meas = NULL, *v;
    bool hw = true, warn = false;
    const char *env = NULL, *tcb = "UpToDate", *k;

    *canon_out = NULL;
    if (len > VT_KBS_POLICY_MAX)
        return vt_err_set(err, VT_E_LIMIT, "kbs policy: longer than %zu bytes", VT_KBS_POLICY_MAX);
    in = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
    plat = json_array();
    meas = json_object();
    if (!json_is_object(in)) {
        rc = vt_err_set(err, VT_E_FORMAT, "kbs policy: must be a JSON object");
        goto out;
    }
    rc = VT_OK;
    json_object_foreach(in, k, v) {
        if (strcmp(k, "environment") == 0) {
            env = json_string_value(v);
            if (env == NULL || !vt_env_id_valid(env))
                rc = vt_err_set(err, VT_E_FORMAT, "kbs policy: environment must be an environment id");
        } else if (strcmp(k, "platforms") == 0) {
            size_t i;
            json_t *p;
            if (!json_is_array(v) || json_array_size(v) > 16)
                rc = vt_err_set(err, VT_E_FORMAT, "kbs policy: platforms must be an array of TEE names");
            json_array_foreach(v, i, p) {
                vt_tee_kind kind = VT_TEE_NONE;
                if (rc == VT_OK && (!json_is_string(p) || vt_tee_parse(&kind, json_string_value(p), NULL) != VT_OK))
                    rc = vt_err_set(err, VT_E_FORMAT, "kbs policy: platforms[%zu] is not a TEE name", i);
                if (rc == VT_OK && json_array_append_new(plat, json_string(vt_tee_name(kind))) != 0)
                    rc = vt_err_set(err, VT_E_NOMEM, "kbs policy: out of memory");
            }
        } else if (strcmp(k, "hardware_attested") == 0 || strcmp(k, "allow_warning") == 0) {
            if (!json_is_boolean(v))
                rc = vt_err_set(err, VT_E_FORMAT, "kbs policy: %s must be true or false", k);
            else if (k[0] == 'h')
                hw = json_is_true(v);
            else
                warn = json_is_true(v);
        } else if (strcmp(k, "min_tcb_status") == 0) {
            tcb = json_string_value(v);
            if (tcb == NULL || (strcmp(tcb, "any") != 0 && (vt__tcb_rank(tcb) < 0 || vt__tcb_rank(tcb) > 3)))
                rc = vt_err_set(err, VT_E_FORMAT, "kbs policy: min_tcb_status must be UpToDate, SWHardeningNeeded, "
                                                  "ConfigurationNeeded, OutOfDate or any");
        } else if (strcmp(k, "measurements") == 0) {
            rc = parse_measurements(meas, v, err);
        } else {
            rc = vt_err_set(err, VT_E_FORMAT, "kbs policy: unknown key %.32s", k);
        }
        if (rc != VT_OK)
            goto out;
    }
    if (env == NULL) {
        rc = vt_err_set(err, VT_E_FORMAT, "kbs policy: environment is required");
        goto out;
    }
    out = json_pack("{s:s, s:O, s:b, s:b, s:s, s:O}", "environment", env, "platforms", plat, "hardware_attested", hw,
                    "allow_warning", warn, "min_tcb_status", tcb, "measurements", meas);
    *canon_out = out != NULL ? json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    rc = *canon_out != NULL ? VT_OK : vt_err_set(err, VT_E_NOMEM, "kbs policy: out of memory");
out:
    json_decref(in);
    json_decref(out);
    json_decref(plat);
    json_decref(meas);
    return rc;
}

static vt_status refuse(char *clause, size_t clause_len, const char *name, vt_err *err, const char *detail)
{
    snprintf(clause, clause_len, "%s", name);
    return vt_err_set(err, VT_E_POLICY, "kbs: %s: %s", name, detail);
}

vt_status vt_kbs_policy_check(const char *policy, const vt_kbs_subject *s, char *clause, size_t clause_len,
                              vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    json_t *p = json_loads(policy, 0, NULL), *plat, *meas, *v;
    const char *env, *tcb;
    size_t i;
    bool found;

    snprintf(clause, clause_len, "policy");
    env = json_string_value(json_object_get(p, "environment"));
    tcb = json_string_value(json_object_get(p, "min_tcb_status"));
    plat = json_object_get(p, "platforms");
    meas = json_object_get(p, "measurements");
    if (env == NULL || tcb == NULL || !json_is_array(plat) || !json_is_object(meas)) {
        rc = refuse(clause, clause_len, "policy", err, "the stored policy is not canonical");
        goto out;
    }
    if (s->environment == NULL || strcmp(env, s->environment) != 0) {
        rc = refuse(clause, clause_len, "environment", err, "the passport is for another environment");
        goto out;
    }
    found = json_array_size(plat) == 0;
    json_array_foreach(plat, i, v)
        if (s->tee_type != NULL && strcmp(json_string_value(v), s->tee_type) == 0)
            found = true;
    if (!found) {
        rc = refuse(clause, clause_len, "platforms", err, "the passport's TEE type is not allowed");
        goto out;
    }
    if (json_is_true(json_object_get(p, "hardware_attested")) && !s->hardware_attested) {
        rc = refuse(clause, clause_len, "hardware_attested", err, "the passport is not hardware attested");
        goto out;
    }
    if (s->status == NULL || (strcmp(s->status, "affirming") != 0 &&
                              !(strcmp(s->status, "warning") == 0 && json_is_true(json_object_get(p, "allow_warning"))))) {
        rc = refuse(clause, clause_len, "status", err, "the passport is not affirming");
        goto out;
    }
    if (strcmp(tcb, "any") != 0 &&
        (s->tcb_status == NULL || vt__tcb_rank(s->tcb_status) < 0 || vt__tcb_rank(s->tcb_status) > vt__tcb_rank(tcb))) {
        rc = refuse(clause, clause_len, "min_tcb_status", err, "the platform's TCB status is below the minimum");
        goto out;
    }
    for (i = 0; i < 4; i++) {
        const char *want = json_string_value(json_object_get(meas, comp_names[i]));
        const char *got = s->measured[VT_SUBMOD_MODEL + i];
        char name[40];
        if (want == NULL)
            continue;
        if (got == NULL || strlen(got) != strlen(want) || !vt_ct_equal(got, want, strlen(want))) {
            snprintf(name, sizeof(name), "measurements.%s", comp_names[i]);
            rc = refuse(clause, clause_len, name, err, "the measured digest differs from the policy's");
            goto out;
        }
    }
    clause[0] = '\0';
    rc = VT_OK;
out:
    json_decref(p);
    return rc;
}
