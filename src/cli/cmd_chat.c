/*
 * veritee chat: the relying party's side of a confidential request.  It checks
 * the gateway before a single byte of the prompt leaves this machine — fresh
 * evidence bound to our nonce and the enclave key, the measurement log replayed
 * against the evidence, the passport's signature by the verifier we trust, its
 * enclave key, its measurements, the environment's reference values — then
 * sends the prompt and verifies the receipt of the answer against the bytes
 * actually sent and received.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "cli.h"
#include "client/client.h"
#include "env_revs.h"
#include "ohttp_client.h"
#include "tls_check.h"
#include "remote.h"
#include "trust.h"

enum { O_GATEWAY = 256, O_VERIFIER, O_JWKS, O_ENV, O_MODEL, O_STREAM, O_TRUST_SIM, O_JSON, O_STATE, O_TIMEOUT,
       O_SAVE_RECEIPT, O_SAVE_RESPONSE, O_OHTTP, O_RELAY, O_SIM_ROOT, O_ALLOW_PLAIN,
       O_ENV_STATE };

#define ATTESTATION_MAX ((size_t)8 << 20)
#define ANSWER_MAX ((size_t)64 << 20)
#define PROMPT_MAX ((size_t)1 << 20)
#define RECEIPT_EVENT "veritee-receipt"
#define RECEIPT_SKEW_MS ((int64_t)60 * 1000) /* this machine's clock against the gateway's, as for passports */

static void chat_usage(FILE *f)
{
    fprintf(f,
            "usage: veritee chat --gateway URL (--verifier URL | --jwks FILE|URL) [--environment ID]\n"
            "                    [--model M] [--stream] [--trust-sim] [--save-receipt F]\n"
            "                    [--save-response F] [--ohttp --relay URL] [--allow-plain] [--json]\n"
            "                    \"prompt\"|-\n\n"
            "Verifies the gateway first, and only then sends the prompt:\n"
            "  1. GET <gateway>/v1/attestation (<relay>/v1/attestation with --ohttp) with a fresh\n"
            "     random nonce; the evidence must verify to a trusted root with report_data =\n"
            "     SHA-512(nonce || enclave public key), and the measurement log must replay to the\n"
            "     evidence's runtime register;\n"
            "  2. the passport must be issued by the verifier you configured, verify with its JWK Set,\n"
            "     and be affirming and unexpired;\n"
            "  3. its enclave key (cnf.jwk) must be the attested key;\n"
            "  4. the log's model, auditors, runtime and config must be those the passport appraised;\n"
            "  5. with --environment, the passport's environment and the log's digests must be\n"
            "     that environment's reference values, fetched from the verifier signed by the key\n"
            "     set the passport verified under (GET /v1/environments/ID/signed), for that id and\n"
            "     at most 300 s old;\n"
            "  6. with an https:// gateway and no --ohttp, its TLS server key must be the attested\n"
            "     enclave key (no CA: a self-signed certificate is fine); that key is pinned for the rest\n"
            "     of the session, and the listeners the log's \"transport\" event names are shown\n"
            "     (docs/transport.md).\n"
            "Then POST /v1/chat/completions, print the answer (as it arrives with --stream), and\n"
            "verify the receipt: the enclave key's signature, the passport it names, and the\n"
            "SHA-256 of the request sent and of the response received.\n\n"
            "  --gateway URL      the gateway (required; with --ohttp it is named, not contacted)\n"
            "  --verifier URL     the verifier whose keys you trust (default $VERITEE_VERIFIER); one\n"
            "                     of --verifier, --jwks or VERITEE_VERIFIER is required: the passport\n"
            "                     never names its own verifier\n"
            "  --jwks FILE|URL    the verifier's pinned JWK Set (default <verifier>/.well-known/jwks.json)\n"
            "  --environment ID   the environment the gateway must be in\n"
            "  --model M          model name sent upstream (default \"default\")\n"
            "  --stream           stream the answer (server-sent events)\n"
            "  --trust-sim        accept simulated hardware (the local simulation root); says so\n"
            "  --state DIR        state directory holding the simulation root and the environment\n"
            "                     revisions taken (default $VERITEE_STATE, else ~/.local/state/veritee)\n"
            "  --env-state FILE|none\n"
            "                     where the revision of each signed environment taken is remembered\n"
            "                     (default <state>/environment-revisions): an older one, replayed by\n"
            "                     whoever answers as the verifier, is refused; none: not remembered\n"
            "  --sim-root FILE    with --trust-sim: also this simulation root (the gateway's own\n"
            "                     <state>/sim/root_ca.pem; never hardware; up to 4 times)\n"
            "  --timeout SEC      per HTTP request (default 120)\n"
            "  --save-receipt F   write the receipt token to F (for veritee receipt verify)\n"
            "  --save-response F  write the response bytes the receipt covers to F (its --body)\n"
            "  --ohttp            send the prompt with Oblivious HTTP through --relay: the key\n"
            "                     configuration must be signed by the passport's enclave key, and the\n"
            "                     relay sees neither prompt nor answer; the attestation, the key\n"
            "                     configuration and the prompt all go through the relay, so the\n"
            "                     gateway never sees this client's address (docs/transport.md)\n"
            "  --relay URL        the Oblivious HTTP relay (forwards to the gateway; with --ohttp the\n"
            "                     gateway is not contacted directly)\n"
            "  --allow-plain      send the prompt over plain http:// to a gateway that is not on this\n"
            "                     machine's loopback; without it that is refused before anything is\n"
            "                     contacted, since the prompt and the answer would cross the network\n"
            "                     unencrypted (use the gateway's https:// listener or --ohttp)\n"
            "  --json             one JSON report on stdout\n"
            "Exit 0 when everything verified, 1 when a check failed (before the prompt is sent when\n"
            "it is a gateway check), 2 for usage or connection errors.\n");
}

