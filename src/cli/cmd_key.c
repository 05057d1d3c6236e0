/* veritee key: the verifier's key broker (docs/keys.md) — register a resource with its release
 * policy, list, revoke (admin), and release one with a passport and its enclave key. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "cli.h"
#include "remote.h"

enum { O_VERIFIER = 256, O_ADMIN, O_JSON, O_VALUE, O_KIND, O_POLICY, O_ENV, O_PLATFORM, O_SOFT, O_WARN, O_TCB,
       O_MODEL, O_AUDITORS, O_RUNTIME, O_CONFIG, O_PASSPORT, O_KEY, O_OUT, O_REQ_OUT };

static void key_usage(FILE *f)
{
    fprintf(f, "usage: veritee key register ID --value-file F [--kind key|secret] (--policy FILE | policy options)\n"
               "       veritee key list [--json]\n"
               "       veritee key revoke ID\n"
               "       veritee key release ID --passport FILE --key PEM [--out FILE] [--request-out FILE] [--json]\n"
               "common: [--verifier URL] [--admin-token-file F] (admin token: register, list, revoke)\n\n"
               "The verifier's key broker keeps resources (a model key, a small secret) wrapped under its\n"
               "key-encryption key and releases one only to a gateway whose passport (issued by that verifier,\n"
               "presented with a signature by the passport's enclave key over a fresh nonce) meets the\n"
               "resource's policy.  The answer is a JWE (ECDH-ES, A256GCM) to the enclave key.\n\n"
               "register:\n"
               "  --value-file F       the secret (at most %d bytes, sent as is; a 'model keygen' key file works)\n"
               "  --kind key|secret    default key\n"
               "  --policy FILE        the policy as JSON (docs/keys.md), instead of the options below\n"
               "  --environment ID     the passport's environment (required)\n"
               "  --platform P         allowed TEE (tdx, sevsnp, nitro, ...); repeat; default any\n"
               "  --allow-simulated    do not require hardware_attested (simulation and tests only)\n"
               "  --allow-warning      also release to \"warning\" passports\n"
               "  --min-tcb S          UpToDate (default), SWHardeningNeeded, ConfigurationNeeded, OutOfDate, any\n"
               "  --model HEX, --auditors HEX[,HEX], --runtime HEX, --config HEX\n"
               "                       exact measured digests the passport must show\n"
               "release (what a gateway does at boot; for tests and tools):\n"
               "  --passport FILE      the passport token; --key PEM its enclave (attester) private key\n"
               "  --out FILE           write the released secret there (mode 0600); else the JWE is printed\n"
               "  --request-out FILE   also save the signed request {authorization, body} (replay tests)\n\n"
               "Exit status: 0 done, 1 refused (\"not released\"), 2 usage or input error.\n",
            VT_KBS_VALUE_MAX);
}

static int key_register(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "verifier", required_argument, NULL, O_VERIFIER }, { "admin-token-file", required_argument, NULL, O_ADMIN },
        { "value-file", required_argument, NULL, O_VALUE },  { "kind", required_argument, NULL, O_KIND },
        { "policy", required_argument, NULL, O_POLICY },     { "environment", required_argument, NULL, O_ENV },
        { "platform", required_argument, NULL, O_PLATFORM }, { "allow-simulated", no_argument, NULL, O_SOFT },
        { "allow-warning", no_argument, NULL, O_WARN },      { "min-tcb", required_argument, NULL, O_TCB },
        { "model", required_argument, NULL, O_MODEL },       { "auditors", required_argument, NULL, O_AUDITORS },
        { "runtime", required_argument, NULL, O_RUNTIME },   { "config", required_argument, NULL, O_CONFIG },
        { "json", no_argument, NULL, O_JSON },               { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *url = NULL, *tokf = NULL, *valf = NULL, *kind = "key", *polf = NULL;
    json_t *pol = json_object(), *plat = json_array(), *meas = json_object(), *body = NULL, *reply = NULL;
    vt_buf val, v64, tok, pb;
    char path[256];
    vt_err err = { 0 };
    vt_status rc;
    int ch, ex = VT_EXIT_USAGE;
    bool flags = false;

    vt_buf_init(&val);
    vt_buf_init(&v64);
    vt_buf_init(&tok);
    vt_buf_init(&pb);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case O_VERIFIER: url = optarg; break;
        case O_ADMIN: tokf = optarg; break;
        case O_VALUE: valf = optarg; break;
        case O_KIND: kind = optarg; break;
        case O_POLICY: polf = optarg; break;
        case O_ENV: json_object_set_new(pol, "environment", json_string(optarg)); flags = true; break;
        case O_PLATFORM: json_array_append_new(plat, json_string(optarg)); flags = true; break;
        case O_SOFT: json_object_set_new(pol, "hardware_attested", json_false()); flags = true; break;
        case O_WARN: json_object_set_new(pol, "allow_warning", json_true()); flags = true; break;
        case O_TCB: json_object_set_new(pol, "min_tcb_status", json_string(optarg)); flags = true; break;
        case O_MODEL: json_object_set_new(meas, "model", json_string(optarg)); flags = true; break;
        case O_AUDITORS: json_object_set_new(meas, "auditors", json_string(optarg)); flags = true; break;
        case O_RUNTIME: json_object_set_new(meas, "runtime", json_string(optarg)); flags = true; break;
        case O_CONFIG: json_object_set_new(meas, "config", json_string(optarg)); flags = true; break;
        case O_JSON: break;
        case 'h': key_usage(stdout); ex = VT_EXIT_OK; goto out;
        default: key_usage(stderr); goto out;
        }
    }
    if (optind != argc - 1 || !vt_env_id_valid(argv[optind])) {
        ex = vt_cli_usage_error("key register: expected one resource ID (1..63 of A-Za-z0-9._-)");
        goto out;
    }
    if (valf == NULL || (polf == NULL && !flags) || (polf != NULL && flags)) {
        ex = vt_cli_usage_error("key register: give --value-file and either --policy FILE or policy options");
        goto out;
    }
    if (polf != NULL) {
        json_decref(pol);
        rc = vt_cli_read(&pb, polf, VT_KBS_POLICY_MAX, &err);
        if (rc != VT_OK) {
            pol = NULL;
            ex = vt_cli_fail(rc, &err);
            goto out;
        }
        pol = json_loadb((const char *)pb.data, pb.len, 0, NULL);
        if (!json_is_object(pol)) {
            ex = vt_cli_usage_error("key register: %s is not a JSON object", polf);
            goto out;
        }
    } else {
        json_object_set(pol, "platforms", plat);
        json_object_set(pol, "measurements", meas);
    }
    rc = vt_file_read_private(&val, valf, VT_KBS_VALUE_MAX, &err);
    if (rc == VT_OK)
        rc = vt_base64_encode(&v64, val.data, val.len, false, &err);
    if (rc == VT_OK)
        rc = vt_buf_terminate(&v64, &err);
    if (rc == VT_OK)
        rc = vt_cli_admin_token(&tok, tokf, &err);
    if (rc != VT_OK) {
        ex = vt_cli_fail(rc, &err);
        goto out;
    }
    body = json_pack("{s:s, s:s, s:O}", "kind", kind, "value", (const char *)v64.data, "policy", pol);
    snprintf(path, sizeof(path), "/v1/admin/resources/%s", argv[optind]);
    rc = vt_cli_call(&reply, "PUT", vt_cli_verifier_url(url), path, body, (const char *)tok.data, &err);
    if (rc != VT_OK) {
        ex = vt_cli_fail(rc, &err);
        goto out;
    }
    vt_cli_print_json(reply);
    ex = VT_EXIT_OK;
out:
    if (val.data != NULL)
        OPENSSL_cleanse(val.data, val.len);
    if (v64.data != NULL)
        OPENSSL_cleanse(v64.data, v64.len);
    if (body != NULL) /* the value is in it */
        json_object_set_new(body, "value", json_string(""));
    vt_buf_free(&val);
    vt_buf_free(&v64);
    vt_buf_free(&tok);
    vt_buf_free(&pb);
    json_decref(pol);
    json_decref(plat);
    json_decref(meas);
    json_decref(body);
    json_decref(reply);
    return ex;
}

