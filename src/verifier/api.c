/* The verifier's HTTP API.  Each handler is a pure function of the request
 * view; the worker's store connection comes in req->thread_ctx. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/json.h"
#include "base/json_tokens.h"
#include "crypto/jose_int.h"
#include "verifier/log_reply.h"
#include "verifier/verifier.h"

#define NONCE_LEN VF_NONCE_LEN
#define MAX_COLLATERAL 64
#define MAX_EVIDENCE ((size_t)1 << 20)

static vs_store *store_of(const vt_http_req *req)
{
    return (vs_store *)req->thread_ctx;
}

/* Replies with j (stolen) as JSON. */
static void reply(vt_http_resp *resp, int status, json_t *j)
{
    vt_buf s;

    vt_buf_init(&s); /* our compact writer: the same bytes as json_dumps, without its measuring pass */
    if (j == NULL || vt__json_dump_buf(&s, j, JSON_COMPACT | JSON_PRESERVE_ORDER, NULL) != VT_OK ||
        vt_buf_terminate(&s, NULL) != VT_OK || vt_http_reply_json(resp, status, (const char *)s.data, NULL) != VT_OK)
        vt_http_reply_error(resp, 500, "internal", "cannot encode the reply");
    vt_buf_free(&s);
    json_decref(j);
}

#define LOG_UNAVAILABLE "the transparency log cannot record this now; try again"

/* The log's sequencer has logged the failure's detail already (log.c). */
static void reply_log_error(vt_http_resp *resp)
{
    vt_http_reply_error(resp, 503, "log_unavailable", LOG_UNAVAILABLE);
}

/* Parses the body as one JSON object; on failure replies 400 and returns NULL. */
static json_t *body_object(vt_http_resp *resp, const vt_http_req *req)
{
    json_error_t je;
    json_t *j;

    if (req->body_len == 0) {
        vt_http_reply_error(resp, 400, "bad_json", "the request needs a JSON object body");
        return NULL;
    }
    j = vt__json_loadb((const char *)req->body, req->body_len, JSON_REJECT_DUPLICATES, &je); /* json_loadb, faster */
    if (j == NULL) {
        vt_http_reply_error(resp, 400, "bad_json", "body is not JSON: %s at line %d column %d", je.text, je.line,
                            je.column);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        vt_http_reply_error(resp, 400, "bad_json", "body must be a JSON object");
        return NULL;
    }
    return j;
}

static char *fmt_time(char out[32], vt_time t)
{
    vt_time_format(out, t);
    return out;
}

/* ---- health, metrics, keys ---- */

static void h_healthz(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    vs_store *st = store_of(req);
    vt_err e = { 0 };

    (void)ctx;
    if (st->ops->ping(st, &e) != VT_OK) {
        vf_reply_store_error(resp, &e);
        return;
    }
    reply(resp, 200, json_pack("{s:s, s:s, s:s}", "status", "ok", "store", st->backend, "version", VT_VERSION_STRING));
}

static void h_metrics(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    vf_service *svc = ctx;
    vt_buf b;

    (void)req;
    vt_buf_init(&b);
    if (vt_metrics_render(&b, svc->metrics, NULL) != VT_OK ||
        vt_http_reply_text(resp, 200, "text/plain; version=0.0.4; charset=utf-8", (const char *)b.data, b.len, NULL) !=
            VT_OK)
        vt_http_reply_error(resp, 500, "internal", "cannot render metrics");
    vt_buf_free(&b);
}

static void h_jwks(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    vf_service *svc = ctx;
    char *s = NULL;
    vt_err e = { 0 };
    vt_status rc;

    json_t *doc = NULL;

    (void)req;
    pthread_rwlock_rdlock(&svc->kr_lock);
    rc = vt_keyring_jwks(&s, svc->kr, vt_time_now(), &e);
    pthread_rwlock_unlock(&svc->kr_lock);
    /* The set also names the "iss" its passports carry, so a relying party that
     * trusts this URL can refuse a passport another issuer made (RFC 7517 §5:
     * members a reader does not know are ignored). */
    if (rc == VT_OK)
        doc = json_loads(s, 0, NULL);
    if (doc == NULL || json_object_set_new(doc, "issuer", json_string(svc->cfg.issuer)) != 0)
        vt_http_reply_error(resp, 500, "internal", "cannot publish keys: %s", e.msg[0] ? e.msg : "out of memory");
    else
        reply(resp, 200, json_incref(doc));
    json_decref(doc);
    free(s);
}

/* ---- challenges ---- */

static void h_challenge(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    vf_service *svc = ctx;
    uint8_t n[NONCE_LEN];
    char hex[2 * NONCE_LEN + 1], ts[32];
    vt_time now = vt_time_now(), exp = now + svc->cfg.challenge_ttl;
    vt_err e = { 0 };

    if (vf_challenges_issue(svc->challenges, n, now, &e) != VT_OK) { /* nothing is stored */
        vt_http_reply_error(resp, 500, "internal", "no randomness");
        return;
    }
    vt_hex_encode(hex, n, sizeof(n));
    vt_metrics_inc(svc->metrics, "verifier_challenges_total", "", 1);
    reply(resp, 201, json_pack("{s:s, s:s, s:I}", "nonce", hex, "expires_at", fmt_time(ts, exp), "expires_in",
                               (json_int_t)svc->cfg.challenge_ttl));
}

/* ---- evidence inputs shared by attest and verify ---- */

static bool get_evidence(vt_http_resp *resp, vt_buf *out, json_t *body)
{
    const char *b64 = json_string_value(json_object_get(body, "evidence"));
    vt_err e = { 0 };

    if (b64 == NULL) {
        vt_http_reply_error(resp, 400, "bad_request", "evidence (base64 string) is required");
        return false;
    }
    if (strlen(b64) > MAX_EVIDENCE * 4 / 3 + 4 || vt_base64_decode(out, b64, strlen(b64), &e) != VT_OK) {
        vt_http_reply_error(resp, 400, "bad_request", "evidence: not base64 within %zu bytes%s%s", MAX_EVIDENCE,
                            e.msg[0] ? ": " : "", e.msg);
        return false;
    }
    return true;
}

static bool get_platform(vt_http_resp *resp, vt_tee_kind *out, json_t *body)
{
    json_t *p = json_object_get(body, "platform");
    vt_err e = { 0 };

    *out = VT_TEE_NONE;
    if (p == NULL || json_is_null(p))
        return true;
    if (!json_is_string(p) || vt_tee_parse(out, json_string_value(p), &e) != VT_OK) {
        vt_http_reply_error(resp, 400, "bad_request", "platform: %s", e.msg[0] ? e.msg : "must be a string");
        return false;
    }
    return true;
}

/* "collateral" (or "certs"): {"name": base64, ...}. */
static bool get_collateral(vt_http_resp *resp, vt_collateral **out, json_t *body)
{
    json_t *m = json_object_get(body, "collateral"), *v;
    const char *name;
    vt_err e = { 0 };
    vt_buf b;

    *out = NULL;
    if (m == NULL)
        m = json_object_get(body, "certs");
    if (m == NULL || json_is_null(m))
        return true;
    if (!json_is_object(m) || json_object_size(m) > MAX_COLLATERAL) {
        vt_http_reply_error(resp, 400, "bad_request", "collateral: an object of at most %d name: base64 entries",
                            MAX_COLLATERAL);
        return false;
    }
    if (vt_collateral_new(out, &e) != VT_OK) {
        vt_http_reply_error(resp, 503, "out_of_memory", "cannot hold collateral");
        return false;
    }
    json_object_foreach(m, name, v)
    {
        const char *s = json_string_value(v);
        vt_status rc;
        if (s == NULL || strchr(name, '/') != NULL || name[0] == '.' || name[0] == '\0') {
            vt_http_reply_error(resp, 400, "bad_request", "collateral: entry '%.64s' must be a base64 string under a plain name", name);
            goto fail;
        }
        vt_buf_init(&b);
        rc = vt_base64_decode(&b, s, strlen(s), &e);
        if (rc == VT_OK)
            rc = vt_collateral_add(*out, name, b.data, b.len, &e);
        vt_buf_free(&b);
        if (rc != VT_OK) {
            vt_http_reply_error(resp, 400, "bad_request", "collateral %.64s: %s", name, e.msg);
            goto fail;
        }
    }
    return true;
fail:
    vt_collateral_free(*out);
    *out = NULL;
    return false;
}

