/* veritee receipt: check and show the gateway's per-response receipts (docs/receipts.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "logclient.h"
#include "remote.h"
#include "trust.h"

enum { O_PASSPORT = 256, O_VERIFIER, O_JWKS, O_BODY, O_REQUEST, O_JSON };
enum { O_TLOG = 512, O_TLOG_KEY, O_WKEY, O_QUORUM };

static void receipt_usage(FILE *f)
{
    fprintf(f,
            "usage: veritee receipt verify RECEIPT|FILE --passport TOKEN|FILE|pass-ID\n"
            "                              (--verifier URL | --jwks FILE|URL) [--body FILE]\n"
            "                              [--request FILE] [--json] [--log URL --log-key KEY\n"
            "                              [--witness-key VKEY]... [--witness-quorum N]]\n"
            "       veritee receipt show RECEIPT|FILE [--json]\n\n"
            "A receipt is the gateway's signature, by its enclave key, over what one response was:\n"
            "digests of the request and the response, the model, every auditor's verdict.\n\n"
            "  verify  checks, in order: that the passport was issued by the verifier you configured,\n"
            "          its signature with that verifier's JWK Set, that it\n"
            "          is affirming and was valid at the receipt's time; the receipt's signature with\n"
            "          the passport's enclave key (cnf.jwk); that the receipt names that passport,\n"
            "          environment and model; with --body / --request, that the digests match those\n"
            "          bytes.  Exit 0 when all hold, 1 when one does not.  It also shows what the receipt\n"
            "          states: the HTTP status and content type the client got, and which phases were\n"
            "          audited or could not be (a refused, unauditable reply gets a genuine receipt).\n"
            "  show    prints the receipt's payload without checking anything.\n\n"
            "  --passport X   the passport token, a file holding it, or its id (fetched from --verifier)\n"
            "  --verifier URL the verifier whose keys you trust (default $VERITEE_VERIFIER); one of\n"
            "                 --verifier, --jwks or VERITEE_VERIFIER is required: the passport never\n"
            "                 names its own verifier\n"
            "  --jwks FILE|URL  the verifier's JWK Set (default <verifier>/.well-known/jwks.json)\n"
            "  --body FILE    the response body as received (streams: every byte before the receipt event)\n"
            "  --request FILE the request body as sent\n"
            "  --log URL --log-key KEY  also prove the receipt is in the verifier's transparency log\n"
            "                 (URL http://VERIFIER/v1/log): the checkpoint must verify under the pinned\n"
            "                 note key KEY (or a file holding it), then the inclusion proof (docs/log.md)\n"
            "  --witness-key VKEY  with --log: a witness's cosigner key (or a file holding it; veritee log\n"
            "                 witness prints it); repeatable, up to 8: the checkpoint the proof is made\n"
            "                 against must carry a valid cosignature by --witness-quorum N of them\n"
            "                 (default all), else the receipt is not proven in the log (C2SP tlog-witness)\n"
            "  --json         a JSON report\n"
            "RECEIPT|FILE is the token itself, a file holding it, or - for standard input.\n");
}

static bool file_digest_matches(const char *path, const uint8_t want[32], char *detail, size_t dlen, vt_status *rc,
                                vt_err *err)
{
    vt_buf b;
    uint8_t got[32];
    bool ok = false;

    vt_buf_init(&b);
    *rc = vt_cli_read(&b, path, (size_t)1 << 30, err);
    if (*rc == VT_OK)
        *rc = vt_digest(VT_MD_SHA256, b.data, b.len, got, err);
    if (*rc == VT_OK) {
        ok = vt_ct_equal(got, want, 32);
        snprintf(dlen > 0 ? detail : NULL, dlen, "SHA-256 of %s (%zu bytes) %s the receipt's", path, b.len,
                 ok ? "equals" : "differs from");
    }
    vt_buf_free(&b);
    return ok;
}

/* "request, response" (or "none") from VT_AUDIT_* bits. */
static void phase_list(char *out, size_t len, unsigned bits)
{
    static const vt_audit_phase order[] = { VT_AUDIT_ARTIFACT, VT_AUDIT_REQUEST, VT_AUDIT_EXECUTION,
                                            VT_AUDIT_RESPONSE };
    size_t off = 0;

    out[0] = '\0';
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
        if ((bits & (unsigned)order[i]) && off < len)
            off += (size_t)snprintf(out + off, len - off, "%s%s", off > 0 ? ", " : "",
                                    vt_audit_phase_name(order[i]));
    if (off == 0)
        snprintf(out, len, "none");
}

