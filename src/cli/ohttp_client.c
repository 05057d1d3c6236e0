/* The CLI's Oblivious HTTP client (see ohttp_client.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ohttp_client.h"

#define BINDING_CONTEXT "veritee ohttp-keys v1" /* gateway/ohttp.h VT_GW_OHTTP_BINDING_CONTEXT */

static bool keep(void *arg, const uint8_t *p, size_t len)
{
    (void)arg;
    (void)p;
    (void)len;
    return true;
}

/* ---- a relay's answer that is not OHTTP (a refusal: 403, 502, a captive page) ---- */
#define EXCERPT_MAX 100             /* bytes of a refusal's body shown */
#define REFUSAL_READ_MAX (64u << 10) /* bytes of a refusal read before giving up on it */

/* ctype (a Content-Type value, NUL-terminated or empty) names media, parameters aside. */
static bool media_is(const vt_buf *ctype, const char *media)
{
    size_t n = strlen(media), len = 0;

    if (ctype->data == NULL)
        return false;
    while (len < ctype->len && ctype->data[len] != ';' && ctype->data[len] != ' ' && ctype->data[len] != '\t')
        len++;
    return len == n && strncasecmp((const char *)ctype->data, media, n) == 0;
}

/* A bounded, printable rendering of untrusted bytes for a message: printable ASCII but quotes and
 * backslashes kept, any other byte shown as '?', line breaks and tabs as one space, at most
 * max bytes of input, "..." when there was more. */
static void sanitize(char *out, size_t cap, const uint8_t *p, size_t len, size_t max)
{
    size_t o = 0, n = len < max ? len : max;

    for (size_t i = 0; i < n && o + 4 < cap; i++) {
        uint8_t c = p[i];
        if (c == '\r' || c == '\n' || c == '\t') {
            if (o > 0 && out[o - 1] != ' ')
                out[o++] = ' ';
        } else {
            out[o++] = c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? (char)c : '?';
        }
    }
    if (n < len && o + 4 <= cap) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o < cap ? o : cap - 1] = '\0';
}

/* The relay's refusal as the error: its status, its media type and the start of its body. */
static vt_status refusal(vt_err *err, long status, const vt_buf *ctype, const uint8_t *body, size_t len)
{
    char ex[EXCERPT_MAX + 8], ct[48], st[40];

    sanitize(ex, sizeof(ex), body, len, EXCERPT_MAX);
    sanitize(ct, sizeof(ct), ctype->data, ctype->len, 40);
    if (status > 0)
        snprintf(st, sizeof(st), "HTTP %ld", status);
    else
        snprintf(st, sizeof(st), "more than %u bytes", REFUSAL_READ_MAX);
    return vt_err_set(err, VT_E_IO, "ohttp: the relay answered %s%s%s%s, not an OHTTP response%s%s%s", st,
                      ct[0] ? " (" : "", ct, ct[0] ? ")" : "", len > 0 ? ": \"" : " (no body)", len > 0 ? ex : "",
                      len > 0 ? "\"" : "");
}