/* public_key: a JWK (object or its JSON text) or PEM text. */
static bool get_pubkey(vt_http_resp *resp, vt_pkey **out, json_t *body)
{
    json_t *k = json_object_get(body, "public_key");
    vt_err e = { 0 };
    vt_status rc;

    *out = NULL;
    if (k == NULL || json_is_null(k)) {
        vt_http_reply_error(resp, 400, "bad_request", "public_key (JWK or PEM) is required");
        return false;
    }
    if (json_is_object(k)) {
        rc = vt__jwk_from_object(out, k, &e); /* the tree as read, not its text read again */
    } else if (json_is_string(k) && strncmp(json_string_value(k), "-----BEGIN", 10) == 0) {
        rc = vt_pkey_from_pem(out, json_string_value(k), json_string_length(k), &e);
    } else if (json_is_string(k)) {
        rc = vt_jwk_to_pkey(out, json_string_value(k), json_string_length(k), &e);
    } else {
        rc = vt_err_set(&e, VT_E_FORMAT, "must be a JWK object or PEM text");
    }
    if (rc != VT_OK) {
        vt_http_reply_error(resp, 400, "bad_public_key", "public_key: %s", e.msg);
        return false;
    }
    return true;
}

/* report_data = SHA-512(nonce || raw public key), raw = vt_pkey_public_raw (EC: X||Y). */
static bool bind_report_data(vt_http_resp *resp, uint8_t rd[VT_REPORT_DATA_LEN], const uint8_t *nonce,
                             size_t nonce_len, const vt_pkey *k)
{
    vt_buf raw;
    vt_err e = { 0 };
    vt_status rc;

    vt_buf_init(&raw);
    rc = vt_pkey_public_raw(&raw, k, &e);
    if (rc == VT_OK)
        rc = vt_report_data_bind(rd, nonce, nonce_len, raw.data, raw.len, &e);
    vt_buf_free(&raw);
    if (rc != VT_OK)
        vt_http_reply_error(resp, 400, "bad_public_key", "public_key: %s", e.msg);
    return rc == VT_OK;
}

static bool get_log(vt_http_resp *resp, vt_mlog **out, json_t *body)
{
    json_t *l = json_object_get(body, "log");
    vt_err e = { 0 };
    char *text = NULL;
    vt_status rc;

    *out = NULL;
    if (l == NULL || json_is_null(l))
        return true;
    if (json_is_object(l)) {
        text = json_dumps(l, JSON_COMPACT | JSON_PRESERVE_ORDER);
        rc = text == NULL ? vt_err_set(&e, VT_E_NOMEM, "out of memory")
                          : vt_mlog_parse(out, (const uint8_t *)text, strlen(text), &e);
        free(text);
    } else if (json_is_string(l)) {
        rc = vt_mlog_parse(out, (const uint8_t *)json_string_value(l), json_string_length(l), &e);
    } else {
        rc = vt_err_set(&e, VT_E_FORMAT, "must be the measurement log object or its JSON text");
    }
    if (rc != VT_OK) {
        vt_http_reply_error(resp, 400, "bad_log", "log: %s", e.msg);
        return false;
    }
    return true;
}

/* The JSON form of a stored passport (GET /v1/passports/{id}). */
static json_t *passport_json(const vs_passport *p, bool with_claims)
{
    char a[32], b[32];
    json_t *comp = json_loads(p->components, 0, NULL);
    json_t *j = json_pack("{s:s, s:s, s:b, s:s, s:s, s:o, s:s, s:s, s:s, s:s}", "id", p->id, "environment",
                          p->environment, "hardware_attested", p->hardware_attested, "tee_type", p->tee_type,
                          "measurement", p->measurement, "measurements", comp != NULL ? comp : json_object(),
                          "status", p->status, "issued_at", fmt_time(a, p->issued_at), "expires_at",
                          fmt_time(b, p->expires_at), "token", p->token);

    /* The primary measurement's value under the name other "AI passport" services use. */
    if (j != NULL && strchr(p->measurement, ':') != NULL)
        json_object_set_new(j, "mrenclave", json_string(strchr(p->measurement, ':') + 1));
    if (j != NULL && with_claims && p->platform_claims != NULL) {
        json_t *pc = json_loads(p->platform_claims, 0, NULL);
        if (pc != NULL)
            json_object_set_new(j, "platform_claims", pc);
    }
    return j;
}

/* ---- POST /v1/attest ---- */

struct attest_in {
    json_t *body;
    vt_buf evidence;
    vt_collateral *coll;
    vt_pkey *pub;
    vt_mlog *log;
    char *env_json;
    char *attester_jwk;
    char *claims_json;
    char *token;
    char *components;
};

static void attest_free(struct attest_in *a)
{
    json_decref(a->body);
    vt_buf_free(&a->evidence);
    vt_collateral_free(a->coll);
    vt_pkey_free(a->pub);
    vt_mlog_free(a->log);
    free(a->env_json);
    free(a->attester_jwk);
    free(a->claims_json);
    free(a->token);
    free(a->components);
}

/* [{"component","status","reason"}] for each submodule with a reason. */
static json_t *appraisal_reasons(const vt_appraisal *ap)
{
    json_t *reasons = json_array();

    for (int s = 0; reasons != NULL && s < VT_SUBMOD_COUNT; s++) {
        const vt_appraisal_sub *sub = &ap->sub[s];
        if (sub->reason[0] != '\0')
            json_array_append_new(reasons, json_pack("{s:s, s:s, s:s}", "component", vt_submod_name((vt_submod)s),
                                                     "status", vt_ear_status_name(sub->status), "reason",
                                                     sub->reason));
    }
    return reasons;
}

/* 403 with the appraisal: {"error":{...}, "status":"contraindicated", "environment", "tee_type",
 * "tcb_status", "reasons":[...], "submods":{name: {"status", "trustworthiness_vector"}}}. */
static void reply_contraindicated(vt_http_resp *resp, const vt_appraisal *ap, const vt_env *env, vt_tee_kind k,
                                  json_t *reasons)
{
    char msg[300] = "";
    json_t *subs = json_object(), *j;

    for (int s = 0; s < VT_SUBMOD_COUNT; s++) {
        const vt_appraisal_sub *sub = &ap->sub[s];
        json_t *tv = json_object();
        for (int t = 0; t < VT_AR4SI_COUNT; t++)
            if (sub->tv[t] != 0)
                json_object_set_new(tv, vt_ar4si_name((vt_ar4si)t), json_integer(sub->tv[t]));
        json_object_set_new(subs, vt_submod_name((vt_submod)s),
                            json_pack("{s:s, s:o}", "status", vt_ear_status_name(sub->status),
                                      "trustworthiness_vector", tv));
        if (msg[0] == '\0' && sub->status == VT_EAR_CONTRAINDICATED)
            snprintf(msg, sizeof(msg), "%s", sub->reason); /* reasons name their submodule */
    }
    snprintf(resp->code, sizeof(resp->code), "%s", "contraindicated");
    j = json_pack("{s:{s:s, s:s}, s:s, s:s, s:s, s:s, s:O, s:o}", "error", "code", "contraindicated", "message",
                  msg, "status", "contraindicated", "environment", env->id, "tee_type", vt_tee_name(k), "tcb_status",
                  ap->tcb_status, "reasons", reasons != NULL ? reasons : json_null(), "submods", subs);
    if (j == NULL)
        vt_http_reply_error(resp, 403, "contraindicated", "%s", msg);
    else
        reply(resp, 403, j);
}

