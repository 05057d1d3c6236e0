/* veritee verify / veritee inspect */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli.h"
#include "veritee/tpm.h"

#define EVIDENCE_MAX (1u << 20)

static void verify_usage(FILE *f)
{
    fprintf(f,
            "usage: veritee verify [options] FILE|DIR\n\n"
            "Verifies TEE evidence (a raw TDX quote, mock evidence, a go-tpm-tools attestation.pb, an\n"
            "Azure CVM evidence.orig.json envelope, ...) down to the vendor's root certificate and\n"
            "prints the verdict.  FILE may be - for standard input.  DIR is a TPM evidence directory\n"
            "(tpm_quote.attest/.sig or quote_<bank>.attest/.sig, pcrs_<bank>.bin, event_log.bin,\n"
            "ak_pub.tpmt, ak_cert.der, hcl_report.bin, vcek.pem, td_quote.bin; or attestation.pb or\n"
            "evidence.orig.json alone; docs/formats/tpm.md, docs/formats/azure-cvm.md).\n\n"
            "options:\n"
            "  --platform P               auto (default), tdx, sevsnp, nitro, tpm, nvgpu, composite or mock\n"
            "  --ak-sha256 HEX            TPM: trust this attestation key, by the SHA-256 of its DER\n"
            "                             SubjectPublicKeyInfo (repeatable; also $VERITEE_TPM_AK_SHA256,\n"
            "                             comma-separated)\n"
            "  --at TIME                  verification time, RFC 3339 or @unix (default: now)\n"
            "  --collateral DIR           TCB info, QE identity, CRLs and signing chains as served\n"
            "                             by Intel PCS; SEV-SNP VCEK/VLEK, ASK/ASVK and CRLs (PEM or\n"
            "                             DER); NVIDIA certchain.pem and reference values (JSON);\n"
            "                             each recognized by content.\n"
            "  --certs FILE               one more collateral file (repeatable), e.g. a VCEK or\n"
            "                             an NVIDIA certchain.pem\n"
            "  --fetch                    fetch what the evidence needs and the collateral lacks: a SEV-SNP\n"
            "                             VCEK from AMD KDS; TDX TCB info, QE identity and CRLs from Intel\n"
            "                             PCS (cached in STATE/cache/kds until their nextUpdate; fetched\n"
            "                             items are verified like local ones).  Default: offline, cache only\n"
            "  --kds-url URL              AMD KDS base URL (default https://kdsintf.amd.com)\n"
            "  --pcs-url URL              Intel PCS v4 or PCCS base URL for TDX collateral; implies --fetch\n"
            "                             (default https://api.trustedservices.intel.com)\n"
            "  --root-crl-url URL         Intel SGX Root CA CRL (default URL/sgx/certification/v4/rootcacrl;\n"
            "                             with Intel's PCS, Intel's certificates host)\n"
            "  --rim-url URL              NVIDIA RIM service (default https://rim.attestation.nvidia.com):\n"
            "                             the driver and VBIOS RIMs the GPU report names, when none is\n"
            "                             given as collateral (asked even without --fetch)\n"
            "  --ocsp-url URL             NVIDIA OCSP responder for the GPU device chain (default\n"
            "                             https://ocsp.ndis.nvidia.com; answers cached until nextUpdate);\n"
            "                             (asked even without --fetch)\n"
            "  --fetch-timeout S          give up on a TDX collateral request after S seconds (default 20)\n"
            "  --sevsnp-min-tcb PRODUCT:bootloader=N,tee=N,snp=N,microcode=N[,fmc=N]\n"
            "                             SEV-SNP minimum TCB of a product line (milan, genoa, turin;\n"
            "                             fmc on turin; repeatable): REPORTED_TCB at or above it is\n"
            "                             UpToDate, below it OutOfDate (a warning); without it Unknown\n"
            "  --report-data HEX          expected report_data (zero-padded to 64 bytes)\n"
            "  --nonce HEX [--pubkey HEX] expected binding: report_data = SHA-512(nonce || pubkey)\n"
            "  --allow-missing-collateral accept without collateral (TCB status unknown) as a warning\n"
            "  --allow-debug              accept a debug TEE (insecure)\n"
            "  --strict                   reject warnings (out-of-date TCB, ...)\n"
            "  --trust-sim                trust the simulation root and mock key of the state directory\n"
            "  --sim-root FILE            with --trust-sim: also this simulation root (a prover's own\n"
            "                             <state>/sim/root_ca.pem; never hardware attested; up to 4 times)\n"
            "  --log FILE                 measurement log that must replay to the runtime register\n"
            "                             (TDX RTMR3, mock mr); see 'veritee log'\n"
            "  --state DIR                state directory (default $VERITEE_STATE or ~/.local/state/veritee)\n"
            "  --json                     print one JSON object\n"
            "  -h, --help                 this help\n\n"
            "Exit status: 0 accepted (affirming or warning), 1 rejected, 2 usage or input error.\n");
}

