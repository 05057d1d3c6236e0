/* veritee attest / veritee hardware */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "veritee/nvgpu.h"
#include "remote.h"

enum { O_PLATFORM = 256, O_NONCE, O_PUB, O_RD, O_OUT, O_STATE, O_JSON, O_SYSROOT };


/* ---- veritee attest --verifier URL: the attester side, end to end ---- */

enum { R_VERIFIER = 300, R_ENV, R_LOG, R_KEY, R_PLATFORM, R_SIMULATE, R_DEBUG, R_STATE, R_OUT, R_JSON };

static void remote_usage(FILE *f)
{
    fprintf(f, "usage: veritee attest --verifier URL --environment ID --log FILE [--key FILE]\n"
               "                      [--platform auto|mock|tdx|sevsnp|nitro|tpm] [--simulate [--debug]] [--out FILE]\n"
               "                      [--state DIR] [--json]\n\n"
               "Asks the verifier for a challenge, collects evidence with\n"
               "report_data = SHA-512(nonce || attester public key X||Y), sends it with the measurement\n"
               "log and the public key (JWK), and saves the AI Passport the verifier returns.\n\n"
               "  --key FILE     attester private key (PEM, P-256); default STATE/attester-key.pem, made\n"
               "                 on first use\n"
               "  --simulate     with --platform tdx, sevsnp, nitro or tpm: simulated evidence in the real\n"
               "                 format (tdx: the log's replay becomes RTMR3; sevsnp: the log is bound into\n"
               "                 REPORT_DATA; nitro: the simulated NSM's PCRs; tpm: the TPM at\n"
               "                 $VERITEE_TPM_TCTI); the verifier must run with --trust-sim\n"
               "  --debug        simulated TD/guest with the debug bit set\n"
               "  --out FILE     where the passport token goes (default STATE/passport.jwt)\n"
               "Exit 0 when the passport is affirming, 1 when it is not or the verifier refused.\n");
}

static vt_status load_or_make_key(vt_pkey **out, const char *path, vt_err *err)
{
    vt_buf pem;
    vt_status rc;

    vt_buf_init(&pem);
    rc = vt_file_read(&pem, path, 65536, err);
    if (rc == VT_OK) {
        rc = vt_pkey_from_pem(out, (const char *)pem.data, pem.len, err);
    } else if (rc == VT_E_NOTFOUND) {
        rc = vt_pkey_generate(out, VT_KEY_EC_P256, err);
        pem.len = 0;
        if (rc == VT_OK)
            rc = vt_pkey_to_pem(&pem, *out, true, err);
        if (rc == VT_OK)
            rc = vt_file_write(path, pem.data, pem.len, 0600, err);
    }
    vt_buf_free(&pem); /* wipes the private key text */
    return rc;
}

/* --json: the verifier's reply (compact, as the attester keeps it) indented for people. */
static void print_reply(const char *reply_json)
{
    json_t *j = json_loads(reply_json, 0, NULL);
    char *s = j != NULL ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;

    printf("%s\n", s != NULL ? s : reply_json);
    free(s);
    json_decref(j);
}

