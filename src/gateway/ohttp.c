/*
 * Oblivious HTTP at the gateway (see ohttp.h and docs/transport.md).
 *
 * Lifetime of one POST /v1/ohttp: the front decapsulates the request (errors
 * before that point are plain HTTP 4xx: nothing can be encapsulated to a
 * client whose request did not decrypt), parses the Binary HTTP request and
 * sends it to this gateway's own routes (inner.c, shared with MCP).  inner_done
 * encapsulates whatever the gateway answered (status, headers including the
 * receipt, body) and replies 200 message/ohttp-res.  If the client goes away
 * meanwhile, the inner request is cancelled (inner.h vt_gw_inner_waiter) and
 * nothing is answered.
 * Prompt and answer bytes are never logged; buffers that held them are wiped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <sys/queue.h>

#include <event2/keyvalq_struct.h>

#include "gateway/inner.h"
#include "http/evwipe.h"
#include "gateway/ohttp.h"
#include "gateway/transport.h"
#include "gateway/trust.h"

#define KEY_ID 1
#define INNER_TIMEOUT_SECS 600
#define INNER_BODY_MAX (VT_BHTTP_MAX - 65536u) /* room for the response's status and headers */

struct vt_gw_ohttp {
    vt_hpke_key *key;           /* HPKE private key: memory only, wiped when freed */
    vt_ohttp_key_config cfg;
    vt_buf keys;                /* application/ohttp-keys */
    char *binding;              /* base64url ECDSA P-256 r||s, or "" */
    size_t max_request_bytes;
    const vt_gw_self *self;     /* how to reach the gateway (transport.h); set before serving */
    vt_connguard *guard;        /* the listeners' connection guard; set before serving */
};

struct pend {
    vt_gw_inner_waiter w;             /* the client's request (w.req, NULL once it left) */
    vt_ohttp_ctx *ctx;                /* response keys (wiped when freed) */
    bool started;                     /* chunked: the reply to the client has started */
    bool seal_failed;                 /* chunked: a piece did not seal, the answer ends there */
};

vt_status vt_gw_ohttp_new(vt_gw_ohttp **out, const vt_pkey *enclave_key, size_t max_request_bytes, vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    vt_gw_ohttp *o = NULL;
    vt_buf msg, sig, b64;
    const uint8_t *pk;

    *out = NULL;
    vt_buf_init(&msg);
    vt_buf_init(&sig);
    vt_buf_init(&b64);
    o = calloc(1, sizeof(*o));
    if (o == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
        goto out;
    }
    o->max_request_bytes = max_request_bytes;
    rc = vt_hpke_key_generate(&o->key, VT_HPKE_KEM_X25519_SHA256, err);
    if (rc != VT_OK)
        goto out;
    o->cfg.key_id = KEY_ID;
    o->cfg.kem = VT_HPKE_KEM_X25519_SHA256;
    pk = vt_hpke_key_public(o->key, &o->cfg.pk_len);
    memcpy(o->cfg.pk, pk, o->cfg.pk_len);
    o->cfg.algs[0] = (vt_ohttp_alg){ VT_HPKE_KDF_SHA256, VT_HPKE_AEAD_AES_128_GCM };
    o->cfg.algs[1] = (vt_ohttp_alg){ VT_HPKE_KDF_SHA256, VT_HPKE_AEAD_CHACHA20_POLY1305 };
    o->cfg.alg_count = 2;
    rc = vt_ohttp_keys_encode(&o->keys, &o->cfg, 1, err);
    if (rc != VT_OK)
        goto out;
    if (enclave_key != NULL) {
        /* The binding: the enclave key (the passport's cnf) signs the configuration. */
        rc = vt_buf_append(&msg, VT_GW_OHTTP_BINDING_CONTEXT, sizeof(VT_GW_OHTTP_BINDING_CONTEXT), err);
        if (rc == VT_OK)
            rc = vt_buf_append(&msg, o->keys.data, o->keys.len, err);
        if (rc == VT_OK)
            rc = vt_ecdsa_sign_raw(&sig, enclave_key, VT_MD_SHA256, msg.data, msg.len, err);
        if (rc == VT_OK)
            rc = vt_base64_encode(&b64, sig.data, sig.len, true, err);
        if (rc == VT_OK)
            rc = vt_buf_terminate(&b64, err);
        if (rc != VT_OK)
            goto out;
        o->binding = (char *)b64.data;
        vt_buf_init(&b64);
    } else {
        o->binding = strdup("");
        if (o->binding == NULL) {
            rc = vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
            goto out;
        }
    }
    *out = o;
    o = NULL;
    rc = VT_OK;
out:
    vt_buf_free(&msg);
    vt_buf_free(&sig);
    vt_buf_free(&b64);
    vt_gw_ohttp_free(o);
    return rc;
}

