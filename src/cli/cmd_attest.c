/* veritee attest / veritee hardware */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

enum { O_PLATFORM = 256, O_NONCE, O_PUB, O_RD, O_OUT, O_STATE, O_JSON, O_SYSROOT };

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
    bool json = false;
    vt_status rc;
    int ch, ex;

    memset(&o, 0, sizeof(o));
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case O_PLATFORM:
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
                   "Collects evidence from this machine's TEE, bound to a nonce:\n"
                   "report_data = SHA-512(nonce || pubkey), or the raw --report-data.\n"
                   "Without a nonce a random one is made and printed.  Where the machine has\n"
                   "no TEE, mock evidence is made (and it says so): it is never hardware attested.\n\n"
                   "  --platform P   auto (default), tdx, sevsnp or mock\n"
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
    if (nonce == NULL && rd == NULL) {
        if (vt_random(rnd, sizeof(rnd), &err) != VT_OK)
            return vt_cli_fail(VT_E_INTERNAL, &err);
        vt_hex_encode(nonce_hex, rnd, sizeof(rnd));
        nonce = nonce_hex;
    }
    if (vt_cli_report_data(o.report_data, &rd_len, rd, nonce, pub, &err) != VT_OK)
        return vt_cli_usage_error("%s", err.msg);
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

int vt_cmd_hardware(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "json", no_argument, NULL, O_JSON },
        { "sysroot", required_argument, NULL, O_SYSROOT },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    vt_hw_info hw;
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
                   "which one 'veritee attest' would use.\n");
            return VT_EXIT_OK;
        default: return vt_cli_usage_error("hardware: see 'veritee hardware --help'");
        }
    }
    vt_tee_detect(&hw, sysroot);
    if (json) {
        json_t *o = json_object(), *a = json_array();
        char *s;
        for (size_t i = 0; i < hw.count; i++)
            json_array_append_new(a, json_pack("{s:s, s:b, s:s}", "platform", vt_tee_name(hw.entries[i].kind),
                                               "present", hw.entries[i].present, "found", hw.entries[i].evidence));
        json_object_set_new(o, "platforms", a);
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
    printf("attest would use: %s%s\n", vt_tee_name(hw.selected),
           hw.selected == VT_TEE_MOCK ? " (no hardware TEE found: evidence is not hardware attested)" : "");
    return VT_EXIT_OK;
}