static int attest_remote(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "verifier", required_argument, NULL, R_VERIFIER }, { "environment", required_argument, NULL, R_ENV },
        { "log", required_argument, NULL, R_LOG },           { "key", required_argument, NULL, R_KEY },
        { "platform", required_argument, NULL, R_PLATFORM }, { "simulate", no_argument, NULL, R_SIMULATE },
        { "debug", no_argument, NULL, R_DEBUG },             { "state", required_argument, NULL, R_STATE },
        { "out", required_argument, NULL, R_OUT },           { "json", no_argument, NULL, R_JSON },
        { "help", no_argument, NULL, 'h' },                  { NULL, 0, NULL, 0 },
    };
    const char *url = NULL, *env = NULL, *logp = NULL, *keyp = NULL, *state = NULL, *outp = NULL;
    vt_attester_opts ao;
    vt_attester_result ar;
    bool json = false, platform_flag = false, simulate_flag = false;
    char keybuf[4096], outbuf[4096];
    vt_buf logb;
    vt_mlog *log = NULL;
    vt_pkey *key = NULL;
    vt_err err = { 0 };
    vt_status rc;
    int ch, ex = VT_EXIT_USAGE;

    memset(&ao, 0, sizeof(ao));
    memset(&ar, 0, sizeof(ar));
    vt_buf_init(&logb);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case R_VERIFIER: url = optarg; break;
        case R_ENV: env = optarg; break;
        case R_LOG: logp = optarg; break;
        case R_KEY: keyp = optarg; break;
        case R_PLATFORM:
            platform_flag = true;
            if (vt_tee_parse(&ao.platform, optarg, &err) != VT_OK) {
                vt_cli_usage_error("%s", err.msg);
                goto out;
            }
            break;
        case R_SIMULATE: ao.simulate = simulate_flag = true; break;
        case R_DEBUG: ao.debug = true; break;
        case R_STATE: state = optarg; break;
        case R_OUT: outp = optarg; break;
        case R_JSON: json = true; break;
        case 'h': remote_usage(stdout); ex = VT_EXIT_OK; goto out;
        default: remote_usage(stderr); goto out;
        }
    }
    if (optind != argc || env == NULL || logp == NULL) {
        vt_cli_usage_error("attest --verifier: needs --environment ID and --log FILE (see --help)");
        goto out;
    }
    if (!vt_cli_env_platform(&ao.platform, &ao.simulate, platform_flag, simulate_flag))
        goto out;
    ao.tpm_tcti = vt_cli_tpm_tcti();
    ao.tpm_hw_certs = vt_cli_tpm_hw_certs();
    if (ao.simulate && ao.platform != VT_TEE_TDX && ao.platform != VT_TEE_SEVSNP && ao.platform != VT_TEE_NITRO &&
        ao.platform != VT_TEE_TPM) {
        vt_cli_usage_error("attest: --simulate needs --platform tdx, sevsnp, nitro or tpm");
        goto out;
    }
    if (ao.debug && !ao.simulate) {
        vt_cli_usage_error("attest: --debug only applies to --simulate");
        goto out;
    }
    state = vt_cli_state_dir(state);
    if (keyp == NULL) {
        snprintf(keybuf, sizeof(keybuf), "%s/attester-key.pem", state);
        keyp = keybuf;
    }
    if (outp == NULL) {
        snprintf(outbuf, sizeof(outbuf), "%s/passport.jwt", state);
        outp = outbuf;
    }
    ao.verifier_url = vt_cli_verifier_url(url);
    ao.environment = env;
    ao.state_dir = state;
    rc = vt_dir_private(state, &err);
    if (rc == VT_OK)
        rc = vt_file_read(&logb, logp, VT_MLOG_MAX_BYTES, &err);
    if (rc == VT_OK)
        rc = vt_mlog_parse(&log, logb.data, logb.len, &err);
    if (rc == VT_OK)
        rc = load_or_make_key(&key, keyp, &err);
    if (rc == VT_OK)
        rc = vt_attester_run(&ar, &ao, log, key, &err);
    if (rc == VT_OK)
        rc = vt_file_write(outp, ar.token, strlen(ar.token), 0600, &err);
    if (rc == VT_E_POLICY && ar.reply_json != NULL && strcmp(ar.status, "contraindicated") == 0) {
        /* Refused: no passport was issued; show the appraisal that refused it. */
        if (json) {
            print_reply(ar.reply_json);
        } else {
            json_t *reply = json_loads(ar.reply_json, 0, NULL), *r;
            size_t i;
            printf("no passport: contraindicated (%s evidence, environment %s)\n", vt_tee_name(ar.kind), env);
            json_array_foreach(json_object_get(reply, "reasons"), i, r)
                printf("  %-9s %s\n", json_string_value(json_object_get(r, "component")),
                       json_string_value(json_object_get(r, "reason")));
            json_decref(reply);
        }
        ex = VT_EXIT_REJECTED;
        goto out;
    }
    if (rc != VT_OK) {
        ex = vt_cli_fail(rc, &err);
        goto out;
    }
    if (ar.kind == VT_TEE_MOCK && !json)
        fprintf(stderr, "veritee: no hardware TEE in use: MOCK evidence (hardware_attested: false)\n");
    if (json) {
        print_reply(ar.reply_json);
    } else {
        json_t *reply = json_loads(ar.reply_json, 0, NULL), *r;
        size_t i;
        printf("passport %s: %s (%s evidence, environment %s)\n", ar.id, ar.status, vt_tee_name(ar.kind), env);
        json_array_foreach(json_object_get(reply, "reasons"), i, r)
            printf("  %-9s %s\n", json_string_value(json_object_get(r, "component")),
                   json_string_value(json_object_get(r, "reason")));
        printf("token saved to %s\n", outp);
        json_decref(reply);
    }
    ex = strcmp(ar.status, "affirming") == 0 ? VT_EXIT_OK : VT_EXIT_REJECTED;
out:
    vt_attester_result_clear(&ar);
    vt_mlog_free(log);
    vt_pkey_free(key);
    vt_buf_free(&logb);
    return ex;
}