void vt_gw_ohttp_free(vt_gw_ohttp *o)
{
    if (o == NULL)
        return;
    vt_hpke_key_free(o->key);
    vt_buf_free(&o->keys);
    free(o->binding);
    free(o);
}

void vt_gw_ohttp_set_self(vt_gw_ohttp *o, const vt_gw_self *self)
{
    if (o != NULL)
        o->self = self;
}

void vt_gw_ohttp_set_guard(vt_gw_ohttp *o, vt_connguard *guard)
{
    if (o != NULL)
        o->guard = guard;
}

const vt_buf *vt_gw_ohttp_keys(const vt_gw_ohttp *o, const char **binding)
{
    *binding = o->binding;
    return &o->keys;
}

/* ---- replies ---- */

static void send_body(struct evhttp_request *req, int status, const char *ctype, const void *p, size_t len)
{
    struct evkeyvalq *oh = evhttp_request_get_output_headers(req);
    struct evbuffer *b = evbuffer_new();

    evhttp_add_header(oh, "Content-Type", ctype);
    evhttp_add_header(oh, "Cache-Control", "no-store");
    if (b != NULL)
        evbuffer_add(b, p, len);
    evhttp_send_reply(req, status, NULL, b);
    if (b != NULL)
        evbuffer_free(b);
}

/* A plain (unencapsulated) error: only for requests that did not decapsulate. */
static void plain_error(struct evhttp_request *req, int status, const char *code, const char *msg)
{
    char body[512];
    int n = snprintf(body, sizeof(body), "{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"%s\",\"message\":\"%s\"}}\n",
                     code, msg);
    send_body(req, status, "application/json", body, n > 0 && (size_t)n < sizeof(body) ? (size_t)n : 0);
}

/* RFC 9458 §5.3: a key configuration the gateway does not have. */
static void key_problem(struct evhttp_request *req, const char *detail)
{
    char body[384];
    int n = snprintf(body, sizeof(body), "{\"type\":\"https://iana.org/assignments/http-problem-types#ohttp-key\","
                     "\"title\":\"key identifier unknown\",\"detail\":\"%s\"}\n", detail);
    send_body(req, 400, "application/problem+json", body, n > 0 && (size_t)n < sizeof(body) ? (size_t)n : 0);
}

/* Encapsulates a Binary HTTP response to the client and replies message/ohttp-res. */
static void send_encapsulated(struct evhttp_request *req, const vt_ohttp_ctx *ctx, const vt_buf *bhttp)
{
    vt_buf enc = { 0 };
    vt_err err = { 0 };

    if (vt_ohttp_encap_response(&enc, ctx, bhttp->data, bhttp->len, NULL, &err) != VT_OK) {
        vt__gw_log("error", "ohttp_encapsulate", err.msg);
        plain_error(req, 500, "ohttp_failed", "gateway: the response could not be encapsulated");
    } else {
        send_body(req, 200, VT_OHTTP_RES_MEDIA, enc.data, enc.len);
    }
    vt_buf_free(&enc);
}

/* An inner error reply (JSON, like the gateway's own), encapsulated. */
static void send_chunked_whole(struct evhttp_request *req, vt_ohttp_ctx *ctx, int status, const vt_bhttp_field *f,
                               size_t n, const uint8_t *body, size_t len);

