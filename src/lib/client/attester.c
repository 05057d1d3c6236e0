/* The attester side of the verifier's /v1/attest (include/veritee/attester.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/json.h"
#include "client/client.h"
#include "crypto/jose_int.h"
#include "veritee/attester.h"
#include "veritee/jws.h"
#include "veritee/passport.h"
#include "veritee/register.h"
#include "veritee/sim.h"

vt_status vt_attester_evidence(vt_buf *ev_out, vt_collateral *coll_out, vt_tee_kind *kind_out,
                               const vt_attester_opts *o, const vt_mlog *log, const uint8_t *nonce,
                               size_t nonce_len, const vt_pkey *key, vt_err *err)
{
    uint8_t rd[VT_REPORT_DATA_LEN], reg[VT_REGISTER_LEN];
    vt_register_spec spec;
    vt_buf raw;
    vt_status rc;

    vt_buf_init(&raw);
    rc = vt_pkey_public_raw(&raw, key, err);
    if (rc == VT_OK)
        rc = vt_report_data_bind(rd, nonce, nonce_len, raw.data, raw.len, err);
    vt_buf_free(&raw);
    if (rc != VT_OK)
        return rc;
    /* A platform without a register: the log is bound into report_data at every attestation. */
    vt_register_spec_get(&spec, o->platform);
    if (spec.binding == VT_REGISTER_REPORT_DATA && log != NULL) {
        rc = vt_register_bind_report_data(rd, rd, log, err);
        if (rc != VT_OK)
            return rc;
    }
    if (o->simulate && o->platform == VT_TEE_TDX) {
        vt_sim_tdx_opts so;
        if (log == NULL)
            return vt_err_set(err, VT_E_ARG, "attester: simulated TDX needs the measurement log (RTMR3)");
        rc = vt_mlog_replay(reg, log, err);
        if (rc != VT_OK)
            return rc;
        memset(&so, 0, sizeof(so));
        so.version = 4;
        so.debug = o->debug;
        so.rtmr3 = reg;
        so.now = vt_time_now();
        so.state_dir = o->state_dir;
        so.same_machine = true; /* an attester is one machine: its PCK does not change per quote */
        memcpy(so.report_data, rd, sizeof(rd));
        *kind_out = VT_TEE_TDX;
        return vt_sim_tdx(ev_out, coll_out, &so, err);
    }
    if (o->simulate && o->platform == VT_TEE_SEVSNP) {
        vt_sim_sevsnp_opts so;
        memset(&so, 0, sizeof(so));
        so.debug = o->debug;
        so.now = vt_time_now();
        so.state_dir = o->state_dir;
        memcpy(so.report_data, rd, sizeof(rd));
        *kind_out = VT_TEE_SEVSNP;
        return vt_sim_sevsnp(ev_out, coll_out, &so, err);
    }
    if (o->simulate && o->platform == VT_TEE_NITRO) {
        /* The simulated NSM reports the PCR 16 the gateway extended and locked (register.h). */
        vt_sim_nitro_opts so;
        memset(&so, 0, sizeof(so));
        so.debug = o->debug;
        so.nonce = rd;
        so.nonce_len = sizeof(rd);
        so.now = vt_time_now();
        so.state_dir = o->state_dir;
        *kind_out = VT_TEE_NITRO;
        return vt_sim_nitro(ev_out, &so, err);
    }
    /* A simulated TPM is a software TPM (swtpm) at tpm_tcti: collected like a real one. */
    if (o->simulate && o->platform != VT_TEE_TPM)
        return vt_err_set(err, VT_E_ARG, "attester: simulation needs platform tdx, sevsnp, nitro or tpm");
    {
        vt_collect_opts co;
        memset(&co, 0, sizeof(co));
        co.platform = o->platform;
        co.state_dir = o->state_dir;
        co.sysroot = o->sysroot;
        co.tpm_tcti = o->tpm_tcti;
        co.tpm_hw_certs = o->tpm_hw_certs;
        co.certs_out = coll_out;
        memcpy(co.report_data, rd, sizeof(rd));
        return vt_evidence_collect(ev_out, kind_out, &co, err);
    }
}

