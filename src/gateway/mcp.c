/* The gateway's MCP endpoint (docs/mcp.md): POST /mcp and GET /.well-known/mcp.
 *
 *   attestation  fresh evidence for a nonce: the same hook as GET /v1/attestation
 *   scan_pii     the configured request auditors on a text: verdict, findings, the redacted text
 *   audit_check  one auditor of the chain (built-in or external) on a text, in the request or response phase
 *   chat         a chat completion through the gateway itself (inner.c, shared with
 *                OHTTP), so the auditor chain, limits and the signed receipt are
 *                exactly those of POST /v1/chat/completions
 *
 * Everything runs on the calling event loop; chat is asynchronous (an inner
 * request to this gateway) and answers when the inner exchange ends. */
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "gateway/inner.h"
#include "gateway/mcp.h"
#include "gateway/transport.h"
#include "http/mcp.h"
#include "veritee/veritee.h"

#define CHAT_TIMEOUT_S 300

static const char *const instructions =
    "A veritee gateway in front of a model inside a TEE. Check it with the attestation tool (a fresh nonce "
    "each time) before trusting it; chat answers carry a receipt signed by the attested enclave key.";

/* ---- scan_pii: one chain built from the gateway's own auditor config, on first use ---- */
static pthread_mutex_t chain_lock = PTHREAD_MUTEX_INITIALIZER;
static vt_audit_chain *chain;

static vt_status scan_chain(const vt_audit_chain **out, const vt_gw_config *cfg, vt_err *err)
{
    vt_status rc = VT_OK;

    pthread_mutex_lock(&chain_lock);
    if (chain == NULL) {
        char *s = cfg->auditors != NULL ? json_dumps(cfg->auditors, JSON_COMPACT) : NULL;
        if (s == NULL)
            rc = vt_err_set(err, VT_E_UNSUPPORTED, "scan_pii: this gateway runs no auditors");
        else
            rc = vt_audit_chain_new(&chain, s, strlen(s), err);
        free(s);
    }
    *out = chain;
    pthread_mutex_unlock(&chain_lock);
    return rc;
}

struct tool_ctx {
    struct evhttp_request *req;
    const vt_gw_mcp_env *env;
};

static vt_status t_attestation(json_t **result, const json_t *args, void *tool_ctx, void *req_ctx, vt_err *err)
{
    const struct tool_ctx *tc = req_ctx;
    const char *nonce = json_string_value(json_object_get(args, "nonce"));
    char query[300];
    vt_buf b;
    int st = 500;
    vt_status rc;

    (void)tool_ctx;
    if (nonce == NULL || strlen(nonce) < 32 || strlen(nonce) > 256 ||
        strspn(nonce, "0123456789abcdefABCDEF") != strlen(nonce))
        return vt_err_set(err, VT_E_ARG, "nonce: 32..256 hex digits (at least 16 random bytes) required");
    if (tc->env->hooks->on_attestation == NULL)
        return vt_err_set(err, VT_E_UNSUPPORTED, "attestation is not enabled on this gateway");
    /* A fresh quote loads the TEE as GET /v1/attestation's does: the same gateway-wide bucket. */
    if (tc->env->attest_rl != NULL && !vt_ratelimit_take(tc->env->attest_rl, "attestation", vt_time_mono_ms()))
        return vt_err_set(err, VT_E_LIMIT, "attestation: too many attestation requests (limits.attestation_per_sec); "
                          "retry in a second");
    snprintf(query, sizeof(query), "nonce=%s", nonce);
    vt_buf_init(&b);
    rc = tc->env->hooks->on_attestation(tc->env->hooks->arg, query, &st, &b, err);
    if (rc == VT_OK && st != 200)
        rc = vt_err_set(err, VT_E_ARG, "attestation: %.*s", (int)(b.len < 200 ? b.len : 200), (const char *)b.data);
    if (rc == VT_OK && (*result = json_loadb((const char *)b.data, b.len, 0, NULL)) == NULL)
        rc = vt_err_set(err, VT_E_INTERNAL, "attestation: the evidence is not JSON");
    vt_buf_free(&b);
    return rc;
}

