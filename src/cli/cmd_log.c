/* veritee log: the measurement log a trusted loader keeps beside the register. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "logclient.h"

enum { O_LOG = 256, O_COMP, O_NAME, O_DIGEST, O_MEASURE, O_EXTEND, O_STATE, O_EXPECT, O_JSON, O_SYSROOT, O_PLATFORM };

static void log_usage(FILE *f)
{
    fprintf(f, "usage: veritee log append --log FILE --component C --name NAME (--digest [ALG:]HEX | --measure PATH)\n"
               "                          [--extend none|mock|tdx|nitro|tpm] [--state DIR]\n"
               "       veritee log show [--json] FILE\n"
               "       veritee log replay FILE [--platform P] [--expect HEX]\n"
               "       veritee log checkpoint|prove|consistency|monitor --log URL --log-key KEY ...\n"
               "                  (the verifier's transparency log: veritee log checkpoint --help)\n"
               "       veritee log witness --log-key VKEY --key FILE --name NAME --state DIR\n"
               "                  (a C2SP tlog-witness that cosigns the log: veritee log witness --help)\n\n"
               "The measurement log records, in order, each component measured at boot (component:\n"
               "model, auditor, runtime, config, other) and extends one register with it: the TDX RTMR3\n"
               "(Linux 6.16+ sysfs), the Nitro NSM's PCR 16, PCR 23 of the TPM at $VERITEE_TPM_TCTI\n"
               "(SHA-256 bank), or the mock platform's software register.  SEV-SNP has no such register:\n"
               "its log is bound into REPORT_DATA when attesting.  Replaying the log gives the value the\n"
               "evidence must show (formats: docs/formats/mlog.md, docs/formats/registers.md).\n\n"
               "  --digest [ALG:]HEX  sha256 (default), sha384 or sha512 digest of the component\n"
               "  --measure PATH      measure PATH (veritee measure) and log its root as sha256\n"
               "  --extend K          also extend the register of platform K (default none)\n"
               "  --platform P        replay: in the bank of P's register (tpm: SHA-256; default SHA-384)\n"
               "  --expect HEX        replay: exit 1 unless the replayed register equals HEX\n");
}

static vt_status load_log(vt_mlog **out, const char *path, bool create, vt_err *err)
{
    vt_buf b;
    vt_status rc;

    vt_buf_init(&b);
    rc = vt_cli_read(&b, path, VT_MLOG_MAX_BYTES, err);
    if (rc == VT_E_NOTFOUND && create)
        rc = vt_mlog_new(out, err);
    else if (rc == VT_OK)
        rc = vt_mlog_parse(out, b.data, b.len, err);
    vt_buf_free(&b);
    return rc;
}

/* Extends platform's register with event e (the log is already written). */
static vt_status extend_register(uint8_t *reg, vt_tee_kind platform, const vt_mlog_event *e, const char *state,
                                 const char *sysroot, vt_err *err)
{
    vt_register_spec spec;
    vt_register_opts o;
    vt_register *r = NULL;
    vt_status rc;

    vt_register_spec_get(&spec, platform);
    if (spec.binding != VT_REGISTER_EXTENDED)
        return vt_err_set(err, VT_E_ARG, "log: %s has no register to extend%s", vt_tee_name(platform),
                          spec.binding == VT_REGISTER_REPORT_DATA ? " (its log is bound into REPORT_DATA when attesting)" : "");
    memset(&o, 0, sizeof(o));
    o.platform = platform;
    o.state_dir = vt_cli_state_dir(state);
    o.sysroot = sysroot;
    o.tpm_tcti = vt_cli_tpm_tcti();
    rc = vt_register_open(&r, &o, err);
    if (rc == VT_OK)
        rc = vt_register_extend_event(r, e, reg, err);
    vt_register_free(r);
    return rc;
}

