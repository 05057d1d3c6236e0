/* The key broker (docs/keys.md): resources registered by the admin with a release policy,
 * stored wrapped under the key-encryption key, and released as a JWE to the cnf key of a
 * gateway whose passport (issued here, proven by a signed, nonce-bound request) satisfies it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "base/json.h"
#include "base/json_tokens.h"
#include "verifier/kbs_gen.h"
#include "verifier/keys.h"
#include "verifier/log_reply.h"

#define KEK_FILE "kbs-kek.key"
#define WRAP_LABEL "kbs:" /* the seal key id of resource ID is "kbs:ID:G:" hex(SHA-256(its policy)) */
#define REPLAY_LABEL "veritee-kbs-release-v2"
#define LOG_UNAVAILABLE "the transparency log cannot record the release now"
#define LOG_CHANGE_UNAVAILABLE "the transparency log cannot record the change now; nothing was changed"

static void kbs_release(vt_http_resp *resp, const vt_http_req *req, void *ctx);

vt_status vf_keys_init(vf_service *svc, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    char path[4200];
    uint8_t fresh[32];
    vt_buf b;

    vt_buf_init(&b);
    memset(&svc->kek, 0, sizeof(svc->kek));
    if (svc->cfg.kek_file != NULL)
        snprintf(path, sizeof(path), "%s", svc->cfg.kek_file);
    else if (snprintf(path, sizeof(path), "%s/" KEK_FILE, svc->cfg.state_dir) >= (int)sizeof(path))
        return vt_err_set(err, VT_E_ARG, "verifier: state directory path too long");
    if (svc->cfg.kek_file == NULL && access(path, F_OK) != 0) {
        rc = vt_random(fresh, sizeof(fresh), err);
        if (rc == VT_OK)
            rc = vt_file_create(NULL, path, fresh, sizeof(fresh), 0600, err); /* or the one made meanwhile */
        OPENSSL_cleanse(fresh, sizeof(fresh));
        if (rc != VT_OK)
            goto out;
    }
    rc = vt_file_read_private(&b, path, 128, err);
    if (rc == VT_OK && b.len >= 64 && vt_hex_decode(svc->kek.key, 32, (const char *)b.data, 64, NULL) == VT_OK &&
        (b.len == 64 || (b.len == 65 && b.data[64] == '\n')))
        rc = VT_OK; /* 64 hex characters */
    else if (rc == VT_OK && b.len == 32)
        memcpy(svc->kek.key, b.data, 32); /* 32 raw bytes */
    else if (rc == VT_OK)
        rc = vt_err_set(err, VT_E_FORMAT, "verifier: key-encryption key %s must be 32 bytes or 64 hex characters",
                        path);
    svc->kek.platform = VT_SEAL_MOCK;
    svc->kek.hardware = false;
out:
    if (b.data != NULL)
        OPENSSL_cleanse(b.data, b.len);
    vt_buf_free(&b);
    return rc;
}

void vf_keys_fini(vf_service *svc)
{
    vt_seal_root_wipe(&svc->kek);
    vf_kbs_gen_free(svc->kbs_gen);
    svc->kbs_gen = NULL;
}

/* The log's anchor (STATE/log-size) is fsynced after each commit that holds a registration or
 * revocation: a rollback of only what came after (releases' outcomes, passports, receipts)
 * changes no generation, so a release does not pay for a second fsync. */
vt_status vf_keys_follow(vf_service *svc, vt_err *err)
{
    vt_status rc = svc->kbs_gen != NULL ? VT_OK : vf_kbs_gen_new(&svc->kbs_gen, err);

    if (rc == VT_OK)
        rc = vf_log_follow(svc->log, vf_kbs_gen_learn, vf_kbs_gen_save, vf_kbs_gen_load, svc->kbs_gen, "kbs_resource",
                           err);
    return rc;
}

/* One JSON line on stderr: the admin's audit log (the caller never sees clause or detail). */
static void audit(const char *event, const char *resource, const char *passport, const char *clause,
                  const char *detail)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "level", strcmp(event, "kbs_released") == 0 ? "info" : "warn", "event",
                          event, "resource", resource != NULL ? resource : "", "passport",
                          passport != NULL ? passport : "");
    char *s;

    if (j != NULL && clause != NULL)
        json_object_set_new(j, "clause", json_string(clause));
    if (j != NULL && detail != NULL)
        json_object_set_new(j, "detail", json_string(detail));
    s = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (s != NULL)
        fprintf(stderr, "%s\n", s);
    free(s);
    json_decref(j);
}

/*
 * The seal key id a resource's secret is wrapped under: "kbs:" ID ":" G ":" hex(SHA-256(policy)),
 * G its generation (each registration and revocation of ID takes the next one), the policy as
 * compact JSON with its keys sorted (so a database that reorders them, as PostgreSQL's jsonb
 * would, changes nothing).  Whoever can write the database but not read the KEK cannot loosen a
 * policy, move a secret to another id, or make a record claim another generation: the secret then
 * no longer opens.  *pol_out (the policy's text, to check it by): caller frees.
 */