static void print_report(const vt_result *r)
{
    const vt_claims *c = &r->claims;
    char t1[32], t2[32], hex[2 * VT_CLAIM_VALUE_MAX + 1];

    printf("%s evidence: %s (%s)\n", vt_tee_name(c->platform), r->valid ? "ACCEPTED" : "REJECTED",
           vt_verdict_name(r->verdict));
    printf("  %-20s %s\n", "hardware attested", c->hardware_attested ? "yes" : "no (simulation or mock)");
    printf("  %-20s %s\n", "signature", r->signature_valid ? "valid" : "INVALID");
    printf("  %-20s %s\n", "certificate chain", r->chain_valid ? "valid" : "INVALID");
    printf("  %-20s %s\n", "collateral", r->collateral_verified ? "verified" : "not verified");
    printf("  %-20s %s\n", "tcb status", c->tcb_status);
    if (c->advisory_count > 0) {
        printf("  %-20s", "advisories");
        for (size_t i = 0; i < c->advisory_count; i++)
            printf("%s%s", i % 4 == 0 ? (i ? "\n                       " : " ") : " ", c->advisory_ids[i]);
        printf("\n");
    }
    printf("  %-20s %s\n", "debug", c->debug ? "YES" : "no");
    if (c->not_before != 0 || c->not_after != 0) {
        vt_time_format(t1, c->not_before);
        vt_time_format(t2, c->not_after);
        printf("  %-20s %s .. %s\n", "valid", t1, t2);
    }
    for (size_t i = 0; i < c->signer_count; i++)
        printf("  %-20s %s\n", c->signers[i].role, c->signers[i].value);
    vt_hex_encode(hex, c->report_data, sizeof(c->report_data));
    printf("  %-20s %s\n", "report_data", hex);
    for (size_t i = 0; i < c->field_count; i++) {
        const vt_claim *f = &c->fields[i];
        if (f->text)
            printf("  %-20s %.*s\n", f->name, (int)f->len, (const char *)f->value);
        else {
            vt_hex_encode(hex, f->value, f->len);
            printf("  %-20s %s\n", f->name, hex);
        }
    }
    for (size_t i = 0; i < r->error_count; i++)
        printf("  error   [%s] %s\n", r->errors[i].check, r->errors[i].msg);
    for (size_t i = 0; i < r->warning_count; i++)
        printf("  warning [%s] %s\n", r->warnings[i].check, r->warnings[i].msg);
}

/* The --sevsnp-min-tcb values, checked by the same parser as an environment's
 * sevsnp_min_tcb (names, ranges, product lines).  Exit status; *out caller-owned. */
static int snp_min_tcb(vt_env **out, json_t *snp)
{
    json_t *doc = json_pack("{s:s, s:O}", "id", "verify", "sevsnp_min_tcb", snp);
    char *text = doc != NULL ? json_dumps(doc, 0) : NULL;
    vt_env *env = calloc(1, sizeof(*env));
    vt_err err = { 0 };
    int ex = VT_EXIT_USAGE;

    *out = NULL;
    if (text == NULL || env == NULL)
        ex = vt_cli_usage_error("out of memory");
    else if (vt_env_parse(env, text, strlen(text), NULL, &err) != VT_OK)
        ex = vt_cli_usage_error("verify: --sevsnp-min-tcb: %s", err.msg);
    else {
        *out = env;
        env = NULL;
        ex = VT_EXIT_OK;
    }
    free(env);
    free(text);
    json_decref(doc);
    return ex;
}

enum { O_LOG = 255, O_PLATFORM = 256, O_AT, O_COLL, O_RD, O_NONCE, O_PUB, O_AMC, O_DEBUG, O_STRICT, O_SIM, O_STATE,
       O_JSON, O_CERTS, O_FETCH, O_KDS_URL, O_PCS_URL, O_ROOT_CRL_URL, O_FETCH_TIMEOUT, O_AK, O_SNP_TCB, O_RIM_URL, O_OCSP_URL,
       O_SIMROOT };
#define AK_PINS_MAX 16
#define CERTS_MAX 16
#define CERT_FILE_MAX (1024 * 1024)