static int log_append(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "log", required_argument, NULL, O_LOG },         { "component", required_argument, NULL, O_COMP },
        { "name", required_argument, NULL, O_NAME },       { "digest", required_argument, NULL, O_DIGEST },
        { "measure", required_argument, NULL, O_MEASURE }, { "extend", required_argument, NULL, O_EXTEND },
        { "state", required_argument, NULL, O_STATE },     { "sysroot", required_argument, NULL, O_SYSROOT },
        { "help", no_argument, NULL, 'h' },                { NULL, 0, NULL, 0 },
    };
    const char *logp = NULL, *comp = NULL, *name = NULL, *dig = NULL, *meas = NULL, *state = NULL, *sysroot = NULL;
    vt_tee_kind extend = VT_TEE_NONE;
    vt_component c;
    vt_md md = VT_MD_SHA256;
    uint8_t d[VT_MD_MAX], data[48], reg[VT_REGISTER_LEN];
    char hex[2 * VT_MD_MAX + 1], *text = NULL;
    vt_mlog *l = NULL;
    vt_err err = { 0 };
    vt_status rc;
    int ch, ex = VT_EXIT_USAGE;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case O_LOG: logp = optarg; break;
        case O_COMP: comp = optarg; break;
        case O_NAME: name = optarg; break;
        case O_DIGEST: dig = optarg; break;
        case O_MEASURE: meas = optarg; break;
        case O_EXTEND:
            if (strcmp(optarg, "none") == 0)
                extend = VT_TEE_NONE;
            else if (vt_tee_parse(&extend, optarg, &err) != VT_OK)
                return vt_cli_usage_error("%s", err.msg);
            break;
        case O_STATE: state = optarg; break;
        case O_SYSROOT: sysroot = optarg; break;
        case 'h': log_usage(stdout); return VT_EXIT_OK;
        default: log_usage(stderr); return VT_EXIT_USAGE;
        }
    }
    if (logp == NULL || comp == NULL || name == NULL || (dig == NULL) == (meas == NULL) || optind != argc)
        return vt_cli_usage_error("log append: needs --log, --component, --name and one of --digest/--measure");
    if (vt_component_parse(&c, comp, &err) != VT_OK)
        return vt_cli_usage_error("%s", err.msg);
    if (dig != NULL) {
        const char *colon = strchr(dig, ':');
        if (colon != NULL) {
            if (strncmp(dig, "sha256:", 7) == 0)
                md = VT_MD_SHA256;
            else if (strncmp(dig, "sha384:", 7) == 0)
                md = VT_MD_SHA384;
            else if (strncmp(dig, "sha512:", 7) == 0)
                md = VT_MD_SHA512;
            else
                return vt_cli_usage_error("log append: digest algorithm must be sha256, sha384 or sha512");
            dig = colon + 1;
        }
        if (vt_hex_decode(d, vt_md_len(md), dig, strlen(dig), &err) != VT_OK)
            return vt_cli_usage_error("log append: --digest: %s (a %s digest is %zu hex characters)", err.msg,
                                      vt_md_name(md), 2 * vt_md_len(md));
    } else {
        vt_measurement *m = NULL;
        rc = vt_measure_path(&m, meas, NULL, &err);
        if (rc != VT_OK)
            return vt_cli_fail(rc, &err);
        memcpy(d, m->root, 32);
        vt_measurement_free(m);
    }
    rc = load_log(&l, logp, true, &err);
    if (rc == VT_OK)
        rc = vt_mlog_append(l, c, name, md, d, vt_md_len(md), data, &err);
    /* The log is written before the register moves: a crash in between leaves a
     * log one event ahead, which replay detects, never a register nobody can explain. */
    if (rc == VT_OK)
        rc = vt_mlog_to_json(&text, l, &err);
    if (rc == VT_OK)
        rc = vt_file_write(logp, text, strlen(text), 0644, &err);
    if (rc == VT_OK && extend != VT_TEE_NONE)
        rc = extend_register(reg, extend, vt_mlog_get(l, vt_mlog_count(l) - 1), state, sysroot, &err);
    if (rc != VT_OK) {
        ex = vt_cli_fail(rc, &err);
        goto out;
    }
    vt_hex_encode(hex, data, 48);
    printf("event %zu: %s %s extend %s\n", vt_mlog_count(l) - 1, comp, name, hex);
    if (extend != VT_TEE_NONE) {
        vt_register_spec spec;
        vt_register_spec_get(&spec, extend);
        vt_hex_encode(hex, reg, vt_md_len(spec.md));
        printf("%s %s now %s\n", vt_tee_name(extend), spec.claim, hex);
    }
    ex = VT_EXIT_OK;