/* Collateral the evidence needs and the request lacks (TDX: Intel PCS), fetched and cached. */
static void fetch_opts(vt_verify_opts *vo, const vf_service *svc)
{
    vo->fetch = !svc->cfg.offline;
    vo->fetch_cache_dir = svc->fetch_cache;
    vo->pcs_url = svc->cfg.pcs_url;
    vo->root_crl_url = svc->cfg.root_crl_url;
    vo->rim_url = svc->cfg.rim_url;
    vo->ocsp_url = svc->cfg.ocsp_url;
    vo->refresh_before_s = VF_COLLATERAL_REFRESH_S;
}

/* What the attest reply needs once the passport is committed. */
struct attest_out {
    vf_service *svc;
    vs_passport row; /* owns its token, components and platform claims */
    json_t *reasons;
    char tcb_status[48];
};

static void attest_logged(vt_http_resp *resp, void *ctx, const uint64_t *index, vt_status rc, const vt_err *err)
{
    struct attest_out *o = ctx;
    char labels[96];
    json_t *pj;

    if (resp != NULL && (rc != VT_OK || index[0] == VF_LOG_CONFLICT)) {
        reply_log_error(resp);
    } else if (resp != NULL) {
        snprintf(labels, sizeof(labels), "platform=\"%s\",status=\"%s\"", o->row.tee_type, o->row.status);
        vt_metrics_inc(o->svc->metrics, "verifier_verdicts_total", labels, 1);
        pj = passport_json(&o->row, false);
        reply(resp, 201, json_pack("{s:s, s:s, s:s, s:O, s:O, s:s, s:I}", "id", o->row.id, "status", o->row.status,
                                   "token", o->row.token, "passport", pj, "reasons", o->reasons, "tcb_status",
                                   o->tcb_status, "log_index", (json_int_t)index[0]));
        json_decref(pj);
    }
    json_decref(o->reasons);
    vs_passport_clear(&o->row);
    free(o);
}

