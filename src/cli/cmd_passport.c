/* veritee passport: check and show AI Passports (EAR JWTs, docs/passport.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "remote.h"
#include "trust.h"

enum { O_JWKS = 256, O_AT, O_JSON, O_VERIFIER, O_ATTEST, O_WARN };

static void passport_usage(FILE *f)
{
    fprintf(f, "usage: veritee passport verify TOKEN|FILE [--jwks FILE|URL | --verifier URL] [--at TIME]\n"
               "                                [--accept-warning] [--json]\n"
               "       veritee passport show ID [--attestation] [--verifier URL] [--json]\n"
               "       veritee passport decode TOKEN|FILE [--json]\n\n"
               "An AI Passport is the verifier's signed attestation result (an EAR JWT): which TEE,\n"
               "model, auditors, runtime and config it appraised, and its verdict on each.\n\n"
               "  verify   checks the ES256 signature with the key named by the token's kid in the\n"
               "           verifier's JWK Set, the EAR profile, the validity window and the status:\n"
               "           exit 0 when valid and affirming, 1 when not (bad signature, unknown key,\n"
               "           expired, warning or contraindicated).  Offline: pass the\n"
               "           JWKS as a file (curl -o jwks.json <verifier>/.well-known/jwks.json).\n"
               "  decode   prints the claims without checking anything.\n\n"
               "  show     the passport as the verifier stored it (--attestation adds the platform claims).\n\n"
               "  --jwks FILE|URL  the verifier's JWK Set (default <verifier>/.well-known/jwks.json)\n"
               "  --verifier URL   the verifier whose keys you trust (default $VERITEE_VERIFIER); one of\n"
               "                   --verifier, --jwks or VERITEE_VERIFIER is required for verify\n"
               "  --at TIME    verify as of TIME (RFC 3339 or @unix seconds; default now)\n"
               "  --accept-warning  also accept a passport whose status is warning\n"
               "  --json       print the claims as JSON\n"
               "TOKEN|FILE is the token itself, a file holding it, or - for standard input.\n");
}

static void print_text(const vt_passport_claims *c, bool verified)
{
    char t1[32], t2[32], hex[2 * VT_CLAIM_VALUE_MAX + 1];

    vt_time_format(t1, c->iat);
    vt_time_format(t2, c->exp);
    printf("passport     %s%s\n", c->id, verified ? "" : " (NOT verified)");
    printf("status       %s\n", vt_ear_status_name(c->appraisal.status));
    printf("environment  %s\n", c->environment);
    printf("issuer       %s (veritee %s)\n", c->issuer, c->verifier_build);
    printf("tee          %s, hardware_attested %s\n", vt_tee_name(c->tee_type), c->hardware_attested ? "true" : "false");
    if (c->measurement_name[0]) {
        vt_hex_encode(hex, c->measurement, c->measurement_len);
        printf("measurement  %s %s\n", c->measurement_name, hex);
    }
    printf("valid        %s .. %s\n", t1, t2);
    for (int s = 0; s < VT_SUBMOD_COUNT; s++) {
        const vt_appraisal_sub *a = &c->appraisal.sub[s];
        printf("  %-9s %-15s%s%s\n", vt_submod_name((vt_submod)s), vt_ear_status_name(a->status),
               a->measured[0] ? " " : "", a->measured);
        if (a->reason[0])
            printf("            %s\n", a->reason);
    }
}

static json_t *claims_json(const vt_passport_claims *c, bool verified, const char *error)
{
    json_t *subs = json_object(), *o;
    char hex[2 * VT_CLAIM_VALUE_MAX + 1];

    for (int s = 0; s < VT_SUBMOD_COUNT; s++) {
        const vt_appraisal_sub *a = &c->appraisal.sub[s];
        json_t *tv = json_object();
        for (int k = 0; k < VT_AR4SI_COUNT; k++)
            if (a->tv[k] != 0)
                json_object_set_new(tv, vt_ar4si_name((vt_ar4si)k), json_integer(a->tv[k]));
        json_object_set_new(subs, vt_submod_name((vt_submod)s),
                            json_pack("{s:s, s:o, s:s, s:s}", "status", vt_ear_status_name(a->status),
                                      "trustworthiness_vector", tv, "reason", a->reason, "measured", a->measured));
    }
    vt_hex_encode(hex, c->measurement, c->measurement_len);
    o = json_pack("{s:b, s:s, s:s, s:s, s:s, s:s, s:b, s:{s:s, s:s}, s:I, s:I, s:s, s:o}", "verified", verified,
                  "id", c->id, "status", vt_ear_status_name(c->appraisal.status), "environment", c->environment,
                  "issuer", c->issuer, "tee_type", vt_tee_name(c->tee_type), "hardware_attested",
                  c->hardware_attested, "measurement", "name", c->measurement_name, "value", hex, "iat",
                  (json_int_t)c->iat, "exp", (json_int_t)c->exp, "verifier_build", c->verifier_build, "submods", subs);
    if (o != NULL && error != NULL)
        json_object_set_new(o, "error", json_string(error));
    if (o != NULL && c->attester_jwk != NULL)
        json_object_set_new(o, "attester_jwk", json_loads(c->attester_jwk, 0, NULL));
    return o;
}

static void print_json(const vt_passport_claims *c, bool verified, const char *error)
{
    json_t *o = claims_json(c, verified, error);
    char *s = o != NULL ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;

    if (s != NULL)
        printf("%s\n", s);
    free(s);
    json_decref(o);
}

static void print_summary(json_t *p, bool attestation)
{
    json_t *m = json_object_get(p, "measurements"), *v;
    const char *k;

    printf("passport    %s\n", json_string_value(json_object_get(p, "id")));
    printf("environment %s\n", json_string_value(json_object_get(p, "environment")));
    printf("status      %s\n", json_string_value(json_object_get(p, "status")));
    printf("tee         %s (%s)\n", json_string_value(json_object_get(p, "tee_type")),
           json_is_true(json_object_get(p, "hardware_attested")) ? "hardware attested"
                                                                  : "NOT hardware attested: mock or simulation");
    printf("measurement %s\n", json_string_value(json_object_get(p, "measurement")));
    json_object_foreach(m, k, v)
    {
        const char *d = json_string_value(json_object_get(v, "digest"));
        printf("  %-9s %-16s %s\n", k, json_string_value(json_object_get(v, "status")), d != NULL && *d ? d : "-");
    }
    printf("issued      %s\nexpires     %s\n", json_string_value(json_object_get(p, "issued_at")),
           json_string_value(json_object_get(p, "expires_at")));
    if (attestation && json_object_get(p, "platform_claims") != NULL) {
        char *s = json_dumps(json_object_get(p, "platform_claims"), JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("platform claims:\n%s\n", s != NULL ? s : "");
        free(s);
    }
}

static int passport_show(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "verifier", required_argument, NULL, O_VERIFIER },
        { "attestation", no_argument, NULL, O_ATTEST },
        { "json", no_argument, NULL, O_JSON },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *url = NULL, *id;
    bool json = false, att = false;
    json_t *reply = NULL;
    char path[256];
    vt_err err = { 0 };
    vt_status rc;
    int ch;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case O_VERIFIER: url = optarg; break;
        case O_ATTEST: att = true; break;
        case O_JSON: json = true; break;
        case 'h': passport_usage(stdout); return VT_EXIT_OK;
        default: passport_usage(stderr); return VT_EXIT_USAGE;
        }
    }
    if (optind != argc - 1)
        return vt_cli_usage_error("passport show: expected one passport ID");
    id = argv[optind];
    if (strncmp(id, "pass-", 5) != 0 || strlen(id) > 47 || strspn(id + 5, "0123456789abcdef") != strlen(id + 5))
        return vt_cli_usage_error("passport show: '%s' is not a passport id (pass-<hex>)", id);
    snprintf(path, sizeof(path), "/v1/passports/%s%s", id, att ? "?attestation=1" : "");
    rc = vt_cli_call(&reply, "GET", vt_cli_verifier_url(url), path, NULL, NULL, &err);
    if (rc != VT_OK)
        return vt_cli_fail(rc, &err);
    if (json)
        vt_cli_print_json(reply);
    else
        print_summary(reply, att);
    json_decref(reply);
    return VT_EXIT_OK;
}

static int passport_run(int argc, char **argv, bool verify)
{
    static const struct option longopts[] = {
        { "jwks", required_argument, NULL, O_JWKS }, { "at", required_argument, NULL, O_AT },
        { "verifier", required_argument, NULL, O_VERIFIER },
        { "json", no_argument, NULL, O_JSON },       { "help", no_argument, NULL, 'h' },
        { "accept-warning", no_argument, NULL, O_WARN },
        { NULL, 0, NULL, 0 },
    };
    vt_passport_verify_opts vo = { .accept_warning = false };
    const char *jwks_path = NULL, *at = NULL, *url = NULL;
    bool json = false;
    vt_time now = vt_time_now();
    const char *vurl = NULL;
    char issuer[128];
    vt_buf tok;
    vt_jwks *set = NULL;
    vt_passport_claims c;
    vt_err err = { 0 };
    vt_status rc;
    int ch, ex;

    memset(&c, 0, sizeof(c));
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case O_JWKS: jwks_path = optarg; break;
        case O_VERIFIER: url = optarg; break;
        case O_AT: at = optarg; break;
        case O_JSON: json = true; break;
        case O_WARN: vo.accept_warning = true; break;
        case 'h': passport_usage(stdout); return VT_EXIT_OK;
        default: passport_usage(stderr); return VT_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc)
        return vt_cli_usage_error("passport %s: needs one TOKEN or FILE", verify ? "verify" : "decode");
    if (verify)
        vurl = vt_cli_trusted_verifier(url);
    if (at != NULL && vt_time_parse(&now, at, &err) != VT_OK)
        return vt_cli_usage_error("--at: %s", err.msg);
    rc = vt_cli_load_token(&tok, argv[optind], &err);
    if (rc != VT_OK) {
        vt_buf_free(&tok);
        return vt_cli_fail(rc, &err);
    }
    if (verify) {
        rc = vt_cli_verifier_keys(&set, issuer, sizeof(issuer), vurl, jwks_path, &err);
        if (rc != VT_OK) {
            ex = vt_cli_fail(rc, &err);
            goto out;
        }
        rc = vt_passport_verify_with(&c, (const char *)tok.data, tok.len, set, now, &vo, &err);
        if (rc == VT_OK)
            rc = vt_passport_check_issuer(&c, issuer, vurl, &err);
    } else {
        rc = vt_passport_decode(&c, (const char *)tok.data, tok.len, &err);
    }
    /* An expired passport still has claims worth showing next to the reason. */
    if (rc == VT_OK || (rc == VT_E_POLICY && c.id[0] != '\0')) {
        if (json)
            print_json(&c, verify && rc == VT_OK, rc == VT_OK ? NULL : err.msg);
        else
            print_text(&c, verify && rc == VT_OK);
    }
    ex = rc == VT_OK ? VT_EXIT_OK : vt_cli_fail(rc, &err);
    if (rc == VT_OK && verify && !json)
        printf("signature    valid (kid in %s)\n", jwks_path);
out:
    vt_passport_claims_clear(&c);
    vt_jwks_free(set);
    vt_buf_free(&tok);
    return ex;
}

int vt_cmd_passport(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        passport_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? VT_EXIT_USAGE : VT_EXIT_OK;
    }
    if (strcmp(argv[1], "verify") == 0)
        return passport_run(argc - 1, argv + 1, true);
    if (strcmp(argv[1], "show") == 0)
        return passport_show(argc - 1, argv + 1);
    if (strcmp(argv[1], "decode") == 0)
        return passport_run(argc - 1, argv + 1, false);
    fprintf(stderr, "veritee: passport: unknown subcommand '%s'\n", argv[1]);
    passport_usage(stderr);
    return VT_EXIT_USAGE;
}