int vt_cmd_attest(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "platform", required_argument, NULL, O_PLATFORM },
        { "nonce", required_argument, NULL, O_NONCE },
        { "pubkey", required_argument, NULL, O_PUB },
        { "report-data", required_argument, NULL, O_RD },
        { "out", required_argument, NULL, O_OUT },
        { "state", required_argument, NULL, O_STATE },
        { "sysroot", required_argument, NULL, O_SYSROOT },
        { "json", no_argument, NULL, O_JSON },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    vt_collect_opts o;
    vt_err err = { 0 };
    vt_buf ev, b64;
    vt_collateral *certs = NULL;
    char certs_dir[4096];
    vt_tee_kind kind = VT_TEE_NONE;
    const char *nonce = NULL, *pub = NULL, *rd = NULL, *out = NULL, *state = NULL;
    char nonce_hex[65];
    uint8_t rnd[32];
    size_t rd_len;
    bool json = false, platform_flag = false, simulate = false;
    vt_status rc;
    int ch, ex;

    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--verifier") == 0 || strncmp(argv[i], "--verifier=", 11) == 0)
            return attest_remote(argc, argv);
    memset(&o, 0, sizeof(o));
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case O_PLATFORM:
            platform_flag = true;
            if (vt_tee_parse(&o.platform, optarg, &err) != VT_OK)
                return vt_cli_usage_error("%s", err.msg);
            break;
        case O_NONCE: nonce = optarg; break;
        case O_PUB: pub = optarg; break;
        case O_RD: rd = optarg; break;
        case O_OUT: out = optarg; break;
        case O_STATE: state = optarg; break;
        case O_SYSROOT: o.sysroot = optarg; break;
        case O_JSON: json = true; break;
        case 'h':
            printf("usage: veritee attest [--nonce HEX [--pubkey HEX] | --report-data HEX] [--out FILE] [--json]\n\n"
                   "       veritee attest --verifier URL --environment ID --log FILE  (see attest --verifier URL --help)\n\n"
                   "Collects evidence from this machine's TEE, bound to a nonce:\n"
                   "report_data = SHA-512(nonce || pubkey), or the raw --report-data.\n"
                   "Without a nonce a random one is made and printed.  Where the machine has\n"
                   "no TEE, mock evidence is made (and it says so): it is never hardware attested.\n\n"
                   "  --platform P   auto (default), tdx, sevsnp, nitro, tpm or mock\n"
                   "  --out FILE     write the evidence there (default: base64 on stdout); certificates\n"
                   "                 that come with it (SEV-SNP) go to FILE.certs/\n"
                   "  --state DIR    state directory (mock key)\n"
                   "  --json         print {platform, nonce, report_data, evidence(base64)}\n");
            return VT_EXIT_OK;
        default: return vt_cli_usage_error("attest: see 'veritee attest --help'");
        }
    }
    if (optind != argc)
        return vt_cli_usage_error("attest: unexpected argument '%s'", argv[optind]);
    if (!vt_cli_env_platform(&o.platform, &simulate, platform_flag, false))
        return VT_EXIT_USAGE;
    if (simulate)
        return vt_cli_usage_error("attest: VERITEE_SIMULATE is set: simulated evidence comes from 'veritee sim %s' "
                                  "(or attest --verifier ... --simulate)", vt_tee_name(o.platform));
    if (nonce == NULL && rd == NULL) {
        if (vt_random(rnd, sizeof(rnd), &err) != VT_OK)
            return vt_cli_fail(VT_E_INTERNAL, &err);
        vt_hex_encode(nonce_hex, rnd, sizeof(rnd));
        nonce = nonce_hex;
    }
    if (vt_cli_report_data(o.report_data, &rd_len, rd, nonce, pub, &err) != VT_OK)
        return vt_cli_usage_error("%s", err.msg);
    o.report_data_len = rd_len;
    if (vt_cli_tpm_collect_opts(&o) != VT_EXIT_OK)
        return VT_EXIT_USAGE;
    o.state_dir = vt_cli_state_dir(state);
    vt_buf_init(&ev);
    vt_buf_init(&b64);
    if (out != NULL && vt_collateral_new(&certs, &err) != VT_OK) {
        ex = vt_cli_fail(VT_E_NOMEM, &err);
        goto done;
    }
    o.certs_out = certs;
    rc = vt_evidence_collect(&ev, &kind, &o, &err);
    if (rc != VT_OK) {
        ex = vt_cli_fail(rc, &err);
        goto done;
    }
    if (kind == VT_TEE_MOCK)
        fprintf(stderr, "veritee: no hardware TEE in use: made MOCK evidence (hardware_attested: false)\n");
    if (out != NULL) {
        rc = vt_file_write(out, ev.data, ev.len, 0644, &err);
        if (rc == VT_OK && vt_collateral_count(certs) > 0) {
            /* Certificates that came with the evidence (SEV-SNP auxblob): collateral for verify. */
            if (snprintf(certs_dir, sizeof(certs_dir), "%s.certs", out) >= (int)sizeof(certs_dir))
                rc = vt_err_set(&err, VT_E_ARG, "attest: --out path too long");
            else
                rc = vt_collateral_save_dir(certs, certs_dir, &err);
            if (rc == VT_OK && !json)
                fprintf(stderr, "veritee: wrote %zu certificates to %s/ (pass it as --collateral)\n",
                        vt_collateral_count(certs), certs_dir);
        }
        if (rc != VT_OK) {
            ex = vt_cli_fail(rc, &err);
            goto done;
        }
    }
    rc = vt_base64_encode(&b64, ev.data, ev.len, false, &err);
    if (rc != VT_OK) {
        ex = vt_cli_fail(rc, &err);
        goto done;
    }
    if (json) {
        char rdhex[129];
        json_t *j;
        char *s;
        vt_hex_encode(rdhex, o.report_data, 64);
        j = json_pack("{s:s, s:s?, s:s, s:s?, s:s}", "platform", vt_tee_name(kind), "nonce", nonce, "report_data",
                      rdhex, "file", out, "evidence", (const char *)b64.data);
        s = j == NULL ? NULL : json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (s != NULL)
            printf("%s\n", s);
        free(s);
        json_decref(j);
    } else {
        if (nonce != NULL)
            fprintf(stderr, "veritee: nonce %s\n", nonce);
        if (out != NULL)
            fprintf(stderr, "veritee: wrote %zu bytes of %s evidence to %s\n", ev.len, vt_tee_name(kind), out);
        else
            printf("%s\n", (const char *)b64.data);
    }
    ex = VT_EXIT_OK;