/* The gateway's key configuration, checked against the attested key. */
static vt_status fetch_config(vt_ohttp_key_config *cfg, const char *relay, const vt_pkey *cnf_key,
                              const vt_http_client_opts *ho, vt_err *err)
{
    vt_status rc;
    vt_http_stream_opts so;
    vt_http_response resp;
    vt_buf binding, sig, msg;
    vt_ohttp_key_config list[VT_OHTTP_CONFIGS_MAX];
    size_t count = 0;
    char url[1200];

    vt_buf_init(&binding);
    vt_buf_init(&sig);
    vt_buf_init(&msg);
    memset(&resp, 0, sizeof(resp));
    memset(&so, 0, sizeof(so));
    so.accept = VT_OHTTP_KEYS_MEDIA;
    so.on_chunk = keep;
    so.keep_body = true;
    so.header = "Veritee-Key-Binding";
    so.header_value = &binding;
    snprintf(url, sizeof(url), "%s/.well-known/ohttp-keys", relay);
    rc = vt_http_request_stream(&resp, "GET", url, &so, ho, err);
    if (rc == VT_OK && resp.status != 200)
        rc = vt_err_set(err, VT_E_IO, "ohttp: %s answered HTTP %ld", url, resp.status);
    if (rc == VT_OK && binding.len == 0)
        rc = vt_err_set(err, VT_E_CRYPTO, "ohttp: the key configuration carries no Veritee-Key-Binding");
    if (rc == VT_OK)
        rc = vt_base64_decode(&sig, (const char *)binding.data, binding.len, err);
    if (rc == VT_OK)
        rc = vt_buf_append(&msg, BINDING_CONTEXT, sizeof(BINDING_CONTEXT), err);
    if (rc == VT_OK)
        rc = vt_buf_append(&msg, resp.body.data, resp.body.len, err);
    if (rc == VT_OK) {
        rc = vt_ecdsa_verify_raw(cnf_key, VT_MD_SHA256, msg.data, msg.len, sig.data, sig.len, err);
        if (rc != VT_OK)
            rc = vt_err_set(err, VT_E_CRYPTO, "ohttp: the key configuration is not signed by the passport's "
                            "enclave key");
    }
    if (rc == VT_OK)
        rc = vt_ohttp_keys_parse(list, &count, VT_OHTTP_CONFIGS_MAX, resp.body.data, resp.body.len, err);
    if (rc == VT_OK)
        *cfg = list[0];
    vt_http_response_clear(&resp);
    vt_buf_free(&binding);
    vt_buf_free(&sig);
    vt_buf_free(&msg);
    return rc;
}

/* ---- chunked: each sealed chunk opened as it arrives, its content handed on at once ---- */

struct stream {
    vt_ohttp_ctx *ctx;
    vt_buf ctype;  /* the answer's Content-Type */
    bool refused;  /* the answer is not message/ohttp-chunked-res: its start kept, nothing opened */
    vt_buf refusal;
    size_t refusal_len;
    vt_buf raw;    /* encapsulated bytes not yet opened */
    vt_buf plain;  /* opened bytes not yet read as Binary HTTP */
    vt_bhttp_reader rd;
    vt_buf *receipt;
    vt_http_chunk_fn on_chunk;
    void *arg;
    bool final;
    bool opening;  /* the answer is message/ohttp-chunked-res: its chunks are opened */
    vt_status rc;
    vt_err err;
};

static void consume(vt_buf *b, size_t used)
{
    if (used == 0)
        return; /* b may be empty (no buffer yet) */
    memmove(b->data, b->data + used, b->len - used);
    vt_wipe(b->data + b->len - used, used);
    b->len -= used;
}

static void on_field(void *arg, const char *name, size_t nl, const char *value, size_t vl)
{
    struct stream *st = arg;

    if (nl == 15 && memcmp(name, "veritee-receipt", 15) == 0 && st->rc == VT_OK)
        st->rc = vt_buf_append(st->receipt, value, vl, &st->err);
}

static bool on_content(void *arg, const uint8_t *p, size_t len)
{
    struct stream *st = arg;
    return st->on_chunk(st->arg, p, len);
}

static bool stream_step(struct stream *st, bool eof)
{
    size_t used = 0;
    bool final = false;

    if (st->rc == VT_OK)
        st->rc = vt_ohttp_chunked_res_open(&st->plain, st->ctx, st->raw.data, st->raw.len, eof, &used, &final,
                                           &st->err);
    if (st->rc == VT_OK) {
        consume(&st->raw, used);
        st->final = st->final || final;
        st->rc = vt_bhttp_reader_feed(&st->rd, st->plain.data, st->plain.len, &used, on_field, on_content, st,
                                      &st->err);
    }
    if (st->rc == VT_OK)
        consume(&st->plain, used);
    return st->rc == VT_OK;
}