static int receipt_verify(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "passport", required_argument, NULL, O_PASSPORT }, { "verifier", required_argument, NULL, O_VERIFIER },
        { "jwks", required_argument, NULL, O_JWKS },         { "body", required_argument, NULL, O_BODY },
        { "request", required_argument, NULL, O_REQUEST },   { "json", no_argument, NULL, O_JSON },
        { "log", required_argument, NULL, O_TLOG },          { "log-key", required_argument, NULL, O_TLOG_KEY },
        { "witness-key", required_argument, NULL, O_WKEY },  { "witness-quorum", required_argument, NULL, O_QUORUM },
        { "help", no_argument, NULL, 'h' },                  { NULL, 0, NULL, 0 },
    };
    const char *tlog = NULL, *tlog_key = NULL;
    vt_note_verifier *wkeys[VT_CLI_WITNESS_MAX] = { NULL };
    size_t nw = 0, quorum = 0;
    const char *pass_arg = NULL, *vflag = NULL, *jwks_src = NULL, *body = NULL, *request = NULL, *verifier;
    char issuer[128], detail[512];
    bool json = false;
    vt_buf tok, ptok;
    vt_receipt r;
    vt_passport_claims c;
    vt_jwks *set = NULL;
    vt_pkey *key = NULL;
    vt_cli_report rep;
    vt_err err = { 0 };
    vt_status rc;
    vt_time at;
    int ch, ex = VT_EXIT_REJECTED;

    memset(&r, 0, sizeof(r));
    memset(&c, 0, sizeof(c));
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case O_PASSPORT: pass_arg = optarg; break;
        case O_VERIFIER: vflag = optarg; break;
        case O_JWKS: jwks_src = optarg; break;
        case O_BODY: body = optarg; break;
        case O_REQUEST: request = optarg; break;
        case O_JSON: json = true; break;
        case O_TLOG: tlog = optarg; break;
        case O_TLOG_KEY: tlog_key = optarg; break;
        case O_WKEY:
            if (vt_cli_log_witness_key(wkeys, &nw, optarg, &err) != VT_OK) {
                ex = vt_cli_usage_error("receipt verify: %s", err.msg);
                goto early;
            }
            break;
        case O_QUORUM:
            if (vt_cli_log_witness_quorum(&quorum, optarg, &err) != VT_OK) {
                ex = vt_cli_usage_error("receipt verify: %s", err.msg);
                goto early;
            }
            break;
        case 'h': ex = VT_EXIT_OK; receipt_usage(stdout); goto early;
        default: ex = VT_EXIT_USAGE; receipt_usage(stderr); goto early;
        }
    }
    ex = VT_EXIT_USAGE;
    verifier = vt_cli_trusted_verifier(vflag);
    if (optind + 1 != argc)
        ex = vt_cli_usage_error("receipt verify: needs one RECEIPT or FILE");
    else if ((tlog == NULL) != (tlog_key == NULL))
        ex = vt_cli_usage_error("receipt verify: --log URL and --log-key KEY go together");
    else if (tlog == NULL && (nw > 0 || quorum > 0))
        ex = vt_cli_usage_error("receipt verify: --witness-key and --witness-quorum need --log URL --log-key KEY");
    else if (quorum > nw)
        ex = vt_cli_usage_error("receipt verify: --witness-quorum %zu with %zu --witness-key", quorum, nw);
    else if (pass_arg == NULL)
        ex = vt_cli_usage_error("receipt verify: --passport TOKEN|FILE|pass-ID is required");
    else if (verifier == NULL && jwks_src == NULL)
        ex = vt_cli_usage_error("receipt verify: %s", VT_CLI_NO_VERIFIER);
    else
        ex = VT_EXIT_REJECTED;
    if (ex != VT_EXIT_REJECTED)
        goto early;
    if (quorum == 0)
        quorum = nw;
    vt_cli_report_init(&rep, json);
    vt_buf_init(&ptok);
    rc = vt_cli_load_token(&tok, argv[optind], &err);
    if (rc == VT_OK)
        rc = vt_cli_load_passport(&ptok, pass_arg, verifier, &err);
    if (rc != VT_OK) {
        ex = vt_cli_fail(rc, &err);
        goto out;
    }
    /* Tokens that do not even parse are rejected like forged ones. */
    rc = vt_receipt_decode(&r, (const char *)tok.data, tok.len, &err);
    if (!vt_cli_check(&rep, "receipt", rc, &err, "%s decodes (not yet verified)", r.id))
        goto done;
    rc = vt_passport_decode(&c, (const char *)ptok.data, ptok.len, &err);
    if (rc != VT_OK) {
        vt_cli_check(&rep, "passport", rc, &err, "-");
        goto done;
    }
    rc = vt_cli_verifier_keys(&set, issuer, sizeof(issuer), verifier, jwks_src, &err);
    if (rc != VT_OK) {
        ex = vt_cli_fail(rc, &err);
        goto out;
    }
    /* The configured verifier vouches; the passport's "iss" only has to be it. */
    rc = vt_passport_check_issuer(&c, issuer, verifier, &err);
    if (!vt_cli_check(&rep, "issuer", rc, &err, "%s, the configured verifier", c.issuer))
        goto done;
    vt_passport_claims_clear(&c);
    memset(&c, 0, sizeof(c));
    /* The passport must have been valid when the gateway served the response;
     * the receipt's time is only trusted once its signature verifies below,
     * and vt_receipt_check_passport checks it against the validity again. */
    at = r.received_ms > 0 ? r.received_ms / 1000 : vt_time_now();
    rc = vt_passport_verify(&c, (const char *)ptok.data, ptok.len, set, at, &err);
    if (!vt_cli_check(&rep, "passport", rc, &err, "%s signed by the verifier (JWKS %s), valid at the receipt's time",
                      c.id, jwks_src != NULL ? jwks_src : verifier))
        goto done;
    rc = vt_passport_affirming(&c, &err);
    if (!vt_cli_check(&rep, "affirming", rc, &err, "environment %s, every appraised component affirming",
                      c.environment))
        goto done;
    vt_receipt_clear(&r);
    memset(&r, 0, sizeof(r));
    rc = vt_cli_passport_key(&key, &c, &err);
    if (rc == VT_OK)
        rc = vt_receipt_verify(&r, (const char *)tok.data, tok.len, key, &err);
    if (!vt_cli_check(&rep, "signature", rc, &err, "%s signed by the passport's enclave key %.12s…", r.id,
                      r.enclave_key))
        goto done;
    rc = vt_receipt_check_passport(&r, &c, &err);
    if (!vt_cli_check(&rep, "names", rc, &err, "same passport, environment %s and measured model", r.environment))
        goto done;
    {
        /* What the receipt states about its exchange: shown, not judged (a receipt of a refused
         * reply is a genuine receipt). */
        char au[64], fa[64];
        phase_list(au, sizeof(au), r.audited);
        phase_list(fa, sizeof(fa), r.failed);
        vt_cli_check(&rep, "coverage", VT_OK, &err, "HTTP %d %s; audited: %s; could not be audited: %s; unaudited "
                     "fields: %s", r.status, r.content_type, au, fa, r.unaudited != NULL ? r.unaudited : "[]");
    }
    if (r.deployments != NULL) {
        /* The hops a workflow routed through, each checked by this gateway before it routed (signed). */
        json_t *d = json_loads(r.deployments, 0, NULL), *e;
        char hops[600] = "";
        size_t i, used = 0;
        json_array_foreach(d, i, e) {
            if (used < sizeof(hops))
                used += (size_t)snprintf(hops + used, sizeof(hops) - used, "%s%s (environment %s, %s, passport %s, %s)",
                                         i ? " -> " : "", json_string_value(json_object_get(e, "node")),
                                         json_string_value(json_object_get(e, "environment")),
                                         json_string_value(json_object_get(e, "deployment_type")),
                                         json_string_value(json_object_get(e, "passport")),
                                         json_string_value(json_object_get(e, "gateway")));
        }
        json_decref(d);
        vt_cli_check(&rep, "deployments", VT_OK, &err, "this gateway (%s) -> %s", r.environment, hops);
    }
    if (request != NULL) {
        bool ok = file_digest_matches(request, r.request_received, detail, sizeof(detail), &rc, &err);
        if (rc != VT_OK) {
            ex = vt_cli_fail(rc, &err);
            goto out;
        }
        if (!ok)
            vt_err_set(&err, VT_E_POLICY, "request_received: %s", detail);
        if (!vt_cli_check(&rep, "request", ok ? VT_OK : VT_E_POLICY, &err, "%s", detail))
            goto done;
    }
    if (body != NULL) {
        bool ok = file_digest_matches(body, r.response, detail, sizeof(detail), &rc, &err);
        if (rc != VT_OK) {
            ex = vt_cli_fail(rc, &err);
            goto out;
        }
        if (!ok)
            vt_err_set(&err, VT_E_POLICY, "response: %s", detail);
        if (!vt_cli_check(&rep, "response", ok ? VT_OK : VT_E_POLICY, &err, "%s", detail))
            goto done;
    }
    if (tlog != NULL) {
        vt_note_verifier *lv = NULL;
        vt_checkpoint cp;
        vt_buf note;
        uint64_t li = 0;
        memset(&cp, 0, sizeof(cp));
        vt_buf_init(&note);
        rc = vt_cli_log_key(&lv, tlog_key, &err);
        if (rc == VT_OK)
            rc = vt_cli_log_checkpoint(&cp, &note, tlog, lv, &err);
        if (!vt_cli_check(&rep, "checkpoint", rc, &err, "%s, %llu entries, signed by the pinned log key", cp.origin,
                          (unsigned long long)cp.size))
            goto log_done;
        if (nw > 0) {
            /* The proof is made against this checkpoint: the witnesses must have cosigned it, so
             * that the log cannot show this receipt's holder a view nobody else sees. */
            char names[400];
            size_t good = 0;
            rc = vt_cli_log_cosigned(&good, names, sizeof(names), NULL, &note, wkeys, nw, quorum, &err);
            if (!vt_cli_check(&rep, "cosigned", rc, &err, "%zu of %zu witnesses (quorum %zu): %s", good, nw, quorum,
                              names))
                goto log_done;
        }
        rc = vt_cli_log_prove(&li, tlog, &cp, tok.data, tok.len, &err);
        vt_cli_check(&rep, "log", rc, &err, "entry %llu of %llu (RFC 9162 inclusion proof verified)",
                     (unsigned long long)li, (unsigned long long)cp.size);
    log_done:
        vt_buf_free(&note);
        vt_note_verifier_free(lv);
    }