typedef struct chat {
    /* options */
    const char *gateway, *vflag, *jwks_src, *env_id, *model, *state, *save_receipt, *save_response, *relay;
    const char *env_revs;  /* the revisions file, NULL = not kept */
    vt_env_revs *revs;     /* with --environment: the revisions taken before, from env_revs */
    bool stream, trust_sim, json, allow_plain;
    const char *sim_roots[VT_SIM_ROOT_FILES_MAX];
    size_t sim_root_count;
    long timeout_ms;
    vt_cli_report rep;
    /* the gateway check */
    vt_rp_gateway g;         /* the checks (veritee/rp.h) */
    json_t *att;
    vt_jwks *jwks;
    const char *verifier;    /* configured URL, or NULL with a pinned --jwks */
    char issuer[128];        /* the "iss" the verifier's key set names ("" = none) */
    /* the request */
    char *request;
    size_t request_len;
    int64_t sent_ms;     /* when the prompt left (this machine's clock) */
    /* the answer */
    vt_buf raw;          /* every byte of the response body */
    vt_buf answer;       /* the assistant's text */
    vt_buf receipt;      /* the token: header or final SSE event */
    size_t sse_pos;      /* raw bytes parsed as whole events so far */
    size_t receipt_off;  /* where the receipt event starts in raw; SIZE_MAX = none */
    bool after_receipt;  /* an event followed the receipt event */
    bool print_live;
    long status;
    vt_receipt r;
    /* attested TLS (docs/transport.md) */
    uint8_t tls_key[32];     /* SHA-256 of the SPKI the gateway's TLS server presented */
    char tls_pin[64];        /* "sha256//..." of the attested enclave key, once checked; "" = http */
} chat;

static int fail_usage(chat *c, vt_status rc, const vt_err *err)
{
    (void)c;
    return vt_cli_fail(rc, err);
}

/* ---- step 1: evidence ---- */

static int check_evidence(chat *c)
{
    vt_http_response resp;
    vt_http_client_opts ho;
    char url[1400], msg[300];
    vt_err err = { 0 };
    vt_status rc;

    rc = vt_rp_gateway_init(&c->g, &err);
    if (rc != VT_OK)
        return fail_usage(c, rc, &err);
    /* With Oblivious HTTP the gateway is reached only through the relay, the attestation too: a
     * direct request would show the gateway this client's address just before its relayed prompt. */
    snprintf(url, sizeof(url), "%s/v1/attestation?nonce=%s", c->relay != NULL ? c->relay : c->gateway,
             c->g.nonce_hex);
    memset(&ho, 0, sizeof(ho));
    ho.timeout_ms = c->timeout_ms;
    ho.max_response = ATTESTATION_MAX;
    if (c->relay == NULL)
        ho.tls_key_out = c->tls_key; /* checked against the attested key below, before anything is sent */
    rc = vt_http_request(&resp, "GET", url, NULL, &ho, &err);
    if (rc != VT_OK)
        return fail_usage(c, rc, &err);
    if (resp.status != 200) {
        vt_http_response_error(msg, sizeof(msg), &resp);
        vt_err_set(&err, VT_E_POLICY, "GET %s: %s", url, msg);
        vt_http_response_clear(&resp);
        vt_cli_check(&c->rep, "attestation", VT_E_POLICY, &err, "-");
        return VT_EXIT_REJECTED;
    }
    c->att = json_loadb((const char *)resp.body.data, resp.body.len, 0, NULL);
    rc = c->att != NULL && json_is_object(c->att)
             ? vt_rp_attestation_parse(&c->g, (const char *)resp.body.data, resp.body.len, &err)
             : vt_err_set(&err, VT_E_FORMAT, "GET %s: the reply is not a JSON object", url);
    vt_http_response_clear(&resp);
    if (!vt_cli_check(&c->rep, "attestation", rc, &err, "fresh evidence for nonce %.16s…, enclave key %.16s…",
                      c->g.nonce_hex, c->g.enclave_tp))
        return VT_EXIT_REJECTED;
    c->g.sim_root_files = c->sim_roots;
    c->g.sim_root_file_count = c->sim_root_count;
    rc = vt_rp_evidence_verify(&c->g, c->trust_sim, c->state, vt_time_now(), &err);
    if (!vt_cli_check(&c->rep, "evidence", rc, &err,
                      "%s evidence verified to %s; report_data = SHA-512(our nonce || enclave key)",
                      vt_tee_name(c->g.result.claims.platform),
                      c->g.result.claims.hardware_attested ? "the vendor's root" : "the local simulation root"))
        return VT_EXIT_REJECTED;
    if (!c->g.result.claims.hardware_attested)
        vt_cli_note(&c->rep, "SIMULATED", "the hardware is simulated (%s): trusted only because of --trust-sim",
                    vt_tee_name(c->g.result.claims.platform));
    for (size_t i = 0; i < c->g.result.warning_count; i++)
        vt_cli_note(&c->rep, "warning", "%s: %s", c->g.result.warnings[i].check, c->g.result.warnings[i].msg);
    vt_cli_check(&c->rep, "log", VT_OK, NULL, "%zu events replay to the evidence's runtime register",
                 vt_mlog_count(c->g.log));
    return VT_EXIT_OK;
}