int vt_cmd_verify(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "platform", required_argument, NULL, O_PLATFORM },
        { "at", required_argument, NULL, O_AT },
        { "collateral", required_argument, NULL, O_COLL },
        { "report-data", required_argument, NULL, O_RD },
        { "nonce", required_argument, NULL, O_NONCE },
        { "pubkey", required_argument, NULL, O_PUB },
        { "allow-missing-collateral", no_argument, NULL, O_AMC },
        { "allow-debug", no_argument, NULL, O_DEBUG },
        { "strict", no_argument, NULL, O_STRICT },
        { "trust-sim", no_argument, NULL, O_SIM },
        { "sim-root", required_argument, NULL, O_SIMROOT },
        { "state", required_argument, NULL, O_STATE },
        { "json", no_argument, NULL, O_JSON },
        { "log", required_argument, NULL, O_LOG },
        { "certs", required_argument, NULL, O_CERTS },
        { "fetch", no_argument, NULL, O_FETCH },
        { "kds-url", required_argument, NULL, O_KDS_URL },
        { "pcs-url", required_argument, NULL, O_PCS_URL },
        { "rim-url", required_argument, NULL, O_RIM_URL },
        { "ocsp-url", required_argument, NULL, O_OCSP_URL },
        { "root-crl-url", required_argument, NULL, O_ROOT_CRL_URL },
        { "fetch-timeout", required_argument, NULL, O_FETCH_TIMEOUT },
        { "ak-sha256", required_argument, NULL, O_AK },
        { "sevsnp-min-tcb", required_argument, NULL, O_SNP_TCB },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *certs[CERTS_MAX], *sim_roots[VT_SIM_ROOT_FILES_MAX];
    json_t *snp = NULL;
    vt_env *snp_env = NULL;
    size_t ncerts = 0, nsim = 0;
    vt_verify_opts o;
    vt_mlog *mlog = NULL;
    const char *logp = NULL;
    vt_err err = { 0 };
    vt_status rc;
    vt_buf ev;
    vt_collateral *coll = NULL;
    vt_result *res = NULL;
    const char *coll_dir = NULL, *rd = NULL, *nonce = NULL, *pub = NULL, *state = NULL;
    uint8_t want[64];
    bool json = false;
    char *text = NULL;
    char fetch_cache[4096];
    int ch, ex = VT_EXIT_USAGE;
    uint8_t ak_pins[AK_PINS_MAX][32];
    size_t ak_count = 0;
    const char *ak_env = getenv("VERITEE_TPM_AK_SHA256");
    struct stat st;

    memset(&o, 0, sizeof(o));
    o.now = vt_time_now();
    /* Pinned TPM attestation keys from the environment, then from --ak-sha256. */
    while (ak_env != NULL && *ak_env != '\0') {
        const char *comma = strchr(ak_env, ',');
        size_t n = comma != NULL ? (size_t)(comma - ak_env) : strlen(ak_env);

        if (ak_count >= AK_PINS_MAX || vt_hex_decode(ak_pins[ak_count], 32, ak_env, n, &err) != VT_OK)
            return vt_cli_usage_error("VERITEE_TPM_AK_SHA256: at most %d comma-separated 64-hex-digit digests",
                                      AK_PINS_MAX);
        ak_count++;
        ak_env = comma != NULL ? comma + 1 : ak_env + n;
    }
    vt_buf_init(&ev);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case O_PLATFORM:
            if (vt_tee_parse(&o.platform, optarg, &err) != VT_OK)
                return vt_cli_usage_error("%s", err.msg);
            break;
        case O_AT:
            if (vt_time_parse(&o.now, optarg, &err) != VT_OK)
                return vt_cli_usage_error("--at: %s", err.msg);
            break;
        case O_COLL: coll_dir = optarg; break;
        case O_RD: rd = optarg; break;
        case O_NONCE: nonce = optarg; break;
        case O_PUB: pub = optarg; break;
        case O_AMC: o.allow_missing_collateral = true; break;
        case O_DEBUG: o.allow_debug = true; break;
        case O_STRICT: o.strict = true; break;
        case O_SIM: o.trust_sim = true; break;
        case O_SIMROOT:
            if (nsim >= VT_SIM_ROOT_FILES_MAX) {
                json_decref(snp);
                return vt_cli_usage_error("--sim-root: at most %d", VT_SIM_ROOT_FILES_MAX);
            }
            sim_roots[nsim++] = optarg;
            break;
        case O_STATE: state = optarg; break;
        case O_JSON: json = true; break;
        case O_LOG: logp = optarg; break;
        case O_FETCH: o.fetch = true; break;
        case O_KDS_URL:
            if (strncmp(optarg, "http://", 7) != 0 && strncmp(optarg, "https://", 8) != 0)
                return vt_cli_usage_error("--kds-url: %s is not an http(s) URL", optarg);
            o.kds_url = optarg;
            break;
        case O_PCS_URL:
            if (strncmp(optarg, "http://", 7) != 0 && strncmp(optarg, "https://", 8) != 0)
                return vt_cli_usage_error("--pcs-url: %s is not an http(s) URL", optarg);
            o.pcs_url = optarg;
            o.fetch = true;
            break;
        case O_ROOT_CRL_URL:
            if (strncmp(optarg, "http://", 7) != 0 && strncmp(optarg, "https://", 8) != 0)
                return vt_cli_usage_error("--root-crl-url: %s is not an http(s) URL", optarg);
            o.root_crl_url = optarg;
            break;
        case O_RIM_URL:
        case O_OCSP_URL:
            if (strncmp(optarg, "http://", 7) != 0 && strncmp(optarg, "https://", 8) != 0)
                return vt_cli_usage_error("--%s-url: %s is not an http(s) URL", ch == O_RIM_URL ? "rim" : "ocsp",
                                          optarg);
            if (ch == O_RIM_URL)
                o.rim_url = optarg;
            else
                o.ocsp_url = optarg;
            break;
        case O_FETCH_TIMEOUT: {
            char *end = NULL;
            long v = strtol(optarg, &end, 10);
            if (end == optarg || *end != '\0' || v < 1 || v > 600)
                return vt_cli_usage_error("--fetch-timeout: 1..600 seconds");
            o.fetch_timeout_s = v;
            break;
        }
        case O_SNP_TCB:
            if (snp == NULL)
                snp = json_object();
            if (snp == NULL || vt_cli_snp_min_tcb(snp, optarg, "verify") != 0) {
                json_decref(snp);
                return VT_EXIT_USAGE;
            }
            break;
        case O_CERTS:
            if (ncerts >= CERTS_MAX)
                return vt_cli_usage_error("verify: at most %d --certs files", CERTS_MAX);
            certs[ncerts++] = optarg;
            break;
        case O_AK:
            if (ak_count >= AK_PINS_MAX || vt_hex_decode(ak_pins[ak_count], 32, optarg, strlen(optarg), &err) != VT_OK)
                return vt_cli_usage_error("--ak-sha256: at most %d digests of 64 hex digits", AK_PINS_MAX);
            ak_count++;
            break;
        case 'h': verify_usage(stdout); return VT_EXIT_OK;
        default: verify_usage(stderr); return VT_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        json_decref(snp);
        verify_usage(stderr);
        return vt_cli_usage_error("verify: expected exactly one evidence FILE");
    }
    if (nsim > 0 && !o.trust_sim) {
        json_decref(snp);
        return vt_cli_usage_error("--sim-root needs --trust-sim: a simulation root is trusted only in simulation mode");
    }
    o.sim_root_files = sim_roots;
    o.sim_root_file_count = nsim;
    if (ak_count > 0) {
        o.tpm_ak_sha256 = (const uint8_t(*)[32])ak_pins;
        o.tpm_ak_count = ak_count;
    }
    if (snp != NULL) {
        ex = snp_min_tcb(&snp_env, snp);
        json_decref(snp);
        if (ex != VT_EXIT_OK)
            return ex;
        ex = VT_EXIT_USAGE;
        o.sevsnp_min_tcb = snp_env->snp_min_tcb;
    }
    if (vt_cli_report_data(want, &o.expected_report_data_len, rd, nonce, pub, &err) != VT_OK) {
        ex = vt_cli_usage_error("%s", err.msg);
        goto out;
    }
    if (rd != NULL || nonce != NULL)
        o.expected_report_data = want;
    o.state_dir = vt_cli_state_dir(state);
    if (snprintf(fetch_cache, sizeof(fetch_cache), "%s/cache/kds", o.state_dir) >= (int)sizeof(fetch_cache)) {
        ex = vt_cli_usage_error("verify: state directory path too long");
        goto out;
    }
    o.fetch_cache_dir = fetch_cache;
    if (stat(argv[optind], &st) == 0 && S_ISDIR(st.st_mode)) {
        if (!vt_tpm_evidence_dir_probe(argv[optind])) {
            ex = vt_cli_usage_error("verify: %s is a directory without TPM evidence (tpm_quote.attest, "
                                    "quote_<bank>.attest, attestation.pb, evidence.orig.json)", argv[optind]);
            goto out;
        }
        rc = vt_tpm_evidence_load_dir(&ev, argv[optind], &err);
    } else {
        rc = vt_cli_read(&ev, argv[optind], EVIDENCE_MAX, &err);
    }
    if (rc != VT_OK) {
        ex = vt_cli_fail(rc, &err);
        goto out;
    }
    if (coll_dir != NULL) {
        rc = vt_collateral_new(&coll, &err);
        if (rc == VT_OK)
            rc = vt_collateral_load_dir(coll, coll_dir, &err);
        if (rc != VT_OK) {
            ex = vt_cli_fail(rc, &err);
            goto out;
        }
        o.collateral = coll;
    }
    for (size_t i = 0; i < ncerts; i++) {
        vt_buf cb;
        char name[32];

        vt_buf_init(&cb);
        snprintf(name, sizeof(name), "certs-%zu", i);
        rc = coll == NULL ? vt_collateral_new(&coll, &err) : VT_OK;
        if (rc == VT_OK)
            rc = vt_cli_read(&cb, certs[i], CERT_FILE_MAX, &err);
        if (rc == VT_OK)
            rc = vt_collateral_add(coll, name, cb.data, cb.len, &err);
        vt_buf_free(&cb);
        if (rc != VT_OK) {
            ex = vt_cli_fail(rc, &err);
            goto out;
        }
        o.collateral = coll;
    }
    if (logp != NULL) {
        vt_buf lb;
        vt_buf_init(&lb);
        rc = vt_cli_read(&lb, logp, VT_MLOG_MAX_BYTES, &err);
        if (rc == VT_OK)
            rc = vt_mlog_parse(&mlog, lb.data, lb.len, &err);
        vt_buf_free(&lb);
        if (rc != VT_OK) {
            ex = vt_cli_fail(rc, &err);
            goto out;
        }
        o.mlog = mlog;
    }
    res = calloc(1, sizeof(*res));
    if (res == NULL) {
        ex = vt_cli_usage_error("out of memory");
        goto out;
    }
    rc = vt_evidence_verify(res, ev.data, ev.len, &o, &err);
    if (rc == VT_E_ARG) {
        ex = vt_cli_fail(rc, &err);
        goto out;
    }
    if (json) {
        if (vt_result_to_json(&text, res, &err) != VT_OK) {
            ex = vt_cli_fail(VT_E_NOMEM, &err);
            goto out;
        }
        printf("%s\n", text);
    } else {
        print_report(res);
    }
    /* Unreadable evidence is an input error (2); readable but rejected is 1. */
    if (rc != VT_OK)
        ex = VT_EXIT_USAGE;
    else
        ex = res->valid ? VT_EXIT_OK : VT_EXIT_REJECTED;