static vt_status wrap_kid(char kid[160], char hex[65], char **pol_out, const char *id, json_int_t generation,
                          const json_t *policy, vt_err *err)
{
    char *pol = json_is_object(policy) ? json_dumps(policy, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    uint8_t d[32];
    vt_status rc;

    *pol_out = NULL;
    if (pol == NULL)
        return vt_err_set(err, VT_E_FORMAT, "kbs: the stored policy is not an object");
    rc = vt_digest(VT_MD_SHA256, (const uint8_t *)pol, strlen(pol), d, err);
    if (rc != VT_OK) {
        free(pol);
        return rc;
    }
    vt_hex_encode(hex, d, sizeof(d));
    snprintf(kid, 160, WRAP_LABEL "%.63s:%lld:%s", id, (long long)generation, hex);
    *pol_out = pol;
    return VT_OK;
}

/* A record's generation: a positive integer, else 0 (a record from before generations). */
static json_int_t generation_of(const json_t *rec)
{
    const json_t *g = json_object_get(rec, "generation");
    json_int_t v = json_is_integer(g) ? json_integer_value(g) : 0;

    return v > 0 && (uint64_t)v <= VF_KBS_GENERATION_MAX ? v : 0;
}

/* The generation the next change of id takes: one above the log's (the record's when higher:
 * a record from before the log named it). */
static json_int_t next_generation(vf_service *svc, const char *id, const json_t *rec)
{
    uint64_t logged = 0;
    bool registered;
    json_int_t g = generation_of(rec);

    if (svc->kbs_gen != NULL && vf_kbs_gen_get(svc->kbs_gen, id, &logged, &registered) && (json_int_t)logged > g)
        g = (json_int_t)logged;
    return g + 1;
}

/* Whether id's record of generation gen is the one the log says is registered: VT_OK, or the
 * refusal's clause ("revoked", "generation") and its reason in err. */
static vt_status generation_current(const char **clause, vf_service *svc, const char *id, json_int_t gen, vt_err *err)
{
    uint64_t logged = 0;
    bool registered = false, known = vf_kbs_gen_get(svc->kbs_gen, id, &logged, &registered);

    *clause = "generation";
    if (gen == 0)
        return vt_err_set(err, VT_E_POLICY, "kbs: the record carries no generation (registered before generations "
                                            "were bound to secrets): register it again");
    if (known && !registered) {
        *clause = "revoked";
        return vt_err_set(err, VT_E_POLICY, "kbs: the log's last change of the resource is its revocation "
                                            "(generation %llu); the record says generation %lld",
                          (unsigned long long)logged, (long long)gen);
    }
    if (!known)
        return vt_err_set(err, VT_E_POLICY, "kbs: the log names no registration of the resource (the record says "
                                            "generation %lld): register it again", (long long)gen);
    if ((uint64_t)gen != logged)
        return vt_err_set(err, VT_E_POLICY, "kbs: the record is generation %lld, the log's registration is "
                                            "generation %llu", (long long)gen, (unsigned long long)logged);
    *clause = "";
    return VT_OK;
}

/* A resource as the admin sees it: everything but the wrapped secret. */
static json_t *public_view(const char *json)
{
    json_t *j = json_loads(json, 0, NULL);

    if (j != NULL)
        json_object_del(j, "wrapped");
    return j;
}

static void reply_json(vt_http_resp *resp, int status, json_t *j)
{
    char *s = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

    if (s == NULL || vt_http_reply_json(resp, status, s, NULL) != VT_OK)
        vt_http_reply_error(resp, 500, "internal", "cannot encode the reply");
    free(s);
    json_decref(j);
}

#define PUT_SHAPE "body: {\"kind\":\"key\"|\"secret\", \"value\":\"<base64>\", \"policy\":{...}}"
#define PUT_MAX_TOKENS 256 /* a policy is a few members and four measurements */
#define PUT_MAX_DEPTH 4

/*
 * The registration body {"kind":"key"|"secret", "value":"<base64>", "policy":{...}}, read with the
 * token reader, not into a jansson tree: jansson would keep the value in a string of its own,
 * freed unwiped.  The value's text lives only in the token list's buffer (wiped when freed) and
 * is decoded into secret (the caller wipes it).  *kind is static; *pol, *pol_len: the policy's
 * bytes in body.  VT_E_FORMAT with the message for the caller.
 */
static vt_status put_body(vt_buf *secret, const char **kind, const uint8_t **pol, size_t *pol_len,
                          const uint8_t *body, size_t len, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    const vt_jt *val = NULL;
    bool ok, has_policy = false;
    vt_jt_list l;

    memset(&l, 0, sizeof(l));
    *kind = "key";
    ok = vt__json_tokens(&l, body, len, PUT_MAX_TOKENS, PUT_MAX_DEPTH);
    for (size_t i = 1; ok && i + 1 < l.n && l.t[i].kind == VT_JT_KEY; i = vt__jt_skip(&l, i + 1)) {
        const vt_jt *k = &l.t[i], *v = &l.t[i + 1];
        if (vt__jt_key_is(&l, k, "value") && v->kind == VT_JT_STR)
            val = v;
        else if (vt__jt_key_is(&l, k, "policy") && v->kind == VT_JT_OBJ)
            has_policy = true;
        else if (vt__jt_key_is(&l, k, "kind") && v->kind == VT_JT_STR && v->len == 3 &&
                 memcmp(vt__jt_str(&l, v), "key", 3) == 0)
            *kind = "key";
        else if (vt__jt_key_is(&l, k, "kind") && v->kind == VT_JT_STR && v->len == 6 &&
                 memcmp(vt__jt_str(&l, v), "secret", 6) == 0)
            *kind = "secret";
        else
            ok = false; /* another member, or one of another type */
    }
    if (!ok || val == NULL || !has_policy || vt__json_member_raw(pol, pol_len, body, len, "policy", NULL) != VT_OK)
        rc = vt_err_set(err, VT_E_FORMAT, PUT_SHAPE);
    else if (val->len > (VT_KBS_VALUE_MAX + 2) / 3 * 4 || /* its most, before anything is decoded */
             vt_base64_decode(secret, (const char *)vt__jt_str(&l, val), val->len, NULL) != VT_OK ||
             secret->len == 0 || secret->len > VT_KBS_VALUE_MAX)
        rc = vt_err_set(err, VT_E_FORMAT, "value: base64 of 1..%d bytes", VT_KBS_VALUE_MAX);
    else
        rc = VT_OK;
    vt__json_tokens_free(&l); /* wipes the decoded strings */
    return rc;
}

/* A compact JWS of payload (stolen) by the verifier's current passport key, typ typ: the log
 * entries of releases and of registrations and revocations (docs/keys.md).  *tok: caller frees. */
static vt_status sign_entry(char **tok, vf_service *svc, const char *typ, json_t *payload, vt_err *err)
{
    char *text = payload != NULL ? json_dumps(payload, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    const char *kid = NULL;
    vt_status rc;

    *tok = NULL;
    json_decref(payload);
    if (text == NULL)
        return vt_err_set(err, VT_E_NOMEM, "kbs: out of memory");
    pthread_rwlock_rdlock(&svc->kr_lock);
    {
        const vt_pkey *signer = vt_keyring_current(svc->kr, &kid);
        rc = vt_jws_sign(tok, signer, kid, typ, (const uint8_t *)text, strlen(text), err);
    }
    pthread_rwlock_unlock(&svc->kr_lock);
    free(text);
    return rc;
}

/* A registration or revocation on its way to the log: the record is stored once its entry is
 * committed, never before (a change that cannot be logged is not made). */
struct change {
    vs_store *st;              /* the request's worker's (the reply runs on its loop) */
    char id[64], ref[96];      /* ref "<id>:<generation>" */
    const char *event;         /* "registered" or "revoked" */
    char *stored, *entry;      /* owned: the record, the signed entry */
};

static void change_free(struct change *c)
{
    if (c == NULL)
        return;
    free(c->stored);
    free(c->entry);
    free(c);
}

/* The change's second half, once its entry is committed (on the request's loop).  resp NULL:
 * the server is gone, and with it, maybe, the worker's store: the record is not stored, and
 * since releases follow the log, the old record opens nothing (register again). */
static void change_logged(vt_http_resp *resp, void *ctx, const uint64_t *index, vt_status rc, const vt_err *err)
{
    struct change *c = ctx;
    vt_err e = { 0 };
    json_t *j;

    if (rc == VT_OK && index[0] == VF_LOG_CONFLICT) { /* another change took this generation first */
        audit("kbs_error", c->id, NULL, "log", "another change of the resource was logged at its generation");
        if (resp != NULL)
            vt_http_reply_error(resp, 409, "resource_conflict", "another change of '%s' was logged at generation %s;"
                                " nothing was changed: try again", c->id, strchr(c->ref, ':') + 1);
    } else if (rc != VT_OK) {
        audit("kbs_error", c->id, NULL, "log", err != NULL ? err->msg : "");
        if (resp != NULL)
            vt_http_reply_error(resp, 503, "log_unavailable", LOG_CHANGE_UNAVAILABLE);
    } else if (resp == NULL) {
        audit("kbs_error", c->id, NULL, "store", "logged; not stored: the verifier is stopping");
    } else if (c->st->keys->put(c->st, c->id, c->stored, vt_time_now(), &e) != VT_OK) {
        /* Logged, not stored: the log is what releases follow, so the old record opens nothing. */
        audit("kbs_error", c->id, NULL, "store", e.msg);
        vf_reply_store_error(resp, &e);
    } else {
        audit(strcmp(c->event, "registered") == 0 ? "kbs_registered" : "kbs_revoked", c->id, NULL, NULL, NULL);
        j = public_view(c->stored);
        if (j != NULL)
            json_object_set_new(j, "log_index", json_integer((json_int_t)index[0]));
        reply_json(resp, 200, j);
    }
    change_free(c);
}

/* Logs the change of id to generation gen (event "registered" or "revoked", the policy's hex
 * SHA-256) and, once committed, stores the record stored (taken) and answers. */
static void log_change(vt_http_resp *resp, const vt_http_req *req, vf_service *svc, const char *id, json_int_t gen,
                       const char *event, const char *policy_hex, char *stored)
{
    struct change *c = calloc(1, sizeof(*c));
    vf_log_entry le;
    vt_err e = { 0 };

    if (c == NULL) {
        free(stored);
        vt_http_reply_error(resp, 503, "out_of_memory", "out of memory");
        return;
    }
    c->st = req->thread_ctx;
    c->stored = stored;
    c->event = event;
    snprintf(c->id, sizeof(c->id), "%s", id);
    snprintf(c->ref, sizeof(c->ref), "%s:%lld", id, (long long)gen);
    if (sign_entry(&c->entry, svc, VF_KBS_RESOURCE_TYP,
                   json_pack("{s:s, s:s, s:I, s:s, s:s, s:I}", "type", "kbs_resource", "resource", id, "generation",
                             gen, "event", event, "policy", policy_hex, "iat", (json_int_t)vt_time_now()),
                   &e) != VT_OK) {
        audit("kbs_error", id, NULL, "log", e.msg);
        vt_http_reply_error(resp, 503, "log_unavailable", LOG_CHANGE_UNAVAILABLE);
        change_free(c);
        return;
    }
    le = (vf_log_entry){ .kind = "kbs_resource", .ref = c->ref, .data = (const uint8_t *)c->entry,
                         .len = strlen(c->entry) };
    vf_reply_after_log(resp, req, svc->log, &le, 1, change_logged, c);
}

/* PUT /v1/admin/resources/{id}: put_body's document.  The secret is in secret (wiped here), the
 * request body is the server's (wiped when it lets go of it); nothing else holds it. */
static void kbs_put(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    vf_service *svc = ctx;
    vs_store *st = req->thread_ctx;
    json_t *rec = NULL, *cpol = NULL, *old = NULL;
    const char *id = req->params[0], *kind = NULL;
    const uint8_t *pol = NULL;
    size_t pol_len = 0;
    char *canon = NULL, *stored = NULL, *bound = NULL, *prev = NULL, kid[160], hex[65];
    json_int_t gen;
    vt_status rc;
    vt_buf secret, wrapped, w64;
    vt_err e = { 0 };

    vt_buf_init(&secret);
    vt_buf_init(&wrapped);
    vt_buf_init(&w64);
    if (!vf_admin_ok(resp, req, svc))
        goto out;
    if (!vt_env_id_valid(id)) {
        vt_http_reply_error(resp, 400, "bad_request", "resource id: 1..63 of [A-Za-z0-9._-]");
        goto out;
    }
    if (put_body(&secret, &kind, &pol, &pol_len, req->body, req->body_len, &e) != VT_OK) {
        vt_http_reply_error(resp, 400, "bad_request", "%s", e.msg);
        goto out;
    }
    if (vt_kbs_policy_parse(&canon, (const char *)pol, pol_len, &e) != VT_OK) {
        vt_http_reply_error(resp, 400, "invalid_policy", "%s", e.msg);
        goto out;
    }
    rc = st->keys->get(st, &prev, id, &e); /* its generation goes on from the record's */
    if (rc != VT_OK && rc != VT_E_NOTFOUND) {
        vf_reply_store_error(resp, &e);
        goto out;
    }
    old = rc == VT_OK ? json_loads(prev, 0, NULL) : NULL;
    gen = next_generation(svc, id, old);
    cpol = json_loads(canon, 0, NULL);
    if (wrap_kid(kid, hex, &bound, id, gen, cpol, &e) != VT_OK ||
        vt_seal(&wrapped, &svc->kek, kid, secret.data, secret.len, &e) != VT_OK ||
        vt_base64_encode(&w64, wrapped.data, wrapped.len, true, &e) != VT_OK || vt_buf_terminate(&w64, &e) != VT_OK) {
        vt_http_reply_error(resp, 500, "internal", "cannot wrap the resource: %s", e.msg);
        goto out;
    }
    rec = json_pack("{s:s, s:s, s:O, s:I, s:I, s:I, s:b, s:s}", "id", id, "kind", kind, "policy", cpol, "size",
                    (json_int_t)secret.len, "generation", gen, "registered_at", (json_int_t)vt_time_now(), "revoked",
                    0, "wrapped", (const char *)w64.data);
    stored = rec != NULL ? json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (stored == NULL) {
        vt_http_reply_error(resp, 503, "out_of_memory", "out of memory");
        goto out;
    }
    log_change(resp, req, svc, id, gen, "registered", hex, stored);
    stored = NULL; /* log_change's */
out:
    vt_buf_free(&secret); /* wipes */
    vt_buf_free(&wrapped);
    vt_buf_free(&w64);
    json_decref(rec);
    json_decref(cpol);
    json_decref(old);
    free(canon);
    free(stored);
    free(bound);
    free(prev);
}

static vt_status list_one(void *arg, const char *json, vt_err *err)
{
    json_t *j = public_view(json);
    if (j == NULL || json_array_append_new((json_t *)arg, j) != 0)
        return vt_err_set(err, VT_E_FORMAT, "stored resource does not parse");
    return VT_OK;
}

/* GET /v1/admin/resources */
static void kbs_list(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    vf_service *svc = ctx;
    vs_store *st = req->thread_ctx;
    json_t *arr;
    vt_err e = { 0 };

    if (!vf_admin_ok(resp, req, svc))
        return;
    arr = json_array();
    if (arr == NULL || st->keys->list(st, list_one, arr, &e) != VT_OK) {
        json_decref(arr);
        vf_reply_store_error(resp, &e);
        return;
    }
    reply_json(resp, 200, json_pack("{s:o}", "resources", arr));
}

/* POST /v1/admin/resources/{id}/revoke: never released again (register it anew to replace it).
 * The revocation takes the next generation and is logged before the record is stored. */
static void kbs_revoke(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    vf_service *svc = ctx;
    vs_store *st = req->thread_ctx;
    char *json = NULL, *s = NULL, *pol = NULL, kid[160], hex[65] = "";
    json_t *j = NULL;
    json_int_t gen = 0;
    vt_err e = { 0 };
    vt_status rc;

    if (!vf_admin_ok(resp, req, svc))
        return;
    rc = st->keys->get(st, &json, req->params[0], &e);
    if (rc == VT_E_NOTFOUND) {
        vt_http_reply_error(resp, 404, "resource_unknown", "no resource '%.64s'", req->params[0]);
        goto out;
    }
    j = rc == VT_OK ? json_loads(json, 0, NULL) : NULL;
    if (j != NULL) {
        gen = next_generation(svc, req->params[0], j);
        if (wrap_kid(kid, hex, &pol, req->params[0], gen, json_object_get(j, "policy"), NULL) != VT_OK)
            hex[0] = '\0'; /* a record without a policy is revoked all the same */
        json_object_set_new(j, "generation", json_integer(gen));
        json_object_set_new(j, "revoked", json_true());
        json_object_set_new(j, "revoked_at", json_integer(vt_time_now()));
        json_object_set_new(j, "wrapped", json_string("")); /* the secret itself is gone */
        s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    }
    if (s == NULL) {
        vf_reply_store_error(resp, &e);
        goto out;
    }
    log_change(resp, req, svc, req->params[0], gen, "revoked", hex, s);
    s = NULL; /* log_change's */
out:
    json_decref(j);
    free(json);
    free(s);
    free(pol);
}

/* The transparency log entry of a release or refusal (docs/keys.md): a compact JWS by the
 * verifier's signing key, typ "veritee-kbs+jwt", logged under kind "kbs" and ref the request's
 * replay digest.  A failure to log is reported, not hidden: the caller gets 503. */
static vt_status sign_outcome(char **tok, vf_service *svc, const char *resource, const char *passport,
                              bool released, vt_err *err)
{
    return sign_entry(tok, svc, "veritee-kbs+jwt",
                      json_pack("{s:s, s:s, s:s, s:s, s:I}", "type", "kbs_release", "resource", resource, "passport",
                                passport, "result", released ? "released" : "refused", "iat",
                                (json_int_t)vt_time_now()),
                      err);
}

/* Fills the subject from the passport's signed claims (never from the database's columns beside
 * the token: whoever can write the database but holds no signing key would choose them). */
static void subject_of(vt_kbs_subject *s, const vt_passport_claims *pc)
{
    memset(s, 0, sizeof(*s));
    s->environment = pc->environment;
    s->tee_type = vt_tee_name(pc->tee_type);
    s->hardware_attested = pc->hardware_attested;
    s->status = vt_ear_status_name(pc->appraisal.status);
    s->tcb_status = pc->appraisal.tcb_status;
    for (int i = VT_SUBMOD_MODEL; i < VT_SUBMOD_COUNT; i++)
        s->measured[i] = pc->appraisal.sub[i].measured[0] != '\0' ? pc->appraisal.sub[i].measured : NULL;
}

/* token verifies under the key set this verifier serves now (its current key and the retired ones
 * still published; a revoked key is in neither), is unexpired and affirming or warning.  The
 * database holds only what was issued; this is what makes a row written there by another hand,
 * or a passport of a revoked key, open nothing. */
static vt_status passport_verified(vt_passport_claims *pc, vf_service *svc, const char *token, vt_err *err)
{
    vt_passport_verify_opts o = { .accept_warning = true };
    vt_jwks *set = NULL;
    char *jwks = NULL;
    vt_status rc;

    pthread_rwlock_rdlock(&svc->kr_lock);
    rc = vt_keyring_jwks(&jwks, svc->kr, vt_time_now(), err);
    pthread_rwlock_unlock(&svc->kr_lock);
    if (rc == VT_OK)
        rc = vt_jwks_parse(&set, jwks, strlen(jwks), err);
    if (rc == VT_OK)
        rc = vt_passport_verify_with(pc, token, strlen(token), set, vt_time_now(), &o, err);
    vt_jwks_free(set);
    free(jwks);
    return rc;
}

/* The replay digest (hex into ref): SHA-256(label 0 who 0 nonce), who the RFC 7638 thumbprint of
 * the passport's cnf key, the key that signed the request: the signature does not cover the
 * passport, so a request signed once is one release under every passport naming that key. */
static vt_status replay_ref(char ref[65], const char *who, const uint8_t *nonce, size_t nonce_len, vt_err *err)
{
    const void *parts[5] = { REPLAY_LABEL, "", who, "", nonce };
    size_t lens[5] = { sizeof(REPLAY_LABEL) - 1, 1, strlen(who), 1, nonce_len };
    uint8_t d[32];
    vt_status rc = vt_digestv(VT_MD_SHA256, parts, lens, 5, d, err);

    vt_hex_encode(ref, d, sizeof(d));
    return rc;
}

/* Sets out's status and code, and err's message for the caller. */
static void answer(vf_release *out, int status, const char *code, vt_err *err, const char *msg)
{
    out->status = status;
    out->code = code;
    if (msg != NULL)
        vt_err_set(err, status >= 500 ? VT_E_IO : VT_E_POLICY, "%s", msg);
}

/* A store failure (e, rc): its words to the operator's log, the fixed 503 to the caller. */
static void answer_store_failed(vf_release *out, vt_err *err, vt_err *e, vt_status rc)
{
    (void)vf_store_failed(e, rc);
    answer(out, 503, "store_unavailable", err, e->msg);
}

void vf_release_clear(vf_release *r)
{
    free(r->jwe);
    free(r->entry);
    memset(r, 0, sizeof(*r));
}

void vf_keys_release_start(vf_release *out, const struct vf_call *call, vs_store *st, const char *id,
                           const uint8_t *body, size_t body_len, vt_err *err)
{
    vf_service *svc = call->svc;
    uint8_t nonce[VT_KBS_NONCE_MAX];
    char *ref = out->ref, *clause = out->clause, kid[160], hex[65], *json = NULL, *pol = NULL, thumb[44];
    size_t nonce_len = 0;
    json_t *rec = NULL;
    vs_passport p;
    vt_passport_claims raw, pc;
    vt_kbs_subject subj;
    vt_pkey *cnf = NULL;
    vt_buf wrapped, secret;
    vt_err e = { 0 };
    vt_status rc, prc;
    bool fresh = false;
    const char *w, *gc = NULL;

    memset(out, 0, sizeof(*out));
    out->svc = svc;
    snprintf(out->resource, sizeof(out->resource), "%s", id);
    snprintf(out->passport, sizeof(out->passport), "%s", call->passport_id);
    memset(&p, 0, sizeof(p));
    memset(&raw, 0, sizeof(raw));
    memset(&pc, 0, sizeof(pc));
    vt_buf_init(&wrapped);
    vt_buf_init(&secret);
    if (!call->gateway) {
        audit("kbs_refused", id, NULL, "authorization", "no Veritee-Gateway authorization (passport + signature)");
        answer(out, 401, "not_released", err, "not released");
        goto out;
    }
    if (vt_kbs_request_parse(nonce, &nonce_len, body, body_len, &e) != VT_OK) {
        answer(out, 400, "bad_request", err, e.msg);
        goto out;
    }
    /* A log that is not the one this verifier signed (a database restored from a backup, rows
     * deleted): what it says of the resources cannot be believed. */
    if (vf_log_rolled_back(svc->log)) {
        audit("kbs_error", id, call->passport_id, "log_rollback", "the stored transparency log is not the one this "
              "verifier signed (smaller than STATE/log-size, another tree, or rows deleted or altered)");
        answer(out, 503, "kbs_unavailable", err, "the key broker cannot release now");
        goto out;
    }
    /* The passport as issued (admission found the caller's bytes equal to it) and the key that
     * signed the request: its cnf.  Nothing in the row is believed before the token verifies. */
    prc = st->ops->passport_get(st, &p, call->passport_id, &e);
    if (prc != VT_OK && prc != VT_E_NOTFOUND) {
        answer_store_failed(out, err, &e, prc);
        goto out;
    }
    if (prc == VT_OK && p.token != NULL && vt_passport_decode(&raw, p.token, strlen(p.token), NULL) == VT_OK &&
        raw.attester_jwk != NULL && vt_jwk_to_pkey(&cnf, raw.attester_jwk, strlen(raw.attester_jwk), NULL) == VT_OK &&
        vt_jwk_thumbprint(thumb, cnf, NULL) == VT_OK)
        rc = VT_OK;
    else
        rc = VT_E_POLICY; /* the request's key is unknown: its replay is kept under the passport id */
    vt_pkey_free(cnf);
    cnf = NULL;
    /* Replay: the nonce is in the signed body, so one signed request is one release. */
    rc = replay_ref(ref, rc == VT_OK ? thumb : call->passport_id, nonce, nonce_len, &e);
    if (rc == VT_OK)
        rc = st->keys->seen(st, &fresh, ref, vt_time_now() + 2 * VT_PASSPORT_AUTH_SKEW + 1, vt_time_now(), &e);
    if (rc != VT_OK) {
        answer_store_failed(out, err, &e, rc);
        goto out;
    }
    if (!fresh) {
        audit("kbs_refused", id, call->passport_id, "replay", "this signed request was already presented");
        vt_metrics_inc(svc->metrics, "verifier_kbs_total", "result=\"replay\"", 1);
        answer(out, 403, "not_released", err, "not released");
        goto out;
    }
    rc = st->keys->get(st, &json, id, &e);
    if (rc != VT_OK && rc != VT_E_NOTFOUND) {
        answer_store_failed(out, err, &e, rc);
        goto out;
    }
    rec = rc == VT_OK ? json_loads(json, 0, NULL) : NULL;
    if (rc == VT_E_NOTFOUND || rec == NULL) {
        snprintf(clause, sizeof(out->clause), "resource");
        snprintf(e.msg, sizeof(e.msg), "kbs: no resource '%.64s'", id);
        rc = VT_E_POLICY;
    } else if (generation_current(&gc, svc, id, generation_of(rec), &e) != VT_OK) {
        snprintf(clause, sizeof(out->clause), "%s", gc); /* the log's word, never the record's own flag */
        rc = VT_E_POLICY;
    } else if (prc != VT_OK || p.token == NULL || passport_verified(&pc, svc, p.token, &e) != VT_OK) {
        snprintf(clause, sizeof(out->clause), "passport");
        if (prc != VT_OK || p.token == NULL)
            snprintf(e.msg, sizeof(e.msg), "kbs: the passport is no longer stored");
        rc = VT_E_POLICY;
    } else if (wrap_kid(kid, hex, &pol, id, generation_of(rec), json_object_get(rec, "policy"), &e) != VT_OK) {
        snprintf(clause, sizeof(out->clause), "policy");
        rc = VT_E_POLICY;
    } else {
        subject_of(&subj, &pc);
        rc = vt_kbs_policy_check(pol, &subj, clause, sizeof(out->clause), &e);
    }
    if (rc == VT_OK) {
        w = json_string_value(json_object_get(rec, "wrapped"));
        rc = w != NULL ? vt_base64_decode(&wrapped, w, strlen(w), &e) : VT_E_FORMAT;
        if (rc == VT_OK && vt_unseal(&secret, &svc->kek, kid, wrapped.data, wrapped.len, NULL) != VT_OK)
            rc = vt_err_set(&e, VT_E_CRYPTO, "kbs: the wrapped secret does not open under its id, generation "
                                             "and policy (the stored record was altered)");
        if (rc == VT_OK)
            rc = vt_jwk_to_pkey(&cnf, pc.attester_jwk, strlen(pc.attester_jwk), &e);
        if (rc == VT_OK)
            rc = vt_jwe_encrypt(&out->jwe, cnf, id, secret.data, secret.len, &e);
        if (rc != VT_OK) {
            audit("kbs_error", id, call->passport_id, "unwrap", e.msg);
            answer(out, 500, "internal", err, "the resource cannot be released now");
            goto out;
        }
        out->released = true;
        out->generation = (uint64_t)generation_of(rec);
    }
    out->why = e;
    if (sign_outcome(&out->entry, svc, id, call->passport_id, out->released, &e) != VT_OK) {
        audit("kbs_error", id, call->passport_id, "log", e.msg);
        answer(out, 503, "log_unavailable", err, LOG_UNAVAILABLE);
        goto out;
    }
    if (svc->log == NULL) { /* no log to wait for */
        vf_keys_release_finish(out, VT_OK, NULL, err);
        goto out;
    }
    /* status 0: the caller logs out->entry, then vf_keys_release_finish */
out:
    if (out->status != 200 && out->status != 0) {
        free(out->jwe);
        out->jwe = NULL;
    }
    vt_buf_free(&secret); /* wipes */
    vt_buf_free(&wrapped);
    vt_pkey_free(cnf);
    vs_passport_clear(&p);
    vt_passport_claims_clear(&raw);
    vt_passport_claims_clear(&pc);
    json_decref(rec);
    free(json);
    free(pol);
}

void vf_keys_release_finish(vf_release *out, vt_status logged, const vt_err *log_err, vt_err *err)
{
    const char *clause = NULL;
    vt_err why = { 0 };

    free(out->entry);
    out->entry = NULL;
    if (logged != VT_OK) {
        audit("kbs_error", out->resource, out->passport, "log", log_err != NULL ? log_err->msg : "");
        answer(out, 503, "log_unavailable", err, LOG_UNAVAILABLE);
    } else if (out->released && generation_current(&clause, out->svc, out->resource, (json_int_t)out->generation,
                                                   &why) != VT_OK) {
        /* A change of the resource (another replica's, or one that committed first) is in the log
         * now, before this outcome: refused after all, its entry saying more than was given. */
        audit("kbs_refused", out->resource, out->passport, clause, why.msg);
        vt_metrics_inc(out->svc->metrics, "verifier_kbs_total", "result=\"refused\"", 1);
        answer(out, 403, "not_released", err, "not released");
    } else if (!out->released) {
        audit("kbs_refused", out->resource, out->passport, out->clause, out->why.msg);
        vt_metrics_inc(out->svc->metrics, "verifier_kbs_total", "result=\"refused\"", 1);
        answer(out, 403, "not_released", err, "not released");
    } else {
        audit("kbs_released", out->resource, out->passport, NULL, NULL);
        vt_metrics_inc(out->svc->metrics, "verifier_kbs_total", "result=\"released\"", 1);
        answer(out, 200, "", err, NULL);
    }
    if (out->status != 200) {
        free(out->jwe);
        out->jwe = NULL;
    }
}

void vf_keys_release(vf_release *out, const struct vf_call *call, vs_store *st, const char *id,
                     const uint8_t *body, size_t body_len, vt_err *err)
{
    uint64_t index = 0;
    vt_err le = { 0 };
    vt_status rc;

    vf_keys_release_start(out, call, st, id, body, body_len, err);
    if (out->status != 0)
        return;
    rc = vf_log_append(call->svc->log, &index, "kbs", out->ref, (const uint8_t *)out->entry, strlen(out->entry),
                       &le);
    if (rc == VT_OK && index == VF_LOG_CONFLICT) /* its entry is not logged */
        rc = vt_err_set(&le, VT_E_IO, "log: another entry under kbs %.64s", out->ref);
    vf_keys_release_finish(out, rc, &le, err);
}

static void release_reply(vt_http_resp *resp, vf_release *r, const vt_err *e)
{
    if (r->status == 200)
        reply_json(resp, 200, json_pack("{s:s, s:s, s:s}", "resource", r->resource, "passport", r->passport, "jwe",
                                        r->jwe));
    else
        vt_http_reply_error(resp, r->status, r->code, "%s", e->msg);
}

/* The release's second half, once its log entry is committed (on the request's loop). */
static void release_logged(vt_http_resp *resp, void *ctx, const uint64_t *index, vt_status rc, const vt_err *err)
{
    vf_release *r = ctx;
    vt_err e = { 0 }, conflict = { 0 };

    if (rc == VT_OK && index[0] == VF_LOG_CONFLICT) { /* its entry is not logged */
        rc = vt_err_set(&conflict, VT_E_IO, "log: another entry under kbs %.64s", r->ref);
        err = &conflict;
    }
    vf_keys_release_finish(r, rc, err, &e);
    if (resp != NULL)
        release_reply(resp, r, &e);
    vf_release_clear(r);
    free(r);
}

/* POST /v1/keys/{id}/release (docs/keys.md): vf_keys_release behind admission, its loop
 * free while the outcome's log entry commits. */
static void kbs_release(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    const struct vf_call *call = ctx;
    vf_release *r = calloc(1, sizeof(*r));
    vt_err e = { 0 };

    if (r == NULL) {
        vt_http_reply_error(resp, 503, "out_of_memory", "cannot hold the request");
        return;
    }
    vf_keys_release_start(r, call, req->thread_ctx, req->params[0], req->body, req->body_len, &e);
    if (r->status == 0) {
        vf_log_entry le = { .kind = "kbs", .ref = r->ref, .data = (const uint8_t *)r->entry,
                            .len = strlen(r->entry) };
        vf_reply_after_log(resp, req, call->svc->log, &le, 1, release_logged, r);
        return;
    }
    release_reply(resp, r, &e);
    vf_release_clear(r);
    free(r);
}

bool vf_keys_takes_call(vt_http_handler fn)
{
    return fn == kbs_release;
}

vt_status vf_keys_routes(vf_service *svc, vt_err *err)
{
    vt_status rc = vf_keys_init(svc, err);

    if (rc == VT_OK)
        rc = vt_metrics_declare(svc->metrics, "verifier_kbs_total", "counter",
                                "Key broker release requests by result (released, refused, replay).", err);
    if (rc == VT_OK)
        rc = vt_http_router_add(&svc->router, "PUT", "/v1/admin/resources/{id}", kbs_put, svc, err);
    if (rc == VT_OK)
        rc = vt_http_router_add(&svc->router, "GET", "/v1/admin/resources", kbs_list, svc, err);
    if (rc == VT_OK)
        rc = vt_http_router_add(&svc->router, "POST", "/v1/admin/resources/{id}/revoke", kbs_revoke, svc, err);
    if (rc == VT_OK)
        rc = vt_http_router_add(&svc->router, "POST", "/v1/keys/{id}/release", kbs_release, svc, err);
    return rc;
}