static void inner_error(struct evhttp_request *req, vt_ohttp_ctx *ctx, int status, const char *code,
                        const char *msg)
{
    char body[512];
    int n = snprintf(body, sizeof(body), "{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"%s\",\"message\":\"%s\"}}\n",
                     code, msg);
    vt_bhttp_field f = { "content-type", 12, "application/json", 16 };
    vt_buf b = { 0 };

    if (n < 0 || (size_t)n >= sizeof(body))
        n = 0;
    if (vt_ohttp_ctx_chunked(ctx))
        send_chunked_whole(req, ctx, status, &f, 1, (const uint8_t *)body, (size_t)n);
    else if (vt_bhttp_encode_response(&b, status, &f, 1, (const uint8_t *)body, (size_t)n, NULL) != VT_OK)
        plain_error(req, 500, "ohttp_failed", "gateway: the response could not be encoded");
    else
        send_encapsulated(req, ctx, &b);
    vt_buf_free(&b);
}

/* ---- the inner exchange ---- */

static void pend_free(struct pend *p)
{
    if (p == NULL)
        return;
    vt_ohttp_ctx_free(p->ctx);
    free(p);
}

static void inner_done(struct evhttp_request *ireq, void *arg)
{
    struct pend *p = arg;
    vt_bhttp_field f[VT_BHTTP_FIELDS_MAX];
    char names[VT_BHTTP_FIELDS_MAX][64];
    size_t n = 0;
    vt_buf b = { 0 }, body = { 0 };
    struct evbuffer *in;
    struct evhttp_request *creq = vt_gw_inner_wait_end(&p->w);
    int status;

    if (creq == NULL)
        goto out; /* the client went away: nothing to answer */
    status = ireq != NULL ? evhttp_request_get_response_code(ireq) : 0;
    if (status < 200 || status > 599) {
        inner_error(creq, p->ctx, 502, "ohttp_inner_failed", "gateway: the inner request got no answer");
        goto out;
    }
    {
        struct evkeyval *h;
        TAILQ_FOREACH(h, evhttp_request_get_input_headers(ireq), next) {
            size_t nl = strlen(h->key);
            if (vt_gw_inner_hop_by_hop(h->key, nl) || nl == 0 || nl >= sizeof(names[0]) || n == VT_BHTTP_FIELDS_MAX)
                continue;
            for (size_t i = 0; i < nl; i++)
                names[n][i] = (char)((h->key[i] >= 'A' && h->key[i] <= 'Z') ? h->key[i] + 32 : h->key[i]);
            f[n] = (vt_bhttp_field){ names[n], nl, h->value, strlen(h->value) };
            n++;
        }
    }
    /* The answer into a buffer of ours (evbuffer_pullup would leave its old blocks unwiped). */
    if (vt__http_evwipe_take(&body, evhttp_request_get_input_buffer(ireq), NULL) != VT_OK ||
        vt_bhttp_encode_response(&b, status, f, n, body.data, body.len, NULL) != VT_OK)
        inner_error(creq, p->ctx, 502, "ohttp_inner_failed", "gateway: the inner response could not be encoded");
    else
        send_encapsulated(creq, p->ctx, &b);
out:
    in = ireq != NULL ? evhttp_request_get_input_buffer(ireq) : NULL;
    vt__http_evwipe(in); /* the answer, also when nobody is left to get it */
    vt_buf_free(&body); /* wipes */
    vt_buf_free(&b);    /* wipes: the answer as Binary HTTP, sealed by now */
    pend_free(p);
}

/* ---- chunked OHTTP: the answer sealed piece by piece as the gateway produces it ---- */

static void start_chunked(struct evhttp_request *req)
{
    struct evkeyvalq *oh = evhttp_request_get_output_headers(req);

    evhttp_add_header(oh, "Content-Type", VT_OHTTP_CHUNKED_RES_MEDIA);
    evhttp_add_header(oh, "Cache-Control", "no-store");
    evhttp_send_reply_start(req, 200, "OK");
}

bool vt__gw_ohttp_seal_chunk(vt_buf *out, vt_ohttp_ctx *ctx, bool *failed, const vt_buf *plain, bool final)
{
    vt_err err = { 0 };

    if (*failed)
        return false; /* the answer ended at the piece that failed: logged then */
    if (vt_ohttp_chunked_res_seal(out, ctx, plain->data, plain->len, final, &err) == VT_OK)
        return true;
    *failed = true;
    vt__gw_log("error", "ohttp_encapsulate", err.msg);
    return false;
}

