/* The auditor chain, receipts and the attestation endpoint as proxy hooks (trust.h, hooks.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "gateway/trust.h"
#include "gateway/xaud.h"

struct xstate {
    vt_audit_report *rep;
    bool audited;               /* a POST to an inference endpoint */
    uint8_t received[32], forwarded[32];
    uint8_t model[32];
    char passport_id[48];
    vt_digest_ctx *sent;        /* streams: every byte sent before the receipt */
    vt_audit_sse *sse;          /* streams: the response auditors over every event */
    bool finished;              /* response phase entries are in rep */
    bool done_seen;             /* the upstream sent [DONE]: re-sent after the held-back text */
    int status;                 /* the HTTP status sent to the client */
    const char *ctype;          /* the Content-Type sent to the client (static string) */
    vt_audit_exec exec;
    int64_t received_ms, start_us;
    vt_buf tmp;
    /* external auditors (xaud.h) */
    vt_xaud_io xio;
    vt_xaud_context xcx;
    char xmodel[65], xid[24];
    json_t *win;                /* streams: the audited events held for the external auditors */
    size_t win_new;             /* bytes of those events that no auditor has seen yet */
    unsigned win_index;
    bool xfailed;               /* an external auditor failed closed */
};

/* The audited route of an inference path; 0 for any other path. */
static vt_audit_route inference_route(const char *p)
{
    if (strcmp(p, "/v1/chat/completions") == 0)
        return VT_AUDIT_ROUTE_CHAT;
    if (strcmp(p, "/v1/completions") == 0)
        return VT_AUDIT_ROUTE_COMPLETIONS;
    if (strcmp(p, "/v1/embeddings") == 0)
        return VT_AUDIT_ROUTE_EMBEDDINGS;
    return (vt_audit_route)0;
}

static void xstate_free(struct xstate *x)
{
    if (x == NULL)
        return;
    free(x->rep);
    vt_digest_ctx_free(x->sent);
    vt_audit_sse_free(x->sse);
    vt_buf_free(&x->tmp);
    json_decref(x->win);
    free(x);
}

/* Blocking entry: "<auditor> (<phase>): <reason>". */
static void block_message(char *out, size_t len, const vt_audit_report *r)
{
    for (size_t i = 0; i < r->entry_len; i++) {
        const vt_audit_entry *e = &r->entries[i];
        if (e->verdict == VT_AUDIT_BLOCK) {
            snprintf(out, len, "gateway: blocked by the %s auditor (%s phase): %s", e->name,
                     vt_audit_phase_name(e->phase), e->reason);
            return;
        }
    }
    snprintf(out, len, "gateway: blocked by an auditor");
}

/* Builds and signs the receipt; *token_out is free()d by the caller. */
static vt_status make_receipt(char **token_out, vt_gw_trust *t, struct xstate *x, vt_gw_ctx *ctx,
                              const uint8_t response[32], vt_err *err)
{
    vt_receipt r;
    vt_status rc;

    rc = vt_receipt_init(&r, err);
    if (rc != VT_OK)
        return rc;
    snprintf(r.passport, sizeof(r.passport), "%s", x->passport_id);
    snprintf(r.environment, sizeof(r.environment), "%s", t->o.cfg->environment != NULL ? t->o.cfg->environment : "");
    memcpy(r.model, x->model, 32);
    memcpy(r.request_received, x->received, 32);
    memcpy(r.request_forwarded, x->forwarded, 32);
    memcpy(r.response, response, 32);
    r.streamed = ctx->streamed;
    snprintf(r.endpoint, sizeof(r.endpoint), "%s", ctx->path);
    r.upstream_status = ctx->upstream_status;
    r.status = x->status;
    snprintf(r.content_type, sizeof(r.content_type), "%s", x->ctype != NULL ? x->ctype : "application/json");
    r.audited = x->rep->audited;
    r.failed = x->rep->failed;
    snprintf(r.verdict, sizeof(r.verdict), "%s", vt_audit_verdict_name(x->rep->verdict));
    r.prompt_tokens = x->exec.prompt_tokens;
    r.completion_tokens = x->exec.completion_tokens;
    r.total_tokens = x->exec.total_tokens;
    r.received_ms = x->received_ms;
    r.completed_ms = vt_time_now_ms();
    if (rc == VT_OK && ctx->deployments != NULL && (r.deployments = strdup(ctx->deployments)) == NULL)
        rc = vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
    if (rc == VT_OK)
        rc = vt_receipt_sign_report(token_out, &r, x->rep, t->key, err); /* the report's own tree */
    if (rc == VT_OK)
        vt__gw_receipt_queue(t, *token_out);
    vt_receipt_clear(&r);
    return rc;
}