static vt_status t_scan_pii(json_t **result, const json_t *args, void *tool_ctx, void *req_ctx, vt_err *err)
{
    const struct tool_ctx *tc = req_ctx;
    const char *text = json_string_value(json_object_get(args, "text"));
    const vt_audit_chain *c = NULL;
    vt_audit_ctx *x = NULL;
    vt_audit_report rep;
    vt_buf fwd, rj;
    json_t *body = NULL, *fj = NULL;
    char *in = NULL;
    vt_status rc;

    (void)tool_ctx;
    if (text == NULL || json_string_length(json_object_get(args, "text")) > tc->env->cfg->limits.max_request_bytes)
        return vt_err_set(err, VT_E_ARG, "text: a string within the gateway's request limit is required");
    vt_buf_init(&fwd);
    vt_buf_init(&rj);
    vt_audit_report_init(&rep);
    rc = scan_chain(&c, tc->env->cfg, err);
    if (rc == VT_OK)
        rc = vt_audit_ctx_new(&x, c, err);
    /* The text as the one user message of a chat: what the request auditors see of a prompt. */
    body = json_pack("{s:s, s:[{s:s, s:O}]}", "model", "scan", "messages", "role", "user", "content",
                     json_object_get(args, "text"));
    in = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    if (rc == VT_OK && in == NULL)
        rc = vt_err_set(err, VT_E_NOMEM, "out of memory");
    if (rc == VT_OK)
        rc = vt_audit_request(&rep, &fwd, x, VT_AUDIT_ROUTE_CHAT, (const uint8_t *)in, strlen(in), err);
    if (rc == VT_OK)
        rc = vt_audit_report_json(&rj, &rep, err);
    if (rc == VT_OK) {
        json_t *out = fwd.len > 0 ? json_loadb((const char *)fwd.data, fwd.len, 0, NULL) : NULL;
        const char *red = json_string_value(
            json_object_get(json_array_get(json_object_get(out, "messages"), 0), "content"));
        fj = json_loadb((const char *)rj.data, rj.len, 0, NULL);
        *result = json_pack("{s:s, s:O?, s:s?}", "verdict", vt_audit_verdict_name(rep.verdict), "report", fj,
                            "redacted", red != NULL ? red : (rep.verdict == VT_AUDIT_BLOCK ? NULL : text));
        json_decref(out);
        if (*result == NULL)
            rc = vt_err_set(err, VT_E_NOMEM, "out of memory");
    }
    json_decref(fj);
    json_decref(body);
    free(in);
    vt_buf_free(&fwd);
    vt_buf_free(&rj);
    vt_audit_ctx_free(x);
    return rc;
}

/* One auditor of the chain (built-in or external) on a text: to try a policy without a chat. */
static vt_status t_audit_check(json_t **result, const json_t *args, void *tool_ctx, void *req_ctx, vt_err *err)
{
    const struct tool_ctx *tc = req_ctx;
    const json_t *text = json_object_get(args, "text");
    const char *phase = json_string_value(json_object_get(args, "phase"));

    (void)tool_ctx;
    if (!json_is_string(text) || json_string_length(text) > tc->env->cfg->limits.max_request_bytes)
        return vt_err_set(err, VT_E_ARG, "text: a string within the gateway's request limit is required");
    if (tc->env->hooks->on_audit_check == NULL)
        return vt_err_set(err, VT_E_UNSUPPORTED, "audit_check: this gateway runs no auditor chain");
    return tc->env->hooks->on_audit_check(tc->env->hooks->arg, json_string_value(json_object_get(args, "auditor")),
                                          phase != NULL ? phase : "request", json_string_value(text),
                                          json_string_length(text), result, err);
}

/* Listed for discovery; calls are taken over by chat_start() before the core sees them. */
static vt_status t_chat(json_t **result, const json_t *args, void *tool_ctx, void *req_ctx, vt_err *err)
{
    (void)result;
    (void)args;
    (void)tool_ctx;
    (void)req_ctx;
    return vt_err_set(err, VT_E_INTERNAL, "chat: not reachable");
}

static const vt_mcp_tool tools[] = {
    { "attestation",
      "Fresh TEE evidence from this gateway, bound to your nonce and its enclave key, with its measurement log "
      "and passport id (same as GET /v1/attestation).",
      "{\"type\":\"object\",\"properties\":{\"nonce\":{\"type\":\"string\",\"description\":\"32..256 hex digits, "
      "fresh and random\"}},\"required\":[\"nonce\"]}",
      false, t_attestation },
    { "scan_pii",
      "Runs this gateway's configured request auditors (PII detection, policy) on a text, as if it were a prompt: "
      "the verdict, the findings by type, and the text as the model would see it.",
      "{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\"}},\"required\":[\"text\"]}", false,
      t_scan_pii },
    { "audit_check",
      "Runs one auditor of this gateway's chain (by name: a built-in such as pii, or an external one) on a text in "
      "the request or response phase: its verdict, findings and annotations, and the text as it lets it through. "
      "Nothing is forwarded to the model.",
      "{\"type\":\"object\",\"properties\":{\"auditor\":{\"type\":\"string\"},\"phase\":{\"type\":\"string\","
      "\"enum\":[\"request\",\"response\"]},\"text\":{\"type\":\"string\"}},\"required\":[\"auditor\",\"text\"]}",
      false, t_audit_check },
    { "chat",
      "A chat completion through this gateway's auditor chain, with the receipt it signs (same as POST "
      "/v1/chat/completions).",
      "{\"type\":\"object\",\"properties\":{\"prompt\":{\"type\":\"string\"},\"model\":{\"type\":\"string\"},"
      "\"system\":{\"type\":\"string\"}},\"required\":[\"prompt\"]}",
      false, t_chat },
};