done:
    ex = rep.failed ? VT_EXIT_REJECTED : VT_EXIT_OK;
    if (json) {
        json_t *o = json_pack("{s:b, s:O}", "verified", !rep.failed, "checks", rep.checks);
        if (o != NULL && rep.failed)
            json_object_set_new(o, "error", json_string(rep.error));
        if (o != NULL && !rep.failed)
            json_object_set_new(o, "receipt", vt_cli_receipt_json(&r));
        vt_cli_print_json(o);
        json_decref(o);
    } else if (!rep.failed) {
        printf("receipt verified\n");
        vt_cli_print_receipt(&r);
    }
out:
    vt_cli_report_free(&rep);
    vt_pkey_free(key);
    vt_jwks_free(set);
    vt_passport_claims_clear(&c);
    vt_receipt_clear(&r);
    vt_buf_free(&ptok);
    vt_buf_free(&tok);
early:
    for (size_t i = 0; i < nw; i++)
        vt_note_verifier_free(wkeys[i]);
    return ex;
}

static int receipt_show(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "json", no_argument, NULL, O_JSON },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    vt_buf tok;
    vt_receipt r;
    vt_err err = { 0 };
    vt_status rc;
    bool json = false;
    int ch;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case O_JSON: json = true; break;
        case 'h': receipt_usage(stdout); return VT_EXIT_OK;
        default: receipt_usage(stderr); return VT_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc)
        return vt_cli_usage_error("receipt show: needs one RECEIPT or FILE");
    memset(&r, 0, sizeof(r));
    rc = vt_cli_load_token(&tok, argv[optind], &err);
    if (rc == VT_OK)
        rc = vt_receipt_decode(&r, (const char *)tok.data, tok.len, &err);
    vt_buf_free(&tok);
    if (rc != VT_OK) {
        vt_receipt_clear(&r);
        return vt_cli_fail(rc == VT_E_CRYPTO || rc == VT_E_POLICY ? VT_E_FORMAT : rc, &err);
    }
    if (!json)
        printf("receipt (decoded, NOT verified: use veritee receipt verify)\n");
    vt_cli_print_receipt(&r);
    vt_receipt_clear(&r);
    return VT_EXIT_OK;
}

int vt_cmd_receipt(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        receipt_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? VT_EXIT_USAGE : VT_EXIT_OK;
    }
    if (strcmp(argv[1], "verify") == 0)
        return receipt_verify(argc - 1, argv + 1);
    if (strcmp(argv[1], "show") == 0)
        return receipt_show(argc - 1, argv + 1);
    fprintf(stderr, "veritee: receipt: unknown subcommand '%s'\n", argv[1]);
    receipt_usage(stderr);
    return VT_EXIT_USAGE;
}