/* Is body one JSON object (as vt_audit_request parses it)?  Asked only of a refused body. */
static bool json_object_body(const vt_buf *body)
{
    json_t *doc = json_loadb((const char *)body->data, body->len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
    bool ok = json_is_object(doc);

    json_decref(doc);
    return ok;
}


/* ---- external auditors (xaud.h, audit/xchain.h) ---- */

static bool xany(const vt_gw_trust *t, vt_audit_phase phase)
{
    return t->xaud != NULL && vt_xaud_any(t->chain, phase);
}

/* What an external auditor is told of the exchange and the deployment. */
static void xio_init(vt_gw_trust *t, struct xstate *x, vt_gw_ctx *ctx)
{
    memset(&x->xio, 0, sizeof(x->xio));
    vt_hex_encode(x->xmodel, x->model, 32);
    snprintf(x->xid, sizeof(x->xid), "%lu", ctx->id);
    x->xcx.environment = t->o.cfg->environment;
    x->xcx.platform = vt_tee_name(t->kind);
    x->xcx.hardware_attested = t->kind != VT_TEE_MOCK && t->kind != VT_TEE_NONE && !t->o.simulate;
    x->xcx.model = x->xmodel;
    x->xio.call = vt__gw_xaud_call;
    x->xio.arg = vt__gw_xaud_arg(t->xaud, ctx->loop);
    x->xio.exchange = x->xid;
    x->xio.endpoint = ctx->path;
    x->xio.context = &x->xcx;
}

/* One text for the artifact (the model digest) or execution (the execution record) phase. */
static vt_status xrun_one(vt_gw_trust *t, struct xstate *x, vt_audit_phase phase, const char *path, const char *text,
                          vt_err *err)
{
    vt_xaud_text tx = { path, text, strlen(text) };
    vt_buf b;
    vt_xaud_result res;
    vt_status rc;

    memset(&res, 0, sizeof(res));
    vt_buf_init(&b);
    rc = vt_xaud_run_texts(x->rep, &res, t->chain, phase, VT_XAUD_ALL, &tx, &b, 1, &x->xio, err);
    vt_buf_free(&b);
    x->xfailed |= res.failed_closed;
    return rc;
}

/*
 * A body after the built-in scanners rewrote it, through the external auditors configured after
 * them; a rewrite goes through the built-in walker again (the schema, and the scanners on the
 * replacements), and one that does not pass fails closed.
 */
static vt_status xrun_after(vt_gw_trust *t, struct xstate *x, vt_gw_ctx *ctx, vt_audit_phase phase,
                            vt_audit_route route, vt_buf *body, vt_err *err)
{
    vt_xaud_result res;
    vt_audit_report *scratch = NULL;
    vt_buf out;
    vt_status rc;

    memset(&res, 0, sizeof(res));
    rc = vt_xaud_run_body(x->rep, &res, t->chain, phase, VT_XAUD_AFTER, body, &x->xio, err);
    x->xfailed |= res.failed_closed;
    if (rc != VT_OK || !res.changed || res.blocked || res.failed_closed)
        return rc;
    scratch = malloc(sizeof(*scratch));
    if (scratch == NULL)
        return vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
    vt_buf_init(&out);
    vt_audit_report_init(scratch);
    rc = phase == VT_AUDIT_REQUEST ? vt_audit_request(scratch, &out, t->ctxs[ctx->loop], route, body->data, body->len, err)
                                   : vt_audit_response(scratch, &out, t->ctxs[ctx->loop], body->data, body->len, err);
    if (rc == VT_OK && scratch->verdict != VT_AUDIT_BLOCK) {
        vt_buf swap = *body;
        *body = out;
        out = swap;
    } else if (rc == VT_OK || rc == VT_E_FORMAT || rc == VT_E_LIMIT) {
        vt__gw_log("warn", "auditor", "an external auditor's rewrite does not pass the built-in auditors again");
        x->xfailed = true;
        rc = VT_OK;
    }
    vt_buf_free(&out);
    free(scratch);
    return rc;
}

/* The first external auditor that failed closed, for the client's message. */
static void xfail_message(char *out, size_t len, const vt_audit_report *r)
{
    for (size_t i = 0; i < r->entry_len; i++)
        if (r->entries[i].verdict == VT_AUDIT_BLOCK && strstr(r->entries[i].reason, ": auditor failed: ") != NULL) {
            snprintf(out, len, "gateway: the %s auditor failed (%s phase), so the exchange is refused",
                     r->entries[i].name, vt_audit_phase_name(r->entries[i].phase));
            return;
        }
    snprintf(out, len, "gateway: an external auditor's rewrite did not pass the built-in auditors again");
}

static vt_status on_request(void *arg, vt_gw_ctx *ctx, vt_buf *body, vt_gw_verdict *v, vt_err *err)
{
    vt_gw_trust *t = arg;
    struct xstate *x;
    vt_audit_route route;
    bool changed;
    vt_status rc;

    changed = vt__gw_model_check(t);
    route = inference_route(ctx->path);
    if (strcmp(ctx->method, "POST") != 0 || route == 0) {
        if (!vt__gw_serving(t)) {
            v->block = true;
            v->status = 503;
            snprintf(v->type, sizeof(v->type), "server_error");
            snprintf(v->code, sizeof(v->code), "gateway_unattested");
            snprintf(v->message, sizeof(v->message), "gateway: no affirming passport: not serving");
        }
        return VT_OK;
    }
    x = calloc(1, sizeof(*x));
    if (x == NULL || (x->rep = malloc(sizeof(*x->rep))) == NULL) {
        xstate_free(x);
        return vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
    }
    ctx->state = x;
    x->audited = true;
    x->received_ms = vt_time_now_ms();
    x->start_us = vt_time_mono_us();
    vt_audit_report_init(x->rep);
    vt_audit_exec_init(&x->exec);
    pthread_mutex_lock(&t->mu);
    memcpy(x->model, t->model, 32);
    if (t->model_unknown || changed) /* changed and not yet re-measured: nothing known matches */
        memset(x->model, 0, 32);
    snprintf(x->passport_id, sizeof(x->passport_id), "%s", t->passport_id);
    pthread_mutex_unlock(&t->mu);

    rc = vt_digest(VT_MD_SHA256, body->data, body->len, x->received, err);
    xio_init(t, x, ctx);
    if (rc == VT_OK && t->o.cfg->model_count > 0)
        rc = vt_audit_artifact(x->rep, t->chain, x->model, 32, err);
    if (rc == VT_OK && x->rep->verdict != VT_AUDIT_BLOCK && xany(t, VT_AUDIT_ARTIFACT))
        rc = xrun_one(t, x, VT_AUDIT_ARTIFACT, "model", x->xmodel, err);
    if (rc == VT_OK && x->rep->verdict != VT_AUDIT_BLOCK && xany(t, VT_AUDIT_REQUEST)) {
        vt_xaud_result res;
        memset(&res, 0, sizeof(res));
        rc = vt_xaud_run_body(x->rep, &res, t->chain, VT_AUDIT_REQUEST, VT_XAUD_BEFORE, body, &x->xio, err);
        x->xfailed |= res.failed_closed;
    }
    if (rc == VT_OK && x->rep->verdict != VT_AUDIT_BLOCK) {
        /* The model is sent only what this re-serialised from the audited tree. */
        vt_status ar = vt_audit_request(x->rep, &x->tmp, t->ctxs[ctx->loop], route, body->data, body->len, err);
        if (ar == VT_E_FORMAT || ar == VT_E_LIMIT) {
            const char *m = strncmp(err->msg, "audit: ", 7) == 0 ? err->msg + 7 : err->msg;
            v->block = true;
            v->status = 400;
            snprintf(v->message, sizeof(v->message), "gateway: %s", m);
            /* A body that is not one JSON object at all is malformed, not merely unauditable. */
            snprintf(v->code, sizeof(v->code), "%s",
                     ar == VT_E_FORMAT && !json_object_body(body) ? "invalid_json" : "request_not_auditable");
        } else {
            rc = ar;
        }
        if (rc == VT_OK && !v->block && x->rep->verdict != VT_AUDIT_BLOCK && xany(t, VT_AUDIT_REQUEST))
            rc = xrun_after(t, x, ctx, VT_AUDIT_REQUEST, route, &x->tmp, err);
    }
    if (rc != VT_OK)
        return rc;
    if (!v->block && (x->xfailed || vt__gw_xaud_unmeasured(t->xaud) != NULL)) {
        /* Fail closed: an auditor that failed, or one no longer the measured process. */
        const char *why = vt__gw_xaud_unmeasured(t->xaud);
        vt_audit_report_failed(x->rep, VT_AUDIT_REQUEST); /* not every auditor of the phase passed it */
        v->block = true;
        v->status = 503;
        snprintf(v->code, sizeof(v->code), "%s", why != NULL ? "auditor_unmeasured" : "auditor_failed");
        if (why != NULL)
            snprintf(v->message, sizeof(v->message), "gateway: %s: not serving", why);
        else
            xfail_message(v->message, sizeof(v->message), x->rep);
    }
    if (!v->block && x->rep->verdict == VT_AUDIT_BLOCK) {
        v->block = true;
        v->status = 403;
        block_message(v->message, sizeof(v->message), x->rep);
    }
    if (!v->block && !vt__gw_serving(t)) {
        v->block = true;
        v->status = 503;
        snprintf(v->message, sizeof(v->message), "gateway: no affirming passport: not serving");
    }
    if (v->block) {
        /* Nothing is forwarded; the receipt covers the error body the client gets. */
        json_t *o = json_pack("{s:{s:s, s:s, s:n, s:s}}", "error", "message", v->message, "type",
                              v->status == 503 ? "server_error" : "invalid_request_error", "param", "code",
                              v->status == 503   ? (v->code[0] != '\0' ? v->code : "gateway_unattested")
                              : v->status == 400 ? v->code
                                                 : "content_blocked");
        char *s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL, *tok = NULL;
        uint8_t h[32];
        json_decref(o);
        memset(x->forwarded, 0, 32);
        x->status = v->status;
        rc = s == NULL ? vt_err_set(err, VT_E_NOMEM, "gateway: out of memory") : VT_OK;
        if (rc == VT_OK)
            rc = vt_buf_append_str(&v->body, s, err);
        if (rc == VT_OK)
            rc = vt_buf_append(&v->body, "\n", 1, err);
        if (rc == VT_OK)
            rc = vt_digest(VT_MD_SHA256, v->body.data, v->body.len, h, err);
        if (rc == VT_OK && t->key != NULL) {
            rc = make_receipt(&tok, t, x, ctx, h, err);
            if (rc == VT_OK && (v->headers = calloc(1, sizeof(*v->headers))) == NULL)
                rc = vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
            if (rc == VT_OK)
                rc = vt_gw_headers_add(v->headers, "Veritee-Receipt", tok, err);
        }
        free(tok);
        free(s);
        return rc;
    }
    /* Forward the body re-serialised from the audited tree, never the client's bytes. */
    {
        vt_buf swap = *body;
        *body = x->tmp;
        x->tmp = swap;
        x->tmp.len = 0;
    }
    return vt_digest(VT_MD_SHA256, body->data, body->len, x->forwarded, err);
}

static vt_status execution(vt_gw_trust *t, struct xstate *x, vt_gw_ctx *ctx, vt_err *err)
{
    vt_status rc;

    x->exec.latency_us = vt_time_mono_us() - x->start_us;
    x->exec.upstream_status = ctx->upstream_status;
    rc = vt_audit_execution(x->rep, t->chain, &x->exec, err);
    if (rc == VT_OK && xany(t, VT_AUDIT_EXECUTION)) {
        char rec[256];
        snprintf(rec, sizeof(rec),
                 "{\"latency_us\":%lld,\"upstream_status\":%lld,\"prompt_tokens\":%lld,\"completion_tokens\":%lld,"
                 "\"total_tokens\":%lld,\"streamed\":%s}",
                 (long long)x->exec.latency_us, (long long)x->exec.upstream_status, (long long)x->exec.prompt_tokens,
                 (long long)x->exec.completion_tokens, (long long)x->exec.total_tokens, ctx->streamed ? "true" : "false");
        rc = xrun_one(t, x, VT_AUDIT_EXECUTION, "execution", rec, err);
    }
    return rc;
}

/* An OpenAI-shaped error body (with a newline) into body. */
static vt_status error_json(vt_buf *body, const char *type, const char *code, const char *msg, vt_err *err)
{
    json_t *o = json_pack("{s:{s:s, s:s, s:n, s:s}}", "error", "message", msg, "type", type, "param", "code", code);
    char *s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    vt_status rc;

    json_decref(o);
    body->len = 0;
    rc = s != NULL ? vt_buf_append_str(body, s, err) : vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
    if (rc == VT_OK)
        rc = vt_buf_append(body, "\n", 1, err);
    free(s);
    return rc;
}

/* A whole reply (any status: error bodies pass the response auditors too).  Fails closed: a
 * body that cannot be audited is replaced by a 502 and the receipt says the response failed. */
/*
 * GET /v1/models[/<id>]: the list is text the client reads, so it passes the
 * response auditors like any answer (an unauditable one is a 502, a blocked
 * one a 403).  No receipt: nothing was asked of the model.  Replies the proxy
 * already judged unauditable (encoding, content type) it answers itself.
 */
static vt_status models_response(vt_gw_trust *t, vt_gw_ctx *ctx, int *status, vt_buf *body, vt_err *err)
{
    vt_audit_report *rep = NULL;
    vt_buf out;
    vt_status rc = VT_OK, ar;

    if (ctx->unauditable != NULL || strncmp(ctx->path, "/v1/models", 10) != 0)
        return VT_OK;
    rep = malloc(sizeof(*rep));
    if (rep == NULL)
        return vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
    vt_buf_init(&out);
    vt_audit_report_init(rep);
    ar = vt_audit_response(rep, &out, t->ctxs[ctx->loop], body->data, body->len, err);
    if (ar == VT_OK && rep->verdict == VT_AUDIT_BLOCK) {
        char msg[400];
        block_message(msg, sizeof(msg), rep);
        rc = error_json(body, "invalid_request_error", "content_blocked", msg, err);
        *status = 403;
    } else if (ar == VT_OK) {
        vt_buf swap = *body;
        *body = out;
        out = swap;
    } else if (ar == VT_E_FORMAT || ar == VT_E_LIMIT) {
        char msg[512];
        snprintf(msg, sizeof(msg), "gateway: the upstream's reply cannot be audited, so it is not forwarded (%s)",
                 err->msg);
        vt__gw_log("warn", "upstream_unauditable", err->msg);
        rc = error_json(body, "server_error", "upstream_unauditable", msg, err);
        *status = 502;
    } else {
        rc = ar;
    }
    vt_buf_free(&out);
    free(rep);
    return rc;
}

static vt_status on_response(void *arg, vt_gw_ctx *ctx, int *status, const vt_gw_header_view *headers, vt_buf *body,
                             vt_gw_headers *extra, vt_err *err)
{
    vt_gw_trust *t = arg;
    struct xstate *x = ctx->state;
    char why[400] = "";
    uint8_t h[32];
    char *tok = NULL;
    vt_status rc;

    (void)headers;
    if (x == NULL)
        return models_response(t, ctx, status, body, err);
    if (!x->audited)
        return VT_OK;
    if (ctx->unauditable != NULL)
        snprintf(why, sizeof(why), "%s", ctx->unauditable);
    else
        vt_audit_exec_usage(&x->exec, body->data, body->len);
    rc = execution(t, x, ctx, err);
    if (rc == VT_OK && why[0] == '\0' && x->rep->verdict != VT_AUDIT_BLOCK && xany(t, VT_AUDIT_RESPONSE)) {
        vt_xaud_result res;
        memset(&res, 0, sizeof(res));
        rc = vt_xaud_run_body(x->rep, &res, t->chain, VT_AUDIT_RESPONSE, VT_XAUD_BEFORE, body, &x->xio, err);
        x->xfailed |= res.failed_closed;
    }
    if (rc == VT_OK && why[0] == '\0' && x->xfailed) {
        char msg[400];
        xfail_message(msg, sizeof(msg), x->rep);
        vt_audit_report_failed(x->rep, VT_AUDIT_RESPONSE);
        rc = error_json(body, "server_error", "auditor_failed", msg, err);
        *status = 503;
    } else if (rc == VT_OK && why[0] == '\0') {
        vt_status ar;
        x->tmp.len = 0;
        ar = vt_audit_response(x->rep, &x->tmp, t->ctxs[ctx->loop], body->data, body->len, err);
        if (ar == VT_OK && x->rep->verdict == VT_AUDIT_BLOCK) {
            char msg[400];
            block_message(msg, sizeof(msg), x->rep);
            rc = error_json(body, "invalid_request_error", "content_blocked", msg, err);
            *status = 403;
        } else if (ar == VT_OK) {
            vt_buf swap = *body;
            *body = x->tmp;
            x->tmp = swap;
            if (xany(t, VT_AUDIT_RESPONSE))
                rc = xrun_after(t, x, ctx, VT_AUDIT_RESPONSE, (vt_audit_route)0, body, err);
            if (rc == VT_OK && x->xfailed) {
                char msg[400];
                xfail_message(msg, sizeof(msg), x->rep);
                vt_audit_report_failed(x->rep, VT_AUDIT_RESPONSE);
                rc = error_json(body, "server_error", "auditor_failed", msg, err);
                *status = 503;
            } else if (rc == VT_OK && x->rep->verdict == VT_AUDIT_BLOCK) {
                char msg[400];
                block_message(msg, sizeof(msg), x->rep);
                rc = error_json(body, "invalid_request_error", "content_blocked", msg, err);
                *status = 403;
            }
        } else if (ar == VT_E_FORMAT || ar == VT_E_LIMIT) {
            snprintf(why, sizeof(why), "%s", err->msg);
        } else {
            rc = ar;
        }
    }
    if (rc == VT_OK && why[0] != '\0') {
        char msg[512];
        snprintf(msg, sizeof(msg), "gateway: the upstream's reply cannot be audited, so it is not forwarded (%s)",
                 why);
        vt__gw_log("warn", "upstream_unauditable", why);
        vt_audit_report_failed(x->rep, VT_AUDIT_RESPONSE);
        rc = error_json(body, "server_error", "upstream_unauditable", msg, err);
        *status = 502;
        ctx->unauditable = NULL; /* answered here, with a receipt */
    }
    x->status = *status;
    x->ctype = "application/json";
    if (rc == VT_OK)
        rc = vt_digest(VT_MD_SHA256, body->data, body->len, h, err);
    if (rc != VT_OK || t->key == NULL)
        return rc;
    rc = make_receipt(&tok, t, x, ctx, h, err);
    if (rc == VT_OK)
        rc = vt_gw_headers_add(extra, "Veritee-Receipt", tok, err);
    free(tok);
    return rc;
}

/*
 * The gateway answers an error of its own (the upstream timed out, failed or could not be
 * reached; a hook failed): the receipt says what was forwarded (nothing, when no upstream
 * connection took the request), the status and body the client got, and leaves the response
 * phase in neither coverage list (no reply of the upstream was seen).
 */
static vt_status on_error(void *arg, vt_gw_ctx *ctx, int status, const vt_buf *body, vt_gw_headers *extra,
                          vt_err *err)
{
    vt_gw_trust *t = arg;
    struct xstate *x = ctx->state;
    uint8_t h[32];
    char *tok = NULL;
    vt_status rc;

    if (x == NULL || !x->audited)
        return VT_OK;
    if (!ctx->forwarded)
        memset(x->forwarded, 0, 32);
    x->status = status;
    x->ctype = "application/json";
    rc = execution(t, x, ctx, err);
    if (rc == VT_OK)
        rc = vt_digest(VT_MD_SHA256, body->data, body->len, h, err);
    if (rc != VT_OK || t->key == NULL)
        return rc;
    rc = make_receipt(&tok, t, x, ctx, h, err);
    if (rc == VT_OK)
        rc = vt_gw_headers_add(extra, "Veritee-Receipt", tok, err);
    free(tok);
    return rc;
}


/* ---- streamed responses: external auditors over bounded windows of events ---- */

/* Bytes of audited event JSON held before a window goes to the auditors: the smallest of theirs. */
static size_t xwindow(const vt_gw_trust *t)
{
    size_t w = (size_t)1 << 20;

    for (size_t i = 0; i < vt_xaud_count(t->chain); i++) {
        const vt_xaud_spec *s = vt_xaud_get(t->chain, i);
        if ((s->phases & VT_AUDIT_RESPONSE) && s->window < w)
            w = s->window;
    }
    return w;
}

/* Text a window keeps back (at least, in whole events) when it goes out: sent again at the start of
 * the next window, so a term of up to this many bytes that the window boundary cuts is still seen
 * whole by one call (as the built-in stream auditor holds back VT_AUDIT_HOLDBACK). */
#define XHOLD 256

/* Bytes of string values in an audited event (nested at most 64, as the stream auditor checked). */
static size_t text_bytes(const json_t *v)
{
    size_t n = 0, i;
    const char *k;
    json_t *m;

    if (json_is_string(v))
        return json_string_length(v);
    if (json_is_object(v))
        json_object_foreach((json_t *)v, k, m)
            n += text_bytes(m);
    if (json_is_array(v))
        json_array_foreach(v, i, m)
            n += text_bytes(m);
    return n;
}

/* One entry per auditor over the whole stream: a window's entries merged into rep. */
static void merge_entries(vt_audit_report *rep, const vt_audit_report *w)
{
    for (size_t i = 0; i < w->entry_len; i++) {
        const vt_audit_entry *we = &w->entries[i];
        vt_audit_entry *e = NULL;
        for (size_t k = 0; k < rep->entry_len && e == NULL; k++)
            if (rep->entries[k].phase == we->phase && strcmp(rep->entries[k].name, we->name) == 0)
                e = &rep->entries[k];
        if (e == NULL) {
            if (rep->entry_len == sizeof(rep->entries) / sizeof(rep->entries[0]))
                continue;
            rep->entries[rep->entry_len++] = *we;
        } else {
            for (size_t c = 0; c < we->count_len; c++) {
                size_t k = 0;
                while (k < e->count_len && strcmp(e->counts[k].type, we->counts[c].type) != 0)
                    k++;
                if (k == e->count_len && k < VT_AUDIT_MAX_TYPES)
                    e->counts[e->count_len++] = we->counts[c];
                else if (k < e->count_len)
                    e->counts[k].count += we->counts[c].count;
            }
            for (size_t c = 0; c < we->note_len; c++) {
                size_t k = 0;
                while (k < e->note_len && strcmp(e->notes[k].key, we->notes[c].key) != 0)
                    k++;
                if (k == e->note_len && k < VT_AUDIT_MAX_NOTES)
                    e->notes[e->note_len++] = we->notes[c];
                else if (k < e->note_len)
                    e->notes[k].value = we->notes[c].value; /* the latest window's */
            }
            if (we->verdict > e->verdict) {
                e->verdict = we->verdict;
                memcpy(e->reason, we->reason, sizeof(e->reason));
            }
        }
        if (we->verdict > rep->verdict)
            rep->verdict = we->verdict;
    }
}

/* The held window through the external response auditors; its events, audited, appended to out
 * (SSE wire text).  VT_E_POLICY with the message when one blocked or failed closed.  A rewrite is
 * not audited again by the built-in stream auditor, so it must pass the built-in scanners as it is
 * (io.recheck). */
static vt_status xflush(vt_gw_trust *t, struct xstate *x, vt_gw_ctx *ctx, bool final, vt_buf *out, vt_err *err)
{
    size_t n = json_array_size(x->win);
    json_t **docs = NULL;
    vt_audit_report *w = NULL;
    vt_xaud_result res;
    vt_status rc = VT_OK;
    size_t keep = 0;

    if (n == 0)
        return VT_OK;
    memset(&res, 0, sizeof(res));
    docs = calloc(n, sizeof(*docs));
    w = malloc(sizeof(*w));
    if (docs == NULL || w == NULL) {
        free(docs);
        free(w);
        return vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
    }
    vt_audit_report_init(w);
    for (size_t i = 0; i < n; i++)
        docs[i] = json_array_get(x->win, i);
    x->xio.streamed = true;
    x->xio.window = x->win_index++;
    x->xio.final_window = final;
    x->xio.recheck = t->ctxs[ctx->loop];
    rc = vt_xaud_run_docs(w, &res, t->chain, VT_AUDIT_RESPONSE, VT_XAUD_ALL, docs, n, &x->xio, err);
    merge_entries(x->rep, w);
    x->xfailed |= res.failed_closed;
    if (rc == VT_OK && (res.blocked || res.failed_closed)) {
        char msg[400];
        if (res.failed_closed)
            xfail_message(msg, sizeof(msg), w);
        else
            block_message(msg, sizeof(msg), w);
        rc = vt_err_set(err, VT_E_POLICY, "%s", msg);
    }
    /* Until the last window, the events holding its last XHOLD bytes of text stay for the next
     * one (as this call left them): only the events before them are sent. */
    for (size_t held = 0; rc == VT_OK && !final && keep < n && held < XHOLD; keep++)
        held += text_bytes(docs[n - 1 - keep]);
    for (size_t i = 0; rc == VT_OK && i < n - keep; i++) {
        char *js = json_dumps(docs[i], JSON_COMPACT | JSON_PRESERVE_ORDER);
        rc = js != NULL ? vt_gw_sse_write_str(out, NULL, js, strlen(js), err)
                        : vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
        free(js);
    }
    if (rc != VT_OK)
        keep = 0;
    for (size_t i = 0; i < n - keep; i++)
        json_array_remove(x->win, 0);
    x->win_new = 0;
    free(docs);
    free(w);
    return rc;
}

/* Holds one audited event (JSON in x->tmp) in the window. */
static vt_status xhold(struct xstate *x, vt_err *err)
{
    json_t *doc = json_loadb((const char *)x->tmp.data, x->tmp.len, 0, NULL);

    if (doc == NULL)
        return vt_err_set(err, VT_E_FORMAT, "gateway: an audited event is not JSON");
    if (x->win == NULL && (x->win = json_array()) == NULL) {
        json_decref(doc);
        return vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
    }
    if (json_array_append_new(x->win, doc) != 0)
        return vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
    x->win_new += x->tmp.len;
    return VT_OK;
}

/* One event of a stream: its JSON audited (vt_audit_sse), "[DONE]" held until the end. */
static vt_status on_stream_event(void *arg, vt_gw_ctx *ctx, vt_gw_sse_event *ev, vt_err *err)
{
    vt_gw_trust *t = arg;
    struct xstate *x = ctx->state;
    vt_status rc = VT_OK;

    if (x == NULL || !x->audited)
        return VT_OK;
    if (x->sent == NULL)
        rc = vt_digest_ctx_new(&x->sent, VT_MD_SHA256, err);
    if (rc == VT_OK && x->sse == NULL)
        rc = vt_audit_sse_new(&x->sse, t->ctxs[ctx->loop], err);
    if (rc != VT_OK)
        return rc;
    if (ev->data.len == 6 && memcmp(ev->data.data, "[DONE]", 6) == 0) {
        x->done_seen = true; /* sent after the text still held back */
        ev->drop = true;
        return VT_OK;
    }
    if (x->finished)
        return vt_err_set(err, VT_E_FORMAT, "gateway: the upstream streamed on after its stream was ended");
    x->tmp.len = 0;
    rc = vt_audit_sse_event(x->sse, &x->tmp, ev->data.data, ev->data.len, err);
    if (rc != VT_OK)
        return rc; /* VT_E_FORMAT / VT_E_LIMIT: the proxy ends the stream as unauditable */
    vt_audit_sse_usage(x->sse, &x->exec);
    if (vt_audit_sse_blocked(x->sse)) {
        char msg[400];
        if (vt_audit_sse_finish(x->sse, NULL, x->rep, NULL) != VT_OK)
            vt__gw_log("error", "audit", "cannot finish the blocked stream");
        x->finished = true;
        block_message(msg, sizeof(msg), x->rep);
        return vt_err_set(err, VT_E_POLICY, "%s", msg);
    }
    if (xany(t, VT_AUDIT_RESPONSE)) {
        /* Held until the window is full, then sent through the external auditors. */
        rc = xhold(x, err);
        if (rc != VT_OK || x->win_new < xwindow(t)) {
            ev->drop = true;
            return rc;
        }
        ev->data.len = 0;
        ev->raw = true;
        rc = xflush(t, x, ctx, false, &ev->data, err);
        ctx->auditor_failed = x->xfailed;
        if (rc == VT_E_POLICY) {
            if (vt_audit_sse_finish(x->sse, NULL, x->rep, NULL) != VT_OK)
                vt__gw_log("error", "audit", "cannot finish the blocked stream");
            x->finished = true;
        }
        return rc;
    }
    {
        vt_buf swap = ev->data;
        ev->data = x->tmp;
        x->tmp = swap;
    }
    return vt_buf_terminate(&ev->data, err);
}

static void on_stream_bytes(void *arg, vt_gw_ctx *ctx, const uint8_t *p, size_t len)
{
    struct xstate *x = ctx->state;

    (void)arg;
    if (x == NULL || !x->audited)
        return;
    /* Also bytes sent before any event reached on_stream_event (an error event). */
    if ((x->sent == NULL && vt_digest_ctx_new(&x->sent, VT_MD_SHA256, NULL) != VT_OK) ||
        vt_digest_ctx_update(x->sent, p, len, NULL) != VT_OK)
        vt__gw_log("error", "receipt", "cannot digest the stream");
}

/* Appends one SSE event to out and to the digest of what was sent. */
static vt_status send_event(struct xstate *x, vt_buf *out, const char *data, size_t len, vt_err *err)
{
    size_t before = out->len;
    vt_status rc = vt_gw_sse_write_str(out, NULL, data, len, err);

    if (rc == VT_OK)
        rc = vt_digest_ctx_update(x->sent, out->data + before, out->len - before, err);
    return rc;
}

/*
 * The end of a stream.  complete = false: the stream failed (the upstream died or timed out,
 * an event could not be audited, an auditor blocked) and its error event is already out:
 * held-back text and [DONE] are dropped, so the error is the last thing the client reads
 * before the receipt, and the receipt covers only what was sent.
 */
static vt_status on_stream_end(void *arg, vt_gw_ctx *ctx, bool complete, vt_buf *out, vt_err *err)
{
    vt_gw_trust *t = arg;
    struct xstate *x = ctx->state;
    bool failed = ctx->unauditable != NULL;
    uint8_t h[32];
    char *tok = NULL;
    vt_status rc = VT_OK;

    if (x == NULL || !x->audited)
        return VT_OK;
    if (x->sent == NULL) /* a stream that failed before any event: it still gets its receipt */
        rc = vt_digest_ctx_new(&x->sent, VT_MD_SHA256, err);
    if (rc != VT_OK)
        return rc;
    /* Text still held back (choices without a finish_reason) goes out as a last chunk, unless the
     * stream failed or was blocked. */
    if (x->sse != NULL && !x->finished) {
        x->tmp.len = 0;
        rc = vt_audit_sse_finish(x->sse, failed || !complete ? NULL : &x->tmp, x->rep, err);
        x->finished = true;
        if (rc == VT_E_FORMAT || rc == VT_E_LIMIT) {
            /* A tool call still open whose arguments cannot be audited whole (the report says the
             * response failed): nothing of them is sent, the client reads why, and the receipt
             * still comes, as for an event that cannot be audited. */
            char msg[sizeof(err->msg)];
            snprintf(msg, sizeof(msg), "%s", err->msg);
            vt__gw_log("warn", "upstream_unauditable", msg);
            failed = true;
            rc = error_json(&x->tmp, "server_error", "upstream_unauditable", msg, err);
            if (rc == VT_OK && x->tmp.len > 0)
                x->tmp.len--; /* no newline inside the event */
            if (rc == VT_OK)
                rc = send_event(x, out, (const char *)x->tmp.data, x->tmp.len, err);
        } else if (rc == VT_OK && x->tmp.len > 0 && xany(t, VT_AUDIT_RESPONSE))
            rc = xhold(x, err);
        else if (rc == VT_OK && x->tmp.len > 0)
            rc = send_event(x, out, (const char *)x->tmp.data, x->tmp.len, err);
    }
    if (rc == VT_OK && json_array_size(x->win) > 0 && !failed && complete) {
        /* The last window (and the held-back text) through the external auditors. */
        vt_buf w;
        vt_buf_init(&w);
        rc = xflush(t, x, ctx, true, &w, err);
        if (rc == VT_E_POLICY) {
            w.len = 0;
            rc = error_json(&w, x->xfailed ? "server_error" : "invalid_request_error",
                            x->xfailed ? "auditor_failed" : "content_blocked", err->msg, err);
            if (rc == VT_OK && w.len > 0)
                w.len--; /* no newline inside the event */
            if (rc == VT_OK)
                rc = send_event(x, out, (const char *)w.data, w.len, err);
        } else if (rc == VT_OK && w.len > 0) {
            size_t before = out->len;
            rc = vt_buf_append(out, w.data, w.len, err);
            if (rc == VT_OK)
                rc = vt_digest_ctx_update(x->sent, out->data + before, out->len - before, err);
        }
        vt_buf_free(&w);
    }
    if (x->xfailed)
        vt_audit_report_failed(x->rep, VT_AUDIT_RESPONSE);
    if (failed)
        vt_audit_report_failed(x->rep, VT_AUDIT_RESPONSE);
    else if (!complete && x->rep->verdict != VT_AUDIT_BLOCK)
        x->rep->audited &= ~(unsigned)VT_AUDIT_RESPONSE; /* cut short: the answer was not fully seen */
    else if (x->sse == NULL)
        vt_audit_report_covered(x->rep, VT_AUDIT_RESPONSE); /* no event: nothing to read */
    if (rc == VT_OK && x->done_seen && complete && !failed && !x->xfailed && x->rep->verdict != VT_AUDIT_BLOCK)
        rc = send_event(x, out, "[DONE]", 6, err);
    x->status = ctx->upstream_status;
    x->ctype = "text/event-stream";
    if (rc == VT_OK)
        rc = execution(t, x, ctx, err);
    if (rc == VT_OK)
        rc = vt_digest_ctx_final(x->sent, h, err);
    if (rc != VT_OK || t->key == NULL)
        return rc;
    rc = make_receipt(&tok, t, x, ctx, h, err);
    if (rc == VT_OK)
        rc = vt_gw_sse_write_str(out, "veritee-receipt", tok, strlen(tok), err);
    free(tok);
    return rc;
}

static void on_finish(void *arg, vt_gw_ctx *ctx)
{
    (void)arg;
    xstate_free(ctx->state);
    ctx->state = NULL;
}

static bool hex_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))
            return false;
    return true;
}

