/* veritee env: a verifier's environments (reference values and policy of one
 * deployment), and the state of an environment's latest passport. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "remote.h"

enum { O_VERIFIER = 256, O_ADMIN, O_FILE, O_JSON, O_PLATFORM, O_REGISTER, O_MODEL, O_AUDITOR, O_RUNTIME, O_CONFIG,
       O_DEBUG, O_SIM, O_TCB, O_AGE, O_LIFE, O_DESC, O_AT, O_SNP_TCB, O_SNP_NOSMT, O_SNP_VMPL, O_SNP_MA,
       O_TDX_ATTR, O_AZURE_TDX_ATTR, O_DEPLOY };

static void env_usage(FILE *f)
{
    fprintf(f, "usage: veritee env create ID (--file ENV.json | options) [--verifier URL] [--admin-token-file F]\n"
               "       veritee env show ID [--verifier URL] [--json]\n"
               "       veritee env list [--verifier URL] [--json]\n"
               "       veritee env verify ID [--verifier URL] [--at TIME] [--json]\n\n"
               "An environment holds the reference values and policy of one deployment (docs/passport.md).\n"
               "create (admin token needed) options, instead of --file:\n"
               "  --platform P            allowed platform (repeat; default any)\n"
               "  --register NAME=HEX     exact register value required (repeat), e.g. mrtd=...\n"
               "  --model HEX  --auditor HEX  --runtime HEX  --config HEX   allowed digests (repeat)\n"
               "  --min-tcb STATUS        UpToDate (default), SWHardeningNeeded, ConfigurationNeeded, OutOfDate, any\n"
               "  --allow-debug  --allow-simulated\n"
               "  --sevsnp-min-tcb PRODUCT:bootloader=N,tee=N,snp=N,microcode=N[,fmc=N]\n"
               "                          minimum REPORTED_TCB of milan, genoa or turin (repeat per product;\n"
               "                          without it the SEV-SNP TCB status is Unknown)\n"
               "  --sevsnp-refuse-smt     refuse reports whose policy allows SMT (default: allowed)\n"
               "  --sevsnp-max-vmpl N     highest VMPL accepted, 0..3 (default 0)\n"
               "  --sevsnp-allow-migration-agent   accept policy MIGRATE_MA (default: refused)\n"
               "  --tdx-td-attributes HEX/MASK     TD_ATTRIBUTES value and mask, 16 hex digits each in quote byte\n"
               "                          order (default 0000001000000000/0100001000000000: DEBUG clear,\n"
               "                          SEPT_VE_DISABLE set)\n"
               "  --azure-tdx-td-attributes HEX/MASK   the same for an Azure CVM's TD (default\n"
               "                          0000000000000000/0100000000000000: DEBUG clear)\n"
               "  --max-evidence-age S    --passport-lifetime S    --description TEXT\n"
               "  --deployment-type T     full (default), model, app or bridge (docs/workflows.md)\n\n"
               "verify: the state of the environment's latest passport, checked against the verifier's\n"
               "JWKS: fresh, expired or contraindicated (with reasons).  Exit 0 only when fresh and affirming.\n"
               "The verifier URL defaults to $VERITEE_VERIFIER or http://127.0.0.1:8600.\n");
}

static int add_str(json_t *obj, const char *list, const char *v)
{
    json_t *a = json_object_get(obj, list);
    if (a == NULL) {
        a = json_array();
        json_object_set_new(obj, list, a);
    }
    return json_array_append_new(a, json_string(v));
}

static int env_create(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "verifier", required_argument, NULL, O_VERIFIER }, { "admin-token-file", required_argument, NULL, O_ADMIN },
        { "file", required_argument, NULL, O_FILE },         { "json", no_argument, NULL, O_JSON },
        { "platform", required_argument, NULL, O_PLATFORM }, { "register", required_argument, NULL, O_REGISTER },
        { "model", required_argument, NULL, O_MODEL },       { "auditor", required_argument, NULL, O_AUDITOR },
        { "runtime", required_argument, NULL, O_RUNTIME },   { "config", required_argument, NULL, O_CONFIG },
        { "allow-debug", no_argument, NULL, O_DEBUG },       { "allow-simulated", no_argument, NULL, O_SIM },
        { "min-tcb", required_argument, NULL, O_TCB },       { "max-evidence-age", required_argument, NULL, O_AGE },
        { "passport-lifetime", required_argument, NULL, O_LIFE },
        { "description", required_argument, NULL, O_DESC },  { "help", no_argument, NULL, 'h' },
        { "deployment-type", required_argument, NULL, O_DEPLOY },
        { "sevsnp-min-tcb", required_argument, NULL, O_SNP_TCB },
        { "sevsnp-refuse-smt", no_argument, NULL, O_SNP_NOSMT },
        { "sevsnp-max-vmpl", required_argument, NULL, O_SNP_VMPL },
        { "sevsnp-allow-migration-agent", no_argument, NULL, O_SNP_MA },
        { "tdx-td-attributes", required_argument, NULL, O_TDX_ATTR },
        { "azure-tdx-td-attributes", required_argument, NULL, O_AZURE_TDX_ATTR },
        { NULL, 0, NULL, 0 },
    };
    const char *url = NULL, *tokf = NULL, *file = NULL, *id;
    json_t *env = json_object(), *comps = json_object(), *regs = json_object(), *snp = json_object(), *reply = NULL,
           *body = NULL;
    bool flags = false, json = false;
    vt_buf tok, fb;
    vt_err err = { 0 };
    char path[256];
    vt_status rc;
    int ch, ex = VT_EXIT_USAGE;

    vt_buf_init(&tok);
    vt_buf_init(&fb);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        char *eq;
        switch (ch) {
        case O_VERIFIER: url = optarg; break;
        case O_ADMIN: tokf = optarg; break;
        case O_FILE: file = optarg; break;
        case O_JSON: json = true; break;
        case O_PLATFORM: add_str(env, "platforms", optarg); flags = true; break;
        case O_REGISTER:
            eq = strchr(optarg, '=');
            if (eq == NULL) {
                vt_cli_usage_error("env create: --register NAME=HEX");
                goto out;
            }
            *eq = '\0';
            json_object_set_new(regs, optarg, json_string(eq + 1));
            flags = true;
            break;
        case O_MODEL: add_str(comps, "model", optarg); flags = true; break;
        case O_AUDITOR: add_str(comps, "auditors", optarg); flags = true; break;
        case O_RUNTIME: add_str(comps, "runtime", optarg); flags = true; break;
        case O_CONFIG: add_str(comps, "config", optarg); flags = true; break;
        case O_DEBUG: json_object_set_new(env, "allow_debug", json_true()); flags = true; break;
        case O_SIM: json_object_set_new(env, "allow_simulated", json_true()); flags = true; break;
        case O_TCB: json_object_set_new(env, "min_tcb_status", json_string(optarg)); flags = true; break;
        case O_AGE: json_object_set_new(env, "max_evidence_age", json_integer(strtoll(optarg, NULL, 10))); flags = true; break;
        case O_LIFE: json_object_set_new(env, "passport_lifetime", json_integer(strtoll(optarg, NULL, 10))); flags = true; break;
        case O_DESC: json_object_set_new(env, "description", json_string(optarg)); flags = true; break;
        case O_DEPLOY: json_object_set_new(env, "deployment_type", json_string(optarg)); flags = true; break;
        case O_SNP_TCB:
            if (vt_cli_snp_min_tcb(snp, optarg, "env create") != 0)
                goto out;
            flags = true;
            break;
        case O_SNP_NOSMT: json_object_set_new(env, "sevsnp_allow_smt", json_false()); flags = true; break;
        case O_SNP_VMPL: json_object_set_new(env, "sevsnp_max_vmpl", json_integer(strtoll(optarg, NULL, 10))); flags = true; break;
        case O_SNP_MA: json_object_set_new(env, "sevsnp_allow_migration_agent", json_true()); flags = true; break;
        case O_TDX_ATTR:
        case O_AZURE_TDX_ATTR: {
            const char *field = ch == O_TDX_ATTR ? "tdx_td_attributes" : "azure_tdx_td_attributes";
            char mask[40];

            eq = strchr(optarg, '/');
            if (eq == NULL) {
                vt_cli_usage_error("env create: --%s VALUE/MASK (16 hex digits each)",
                                   ch == O_TDX_ATTR ? "tdx-td-attributes" : "azure-tdx-td-attributes");
                goto out;
            }
            *eq = '\0';
            snprintf(mask, sizeof(mask), "%s_mask", field);
            json_object_set_new(env, field, json_string(optarg));
            json_object_set_new(env, mask, json_string(eq + 1));
            flags = true;
            break;
        }
        case 'h': env_usage(stdout); ex = VT_EXIT_OK; goto out;
        default: env_usage(stderr); goto out;
        }
    }
    if (optind != argc - 1) {
        vt_cli_usage_error("env create: expected exactly one environment ID");
        goto out;
    }
    id = argv[optind];
    if (!vt_env_id_valid(id)) {
        vt_cli_usage_error("env create: '%s' is not a valid id (1..63 of A-Za-z0-9._-)", id);
        goto out;
    }
    if ((file != NULL) == flags && file != NULL) {
        vt_cli_usage_error("env create: give --file or flags, not both");
        goto out;
    }
    if (file != NULL) {
        json_error_t je;
        rc = vt_cli_read(&fb, file, VT_ENV_MAX_BYTES, &err);
        if (rc != VT_OK) {
            ex = vt_cli_fail(rc, &err);
            goto out;
        }
        body = json_loadb((const char *)fb.data, fb.len, JSON_REJECT_DUPLICATES, &je);
        if (body == NULL) {
            vt_cli_usage_error("env create: %s: not JSON: %s (line %d)", file, je.text, je.line);
            goto out;
        }
    } else {
        if (json_object_size(comps) > 0)
            json_object_set(env, "components", comps);
        if (json_object_size(regs) > 0)
            json_object_set(env, "registers", regs);
        if (json_object_size(snp) > 0)
            json_object_set(env, "sevsnp_min_tcb", snp);
        body = json_incref(env);
    }
    rc = vt_cli_admin_token(&tok, tokf, &err);
    if (rc != VT_OK) {
        ex = vt_cli_fail(rc, &err);
        goto out;
    }
    snprintf(path, sizeof(path), "/v1/environments/%s", id);
    rc = vt_cli_call(&reply, "PUT", vt_cli_verifier_url(url), path, body, (const char *)tok.data, &err);
    if (rc != VT_OK) {
        ex = vt_cli_fail(rc, &err);
        goto out;
    }
    if (json)
        vt_cli_print_json(reply);
    else
        printf("environment %s saved\n", id);
    ex = VT_EXIT_OK;
out:
    vt_buf_free(&tok);
    vt_buf_free(&fb);
    json_decref(env);
    json_decref(comps);
    json_decref(regs);
    json_decref(snp);
    json_decref(body);
    json_decref(reply);
    return ex;
}

static int env_get(int argc, char **argv, bool list)
{
    static const struct option longopts[] = {
        { "verifier", required_argument, NULL, O_VERIFIER },
        { "json", no_argument, NULL, O_JSON },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *url = NULL;
    json_t *reply = NULL, *e;
    bool json = false;
    char path[256];
    vt_err err = { 0 };
    vt_status rc;
    size_t i;
    int ch;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case O_VERIFIER: url = optarg; break;
        case O_JSON: json = true; break;
        case 'h': env_usage(stdout); return VT_EXIT_OK;
        default: env_usage(stderr); return VT_EXIT_USAGE;
        }
    }
    if (optind != argc - (list ? 0 : 1))
        return vt_cli_usage_error(list ? "env list: no arguments expected" : "env show: expected one environment ID");
    if (!list && !vt_env_id_valid(argv[optind]))
        return vt_cli_usage_error("env show: '%s' is not a valid environment id", argv[optind]);
    if (list)
        snprintf(path, sizeof(path), "/v1/environments");
    else
        snprintf(path, sizeof(path), "/v1/environments/%s", argv[optind]);
    rc = vt_cli_call(&reply, "GET", vt_cli_verifier_url(url), path, NULL, NULL, &err);
    if (rc != VT_OK)
        return vt_cli_fail(rc, &err);
    if (json || !list) {
        vt_cli_print_json(reply);
    } else {
        json_array_foreach(json_object_get(reply, "environments"), i, e)
            printf("%-24s %s\n", json_string_value(json_object_get(e, "id")),
                   json_string_value(json_object_get(e, "description")) != NULL
                       ? json_string_value(json_object_get(e, "description"))
                       : "");
    }
    json_decref(reply);
    return VT_EXIT_OK;
}

static int env_verify(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "verifier", required_argument, NULL, O_VERIFIER },
        { "json", no_argument, NULL, O_JSON },
        { "at", required_argument, NULL, O_AT },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *url = NULL, *token, *state;
    json_t *reply = NULL, *jw = NULL, *reasons = json_array(), *out = NULL, *p;
    bool json = false;
    vt_time now = vt_time_now();
    vt_passport_claims c;
    vt_jwks *set = NULL;
    char path[256], *jtext = NULL;
    vt_err err = { 0 }, perr = { 0 };
    vt_status rc, prc;
    int ch, ex = VT_EXIT_USAGE;

    memset(&c, 0, sizeof(c));
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case O_VERIFIER: url = optarg; break;
        case O_JSON: json = true; break;
        case O_AT:
            if (vt_time_parse(&now, optarg, &err) != VT_OK) {
                json_decref(reasons);
                return vt_cli_usage_error("--at: %s", err.msg);
            }
            break;
        case 'h': env_usage(stdout); json_decref(reasons); return VT_EXIT_OK;
        default: env_usage(stderr); json_decref(reasons); return VT_EXIT_USAGE;
        }
    }
    if (optind != argc - 1 || !vt_env_id_valid(argv[optind])) {
        json_decref(reasons);
        return vt_cli_usage_error("env verify: expected one valid environment ID");
    }
    url = vt_cli_verifier_url(url);
    snprintf(path, sizeof(path), "/v1/passports?environment=%s&limit=1", argv[optind]);
    rc = vt_cli_call(&reply, "GET", url, path, NULL, NULL, &err);
    if (rc == VT_OK)
        rc = vt_cli_call(&jw, "GET", url, "/.well-known/jwks.json", NULL, NULL, &err);
    if (rc != VT_OK) {
        ex = vt_cli_fail(rc, &err);
        goto out;
    }
    p = json_array_get(json_object_get(reply, "passports"), 0);
    token = json_string_value(json_object_get(p, "token"));
    if (token == NULL) {
        fprintf(stderr, "veritee: environment %s has no passport yet\n", argv[optind]);
        ex = VT_EXIT_REJECTED;
        goto out;
    }
    jtext = json_dumps(jw, JSON_COMPACT);
    rc = jtext != NULL ? vt_jwks_parse(&set, jtext, strlen(jtext), &err) : VT_E_NOMEM;
    if (rc != VT_OK) {
        ex = vt_cli_fail(rc, &err);
        goto out;
    }
    {
        /* The state names the status itself: verify accepts warning, refuses (and fills) the rest. */
        vt_passport_verify_opts vo = { .accept_warning = true };
        prc = vt_passport_verify_with(&c, token, strlen(token), set, now, &vo, &perr);
    }
    if (prc != VT_OK && prc != VT_E_POLICY) {
        state = "invalid";
        json_array_append_new(reasons, json_pack("{s:s, s:s}", "component", "signature", "reason", perr.msg));
    } else {
        for (int s = 0; s < VT_SUBMOD_COUNT; s++)
            if (c.appraisal.sub[s].reason[0] != '\0')
                json_array_append_new(reasons, json_pack("{s:s, s:s, s:s}", "component", vt_submod_name((vt_submod)s),
                                                         "status", vt_ear_status_name(c.appraisal.sub[s].status),
                                                         "reason", c.appraisal.sub[s].reason));
        if (prc != VT_OK && strstr(perr.msg, "expired") != NULL)
            state = "expired";
        else if (c.appraisal.status == VT_EAR_CONTRAINDICATED)
            state = "contraindicated";
        else if (prc != VT_OK)
            state = "invalid";
        else if (c.appraisal.status == VT_EAR_AFFIRMING)
            state = "fresh";
        else
            state = vt_ear_status_name(c.appraisal.status);
        if (prc != VT_OK)
            json_array_append_new(reasons, json_pack("{s:s, s:s}", "component", "passport", "reason", perr.msg));
    }
    ex = strcmp(state, "fresh") == 0 ? VT_EXIT_OK : VT_EXIT_REJECTED;
    if (json) {
        out = json_pack("{s:s, s:s, s:s, s:s, s:O}", "environment", argv[optind], "state", state, "passport",
                        json_string_value(json_object_get(p, "id")), "status",
                        json_string_value(json_object_get(p, "status")), "reasons", reasons);
        vt_cli_print_json(out);
    } else {
        size_t i;
        json_t *r;
        printf("environment %s: %s (passport %s, %s, expires %s)\n", argv[optind], state,
               json_string_value(json_object_get(p, "id")), json_string_value(json_object_get(p, "status")),
               json_string_value(json_object_get(p, "expires_at")));
        json_array_foreach(reasons, i, r)
            printf("  %-9s %s\n", json_string_value(json_object_get(r, "component")),
                   json_string_value(json_object_get(r, "reason")));
    }
out:
    free(jtext);
    vt_jwks_free(set);
    vt_passport_claims_clear(&c);
    json_decref(out);
    json_decref(reply);
    json_decref(jw);
    json_decref(reasons);
    return ex;
}

int vt_cmd_env(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        env_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? VT_EXIT_USAGE : VT_EXIT_OK;
    }
    if (strcmp(argv[1], "create") == 0)
        return env_create(argc - 1, argv + 1);
    if (strcmp(argv[1], "show") == 0)
        return env_get(argc - 1, argv + 1, false);
    if (strcmp(argv[1], "list") == 0)
        return env_get(argc - 1, argv + 1, true);
    if (strcmp(argv[1], "verify") == 0)
        return env_verify(argc - 1, argv + 1);
    return vt_cli_usage_error("env: unknown subcommand '%s' (create, show, list, verify)", argv[1]);
}
