/* The verifier's MCP endpoint (docs/mcp.md): POST /mcp and GET /.well-known/mcp.
 * Each tool is the verifier's own HTTP route called in-process (same parsing,
 * limits, store connection and answers as over HTTP), so an agent sees exactly
 * what a client of the REST API sees.  Every tool is a public read: none needs
 * the admin token. */
#include <stdio.h>
#include <string.h>

#include "http/mcp.h"
#include "verifier/inproc.h"
#include "verifier/verifier.h"

/* An id safe to put in a path: 1..64 of [A-Za-z0-9._-]. */
static bool id_ok(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;

    return n > 0 && n <= 64 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

static vt_status id_arg(const char **out, const json_t *args, const char *name, vt_err *err)
{
    const char *s = json_string_value(json_object_get(args, name));

    if (!id_ok(s))
        return vt_err_set(err, VT_E_ARG, "%s: 1..64 of [A-Za-z0-9._-] required", name);
    *out = s;
    return VT_OK;
}

static vt_status t_verify_evidence(json_t **result, const json_t *args, void *tool_ctx, void *req_ctx, vt_err *err)
{
    char *body = json_dumps(args, JSON_COMPACT);
    vt_status rc;

    if (body == NULL)
        return vt_err_set(err, VT_E_NOMEM, "out of memory");
    rc = vf_call(result, tool_ctx, req_ctx, "POST", "/v1/verify", NULL, body, err);
    free(body);
    return rc;
}

static vt_status t_get_passport(json_t **result, const json_t *args, void *tool_ctx, void *req_ctx, vt_err *err)
{
    const char *id = NULL;
    char path[96];

    if (id_arg(&id, args, "id", err) != VT_OK)
        return VT_E_ARG;
    snprintf(path, sizeof(path), "/v1/passports/%s", id);
    return vf_call(result, tool_ctx, req_ctx, "GET", path, "attestation=1", NULL, err);
}

static vt_status t_list_environments(json_t **result, const json_t *args, void *tool_ctx, void *req_ctx, vt_err *err)
{
    (void)args;
    return vf_call(result, tool_ctx, req_ctx, "GET", "/v1/environments", NULL, NULL, err);
}

/* The signed checkpoint, and its first three lines (origin, size, root) as fields. */
static vt_status t_log_checkpoint(json_t **result, const json_t *args, void *tool_ctx, void *req_ctx, vt_err *err)
{
    json_t *r = NULL;
    const char *text;
    char origin[256], root[64];
    unsigned long long size;
    vt_status rc;

    (void)args;
    rc = vf_call(&r, tool_ctx, req_ctx, "GET", "/v1/log/checkpoint", NULL, NULL, err);
    if (rc != VT_OK)
        return rc;
    text = json_string_value(json_object_get(r, "text"));
    if (text == NULL || sscanf(text, "%255[^\n]\n%llu\n%63[^\n]\n", origin, &size, root) != 3) {
        json_decref(r);
        return vt_err_set(err, VT_E_FORMAT, "checkpoint: not in the checkpoint format");
    }
    *result = json_pack("{s:s, s:s, s:I, s:s}", "checkpoint", text, "origin", origin, "size", (json_int_t)size,
                        "root_hash", root);
    json_decref(r);
    return *result != NULL ? VT_OK : vt_err_set(err, VT_E_NOMEM, "out of memory");
}

/* A receipt against the passport it names, under this verifier's keys: the
 * same checks as `veritee receipt verify` (docs/receipts.md), and whether the
 * log holds it. */
static vt_status t_verify_receipt(json_t **result, const json_t *args, void *tool_ctx, void *req_ctx, vt_err *err)
{
    const char *tok = json_string_value(json_object_get(args, "receipt"));
    json_t *pj = NULL, *kj = NULL, *lj = NULL;
    vt_receipt r;
    vt_passport_claims c;
    vt_jwks *set = NULL;
    vt_pkey *key = NULL;
    char path[96], *jwks = NULL;
    const char *ptok;
    vt_status rc;

    memset(&r, 0, sizeof(r));
    memset(&c, 0, sizeof(c));
    if (tok == NULL || strlen(tok) > 65535)
        return vt_err_set(err, VT_E_ARG, "receipt: the receipt token (compact JWS, at most 65535 bytes) is required");
    rc = vt_receipt_decode(&r, tok, strlen(tok), err);
    /* Not yet verified: the passport it names is the caller's to choose, and becomes a path. */
    if (rc == VT_OK && !id_ok(r.passport))
        rc = vt_err_set(err, VT_E_ARG, "receipt: its passport id is not 1..64 of [A-Za-z0-9._-]");
    if (rc != VT_OK)
        goto out;
    snprintf(path, sizeof(path), "/v1/passports/%.60s", r.passport);
    rc = vf_call(&pj, tool_ctx, req_ctx, "GET", path, NULL, NULL, err);
    if (rc == VT_OK)
        rc = vf_call(&kj, tool_ctx, req_ctx, "GET", "/.well-known/jwks.json", NULL, NULL, err);
    if (rc != VT_OK)
        goto out;
    ptok = json_string_value(json_object_get(pj, "token"));
    jwks = json_dumps(kj, JSON_COMPACT);
    if (ptok == NULL || jwks == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "out of memory");
        goto out;
    }
    rc = vt_jwks_parse(&set, jwks, strlen(jwks), err);
    if (rc == VT_OK)
        rc = vt_passport_verify(&c, ptok, strlen(ptok), set, r.received_ms > 0 ? r.received_ms / 1000 : vt_time_now(),
                                err);
    if (rc == VT_OK && c.attester_jwk == NULL)
        rc = vt_err_set(err, VT_E_POLICY, "passport %s carries no enclave key", c.id);
    if (rc == VT_OK)
        rc = vt_jwk_to_pkey(&key, c.attester_jwk, strlen(c.attester_jwk), err);
    vt_receipt_clear(&r);
    memset(&r, 0, sizeof(r));
    if (rc == VT_OK)
        rc = vt_receipt_verify(&r, tok, strlen(tok), key, err);
    if (rc == VT_OK)
        rc = vt_receipt_check_passport(&r, &c, err);
    if (rc != VT_OK)
        goto out;
    snprintf(path, sizeof(path), "/v1/receipts/%.60s", r.id);
    *result = json_pack("{s:b, s:s, s:s, s:s, s:s, s:i, s:s}", "valid", 1, "receipt", r.id, "passport", c.id,
                        "environment", r.environment, "verdict", r.verdict, "status", r.status, "content_type",
                        r.content_type);
    if (*result == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "out of memory");
        goto out;
    }
    /* Logged or not is a fact about the verifier, not a verdict on the receipt. */
    if (id_ok(r.id) && vf_call(&lj, tool_ctx, req_ctx, "GET", path, NULL, NULL, &(vt_err){ 0 }) == VT_OK)
        json_object_set(*result, "log_index", json_object_get(lj, "log_index"));
    else
        json_object_set_new(*result, "log_index", json_null());