/* The collateral as a JSON object of base64 members (the attest request's "collateral"). */
static vt_status collateral_object(json_t **out, const vt_collateral *c, vt_err *err)
{
    json_t *obj = json_object();
    vt_status rc = obj == NULL ? vt_err_set(err, VT_E_NOMEM, "attester: out of memory") : VT_OK;

    for (size_t i = 0; rc == VT_OK && c != NULL && i < vt_collateral_count(c); i++) {
        const char *name;
        size_t len;
        const uint8_t *p = vt_collateral_get(c, i, &name, &len);
        vt_buf b;
        vt_buf_init(&b);
        rc = vt_base64_encode(&b, p, len, false, err);
        if (rc == VT_OK && json_object_set_new(obj, name, json_stringn((const char *)b.data, b.len)) != 0)
            rc = vt_err_set(err, VT_E_NOMEM, "attester: out of memory");
        vt_buf_free(&b);
    }
    if (rc != VT_OK) {
        json_decref(obj);
        obj = NULL;
    }
    *out = obj;
    return rc;
}

vt_status vt_attester_collateral_json(char **json_out, const vt_collateral *c, vt_err *err)
{
    json_t *obj = NULL;
    vt_status rc = collateral_object(&obj, c, err);

    *json_out = NULL;
    if (rc == VT_OK) {
        *json_out = json_dumps(obj, JSON_COMPACT);
        if (*json_out == NULL)
            rc = vt_err_set(err, VT_E_NOMEM, "attester: out of memory");
    }
    json_decref(obj);
    return rc;
}

/* A JSON text this module made, back as a tree (the token reader's fast load). */
static json_t *load_own(const char *text)
{
    return text != NULL ? vt__json_loadb(text, strlen(text), 0, NULL) : NULL;
}

/* POST base+path; *out gets the parsed 2xx JSON object reply, or along with the error the
 * refusal's object (a refused appraisal's result, or {"error":{...}}). */
static vt_status call(json_t **out, const vt_attester_opts *o, vt_http_conn *conn, const char *path, const char *body,
                      vt_err *err)
{
    vt_http_client_opts co;
    json_t *refusal = NULL;
    char url[2048], *authz = NULL;
    vt_status rc;

    *out = NULL;
    if (snprintf(url, sizeof(url), "%s%s", o->verifier_url, path) >= (int)sizeof(url))
        return vt_err_set(err, VT_E_ARG, "attester: verifier URL too long");
    memset(&co, 0, sizeof(co));
    co.timeout_ms = o->timeout_ms;
    co.conn = conn;
    if (o->auth_passport != NULL && o->auth_key != NULL) {
        rc = vt_passport_auth_sign(&authz, o->auth_passport, o->auth_key, "POST", url, (const uint8_t *)body,
                                   body != NULL ? strlen(body) : 0, vt_time_now(), err);
        if (rc != VT_OK)
            return rc;
        co.authorization = authz;
    }
    rc = vt__client_call(out, &refusal, "POST", url, body, &co, err);
    free(authz);
    if (rc != VT_OK) {
        *out = refusal; /* a refused appraisal (403 "contraindicated") carries the appraisal result: keep it */
        return rc;
    }
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        rc = vt_err_set(err, VT_E_FORMAT, "POST %s: the reply is not a JSON object", url);
    }
    return rc;
}

/* Whether a refusal's object is {"error":{"code":code,...}}. */
/* The verifier's reply as compact text, members in its order (our writer: the pretty form is
 * the CLI's to make, not every attestation's). NULL when out of memory. */
static char *reply_text(const json_t *reply)
{
    vt_buf b;
    char *s = NULL;

    vt_buf_init(&b);
    if (vt__json_dump_buf(&b, reply, JSON_COMPACT | JSON_PRESERVE_ORDER, NULL) == VT_OK &&
        (s = malloc(b.len + 1)) != NULL) {
        memcpy(s, b.data, b.len);
        s[b.len] = '\0';
    }
    vt_buf_free(&b);
    return s;
}

