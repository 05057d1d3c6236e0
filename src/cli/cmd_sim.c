/* veritee sim: evidence in a platform's real binary format under a local
 * simulation root (never hardware attested). */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

enum { O_LOG = 254, O_JSON = 255, O_V = 256, O_DEBUG, O_OOD, O_REVOKED, O_NOCRL, O_RD, O_NONCE, O_PUB, O_AT, O_OUT, O_STATE, O_UD, O_PK,
       O_VMPL, O_NOSMT, O_MA, O_ATTR, O_TDX, O_EVAL };

static void sim_usage(FILE *f)
{
    fprintf(f, "usage: veritee sim tdx --out DIR [options]\n"
               "       veritee sim sevsnp --out DIR [--debug] [--nonce HEX [--pubkey HEX] | --report-data HEX]\n"
               "                          [--vmpl N] [--no-smt] [--migration-agent]\n"
               "                         [--at TIME] [--state DIR] [--json]\n\n"
               "       veritee sim nitro --out DIR [--debug] [--nonce HEX [--pubkey HEX] | --report-data HEX]\n"
               "                         [--user-data HEX] [--public-key HEX] [--at TIME] [--state DIR] [--json]\n"
               "       veritee sim tpm start [--azure] --state DIR [--port N] | stop --state DIR |\n"
               "                       --extend HEX [--pcr N]   (veritee sim tpm --help)\n\n"
               "       veritee sim nvgpu --out DIR [--nonce HEX] [--driver-version V] [--at TIME] [--state DIR]\n"
               "                         [--json]\n"
               "       veritee sim azure --out DIR [--tdx] [--version 0|1|2] [--nonce HEX [--pubkey HEX] |\n"
               "                         --report-data HEX] [--debug] [--vmpl N] [--no-smt] [--migration-agent]\n"
               "                         [--td-attributes HEX] [--at TIME] [--state DIR] [--json]\n"
               "       veritee sim root [--state DIR]\n\n"
               "azure: an Azure SEV-SNP (or with --tdx, TDX) confidential VM evidence envelope in DIR/evidence.json, in the\n"
               "attesters' JSON format (docs/formats/azure-cvm.md; --version 0: byte arrays, 1 (default) or\n"
               "2: hex and base64url, 2 also binds the nonce in the runtime user-data): an HCL report whose\n"
               "simulated SEV-SNP report (TDX: TDREPORT, with its TD quote in the envelope) binds the runtime\n"
               "data holding a fresh vTPM attestation key, and a\n"
               "TPM2 quote signed with that key whose extraData is SHA-512(nonce || pubkey) with --nonce or\n"
               "the raw --report-data bytes (default: none).  The VCEK is in the envelope, its ASK in\n"
               "DIR/collateral/ask.pem (TDX: the PCS collateral in DIR/collateral/).  The hardware report is\n"
               "configured as Azure's are (SEV-SNP: SMT allowed, VMPL 0; TDX: TD_ATTRIBUTES 0) unless --debug,\n"
               "--vmpl N, --no-smt, --migration-agent (SEV-SNP) or --td-attributes HEX (TDX; DEBUG added by\n"
               "--debug) say otherwise.\n"
               "Verify with: veritee verify --trust-sim --collateral DIR/collateral DIR/evidence.json\n\n"
               "nvgpu: NVIDIA GPU evidence (SPDM 1.1 GET_MEASUREMENTS request and signed MEASUREMENTS, as the\n"
               "driver returns it) in DIR/report.bin and its device chain in DIR/collateral/certchain.pem (leaf,\n"
               "a simulated GH100 BROM CA, the simulation root).  --nonce is the 32-byte SPDM nonce (default\n"
               "random); the verifier's report_data is that nonce, zero-padded.  Verify with: veritee verify\n"
               "--trust-sim --collateral DIR/collateral DIR/report.bin; bind it to a CPU TEE with\n"
               "'veritee composite'\n\n"
               "root: prints the path of the state directory's simulation root certificate (making the\n"
               "simulation CA on first use).  A verifier with another state directory trusts evidence a\n"
               "prover simulates here only with --trust-sim --sim-root PATH (never as hardware).\n\n"
               "nitro: an AWS Nitro Enclaves attestation document (COSE_Sign1 ES384, as /dev/nsm returns it)\n"
               "in DIR/attestation.cbor, under a simulated zonal CA and the simulation root.  Its nonce field\n"
               "is SHA-512(nonce || pubkey) with --nonce (the pubkey also becomes public_key), or the raw\n"
               "--report-data bytes; --debug zeroes the PCRs.  Verify with: veritee verify --trust-sim\n"
               "--allow-missing-collateral DIR/attestation.cbor (Nitro has no CRL to fetch; give the same\n"
               "--state; the leaf lives three hours, so later add --at TIME within them)\n\n"
               "sevsnp: an AMD SEV-SNP report (v3, Milan layout) in DIR/report.bin, signed by a simulated\n"
               "VCEK whose TCB and hwID extensions match it, and DIR/collateral/{vcek,ask}.pem under the\n"
               "simulation root.  Verify with: veritee verify --trust-sim --collateral DIR/collateral\n"
               "DIR/report.bin.  --vmpl N reports from VMPL N (default 0); --no-smt clears POLICY.SMT and\n"
               "PLATFORM_INFO.SMT_EN; --migration-agent sets POLICY.MIGRATE_MA.\n\n"
               "tdx:\n"
               "Makes a TDX quote in Intel's real v4/v5 binary format and collateral in Intel PCS\n"
               "formats, signed under a simulation root kept in the state directory (made on first\n"
               "use).  Verify with: veritee verify --trust-sim --collateral DIR/collateral DIR/quote.bin\n\n"
               "  --version 4|5              quote version (default 4; 5 = TDX 1.5 body)\n"
               "  --nonce HEX [--pubkey HEX] report_data = SHA-512(nonce || pubkey)\n"
               "  --report-data HEX          raw report_data (zero-padded to 64 bytes)\n"
               "  --debug                    a debug TD (TD_ATTRIBUTES.DEBUG set)\n"
               "  --td-attributes HEX        TD_ATTRIBUTES, 16 hex digits in quote byte order\n"
               "                             (default 0000001000000000: SEPT_VE_DISABLE; replaces --debug)\n"
               "  --out-of-date              collateral rates the TCB OutOfDate, with advisories\n"
               "  --revoked                  the PCK CRL revokes the PCK certificate\n"
               "  --no-crl                   leave the CRLs out of the collateral\n"
               "  --tcb-eval N               tcbEvaluationDataNumber of the collateral (default 17)\n"
               "  --log FILE                 RTMR3 = the replay of this measurement log (veritee log)\n"
               "  --at TIME                  issue certificates and collateral around TIME (default now)\n"
               "  --state DIR                state directory (default $VERITEE_STATE or ~/.local/state/veritee)\n"
               "  --json                     print what was written as JSON\n");
}