/* ---- step 2..5: passport, key, measurements, environment ---- */

static int check_passport(chat *c)
{
    char detail[256] = "", exp[32];
    vt_err err = { 0 };
    vt_status rc;

    rc = vt_cli_verifier_keys(&c->jwks, c->issuer, sizeof(c->issuer), c->verifier, c->jwks_src, &err);
    if (rc != VT_OK)
        return vt_cli_fail(rc, &err);
    rc = vt_rp_passport_verify(&c->g, c->jwks, c->issuer, c->verifier, vt_time_now(), &err);
    vt_time_format(exp, c->g.pc.exp);
    if (!vt_cli_check(&c->rep, "passport", rc, &err, "%s signed by %s, affirming, environment %s, expires %s",
                      c->g.pc.id, c->verifier != NULL ? c->verifier : c->jwks_src, c->g.pc.environment, exp))
        return VT_EXIT_REJECTED;
    rc = vt_rp_key_match(&c->g, &err);
    if (!vt_cli_check(&c->rep, "enclave key", rc, &err, "the passport's cnf key is the attested key (%.16s…)",
                      c->g.enclave_tp))
        return VT_EXIT_REJECTED;
    rc = vt_rp_measurements(&c->g, &err);
    if (!vt_cli_check(&c->rep, "measurements", rc, &err,
                      "the log's model, auditors, runtime and config are those the passport appraised"))
        return VT_EXIT_REJECTED;
    if (c->env_id != NULL) {
        vt_env_token_opts eo;
        vt_env *env = malloc(sizeof(*env));
        /* Signed by the verifier whose keys the passport verified under, for this environment,
         * fresh and no older than a revision taken before: whoever answers as the verifier's
         * URL cannot choose the reference values, nor roll them back. */
        memset(&eo, 0, sizeof(eo));
        eo.jwks = c->jwks;
        eo.jwks_issuer = c->issuer;
        eo.verifier = c->verifier;
        eo.id = c->env_id;
        eo.now = vt_time_now();
        eo.revs = c->revs;
        rc = env == NULL ? vt_err_set(&err, VT_E_NOMEM, "out of memory")
                         : vt__client_env(env, NULL, c->verifier, &eo, c->timeout_ms, &err);
        if (rc == VT_OK)
            rc = vt_cli_env_revs_save(c->revs, c->env_revs, &err);
        else
            vt_cli_env_revs_hint(&err, c->env_revs);
        if (rc == VT_E_IO || rc == VT_E_NOMEM) {
            free(env);
            return vt_cli_fail(rc, &err);
        }
        if (rc == VT_OK) {
            rc = vt_rp_environment(&c->g, env, detail, sizeof(detail), &err);
        } else if (rc != VT_E_POLICY) { /* a verdict on the gateway, whatever the token's fault */
            char msg[sizeof(err.msg)];
            snprintf(msg, sizeof(msg), "%s", err.msg);
            rc = vt_err_set(&err, VT_E_POLICY, "%s", msg);
        }
        free(env);
        if (!vt_cli_check(&c->rep, "environment", rc, &err, "%s (signed by the verifier)", detail))
            return VT_EXIT_REJECTED;
    }
    return VT_EXIT_OK;
}

/* ---- the request and its answer ---- */