/* list (revoke == false) or revoke ID. */
static int key_admin(int argc, char **argv, bool revoke)
{
    static const struct option longopts[] = {
        { "verifier", required_argument, NULL, O_VERIFIER }, { "admin-token-file", required_argument, NULL, O_ADMIN },
        { "json", no_argument, NULL, O_JSON },               { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *url = NULL, *tokf = NULL;
    json_t *reply = NULL, *r;
    bool json = false;
    char path[256];
    vt_buf tok;
    vt_err err = { 0 };
    vt_status rc;
    size_t i;
    int ch;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case O_VERIFIER: url = optarg; break;
        case O_ADMIN: tokf = optarg; break;
        case O_JSON: json = true; break;
        case 'h': key_usage(stdout); return VT_EXIT_OK;
        default: key_usage(stderr); return VT_EXIT_USAGE;
        }
    }
    if (optind != argc - (revoke ? 1 : 0) || (revoke && !vt_env_id_valid(argv[optind])))
        return vt_cli_usage_error(revoke ? "key revoke: expected one resource ID" : "key list: no arguments expected");
    if (revoke)
        snprintf(path, sizeof(path), "/v1/admin/resources/%s/revoke", argv[optind]);
    else
        snprintf(path, sizeof(path), "/v1/admin/resources");
    vt_buf_init(&tok);
    rc = vt_cli_admin_token(&tok, tokf, &err);
    if (rc == VT_OK)
        rc = vt_cli_call(&reply, revoke ? "POST" : "GET", vt_cli_verifier_url(url), path, NULL,
                         (const char *)tok.data, &err);
    vt_buf_free(&tok);
    if (rc != VT_OK)
        return vt_cli_fail(rc, &err);
    if (json || revoke) {
        vt_cli_print_json(reply);
    } else {
        json_array_foreach(json_object_get(reply, "resources"), i, r) {
            json_t *p = json_object_get(r, "policy");
            printf("%-24s %-6s %-8s env=%s\n", json_string_value(json_object_get(r, "id")),
                   json_string_value(json_object_get(r, "kind")),
                   json_is_true(json_object_get(r, "revoked")) ? "revoked" : "active",
                   json_string_value(json_object_get(p, "environment")));
        }
    }
    json_decref(reply);
    return VT_EXIT_OK;
}