/* veritee sim sevsnp (argv[0] = "sevsnp"). */
/* Writes DIR/<file> and DIR/collateral/, then says what was written. */
static int sim_write(const char *out, const char *file, const char *what, const char *platform, int version,
                     const uint8_t report_data[VT_REPORT_DATA_LEN], const vt_buf *ev, const vt_collateral *coll,
                     bool json)
{
    char path[4096], cpath[4096];
    vt_err err = { 0 };
    vt_status rc = vt_mkdir_p(out, 0755, &err);

    snprintf(path, sizeof(path), "%s/%s", out, file);
    snprintf(cpath, sizeof(cpath), "%s/collateral", out);
    if (rc == VT_OK)
        rc = vt_file_write(path, ev->data, ev->len, 0644, &err);
    if (rc == VT_OK)
        rc = vt_collateral_save_dir(coll, cpath, &err);
    if (rc != VT_OK)
        return vt_cli_fail(rc, &err);
    if (json) {
        char rdhex[2 * VT_REPORT_DATA_LEN + 1], *text;
        json_t *j;
        vt_hex_encode(rdhex, report_data, VT_REPORT_DATA_LEN);
        j = json_pack("{s:s, s:i, s:b, s:s, s:s, s:s}", "platform", platform, "version", version, "hardware_attested",
                      0, "report_data", rdhex, "evidence", path, "collateral", cpath);
        text = j == NULL ? NULL : json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (text != NULL)
            printf("%s\n", text);
        free(text);
        json_decref(j);
    } else {
        printf("wrote %s (%s v%d, simulated) and %s/\n", path, what, version, cpath);
    }
    return VT_EXIT_OK;
}

