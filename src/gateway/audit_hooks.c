/* The auditor chain, receipts and the attestation endpoint as proxy hooks (trust.h, hooks.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "gateway/trust.h"

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
};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

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
    vt_buf aj;
    vt_status rc;

    vt_buf_init(&aj);
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
    rc = vt_audit_report_json(&aj, x->rep, err);
    if (rc == VT_OK)
        rc = vt_buf_terminate(&aj, err);
    if (rc == VT_OK) {
        /* The receipt keeps the auditors array; the report's own verdict is r.verdict. */
        json_t *o = json_loads((const char *)aj.data, 0, NULL);
        r.auditors = json_dumps(json_object_get(o, "auditors"), JSON_COMPACT);
        r.unaudited = json_dumps(json_object_get(json_object_get(o, "coverage"), "unaudited"), JSON_COMPACT);
        json_decref(o);
        if (r.auditors == NULL || r.unaudited == NULL)
            rc = vt_err_set(err, VT_E_INTERNAL, "gateway: auditor report JSON");
    }
    r.prompt_tokens = x->exec.prompt_tokens;
    r.completion_tokens = x->exec.completion_tokens;
    r.total_tokens = x->exec.total_tokens;
    r.received_ms = x->received_ms;
    r.completed_ms = wall_ms();
    if (rc == VT_OK && ctx->deployments != NULL && (r.deployments = strdup(ctx->deployments)) == NULL)
        rc = vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
    if (rc == VT_OK)
        rc = vt_receipt_sign(token_out, &r, t->key, err);
    if (rc == VT_OK)
        vt__gw_receipt_queue(t, *token_out);
    vt_receipt_clear(&r);
    vt_buf_free(&aj);
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
        if (!atomic_load(&t->serving)) {
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
    x->received_ms = wall_ms();
    x->start_us = mono_us();
    vt_audit_report_init(x->rep);
    vt_audit_exec_init(&x->exec);
    pthread_mutex_lock(&t->mu);
    memcpy(x->model, t->model, 32);
    if (t->model_unknown || changed) /* changed and not yet re-measured: nothing known matches */
        memset(x->model, 0, 32);
    snprintf(x->passport_id, sizeof(x->passport_id), "%s", t->passport_id);
    pthread_mutex_unlock(&t->mu);

    rc = vt_digest(VT_MD_SHA256, body->data, body->len, x->received, err);
    if (rc == VT_OK && t->o.cfg->model_count > 0)
        rc = vt_audit_artifact(x->rep, t->chain, x->model, 32, err);
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
    }
    if (rc != VT_OK)
        return rc;
    if (!v->block && x->rep->verdict == VT_AUDIT_BLOCK) {
        v->block = true;
        v->status = 403;
        block_message(v->message, sizeof(v->message), x->rep);
    }
    if (!v->block && !atomic_load(&t->serving)) {
        v->block = true;
        v->status = 503;
        snprintf(v->message, sizeof(v->message), "gateway: no affirming passport: not serving");
    }
    if (v->block) {
        /* Nothing is forwarded; the receipt covers the error body the client gets. */
        json_t *o = json_pack("{s:{s:s, s:s, s:n, s:s}}", "error", "message", v->message, "type",
                              v->status == 503 ? "server_error" : "invalid_request_error", "param", "code",
                              v->status == 503   ? "gateway_unattested"
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
    x->exec.latency_us = mono_us() - x->start_us;
    x->exec.upstream_status = ctx->upstream_status;
    return vt_audit_execution(x->rep, t->chain, &x->exec, err);
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
    if (rc == VT_OK && why[0] == '\0') {
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
    vt_audit_exec_usage(&x->exec, ev->data.data, ev->data.len);
    if (vt_audit_sse_blocked(x->sse)) {
        char msg[400];
        if (vt_audit_sse_finish(x->sse, NULL, x->rep, NULL) != VT_OK)
            vt__gw_log("error", "audit", "cannot finish the blocked stream");
        x->finished = true;
        block_message(msg, sizeof(msg), x->rep);
        return vt_err_set(err, VT_E_POLICY, "%s", msg);
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
        if (rc == VT_OK && x->tmp.len > 0)
            rc = send_event(x, out, (const char *)x->tmp.data, x->tmp.len, err);
    }
    if (failed)
        vt_audit_report_failed(x->rep, VT_AUDIT_RESPONSE);
    else if (!complete && x->rep->verdict != VT_AUDIT_BLOCK)
        x->rep->audited &= ~(unsigned)VT_AUDIT_RESPONSE; /* cut short: the answer was not fully seen */
    else if (x->sse == NULL)
        vt_audit_report_covered(x->rep, VT_AUDIT_RESPONSE); /* no event: nothing to read */
    if (rc == VT_OK && x->done_seen && complete && !failed && x->rep->verdict != VT_AUDIT_BLOCK)
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
}