/* One SSE event (without its blank line): prints content deltas, notes the receipt. */
static void on_event(chat *c, const char *ev, size_t len, size_t start)
{
    char name[48] = "";
    const char *p = ev, *end = ev + len;
    vt_buf data;

    vt_buf_init(&data);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t ll = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        if (ll > 0 && p[ll - 1] == '\r')
            ll--;
        if (ll >= 6 && strncmp(p, "event:", 6) == 0) {
            size_t o = 6 + (ll > 6 && p[6] == ' ');
            snprintf(name, sizeof(name), "%.*s", (int)(ll - o), p + o);
        } else if (ll >= 5 && strncmp(p, "data:", 5) == 0) {
            size_t o = 5 + (ll > 5 && p[5] == ' ');
            if (data.len > 0 && vt_buf_append(&data, "\n", 1, NULL) != VT_OK)
                break;
            if (vt_buf_append(&data, p + o, ll - o, NULL) != VT_OK)
                break;
        }
        p = nl != NULL ? nl + 1 : end;
    }
    if (vt_buf_terminate(&data, NULL) != VT_OK) {
        vt_buf_free(&data);
        return;
    }
    if (c->receipt_off != SIZE_MAX) {
        c->after_receipt = true;
    } else if (strcmp(name, RECEIPT_EVENT) == 0) {
        c->receipt_off = start;
        c->receipt.len = 0;
        if (vt_buf_append(&c->receipt, data.data, data.len, NULL) != VT_OK ||
            vt_buf_terminate(&c->receipt, NULL) != VT_OK)
            c->receipt.len = 0;
    } else if (name[0] == '\0' && data.len > 0 && strcmp((const char *)data.data, "[DONE]") != 0) {
        json_t *j = json_loadb((const char *)data.data, data.len, 0, NULL);
        const char *t = json_string_value(
            json_object_get(json_object_get(json_array_get(json_object_get(j, "choices"), 0), "delta"), "content"));
        if (t != NULL) {
            if (vt_buf_append_str(&c->answer, t, NULL) != VT_OK) { /* display only */
            }
            if (c->print_live) {
                fputs(t, stdout);
                fflush(stdout);
            }
        }
        json_decref(j);
    }
    vt_buf_free(&data);
}

/* Parses every whole event in raw[sse_pos..]. */
static void parse_events(chat *c)
{
    for (;;) {
        const char *base = (const char *)c->raw.data + c->sse_pos;
        size_t avail = c->raw.len - c->sse_pos, i, sep = 0;
        for (i = 0; i + 1 < avail; i++) {
            if (base[i] == '\n' && base[i + 1] == '\n') {
                sep = 2;
                break;
            }
            if (i + 3 < avail && base[i] == '\r' && base[i + 1] == '\n' && base[i + 2] == '\r' && base[i + 3] == '\n') {
                sep = 4;
                break;
            }
        }
        if (sep == 0)
            return;
        on_event(c, base, i, c->sse_pos);
        c->sse_pos += i + sep;
    }
}

static bool on_chunk(void *arg, const uint8_t *p, size_t len)
{
    chat *c = arg;

    if (c->raw.len + len > ANSWER_MAX || vt_buf_append(&c->raw, p, len, NULL) != VT_OK)
        return false;
    if (c->stream)
        parse_events(c);
    return true;
}