/*
 * Evidence for a nonce, with the log it must agree with.  The quote is made without t->mu
 * (every inference request takes it): from a copy of the log taken under the lock, checked
 * afterwards to be still the whole log (re-measurement appends to the log and extends the
 * register together, under the lock), else made again.
 */
static vt_status fresh_evidence(vt_buf *ev, vt_collateral **coll, vt_tee_kind *kind, char **logtxt, char **passport,
                                char passport_id[48], vt_gw_trust *t, const uint8_t *nonce, size_t nonce_len,
                                vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;

    for (int attempt = 0; attempt < 3; attempt++) {
        vt_mlog *copy = NULL;
        size_t count;
        bool same;

        free(*logtxt);
        free(*passport);
        *logtxt = NULL;
        *passport = NULL;
        pthread_mutex_lock(&t->mu);
        count = vt_mlog_count(t->log);
        rc = vt_mlog_to_json(logtxt, t->log, err);
        if (rc == VT_OK && t->passport != NULL && (*passport = strdup(t->passport)) == NULL)
            rc = vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
        snprintf(passport_id, 48, "%s", t->passport_id);
        pthread_mutex_unlock(&t->mu);
        if (rc == VT_OK)
            rc = vt_mlog_parse(&copy, (const uint8_t *)*logtxt, strlen(*logtxt), err);
        ev->len = 0;
        vt_collateral_free(*coll);
        *coll = NULL;
        if (rc == VT_OK)
            rc = vt_collateral_new(coll, err);
        if (rc == VT_OK)
            rc = vt_attester_evidence(ev, *coll, kind, &t->ao, copy, nonce, nonce_len, t->key, err);
        vt_mlog_free(copy);
        if (rc != VT_OK)
            return rc;
        pthread_mutex_lock(&t->mu);
        same = vt_mlog_count(t->log) == count;
        pthread_mutex_unlock(&t->mu);
        if (same)
            return VT_OK;
    }
    return vt_err_set(err, VT_E_IO, "gateway: the measurement log kept changing while the evidence was made");
}