static void h_attest(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    vf_service *svc = ctx;
    vs_store *st = store_of(req);
    struct attest_in a;
    vt_env env;
    vt_tee_kind platform;
    vt_verify_opts vo;
    vt_result *res = NULL;
    vt_appraisal ap;
    vt_passport_claims pc;
    vs_passport row;
    vs_take take;
    vt_time issued = 0, now = vt_time_now();
    uint8_t nonce[64], rd[VT_REPORT_DATA_LEN];
    const char *nonce_hex, *env_id, *kid = NULL;
    char labels[96];
    json_t *reasons = NULL, *comp = NULL;
    struct attest_out *after = NULL;
    vt_err e = { 0 };
    vt_status rc;

    memset(&a, 0, sizeof(a));
    memset(&pc, 0, sizeof(pc));
    memset(&row, 0, sizeof(row));
    vt_buf_init(&a.evidence);
    vf_log_expect(svc->log, +1); /* a passport's entry is on its way (until out:) */
    a.body = body_object(resp, req);
    if (a.body == NULL)
        goto out;
    nonce_hex = json_string_value(json_object_get(a.body, "nonce"));
    env_id = json_string_value(json_object_get(a.body, "environment"));
    if (nonce_hex == NULL || strlen(nonce_hex) != 2 * NONCE_LEN ||
        vt_hex_decode(nonce, NONCE_LEN, nonce_hex, strlen(nonce_hex), &e) != VT_OK) {
        vt_http_reply_error(resp, 400, "bad_request", "nonce: the %d hex characters from POST /v1/challenge",
                            2 * NONCE_LEN);
        goto out;
    }
    if (env_id == NULL || !vt_env_id_valid(env_id)) {
        vt_http_reply_error(resp, 400, "bad_request", "environment: a registered environment id is required");
        goto out;
    }
    if (!get_evidence(resp, &a.evidence, a.body) || !get_platform(resp, &platform, a.body) ||
        !get_collateral(resp, &a.coll, a.body) || !get_pubkey(resp, &a.pub, a.body) || !get_log(resp, &a.log, a.body))
        goto out;
    rc = st->ops->env_get(st, &a.env_json, NULL, env_id, &e);
    if (rc == VT_E_NOTFOUND) {
        vt_http_reply_error(resp, 404, "environment_unknown", "no environment '%s' (PUT /v1/environments/%s first)",
                            env_id, env_id);
        goto out;
    }
    if (rc != VT_OK) {
        vf_reply_store_error(resp, &e);
        goto out;
    }
    if (vt_env_parse(&env, a.env_json, strlen(a.env_json), NULL, &e) != VT_OK) {
        vt_http_reply_error(resp, 500, "internal", "stored environment %s does not parse: %s", env_id, e.msg);
        goto out;
    }
    /* The nonce is spent before anything expensive: a replay cannot race the first use. */
    rc = vf_challenges_take(svc->challenges, st, &take, &issued, nonce, now, &e);
    if (rc == VT_E_LIMIT) {
        vt_http_reply_error(resp, 503, "too_many_challenges", "too many challenges in use; try again shortly");
        goto out;
    }
    if (rc != VT_OK) {
        vf_reply_store_error(resp, &e);
        goto out;
    }
    if (take != VS_TAKE_OK) {
        static const char *const code[] = { "", "nonce_unknown", "nonce_used", "nonce_expired" };
        static const int status[] = { 200, 400, 409, 410 };
        static const char *const msg[] = { "", "this verifier never issued that nonce (POST /v1/challenge)",
                                           "the nonce was already used (replay)",
                                           "the nonce expired; ask for a new challenge" };
        vt_metrics_inc(svc->metrics, "verifier_nonce_rejections_total", take == VS_TAKE_USED ? "reason=\"used\""
                                                                        : take == VS_TAKE_EXPIRED ? "reason=\"expired\""
                                                                                                  : "reason=\"unknown\"",
                       1);
        vt_http_reply_error(resp, status[take], code[take], "%s", msg[take]);
        goto out;
    }
    if (!bind_report_data(resp, rd, nonce, NONCE_LEN, a.pub))
        goto out;

    res = calloc(1, sizeof(*res));
    if (res == NULL) {
        vt_http_reply_error(resp, 503, "out_of_memory", "out of memory");
        goto out;
    }
    memset(&vo, 0, sizeof(vo));
    vo.platform = platform;
    vo.now = now;
    vo.collateral = a.coll;
    vo.expected_report_data = rd;
    vo.expected_report_data_len = sizeof(rd);
    vo.allow_debug = env.allow_debug;
    /* The environment's minimum judges every SEV-SNP report, an Azure CVM's HCL report and a
     * composite's CPU too (the appraisal recomputes a bare SEV-SNP report's status itself). */
    vo.sevsnp_min_tcb = env.snp_min_tcb;
    vo.trust_sim = svc->cfg.trust_sim;
    vo.sim_root_files = svc->cfg.sim_roots;
    vo.sim_root_file_count = svc->cfg.sim_root_count;
    vo.state_dir = svc->cfg.state_dir;
    vo.cache = svc->cache;
    vo.mlog = a.log;
    fetch_opts(&vo, svc);
    rc = vt_evidence_verify(res, a.evidence.data, a.evidence.len, &vo, &e);
    if (rc != VT_OK && rc != VT_E_FORMAT && rc != VT_E_LIMIT && rc != VT_E_UNSUPPORTED) {
        vt_http_reply_error(resp, 400, "bad_request", "%s", e.msg);
        goto out;
    }
    if (rc != VT_OK) {
        snprintf(labels, sizeof(labels), "platform=\"%s\",status=\"unreadable\"", vt_tee_name(res->claims.platform));
        vt_metrics_inc(svc->metrics, "verifier_verdicts_total", labels, 1);
        vt_http_reply_error(resp, 422, "evidence_unreadable", "%s", e.msg);
        goto out;
    }
    if (vt_appraise(&ap, res, a.log, &env, issued, now, &e) != VT_OK) {
        vt_http_reply_error(resp, 500, "internal", "appraisal failed: %s", e.msg);
        goto out;
    }
    reasons = appraisal_reasons(&ap);
    /* Only an appraised TEE gets a passport: a contraindicated one gets the appraisal and 403, and nothing
     * is signed or stored that a relying party checking only the signature could accept. */
    if (ap.status == VT_EAR_CONTRAINDICATED) {
        snprintf(labels, sizeof(labels), "platform=\"%s\",status=\"contraindicated\"",
                 vt_tee_name(res->claims.platform));
        vt_metrics_inc(svc->metrics, "verifier_verdicts_total", labels, 1);
        reply_contraindicated(resp, &ap, &env, res->claims.platform, reasons);
        goto out;
    }

    /* The passport: claims, signature, then the row — committed before the reply. */
    if (vt_passport_new_id(pc.id, &e) != VT_OK || vt_jwk_from_pkey(&a.attester_jwk, a.pub, NULL, &e) != VT_OK ||
        vt_claims_to_json(&a.claims_json, &res->claims, &e) != VT_OK) {
        vt_http_reply_error(resp, 500, "internal", "%s", e.msg);
        goto out;
    }
    snprintf(pc.environment, sizeof(pc.environment), "%s", env.id);
    snprintf(pc.deployment_type, sizeof(pc.deployment_type), "%s", env.deployment_type);
    snprintf(pc.issuer, sizeof(pc.issuer), "%s", svc->cfg.issuer);
    pc.tee_type = res->claims.platform;
    pc.hardware_attested = res->claims.hardware_attested;
    vt_passport_measurement_set(&pc, &res->claims);
    pc.attester_jwk = a.attester_jwk;
    memcpy(pc.nonce, nonce, NONCE_LEN);
    pc.nonce_len = NONCE_LEN;
    pc.iat = now;
    pc.exp = ap.expires; /* iat + passport_lifetime, within the evidence's validity window */
    snprintf(pc.verifier_build, sizeof(pc.verifier_build), "veritee %s", VT_VERSION_STRING);
    pc.appraisal = ap;
    pc.platform_claims = a.claims_json;
    pthread_rwlock_rdlock(&svc->kr_lock);
    {
        const vt_pkey *signer = vt_keyring_current(svc->kr, &kid);
        rc = vt_passport_issue(&a.token, &pc, signer, kid, &e);
    }
    pthread_rwlock_unlock(&svc->kr_lock);
    pc.attester_jwk = NULL; /* owned by a */
    pc.platform_claims = NULL;
    if (rc != VT_OK) {
        vt_http_reply_error(resp, 500, "internal", "cannot sign the passport: %s", e.msg);
        goto out;
    }

    comp = json_object();
    for (int s = VT_SUBMOD_MODEL; s < VT_SUBMOD_COUNT; s++) {
        const vt_appraisal_sub *sub = &ap.sub[s];
        json_object_set_new(comp, vt_submod_name((vt_submod)s),
                            json_pack("{s:s, s:s}", "status", vt_ear_status_name(sub->status), "digest",
                                      sub->measured));
    }
    a.components = json_dumps(comp, JSON_COMPACT | JSON_PRESERVE_ORDER);
    snprintf(row.id, sizeof(row.id), "%s", pc.id);
    snprintf(row.environment, sizeof(row.environment), "%s", env.id);
    snprintf(row.status, sizeof(row.status), "%s", vt_ear_status_name(ap.status));
    snprintf(row.tee_type, sizeof(row.tee_type), "%s", vt_tee_name(pc.tee_type));
    row.hardware_attested = pc.hardware_attested;
    {
        char hex[2 * VT_CLAIM_VALUE_MAX + 1];
        vt_hex_encode(hex, pc.measurement, pc.measurement_len);
        snprintf(row.measurement, sizeof(row.measurement), "%s%s%s", pc.measurement_name,
                 pc.measurement_name[0] ? ":" : "", hex);
    }
    row.issued_at = pc.iat;
    row.expires_at = pc.exp;
    row.token = a.token;
    row.components = a.components;
    row.platform_claims = a.claims_json;
    if (a.components == NULL) {
        vt_http_reply_error(resp, 503, "out_of_memory", "out of memory");
        goto out;
    }
    /* The passport is issued only once its row and its log entry are committed (one transaction). */
    after = calloc(1, sizeof(*after));
    if (after == NULL) {
        vt_http_reply_error(resp, 503, "out_of_memory", "out of memory");
        goto out;
    }
    after->svc = svc;
    after->row = row; /* the row's strings move from a to after */
    a.token = a.components = a.claims_json = NULL;
    memset(&row, 0, sizeof(row));
    after->reasons = reasons;
    reasons = NULL;
    snprintf(after->tcb_status, sizeof(after->tcb_status), "%s", ap.tcb_status);
    {
        vf_log_entry le = vf_log_passport_entry(&after->row);
        vf_reply_after_log(resp, req, svc->log, &le, 1, attest_logged, after);
    }
out:
    vf_log_expect(svc->log, -1); /* appended, or not coming */
    json_decref(reasons);
    json_decref(comp);
    memset(&row, 0, sizeof(row)); /* its pointers belong to a */
    vt_passport_claims_clear(&pc);
    free(res);
    attest_free(&a);
}

/* ---- POST /v1/verify (stateless) ---- */