out:
    free(text);
    vt_mlog_free(l);
    return ex;
}

static int log_show(int argc, char **argv, bool replay_only)
{
    static const struct option longopts[] = {
        { "json", no_argument, NULL, O_JSON },
        { "expect", required_argument, NULL, O_EXPECT },
        { "platform", required_argument, NULL, O_PLATFORM },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *expect = NULL;
    bool json = false;
    vt_tee_kind platform = VT_TEE_TDX;
    vt_register_spec spec;
    size_t n;
    vt_mlog *l = NULL;
    vt_err err = { 0 };
    uint8_t reg[VT_REGISTER_LEN], want[VT_REGISTER_LEN];
    char hex[2 * VT_MD_MAX + 1], *text = NULL;
    vt_status rc;
    int ch, ex;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case O_JSON: json = true; break;
        case O_EXPECT: expect = optarg; break;
        case O_PLATFORM:
            if (vt_tee_parse(&platform, optarg, &err) != VT_OK)
                return vt_cli_usage_error("%s", err.msg);
            break;
        case 'h': log_usage(stdout); return VT_EXIT_OK;
        default: log_usage(stderr); return VT_EXIT_USAGE;
        }
    }
    if (optind != argc - 1)
        return vt_cli_usage_error("log: expected exactly one log FILE");
    vt_register_spec_get(&spec, platform);
    n = vt_md_len(spec.md);
    if (expect != NULL && vt_hex_decode(want, n, expect, strlen(expect), &err) != VT_OK)
        return vt_cli_usage_error("log replay: --expect: %s", err.msg);
    rc = load_log(&l, argv[optind], false, &err);
    if (rc == VT_OK)
        rc = vt_mlog_replay_md(reg, spec.md, l, &err);
    if (rc != VT_OK) {
        vt_mlog_free(l);
        return vt_cli_fail(rc, &err);
    }
    vt_hex_encode(hex, reg, n);
    if (json && !replay_only && vt_mlog_to_json(&text, l, &err) == VT_OK)
        printf("%s\n", text);
    else if (!replay_only) {
        for (size_t i = 0; i < vt_mlog_count(l); i++) {
            const vt_mlog_event *e = vt_mlog_get(l, i);
            char dh[2 * VT_MD_MAX + 1];
            vt_hex_encode(dh, e->digest, e->digest_len);
            printf("%3zu  %-8s %-32s %s:%s\n", i, vt_component_name(e->component), e->name, vt_md_name(e->alg), dh);
        }
    }
    if (!json || replay_only)
        printf("replayed register %s\n", hex);
    ex = VT_EXIT_OK;
    if (expect != NULL) {
        bool eq = vt_ct_equal(reg, want, n);
        printf("%s\n", eq ? "MATCH" : "MISMATCH: the register does not come from this log");
        ex = eq ? VT_EXIT_OK : VT_EXIT_REJECTED;
    }
    free(text);
    vt_mlog_free(l);
    return ex;
}

int vt_cmd_log(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        log_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? VT_EXIT_USAGE : VT_EXIT_OK;
    }
    if (strcmp(argv[1], "append") == 0)
        return log_append(argc - 1, argv + 1);
    if (strcmp(argv[1], "show") == 0)
        return log_show(argc - 1, argv + 1, false);
    if (strcmp(argv[1], "replay") == 0)
        return log_show(argc - 1, argv + 1, true);
    if (strcmp(argv[1], "checkpoint") == 0 || strcmp(argv[1], "prove") == 0 || strcmp(argv[1], "consistency") == 0 ||
        strcmp(argv[1], "monitor") == 0)
        return vt_cmd_log_tlog(argc, argv); /* the transparency log: logclient.c */
    if (strcmp(argv[1], "witness") == 0)
        return vt_cmd_log_witness(argc - 1, argv + 1);
    return vt_cli_usage_error("log: unknown subcommand '%s' (append, show, replay; checkpoint, prove, consistency, "
                              "monitor, witness)", argv[1]);
}