static vt_status on_attestation(void *arg, const char *query, int *status, vt_buf *body, vt_err *err)
{
    vt_gw_trust *t = arg;
    char nhex[160], *logtxt = NULL, *colltxt = NULL, *s = NULL, *passport = NULL, passport_id[48] = "";
    uint8_t nonce[64];
    size_t n;
    vt_collateral *coll = NULL;
    vt_tee_kind kind = VT_TEE_NONE;
    vt_buf ev, b64;
    json_t *o = NULL;
    vt_status rc;

    /* One nonce: a repeated parameter is refused by vt_http_query_get. */
    if (query == NULL || vt_http_query_get(nhex, sizeof(nhex), query, "nonce", NULL) != VT_OK ||
        (n = strlen(nhex)) < 32 || n > 128 || n % 2 != 0 || !hex_ok(nhex, n)) {
        *status = 400;
        return vt_buf_append_str(body,
                                 "{\"error\":{\"message\":\"gateway: nonce must be one nonce= of 16 to 64 bytes of hex "
                                 "(?nonce=HEX)\",\"type\":\"invalid_request_error\",\"param\":\"nonce\","
                                 "\"code\":\"bad_nonce\"}}\n",
                                 err);
    }
    if (t->key == NULL) {
        *status = 503;
        return vt_buf_append_str(body, "{\"error\":{\"message\":\"gateway: no enclave key\",\"type\":\"server_error\","
                                       "\"param\":null,\"code\":\"gateway_unattested\"}}\n", err);
    }
    rc = vt_hex_decode(nonce, n / 2, nhex, n, err);
    vt_buf_init(&ev);
    vt_buf_init(&b64);
    if (rc == VT_OK)
        rc = fresh_evidence(&ev, &coll, &kind, &logtxt, &passport, passport_id, t, nonce, n / 2, err);
    if (rc == VT_OK)
        rc = vt_base64_encode(&b64, ev.data, ev.len, false, err);
    if (rc == VT_OK)
        rc = vt_buf_terminate(&b64, err);
    if (rc == VT_OK)
        rc = vt_attester_collateral_json(&colltxt, coll, err);
    if (rc == VT_OK) {
        o = json_pack("{s:s, s:s, s:o, s:o, s:s?, s:s, s:s?, s:o, s:s, s:b}", "platform", vt_tee_name(kind),
                      "evidence", (const char *)b64.data, "collateral", json_loads(colltxt, 0, NULL), "log",
                      json_loads(logtxt, 0, NULL), "passport", passport, "passport_id", passport_id,
                      "environment", t->o.cfg->environment, "enclave_key", json_loads(t->jwk, 0, NULL), "nonce",
                      nhex, "simulated", t->o.simulate || kind == VT_TEE_MOCK);
        if (o != NULL && t->o.transport_json != NULL) /* the listeners: the log's "transport" event */
            json_object_set_new(o, "transport", json_string(t->o.transport_json));
        s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
        if (s == NULL)
            rc = vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
    }
    if (rc == VT_OK)
        rc = vt_buf_append_str(body, s, err);
    if (rc == VT_OK)
        rc = vt_buf_append(body, "\n", 1, err);
    *status = 200;
    free(s);
    free(logtxt);
    free(colltxt);
    free(passport);
    json_decref(o);
    vt_collateral_free(coll);
    vt_buf_free(&ev);
    vt_buf_free(&b64);
    return rc;
}