/* The options every report simulator (sevsnp, azure) takes: its long options end with these. */
#define SIM_COMMON_LONGOPTS                                                                                           \
    { "report-data", required_argument, NULL, O_RD }, { "nonce", required_argument, NULL, O_NONCE },                 \
        { "pubkey", required_argument, NULL, O_PUB }, { "at", required_argument, NULL, O_AT },                       \
        { "out", required_argument, NULL, O_OUT }, { "state", required_argument, NULL, O_STATE },                    \
        { "json", no_argument, NULL, O_JSON }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }

typedef struct sim_common {
    const char *rd, *nonce, *pub, *out, *state;
    bool json;
    vt_time now;
} sim_common;

/* Takes ch when it is a common option: 1 taken, 0 not a common option, or
 * -1 with *ex set (a usage error, already printed). */
static int sim_common_opt(sim_common *c, int ch, const char *arg, int *ex)
{
    vt_err err = { 0 };

    switch (ch) {
    case O_RD: c->rd = arg; return 1;
    case O_NONCE: c->nonce = arg; return 1;
    case O_PUB: c->pub = arg; return 1;
    case O_AT:
        if (vt_time_parse(&c->now, arg, &err) != VT_OK) {
            *ex = vt_cli_usage_error("--at: %s", err.msg);
            return -1;
        }
        return 1;
    case O_OUT: c->out = arg; return 1;
    case O_STATE: c->state = arg; return 1;
    case O_JSON: c->json = true; return 1;
    default: return 0;
    }
}

/* After the options: no operand left, --out given, the report data from
 * --report-data or --nonce [--pubkey] (none: zero bytes). */
static int sim_common_finish(sim_common *c, int argc, char **argv, uint8_t rd[VT_REPORT_DATA_LEN], size_t *rd_len)
{
    vt_err err = { 0 };

    if (optind != argc)
        return vt_cli_usage_error("sim: unexpected argument '%s'", argv[optind]);
    if (c->out == NULL)
        return vt_cli_usage_error("sim: --out DIR is required");
    if (vt_cli_report_data(rd, rd_len, c->rd, c->nonce, c->pub, &err) != VT_OK)
        return vt_cli_usage_error("%s", err.msg);
    return VT_EXIT_OK;
}

/* --vmpl N (0..3) and --td-attributes HEX (16 hex digits, quote byte order): 0, or a usage error. */
static int parse_vmpl(uint32_t *out, const char *arg)
{
    if (strlen(arg) != 1 || arg[0] < '0' || arg[0] > '3')
        return vt_cli_usage_error("sim: --vmpl must be 0..3");
    *out = (uint32_t)(arg[0] - '0');
    return 0;
}

static int parse_td_attributes(uint64_t *out, const char *arg)
{
    uint8_t b[8];

    if (strlen(arg) != 16 || vt_hex_decode(b, sizeof(b), arg, 16, NULL) != VT_OK)
        return vt_cli_usage_error("sim: --td-attributes must be 16 hex digits (quote byte order)");
    *out = 0;
    for (int i = 7; i >= 0; i--)
        *out = (*out << 8) | b[i];
    return 0;
}