static vt_mcp_server server(void)
{
    vt_mcp_server s = { "veritee-gateway", VT_VERSION_STRING, instructions, tools, sizeof(tools) / sizeof(tools[0]),
                        NULL };
    return s;
}

static void send_json(struct evhttp_request *req, int status, const char *json)
{
    struct evbuffer *b = evbuffer_new();

    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
    evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-store");
    if (b != NULL && json != NULL)
        evbuffer_add(b, json, strlen(json));
    evhttp_send_reply(req, status, NULL, b);
    if (b != NULL)
        evbuffer_free(b);
}

/* ---- chat: the gateway calling itself ---- */
struct chat_call {
    vt_gw_inner_waiter w;            /* the client's POST /mcp (w.req), answered at the end */
    json_t *id;
};

static void chat_reply(struct chat_call *c, json_t *result)
{
    json_t *msg = json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", c->id, "result", result);
    char *s = msg != NULL ? json_dumps(msg, JSON_COMPACT) : NULL;

    if (s != NULL)
        send_json(c->w.req, 200, s);
    else
        evhttp_send_error(c->w.req, 503, "out of memory");
    free(s);
    json_decref(msg);
}

static json_t *tool_error(const char *text)
{
    return json_pack("{s:[{s:s, s:s}], s:b}", "content", "type", "text", "text", text, "isError", 1);
}

static void chat_done(struct evhttp_request *inner, void *arg)
{
    struct chat_call *c = arg;
    struct evbuffer *in = inner != NULL ? evhttp_request_get_input_buffer(inner) : NULL;
    size_t n = in != NULL ? evbuffer_get_length(in) : 0;
    int status = inner != NULL ? evhttp_request_get_response_code(inner) : 0;
    const char *receipt = inner != NULL ? evhttp_find_header(evhttp_request_get_input_headers(inner), "Veritee-Receipt")
                                        : NULL;
    json_t *body = NULL;
    const char *answer;

    if (vt_gw_inner_wait_end(&c->w) == NULL) /* the client left: the call was cancelled, nothing to answer */
        goto out;
    body = n > 0 ? json_loadb((const char *)evbuffer_pullup(in, (ssize_t)n), n, 0, NULL) : NULL;
    answer = json_string_value(
        json_object_get(json_object_get(json_array_get(json_object_get(body, "choices"), 0), "message"), "content"));
    if (status == 0) {
        chat_reply(c, tool_error("chat: the gateway did not answer"));
    } else if (status != 200 || answer == NULL) {
        const char *m = json_string_value(json_object_get(json_object_get(body, "error"), "message"));
        char text[512];
        snprintf(text, sizeof(text), "chat: HTTP %d: %s", status, m != NULL ? m : "no answer");
        json_t *r = tool_error(text);
        if (r != NULL && receipt != NULL)
            json_object_set_new(r, "structuredContent", json_pack("{s:i, s:s}", "status", status, "receipt", receipt));
        chat_reply(c, r);
    } else {
        chat_reply(c, json_pack("{s:[{s:s, s:s}], s:{s:s, s:s?, s:O, s:i}, s:b}", "content", "type", "text", "text",
                                answer, "structuredContent", "answer", answer, "receipt", receipt, "response", body,
                                "status", status, "isError", 0));
    }
out:
    json_decref(body);
    json_decref(c->id);
    free(c);
}