static int send_prompt(chat *c, const char *prompt)
{
    json_t *req = json_pack("{s:s, s:[{s:s, s:s}], s:b}", "model", c->model, "messages", "role", "user", "content",
                            prompt, "stream", c->stream);
    vt_http_stream_opts so;
    vt_http_client_opts ho;
    vt_http_response resp;
    char url[1200];
    vt_err err = { 0 };
    vt_status rc;

    c->request = req != NULL ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (c->request == NULL)
        return vt_cli_fail(vt_err_set(&err, VT_E_NOMEM, "out of memory"), &err);
    c->request_len = strlen(c->request);
    snprintf(url, sizeof(url), "%s/v1/chat/completions", c->gateway);
    memset(&so, 0, sizeof(so));
    so.body = (const uint8_t *)c->request;
    so.body_len = c->request_len;
    so.accept = c->stream ? "text/event-stream" : "application/json";
    so.on_chunk = on_chunk;
    so.arg = c;
    so.header = "Veritee-Receipt";
    so.header_value = &c->receipt;
    memset(&ho, 0, sizeof(ho));
    ho.timeout_ms = c->timeout_ms;
    ho.tls_pin = c->tls_pin[0] != '\0' ? c->tls_pin : NULL; /* the attested key, pinned for the session */
    c->print_live = c->stream && !c->json;
    if (!c->json)
        printf("\nprompt sent (%zu bytes) to %s%s%s\n\n", c->request_len, url,
               c->relay != NULL ? " with Oblivious HTTP through " : "", c->relay != NULL ? c->relay : "");
    fflush(stdout);
    c->sent_ms = vt_time_now_ms();
    if (c->relay != NULL) {
        /* Oblivious HTTP: the same request and the same answer bytes, encapsulated through the relay. */
        vt_pkey *key = NULL;
        rc = vt_cli_passport_key(&key, &c->g.pc, &err);
        if (rc == VT_OK)
            rc = vt_cli_ohttp_request(&c->status, &c->receipt, on_chunk, c, c->relay, "POST", "/v1/chat/completions",
                                      (const uint8_t *)c->request, c->request_len, key, c->timeout_ms, c->stream,
                                      &err);
        vt_pkey_free(key);
        if (rc == VT_E_CRYPTO) {
            (void)vt_cli_check(&c->rep, "oblivious http", rc, &err, "key configuration and answer");
            return VT_EXIT_REJECTED;
        }
        if (rc != VT_OK)
            return vt_cli_fail(rc, &err);
    } else {
        rc = vt_http_request_stream(&resp, "POST", url, &so, &ho, &err);
        if (rc != VT_OK)
            return vt_cli_fail(rc, &err);
        c->status = resp.status;
        vt_http_response_clear(&resp);
    }
    if (c->stream && c->status == 200) {
        parse_events(c);
        if (c->print_live)
            printf("\n");
    } else {
        json_t *j = json_loadb((const char *)c->raw.data, c->raw.len, 0, NULL);
        const char *t = json_string_value(json_object_get(
            json_object_get(json_array_get(json_object_get(j, "choices"), 0), "message"), "content"));
        const char *emsg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
        if (c->status == 200 && t != NULL && vt_buf_append_str(&c->answer, t, &err) != VT_OK) {
            json_decref(j);
            return vt_cli_fail(VT_E_NOMEM, &err);
        }
        if (!c->json) {
            if (c->status == 200)
                printf("%s\n", t != NULL ? t : "(no message content in the answer)");
            else
                printf("the gateway answered HTTP %ld: %s\n", c->status, emsg != NULL ? emsg : "(no message)");
        }
        json_decref(j);
    }
    if (!c->json)
        printf("\n");
    return VT_EXIT_OK;
}