static int key_release(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "verifier", required_argument, NULL, O_VERIFIER }, { "passport", required_argument, NULL, O_PASSPORT },
        { "key", required_argument, NULL, O_KEY },           { "out", required_argument, NULL, O_OUT },
        { "request-out", required_argument, NULL, O_REQ_OUT }, { "json", no_argument, NULL, O_JSON },
        { "help", no_argument, NULL, 'h' },                  { NULL, 0, NULL, 0 },
    };
    const char *base, *passf = NULL, *keyf = NULL, *outf = NULL, *reqf = NULL, *url = NULL, *jwe;
    char *body = NULL, *authz = NULL, full[4400], *rq = NULL;
    vt_buf pass, pem, plain;
    vt_pkey *k = NULL;
    vt_http_response r;
    vt_http_client_opts co;
    json_t *reply = NULL, *req = NULL;
    vt_err err = { 0 };
    vt_status rc;
    int ch, ex = VT_EXIT_USAGE;

    vt_buf_init(&pass);
    vt_buf_init(&pem);
    vt_buf_init(&plain);
    memset(&r, 0, sizeof(r));
    memset(&co, 0, sizeof(co));
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case O_VERIFIER: url = optarg; break;
        case O_PASSPORT: passf = optarg; break;
        case O_KEY: keyf = optarg; break;
        case O_OUT: outf = optarg; break;
        case O_REQ_OUT: reqf = optarg; break;
        case O_JSON: break;
        case 'h': key_usage(stdout); return VT_EXIT_OK;
        default: key_usage(stderr); return VT_EXIT_USAGE;
        }
    }
    if (optind != argc - 1 || !vt_env_id_valid(argv[optind]) || passf == NULL || keyf == NULL)
        return vt_cli_usage_error("key release: expected one resource ID, --passport FILE and --key PEM");
    base = vt_cli_verifier_url(url);
    snprintf(full, sizeof(full), "%s/v1/keys/%s/release", base, argv[optind]);
    rc = vt_cli_read(&pass, passf, VT_JWS_MAX, &err);
    if (rc == VT_OK)
        rc = vt_buf_terminate(&pass, &err);
    if (rc == VT_OK)
        rc = vt_file_read_private(&pem, keyf, 64 << 10, &err);
    if (rc == VT_OK)
        rc = vt_pkey_from_pem(&k, (const char *)pem.data, pem.len, &err);
    if (rc != VT_OK) {
        ex = vt_cli_fail(rc == VT_E_CRYPTO ? VT_E_ARG : rc, &err);
        goto out;
    }
    while (pass.len > 0 && (pass.data[pass.len - 1] == '\n' || pass.data[pass.len - 1] == '\r'))
        pass.data[--pass.len] = '\0';
    rc = vt_kbs_request_new(&body, &err);
    if (rc == VT_OK)
        rc = vt_passport_auth_sign(&authz, (const char *)pass.data, k, "POST", full, (const uint8_t *)body,
                                   strlen(body), vt_time_now(), &err);
    if (rc == VT_OK && reqf != NULL) {
        req = json_pack("{s:s, s:s, s:s}", "url", full, "authorization", authz, "body", body);
        rq = req != NULL ? json_dumps(req, JSON_COMPACT) : NULL;
        rc = rq != NULL ? vt_file_write(reqf, rq, strlen(rq), 0600, &err) : VT_E_NOMEM;
    }
    co.authorization = authz;
    if (rc == VT_OK)
        rc = vt_http_request(&r, "POST", full, body, &co, &err);
    if (rc != VT_OK) {
        ex = vt_cli_fail(rc, &err);
        goto out;
    }
    reply = json_loadb((const char *)r.body.data, r.body.len, 0, NULL);
    if (r.status != 200) {
        fprintf(stderr, "veritee: key release: %ld %s\n", r.status,
                json_string_value(json_object_get(json_object_get(reply, "error"), "message")) != NULL
                    ? json_string_value(json_object_get(json_object_get(reply, "error"), "message"))
                    : (const char *)r.body.data);
        ex = r.status == 400 ? VT_EXIT_USAGE : VT_EXIT_REJECTED;
        goto out;
    }
    jwe = json_string_value(json_object_get(reply, "jwe"));
    if (jwe == NULL) {
        fprintf(stderr, "veritee: key release: the answer has no jwe\n");
        ex = VT_EXIT_REJECTED;
        goto out;
    }
    if (outf == NULL) {
        vt_cli_print_json(reply);
        ex = VT_EXIT_OK;
        goto out;
    }
    rc = vt_jwe_decrypt_kid(&plain, k, argv[optind], jwe, strlen(jwe), &err); /* its header names the resource */
    if (rc == VT_OK)
        rc = vt_file_write(outf, plain.data, plain.len, 0600, &err);
    ex = rc == VT_OK ? VT_EXIT_OK : vt_cli_fail(rc, &err);
out:
    if (plain.data != NULL)
        OPENSSL_cleanse(plain.data, plain.len);
    vt_buf_free(&plain);
    vt_buf_free(&pass);
    if (pem.data != NULL)
        OPENSSL_cleanse(pem.data, pem.len);
    vt_buf_free(&pem);
    vt_pkey_free(k);
    vt_http_response_clear(&r);
    json_decref(reply);
    json_decref(req);
    free(rq);
    free(body);
    free(authz);
    return ex;
}

int vt_cmd_key(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        key_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? VT_EXIT_USAGE : VT_EXIT_OK;
    }
    if (strcmp(argv[1], "register") == 0)
        return key_register(argc - 1, argv + 1);
    if (strcmp(argv[1], "list") == 0)
        return key_admin(argc - 1, argv + 1, false);
    if (strcmp(argv[1], "revoke") == 0)
        return key_admin(argc - 1, argv + 1, true);
    if (strcmp(argv[1], "release") == 0)
        return key_release(argc - 1, argv + 1);
    return vt_cli_usage_error("key: unknown subcommand '%s' (register, list, revoke, release)", argv[1]);
}