/* Starts the inner chat; false when the message is not a chat call (the core handles it). */
static bool chat_start(struct evhttp_request *req, const vt_gw_mcp_env *env, const json_t *msg)
{
    const json_t *params = json_object_get(msg, "params"), *args = json_object_get(params, "arguments");
    const char *prompt = json_string_value(json_object_get(args, "prompt"));
    const char *model = json_string_value(json_object_get(args, "model"));
    const char *system = json_string_value(json_object_get(args, "system"));
    const json_t *id = json_object_get(msg, "id");
    const char *ver = json_string_value(json_object_get(msg, "jsonrpc"));
    struct chat_call *c;
    json_t *body;
    char *s;

    /* The core's envelope rules: an invalid message is answered by it (-32600), never run. */
    if (!json_is_object(msg) || ver == NULL || strcmp(ver, "2.0") != 0 ||
        (!json_is_string(id) && !json_is_integer(id)) || !json_is_string(json_object_get(msg, "method")) ||
        strcmp(json_string_value(json_object_get(msg, "method")), "tools/call") != 0 ||
        !json_is_string(json_object_get(params, "name")) ||
        strcmp(json_string_value(json_object_get(params, "name")), "chat") != 0 || !json_is_object(args) ||
        prompt == NULL)
        return false; /* the core answers, including the chat call with bad arguments */
    c = calloc(1, sizeof(*c));
    body = json_pack("{s:s, s:[]}", "model", model != NULL ? model : "default", "messages");
    if (c == NULL || body == NULL) {
        free(c);
        json_decref(body);
        evhttp_send_error(req, 503, "out of memory");
        return true;
    }
    if (system != NULL)
        json_array_append_new(json_object_get(body, "messages"), json_pack("{s:s, s:s}", "role", "system", "content", system));
    json_array_append_new(json_object_get(body, "messages"), json_pack("{s:s, s:s}", "role", "user", "content", prompt));
    s = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    c->id = json_incref(json_object_get(msg, "id"));
    vt_gw_inner_wait(&c->w, env->base, env->guard, req);
    {
        static const vt_gw_inner_cb cb = { NULL, NULL, chat_done };
        const vt_bhttp_field ct = { "content-type", 12, "application/json", 16 };
        /* Host: localhost (inner.c's default), a loopback name every Host list allows (http/host.c) */
        const vt_gw_inner_req r = { EVHTTP_REQ_POST, "/v1/chat/completions", NULL, &ct, 1,
                                    (const uint8_t *)s, s != NULL ? strlen(s) : 0, CHAT_TIMEOUT_S, 0 };
        bool sent = s != NULL && vt_gw_inner_send(env->self, env->base, &r, &cb, c, &c->w.call); /* as a client's */

        free(s);
        if (!sent) {
            (void)vt_gw_inner_wait_end(&c->w);
            json_decref(c->id);
            free(c);
            evhttp_send_error(req, 503, "cannot reach the gateway itself");
        }
    }
    return true;
}

void vt_gw_mcp_serve(struct evhttp_request *req, const vt_gw_mcp_env *env, bool discovery)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t n = evbuffer_get_length(in);
    vt_mcp_server s = server();
    struct tool_ctx tc = { req, env };
    json_t *msg;
    char *out = NULL;
    int status = 500;

    if (discovery) {
        if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
            evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET");
            send_json(req, 405, "{\"error\":{\"message\":\"GET only\",\"type\":\"invalid_request_error\"}}");
        } else if (vt_mcp_discovery(&out, &s, "/mcp") == VT_OK) {
            send_json(req, 200, out);
        } else {
            evhttp_send_error(req, 503, "out of memory");
        }
        free(out);
        return;
    }
    if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
        /* No server-to-client stream and no session: GET and DELETE are not offered. */
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "POST");
        send_json(req, 405, "{\"error\":{\"message\":\"POST only\",\"type\":\"invalid_request_error\"}}");
        return;
    }
    if (vt_mcp_check_version(&out, evhttp_find_header(evhttp_request_get_input_headers(req),
                                                      "MCP-Protocol-Version")) != VT_OK) {
        evhttp_send_error(req, 503, "out of memory");
        return;
    }
    if (out != NULL) { /* a revision this server does not speak: no tool, no chat */
        send_json(req, 400, out);
        free(out);
        return;
    }
    if (n > env->cfg->limits.max_request_bytes || n > VT_MCP_MAX_BODY) {
        send_json(req, 413, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"message too large\"}}");
        return;
    }
    msg = json_loadb((const char *)evbuffer_pullup(in, (ssize_t)n), n, JSON_REJECT_DUPLICATES, NULL);
    if (msg != NULL && chat_start(req, env, msg)) {
        json_decref(msg);
        return;
    }
    json_decref(msg);
    if (vt_mcp_handle(&status, &out, &s, evbuffer_pullup(in, (ssize_t)n), n, false, &tc) != VT_OK)
        evhttp_send_error(req, 503, "out of memory");
    else if (out == NULL)
        evhttp_send_reply(req, 202, "Accepted", NULL);
    else
        send_json(req, status, out);
    free(out);
}

void vt_gw_mcp_free(void)
{
    pthread_mutex_lock(&chain_lock);
    vt_audit_chain_free(chain);
    chain = NULL;
    pthread_mutex_unlock(&chain_lock);
}