static int check_receipt(chat *c)
{
    vt_pkey *key = NULL;
    uint8_t sent[32], got[32];
    size_t resp_len = c->raw.len;
    vt_err err = { 0 };
    vt_status rc;

    if (c->stream && c->status == 200) {
        if (c->receipt_off == SIZE_MAX)
            rc = vt_err_set(&err, VT_E_POLICY, "the stream ended without a %s event", RECEIPT_EVENT);
        else if (c->after_receipt || c->sse_pos != c->raw.len)
            rc = vt_err_set(&err, VT_E_POLICY, "bytes follow the %s event", RECEIPT_EVENT);
        else
            rc = VT_OK;
        resp_len = c->receipt_off;
    } else {
        rc = c->receipt.len > 0 ? VT_OK : vt_err_set(&err, VT_E_POLICY, "the answer has no Veritee-Receipt header");
    }
    /* Saved before checking, so a receipt that fails can be examined. */
    if (rc == VT_OK && c->save_receipt != NULL)
        rc = vt_file_write(c->save_receipt, c->receipt.data, c->receipt.len, 0644, &err);
    if (rc == VT_OK && c->save_response != NULL)
        rc = vt_file_write(c->save_response, c->raw.data, resp_len, 0644, &err);
    if (rc == VT_E_IO)
        return vt_cli_fail(rc, &err);
    if (rc == VT_OK)
        rc = vt_cli_passport_key(&key, &c->g.pc, &err);
    if (rc == VT_OK)
        rc = vt_receipt_verify(&c->r, (const char *)c->receipt.data, c->receipt.len, key, &err);
    vt_pkey_free(key);
    if (!vt_cli_check(&c->rep, "receipt", rc, &err, "%s signed by the enclave key of %s", c->r.id, c->g.pc.id))
        return VT_EXIT_REJECTED;
    rc = vt_receipt_check_passport(&c->r, &c->g.pc, &err);
    /* The request bytes are the same for the same prompt: only the time tells this exchange's
     * receipt from a recorded one of an earlier identical request. */
    if (rc == VT_OK && c->r.received_ms < c->sent_ms - RECEIPT_SKEW_MS)
        rc = vt_err_set(&err, VT_E_POLICY, "receipt: made at %lld ms, before this request was sent (%lld ms): a "
                        "receipt of an earlier request", (long long)c->r.received_ms, (long long)c->sent_ms);
    if (!vt_cli_check(&c->rep, "receipt names", rc, &err, "passport %s, environment %s, the measured model",
                      c->r.passport, c->r.environment))
        return VT_EXIT_REJECTED;
    rc = vt_digest(VT_MD_SHA256, c->request, c->request_len, sent, &err);
    if (rc == VT_OK && !vt_ct_equal(sent, c->r.request_received, 32))
        rc = vt_err_set(&err, VT_E_POLICY, "request_received is not the SHA-256 of the %zu bytes we sent",
                        c->request_len);
    if (!vt_cli_check(&c->rep, "request", rc, &err, "request_received = SHA-256 of the %zu bytes sent",
                      c->request_len))
        return VT_EXIT_REJECTED;
    rc = vt_digest(VT_MD_SHA256, c->raw.data, resp_len, got, &err);
    if (rc == VT_OK && !vt_ct_equal(got, c->r.response, 32))
        rc = vt_err_set(&err, VT_E_POLICY, "response is not the SHA-256 of the %zu bytes we received", resp_len);
    if (rc == VT_OK && c->r.streamed != (c->stream && c->status == 200))
        rc = vt_err_set(&err, VT_E_POLICY, "the receipt says streamed=%s", c->r.streamed ? "true" : "false");
    if (rc == VT_OK && strcmp(c->r.endpoint, "/v1/chat/completions") != 0)
        rc = vt_err_set(&err, VT_E_POLICY, "the receipt is for %s", c->r.endpoint);
    if (!vt_cli_check(&c->rep, "response", rc, &err, "response = SHA-256 of the %zu bytes received%s", resp_len,
                      c->stream ? " before the receipt event" : ""))
        return VT_EXIT_REJECTED;
    /* The receipt must cover the status we got and say the prompt and the answer passed the auditors. */
    rc = VT_OK;
    if (c->r.status != c->status)
        rc = vt_err_set(&err, VT_E_POLICY, "the receipt is for HTTP %d, we got %ld", c->r.status, c->status);
    else if (c->r.failed & VT_AUDIT_RESPONSE)
        rc = vt_err_set(&err, VT_E_POLICY, "the receipt says the response could not be audited (not forwarded)");
    else if (c->r.failed != 0)
        rc = vt_err_set(&err, VT_E_POLICY, "the receipt says a phase could not be audited");
    else if (c->status == 200 && !(c->r.audited & VT_AUDIT_REQUEST))
        rc = vt_err_set(&err, VT_E_POLICY, "the receipt does not say every string of the prompt was audited");
    else if (c->status == 200 && !(c->r.audited & VT_AUDIT_RESPONSE))
        rc = vt_err_set(&err, VT_E_POLICY, "the receipt does not say every string of the answer was audited");
    if (!vt_cli_check(&c->rep, "coverage", rc, &err,
                      "HTTP %d %s; every string of the prompt and the answer passed the auditors", c->r.status,
                      c->r.content_type))
        return VT_EXIT_REJECTED;
    if (!c->json) {
        json_t *a = c->r.auditors != NULL ? json_loads(c->r.auditors, 0, NULL) : NULL, *v;
        size_t i;
        printf("  verdict      %s; auditors:", c->r.verdict);
        json_array_foreach(a, i, v)
        {
            const char *n = json_string_value(json_object_get(v, "name"));
            const char *vd = json_string_value(json_object_get(v, "verdict"));
            printf("%s %s=%s", i ? "," : "", n != NULL ? n : "?", vd != NULL ? vd : "?");
        }
        printf("\n");
        json_decref(a);
    }
    return c->status == 200 ? VT_EXIT_OK : VT_EXIT_REJECTED;
}

/*
 * How the prompt travels: attested TLS (https://, the server key checked against the attested
 * one), Oblivious HTTP (sealed to the attested key, through the relay), or plain HTTP.  Plain
 * HTTP to this machine's loopback (a TEE-internal socket, the local end of a tunnel) stays on
 * the machine; to any other host it crosses a network in the clear, so it needs --allow-plain.
 */
static const char *channel_of(const chat *c)
{
    if (c->relay != NULL)
        return "ohttp";
    if (strncmp(c->gateway, "https://", 8) == 0)
        return "attested-tls";
    return vt_url_loopback(c->gateway) ? "plain-loopback" : "plain";
}

static void print_report(chat *c, int ex, bool sent)
{
    json_t *o;
    const char *s;
    if (!c->json) {
        if (ex == VT_EXIT_OK)
            printf("\nverified: the answer came from the attested gateway%s, under passport %s\n",
                   c->g.result.claims.hardware_attested ? "" : " (SIMULATED hardware)", c->g.pc.id);
        else if (!sent && c->rep.failed)
            printf("\nNOT verified: the prompt was not sent\n");
        else if (c->rep.failed)
            printf("\nNOT verified: %s\n", c->rep.error);
        return;
    }
    o = json_pack("{s:b, s:s, s:s, s:b, s:b, s:O}", "verified", ex == VT_EXIT_OK, "gateway", c->gateway, "channel",
                  channel_of(c), "prompt_sent", sent, "hardware_attested", c->g.result.claims.hardware_attested,
                  "checks", c->rep.checks);
    if (o == NULL)
        return;
    if (c->rep.failed)
        json_object_set_new(o, "error", json_string(c->rep.error));
    if (c->g.pc.id[0])
        json_object_set_new(o, "passport", json_string(c->g.pc.id));
    if ((s = json_string_value(json_object_get(c->att, "platform"))) != NULL)
        json_object_set_new(o, "platform", json_string(s));
    if (sent) {
        json_object_set_new(o, "status", json_integer(c->status));
        json_object_set_new(o, "answer", json_stringn((const char *)c->answer.data, c->answer.len));
    }
    if (c->r.id[0]) {
        json_object_set_new(o, "receipt", vt_cli_receipt_json(&c->r));
        json_object_set_new(o, "receipt_token", json_stringn((const char *)c->receipt.data, c->receipt.len));
    }
    vt_cli_print_json(o);
    json_decref(o);
}