static bool on_sealed(void *arg, const uint8_t *p, size_t len)
{
    struct stream *st = arg;

    /* Headers come before the body: an answer that is not chunked OHTTP (the relay's own error
     * page, a proxy's refusal) is named as such, not fed to the decryption. */
    if (!st->opening && !st->refused) {
        st->opening = media_is(&st->ctype, VT_OHTTP_CHUNKED_RES_MEDIA);
        st->refused = !st->opening;
    }
    if (st->refused) {
        st->refusal_len += len;
        if (st->refusal.len <= EXCERPT_MAX &&
            vt_buf_append(&st->refusal, p, len < EXCERPT_MAX + 1 - st->refusal.len ? len : EXCERPT_MAX + 1 - st->refusal.len,
                          NULL) != VT_OK)
            return false;
        return st->refusal_len <= REFUSAL_READ_MAX;
    }
    if (st->rc == VT_OK && st->raw.len + len > VT_OHTTP_MAX)
        st->rc = vt_err_set(&st->err, VT_E_LIMIT, "ohttp: the chunked answer passes %u bytes", VT_OHTTP_MAX);
    if (st->rc == VT_OK)
        st->rc = vt_buf_append(&st->raw, p, len, &st->err);
    return stream_step(st, false);
}

static vt_status chunked_request(long *status, vt_buf *receipt, vt_http_chunk_fn on_chunk, void *arg,
                                 const char *relay, const vt_ohttp_key_config *cfg, const vt_buf *req,
                                 const vt_http_client_opts *ho, vt_err *err)
{
    struct stream st;
    vt_http_stream_opts so;
    vt_http_response resp;
    vt_buf enc;
    char url[1200];
    vt_status rc;

    memset(&st, 0, sizeof(st));
    memset(&resp, 0, sizeof(resp));
    vt_buf_init(&enc);
    vt_buf_init(&st.raw);
    vt_buf_init(&st.plain);
    vt_buf_init(&st.ctype);
    vt_buf_init(&st.refusal);
    st.receipt = receipt;
    st.on_chunk = on_chunk;
    st.arg = arg;
    rc = vt_ohttp_chunked_encap_request(&enc, &st.ctx, cfg, cfg->algs[0], req->data, req->len, err);
    if (rc == VT_OK) {
        memset(&so, 0, sizeof(so));
        so.body = enc.data;
        so.body_len = enc.len;
        so.content_type = VT_OHTTP_CHUNKED_REQ_MEDIA;
        so.accept = VT_OHTTP_CHUNKED_RES_MEDIA;
        so.on_chunk = on_sealed;
        so.arg = &st;
        so.header = "Content-Type";
        so.header_value = &st.ctype;
        snprintf(url, sizeof(url), "%s/v1/ohttp", relay);
        rc = vt_http_request_stream(&resp, "POST", url, &so, ho, err);
    }
    if (st.refused && (rc == VT_OK || st.refusal_len > REFUSAL_READ_MAX)) /* the relay's answer, not a transfer error */
        rc = refusal(err, rc == VT_OK ? resp.status : 0, &st.ctype, st.refusal.data, st.refusal.len);
    else if (rc == VT_OK && !st.opening && (resp.status != 200 || !media_is(&st.ctype, VT_OHTTP_CHUNKED_RES_MEDIA)))
        rc = refusal(err, resp.status, &st.ctype, NULL, 0); /* a refusal without a body */
    if (st.rc != VT_OK) /* what on_sealed found outranks the transfer's "aborted" */
        rc = vt_err_set(err, st.rc == VT_E_FORMAT ? VT_E_CRYPTO : st.rc, "%s", st.err.msg);
    if (rc == VT_OK && resp.status != 200) /* an OHTTP body under another status */
        rc = vt_err_set(err, VT_E_IO, "ohttp: %.900s answered HTTP %ld", url, resp.status);
    if (rc == VT_OK && !stream_step(&st, true))
        rc = vt_err_set(err, VT_E_CRYPTO, "ohttp: %s", st.err.msg);
    if (rc == VT_OK && !vt_bhttp_reader_done(&st.rd))
        rc = vt_err_set(err, VT_E_CRYPTO, "ohttp: the chunked answer ends inside its Binary HTTP message");
    if (rc == VT_OK)
        *status = st.rd.status;
    vt_ohttp_ctx_free(st.ctx);
    vt_http_response_clear(&resp);
    vt_buf_free(&enc);
    vt_buf_free(&st.raw);
    vt_buf_free(&st.plain);
    vt_buf_free(&st.ctype);
    vt_buf_free(&st.refusal);
    return rc;
}