/* MCP's audit_check: one auditor of the chain on one text, nothing forwarded, no receipt. */
static vt_status on_audit_check(void *arg, const char *name, const char *phase, const char *text, size_t len,
                                json_t **result, vt_err *err)
{
    vt_gw_trust *t = arg;
    const vt_auditor_info *info = NULL;
    vt_audit_phase ph = phase != NULL && strcmp(phase, "response") == 0 ? VT_AUDIT_RESPONSE : VT_AUDIT_REQUEST;
    vt_audit_report *rep = NULL;
    vt_audit_ctx *cx = NULL;
    vt_buf out, rj;
    json_t *entry = NULL, *all = NULL;
    bool external = false;
    vt_status rc = VT_OK;

    *result = NULL;
    if (phase != NULL && strcmp(phase, "request") != 0 && strcmp(phase, "response") != 0)
        return vt_err_set(err, VT_E_ARG, "phase: request or response");
    for (size_t i = 0; name != NULL && i < vt_audit_chain_count(t->chain) && info == NULL; i++)
        if (strcmp(vt_audit_chain_get(t->chain, i)->name, name) == 0)
            info = vt_audit_chain_get(t->chain, i);
    if (info == NULL)
        return vt_err_set(err, VT_E_ARG, "auditor: no auditor named '%.32s' in this gateway's chain",
                          name != NULL ? name : "");
    if (!(info->phases & (unsigned)ph))
        return vt_err_set(err, VT_E_ARG, "auditor %s does not run in the %s phase", info->name,
                          vt_audit_phase_name(ph));
    for (size_t i = 0; i < vt_xaud_count(t->chain); i++)
        external |= strcmp(vt_xaud_get(t->chain, i)->name, info->name) == 0;
    if (external && vt__gw_xaud_unmeasured(t->xaud) != NULL)
        return vt_err_set(err, VT_E_POLICY, "%s", vt__gw_xaud_unmeasured(t->xaud));
    rep = malloc(sizeof(*rep));
    if (rep == NULL)
        return vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
    vt_audit_report_init(rep);
    vt_buf_init(&out);
    vt_buf_init(&rj);
    if (external) {
        vt_xaud_text tx = { "text", text, len };
        vt_xaud_context xcx = { t->o.cfg->environment, vt_tee_name(t->kind),
                                t->kind != VT_TEE_MOCK && t->kind != VT_TEE_NONE && !t->o.simulate, NULL };
        vt_xaud_io io;
        vt_xaud_result res;
        memset(&io, 0, sizeof(io));
        memset(&res, 0, sizeof(res));
        io.call = vt__gw_xaud_call;
        io.arg = vt__gw_xaud_arg(t->xaud, t->nctx); /* the shared slot: MCP is not tied to a loop's */
        io.exchange = "mcp";
        io.endpoint = "mcp:audit_check";
        io.context = &xcx;
        io.only = info->name;
        rc = vt_xaud_run_texts(rep, &res, t->chain, ph, VT_XAUD_ALL, &tx, &out, 1, &io, err);
        if (rc == VT_OK && out.data == NULL)
            rc = vt_buf_append(&out, text, len, err);
    } else {
        rc = vt_audit_ctx_new(&cx, t->chain, err);
        if (rc == VT_OK)
            rc = vt_audit_text(rep, &out, cx, ph, text, len, err);
    }
    if (rc == VT_OK)
        rc = vt_audit_report_json(&rj, rep, err);
    if (rc == VT_OK) {
        size_t i;
        json_t *e;
        all = json_loadb((const char *)rj.data, rj.len, 0, NULL);
        json_array_foreach(json_object_get(all, "auditors"), i, e)
            if (strcmp(json_string_value(json_object_get(e, "name")), info->name) == 0)
                entry = e;
        *result = json_pack("{s:s, s:s, s:s, s:O?, s:s%}", "auditor", info->name, "phase", vt_audit_phase_name(ph),
                            "verdict", entry != NULL ? json_string_value(json_object_get(entry, "verdict")) : "allow",
                            "entry", entry, "text", out.data != NULL ? (const char *)out.data : "", out.len);
        if (*result == NULL)
            rc = vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
    }
    json_decref(all);
    vt_audit_ctx_free(cx);
    vt_buf_free(&out);
    vt_buf_free(&rj);
    free(rep);
    return rc;
}

void vt_gw_trust_hooks(vt_gw_hooks *h, vt_gw_trust *t)
{
    memset(h, 0, sizeof(*h));
    h->arg = t;
    h->on_request = on_request;
    h->on_response = on_response;
    h->on_stream_event = on_stream_event;
    h->on_stream_end = on_stream_end;
    h->on_finish = on_finish;
    h->on_error = on_error;
    h->on_stream_bytes = on_stream_bytes;
    h->on_attestation = on_attestation;
    h->on_audit_check = on_audit_check;
}