/* Seals plain (one Binary HTTP piece) as one chunk and sends it. */
static bool send_chunk(struct evhttp_request *req, vt_ohttp_ctx *ctx, bool *failed, const vt_buf *plain, bool final)
{
    vt_buf enc = { 0 };
    struct evbuffer *b;
    bool ok = vt__gw_ohttp_seal_chunk(&enc, ctx, failed, plain, final);

    b = ok ? evbuffer_new() : NULL;
    if (b != NULL) {
        evbuffer_add(b, enc.data, enc.len);
        evhttp_send_reply_chunk(req, b);
        evbuffer_free(b);
    }
    vt_buf_free(&enc);
    return b != NULL;
}

/* A whole answer (an error) as one final chunk of an indeterminate-length response. */
static void send_chunked_whole(struct evhttp_request *req, vt_ohttp_ctx *ctx, int status, const vt_bhttp_field *f,
                               size_t n, const uint8_t *body, size_t len)
{
    vt_buf b = { 0 };
    vt_status rc = vt_bhttp_encode_response_head(&b, status, f, n, NULL);
    bool failed = false;

    if (rc == VT_OK && len > 0)
        rc = vt_bhttp_encode_content_chunk(&b, body, len, NULL);
    if (rc == VT_OK)
        rc = vt_bhttp_encode_response_end(&b, NULL);
    if (rc != VT_OK) {
        plain_error(req, 500, "ohttp_failed", "gateway: the response could not be encoded");
    } else {
        start_chunked(req);
        send_chunk(req, ctx, &failed, &b, true);
        evhttp_send_reply_end(req);
    }
    vt_buf_free(&b);
}

static void pend_free(struct pend *p);

/* The inner answer's status and headers: the first chunk. */
static void stream_head(struct evhttp_request *ireq, void *arg)
{
    struct pend *p = arg;
    vt_bhttp_field f[VT_BHTTP_FIELDS_MAX];
    char names[VT_BHTTP_FIELDS_MAX][64];
    size_t n = 0;
    vt_buf b = { 0 };
    struct evkeyval *h;
    int status = evhttp_request_get_response_code(ireq);

    if (p->w.req == NULL || p->started)
        return;
    if (status < 200 || status > 599)
        return; /* stream_done answers 502 */
    TAILQ_FOREACH(h, evhttp_request_get_input_headers(ireq), next) {
        size_t nl = strlen(h->key);
        if (vt_gw_inner_hop_by_hop(h->key, nl) || nl == 0 || nl >= sizeof(names[0]) || n == VT_BHTTP_FIELDS_MAX)
            continue;
        for (size_t i = 0; i < nl; i++)
            names[n][i] = (char)((h->key[i] >= 'A' && h->key[i] <= 'Z') ? h->key[i] + 32 : h->key[i]);
        f[n] = (vt_bhttp_field){ names[n], nl, h->value, strlen(h->value) };
        n++;
    }
    if (vt_bhttp_encode_response_head(&b, status, f, n, NULL) == VT_OK) {
        vt_gw_inner_wait_replying(&p->w);
        start_chunked(p->w.req);
        p->started = true;
        send_chunk(p->w.req, p->ctx, &p->seal_failed, &b, false);
    }
    vt_buf_free(&b);
}

/* A piece of the inner answer (an SSE event, usually): one chunk, sealed now. */
static void stream_body(struct evhttp_request *ireq, void *arg)
{
    struct pend *p = arg;
    struct evbuffer *in = evhttp_request_get_input_buffer(ireq);
    vt_buf b = { 0 }, piece = { 0 };

    if (evbuffer_get_length(in) == 0)
        return;
    /* The piece into a buffer of ours; the input wiped where it lies (evhttp drains it after this call). */
    if (vt__http_evwipe_take(&piece, in, NULL) == VT_OK && p->w.req != NULL && p->started && !p->seal_failed &&
        vt_bhttp_encode_content_chunk(&b, piece.data, piece.len, NULL) == VT_OK)
        send_chunk(p->w.req, p->ctx, &p->seal_failed, &b, false);
    vt_buf_free(&piece); /* wipes */
    vt_buf_free(&b);     /* wipes: sealed by now */
}