done:
    vt_buf_free(&ev);
    vt_buf_free(&b64);
    vt_collateral_free(certs);
    return ex;
}

static const char *gpu_cc_name(vt_nvgpu_cc cc)
{
    return cc == VT_NVGPU_CC_ON ? "on" : cc == VT_NVGPU_CC_OFF ? "off" : cc == VT_NVGPU_CC_DEVTOOLS ? "devtools" : "unknown";
}

int vt_cmd_hardware(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "json", no_argument, NULL, O_JSON },
        { "sysroot", required_argument, NULL, O_SYSROOT },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    vt_hw_info hw;
    vt_nvgpu_status gpu;
    const char *sysroot = NULL;
    bool json = false;
    int ch;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case O_JSON: json = true; break;
        case O_SYSROOT: sysroot = optarg; break;
        case 'h':
            printf("usage: veritee hardware [--json]\n\n"
                   "Lists the TEE interfaces of this machine (device nodes, configfs-tsm) and\n"
                   "which one 'veritee attest' would use; NVIDIA GPUs through NVML (loaded at run\n"
                   "time; $VERITEE_NVML_LIBRARY names another): GPU count and confidential\n"
                   "computing on / off / devtools.\n");
            return VT_EXIT_OK;
        default: return vt_cli_usage_error("hardware: see 'veritee hardware --help'");
        }
    }
    vt_tee_detect(&hw, sysroot);
    vt_nvgpu_status_get(&gpu, vt_cli_nvml_library(NULL));
    if (json) {
        json_t *o = json_object(), *a = json_array();
        char *s;
        for (size_t i = 0; i < hw.count; i++)
            json_array_append_new(a, json_pack("{s:s, s:b, s:s}", "platform", vt_tee_name(hw.entries[i].kind),
                                               "present", hw.entries[i].present, "found", hw.entries[i].evidence));
        json_object_set_new(o, "platforms", a);
        json_object_set_new(o, "nvidia_gpu", json_pack("{s:b, s:i, s:s, s:s}", "nvml", gpu.nvml, "gpu_count",
                                                       (int)gpu.gpu_count, "cc", gpu_cc_name(gpu.cc), "message",
                                                       gpu.message));
        json_object_set_new(o, "selected", json_string(vt_tee_name(hw.selected)));
        json_object_set_new(o, "hardware", json_boolean(hw.selected != VT_TEE_MOCK));
        s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (s != NULL)
            printf("%s\n", s);
        free(s);
        json_decref(o);
        return VT_EXIT_OK;
    }
    for (size_t i = 0; i < hw.count; i++)
        printf("%-8s %-8s %s\n", vt_tee_name(hw.entries[i].kind), hw.entries[i].present ? "present" : "absent",
               hw.entries[i].evidence);
    vt_cli_gpu_status_print(&gpu);
    printf("attest would use: %s%s\n", vt_tee_name(hw.selected),
           hw.selected == VT_TEE_MOCK ? " (no hardware TEE found: evidence is not hardware attested)" : "");
    return VT_EXIT_OK;
}
