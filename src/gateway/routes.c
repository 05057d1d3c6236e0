/*
 * The proxy's front (see proxy_int.h): routing of a client request to an exchange or a
 * local answer (models, health, attestation).
 */
#include "gateway/proxy_int.h"

/* ---- the front ---- */

/* CORS for the pages the Origin rule lets through (docs/gateway.md, "Browsers"): the front's
 * methods; the request headers it reads (a JSON or OHTTP body's Content-Type, MCP's protocol
 * version) and Authorization, which OpenAI clients always send and the gateway accepts and drops;
 * the reply headers a page needs: the receipt, the OHTTP key binding, Retry-After.  And the
 * OpenAI SDKs' x-stainless-* telemetry, which they send by default: granted, dropped like every
 * client header (OpenAI-Organization/-Project are not: a page setting them expects an effect). */
const vt_cors gwp_cors = { "GET, POST", "authorization, content-type, mcp-protocol-version",
                           "Veritee-Receipt, Veritee-Key-Binding, Retry-After", "x-stainless-" };

/* A model id in /v1/models/{id}: 1-128 of [A-Za-z0-9._:-], not starting with
 * '.', so the upstream path can neither change directory nor carry escapes. */
bool gwp_model_id_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > MODEL_ID_MAX || s[0] == '.')
        return false;
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
              ch == '_' || ch == '.' || ch == ':'))
            return false;
    }
    return true;
}

enum route gwp_route_of(const char *path, bool *post)
{
    *post = true;
    if (strcmp(path, "/v1/chat/completions") == 0)
        return R_CHAT;
    if (strcmp(path, "/v1/completions") == 0)
        return R_COMPLETIONS;
    if (strcmp(path, "/v1/embeddings") == 0)
        return R_EMBEDDINGS;
    *post = false;
    if (strcmp(path, "/v1/models") == 0)
        return R_MODELS;
    if (strncmp(path, "/v1/models/", 11) == 0)
        return R_MODEL; /* the id is checked by gwp_handle() */
    if (strcmp(path, "/healthz") == 0)
        return R_HEALTH;
    if (strcmp(path, "/v1/attestation") == 0)
        return R_ATTESTATION;
    return R_NONE;
}

/* Each GET /v1/attestation makes a fresh quote: a cheap way to load the TEE, so the gateway
 * makes at most limits.attestation_per_sec of them (a burst of one second's worth). */
static bool attestation_allowed(vt_gw *gw)
{
    return vt_ratelimit_take(gw->attest_rl, "attestation", vt_time_mono_ms());
}