out:
    free(text);
    free(res);
    free(snp_env);
    vt_collateral_free(coll);
    vt_mlog_free(mlog);
    vt_buf_free(&ev);
    return ex;
}

int vt_cmd_inspect(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "platform", required_argument, NULL, O_PLATFORM },
        { "json", no_argument, NULL, O_JSON },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    vt_tee_kind kind = VT_TEE_NONE;
    vt_err err = { 0 };
    vt_buf ev;
    vt_status rc;
    char *text = NULL;
    int ch, ex;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case O_PLATFORM:
            if (vt_tee_parse(&kind, optarg, &err) != VT_OK)
                return vt_cli_usage_error("%s", err.msg);
            break;
        case O_JSON: break; /* inspect always prints JSON */
        case 'h':
            printf("usage: veritee inspect [--platform P] FILE\n\n"
                   "Parses evidence WITHOUT verifying it and prints every field as JSON.\n"
                   "Nothing printed here is trustworthy until 'veritee verify' accepts the file.\n");
            return VT_EXIT_OK;
        default: return vt_cli_usage_error("inspect: see 'veritee inspect --help'");
        }
    }
    if (optind != argc - 1)
        return vt_cli_usage_error("inspect: expected exactly one evidence FILE");
    vt_buf_init(&ev);
    rc = vt_cli_read(&ev, argv[optind], EVIDENCE_MAX, &err);
    if (rc == VT_OK)
        rc = vt_evidence_inspect(&text, kind, ev.data, ev.len, &err);
    if (rc == VT_OK) {
        printf("%s\n", text);
        ex = VT_EXIT_OK;
    } else {
        ex = vt_cli_fail(rc, &err);
    }
    free(text);
    vt_buf_free(&ev);
    return ex;
}