static int sim_sevsnp(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "debug", no_argument, NULL, O_DEBUG },
        { "vmpl", required_argument, NULL, O_VMPL },
        { "no-smt", no_argument, NULL, O_NOSMT },
        { "migration-agent", no_argument, NULL, O_MA },
        SIM_COMMON_LONGOPTS,
    };
    vt_sim_sevsnp_opts o;
    sim_common c = { 0 };
    vt_err err = { 0 };
    vt_buf rep;
    vt_collateral *coll = NULL;
    int ex = VT_EXIT_OK;
    size_t rd_len;
    vt_status rc;
    int ch;

    memset(&o, 0, sizeof(o));
    c.now = vt_time_now();
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        int taken = sim_common_opt(&c, ch, optarg, &ex);
        if (taken < 0)
            return ex;
        if (taken)
            continue;
        switch (ch) {
        case O_DEBUG: o.debug = true; break;
        case O_VMPL:
            if (parse_vmpl(&o.vmpl, optarg) != 0)
                return VT_EXIT_USAGE;
            break;
        case O_NOSMT: o.no_smt = true; break;
        case O_MA: o.migrate_ma = true; break;
        case 'h': sim_usage(stdout); return VT_EXIT_OK;
        default: sim_usage(stderr); return VT_EXIT_USAGE;
        }
    }
    ex = sim_common_finish(&c, argc, argv, o.report_data, &rd_len);
    if (ex != VT_EXIT_OK)
        return ex;
    o.now = c.now;
    o.state_dir = vt_cli_state_dir(c.state);
    vt_buf_init(&rep);
    rc = vt_collateral_new(&coll, &err);
    if (rc == VT_OK)
        rc = vt_sim_sevsnp(&rep, coll, &o, &err);
    ex = rc == VT_OK ? sim_write(c.out, "report.bin", "SEV-SNP report", "sevsnp", 3, o.report_data, &rep, coll, c.json)
                     : vt_cli_fail(rc, &err);
    vt_buf_free(&rep);
    vt_collateral_free(coll);
    return ex;
}

/* veritee sim nvgpu (argv[0] = "nvgpu"). */
static int sim_nvgpu(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "nonce", required_argument, NULL, O_NONCE },
        { "driver-version", required_argument, NULL, O_ATTR },
        { "at", required_argument, NULL, O_AT },
        { "out", required_argument, NULL, O_OUT },
        { "state", required_argument, NULL, O_STATE },
        { "json", no_argument, NULL, O_JSON },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    vt_sim_nvgpu_opts o;
    uint8_t rd[VT_REPORT_DATA_LEN];
    bool json = false;
    vt_err err = { 0 };
    vt_buf ev, nb;
    vt_collateral *coll = NULL;
    const char *nonce = NULL, *out = NULL, *state = NULL;
    vt_status rc;
    int ch, ex;

    memset(&o, 0, sizeof(o));
    o.now = vt_time_now();
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case O_NONCE: nonce = optarg; break;
        case O_ATTR: o.driver_version = optarg; break;
        case O_AT:
            if (vt_time_parse(&o.now, optarg, &err) != VT_OK)
                return vt_cli_usage_error("--at: %s", err.msg);
            break;
        case O_OUT: out = optarg; break;
        case O_STATE: state = optarg; break;
        case O_JSON: json = true; break;
        case 'h': sim_usage(stdout); return VT_EXIT_OK;
        default: sim_usage(stderr); return VT_EXIT_USAGE;
        }
    }
    if (optind != argc)
        return vt_cli_usage_error("sim: unexpected argument '%s'", argv[optind]);
    if (out == NULL)
        return vt_cli_usage_error("sim: --out DIR is required");
    vt_buf_init(&nb);
    if (nonce != NULL && (vt_hex_decode_buf(&nb, nonce, strlen(nonce), sizeof(o.nonce), &err) != VT_OK ||
                          nb.len != sizeof(o.nonce))) {
        vt_buf_free(&nb);
        return vt_cli_usage_error("sim: nvgpu --nonce must be 32 bytes of hex (the SPDM nonce)");
    }
    if (nonce != NULL)
        memcpy(o.nonce, nb.data, sizeof(o.nonce));
    else if (vt_random(o.nonce, sizeof(o.nonce), &err) != VT_OK)
        return vt_cli_fail(VT_E_INTERNAL, &err);
    vt_buf_free(&nb);
    if (o.driver_version != NULL && (strlen(o.driver_version) == 0 || strlen(o.driver_version) > 32))
        return vt_cli_usage_error("sim: --driver-version must be 1..32 characters");
    memset(rd, 0, sizeof(rd));
    memcpy(rd, o.nonce, sizeof(o.nonce));
    o.state_dir = vt_cli_state_dir(state);
    vt_buf_init(&ev);
    rc = vt_collateral_new(&coll, &err);
    if (rc == VT_OK)
        rc = vt_sim_nvgpu(&ev, coll, &o, &err);
    ex = rc == VT_OK ? sim_write(out, "report.bin", "NVIDIA GPU SPDM evidence", "nvgpu", 0x11, rd, &ev, coll, json)
                     : vt_cli_fail(rc, &err);
    vt_buf_free(&ev);
    vt_collateral_free(coll);
    return ex;
}