static bool error_code_is(const json_t *reply, const char *code)
{
    const char *c = json_string_value(json_object_get(json_object_get(reply, "error"), "code"));
    return c != NULL && strcmp(c, code) == 0;
}

/*
 * One round: a challenge, evidence bound to its nonce and key, the attest on the same
 * connection.  *reply: the verifier's answer to the attest (or its refusal's object); out->kind:
 * the platform of the evidence sent; out->nonce: the challenge it answered.
 */
static vt_status attempt(json_t **reply, vt_attester_result *out, const vt_attester_opts *o, vt_http_conn *conn,
                         const vt_mlog *log, const char *logtxt, json_t *jwk, const vt_pkey *key, vt_err *err)
{
    json_t *ch = NULL, *body = NULL, *collobj = NULL;
    const char *nonce_hex;
    uint8_t *nonce = out->nonce;
    vt_tee_kind *kind = &out->kind;
    size_t nonce_len = 0;
    vt_collateral *coll = NULL;
    vt_buf ev, b64, bodytxt;
    vt_status rc;

    *reply = NULL;
    vt_buf_init(&ev);
    vt_buf_init(&b64);
    vt_buf_init(&bodytxt);
    /* 1. challenge */
    rc = call(&ch, o, conn, "/v1/challenge", NULL, err);
    nonce_hex = rc == VT_OK ? json_string_value(json_object_get(ch, "nonce")) : NULL;
    if (rc == VT_OK && (nonce_hex == NULL || strlen(nonce_hex) == 0 || strlen(nonce_hex) % 2 != 0 ||
                        strlen(nonce_hex) > 128))
        rc = vt_err_set(err, VT_E_FORMAT, "attester: the verifier's challenge has no usable nonce");
    out->nonce_len = 0;
    if (rc == VT_OK) {
        nonce_len = strlen(nonce_hex) / 2;
        rc = vt_hex_decode(nonce, nonce_len, nonce_hex, strlen(nonce_hex), err);
    }
    if (rc == VT_OK)
        out->nonce_len = nonce_len;
    /* 2. evidence bound to nonce and key */
    if (rc == VT_OK)
        rc = vt_collateral_new(&coll, err);
    if (rc == VT_OK)
        rc = vt_attester_evidence(&ev, coll, kind, o, log, nonce, nonce_len, key, err);
    if (rc == VT_OK)
        rc = vt_base64_encode(&b64, ev.data, ev.len, false, err);
    if (rc == VT_OK)
        rc = vt_buf_terminate(&b64, err);
    if (rc == VT_OK)
        rc = collateral_object(&collobj, coll, err);
    /* 3. attest */
    if (rc == VT_OK) {
        body = json_pack("{s:s%, s:s, s:o, s:O, s:s, s:s, s:O}", "evidence", (const char *)b64.data, b64.len,
                         "platform", vt_tee_name(*kind), "log", load_own(logtxt), "public_key", jwk, "nonce",
                         nonce_hex, "environment", o->environment, "collateral", collobj);
        /* s:O above took references: jwk and collobj are still ours to release */
        if (body == NULL || vt__json_dump_buf(&bodytxt, body, JSON_COMPACT, NULL) != VT_OK ||
            vt_buf_terminate(&bodytxt, NULL) != VT_OK)
            rc = vt_err_set(err, VT_E_NOMEM, "attester: cannot build the request");
    }
    if (rc == VT_OK)
        rc = call(reply, o, conn, "/v1/attest", (const char *)bodytxt.data, err);
    vt_buf_free(&bodytxt);
    json_decref(collobj);
    vt_collateral_free(coll);
    vt_buf_free(&ev);
    vt_buf_free(&b64);
    json_decref(ch);
    json_decref(body);
    return rc;
}