out:
    json_decref(pj);
    json_decref(kj);
    json_decref(lj);
    free(jwks);
    vt_jwks_free(set);
    vt_pkey_free(key);
    vt_receipt_clear(&r);
    vt_passport_claims_clear(&c);
    return rc;
}

static const vt_mcp_tool tools[] = {
    { "verify_evidence",
      "Verify TEE evidence (Intel TDX quote, AMD SEV-SNP report, AWS Nitro document, NVIDIA GPU evidence) down to "
      "the vendor root, stateless. Same input and answer as POST /v1/verify.",
      "{\"type\":\"object\",\"properties\":{"
      "\"evidence\":{\"type\":\"string\",\"description\":\"the evidence bytes, base64\"},"
      "\"platform\":{\"type\":\"string\",\"description\":\"tdx, sevsnp, nitro, nvgpu, ...; omitted = detected\"},"
      "\"nonce\":{\"type\":\"string\",\"description\":\"hex nonce the evidence must be bound to\"},"
      "\"public_key\":{\"type\":\"string\",\"description\":\"attester public key bound with the nonce\"},"
      "\"report_data\":{\"type\":\"string\",\"description\":\"exact report data, hex (instead of nonce)\"},"
      "\"collateral\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"},"
      "\"description\":\"name -> base64 collateral files\"},"
      "\"at\":{\"type\":\"string\",\"description\":\"RFC 3339 time to verify at\"}},"
      "\"required\":[\"evidence\"]}",
      false, t_verify_evidence },
    { "get_passport", "An AI Passport issued by this verifier: its EAR claims, measurements and platform claims.",
      "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\",\"description\":\"pass-...\"}},"
      "\"required\":[\"id\"]}",
      false, t_get_passport },
    { "verify_receipt",
      "Verify a gateway's signed receipt: the passport it names (signed by this verifier, valid at the receipt's "
      "time), the receipt's signature by that passport's enclave key, same environment and model; says whether the "
      "transparency log holds it.",
      "{\"type\":\"object\",\"properties\":{\"receipt\":{\"type\":\"string\",\"description\":\"the receipt token "
      "(compact JWS)\"}},\"required\":[\"receipt\"]}",
      false, t_verify_receipt },
    { "list_environments", "The environments (reference values and policy) this verifier appraises against.",
      "{\"type\":\"object\",\"properties\":{}}", false, t_list_environments },
    { "log_checkpoint", "The transparency log's current signed checkpoint (C2SP tlog-checkpoint): origin, size, root.",
      "{\"type\":\"object\",\"properties\":{}}", false, t_log_checkpoint },
};