/* veritee sim nitro (argv[0] = "nitro"). */
static int sim_nitro(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "debug", no_argument, NULL, O_DEBUG },
        { "report-data", required_argument, NULL, O_RD },
        { "nonce", required_argument, NULL, O_NONCE },
        { "pubkey", required_argument, NULL, O_PUB },
        { "user-data", required_argument, NULL, O_UD },
        { "public-key", required_argument, NULL, O_PK },
        { "at", required_argument, NULL, O_AT },
        { "out", required_argument, NULL, O_OUT },
        { "state", required_argument, NULL, O_STATE },
        { "json", no_argument, NULL, O_JSON },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    vt_sim_nitro_opts o;
    bool json = false;
    vt_err err = { 0 };
    vt_buf doc, rd, ud, pk;
    vt_collateral *coll = NULL;
    uint8_t bound[VT_REPORT_DATA_LEN], shown[VT_REPORT_DATA_LEN];
    const char *rd_hex = NULL, *nonce = NULL, *pub = NULL, *ud_hex = NULL, *pk_hex = NULL, *out = NULL, *state = NULL;
    size_t bound_len = 0;
    vt_status rc = VT_OK;
    int ex, ch;

    memset(&o, 0, sizeof(o));
    o.now = vt_time_now();
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case O_DEBUG: o.debug = true; break;
        case O_RD: rd_hex = optarg; break;
        case O_NONCE: nonce = optarg; break;
        case O_PUB: pub = optarg; break;
        case O_UD: ud_hex = optarg; break;
        case O_PK: pk_hex = optarg; break;
        case O_AT:
            if (vt_time_parse(&o.now, optarg, &err) != VT_OK)
                return vt_cli_usage_error("--at: %s", err.msg);
            break;
        case O_OUT: out = optarg; break;
        case O_STATE: state = optarg; break;
        case O_JSON: json = true; break;
        case 'h': sim_usage(stdout); return VT_EXIT_OK;
        default: sim_usage(stderr); return VT_EXIT_USAGE;
        }
    }
    if (optind != argc)
        return vt_cli_usage_error("sim: unexpected argument '%s'", argv[optind]);
    if (out == NULL)
        return vt_cli_usage_error("sim: --out DIR is required");
    vt_buf_init(&doc);
    vt_buf_init(&rd);
    vt_buf_init(&ud);
    vt_buf_init(&pk);
    if (nonce != NULL) {
        /* The veritee binding, so that verify --nonce/--pubkey matches. */
        rc = vt_cli_report_data(bound, &bound_len, NULL, nonce, pub, &err);
        if (rc == VT_OK) {
            o.nonce = bound;
            o.nonce_len = sizeof(bound);
        }
        if (rc == VT_OK && pub != NULL && pk_hex == NULL)
            rc = vt_hex_decode_buf(&pk, pub, strlen(pub), 1024, &err);
    } else if (pub != NULL) {
        rc = vt_err_set(&err, VT_E_ARG, "sim: --pubkey needs --nonce");
    }
    if (rc == VT_OK && rd_hex != NULL && nonce != NULL)
        rc = vt_err_set(&err, VT_E_ARG, "sim: give --report-data or --nonce, not both");
    if (rc == VT_OK && rd_hex != NULL) {
        rc = vt_hex_decode_buf(&rd, rd_hex, strlen(rd_hex), 1024, &err);
        o.nonce = rd.data != NULL ? rd.data : (const uint8_t *)"";
        o.nonce_len = rd.len;
    }
    if (rc == VT_OK && ud_hex != NULL) {
        rc = vt_hex_decode_buf(&ud, ud_hex, strlen(ud_hex), 1024, &err);
        o.user_data = ud.data != NULL ? ud.data : (const uint8_t *)"";
        o.user_data_len = ud.len;
    }
    if (rc == VT_OK && pk_hex != NULL)
        rc = vt_hex_decode_buf(&pk, pk_hex, strlen(pk_hex), 1024, &err);
    if (rc == VT_OK && (pk_hex != NULL || pk.len > 0)) {
        o.public_key = pk.data != NULL ? pk.data : (const uint8_t *)"";
        o.public_key_len = pk.len;
    }
    if (rc != VT_OK) {
        ex = vt_cli_usage_error("%s", err.msg);
        goto out;
    }
    o.state_dir = vt_cli_state_dir(state);
    memset(shown, 0, sizeof(shown));
    if (o.nonce != NULL && o.nonce_len <= sizeof(shown))
        memcpy(shown, o.nonce, o.nonce_len);
    rc = vt_collateral_new(&coll, &err);
    if (rc == VT_OK)
        rc = vt_sim_nitro(&doc, &o, &err);
    ex = rc == VT_OK ? sim_write(out, "attestation.cbor", "Nitro attestation document", "nitro", 1, shown, &doc, coll,
                                 json)
                     : vt_cli_fail(rc, &err);