vt_status vt_cli_ohttp_request(long *status, vt_buf *receipt, vt_http_chunk_fn on_chunk, void *arg,
                               const char *relay, const char *method, const char *path, const uint8_t *body,
                               size_t body_len, const vt_pkey *cnf_key, long timeout_ms, bool chunked, vt_err *err)
{
    vt_status rc;
    vt_ohttp_key_config cfg;
    vt_ohttp_ctx *ctx = NULL;
    vt_bhttp_msg *m = NULL;
    vt_http_client_opts ho;
    vt_http_stream_opts so;
    vt_http_response resp;
    vt_buf req, enc, inner, ctype;
    vt_bhttp_field f[2] = { { "content-type", 12, "application/json", 16 },
                            { "accept", 6, "application/json, text/event-stream", 35 } };
    const vt_bhttp_field *rf;
    char url[1200];

    *status = 0;
    vt_buf_init(&req);
    vt_buf_init(&enc);
    vt_buf_init(&inner);
    vt_buf_init(&ctype);
    memset(&resp, 0, sizeof(resp));
    memset(&ho, 0, sizeof(ho));
    ho.timeout_ms = timeout_ms;
    ho.max_response = VT_OHTTP_MAX;
    rc = fetch_config(&cfg, relay, cnf_key, &ho, err);
    if (rc == VT_OK)
        rc = vt_bhttp_encode_request(&req, method, "https", "gateway", path, body != NULL ? f : f + 1,
                                     body != NULL ? 2 : 1, body, body_len, err);
    if (rc == VT_OK && chunked) {
        rc = chunked_request(status, receipt, on_chunk, arg, relay, &cfg, &req, &ho, err);
        vt_buf_free(&req); /* wipes the prompt */
        return rc;
    }
    if (rc == VT_OK)
        rc = vt_ohttp_encap_request(&enc, &ctx, &cfg, cfg.algs[0], req.data, req.len, NULL, err);
    vt_buf_free(&req); /* wipes the prompt */
    if (rc == VT_OK) {
        memset(&so, 0, sizeof(so));
        so.body = enc.data;
        so.body_len = enc.len;
        so.content_type = VT_OHTTP_REQ_MEDIA;
        so.accept = VT_OHTTP_RES_MEDIA;
        so.on_chunk = keep;
        so.keep_body = true;
        so.header = "Content-Type";
        so.header_value = &ctype;
        snprintf(url, sizeof(url), "%s/v1/ohttp", relay);
        rc = vt_http_request_stream(&resp, "POST", url, &so, &ho, err);
    }
    /* Not OHTTP (the relay's own error page, a proxy's refusal): named as such, not decrypted. */
    if (rc == VT_OK && (resp.status != 200 || !media_is(&ctype, VT_OHTTP_RES_MEDIA)))
        rc = refusal(err, resp.status, &ctype, resp.body.data, resp.body.len);
    if (rc == VT_OK) {
        rc = vt_ohttp_decap_response(&inner, ctx, resp.body.data, resp.body.len, err);
        if (rc == VT_E_CRYPTO || rc == VT_E_FORMAT)
            rc = vt_err_set(err, VT_E_CRYPTO, "ohttp: the response does not decapsulate (altered on the way?)");
    }
    if (rc == VT_OK)
        rc = vt_bhttp_parse(&m, inner.data, inner.len, err);
    if (rc == VT_OK && m->request)
        rc = vt_err_set(err, VT_E_FORMAT, "ohttp: the gateway answered with a request");
    if (rc == VT_OK) {
        *status = m->status;
        rf = vt_bhttp_field_get(m, "veritee-receipt");
        if (rf != NULL)
            rc = vt_buf_append(receipt, rf->value, rf->value_len, err);
    }
    if (rc == VT_OK && m->content_len > 0 && !on_chunk(arg, m->content, m->content_len))
        rc = vt_err_set(err, VT_E_LIMIT, "ohttp: the answer is too large");
    vt_bhttp_msg_free(m);
    vt_ohttp_ctx_free(ctx);
    vt_http_response_clear(&resp);
    vt_buf_free(&enc);
    vt_buf_free(&inner);
    vt_buf_free(&ctype);
    return rc;
}