/* The end: the final chunk, or, when the inner request failed, a truncated answer. */
static void stream_done(struct evhttp_request *ireq, void *arg)
{
    struct pend *p = arg;
    int status = ireq != NULL ? evhttp_request_get_response_code(ireq) : 0;
    struct evhttp_request *creq = vt_gw_inner_wait_end(&p->w);
    vt_buf b = { 0 };

    if (creq == NULL)
        goto out;
    if (!p->started) {
        inner_error(creq, p->ctx, 502, "ohttp_inner_failed", "gateway: the inner request got no answer");
        goto out;
    }
    /* An inner failure midway sends no final chunk: the client sees the answer truncated. */
    if (status >= 200 && !p->seal_failed && vt_bhttp_encode_response_end(&b, NULL) == VT_OK)
        send_chunk(creq, p->ctx, &p->seal_failed, &b, true);
    evhttp_send_reply_end(creq);
out:
    vt_buf_free(&b);
    pend_free(p);
}

static void copy_str(char *out, size_t cap, const char *p, size_t n)
{
    n = n < cap - 1 ? n : cap - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

/* The path of target as the gateway's front will read it (evhttp's parse of a request-target) is
 * neither OHTTP route, and target names no authority. */
static bool inner_path_ok(const char *target)
{
    struct evhttp_uri *u = evhttp_uri_parse_with_flags(target, EVHTTP_URI_NONCONFORMANT);
    const char *p = u != NULL ? evhttp_uri_get_path(u) : NULL;
    bool ok = p != NULL && evhttp_uri_get_host(u) == NULL && evhttp_uri_get_scheme(u) == NULL &&
              strcmp(p, "/v1/ohttp") != 0 && strcmp(p, "/.well-known/ohttp-keys") != 0;

    if (u != NULL)
        evhttp_uri_free(u);
    return ok;
}

/* Sends the decapsulated request to this gateway's own routes (inner.c): the front, limits,
 * auditors and receipt apply as to a direct request. */
static void forward(vt_gw_ohttp *o, struct evhttp_request *req, struct event_base *base, vt_ohttp_ctx *ctx,
                    const vt_bhttp_msg *m)
{
    static const vt_gw_inner_cb whole = { NULL, NULL, inner_done }, streamed = { stream_head, stream_body, stream_done };
    struct pend *p = NULL;
    vt_gw_inner_req r = { 0 };
    char path[VT_BHTTP_CONTROL_MAX + 1], host[300];

    if (m->method_len == 3 && memcmp(m->method, "GET", 3) == 0) {
        r.cmd = EVHTTP_REQ_GET;
    } else if (m->method_len == 4 && memcmp(m->method, "POST", 4) == 0) {
        r.cmd = EVHTTP_REQ_POST;
    } else {
        inner_error(req, ctx, 405, "method_not_allowed", "gateway: the inner request must be GET or POST");
        vt_ohttp_ctx_free(ctx);
        return;
    }
    copy_str(path, sizeof(path), m->path, m->path_len);
    /* No recursion: an inner request may not be OHTTP again, whatever the form of its path.  The
     * front reads the path as evhttp parses the request-target ("//host/v1/ohttp" is an authority
     * and the path /v1/ohttp), so a target with an authority is refused, and the path checked is
     * the one the front will route. */
    if (strncmp(path, "/v1/ohttp", 9) == 0 || strncmp(path, "/.well-known/ohttp-keys", 23) == 0 || path[0] != '/' ||
        !inner_path_ok(path)) {
        inner_error(req, ctx, 404, "unknown_url", "gateway: the inner request must name a gateway route");
        vt_ohttp_ctx_free(ctx);
        return;
    }
    copy_str(host, sizeof(host), m->authority, m->authority_len);
    r.path = path;
    r.host = host;
    r.fields = m->fields;
    r.field_count = m->field_count;
    r.body = m->content;
    r.body_len = m->content_len;
    r.timeout_secs = INNER_TIMEOUT_SECS;
    r.max_body = INNER_BODY_MAX;
    p = calloc(1, sizeof(*p));
    if (p != NULL) {
        p->ctx = ctx;
        vt_gw_inner_wait(&p->w, base, o->guard, req);
    }
    if (p == NULL || o->self == NULL ||
        !vt_gw_inner_send(o->self, base, &r, vt_ohttp_ctx_chunked(ctx) ? &streamed : &whole, p, &p->w.call)) {
        if (p != NULL)
            (void)vt_gw_inner_wait_end(&p->w);
        inner_error(req, ctx, 502, "ohttp_inner_failed", "gateway: the inner request could not be sent");
        free(p);
        vt_ohttp_ctx_free(ctx);
    }
}

static void handle_request(vt_gw_ohttp *o, struct evhttp_request *req, struct event_base *base)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
    size_t len = evbuffer_get_length(in), max = o->max_request_bytes + 1024;
    vt_ohttp_ctx *ctx = NULL;
    vt_bhttp_msg *m = NULL;
    vt_buf inner = { 0 };
    vt_err err = { 0 };
    vt_status rc;
    bool chunked = false;

    if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "POST");
        plain_error(req, 405, "method_not_allowed", "gateway: this URL takes POST");
        return;
    }
    if (ct != NULL && strcasecmp(ct, VT_OHTTP_CHUNKED_REQ_MEDIA) == 0) {
        chunked = true;
    } else if (ct == NULL || strcasecmp(ct, VT_OHTTP_REQ_MEDIA) != 0) {
        plain_error(req, 415, "unsupported_media_type",
                    "gateway: this URL takes message/ohttp-req or message/ohttp-chunked-req");
        return;
    }
    if (len > max || len > VT_OHTTP_MAX) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
        plain_error(req, 413, "request_too_large", "gateway: the encapsulated request is too large");
        return;
    }
    rc = chunked ? vt_ohttp_chunked_decap_request(&inner, &ctx, &o->cfg, o->key, evbuffer_pullup(in, -1), len, &err)
                 : vt_ohttp_decap_request(&inner, &ctx, &o->cfg, o->key, evbuffer_pullup(in, -1), len, &err);
    vt_wipe(evbuffer_pullup(in, -1), len);
    if (rc == VT_E_NOTFOUND || rc == VT_E_UNSUPPORTED) {
        vt__gw_log("warn", "ohttp_key", err.msg);
        key_problem(req, rc == VT_E_NOTFOUND ? "unknown key identifier" : "unsupported KEM, KDF or AEAD");
        goto out;
    }
    if (rc != VT_OK) {
        /* Truncated, altered, replayed to another key, or not for us: one answer for all. */
        vt__gw_log("warn", "ohttp_decapsulate", err.msg);
        plain_error(req, 400, "ohttp_invalid", "gateway: the encapsulated request could not be decrypted");
        goto out;
    }
    if (vt_bhttp_parse(&m, inner.data, inner.len, &err) != VT_OK || !m->request) {
        vt__gw_log("warn", "ohttp_bhttp", m == NULL ? err.msg : "a response where a request was expected");
        inner_error(req, ctx, 400, "invalid_request", "gateway: the inner message is not a Binary HTTP request");
        goto out;
    }
    forward(o, req, base, ctx, m); /* takes ctx */
    ctx = NULL;
out:
    vt_bhttp_msg_free(m); /* wipes */
    vt_buf_free(&inner);  /* wipes */
    vt_ohttp_ctx_free(ctx);
}

bool vt_gw_ohttp_front(void *arg, void *evreq, void *base, uint16_t port)
{
    vt_gw_ohttp *o = arg;
    struct evhttp_request *req = evreq;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;

    (void)port;
    if (o == NULL || path == NULL)
        return false;
    if (strcmp(path, "/.well-known/ohttp-keys") == 0) {
        if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
            evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET");
            plain_error(req, 405, "method_not_allowed", "gateway: this URL takes GET");
            return true;
        }
        if (o->binding[0] != '\0')
            evhttp_add_header(evhttp_request_get_output_headers(req), "Veritee-Key-Binding", o->binding);
        send_body(req, 200, VT_OHTTP_KEYS_MEDIA, o->keys.data, o->keys.len);
        return true;
    }
    if (strcmp(path, "/v1/ohttp") == 0) {
        handle_request(o, req, base);
        return true;
    }
    return false;
}