out:
    vt_buf_free(&doc);
    vt_buf_free(&rd);
    vt_buf_free(&ud);
    vt_buf_free(&pk);
    vt_collateral_free(coll);
    return ex;
}

/* veritee sim azure (argv[0] = "azure"). */
static int sim_azure(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "version", required_argument, NULL, O_V },
        { "tdx", no_argument, NULL, O_TDX },
        { "debug", no_argument, NULL, O_DEBUG },
        { "vmpl", required_argument, NULL, O_VMPL },
        { "no-smt", no_argument, NULL, O_NOSMT },
        { "migration-agent", no_argument, NULL, O_MA },
        { "td-attributes", required_argument, NULL, O_ATTR },
        SIM_COMMON_LONGOPTS,
    };
    vt_sim_azure_opts o;
    sim_common c = { 0 };
    vt_err err = { 0 };
    vt_buf env;
    vt_collateral *coll = NULL;
    int ex = VT_EXIT_OK;
    vt_status rc;
    int ch;

    memset(&o, 0, sizeof(o));
    o.version = 1;
    c.now = vt_time_now();
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        int taken = sim_common_opt(&c, ch, optarg, &ex);
        if (taken < 0)
            return ex;
        if (taken)
            continue;
        switch (ch) {
        case O_V:
            if (strlen(optarg) != 1 || optarg[0] < '0' || optarg[0] > '2')
                return vt_cli_usage_error("sim: azure --version must be 0, 1 or 2");
            o.version = optarg[0] - '0';
            break;
        case O_TDX: o.tdx = true; break;
        case O_DEBUG: o.debug = true; break;
        case O_VMPL:
            if (parse_vmpl(&o.vmpl, optarg) != 0)
                return VT_EXIT_USAGE;
            break;
        case O_NOSMT: o.no_smt = true; break;
        case O_MA: o.migrate_ma = true; break;
        case O_ATTR:
            if (parse_td_attributes(&o.td_attributes, optarg) != 0)
                return VT_EXIT_USAGE;
            break;
        case 'h': sim_usage(stdout); return VT_EXIT_OK;
        default: sim_usage(stderr); return VT_EXIT_USAGE;
        }
    }
    /* No --nonce and no --report-data: a quote over empty extraData. */
    ex = sim_common_finish(&c, argc, argv, o.report_data, &o.report_data_len);
    if (ex != VT_EXIT_OK)
        return ex;
    o.now = c.now;
    o.state_dir = vt_cli_state_dir(c.state);
    vt_buf_init(&env);
    rc = vt_collateral_new(&coll, &err);
    if (rc == VT_OK)
        rc = vt_sim_azure(&env, coll, &o, &err);
    ex = rc == VT_OK ? sim_write(c.out, "evidence.json", "Azure CVM evidence envelope", "tpm", o.version,
                                 o.report_data, &env, coll, c.json)
                     : vt_cli_fail(rc, &err);
    vt_buf_free(&env);
    vt_collateral_free(coll);
    return ex;
}