vt_status vt_attester_run(vt_attester_result *out, const vt_attester_opts *o, const vt_mlog *log,
                          const vt_pkey *key, vt_err *err)
{
    json_t *reply = NULL, *jwk = NULL;
    char *logtxt = NULL;
    vt_http_conn *conn = NULL; /* the run's own connection when the caller keeps none */
    vt_http_conn *use;         /* the challenge's connection, kept for the attest */
    vt_status rc;
    bool refused = false; /* a contraindicated appraisal: out describes it */

    memset(out, 0, sizeof(*out));
    if (o->verifier_url == NULL || o->environment == NULL || log == NULL || key == NULL)
        return vt_err_set(err, VT_E_ARG, "attester: verifier URL, environment, log and key are required");
    rc = vt__jwk_object(&jwk, key, NULL, err); /* the tree, not its text read back */
    if (rc == VT_OK)
        rc = vt_mlog_to_json(&logtxt, log, err);
    if (rc == VT_OK && o->conn == NULL)
        rc = vt_http_conn_new(&conn, err);
    use = o->conn != NULL ? o->conn : conn;
    /* A verifier that does not know the nonce it issued (a SQLite verifier restarted between
     * the challenge and the attest: its challenges live in its process) is asked once more. */
    if (rc == VT_OK)
        rc = attempt(&reply, out, o, use, log, logtxt, jwk, key, err);
    if (rc != VT_OK && error_code_is(reply, "nonce_unknown")) {
        json_decref(reply);
        rc = attempt(&reply, out, o, use, log, logtxt, jwk, key, err);
    }
    if (rc == VT_E_POLICY && reply != NULL && json_is_string(json_object_get(reply, "status")) &&
        strcmp(json_string_value(json_object_get(reply, "status")), "contraindicated") == 0) {
        json_t *r;
        size_t i;
        /* No passport: the status, reason and reply say why; out stays filled for the caller. */
        snprintf(out->status, sizeof(out->status), "%s", "contraindicated");
        out->reply_json = reply_text(reply);
        json_array_foreach(json_object_get(reply, "reasons"), i, r) {
            const char *c = json_string_value(json_object_get(r, "component"));
            const char *m = json_string_value(json_object_get(r, "reason"));
            const char *st = json_string_value(json_object_get(r, "status"));
            if (out->reason[0] == '\0' && c != NULL && m != NULL && st != NULL && strcmp(st, "contraindicated") == 0)
                snprintf(out->reason, sizeof(out->reason), "%s", m); /* names its component */
        }
        refused = true;
    }
    if (rc == VT_OK) {
        const char *token = json_string_value(json_object_get(reply, "token"));
        const char *status = json_string_value(json_object_get(reply, "status"));
        const char *id = json_string_value(json_object_get(reply, "id"));
        json_t *r;
        size_t i;
        if (token == NULL || status == NULL || id == NULL || strlen(id) >= sizeof(out->id) ||
            strlen(status) >= sizeof(out->status)) {
            rc = vt_err_set(err, VT_E_FORMAT, "attester: the verifier's reply has no passport");
        } else {
            snprintf(out->id, sizeof(out->id), "%s", id);
            snprintf(out->status, sizeof(out->status), "%s", status);
            out->token = strdup(token);
            out->reply_json = reply_text(reply);
            if (out->token == NULL || out->reply_json == NULL)
                rc = vt_err_set(err, VT_E_NOMEM, "attester: out of memory");
            json_array_foreach(json_object_get(reply, "reasons"), i, r) {
                const char *c = json_string_value(json_object_get(r, "component"));
                const char *m = json_string_value(json_object_get(r, "reason"));
                if (out->reason[0] == '\0' && c != NULL && m != NULL)
                    snprintf(out->reason, sizeof(out->reason), "%s", m); /* names its component */
            }
        }
    }
    if (rc != VT_OK && !refused)
        vt_attester_result_clear(out);
    json_decref(jwk);
    free(logtxt);
    vt_http_conn_free(conn);
    json_decref(reply);
    return rc;
}

void vt_attester_result_clear(vt_attester_result *r)
{
    if (r == NULL)
        return;
    free(r->token);
    free(r->reply_json);
    memset(r, 0, sizeof(*r));
}
