/* veritee passport: show a passport the verifier issued; verify a passport
 * token offline against a JWKS (file or URL). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "remote.h"

enum { O_VERIFIER = 256, O_ATTEST, O_JSON, O_JWKS, O_AT };

static void passport_usage(FILE *f)
{
    fprintf(f, "usage: veritee passport show ID [--attestation] [--verifier URL] [--json]\n"
               "       veritee passport verify TOKEN|FILE (--jwks URL|FILE | --verifier URL) [--at TIME] [--json]\n\n"
               "show: the passport as the verifier stored it: environment, platform, measurement,\n"
               "each component's status, validity; --attestation adds the platform claims.\n"
               "verify: checks the token's ES256 signature with the verifier's published keys\n"
               "(default: <verifier>/.well-known/jwks.json), its profile and validity at TIME (default\n"
               "now).  Exit 0 when valid and affirming, 1 when invalid, expired or not affirming.\n");
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

static int passport_verify(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "verifier", required_argument, NULL, O_VERIFIER },
        { "jwks", required_argument, NULL, O_JWKS },
        { "at", required_argument, NULL, O_AT },
        { "json", no_argument, NULL, O_JSON },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *url = NULL, *jwks = NULL, *arg;
    char jwks_url[1200], mhex[2 * VT_CLAIM_VALUE_MAX + 1], ts1[32], ts2[32];
    bool json = false;
    vt_time now = vt_time_now();
    vt_buf tok, jb;
    vt_jwks *set = NULL;
    vt_passport_claims c;
    vt_err err = { 0 };
    vt_status rc;
    int ch, ex;

    memset(&c, 0, sizeof(c));
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case O_VERIFIER: url = optarg; break;
        case O_JWKS: jwks = optarg; break;
        case O_JSON: json = true; break;
        case O_AT:
            if (vt_time_parse(&now, optarg, &err) != VT_OK)
                return vt_cli_usage_error("--at: %s", err.msg);
            break;
        case 'h': passport_usage(stdout); return VT_EXIT_OK;
        default: passport_usage(stderr); return VT_EXIT_USAGE;
        }
    }
    if (optind != argc - 1)
        return vt_cli_usage_error("passport verify: expected one TOKEN or FILE");
    arg = argv[optind];
    if (jwks == NULL) {
        snprintf(jwks_url, sizeof(jwks_url), "%s/.well-known/jwks.json", vt_cli_verifier_url(url));
        jwks = jwks_url;
    }
    vt_buf_init(&tok);
    vt_buf_init(&jb);
    /* A compact JWS has two dots and no slash; anything else is a file name. */
    if (strchr(arg, '/') == NULL && strchr(arg, '.') != NULL && strchr(strchr(arg, '.') + 1, '.') != NULL)
        rc = vt_buf_append_str(&tok, arg, &err);
    else
        rc = vt_cli_read(&tok, arg, VT_JWS_MAX, &err);
    while (rc == VT_OK && tok.len > 0 && (tok.data[tok.len - 1] == '\n' || tok.data[tok.len - 1] == ' ' ||
                                          tok.data[tok.len - 1] == '\r'))
        tok.len--;
    if (rc == VT_OK)
        rc = vt_buf_terminate(&tok, &err);
    if (rc != VT_OK) {
        ex = vt_cli_fail(rc, &err);
        goto out;
    }
    rc = vt_cli_fetch_text(&jb, jwks, (size_t)1 << 20, &err);
    if (rc == VT_OK)
        rc = vt_jwks_parse(&set, (const char *)jb.data, jb.len, &err);
    if (rc != VT_OK) {
        ex = vt_cli_fail(rc == VT_E_CRYPTO || rc == VT_E_POLICY ? VT_E_FORMAT : rc, &err);
        goto out;
    }
    rc = vt_passport_verify(&c, (const char *)tok.data, tok.len, set, now, &err);
    ex = rc == VT_OK && c.appraisal.status == VT_EAR_AFFIRMING ? VT_EXIT_OK
         : rc == VT_OK || rc == VT_E_CRYPTO || rc == VT_E_POLICY ? VT_EXIT_REJECTED
                                                                 : VT_EXIT_USAGE;
    if (rc != VT_OK && c.id[0] == '\0') {
        if (json) {
            json_t *j = json_pack("{s:b, s:s}", "valid", 0, "error", err.msg);
            vt_cli_print_json(j);
            json_decref(j);
        }
        fprintf(stderr, "veritee: passport does not verify: %s\n", err.msg);
        goto out;
    }
    vt_hex_encode(mhex, c.measurement, c.measurement_len);
    vt_time_format(ts1, c.iat);
    vt_time_format(ts2, c.exp);
    if (json) {
        json_t *subs = json_object();
        json_t *j;
        for (int s = 0; s < VT_SUBMOD_COUNT; s++)
            json_object_set_new(subs, vt_submod_name((vt_submod)s),
                                json_pack("{s:s, s:s}", "status", vt_ear_status_name(c.appraisal.sub[s].status),
                                          "reason", c.appraisal.sub[s].reason));
        j = json_pack("{s:b, s:s?, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:o}", "valid", rc == VT_OK, "error",
                      rc == VT_OK ? NULL : err.msg, "id", c.id, "environment", c.environment, "status",
                      vt_ear_status_name(c.appraisal.status), "tee_type", vt_tee_name(c.tee_type),
                      "hardware_attested", c.hardware_attested, "measurement_name", c.measurement_name,
                      "measurement", mhex, "issued_at", ts1, "expires_at", ts2, "submods", subs);
        vt_cli_print_json(j);
        json_decref(j);
    } else {
        printf("%s: %s\n", rc == VT_OK ? "VALID" : "INVALID", rc == VT_OK ? "signature, profile and validity check out"
                                                                          : err.msg);
        printf("passport    %s (environment %s, issuer %s)\n", c.id, c.environment, c.issuer);
        printf("status      %s\n", vt_ear_status_name(c.appraisal.status));
        printf("tee         %s (%s)\n", vt_tee_name(c.tee_type),
               c.hardware_attested ? "hardware attested" : "NOT hardware attested");
        printf("measurement %s:%s\n", c.measurement_name, mhex);
        for (int s = 0; s < VT_SUBMOD_COUNT; s++)
            printf("  %-9s %-16s %s\n", vt_submod_name((vt_submod)s), vt_ear_status_name(c.appraisal.sub[s].status),
                   c.appraisal.sub[s].reason);
        printf("valid       %s .. %s\n", ts1, ts2);
    }
    if (rc != VT_OK)
        fprintf(stderr, "veritee: passport does not verify: %s\n", err.msg);
out:
    vt_passport_claims_clear(&c);
    vt_jwks_free(set);
    vt_buf_free(&tok);
    vt_buf_free(&jb);
    return ex;
}

int vt_cmd_passport(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        passport_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? VT_EXIT_USAGE : VT_EXIT_OK;
    }
    if (strcmp(argv[1], "show") == 0)
        return passport_show(argc - 1, argv + 1);
    if (strcmp(argv[1], "verify") == 0)
        return passport_verify(argc - 1, argv + 1);
    return vt_cli_usage_error("passport: unknown subcommand '%s' (show, verify)", argv[1]);
}