static void h_verify(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    vf_service *svc = ctx;
    json_t *body = body_object(resp, req);
    vt_buf ev, nb;
    vt_collateral *coll = NULL;
    vt_pkey *pub = NULL;
    vt_verify_opts vo;
    vt_result *res = NULL;
    uint8_t rd[VT_REPORT_DATA_LEN] = { 0 };
    const char *rd_hex, *nonce_hex, *at;
    char *s = NULL, labels[96];
    vt_err e = { 0 };
    vt_status rc;

    vt_buf_init(&ev);
    vt_buf_init(&nb);
    if (body == NULL)
        goto out;
    memset(&vo, 0, sizeof(vo));
    if (!get_evidence(resp, &ev, body) || !get_platform(resp, &vo.platform, body) ||
        !get_collateral(resp, &coll, body))
        goto out;
    rd_hex = json_string_value(json_object_get(body, "report_data"));
    nonce_hex = json_string_value(json_object_get(body, "nonce"));
    if (rd_hex != NULL && nonce_hex != NULL) {
        vt_http_reply_error(resp, 400, "bad_request", "give report_data or nonce (+ public_key), not both");
        goto out;
    }
    if (rd_hex != NULL) {
        if (vt_hex_decode_buf(&nb, rd_hex, strlen(rd_hex), VT_REPORT_DATA_LEN, &e) != VT_OK) {
            vt_http_reply_error(resp, 400, "bad_request", "report_data: %s", e.msg);
            goto out;
        }
        memcpy(rd, nb.data, nb.len);
        vo.expected_report_data = rd;
        vo.expected_report_data_len = sizeof(rd);
    } else if (nonce_hex != NULL) {
        if (vt_hex_decode_buf(&nb, nonce_hex, strlen(nonce_hex), 1024, &e) != VT_OK || nb.len == 0) {
            vt_http_reply_error(resp, 400, "bad_request", "nonce: hex of 1..1024 bytes");
            goto out;
        }
        if (json_object_get(body, "public_key") != NULL) {
            if (!get_pubkey(resp, &pub, body) || !bind_report_data(resp, rd, nb.data, nb.len, pub))
                goto out;
        } else if (vt_report_data_bind(rd, nb.data, nb.len, NULL, 0, &e) != VT_OK) {
            vt_http_reply_error(resp, 400, "bad_request", "nonce: %s", e.msg);
            goto out;
        }
        vo.expected_report_data = rd;
        vo.expected_report_data_len = sizeof(rd);
    }
    res = calloc(1, sizeof(*res));
    if (res == NULL) {
        vt_http_reply_error(resp, 503, "out_of_memory", "out of memory");
        goto out;
    }
    vo.now = vt_time_now();
    at = json_string_value(json_object_get(body, "at"));
    if (at != NULL && vt_time_parse(&vo.now, at, &e) != VT_OK) {
        vt_http_reply_error(resp, 400, "bad_request", "at: %s", e.msg);
        goto out;
    }
    vo.collateral = coll;
    vo.allow_debug = json_is_true(json_object_get(body, "allow_debug"));
    vo.allow_missing_collateral = json_is_true(json_object_get(body, "allow_missing_collateral"));
    vo.strict = json_is_true(json_object_get(body, "strict"));
    vo.trust_sim = svc->cfg.trust_sim;
    vo.sim_root_files = svc->cfg.sim_roots;
    vo.sim_root_file_count = svc->cfg.sim_root_count;
    vo.state_dir = svc->cfg.state_dir;
    vo.cache = svc->cache;
    fetch_opts(&vo, svc);
    rc = vt_evidence_verify(res, ev.data, ev.len, &vo, &e);
    if (rc == VT_E_ARG) {
        vt_http_reply_error(resp, 400, "bad_request", "%s", e.msg);
        goto out;
    }
    snprintf(labels, sizeof(labels), "platform=\"%s\",status=\"%s\"", vt_tee_name(res->claims.platform),
             vt_verdict_name(res->verdict));
    vt_metrics_inc(svc->metrics, "verifier_stateless_verdicts_total", labels, 1);
    if (vt_result_to_json(&s, res, &e) != VT_OK || vt_http_reply_json(resp, 200, s, NULL) != VT_OK)
        vt_http_reply_error(resp, 500, "internal", "cannot encode the result");
out:
    free(s);
    free(res);
    vt_pkey_free(pub);
    vt_collateral_free(coll);
    vt_buf_free(&ev);
    vt_buf_free(&nb);
    json_decref(body);
}

/* ---- passports ---- */