void gwp_handle(struct evhttp_request *req, void *arg)
{
    struct gw_loop *L = arg;
    vt_gw *gw = L->gw;
    const vt_gw_limits *lim = &gw->cfg->limits;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
    const char *query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    struct exchange *ex = NULL;
    enum route r;
    bool post;
    size_t tlen, node = SIZE_MAX;
    const vt_gw_target *tgt = NULL;
    const char *origin = NULL;
    vt_err err;

    if (path == NULL || *path == '\0')
        path = "/";
    /* Every reply of the front, whatever answers it (a route, MCP, OHTTP, an error, a proxied
     * answer): added here once; the proxy adds to them and never clears them (exchange.c). */
    vt_http_sechdr_add(evhttp_request_get_output_headers(req));
    /* DNS rebinding, when the operator listed the gateway's names (http/host.c): a page reading a
     * GET route as its own sends the attacker's name as Host. */
    if (vt_host_check_request(&gw->cfg->hosts, req, &err) != VT_OK) {
        char msg[sizeof(err.msg) + 160];
        const char *why = strncmp(err.msg, "http: ", 6) == 0 ? err.msg + 6 : err.msg;
        snprintf(msg, sizeof(msg), "gateway: %s (the gateway answers only the names its operator listed in "
                 "\"allowed_hosts\")", why);
        gwp_reply_error(req, 421, "invalid_request_error", "host_not_allowed", msg);
        return;
    }
    /* A page of another site, or a DNS-rebinding page, is refused before any route runs: the
     * API, MCP, Oblivious HTTP (relays send no Origin; a browser posting to it does) and the
     * local answers alike (http/origin.c). */
    if (vt_origin_check_request(&origin, &gw->cfg->origins, req, &err) != VT_OK) {
        char msg[sizeof(err.msg) + 160];
        const char *why = strncmp(err.msg, "http: ", 6) == 0 ? err.msg + 6 : err.msg; /* "gateway: " instead */
        snprintf(msg, sizeof(msg), "gateway: %s (a page of another site may not call the gateway; the operator "
                 "allows a web app's origin with \"allowed_origins\" in the config file)", why);
        evhttp_add_header(evhttp_request_get_output_headers(req), "Vary", "Origin");
        gwp_reply_error(req, 403, "invalid_request_error", "origin_not_allowed", msg);
        return;
    }
    /* An allowed page: a preflight is answered here, and every answer (local, proxied, an error)
     * names its origin; nothing of this runs for a request without Origin. */
    if (origin != NULL) {
        if (vt_cors_is_preflight(req)) {
            char msg[sizeof(err.msg) + 64];
            if (vt_cors_preflight(&gwp_cors, req, origin, &err) == VT_OK) {
                evhttp_send_reply(req, 204, "No Content", NULL);
                return;
            }
            snprintf(msg, sizeof(msg), "gateway: %s (a page may send what the gateway reads)",
                     strncmp(err.msg, "cors: ", 6) == 0 ? err.msg + 6 : err.msg);
            gwp_reply_error(req, 403, "invalid_request_error", "preflight_not_allowed", msg);
            return;
        }
        vt_cors_add(&gwp_cors, evhttp_request_get_output_headers(req), origin);
    }
    if (strcmp(path, "/mcp") == 0 || strcmp(path, "/.well-known/mcp") == 0) {
        vt_gw_mcp_env env = { L->base, gw->hooks, gw->cfg, &gw->self, gw->guard, gw->attest_rl };
        vt_gw_mcp_serve(req, &env, path[1] == '.'); /* mcp.c */
        return;
    }
    if (gw->hooks->on_front != NULL && gw->hooks->on_front(gw->hooks->front_arg, req, L->base, vt_gw_port(gw)))
        return; /* e.g. Oblivious HTTP (gateway/ohttp.c) */
    r = gwp_route_of(path, &post);
    if (r == R_NONE) {
        gwp_reply_error(req, 404, "invalid_request_error", "unknown_url", "gateway: unknown URL (the gateway serves /v1/chat/completions, /v1/completions, /v1/embeddings and /v1/models)");
        return;
    }
    if ((post && cmd != EVHTTP_REQ_POST) || (!post && cmd != EVHTTP_REQ_GET)) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", post ? "POST" : "GET");
        gwp_reply_error(req, 405, "invalid_request_error", "method_not_allowed",
                    post ? "gateway: this URL takes POST" : "gateway: this URL takes GET");
        return;
    }
    if (r == R_MODEL && !gwp_model_id_ok(path + 11)) {
        gwp_reply_error(req, 400, "invalid_request_error", "invalid_model_id",
                    "gateway: a model id is 1-128 of [A-Za-z0-9._:-], not starting with '.'");
        return;
    }
    if (!post && evbuffer_get_length(in) > 0) {
        gwp_reply_error(req, 400, "invalid_request_error", "unexpected_body", "gateway: a GET request takes no body");
        return;
    }
    if (r == R_ATTESTATION) {
        int st = 404;
        vt_buf b = { 0 };
        struct evbuffer *eb = NULL;
        if (gw->hooks->on_attestation == NULL) {
            gwp_reply_error(req, 404, "invalid_request_error", "unknown_url", "gateway: attestation is not enabled");
            return;
        }
        if (!attestation_allowed(gw)) { /* a token comes back within 1 s (the rate is at least 1/s) */
            evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "1");
            gwp_reply_error(req, 429, "rate_limit_error", "rate_limited",
                        "gateway: too many attestation requests (limits.attestation_per_sec); retry later");
            return;
        }
        if (gw->hooks->on_attestation(gw->hooks->arg, query, &st, &b, &err) != VT_OK) {
            vt_buf_free(&b);
            vt__gw_log("error", "on_attestation", err.msg);
            gwp_reply_error(req, 500, "server_error", "attestation_failed", "gateway: evidence could not be collected");
            return;
        }
        eb = evbuffer_new();
        if (eb != NULL)
            evbuffer_add(eb, b.data, b.len);
        vt_buf_free(&b);
        evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
        evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-store");
        evhttp_send_reply(req, st, NULL, eb);
        if (eb != NULL)
            evbuffer_free(eb);
        return;
    }
    if (r == R_HEALTH) {
        struct evbuffer *b = evbuffer_new();
        evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
        if (b != NULL)
            evbuffer_add_printf(b, "{\"status\":\"ok\",\"inflight\":%u}\n", atomic_load(&gw->inflight));
        evhttp_send_reply(req, 200, "OK", b);
        if (b != NULL)
            evbuffer_free(b);
        return;
    }
    if (evbuffer_get_length(in) > lim->max_request_bytes) {
        char msg[128];
        snprintf(msg, sizeof(msg), "gateway: the request body exceeds %zu bytes", lim->max_request_bytes);
        evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
        gwp_reply_error(req, 413, "invalid_request_error", "request_too_large", msg);
        return;
    }
    { /* what this deployment type serves, and the workflow's routes (deployment.c) */
        int st = 0;
        char code[64], msg[256];
        vt_gw_serve sv = vt_gw_deploy_route(gw->cfg->deploy, path, evbuffer_pullup(in, -1), evbuffer_get_length(in),
                                            &node, &st, code, msg);
        if (sv == VT_GW_SERVE_REFUSE) {
            gwp_reply_error(req, st, "invalid_request_error", code, msg);
            return;
        }
        if (sv == VT_GW_SERVE_MODELS) {
            char *s = vt_gw_deploy_models_json(gw->cfg->deploy);
            struct evbuffer *b = evbuffer_new();
            if (b != NULL && s != NULL && r == R_MODEL) { /* the one entry */
                json_t *doc = json_loads(s, 0, NULL), *e;
                size_t i;
                json_array_foreach(json_object_get(doc, "data"), i, e) {
                    if (strcmp(json_string_value(json_object_get(e, "id")), path + 11) == 0) {
                        free(s);
                        s = json_dumps(e, JSON_COMPACT);
                        break;
                    }
                }
                json_decref(doc);
            }
            evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
            if (b != NULL && s != NULL)
                evbuffer_add_printf(b, "%s\n", s);
            evhttp_send_reply(req, 200, "OK", b);
            free(s);
            if (b != NULL)
                evbuffer_free(b);
            return;
        }
        if (sv == VT_GW_SERVE_NODE)
            tgt = &gw->cfg->deploy->nodes[node].tgt;
    }
    if (atomic_fetch_add(&gw->inflight, 1) >= lim->max_connections) {
        atomic_fetch_sub(&gw->inflight, 1);
        gwp_reply_error(req, 503, "server_error", "gateway_overloaded", "gateway: too many requests in flight; retry later");
        return;
    }
    ex = calloc(1, sizeof(*ex));
    /* The client's query string is not forwarded: none of the proxied routes
     * takes one, and no auditor reads it (docs/gateway.md). */
    tlen = strlen(tgt != NULL ? tgt->base : gw->cfg->upstream_base != NULL ? gw->cfg->upstream_base : "") + strlen(path) + 1;
    if (ex != NULL)
        ex->target = malloc(tlen);
    if (ex == NULL || ex->target == NULL ||
        vt_buf_reserve(&ex->body, evbuffer_get_length(in), &err) != VT_OK) {
        if (ex != NULL) {
            free(ex->target);
            vt_buf_free(&ex->body);
        }
        free(ex);
        atomic_fetch_sub(&gw->inflight, 1);
        gwp_reply_error(req, 500, "server_error", "gateway_error", "gateway: out of memory");
        return;
    }
    snprintf(ex->target, tlen, "%s%s", tgt != NULL ? tgt->base : gw->cfg->upstream_base != NULL ? gw->cfg->upstream_base : "", path);
    ex->tgt = tgt;
    ex->loop = L;
    ex->req = req;
    ex->cevcon = evhttp_request_get_connection(req);
    snprintf(ex->method, sizeof(ex->method), "%s", post ? "POST" : "GET");
    snprintf(ex->path, sizeof(ex->path), "%s", path);
    ex->ctx.method = ex->method;
    ex->ctx.path = ex->path;
    ex->ctx.id = atomic_fetch_add(&gw->next_id, 1) + 1;
    ex->ctx.loop = L->index;
    ex->body.len = evbuffer_get_length(in);
    if (ex->body.len > 0)
        evbuffer_remove(in, ex->body.data, ex->body.len);
    vt_connguard_set_closecb(ex->loop->gw->guard, ex->cevcon, gwp_client_closed, ex);

    if (gw->hooks->on_request != NULL) {
        vt_gw_verdict v;
        memset(&v, 0, sizeof(v));
        if (gw->hooks->on_request(gw->hooks->arg, &ex->ctx, &ex->body, &v, &err) != VT_OK) {
            vt__gw_log("error", "on_request", err.msg);
            vt_buf_free(&v.body);
            vt_gw_headers_free(v.headers);
            free(v.headers);
            gwp_ex_fail(ex, 500, "server_error", "gateway_error", "gateway: the request could not be checked");
            return;
        }
        if (v.block && v.body.len > 0) {
            struct evbuffer *eb = evbuffer_new();
            struct evkeyvalq *oh = evhttp_request_get_output_headers(req);
            for (size_t i = 0; v.headers != NULL && i < v.headers->count; i++)
                evhttp_add_header(oh, v.headers->name[i], v.headers->value[i]);
            evhttp_add_header(oh, "Content-Type", "application/json");
            if (eb != NULL)
                evbuffer_add(eb, v.body.data, v.body.len);
            evhttp_send_reply(gwp_ex_take_req(ex), v.status >= 400 && v.status <= 599 ? v.status : 403, NULL, eb);
            if (eb != NULL)
                evbuffer_free(eb);
            vt_buf_free(&v.body);
            vt_gw_headers_free(v.headers);
            free(v.headers);
            gwp_ex_finish(ex);
            return;
        }
        vt_buf_free(&v.body);
        vt_gw_headers_free(v.headers);
        free(v.headers);
        if (v.block) {
            ex->answered = true;
            gwp_ex_fail(ex, v.status >= 400 && v.status <= 599 ? v.status : 403,
                    v.type[0] ? v.type : "invalid_request_error", v.code[0] ? v.code : "request_blocked",
                    v.message[0] ? v.message : "gateway: the request was blocked");
            return;
        }
    }
    if (tgt != NULL) {
        /* Before a byte goes downstream: its passport and evidence, as `veritee chat` checks them. */
        vt_gw_deploy *d = gw->cfg->deploy;
        vt_gw_check_opts co = { d->verifier, d->state_dir, 15000, d->pin, d->pin_issuer };
        char *entry = NULL;
        if (vt_gw_deploy_check(d, node, &co, &entry, &err) != VT_OK) {
            vt__gw_log("warn", "downstream_refused", err.msg);
            gwp_ex_fail(ex, 502, "server_error", "downstream_untrusted", err.msg);
            return;
        }
        ex->deployments = malloc(strlen(entry) + 3);
        if (ex->deployments != NULL)
            snprintf(ex->deployments, strlen(entry) + 3, "[%s]", entry);
        free(entry);
        if (ex->deployments == NULL) {
            gwp_ex_fail(ex, 500, "server_error", "gateway_error", "gateway: out of memory");
            return;
        }
        ex->ctx.deployments = ex->deployments;
    }
    gwp_watch_start(ex);
    gwp_ex_start_upstream(ex);
}

/* ---- loops, listeners, lifecycle ---- */