int vt_cmd_chat(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "gateway", required_argument, NULL, O_GATEWAY },  { "verifier", required_argument, NULL, O_VERIFIER },
        { "jwks", required_argument, NULL, O_JWKS },
        { "environment", required_argument, NULL, O_ENV },  { "model", required_argument, NULL, O_MODEL },
        { "stream", no_argument, NULL, O_STREAM },          { "trust-sim", no_argument, NULL, O_TRUST_SIM },
        { "sim-root", required_argument, NULL, O_SIM_ROOT },
        { "json", no_argument, NULL, O_JSON },              { "state", required_argument, NULL, O_STATE },
        { "timeout", required_argument, NULL, O_TIMEOUT },  { "help", no_argument, NULL, 'h' },
        { "save-receipt", required_argument, NULL, O_SAVE_RECEIPT },
        { "save-response", required_argument, NULL, O_SAVE_RESPONSE },
        { "ohttp", no_argument, NULL, O_OHTTP },            { "relay", required_argument, NULL, O_RELAY },
        { "allow-plain", no_argument, NULL, O_ALLOW_PLAIN },
        { "env-state", required_argument, NULL, O_ENV_STATE },
        { NULL, 0, NULL, 0 },
    };
    chat c;
    char gw[1024], relay[1024], revs_path[4200], *end;
    vt_buf prompt;
    const char *state = NULL, *env_state = NULL;
    bool sent = false, ohttp = false;
    vt_err err = { 0 };
    long t;
    int ch, ex;

    memset(&c, 0, sizeof(c));
    c.model = "default";
    c.timeout_ms = 120000;
    c.receipt_off = SIZE_MAX;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case O_GATEWAY: c.gateway = optarg; break;
        case O_VERIFIER: c.vflag = optarg; break;
        case O_JWKS: c.jwks_src = optarg; break;
        case O_ENV: c.env_id = optarg; break;
        case O_MODEL: c.model = optarg; break;
        case O_STREAM: c.stream = true; break;
        case O_TRUST_SIM: c.trust_sim = true; break;
        case O_SIM_ROOT:
            if (c.sim_root_count >= VT_SIM_ROOT_FILES_MAX)
                return vt_cli_usage_error("chat: --sim-root: at most %d", VT_SIM_ROOT_FILES_MAX);
            c.sim_roots[c.sim_root_count++] = optarg;
            break;
        case O_JSON: c.json = true; break;
        case O_STATE: state = optarg; break;
        case O_SAVE_RECEIPT: c.save_receipt = optarg; break;
        case O_SAVE_RESPONSE: c.save_response = optarg; break;
        case O_OHTTP: ohttp = true; break;
        case O_RELAY: c.relay = optarg; break;
        case O_ALLOW_PLAIN: c.allow_plain = true; break;
        case O_ENV_STATE: env_state = optarg; break;
        case O_TIMEOUT:
            t = strtol(optarg, &end, 10);
            if (end == optarg || *end != '\0' || t < 1 || t > 86400)
                return vt_cli_usage_error("chat: --timeout must be 1..86400 seconds");
            c.timeout_ms = t * 1000;
            break;
        case 'h': chat_usage(stdout); return VT_EXIT_OK;
        default: chat_usage(stderr); return VT_EXIT_USAGE;
        }
    }
    if (c.gateway == NULL)
        return vt_cli_usage_error("chat: --gateway URL is required");
    if (c.sim_root_count > 0 && !c.trust_sim)
        return vt_cli_usage_error("chat: --sim-root needs --trust-sim: a simulation root is trusted only in simulation "
                                  "mode");
    if (ohttp != (c.relay != NULL))
        return vt_cli_usage_error("chat: --ohttp and --relay URL go together");
    if (c.relay != NULL && strncmp(c.relay, "http://", 7) != 0 && strncmp(c.relay, "https://", 8) != 0)
        return vt_cli_usage_error("chat: --relay must be an http:// or https:// URL");
    if (optind + 1 != argc)
        return vt_cli_usage_error("chat: needs one prompt (or - to read it from standard input)");
    if (strncmp(c.gateway, "http://", 7) != 0 && strncmp(c.gateway, "https://", 8) != 0)
        return vt_cli_usage_error("chat: --gateway must be an http:// or https:// URL");
    if (c.env_id != NULL && !vt_env_id_valid(c.env_id))
        return vt_cli_usage_error("chat: '%s' is not an environment id", c.env_id);
    /* Fail closed before anything is contacted: which verifier vouches is the user's choice. */
    c.verifier = vt_cli_trusted_verifier(c.vflag);
    if (c.verifier == NULL && c.jwks_src == NULL)
        return vt_cli_usage_error("chat: %s", VT_CLI_NO_VERIFIER);
    if (c.verifier == NULL && c.env_id != NULL)
        return vt_cli_usage_error("chat: --environment needs --verifier URL (or VERITEE_VERIFIER) to fetch its "
                                  "reference values");
    if (c.verifier != NULL && strncmp(c.verifier, "http://", 7) != 0 && strncmp(c.verifier, "https://", 8) != 0)
        return vt_cli_usage_error("chat: --verifier must be an http:// or https:// URL");
    snprintf(gw, sizeof(gw), "%s", c.gateway);
    for (size_t n = strlen(gw); n > 0 && gw[n - 1] == '/'; n--)
        gw[n - 1] = '\0';
    c.gateway = gw;
    if (c.relay != NULL) {
        snprintf(relay, sizeof(relay), "%s", c.relay);
        for (size_t n = strlen(relay); n > 0 && relay[n - 1] == '/'; n--)
            relay[n - 1] = '\0';
        c.relay = relay;
    }
    if (strcmp(channel_of(&c), "plain") == 0 && !c.allow_plain)
        return vt_cli_usage_error("chat: %s is plain HTTP to another machine: the prompt and the answer would cross "
                                  "the network unencrypted.  Use the gateway's https:// listener (attested TLS) or "
                                  "--ohttp --relay URL, or --allow-plain to send it in the clear anyway",
                                  c.gateway);
    c.state = vt_cli_state_dir(state);
    c.env_revs = vt_cli_env_revs_path(revs_path, sizeof(revs_path), env_state, c.state);
    vt_buf_init(&prompt);
    if (strcmp(argv[optind], "-") == 0) {
        if (vt_cli_read(&prompt, "-", PROMPT_MAX, &err) != VT_OK || vt_buf_terminate(&prompt, &err) != VT_OK) {
            vt_buf_free(&prompt);
            return vt_cli_fail(VT_E_ARG, &err);
        }
    } else if (vt_buf_append_str(&prompt, argv[optind], &err) != VT_OK ||
               vt_buf_terminate(&prompt, &err) != VT_OK) {
        vt_buf_free(&prompt);
        return vt_cli_fail(VT_E_NOMEM, &err);
    }
    /* Read before anything is contacted: a damaged file is the user's to mend first. */
    if (c.env_id != NULL && vt_cli_env_revs_open(&c.revs, c.env_revs, &err) != VT_OK) {
        vt_buf_free(&prompt);
        return vt_cli_usage_error("chat: %s", err.msg);
    }
    vt_cli_report_init(&c.rep, c.json);
    vt_buf_init(&c.raw);
    vt_buf_init(&c.answer);
    vt_buf_init(&c.receipt);
    if (!c.json)
        printf("gateway %s%s%s%s\n", c.gateway, c.relay != NULL ? ", reached only through the relay " : "",
               c.relay != NULL ? c.relay : "",
               strcmp(channel_of(&c), "plain-loopback") == 0 ? " (plain HTTP on this machine's loopback: not encrypted)"
               : strcmp(channel_of(&c), "plain") == 0        ? " (plain HTTP: NOT encrypted, --allow-plain)"
                                                             : "");
    ex = check_evidence(&c);
    if (ex == VT_EXIT_OK)
        ex = vt_cli_chat_check_tls(&c.rep, c.tls_pin, sizeof(c.tls_pin), c.relay != NULL ? NULL : c.gateway,
                                   c.tls_key, c.g.enclave, c.att, c.g.log);
    if (ex == VT_EXIT_OK)
        ex = check_passport(&c);
    if (ex == VT_EXIT_OK) {
        ex = send_prompt(&c, (const char *)prompt.data);
        sent = true;
    }
    if (ex == VT_EXIT_OK)
        ex = check_receipt(&c);
    if (ex != VT_EXIT_USAGE)
        print_report(&c, ex, sent);
    vt_buf_free(&prompt);
    vt_cli_report_free(&c.rep);
    json_decref(c.att);
    vt_rp_gateway_clear(&c.g);
    vt_jwks_free(c.jwks);
    free(c.request);
    vt_buf_free(&c.raw);
    vt_buf_free(&c.answer);
    vt_buf_free(&c.receipt);
    vt_receipt_clear(&c.r);
    vt_env_revs_free(c.revs);
    return ex;
}