static bool query_flag(const vt_http_req *req, const char *name)
{
    char v[8];
    return vt_http_query_get(v, sizeof(v), req->query, name, NULL) == VT_OK &&
           (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
}

static void h_passport_get(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    vs_store *st = store_of(req);
    vs_passport p;
    vt_err e = { 0 };
    vt_status rc;

    (void)ctx;
    rc = st->ops->passport_get(st, &p, req->params[0], &e);
    if (rc == VT_E_NOTFOUND)
        vt_http_reply_error(resp, 404, "passport_unknown", "no passport '%.64s'", req->params[0]);
    else if (rc != VT_OK)
        vf_reply_store_error(resp, &e);
    else
        reply(resp, 200, passport_json(&p, query_flag(req, "attestation")));
    vs_passport_clear(&p);
}

static vt_status list_one(void *arg, const vs_passport *p, vt_err *err)
{
    json_t *j = passport_json(p, false);
    if (j == NULL || json_array_append_new((json_t *)arg, j) != 0)
        return vt_err_set(err, VT_E_NOMEM, "out of memory");
    return VT_OK;
}

static void h_passport_list(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    vs_store *st = store_of(req);
    char env[VT_ENV_ID_MAX], lim[16];
    size_t limit = 50;
    bool has_env;
    json_t *arr = json_array();
    vt_err e = { 0 };

    (void)ctx;
    has_env = vt_http_query_get(env, sizeof(env), req->query, "environment", NULL) == VT_OK;
    if (has_env && !vt_env_id_valid(env)) {
        vt_http_reply_error(resp, 400, "bad_request", "environment: not a valid environment id");
        json_decref(arr);
        return;
    }
    if (vt_http_query_get(lim, sizeof(lim), req->query, "limit", NULL) == VT_OK) {
        char *end = NULL;
        unsigned long v = strtoul(lim, &end, 10);
        if (end == lim || *end != '\0' || v == 0 || v > VS_LIST_MAX) {
            vt_http_reply_error(resp, 400, "bad_request", "limit: 1..%d", VS_LIST_MAX);
            json_decref(arr);
            return;
        }
        limit = v;
    }
    if (st->ops->passport_list(st, has_env ? env : NULL, limit, list_one, arr, &e) != VT_OK) {
        json_decref(arr);
        vf_reply_store_error(resp, &e);
        return;
    }
    reply(resp, 200, json_pack("{s:o}", "passports", arr));
}

/* ---- environments ---- */

static bool admin_ok(vt_http_resp *resp, const vt_http_req *req, const vf_service *svc)
{
    const char *h = req->authorization;
    size_t n;

    if (svc->cfg.admin_token == NULL) {
        vt_http_reply_error(resp, 403, "admin_disabled",
                            "no admin token is configured (--admin-token-file or VERITEE_ADMIN_TOKEN)");
        return false;
    }
    if (h == NULL || strncmp(h, "Bearer ", 7) != 0) {
        vt_http_reply_error(resp, 401, "unauthorized", "this endpoint needs Authorization: Bearer <admin token>");
        return false;
    }
    h += 7;
    n = strlen(h);
    /* Length first (it is not secret: the token is random and fixed-size), then constant time. */
    if (n != svc->cfg.admin_token_len || !vt_ct_equal(h, svc->cfg.admin_token, n)) {
        vt_http_reply_error(resp, 403, "forbidden", "the admin token does not match");
        return false;
    }
    return true;
}

bool vf_admin_ok(vt_http_resp *resp, const vt_http_req *req, const vf_service *svc)
{
    return admin_ok(resp, req, svc);
}

static void h_env_put(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    vf_service *svc = ctx;
    vs_store *st = store_of(req);
    vt_env *env = NULL;
    char *canon = NULL;
    vt_err e = { 0 };

    if (!admin_ok(resp, req, svc))
        return;
    if (!vt_env_id_valid(req->params[0])) {
        vt_http_reply_error(resp, 400, "bad_request", "environment id: 1..63 of [A-Za-z0-9._-]");
        return;
    }
    env = calloc(1, sizeof(*env));
    if (env == NULL) {
        vt_http_reply_error(resp, 503, "out_of_memory", "out of memory");
        return;
    }
    if (req->body_len > 0 && req->body[0] != '{' && req->body[0] != ' ' && req->body[0] != '\n') {
        vt_http_reply_error(resp, 400, "bad_json", "body must be a JSON object");
    } else if (vt_env_parse(env, (const char *)req->body, req->body_len, req->params[0], &e) != VT_OK) {
        vt_http_reply_error(resp, 400, "invalid_environment", "%s", e.msg);
    } else if (vt_env_to_json(&canon, env, &e) != VT_OK) {
        vt_http_reply_error(resp, 500, "internal", "%s", e.msg);
    } else if (st->ops->env_put(st, NULL, env->id, canon, vt_time_now(), &e) != VT_OK) {
        vf_reply_store_error(resp, &e);
    } else if (vt_http_reply_json(resp, 200, canon, NULL) != VT_OK) {
        vt_http_reply_error(resp, 500, "internal", "out of memory");
    }
    free(canon);
    free(env);
}

/* ---- keys ---- */

/* POST /v1/admin/keys/{kid}/revoke: the key leaves the JWKS now; a new key signs if it was current. */
static void h_key_revoke(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    vf_service *svc = ctx;
    char cur[VT_JWS_KID_MAX];
    vt_err e = { 0 };
    vt_status rc;

    if (!admin_ok(resp, req, svc))
        return;
    rc = vf_revoke(svc, req->params[0], cur, &e);
    if (rc == VT_E_ARG)
        vt_http_reply_error(resp, 400, "bad_request", "kid: %s", e.msg);
    else if (rc == VT_E_NOTFOUND)
        vt_http_reply_error(resp, 404, "key_unknown", "no signing key '%.64s'", req->params[0]);
    else if (rc != VT_OK)
        vt_http_reply_error(resp, 500, "internal", "cannot revoke the key: %s", e.msg);
    else
        reply(resp, 200, json_pack("{s:s, s:s}", "revoked", req->params[0], "current", cur));
}

static void h_env_get(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    vs_store *st = store_of(req);
    char *json = NULL;
    vt_err e = { 0 };
    vt_status rc;

    (void)ctx;
    rc = st->ops->env_get(st, &json, NULL, req->params[0], &e);
    if (rc == VT_E_NOTFOUND)
        vt_http_reply_error(resp, 404, "environment_unknown", "no environment '%.64s'", req->params[0]);
    else if (rc != VT_OK)
        vf_reply_store_error(resp, &e);
    else if (vt_http_reply_json(resp, 200, json, NULL) != VT_OK)
        vt_http_reply_error(resp, 500, "internal", "out of memory");
    free(json);
}

/* GET /v1/environments/{id}/signed: the document GET /v1/environments/{id} serves, as a compact JWS
 * by the passport signing key (vt_env_token_issue; docs/verifier.md "Signed environments"), with its
 * revision (the store's count of its PUTs), for relying parties that take reference values only
 * from the verifier whose keys they trust, and refuse a revision older than one they took. */
static void h_env_signed(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    vf_service *svc = ctx;
    vs_store *st = store_of(req);
    char *json = NULL, *tok = NULL;
    const char *kid = NULL;
    uint64_t rev = 0;
    vt_err e = { 0 };
    vt_status rc;

    rc = st->ops->env_get(st, &json, &rev, req->params[0], &e);
    if (rc == VT_E_NOTFOUND) {
        vt_http_reply_error(resp, 404, "environment_unknown", "no environment '%.64s'", req->params[0]);
        goto out;
    }
    if (rc != VT_OK) {
        vf_reply_store_error(resp, &e);
        goto out;
    }
    pthread_rwlock_rdlock(&svc->kr_lock);
    {
        const vt_pkey *signer = vt_keyring_current(svc->kr, &kid);
        rc = vt_env_token_issue(&tok, json, strlen(json), svc->cfg.issuer, vt_time_now(), rev, signer, kid, &e);
    }
    pthread_rwlock_unlock(&svc->kr_lock);
    if (rc != VT_OK)
        vt_http_reply_error(resp, 500, "internal", "cannot sign environment '%.64s': %s", req->params[0], e.msg);
    else if (vt_http_reply_text(resp, 200, "application/jose", tok, strlen(tok), NULL) != VT_OK)
        vt_http_reply_error(resp, 500, "internal", "out of memory");
out:
    free(tok);
    free(json);
}

static vt_status env_one(void *arg, const char *json, vt_err *err)
{
    json_t *j = json_loads(json, 0, NULL);
    if (j == NULL || json_array_append_new((json_t *)arg, j) != 0)
        return vt_err_set(err, VT_E_FORMAT, "stored environment does not parse");
    return VT_OK;
}

static void h_env_list(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    vs_store *st = store_of(req);
    json_t *arr = json_array();
    vt_err e = { 0 };

    (void)ctx;
    if (st->ops->env_list(st, env_one, arr, &e) != VT_OK) {
        json_decref(arr);
        vf_reply_store_error(resp, &e);
        return;
    }
    reply(resp, 200, json_pack("{s:o}", "environments", arr));
}

/* ---- receipts: durable in the transparency log (docs/log.md) ---- */

/* The enclave key of the last passport looked up (a batch's receipts mostly name one), with its
 * thumbprint and its claims. */
struct receipt_keys {
    char passport[48];
    vt_pkey *key;
    char thumb[44];
    vt_passport_claims pc; /* what the receipt must agree with (vt_receipt_check_passport) */
};

static void receipt_keys_clear(struct receipt_keys *keys)
{
    vt_pkey_free(keys->key);
    vt_passport_claims_clear(&keys->pc);
    memset(keys, 0, sizeof(*keys));
}

/* What receipt_check's key lookup saw, for the reply when it fails. */
struct receipt_lookup {
    vs_store *st;
    struct receipt_keys *keys;
    bool asked;    /* the token parsed and the key was looked up */
    int status;    /* set when the lookup failed */
    const char *code;
};

/* vt_receipt_key_fn: the enclave key of the passport the (unverified) receipt names. */
static vt_status receipt_key_for(const vt_pkey **key, const char **thumb, const vt_receipt *r, void *arg, vt_err *err)
{
    struct receipt_lookup *l = arg;
    struct receipt_keys *keys = l->keys;
    vs_passport p;
    vt_passport_claims *pc = &keys->pc;
    vt_status rc = VT_OK;

    l->asked = true;
    if (keys->key != NULL && strcmp(keys->passport, r->passport) == 0)
        goto found;
    memset(&p, 0, sizeof(p));
    receipt_keys_clear(keys);
    rc = l->st->ops->passport_get(l->st, &p, r->passport, err);
    if (rc == VT_E_NOTFOUND) {
        l->status = 422;
        l->code = "passport_unknown";
        rc = vt_err_set(err, VT_E_NOTFOUND, "the receipt names passport '%.64s', which this verifier did not issue",
                        r->passport);
    } else if (rc != VT_OK) {
        l->status = 503;
        l->code = "store_unavailable";
        rc = vf_store_failed(err, rc);
    } else if (vt_passport_decode(pc, p.token, strlen(p.token), err) != VT_OK || pc->attester_jwk == NULL ||
               vt_jwk_to_pkey(&keys->key, pc->attester_jwk, strlen(pc->attester_jwk), err) != VT_OK ||
               vt_jwk_thumbprint(keys->thumb, keys->key, err) != VT_OK) {
        l->status = 500;
        l->code = "internal";
        rc = vt_err_set(err, VT_E_INTERNAL, "stored passport has no usable enclave key");
        receipt_keys_clear(keys);
    } else {
        snprintf(keys->passport, sizeof(keys->passport), "%s", r->passport);
    }
    vs_passport_clear(&p);
    if (rc != VT_OK)
        return rc;
found:
    *key = keys->key;
    *thumb = keys->thumb;
    return VT_OK;
}

/*
 * Checks one receipt: it decodes, names a passport this verifier issued,
 * verifies under that passport's enclave key — one parse of the token — and
 * the passport covers it (same environment and model, served while it was
 * valid: what `veritee receipt verify` requires of it).  On
 * failure fills status, code and msg for the reply.  r is filled on success
 * (caller clears it).
 */
static vt_status receipt_check(vt_receipt *r, int *status, const char **code, char *msg, size_t msg_len,
                               vs_store *st, struct receipt_keys *keys, const char *tok, size_t len)
{
    struct receipt_lookup l = { .st = st, .keys = keys };
    vt_err e = { 0 };
    vt_status rc;

    memset(r, 0, sizeof(*r));
    if (len == 0 || len > VT_RECEIPT_MAX) {
        *status = 400;
        *code = "bad_request";
        snprintf(msg, msg_len, "token: the receipt (compact JWS) is required");
        return VT_E_FORMAT;
    }
    rc = vt_receipt_verify_with(r, tok, len, receipt_key_for, &l, &e);
    if (rc == VT_OK)
        rc = vt_receipt_check_passport(r, &keys->pc, &e);
    if (rc == VT_OK)
        return VT_OK;
    vt_receipt_clear(r);
    if (!l.asked) { /* it did not decode */
        *status = 400;
        *code = "bad_receipt";
    } else if (l.status != 0) {
        *status = l.status;
        *code = l.code;
    } else {
        *status = 422;
        *code = "receipt_invalid";
    }
    snprintf(msg, msg_len, "%s", e.msg);
    return rc;
}

/* What the reply to POST /v1/receipts needs once the receipt is committed. */
struct receipt_out {
    json_t *body; /* holds the token the log entry points to */
    vt_receipt r;
};

static void receipt_logged(vt_http_resp *resp, void *ctx, const uint64_t *index, vt_status rc, const vt_err *err)
{
    struct receipt_out *o = ctx;

    if (resp != NULL && rc == VT_E_LIMIT)
        vt_http_reply_error(resp, 413, "receipt_too_large", "%s", err->msg);
    else if (resp != NULL && rc != VT_OK)
        reply_log_error(resp);
    else if (resp != NULL && index[0] == VF_LOG_CONFLICT)
        vt_http_reply_error(resp, 409, "receipt_conflict", "another receipt is logged under the id '%.64s'", o->r.id);
    else if (resp != NULL)
        reply(resp, 201, json_pack("{s:s, s:s, s:s, s:I}", "id", o->r.id, "passport", o->r.passport, "verdict",
                                   o->r.verdict, "log_index", (json_int_t)index[0]));
    vt_receipt_clear(&o->r);
    json_decref(o->body);
    free(o);
}

/* POST /v1/receipts {"token"}: kept only when it verifies under the enclave key of the passport it names;
 * acknowledged once it is committed to the log. */
static void h_receipt_post(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    vf_service *svc = ctx;
    vs_store *st = store_of(req);
    json_t *body = body_object(resp, req);
    const char *tok = body != NULL ? json_string_value(json_object_get(body, "token")) : NULL;
    struct receipt_keys keys;
    struct receipt_out *o = NULL;
    vt_receipt r;
    const char *code = NULL;
    char msg[300];
    int status = 0;

    memset(&r, 0, sizeof(r));
    memset(&keys, 0, sizeof(keys));
    if (body == NULL)
        return;
    if (receipt_check(&r, &status, &code, msg, sizeof(msg), st, &keys, tok != NULL ? tok : "",
                      tok != NULL ? strlen(tok) : 0) != VT_OK) {
        vt_http_reply_error(resp, status, code, "%s", msg);
        goto out;
    }
    if ((o = calloc(1, sizeof(*o))) == NULL) {
        vt_http_reply_error(resp, 503, "out_of_memory", "out of memory");
        goto out;
    }
    o->body = body; /* body and r move to o */
    o->r = r;
    body = NULL;
    memset(&r, 0, sizeof(r));
    {
        vf_log_entry le = { .kind = "receipt", .ref = o->r.id, .data = (const uint8_t *)tok, .len = strlen(tok) };
        vf_reply_after_log(resp, req, svc->log, &le, 1, receipt_logged, o);
    }
out:
    receipt_keys_clear(&keys);
    vt_receipt_clear(&r);
    json_decref(body);
}

/* One receipt token of a batch: a slice of the token reader's text or of a jansson string. */
struct batch_tok {
    const char *p;
    size_t len;
};

/*
 * The batch body a gateway sends, {"receipts": [token, ...]}, read without a
 * tree: the token reader (a strict subset of what body_object's jansson load
 * takes) and each token a slice of its text.  `perf` had the tree of a full
 * batch at 12% of the verifier.  false: another shape, a NUL in a string (the
 * tree refuses that), an empty or too large batch, or out of memory; the tree
 * then decides, with its own errors.
 */
static bool batch_tokens(vt_jt_list *l, const vt_http_req *req, size_t cap, struct batch_tok **out, size_t *n)
{
    size_t k;

    *out = NULL;
    if (req->body_len == 0 || !vt__json_tokens(l, req->body, req->body_len, cap + 5, 3) || l->n < 6 ||
        !vt__jt_key_is(l, &l->t[1], "receipts") || l->t[2].kind != VT_JT_ARR ||
        memchr(l->text.data, 0, l->text.len) != NULL)
        return false;
    *n = l->n - 5; /* {, "receipts", [, the tokens, ], } */
    for (k = 3; k < l->n - 2; k++)
        if (l->t[k].kind != VT_JT_STR)
            return false;
    if (*n > cap || (*out = calloc(*n, sizeof(**out))) == NULL)
        return false;
    for (k = 0; k < *n; k++) {
        (*out)[k].p = (const char *)vt__jt_str(l, &l->t[k + 3]);
        (*out)[k].len = l->t[k + 3].len;
    }
    return true;
}

/* The batch's tokens from the tree; false when it has replied (400, 413). */
static bool batch_tree(vt_http_resp *resp, const vt_http_req *req, size_t cap, bool gateway, json_t **body,
                       struct batch_tok **out, size_t *n)
{
    json_t *arr;

    if ((*body = body_object(resp, req)) == NULL)
        return false;
    arr = json_object_get(*body, "receipts");
    *n = json_array_size(arr);
    if (!json_is_array(arr) || *n == 0) {
        vt_http_reply_error(resp, 400, "bad_request", "receipts: a non-empty array of receipt tokens is required");
        return false;
    }
    if (*n > cap) {
        vt_http_reply_error(resp, 413, "batch_too_large", "receipts: %zu in one batch, at most %zu%s", *n, cap,
                            gateway ? "" : " without gateway authentication");
        return false;
    }
    if ((*out = calloc(*n, sizeof(**out))) == NULL) {
        vt_http_reply_error(resp, 503, "out_of_memory", "cannot hold the batch");
        return false;
    }
    for (size_t i = 0; i < *n; i++) { /* a non-string is an empty token: refused on its own */
        const char *tok = json_string_value(json_array_get(arr, i));
        (*out)[i].p = tok != NULL ? tok : "";
        (*out)[i].len = tok != NULL ? strlen(tok) : 0;
    }
    return true;
}

/* A batch between its check and its reply: the tokens (slices of the request body,
 * of l's text or of body's strings) stay valid until it is freed. */
struct batch {
    json_t *body, *results;
    vt_jt_list l;
    struct batch_tok *toks;
    vt_receipt *rs;
    vf_log_entry *ents;
    int *which; /* receipt i's entry, or -1 when refused */
    size_t n, nok;
};

static void batch_free(struct batch *b)
{
    for (size_t i = 0; b->rs != NULL && i < b->n; i++)
        vt_receipt_clear(&b->rs[i]);
    free(b->rs);
    free(b->ents);
    free(b->which);
    free(b->toks);
    json_decref(b->results);
    json_decref(b->body);
    vt__json_tokens_free(&b->l);
    free(b);
}

static void batch_logged(vt_http_resp *resp, void *ctx, const uint64_t *index, vt_status rc, const vt_err *err)
{
    struct batch *b = ctx;
    size_t accepted = 0;

    if (resp != NULL && rc != VT_OK) {
        reply_log_error(resp);
    } else if (resp != NULL) {
        for (size_t i = 0; i < b->n; i++) {
            if (b->which[i] < 0)
                continue;
            if (index[b->which[i]] == VF_LOG_CONFLICT) { /* not logged: refused on its own */
                json_array_set_new(b->results, i, json_pack("{s:{s:s, s:s}}", "error", "code", "receipt_conflict",
                                                            "message", "another receipt is logged under its id"));
                continue;
            }
            json_array_set_new(b->results, i, json_pack("{s:s, s:I}", "id", b->rs[i].id, "log_index",
                                                        (json_int_t)index[b->which[i]]));
            accepted++;
        }
        reply(resp, 200, json_pack("{s:I, s:O}", "accepted", (json_int_t)accepted, "results", b->results));
    }
    batch_free(b);
}

/*
 * POST /v1/receipts:batch {"receipts": [token, ...]}: each receipt checked as by
 * POST /v1/receipts, the valid ones appended to the log together (one commit
 * when they fit one sequencer batch).  200 {"accepted": n, "results": [{"id",
 * "log_index"} | {"error": {"code","message"}}, ...]} in the order sent, once
 * every accepted receipt is durable (the loop serves others meanwhile); a
 * receipt refused for its content does not fail the others.  503 when the log
 * cannot commit (none is acknowledged).
 * At most VF_RECEIPT_BATCH_MAX receipts (VF_RECEIPT_BATCH_ANON without gateway
 * authentication).
 */
static void h_receipt_batch(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    const struct vf_call *call = ctx;
    vf_service *svc = call->svc;
    vs_store *st = store_of(req);
    size_t cap = call->gateway ? VF_RECEIPT_BATCH_MAX : VF_RECEIPT_BATCH_ANON;
    struct receipt_keys keys;
    struct batch *b = calloc(1, sizeof(*b));

    memset(&keys, 0, sizeof(keys));
    if (b == NULL) {
        vt_http_reply_error(resp, 503, "out_of_memory", "cannot hold the batch");
        return;
    }
    if (!batch_tokens(&b->l, req, cap, &b->toks, &b->n)) {
        free(b->toks);
        b->toks = NULL;
        if (!batch_tree(resp, req, cap, call->gateway, &b->body, &b->toks, &b->n))
            goto fail;
    }
    b->rs = calloc(b->n, sizeof(*b->rs));
    b->ents = calloc(b->n, sizeof(*b->ents));
    b->which = calloc(b->n, sizeof(*b->which));
    b->results = json_array();
    if (b->rs == NULL || b->ents == NULL || b->which == NULL || b->results == NULL) {
        vt_http_reply_error(resp, 503, "out_of_memory", "cannot hold the batch");
        goto fail;
    }
    for (size_t i = 0; i < b->n; i++) {
        const char *code = NULL;
        char msg[300];
        int status = 0;
        b->which[i] = -1;
        if (receipt_check(&b->rs[i], &status, &code, msg, sizeof(msg), st, &keys, b->toks[i].p, b->toks[i].len) !=
            VT_OK) {
            if (status >= 500) { /* the store, not the receipt: the whole batch is retried */
                vt_http_reply_error(resp, status, code, "%s", msg);
                goto fail;
            }
            json_array_append_new(b->results, json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", msg));
            continue;
        }
        b->ents[b->nok].kind = "receipt";
        b->ents[b->nok].ref = b->rs[i].id;
        b->ents[b->nok].data = (const uint8_t *)b->toks[i].p;
        b->ents[b->nok].len = b->toks[i].len;
        b->which[i] = (int)b->nok++;
        json_array_append_new(b->results, json_null());
    }
    receipt_keys_clear(&keys);
    if (b->nok == 0) { /* nothing to wait for */
        batch_logged(resp, b, NULL, VT_OK, NULL);
        return;
    }
    vf_reply_after_log(resp, req, svc->log, b->ents, b->nok, batch_logged, b);
    return;
fail:
    receipt_keys_clear(&keys);
    batch_free(b);
}

static void h_receipt_get(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    vs_store *st = store_of(req);
    vt_receipt r;
    uint64_t index = 0;
    char *tok = NULL;
    size_t len = 0;
    vt_err e = { 0 };
    vt_status rc;

    (void)ctx;
    memset(&r, 0, sizeof(r));
    rc = st->log->find(st, &index, &tok, &len, "receipt", req->params[0], &e);
    if (rc == VT_E_NOTFOUND)
        vt_http_reply_error(resp, 404, "receipt_unknown", "no receipt '%.64s'", req->params[0]);
    else if (rc != VT_OK)
        vf_reply_store_error(resp, &e);
    else if (vt_receipt_decode(&r, tok, len, &e) != VT_OK)
        vt_http_reply_error(resp, 500, "internal", "stored receipt does not decode: %s", e.msg);
    else
        reply(resp, 200, json_pack("{s:s, s:s, s:s, s:I}", "id", r.id, "passport", r.passport, "token", tok,
                                   "log_index", (json_int_t)index));
    vt_receipt_clear(&r);
    free(tok);
}

static bool takes_call(vt_http_handler fn)
{
    return fn == h_receipt_batch || vf_keys_takes_call(fn);
}

vt_status vf_routes(vf_service *svc, vt_err *err);
vt_status vf_log_routes(vf_service *svc, vt_err *err);
vt_status vf_web_routes(vf_service *svc, vt_err *err);
vt_status vf_mcp_routes(vf_service *svc, vt_err *err);
vt_status vf_compat_routes(vf_service *svc, vt_err *err);
vt_status vf_routes(vf_service *svc, vt_err *err)
{
    static const struct {
        const char *method, *pattern;
        vt_http_handler fn;
    } t[] = {
        { "GET", "/healthz", h_healthz },
        { "GET", "/metrics", h_metrics },
        { "GET", "/.well-known/jwks.json", h_jwks },
        { "POST", "/v1/challenge", h_challenge },
        { "POST", "/v1/attest", h_attest },
        { "POST", "/v1/verify", h_verify },
        { "GET", "/v1/passports", h_passport_list },
        { "GET", "/v1/passports/{id}", h_passport_get },
        { "GET", "/v1/environments", h_env_list },
        { "GET", "/v1/environments/{id}", h_env_get },
        { "GET", "/v1/environments/{id}/signed", h_env_signed },
        { "PUT", "/v1/environments/{id}", h_env_put },
        { "POST", "/v1/receipts", h_receipt_post },
        { "POST", "/v1/receipts:batch", h_receipt_batch },
        { "GET", "/v1/receipts/{id}", h_receipt_get },
        { "POST", "/v1/admin/keys/{kid}/revoke", h_key_revoke },
    };
    vt_status rc = VT_OK;

    vt_http_router_init(&svc->router);
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]) && rc == VT_OK; i++)
        rc = vt_http_router_add(&svc->router, t[i].method, t[i].pattern, t[i].fn, svc, err);
    if (rc == VT_OK)
        rc = vf_log_routes(svc, err); /* log_api.c */
    if (rc == VT_OK)
        rc = vf_web_routes(svc, err); /* web.c: the Observer */
    if (rc == VT_OK)
        rc = vf_mcp_routes(svc, err); /* mcp.c */
    if (rc == VT_OK)
        rc = vf_compat_routes(svc, err); /* compat.c: other services' names */
    if (rc == VT_OK)
        rc = vf_keys_routes(svc, err); /* keys.c: the key broker */
    if (rc == VT_OK) /* last: it wraps every route added above */
        rc = vf_admit_init(svc, takes_call, err); /* admit.c: every route behind admission */
    return rc;
}