static vt_mcp_server server_of(vf_service *svc)
{
    vt_mcp_server s = {
        .name = "veritee-verifier",
        .version = VT_VERSION_STRING,
        .instructions = "A veritee verifier: verifies TEE evidence, issues AI Passports, holds gateway receipts in a "
                        "transparency log. Every tool is read-only.",
        .tools = tools,
        .tool_count = sizeof(tools) / sizeof(tools[0]),
        .tool_ctx = svc,
    };
    return s;
}

static void h_mcp(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    vt_mcp_server s = server_of(ctx);
    char *out = NULL;
    int status = 500;
    vt_err e = { 0 };

    if (vt_mcp_check_version(&out, req->mcp_protocol_version) != VT_OK) {
        vt_http_reply_error(resp, 503, "out_of_memory", "out of memory");
    } else if (out != NULL) { /* a revision this server does not speak: nothing runs */
        if (vt_http_reply_json(resp, 400, out, &e) != VT_OK)
            vt_http_reply_error(resp, 503, "out_of_memory", "out of memory");
        else
            snprintf(resp->code, sizeof(resp->code), "unsupported_protocol_version"); /* the access log's */
    } else if (vt_mcp_handle(&status, &out, &s, req->body, req->body_len, false, (void *)req) != VT_OK) {
        vt_http_reply_error(resp, 503, "out_of_memory", "out of memory");
    } else if (out == NULL) {
        resp->status = 202;
    } else if (vt_http_reply_json(resp, status, out, &e) != VT_OK) {
        vt_http_reply_error(resp, 503, "out_of_memory", "out of memory");
    }
    free(out);
}

static void h_discovery(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    vt_mcp_server s = server_of(ctx);
    char *out = NULL;

    (void)req;
    if (vt_mcp_discovery(&out, &s, "/mcp") != VT_OK || vt_http_reply_json(resp, 200, out, NULL) != VT_OK)
        vt_http_reply_error(resp, 503, "out_of_memory", "out of memory");
    free(out);
}

vt_status vf_mcp_routes(vf_service *svc, vt_err *err);
vt_status vf_mcp_routes(vf_service *svc, vt_err *err)
{
    vt_status rc = vt_http_router_add(&svc->router, "POST", "/mcp", h_mcp, svc, err);
    if (rc == VT_OK)
        rc = vt_http_router_add(&svc->router, "GET", "/.well-known/mcp", h_discovery, svc, err);
    return rc;
}