/* veritee sim root (argv[0] = "root"). */
static int sim_root(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "state", required_argument, NULL, O_STATE },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *state = NULL;
    char path[4096];
    vt_err err = { 0 };
    vt_status rc;
    int ch;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case O_STATE: state = optarg; break;
        case 'h': sim_usage(stdout); return VT_EXIT_OK;
        default: sim_usage(stderr); return VT_EXIT_USAGE;
        }
    }
    if (optind != argc)
        return vt_cli_usage_error("sim: unexpected argument '%s'", argv[optind]);
    rc = vt_sim_root_path(path, sizeof(path), vt_cli_state_dir(state), &err);
    if (rc != VT_OK)
        return vt_cli_fail(rc, &err);
    printf("%s\n", path);
    return VT_EXIT_OK;
}
int vt_cmd_sim_tpm(int argc, char **argv); /* cmd_sim_tpm.c */

int vt_cmd_sim(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "version", required_argument, NULL, O_V },
        { "debug", no_argument, NULL, O_DEBUG },
        { "out-of-date", no_argument, NULL, O_OOD },
        { "revoked", no_argument, NULL, O_REVOKED },
        { "no-crl", no_argument, NULL, O_NOCRL },
        { "tcb-eval", required_argument, NULL, O_EVAL },
        { "report-data", required_argument, NULL, O_RD },
        { "nonce", required_argument, NULL, O_NONCE },
        { "pubkey", required_argument, NULL, O_PUB },
        { "at", required_argument, NULL, O_AT },
        { "out", required_argument, NULL, O_OUT },
        { "state", required_argument, NULL, O_STATE },
        { "json", no_argument, NULL, O_JSON },
        { "log", required_argument, NULL, O_LOG },
        { "td-attributes", required_argument, NULL, O_ATTR },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    vt_sim_tdx_opts o;
    bool json = false;
    const char *logp = NULL;
    uint8_t rtmr3[VT_REGISTER_LEN];
    vt_err err = { 0 };
    vt_buf quote;
    vt_collateral *coll = NULL;
    const char *rd = NULL, *nonce = NULL, *pub = NULL, *out = NULL, *state = NULL;
    int ex;
    size_t rd_len;
    vt_status rc;
    int ch;

    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        sim_usage(stdout);
        return VT_EXIT_OK;
    }
    if (argc >= 2 && strcmp(argv[1], "sevsnp") == 0)
        return sim_sevsnp(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "nitro") == 0)
        return sim_nitro(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "nvgpu") == 0)
        return sim_nvgpu(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "root") == 0)
        return sim_root(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "azure") == 0)
        return sim_azure(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "tpm") == 0)
        return vt_cmd_sim_tpm(argc, argv); /* cmd_sim_tpm.c: swtpm, PCR extend */
    if (argc < 2 || strcmp(argv[1], "tdx") != 0) {
        sim_usage(stderr);
        return vt_cli_usage_error("sim: name a platform (tdx, sevsnp, nitro, nvgpu, tpm, azure) or root");
    }
    memset(&o, 0, sizeof(o));
    o.version = 4;
    o.now = vt_time_now();
    argc--;
    argv++;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case O_V:
            if (strcmp(optarg, "4") != 0 && strcmp(optarg, "5") != 0)
                return vt_cli_usage_error("sim: --version must be 4 or 5");
            o.version = optarg[0] - '0';
            break;
        case O_DEBUG: o.debug = true; break;
        case O_OOD: o.out_of_date = true; break;
        case O_REVOKED: o.revoked = true; break;
        case O_NOCRL: o.no_crl = true; break;
        case O_EVAL: {
            char *end = NULL;
            unsigned long n;

            errno = 0;
            n = strtoul(optarg, &end, 10);
            if (errno != 0 || end == optarg || *end != '\0' || n == 0 || n > UINT32_MAX)
                return vt_cli_usage_error("sim: --tcb-eval must be a number from 1 to %u", UINT32_MAX);
            o.tcb_eval_num = (uint32_t)n;
            break;
        }
        case O_RD: rd = optarg; break;
        case O_NONCE: nonce = optarg; break;
        case O_PUB: pub = optarg; break;
        case O_AT:
            if (vt_time_parse(&o.now, optarg, &err) != VT_OK)
                return vt_cli_usage_error("--at: %s", err.msg);
            break;
        case O_OUT: out = optarg; break;
        case O_STATE: state = optarg; break;
        case O_JSON: json = true; break;
        case O_LOG: logp = optarg; break;
        case O_ATTR:
            if (parse_td_attributes(&o.td_attributes, optarg) != 0)
                return VT_EXIT_USAGE;
            o.td_attributes_set = true;
            break;
        case 'h': sim_usage(stdout); return VT_EXIT_OK;
        default: sim_usage(stderr); return VT_EXIT_USAGE;
        }
    }
    if (optind != argc)
        return vt_cli_usage_error("sim: unexpected argument '%s'", argv[optind]);
    if (out == NULL)
        return vt_cli_usage_error("sim: --out DIR is required");
    if (vt_cli_report_data(o.report_data, &rd_len, rd, nonce, pub, &err) != VT_OK)
        return vt_cli_usage_error("%s", err.msg);
    o.state_dir = vt_cli_state_dir(state);
    if (logp != NULL) {
        vt_buf lb;
        vt_mlog *l = NULL;
        vt_buf_init(&lb);
        rc = vt_file_read(&lb, logp, VT_MLOG_MAX_BYTES, &err);
        if (rc == VT_OK)
            rc = vt_mlog_parse(&l, lb.data, lb.len, &err);
        if (rc == VT_OK)
            rc = vt_mlog_replay(rtmr3, l, &err);
        vt_mlog_free(l);
        vt_buf_free(&lb);
        if (rc != VT_OK)
            return vt_cli_fail(rc, &err);
        o.rtmr3 = rtmr3;
    }
    vt_buf_init(&quote);
    rc = vt_collateral_new(&coll, &err);
    if (rc == VT_OK)
        rc = vt_sim_tdx(&quote, coll, &o, &err);
    ex = rc == VT_OK ? sim_write(out, "quote.bin", "TDX quote", "tdx", o.version, o.report_data, &quote, coll, json)
                     : vt_cli_fail(rc, &err);
    vt_buf_free(&quote);
    vt_collateral_free(coll);
    return ex;
}
